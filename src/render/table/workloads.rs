//! WORKLOADS: each pod (or declared workload) with its dataplane, service account and mTLS
//! mode, and with `-o wide` why it has that dataplane.

use super::Page;
use crate::render::layout;
use std::fmt::Write;

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { e, o, p, width, .. } = *page;
    let _ = writeln!(out, "{}", p.heading("WORKLOADS"));
    if e.workloads.is_empty() {
        let _ = writeln!(out, "{}", p.dim("no pods in scope"));
    } else {
        let rows = e
            .workloads
            .iter()
            .map(|w| {
                let dp = match w.dataplane.as_str() {
                    "none" => p.warn("none"),
                    d => d.to_string(),
                };
                // One form everywhere (paths, findings, check): Kind/ns/name.
                let name = format!("{}/{}/{}", w.kind, w.namespace, w.name);
                let mut r = vec![
                    name,
                    dp,
                    w.identity.rsplit("/sa/").next().unwrap_or("").to_string(),
                    w.mtls.clone().unwrap_or_else(|| "-".into()),
                ];
                if o.wide {
                    r.push(w.dataplane_reason.clone());
                }
                r
            })
            .collect();
        let mut h = vec!["WORKLOAD", "DATAPLANE", "SERVICE ACCOUNT", "MTLS"];
        if o.wide {
            h.push("WHY");
        }
        out.push_str(&layout::table(&h, rows, width));
    }
    let _ = writeln!(out);
}
