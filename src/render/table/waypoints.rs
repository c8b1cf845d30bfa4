//! WAYPOINTS: each waypoint in reach with what it serves, whether it is ready, its identity,
//! the namespaces it admits and istiod's status (with the istiod revision that programs it,
//! when the input names revisions).

use super::{conditions_text, Page};
use crate::render::layout;
use std::fmt::Write;

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { e, p, width, .. } = *page;
    let _ = writeln!(out, "{}", p.heading("WAYPOINTS"));
    if e.waypoints.is_empty() {
        let _ = writeln!(out, "{}", p.dim("none"));
    } else {
        let rows = e
            .waypoints
            .iter()
            .map(|w| {
                vec![
                    format!("{}/{}", w.namespace, w.name),
                    w.for_.clone(),
                    match (w.ready, w.declared) {
                        (true, true) => p.good("assumed"),
                        (true, false) => p.good("yes"),
                        _ => p.bad("no"),
                    },
                    crate::render::principal(&w.identity).to_string(),
                    w.allowed_namespaces.clone(),
                    // The revision that programs it, when the input names revisions.
                    match (&w.revision, conditions_text(&w.istiod_status)) {
                        (Some(r), c) if c == "-" => format!("rev{}{}", layout::GLUE, r.name),
                        (Some(r), c) => format!("rev{}{}, {c}", layout::GLUE, r.name),
                        (None, c) => c,
                    },
                ]
            })
            .collect();
        out.push_str(&layout::table(
            &[
                "WAYPOINT", "FOR", "READY", "IDENTITY",
                // "ADMITS" as in the findings (a waypoint admits a namespace); short
                // enough for a whole principal beside istiod's conditions at 100 columns.
                "ADMITS", "ISTIOD",
            ],
            rows,
            width,
        ));
    }
    let _ = writeln!(out);
}
