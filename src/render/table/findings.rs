//! FINDINGS: above a screenful (or with `--findings summary`) a summary first, per code and,
//! across namespaces, per namespace; then the detail by severity, code and resource, each
//! with its message and fix, the same finding on several resources once; then the count
//! line. The summary lists only the first few entries of each code and says how to see
//! every one.

use super::{counted, Page};
use crate::findings::{group, CodeSummary, Group, NamespaceCount, Severity};
use crate::render::findings::{kinds_text, per_code, subject, without_kind, FOLD_NAMES};
use crate::render::layout::{pad, wrap};
use crate::render::style::Paint;
use std::fmt::Write;

/// Above this many findings, the table opens with the summary and lists only the first
/// few of each code, unless `--findings all`: about what a terminal shows at once.
pub const SCREENFUL: usize = 50;
/// Entries (a finding, or the same finding on several resources) of each code that the
/// summary's detail lists.
pub const PER_CODE: usize = 3;
/// Namespaces the summary lists, worst first, before the rest are counted on one line.
const NAMESPACES: usize = 10;

/// `--findings`: how much of the findings the table lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Listing {
    /// `Summary` above `SCREENFUL` findings, else `All`.
    #[default]
    Auto,
    Summary,
    All,
    None,
}

impl Listing {
    fn resolve(self, findings: usize) -> Listing {
        match self {
            Listing::Auto if findings > SCREENFUL => Listing::Summary,
            Listing::Auto => Listing::All,
            l => l,
        }
    }
}

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { e, o, p, width, .. } = *page;
    let _ = writeln!(out, "{}", p.heading("FINDINGS"));
    let listing = o.findings.resolve(e.findings.len());
    let summarised = !e.findings.is_empty()
        && (listing == Listing::Summary
            || (listing == Listing::All && e.findings.len() > SCREENFUL));
    if e.findings.is_empty() {
        let _ = writeln!(out, "{}", p.good("no findings"));
    } else if listing == Listing::None {
        let _ = writeln!(
            out,
            "{}",
            p.dim("not listed (--findings none; --findings all lists them)")
        );
    } else {
        let groups = group(&e.findings);
        if summarised {
            // In summary mode the summary opens the report (`top`); with --findings all
            // it heads the full list here.
            if listing == Listing::Summary {
                let _ = writeln!(out, "{}", p.dim("(the summary by code opens the report)"));
            } else {
                summary(out, page, false);
            }
            let lead = if folds(listing, &groups) {
                format!(
                    "The first {PER_CODE} of each code (--findings all lists all {}, -o json gives them to scripts):",
                    e.findings.len()
                )
            } else {
                "Every finding, by severity, code and resource:".to_string()
            };
            for line in wrap(&lead, width) {
                let _ = writeln!(out, "{line}");
            }
        }
        let fold = (listing == Listing::Summary).then_some(FOLD_NAMES);
        detail(out, &p, width, &groups, fold);
    }
    let count = |s: Severity| e.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(out);
    // Said even when 0: a --suppress or --only that matches nothing is worth seeing.
    let mut left_out = Vec::new();
    if let Some(n) = o.suppressed {
        left_out.push(format!("{n} suppressed"));
    }
    if let Some(n) = o.not_only {
        left_out.push(format!("{n} left out by --only"));
    }
    let left_out = if left_out.is_empty() {
        String::new()
    } else {
        format!(" ({})", left_out.join(", "))
    };
    if folds(listing, &group(&e.findings)) {
        let hint = "The summary by code opens the report; --findings all lists every finding.";
        for line in wrap(hint, width) {
            let _ = writeln!(out, "{}", p.dim(&line));
        }
    }
    let _ = writeln!(
        out,
        "{}, {}, {}: {}, {}, {} info{left_out}",
        counted(e.policies.len(), "policy", "policies"),
        counted(page.workloads.count, "workload", "workloads"),
        counted(e.findings.len(), "finding", "findings"),
        counted(count(Severity::Error), "error", "errors"),
        counted(count(Severity::Warning), "warning", "warnings"),
        count(Severity::Info)
    );
}

