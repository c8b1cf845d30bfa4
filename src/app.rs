//! Runs a parsed command: input validation, source, analysis, rendering, exit code.

use crate::cli::{
    CheckArgs, CheckOutput, ColorChoice, Command, CompletionArgs, CompletionShell, ExplainArgs,
    ExplainOutput, FailOn, FindingsView, ReportArgs, VersionArgs, VersionOutput,
};
use crate::error::{Error, Result};
use crate::explain::{explain_then, Scope};
use crate::findings::{Filter, Pattern, Severity};
use crate::render;
use crate::selector::LabelSelector;
use input::Input;
use std::io::Write;

mod diff;
mod input;
mod scope;
mod verify;

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
        Command::Verify(args) => verify::run(&args, out),
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
    let (selector, filter) = report_flags(&args.report)?;
    let input = Input::new(&args.input)?;
    let for_humans = matches!(args.output, ExplainOutput::Table | ExplainOutput::Wide);
    let (snap, namespace) = input.read(for_humans)?;

    let whole_input = input.whole_input();
    let scope = if whole_input {
        scope::whole(selector.clone())
    } else {
        Scope {
            namespace,
            selector: selector.clone(),
        }
    };
    let done = explain_then(&snap, &scope, |report, late| {
        // Manifests over one namespace (and the root's): the report may be that
        // namespace's, as with -n; deciding it needs the whole report held.
        let root = snap.mesh.root();
        if whole_input && !scope::spans_namespaces(&report, late.workloads.namespaces(), root) {
            return Err(Box::new(late.held(report)));
        }
        Ok(match args.output {
            // Paths and workloads written as they are built, or not at all: never held whole.
            ExplainOutput::Json | ExplainOutput::Sarif | ExplainOutput::Github => {
                let split = crate::parallel::Split::for_machine(render::sections::PER_PIECE);
                let (workloads, paths) = (&late.workloads, &late.paths);
                let json = |e: &_, out: &mut dyn Write| {
                    render::report_json::write(e, workloads, paths, split, out)
                };
                streamed_out(args, &filter, report, json, &snap, out)
            }
            // Paths and workloads drawn as they are built, never held whole.
            ExplainOutput::Table | ExplainOutput::Wide => {
                table_out(args, &filter, report, &late.workloads, &late.paths, out)
            }
            _ => report_out(args, &filter, late.held(report), &snap, out),
        })
    });
    let code = match done {
        Ok(code) => code,
        // Compared with its namespace's once the whole input's Mesh is gone: two are
        // never held at once.
        Err(whole) => {
            let [report] = scope::narrow([&snap], [*whole], selector);
            report_out(args, &filter, report, &snap, out)
        }
    };
    // The process ends with this command: freeing the input's objects one by one would be
    // 5-6% of a big mesh's run, for memory the exit returns anyway.
    std::mem::forget(snap);
    code
}

/// The outputs that never hold the paths whole: JSON writes them as they come, SARIF and
/// GitHub annotations show findings only. Applies `--only` and `--suppress`.
/// `json` writes the report as JSON: whole, or with its paths and workloads built as they
/// are written.
fn streamed_out<P, W>(
    args: &ExplainArgs,
    filter: &Filter,
    mut explanation: crate::explain::report::Explanation<P, W>,
    json: impl FnOnce(&crate::explain::report::Explanation<P, W>, &mut dyn Write) -> std::io::Result<()>,
    snap: &crate::snapshot::Snapshot,
    out: &mut dyn Write,
) -> Result<u8> {
    // --only and --suppress apply to every output and to --fail-on alike.
    explanation.filter_findings(filter);
    let origins = || render::origins::Origins::of(snap);
    match args.output {
        ExplainOutput::Sarif => {
            written(render::sarif::write(&explanation.findings, &origins(), out))?
        }
        ExplainOutput::Github => write_out(
            out,
            &render::github::render(&explanation.findings, &origins()),
        )?,
        // Streamed: the JSON of a big mesh is large (64 KiB buffered at a time).
        _ => written(json(&explanation, out))?,
    }
    let code = exit_code(&args.report, &explanation.findings);
    // As for the input: the exit frees the report at once.
    std::mem::forget(explanation);
    Ok(code)
}

