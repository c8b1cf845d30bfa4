//! BINDINGS: which waypoint each Service and workload uses, or why its `use-waypoint` label
//! binds nothing, and whether ingress traffic goes through it.

use super::{conditions_text, Page};
use crate::explain::report::WorkloadReport;
use crate::render::layout::Cells;
use crate::render::style::Paint;
use std::fmt::Write;

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { e, o, p, width, .. } = *page;
    let _ = writeln!(out, "{}", p.heading("BINDINGS"));
    let services = (e.services.iter())
        .filter(|s| o.wide || s.waypoint.is_some() || s.waypoint_error.is_some() || s.opted_out)
        .map(|s| {
            vec![
                format!("{}/{}/{}", s.kind, s.namespace, s.name),
                if s.opted_out {
                    // Shown: a Service kept off the waypoint is a choice the reader should see.
                    "none (opted out)".into()
                } else if let (Some(w), Some(c)) = (&s.waypoint, &s.canary) {
                    // Weighted waypoints: each with its share of the requests.
                    format!("{w} ({}%), {} ({}%)", 100 - c.weight, c.waypoint, c.weight)
                } else {
                    binding_text(&p, &s.waypoint, &s.waypoint_error, &s.requested_waypoint)
                },
                if s.waypoint.is_some() {
                    if s.ingress_use_waypoint {
                        "via waypoint".into()
                    } else {
                        p.warn("skips waypoint")
                    }
                } else {
                    "-".into()
                },
                conditions_text(&s.istiod_status),
            ]
        });
    let mut rows = Cells::with_header(&["TARGET", "WAYPOINT", "INGRESS", "ISTIOD"]);
    services.for_each(|row| rows.push_row(row));
    rows.append(&page.workloads.bindings);
    if rows.len() == 1 {
        let _ = writeln!(out, "{}", p.dim("nothing in scope uses a waypoint"));
    } else {
        rows.draw(width, out);
    }
    let _ = writeln!(out);
}

/// The row of a workload bound to a waypoint, or whose binding failed; `name` its
/// `Kind/ns/name`.
pub(super) fn workload(p: &Paint, w: &WorkloadReport, name: String) -> [String; 4] {
    let waypoint = binding_text(p, &w.waypoint, &w.waypoint_error, &None);
    [name, waypoint, "-".into(), "-".into()]
}

fn binding_text(
    p: &Paint,
    wp: &Option<String>,
    err: &Option<String>,
    requested: &Option<String>,
) -> String {
    match (wp, err) {
        (Some(w), _) => w.clone(),
        (None, Some(e)) => p.bad(&match requested {
            Some(r) => format!("{e} ({r})"),
            None => e.clone(),
        }),
        (None, None) => "-".into(),
    }
}