/// Above a screenful of findings (or with `--findings summary`), their summary opens the
/// report, so that the first screen says what is wrong and where; the detail stays last.
pub(super) fn summary_first(out: &mut String, page: &Page) {
    let Page { e, o, p, .. } = *page;
    if e.findings.is_empty() || o.findings.resolve(e.findings.len()) != Listing::Summary {
        return;
    }
    let _ = writeln!(out, "{}", p.heading("FINDINGS SUMMARY"));
    // It ends with its blank line, as every section does.
    summary(out, page, true);
}

/// Whether the detail leaves something out: in summary, entries past the first few of a
/// code, or names past the first few of an entry.
fn folds(listing: Listing, groups: &[Group]) -> bool {
    listing == Listing::Summary
        && (per_code(groups).any(|run| run.len() > PER_CODE)
            || groups.iter().any(|g| g.len() > FOLD_NAMES + 1))
}

/// Per code (severity, count, resources, title, the resources with the most), then per
/// namespace when the report spans several.
fn summary(out: &mut String, page: &Page, fold: bool) {
    let Page { e, p, width, .. } = *page;
    let _ = writeln!(
        out,
        "{} by code:",
        counted(e.findings.len(), "finding", "findings")
    );
    // `WARNING  AMB001  `: what follows is indented under the counts.
    let indent = 17;
    let room = width.saturating_sub(indent).max(20);
    for c in &e.summary {
        let head = format!("{} {}  ", pad(&p.severity(c.severity), 8), c.code);
        let lines = wrap(&on_what(c), room)
            .into_iter()
            .chain(wrap(&c.title, room))
            .chain(wrap(&top(c), room).into_iter().map(|l| p.dim(&l)));
        for (i, line) in lines.enumerate() {
            let lead = if i == 0 {
                head.clone()
            } else {
                " ".repeat(indent)
            };
            let _ = writeln!(out, "{lead}{line}");
        }
    }
    let namespaces = crate::findings::by_namespace(&e.findings);
    if e.namespace.is_none() && namespaces.len() > 1 {
        let _ = writeln!(out);
        let _ = writeln!(out, "By namespace, worst first:");
        per_namespace(out, &p, &namespaces, fold);
    }
    let _ = writeln!(out);
}

/// `160 findings, 80 AuthorizationPolicies in 3 namespaces`.
fn on_what(c: &CodeSummary) -> String {
    // Namespaces in their own namespaces go without saying.
    let only_namespaces = c.kinds.keys().all(|k| k == "Namespace");
    let place = match c.namespaces {
        _ if only_namespaces => String::new(),
        0 => String::new(),
        1 => c
            .top
            .first()
            .map(|(r, _)| crate::findings::Key::of(r).namespace)
            .map(|ns| format!(" in {ns}"))
            .unwrap_or_default(),
        n => format!(" in {n} namespaces"),
    };
    format!(
        "{}, {}{place}",
        counted(c.count, "finding", "findings"),
        kinds_text(&c.kinds)
    )
}

