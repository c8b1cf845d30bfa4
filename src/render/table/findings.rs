//! FINDINGS by severity, each with its message and fix, then the summary line.

use super::{counted, Page};
use crate::findings::Severity;
use crate::render::layout::wrap;
use std::fmt::Write;

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { e, o, p, width } = *page;
    let _ = writeln!(out, "{}", p.heading("FINDINGS"));
    if e.findings.is_empty() {
        let _ = writeln!(out, "{}", p.good("no findings"));
    }
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        for f in e.findings.iter().filter(|f| f.severity == sev) {
            let _ = writeln!(out, "{} {} {}", p.severity(sev), f.code, f.resource);
            for line in wrap(&f.message, width - 4) {
                let _ = writeln!(out, "    {line}");
            }
            for (i, line) in wrap(&f.resolution, width - 9).into_iter().enumerate() {
                let lead = if i == 0 { "fix: " } else { "     " };
                let _ = writeln!(out, "    {}", p.dim(&format!("{lead}{line}")));
            }
        }
    }
    let count = |s: Severity| e.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(out);
    // Said even when 0: a --suppress that matches nothing is worth seeing.
    let suppressed = o
        .suppressed
        .map(|n| format!(" ({n} suppressed)"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}, {}, {}: {}, {}, {} info{suppressed}",
        counted(e.policies.len(), "policy", "policies"),
        counted(e.workloads.len(), "workload", "workloads"),
        counted(e.findings.len(), "finding", "findings"),
        counted(count(Severity::Error), "error", "errors"),
        counted(count(Severity::Warning), "warning", "warnings"),
        count(Severity::Info)
    );
}
