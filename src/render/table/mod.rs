//! The human report: assumptions, waypoints and bindings, workloads, per-policy enforcement,
//! paths and findings, one module per section. Fits the terminal's width (100 columns by
//! default) without ever splitting a word (`layout`); colour only marks what needs attention
//! (`style`).

mod assumptions;
mod bindings;
mod findings;
mod paths;
mod policies;
mod waypoints;
mod workloads;

use super::style::Paint;
use crate::explain::report::Explanation;
use std::fmt::Write;

pub use findings::{Listing, PER_CODE, SCREENFUL};
pub use paths::Source as PathSource;
pub use workloads::Source as WorkloadSource;

// Where callers found them before the layout had its own module.
pub use super::layout::{terminal_width, wrap, WIDTH};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub wide: bool,
    pub color: bool,
    /// How many findings `--suppress` silenced (`None`: no --suppress given).
    pub suppressed: Option<usize>,
    /// How many findings `--only` left out (`None`: no --only given).
    pub not_only: Option<usize>,
    /// `--findings`.
    pub findings: Listing,
}

/// The report at 100 columns.
pub fn render(e: &Explanation, o: &Options) -> String {
    render_width(e, o, WIDTH)
}

/// The report for a terminal `width` columns wide.
pub fn render_width(e: &Explanation, o: &Options, width: usize) -> String {
    render_with(&e.head(), &e.workloads, &e.paths, o, width)
}

/// The report for a terminal `width` columns wide, its workloads and paths drawn from
/// `workloads` and `paths` (held, or built as they are drawn: never held whole).
pub fn render_with(
    e: &Explanation<(), ()>,
    workloads: &dyn WorkloadSource,
    paths: &dyn PathSource,
    o: &Options,
    width: usize,
) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and what is written is text.
    let _ = write_with(e, workloads, paths, o, width, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes the report as `render_with` draws it, section by section: a big mesh's report
/// is never held whole (issue 16). What is held: the WORKLOADS and BINDINGS cells, built
/// before the first section (compactly, `layout::Cells`), and the largest section's text.
pub fn write_with<W: std::io::Write + ?Sized>(
    e: &Explanation<(), ()>,
    workloads: &dyn WorkloadSource,
    paths: &dyn PathSource,
    o: &Options,
    width: usize,
    w: &mut W,
) -> std::io::Result<()> {
    let width = width.max(super::layout::MIN_WIDTH);
    let p = Paint::new(o.color);
    let mut out = String::new();
    let scope = match &e.namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "all namespaces".to_string(),
    };
    let _ = writeln!(
        out,
        "{}",
        p.heading(&format!("Ambient policy enforcement for {scope}"))
    );
    let _ = writeln!(out);
    let sections: [Section; 8] = [
        findings::summary_first,
        assumptions::section,
        waypoints::section,
        bindings::section,
        workloads::section,
        policies::section,
        paths::section,
        findings::section,
    ];
    let page = Page {
        e,
        workloads: workloads.rows(o.wide, p),
        paths,
        o,
        p,
        width,
    };
    for section in sections {
        section(&mut out, &page);
        w.write_all(out.as_bytes())?;
        out.clear();
    }
    Ok(())
}

/// What every section is drawn with.
pub struct Page<'a> {
    e: &'a Explanation<(), ()>,
    workloads: workloads::Rows,
    paths: &'a dyn PathSource,
    o: &'a Options,
    p: Paint,
    width: usize,
}

/// A section appends its heading, its body and the blank line after it.
type Section = fn(&mut String, &Page);

/// "1 policy", "2 policies", "0 policies".
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// istiod's conditions, compactly: a True condition by its type alone, another as
/// `Type: Reason` (`Type: Status` without a reason): `Accepted: Pending, Programmed`; `-`
/// for none. Each condition is glued into one word, so that a narrow column wraps between
/// conditions, never inside one.
fn conditions_text(conds: &[crate::model::Condition]) -> String {
    if conds.is_empty() {
        return "-".into();
    }
    conds
        .iter()
        .map(|c| {
            let t = c.type_.rsplit('/').next().unwrap_or(&c.type_);
            match (c.status.as_str(), c.reason.as_str()) {
                ("True", _) => t.to_string(),
                (status, "") => format!("{t}:{}{status}", super::layout::GLUE),
                (_, reason) => format!("{t}:{}{reason}", super::layout::GLUE),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_compactly() {
        let c = |t: &str, s: &str, r: &str| crate::model::Condition {
            type_: t.into(),
            status: s.into(),
            reason: r.into(),
            ..Default::default()
        };
        #[rustfmt::skip]
        let cases = [
            (vec![], "-"),
            (vec![c("Accepted", "Unknown", "Pending")], "Accepted: Pending"),
            (vec![c("Accepted", "True", "Accepted"), c("Programmed", "False", "")], "Accepted, Programmed: False"),
            (vec![c("Programmed", "Unknown", "")], "Programmed: Unknown"),
            (vec![c("istio.io/WaypointBound", "False", "AncestorNotBound")], "WaypointBound: AncestorNotBound"),
        ];
        for (conds, want) in cases {
            assert_eq!(
                conditions_text(&conds).replace(super::super::layout::GLUE, " "),
                want
            );
        }
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(counted(1, "policy", "policies"), "1 policy");
        assert_eq!(counted(0, "policy", "policies"), "0 policies");
        assert_eq!(counted(2, "finding", "findings"), "2 findings");
    }
}
