//! Runs a parsed command: input validation, source, analysis, rendering, exit code.

use crate::cli::{
    CheckArgs, ColorChoice, Command, CompletionArgs, CompletionShell, ExplainArgs, FailOn, Output,
    VersionArgs, VersionOutput,
};
use crate::error::{Error, Result};
use crate::explain::{explain, Scope};
use crate::findings::{Severity, Suppression};
use crate::render;
use crate::selector::LabelSelector;
use crate::snapshot::{parse_bool, Setting, Snapshot, FEATURE_FLAGS};
use std::io::{IsTerminal, Write};

mod diff;

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
        Command::Diff(args) => diff::run(&args, out),
        Command::Check(args) => run_check(&args, out),
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
    let namespace_labels = args
        .namespace_labels
        .iter()
        .map(|s| crate::snapshot::parse_namespace_labels(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let (mut snap, namespace) = if args.filenames.is_empty() && args.kustomize.is_empty() {
        read_cluster(args)?
    } else {
        let namespace = if args.all_namespaces {
            None
        } else {
            Some(args.namespace.clone().unwrap_or_else(|| "default".into()))
        };
        let default_ns = namespace.clone().unwrap_or_else(|| "default".into());
        (
            crate::source::files::load_inputs(
                &args.filenames,
                &args.kustomize,
                &default_ns,
                &args.istio_namespace,
            )?,
            namespace,
        )
    };
    apply_flags(&mut snap, args, features);
    for (ns, labels) in namespace_labels {
        snap.set_namespace_labels(&ns, labels);
    }

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
        Output::Sarif => {
            render::sarif::render(&explanation.findings, &render::origins::Origins::of(&snap))
        }
        Output::Github => {
            render::github::render(&explanation.findings, &render::origins::Origins::of(&snap))
        }
        Output::Mermaid => render::diagram::explain(&explanation, render::diagram::Format::Mermaid),
        Output::Dot => render::diagram::explain(&explanation, render::diagram::Format::Dot),
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

/// `check`: the same input as `explain`, then one request (or the matrix) evaluated.
/// Exit 0 allowed, 1 denied, 4 unknown; the matrix exits 0.
fn run_check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8> {
    use crate::check::{self, Answer, Ask};
    let mut input = args.input_args();
    let one_request = args.from.is_some() && args.to.is_some();
    if one_request && args.filenames.is_empty() {
        // Both ends, ingress gateways and waypoints can live anywhere: read every namespace.
        input.all_namespaces = true;
        input.namespace = None;
    }
    let mut ask = Ask {
        from: args.from.clone(),
        to: args.to.clone(),
        port: args.port,
        method: args.method.clone(),
        path: args.path.clone(),
        headers: args.headers.clone(),
        request_principal: args.request_principal.clone(),
        plaintext: args.plaintext,
        source_ip: args.source_ip.clone(),
        namespace: args.namespace.clone(),
        pod_ip: args.pod_ip,
    };
    // Validate every flag before reading anything.
    check::validate(&ask)?;
    let features = parse_features(&args.features)?;
    let (mut snap, namespace) = if args.filenames.is_empty() {
        read_cluster(&input)?
    } else {
        let namespace = (!args.all_namespaces)
            .then(|| args.namespace.clone().unwrap_or_else(|| "default".into()));
        let default_ns = namespace.clone().unwrap_or_else(|| "default".into());
        (
            crate::source::files::load(&args.filenames, &default_ns)?,
            namespace,
        )
    };
    apply_flags(&mut snap, &input, features);
    // NAME-only forms use the given (or the context's) namespace; `-A` widens only the matrix.
    ask.namespace = if one_request {
        Some(
            namespace
                .or_else(|| args.namespace.clone())
                .unwrap_or_else(|| "default".into()),
        )
    } else {
        namespace
    };
    let color = use_color(args.color);
    let (text, code) = match check::run(&snap, &ask)? {
        Answer::One(r) => {
            let code = r.verdict.exit_code();
            let text = match args.output {
                Output::Table | Output::Wide => render::check::render(&r, color),
                Output::Json => to_json(&r)?,
                Output::Yaml => serde_saphyr::to_string(&r)
                    .map_err(|e| Error::Input(format!("cannot render YAML: {e}")))?,
                Output::Mermaid => render::diagram::check(&r, render::diagram::Format::Mermaid),
                Output::Dot => render::diagram::check(&r, render::diagram::Format::Dot),
                Output::Sarif | Output::Github => return Err(sarif_is_for_findings()),
            };
            (text, code)
        }
        Answer::Matrix(m) => {
            let text = match args.output {
                Output::Json => to_json(&m)?,
                Output::Yaml => serde_saphyr::to_string(&m)
                    .map_err(|e| Error::Input(format!("cannot render YAML: {e}")))?,
                Output::Mermaid | Output::Dot => {
                    return Err(Error::Usage(
                        "diagrams need one request: give both --from and --to".into(),
                    ))
                }
                Output::Table | Output::Wide => render::check::render_matrix(&m, color),
                Output::Sarif | Output::Github => return Err(sarif_is_for_findings()),
            };
            (text, check::matrix::exit_code(&m))
        }
    };
    write_out(out, &text)?;
    Ok(code)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(v)
        .map_err(|e| Error::Input(format!("cannot render JSON: {e}")))?;
    s.push('\n');
    Ok(s)
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
        verbose: args.verbose,
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

/// SARIF and annotations report findings; check reports a verdict.
fn sarif_is_for_findings() -> Error {
    Error::Usage("check has no sarif or github output: use -o table|json|yaml|mermaid|dot".into())
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
