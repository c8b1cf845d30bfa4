//! `diff`: the explain pipeline run twice (source -> Snapshot -> explain), before and after
//! the change, then compared by `crate::diff`, which does not know where either side came
//! from. Before: `--base` manifests, or the cluster. After: `-f` manifests, or the cluster
//! with them applied and `--delete` objects removed.

use super::{apply_flags, parse_features, read_cluster, use_color, write_out};
use crate::cli::{DiffArgs, FailOn, Output};
use crate::error::{Error, Result};
use crate::explain::report::Explanation;
use crate::explain::{explain, Scope};
use crate::findings::{Severity, Suppression};
use crate::overlay::ObjectRef;
use crate::render::{self, origins::Origins};
use crate::selector::LabelSelector;
use crate::snapshot::Snapshot;
use crate::source::files;
use std::io::Write;

pub(super) fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<u8> {
    let e = &args.explain;
    // Validate every flag before reading anything.
    let selector = e
        .selector
        .as_deref()
        .map(LabelSelector::parse)
        .transpose()
        .map_err(Error::Usage)?;
    let suppressions = e
        .suppress
        .iter()
        .map(|s| Suppression::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let features = parse_features(&e.features)?;
    let namespace_labels = e
        .namespace_labels
        .iter()
        .map(|s| crate::snapshot::parse_namespace_labels(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let deletes = args
        .delete
        .iter()
        .map(|d| ObjectRef::parse(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    if e.filenames.is_empty() && (deletes.is_empty() || !args.base.is_empty()) {
        return Err(Error::Usage(
            "diff needs the proposed manifests: -f FILE|DIR (against --base or the cluster), or --delete KIND/NS/NAME".into(),
        ));
    }

    if args.base.iter().any(|b| b == "-") && e.filenames.iter().any(|f| f == "-") {
        return Err(Error::Usage(
            "stdin (-) can be read once: use it for --base or for -f, not both".into(),
        ));
    }

    let (mut before, mut after, namespace) = if args.base.is_empty() {
        let (live, namespace) = read_cluster(e)?;
        // As `kubectl apply`: objects without a namespace land in the one explained.
        let default_ns = namespace.clone().unwrap_or_else(|| "default".into());
        let mut after = live.clone();
        if !e.filenames.is_empty() {
            after.overlay(files::load_inputs(
                &e.filenames,
                &[],
                &default_ns,
                &e.istio_namespace,
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
        let namespace = if e.all_namespaces {
            None
        } else {
            Some(e.namespace.clone().unwrap_or_else(|| "default".into()))
        };
        let default_ns = namespace.clone().unwrap_or_else(|| "default".into());
        let load = |f: &[String]| files::load_inputs(f, &[], &default_ns, &e.istio_namespace);
        (load(&args.base)?, load(&e.filenames)?, namespace)
    };
    apply_flags(&mut before, e, features.clone());
    apply_flags(&mut after, e, features);
    // The same namespaces on both sides, so that only the change differs.
    for (ns, labels) in namespace_labels {
        before.set_namespace_labels(&ns, labels.clone());
        after.set_namespace_labels(&ns, labels);
    }

    let scope = Scope {
        namespace,
        selector,
    };
    let side = |snap: &Snapshot| -> Explanation {
        let mut x = explain(snap, &scope);
        x.findings
            .retain(|f| !suppressions.iter().any(|s| s.matches(f)));
        x
    };
    let d = crate::diff::diff(&side(&before), &side(&after));

    let text = match e.output {
        Output::Json => render::diff::json(&d),
        Output::Yaml => render::diff::yaml(&d).map_err(Error::Input)?,
        Output::Table | Output::Wide => render::diff::render(
            &d,
            &render::diff::Options {
                wide: e.output == Output::Wide,
                color: use_color(e.color),
            },
        ),
        // Code scanning and annotations: what the change introduces, where it was written.
        Output::Sarif => render::sarif::render(&d.findings.introduced, &Origins::of(&after)),
        Output::Github => render::github::render(&d.findings.introduced, &Origins::of(&after)),
        Output::Mermaid | Output::Dot => {
            return Err(Error::Usage(
                "diff has no diagram output: use explain or check with -o mermaid|dot".into(),
            ))
        }
    };
    write_out(out, &text)?;

    // As `kubectl diff`: 1 when anything differs; with --fail-on, only when the change
    // introduces a finding at or above it (pre-existing and resolved ones never count).
    Ok(match e.fail_on {
        Some(f) => u8::from(d.introduces(severity(f))),
        None => u8::from(d.differs()),
    })
}

fn severity(f: FailOn) -> Severity {
    match f {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    }
}
