//! `diff`: the explain pipeline run twice (source -> Snapshot -> explain), before and after
//! the change, then compared by `crate::diff`, which does not know where either side came
//! from. Before: `--base` manifests, or the cluster. After: `-f` manifests, or the cluster
//! with them applied and `--delete` objects removed.

use super::input::Input;
use super::{report_flags, severity, use_color, write_out};
use crate::cli::{DiffArgs, DiffOutput};
use crate::error::{Error, Result};
use crate::explain::report::Explanation;
use crate::explain::{explain, Scope};
use crate::overlay::ObjectRef;
use crate::render::{self, origins::Origins};
use crate::snapshot::Setting;
use std::io::Write;

pub(super) fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<u8> {
    // Validate every flag before reading anything.
    let (selector, filter) = report_flags(&args.report)?;
    let input = Input::new(&args.input)?;
    let deletes = args
        .delete
        .iter()
        .map(|d| ObjectRef::parse(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let proposed = &args.input;
    // Against the cluster, a version change alone is a change: an upgrade preview.
    let upgrade = args.base_istio_version.is_some() || args.base_ztunnel_version.is_some();
    if !proposed.offline() && ((deletes.is_empty() && !upgrade) || !args.base.is_empty()) {
        return Err(Error::Usage(
            "diff needs the proposed manifests: -f FILE|DIR or -k DIR (against --base or the cluster), --delete KIND/NS/NAME, or --base-istio-version to preview an upgrade".into(),
        ));
    }

    if args.base.iter().any(|b| b == "-") && proposed.filenames.iter().any(|f| f == "-") {
        return Err(Error::Usage(
            "stdin (-) can be read once: use it for --base or for -f, not both".into(),
        ));
    }

    let (mut before, mut after, namespace) = if args.base.is_empty() {
        let (live, namespace) = input
            .cluster(matches!(args.output, DiffOutput::Table | DiffOutput::Wide))
            .map_err(offline_hint)?;
        let mut after = live.clone();
        if proposed.offline() {
            after.overlay(input.manifests(
                &proposed.filenames,
                &proposed.kustomize,
                namespace.as_deref(),
            )?);
        }
        for d in &deletes {
            if !after.delete(d) {
                return Err(Error::Usage(format!(
                    "--delete {d}: no such object in what was read from the cluster"
                )));
            }
        }
        (live, after, namespace)
    } else {
        let namespace = input.offline_namespace();
        (
            input.manifests(&args.base, &[], namespace.as_deref())?,
            input.manifests(
                &proposed.filenames,
                &proposed.kustomize,
                namespace.as_deref(),
            )?,
            namespace,
        )
    };
    // The flags beat both sides' input alike; the base side's versions may differ.
    input.settle(&mut before);
    input.settle(&mut after);
    let m = &mut before.mesh;
    if let Some(v) = &args.base_istio_version {
        m.istio_version = Some(Setting::new(v.clone(), "--base-istio-version"));
    }
    if let Some(v) = &args.base_ztunnel_version {
        m.ztunnel_version = Some(Setting::new(v.clone(), "--base-ztunnel-version"));
    }

    // Offline, both sides cover the input's namespaces; against the cluster, the context's
    // namespace (kubectl's rule), whatever namespaces the -f objects name.
    let offline = !args.base.is_empty();
    let [mut was, mut will]: [Explanation; 2] = if offline && input.whole_input() {
        super::scope::explain_input([&before, &after], selector)
    } else {
        let scope = Scope {
            namespace,
            selector,
        };
        [explain(&before, &scope), explain(&after, &scope)]
    };
    for x in [&mut was, &mut will] {
        x.filter_findings(&filter);
    }
    let d = crate::diff::diff(&was, &will);

    let text = match args.output {
        DiffOutput::Json => render::diff::json(&d),
        DiffOutput::Yaml => render::diff::yaml(&d).map_err(Error::Input)?,
        DiffOutput::Table | DiffOutput::Wide => render::diff::render(
            &d,
            &render::diff::Options {
                wide: args.output == DiffOutput::Wide,
                color: use_color(args.report.color),
                findings: super::listing(&args.report),
            },
        ),
        // Code scanning and annotations: what the change introduces, where it was written.
        DiffOutput::Sarif => render::sarif::render(&d.findings.introduced, &Origins::of(&after)),
        DiffOutput::Github => render::github::render(&d.findings.introduced, &Origins::of(&after)),
    };
    write_out(out, &text)?;

    // As `kubectl diff`: 1 when anything differs; with --fail-on, only when the change
    // introduces a finding at or above it (pre-existing and resolved ones never count).
    Ok(match args.report.fail_on {
        Some(f) => u8::from(d.introduces(severity(f))),
        None => u8::from(d.differs()),
    })
}

/// The cluster side could not be read: for diff the way out is the offline comparison
/// (`--base`), not explain's `-f` the reader suggests (diff already has -f).
fn offline_hint(e: Error) -> Error {
    match e {
        Error::Cluster(msg) => {
            let msg = msg
                .strip_suffix("; use -f FILE to explain manifests")
                .unwrap_or(&msg);
            Error::Cluster(format!(
                "{msg}; to diff without a cluster, give the current manifests with --base DIR"
            ))
        }
        e => e,
    }
}