/// The resources with the most findings of the code, with their counts where above one.
fn top(c: &CodeSummary) -> String {
    let one_kind = c.kinds.len() == 1;
    let shown: Vec<String> = c
        .top
        .iter()
        .take(FOLD_NAMES)
        .map(|(r, n)| {
            let r = if one_kind {
                without_kind(r)
            } else {
                r.as_str()
            };
            if *n > 1 {
                format!("{r} ({n})")
            } else {
                r.to_string()
            }
        })
        .collect();
    let more = c.resources - shown.len();
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// One line per namespace: errors, warnings, info; past `NAMESPACES` (when `fold`), the
/// rest on one line.
fn per_namespace(out: &mut String, p: &Paint, namespaces: &[NamespaceCount], fold: bool) {
    let shown = if fold && namespaces.len() > NAMESPACES + 1 {
        NAMESPACES
    } else {
        namespaces.len()
    };
    let label = |n: &NamespaceCount| {
        if n.namespace.is_empty() {
            "(cluster-scoped)".to_string()
        } else {
            n.namespace.clone()
        }
    };
    let w = namespaces[..shown]
        .iter()
        .map(|n| label(n).len())
        .max()
        .unwrap_or(0);
    let counts = |errors: usize, warnings: usize, info: usize| {
        let e = counted(errors, "error", "errors");
        let e = if errors > 0 { p.bad(&e) } else { e };
        format!(
            "{e}, {}, {info} info",
            counted(warnings, "warning", "warnings")
        )
    };
    for n in &namespaces[..shown] {
        let _ = writeln!(
            out,
            "{}  {}",
            pad(&label(n), w),
            counts(n.errors, n.warnings, n.info)
        );
    }
    let rest = &namespaces[shown..];
    if !rest.is_empty() {
        let sum = |f: fn(&NamespaceCount) -> usize| rest.iter().map(f).sum::<usize>();
        let _ = writeln!(
            out,
            "{} more namespaces: {}",
            rest.len(),
            counts(sum(|n| n.errors), sum(|n| n.warnings), sum(|n| n.info))
        );
    }
}

/// The entries, by severity, code and resource; with `fold`, the first `PER_CODE` of each
/// code and their lists of resources folded.
fn detail(out: &mut String, p: &Paint, width: usize, groups: &[Group], fold: Option<usize>) {
    for run in per_code(groups) {
        let shown = match fold {
            Some(_) => PER_CODE.min(run.len()),
            None => run.len(),
        };
        for g in &run[..shown] {
            entry(out, p, width, g, fold);
        }
        let hidden: usize = run[shown..].iter().map(Group::len).sum();
        if hidden > 0 {
            let code = run[0].code();
            let text = format!(
                "{hidden} more {code} {} (--only {code} --findings all lists them)",
                if hidden == 1 { "finding" } else { "findings" }
            );
            for line in wrap(&text, width - 4) {
                let _ = writeln!(out, "    {}", p.dim(&line));
            }
        }
    }
}

/// One entry: severity, code and what it is about; the message; the fix.
fn entry(out: &mut String, p: &Paint, width: usize, g: &Group, fold: Option<usize>) {
    let head = format!("{} {}", g.code(), subject(g, fold));
    if g.len() == 1 {
        let _ = writeln!(out, "{} {head}", p.severity(g.severity()));
    } else {
        // A list of resources wraps under the head, between names.
        let sev = g.severity().as_str().len() + 1;
        for (i, line) in wrap(&head, width - sev).into_iter().enumerate() {
            if i == 0 {
                let _ = writeln!(out, "{} {line}", p.severity(g.severity()));
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    for line in wrap(&g.message(), width - 4) {
        let _ = writeln!(out, "    {line}");
    }
    for (i, line) in wrap(g.resolution(), width - 9).into_iter().enumerate() {
        let lead = if i == 0 { "fix: " } else { "     " };
        let _ = writeln!(out, "    {}", p.dim(&format!("{lead}{line}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_lists_everything_up_to_a_screenful() {
        assert_eq!(Listing::Auto.resolve(SCREENFUL), Listing::All);
        assert_eq!(Listing::Auto.resolve(SCREENFUL + 1), Listing::Summary);
        assert_eq!(Listing::All.resolve(1000), Listing::All);
        assert_eq!(Listing::Summary.resolve(1), Listing::Summary);
        assert_eq!(Listing::None.resolve(1), Listing::None);
    }

    #[test]
    fn namespaces_past_ten_share_a_line_in_the_summary() {
        let n = |i: usize| NamespaceCount {
            namespace: format!("team-{i:02}"),
            errors: 20 - i,
            warnings: 1,
            info: 0,
        };
        let twelve: Vec<NamespaceCount> = (0..12).map(n).collect();
        let mut out = String::new();
        per_namespace(&mut out, &Paint::plain(), &twelve, true);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 11, "{out}");
        assert_eq!(lines[0], "team-00  20 errors, 1 warning, 0 info");
        assert_eq!(
            lines[10],
            "2 more namespaces: 19 errors, 2 warnings, 0 info"
        );
        // Unfolded: every namespace; one more than ten is named rather than counted.
        let mut out = String::new();
        per_namespace(&mut out, &Paint::plain(), &twelve, false);
        assert_eq!(out.lines().count(), 12);
        let mut out = String::new();
        per_namespace(&mut out, &Paint::plain(), &twelve[..11], true);
        assert_eq!(out.lines().count(), 11);
        assert!(!out.contains("more namespaces"), "{out}");
    }
}
