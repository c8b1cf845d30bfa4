//! Runs a parsed command: input validation, source, analysis, rendering, exit code.

use crate::cli::{
    ColorChoice, Command, CompletionArgs, CompletionShell, ExplainArgs, FailOn, Output,
    VersionArgs, VersionOutput,
};
use crate::error::{Error, Result};
use crate::explain::{explain, Scope};
use crate::findings::{Severity, Suppression};
use crate::render;
use crate::selector::LabelSelector;
use crate::snapshot::{parse_bool, Setting, Snapshot, FEATURE_FLAGS};
use std::io::{IsTerminal, Write};

const FLAG: &str = "command-line flag";

/// Runs the command, writing the report to `out`. Returns the exit code.
pub fn run(cmd: Command, out: &mut dyn Write) -> Result<u8> {
    match cmd {
        Command::Version(args) => run_version(&args, out),
        Command::Completion(args) => run_completion(&args, out),
        Command::Man(args) => {
            use clap::CommandFactory;
            let cmd = crate::cli::Cli::command().name(crate::completion::shell::BIN);
            if let Some(dir) = &args.dir {
                clap_mangen::generate_to(cmd, dir).map_err(|e| {
                    Error::Usage(format!("cannot write man pages to {}: {e}", dir.display()))
                })?;
                return Ok(0);
            }
            let mut buf = Vec::new();
            written(clap_mangen::Man::new(cmd).render(&mut buf))?;
            write_out(out, &String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Explain(args) => run_explain(&args, out),
    }
}

/// What `version` reports; the commit and target come from build.rs.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Version {
    name: &'static str,
    version: &'static str,
    git_commit: &'static str,
    target: &'static str,
}

const VERSION: Version = Version {
    name: "kubectl ambient-policy",
    version: env!("CARGO_PKG_VERSION"),
    git_commit: env!("AMBIENT_POLICY_GIT_COMMIT"),
    target: env!("AMBIENT_POLICY_TARGET"),
};

fn run_version(args: &VersionArgs, out: &mut dyn Write) -> Result<u8> {
    let v = &VERSION;
    let text = match args.output {
        None => format!(
            "{} {}\ngit commit: {}\nbuild target: {}\n",
            v.name, v.version, v.git_commit, v.target
        ),
        Some(VersionOutput::Json) => {
            serde_json::to_string_pretty(v).map_err(|e| Error::Input(e.to_string()))? + "\n"
        }
        Some(VersionOutput::Yaml) => {
            serde_saphyr::to_string(v).map_err(|e| Error::Input(e.to_string()))?
        }
    };
    write_out(out, &text)?;
    Ok(0)
}

fn run_completion(args: &CompletionArgs, out: &mut dyn Write) -> Result<u8> {
    use crate::completion::shell;
    if args.shell == CompletionShell::Install {
        let argv0 = std::env::args_os().next().unwrap_or_default();
        let msg = shell::install(args.dir.as_deref(), &argv0)?;
        write_out(out, &format!("{msg}\n"))?;
        return Ok(0);
    }
    if let Some(dir) = &args.dir {
        return Err(Error::Usage(format!(
            "unexpected argument {:?}: only `completion install` takes a directory",
            dir.display().to_string()
        )));
    }
    let script = shell::script(args.shell).unwrap_or_default();
    write_out(out, &script)?;
    Ok(0)
}

fn run_explain(args: &ExplainArgs, out: &mut dyn Write) -> Result<u8> {
    // Validate every flag before reading anything.
    let selector = args
        .selector
        .as_deref()
        .map(LabelSelector::parse)
        .transpose()
        .map_err(Error::Usage)?;
    let suppressions = args
        .suppress
        .iter()
        .map(|s| Suppression::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let features = parse_features(&args.features)?;
    let (mut snap, namespace) = if args.filenames.is_empty() {
        read_cluster(args)?
    } else {
        let namespace = if args.all_namespaces {
            None
        } else {
            Some(args.namespace.clone().unwrap_or_else(|| "default".into()))
        };
        let default_ns = namespace.clone().unwrap_or_else(|| "default".into());
        (
            crate::source::files::load(&args.filenames, &default_ns)?,
            namespace,
        )
    };
    apply_flags(&mut snap, args, features);

    let scope = Scope {
        namespace,
        selector,
    };
    let mut explanation = explain(&snap, &scope);
    explanation
        .findings
        .retain(|f| !suppressions.iter().any(|s| s.matches(f)));

    if args.output == Output::Json {
        // Streamed: the JSON of a big mesh is large.
        written(render::write_json(&explanation, out))?;
        return Ok(exit_code(args, &explanation));
    }
    let text = match args.output {
        Output::Json => unreachable!("streamed above"),
        Output::Yaml => render::yaml(&explanation).map_err(Error::Input)?,
        Output::Table | Output::Wide => render::table::render_width(
            &explanation,
            &render::table::Options {
                wide: args.output == Output::Wide,
                color: use_color(args.color),
            },
            render::table::terminal_width(),
        ),
    };
    write_out(out, &text)?;

    Ok(exit_code(args, &explanation))
}

/// 1 when a finding at or above `--fail-on` remains.
fn exit_code(args: &ExplainArgs, e: &crate::explain::report::Explanation) -> u8 {
    let threshold = args.fail_on.map(|f| match f {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    });
    u8::from(threshold.is_some_and(|t| e.findings.iter().any(|f| f.severity.at_least(t))))
}

/// The live source: connect through the kubeconfig, read, report what could not be read.
fn read_cluster(args: &ExplainArgs) -> Result<(Snapshot, Option<String>)> {
    use crate::source::cluster;
    let opts = cluster::Options {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        cluster: args.cluster.clone(),
        user: args.user.clone(),
        request_timeout: args.request_timeout,
        istio_namespace: args.istio_namespace.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the async runtime: {e}")))?;
    let overall = args.request_timeout * 6;
    rt.block_on(async {
        let conn = cluster::connect(&opts).await?;
        let namespace = if args.all_namespaces {
            None
        } else {
            Some(args.namespace.clone().unwrap_or_else(|| conn.default_namespace.clone()))
        };
        let read = cluster::load(&conn, namespace.as_deref(), args.root_namespace.as_deref(), &args.istio_namespace);
        // A progress line on a terminal, only for the human report and only when slow.
        let show = std::io::stderr().is_terminal() && matches!(args.output, Output::Table | Output::Wide);
        let progress = show.then(|| tokio::spawn(progress(conn.context.clone())));
        let result = tokio::time::timeout(overall, read).await;
        if let Some(p) = progress {
            p.abort();
            let _ = p.await;
            eprint!("\r\x1b[2K");
        }
        let snap = result.map_err(|_| {
            Error::Cluster(format!(
                "reading the cluster of context {:?} ({}) took longer than {}s; check the connection or raise --request-timeout",
                conn.context,
                conn.server,
                overall.as_secs()
            ))
        })??;
        // Partial access is normal: say once per kind what could not be read.
        let mut warned = std::collections::BTreeSet::new();
        for i in &snap.incomplete {
            if warned.insert(i.kind.clone()) {
                eprintln!("warning: could not read {}: {}", i.kind, i.reason);
            }
        }
        Ok((snap, namespace))
    })
}

/// Shows a spinner on stderr once reading takes longer than a moment; aborted when done.
async fn progress(context: String) {
    const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
    let start = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    for i in 0.. {
        eprint!(
            "\r{} reading the cluster of context {context:?}... {:.1}s",
            FRAMES[i % FRAMES.len()],
            start.elapsed().as_secs_f64()
        );
        let _ = std::io::stderr().flush();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn parse_features(raw: &[String]) -> Result<Vec<(String, bool)>> {
    raw.iter()
        .map(|f| {
            let (name, value) = f.split_once('=').ok_or_else(|| {
                Error::Usage(format!("invalid --feature {f:?}: want NAME=true|false"))
            })?;
            if !FEATURE_FLAGS.iter().any(|(k, _)| *k == name) {
                let known = FEATURE_FLAGS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Error::Usage(format!(
                    "unknown --feature {name:?}; known: {known}"
                )));
            }
            let v = parse_bool(value).ok_or_else(|| {
                Error::Usage(format!(
                    "invalid --feature {f:?}: {value:?} is not a boolean"
                ))
            })?;
            Ok((name.to_string(), v))
        })
        .collect()
}

/// Explicit flags beat whatever the input said.
fn apply_flags(snap: &mut Snapshot, args: &ExplainArgs, features: Vec<(String, bool)>) {
    let m = &mut snap.mesh;
    if let Some(r) = &args.root_namespace {
        m.root_namespace = Setting::new(r.clone(), FLAG);
    }
    if let Some(t) = &args.trust_domain {
        m.trust_domain = Setting::new(t.clone(), FLAG);
    }
    if let Some(ex) = &args.cni_exclude_namespaces {
        m.cni_exclude_namespaces = Setting::new(ex.clone(), FLAG);
    }
    for (k, v) in features {
        m.features.insert(k, Setting::new(v, FLAG));
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

fn write_out(out: &mut dyn Write, s: &str) -> Result<()> {
    written(out.write_all(s.as_bytes()).and_then(|_| out.flush()))
}

/// Broken pipe (`| head`) is a normal way for a reader to stop: not an error.
fn written(r: std::io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Input(format!("cannot write output: {e}")))
        }
        _ => Ok(()),
    }
}