/// Every output of a report whose paths are held.
fn report_out(
    args: &ExplainArgs,
    filter: &Filter,
    mut explanation: crate::explain::report::Explanation,
    snap: &crate::snapshot::Snapshot,
    out: &mut dyn Write,
) -> Result<u8> {
    if matches!(
        args.output,
        ExplainOutput::Json | ExplainOutput::Sarif | ExplainOutput::Github
    ) {
        let json = |e: &_, out: &mut dyn Write| render::write_json(e, out);
        return streamed_out(args, filter, explanation, json, snap, out);
    }
    if matches!(args.output, ExplainOutput::Table | ExplainOutput::Wide) {
        let (paths, workloads) = (
            std::mem::take(&mut explanation.paths),
            std::mem::take(&mut explanation.workloads),
        );
        let head = explanation.with((), ());
        let code = table_out(args, filter, head, &workloads, &paths, out);
        // As for the rest of the report: the exit frees them at once.
        std::mem::forget((paths, workloads));
        return code;
    }
    // --only and --suppress apply to every output and to --fail-on alike.
    explanation.filter_findings(filter);
    let text = match args.output {
        ExplainOutput::Yaml => render::yaml(&explanation).map_err(Error::Input)?,
        ExplainOutput::Mermaid => {
            render::diagram::explain(&explanation, render::diagram::Format::Mermaid)
        }
        // Dot: every other output returned above.
        _ => render::diagram::explain(&explanation, render::diagram::Format::Dot),
    };
    write_out(out, &text)?;
    let code = exit_code(&args.report, &explanation.findings);
    std::mem::forget(explanation);
    Ok(code)
}

/// The human report (`table`, `wide`), its workloads and paths drawn from `workloads` and
/// `paths`: held, or built as they are drawn.
fn table_out(
    args: &ExplainArgs,
    filter: &Filter,
    mut explanation: crate::explain::report::Explanation<(), ()>,
    workloads: &dyn render::table::WorkloadSource,
    paths: &dyn render::table::PathSource,
    out: &mut dyn Write,
) -> Result<u8> {
    // --only and --suppress apply to every output and to --fail-on alike.
    let gone = explanation.filter_findings(filter);
    let options = render::table::Options {
        wide: args.output == ExplainOutput::Wide,
        color: use_color(args.report.color),
        suppressed: (!filter.suppress.is_empty()).then_some(gone.suppressed),
        not_only: (!filter.only.is_empty()).then_some(gone.not_only),
        findings: listing(&args.report),
    };
    let width = render::layout::terminal_width();
    written(
        render::table::write_with(&explanation, workloads, paths, &options, width, out)
            .and_then(|()| out.flush()),
    )?;
    let code = exit_code(&args.report, &explanation.findings);
    std::mem::forget(explanation);
    Ok(code)
}

/// `check`: the same input as `explain`, then one request (or the matrix) evaluated.
/// Exit 0 allowed, 1 denied, 4 unknown; the matrix exits 0.
fn run_check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8> {
    use crate::check::{self, Answer, Ask};
    let one_request = args.from.is_some() && args.to.is_some();
    let mut input_args = args.input.clone();
    if one_request && !input_args.offline() {
        // Both ends, ingress gateways and waypoints can live anywhere: read every namespace.
        input_args.all_namespaces = true;
        input_args.namespace = None;
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
        namespace: args.input.namespace.clone(),
        pod_ip: args.pod_ip,
    };
    // Validate every flag before reading anything.
    check::validate(&ask)?;
    let input = Input::new(&input_args)?;
    if args.from_dataplane && input_args.offline() {
        return Err(Error::Usage(
            "--from-dataplane reads a ztunnel of the cluster: with -f or -k, give its dump with --ztunnel-dump FILE".into(),
        ));
    }
    let mut dump = match &args.ztunnel_dump {
        Some(f) => {
            let text = crate::source::files::read_text(f)?;
            Some(crate::dataplane::dump::parse(f, &text).map_err(Error::Input)?)
        }
        None => None,
    };
    let (snap, namespace) = input.read(args.output == CheckOutput::Table)?;
    if args.from_dataplane {
        dump = Some(verify::first_dump(&input_args)?);
    }
    // NAME-only forms use the given (or the context's) namespace; `-A` widens only the matrix.
    ask.namespace = if one_request {
        Some(
            namespace
                .or_else(|| args.input.namespace.clone())
                .unwrap_or_else(|| "default".into()),
        )
    } else {
        namespace
    };
    let color = use_color(args.color);
    let answer = match dump {
        Some(d) => {
            if d.policies.is_none() {
                return Err(Error::Input(format!(
                    "{}: this form of the dump holds no policies; give `istioctl ztunnel-config all -o json` (or `policy -o json`)",
                    d.source
                )));
            }
            check::run_on_dataplane(&snap, &ask, crate::dataplane::held(&d))?
        }
        None => check::run(&snap, &ask)?,
    };
    let (text, code) = match answer {
        Answer::One(r) => {
            let code = r.verdict.exit_code();
            let text = match args.output {
                CheckOutput::Table => render::check::render(&r, color),
                CheckOutput::Json => to_json(&r)?,
                CheckOutput::Yaml => serde_saphyr::to_string(&r)
                    .map_err(|e| Error::Input(format!("cannot render YAML: {e}")))?,
                CheckOutput::Mermaid => {
                    render::diagram::check(&r, render::diagram::Format::Mermaid)
                }
                CheckOutput::Dot => render::diagram::check(&r, render::diagram::Format::Dot),
            };
            (text, code)
        }
        Answer::Matrix(m) => {
            let text = match args.output {
                CheckOutput::Json => to_json(&m)?,
                CheckOutput::Yaml => serde_saphyr::to_string(&m)
                    .map_err(|e| Error::Input(format!("cannot render YAML: {e}")))?,
                CheckOutput::Mermaid | CheckOutput::Dot => {
                    return Err(Error::Usage(
                        "diagrams need one request: give both --from and --to".into(),
                    ))
                }
                CheckOutput::Table => render::check::render_matrix(&m, color),
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

/// The report flags of explain (and diff): `-l`, and `--only` and `--suppress` as one
/// filter, parsed.
fn report_flags(args: &ReportArgs) -> Result<(Option<LabelSelector>, Filter)> {
    let selector = args
        .selector
        .as_deref()
        .map(LabelSelector::parse)
        .transpose()
        .map_err(Error::Usage)?;
    Ok((selector, filter(&args.only, &args.suppress)?))
}

/// `--only` and `--suppress`, parsed into one filter.
fn filter(only: &[String], suppress: &[String]) -> Result<Filter> {
    let patterns = |flag: &str, values: &[String]| {
        values
            .iter()
            .map(|s| Pattern::parse_for(flag, s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Usage)
    };
    Ok(Filter {
        only: patterns("--only", only)?,
        suppress: patterns("--suppress", suppress)?,
    })
}

/// `--findings`, for the table (explain's and diff's).
fn listing(args: &ReportArgs) -> render::table::Listing {
    use render::table::Listing;
    match args.findings {
        None => Listing::Auto,
        Some(FindingsView::Summary) => Listing::Summary,
        Some(FindingsView::All) => Listing::All,
        Some(FindingsView::None) => Listing::None,
    }
}

fn severity(f: FailOn) -> Severity {
    match f {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    }
}

/// 1 when a finding at or above `--fail-on` remains.
fn exit_code(args: &ReportArgs, findings: &[crate::findings::Finding]) -> u8 {
    let threshold = args.fail_on.map(severity);
    u8::from(threshold.is_some_and(|t| findings.iter().any(|f| f.severity.at_least(t))))
}

/// `--color`, decided by the one rule of `render::style`.
fn use_color(choice: ColorChoice) -> bool {
    use render::style::{enabled, When};
    enabled(match choice {
        ColorChoice::Auto => When::Auto,
        ColorChoice::Always => When::Always,
        ColorChoice::Never => When::Never,
    })
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
