//! POLICIES: one table per kind, a row per place each policy is enforced (enforcer, where,
//! the identity it sees, the effect); with `-o wide`, one block per policy with its ztunnel
//! conversion and every target.

use super::{conditions_text, Page};
use crate::explain::report::{Enforcement, Explanation, PolicyReport};
use crate::render::layout::{self, pad, wrap};
use crate::render::style::Paint;
use std::fmt::Write;

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { e, o, p, width, .. } = *page;
    let _ = writeln!(out, "{}", p.heading("POLICIES"));
    if e.policies.is_empty() {
        let _ = writeln!(out, "{}", p.dim("no policy affects traffic in scope"));
        // Every other section ends with a blank line; the per-kind tables bring their own.
        let _ = writeln!(out);
    }
    let mut kinds: Vec<&str> = e.policies.iter().map(|x| x.kind.as_str()).collect();
    kinds.dedup();
    for kind in kinds {
        let pols = e.policies.iter().filter(|x| x.kind == kind);
        if o.wide {
            for pol in pols {
                out.push_str(&policy_block(&p, e, pol, width));
            }
            continue;
        }
        let mut rows = Vec::new();
        for pol in pols {
            let name = short_name(e, &pol.namespace, &pol.name);
            for (i, en) in pol.enforcement.iter().enumerate() {
                let mut r = vec![
                    if i == 0 { name.clone() } else { String::new() },
                    if i == 0 {
                        pol.action.clone().unwrap_or_else(|| "-".into())
                    } else {
                        String::new()
                    },
                ];
                r.extend(enforcement_cells(&p, en));
                rows.push(r);
            }
        }
        out.push_str(&layout::table(
            &[kind, "ACTION", "ENFORCED BY", "WHERE", "IDENTITY", "EFFECT"],
            rows,
            width,
        ));
        let _ = writeln!(out);
    }
}

/// Names are short where the namespace is the one explained.
fn short_name<P, W>(e: &Explanation<P, W>, ns: &str, name: &str) -> String {
    if e.namespace.as_deref() == Some(ns) {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    }
}

/// ENFORCED BY, WHERE (the enforcing proxy, or the waypoint crossed first), IDENTITY, EFFECT.
fn enforcement_cells(p: &Paint, en: &Enforcement) -> Vec<String> {
    let by = if en.enforced_by == "none" {
        p.bad("none")
    } else {
        en.enforced_by.clone()
    };
    let place = match (&en.waypoint, en.enforced_by.as_str()) {
        (Some(w), "ztunnel" | "sidecar") => format!("via {w}"),
        (Some(w), _) => match en.weight {
            Some(share) => format!("{w} ({share}%)"),
            None => w.clone(),
        },
        (None, "none") => "-".into(),
        _ => en.path.clone(),
    };
    vec![by, place, en.source_identity.clone(), p.effect(&en.effect)]
}

/// `-o wide`: one block per policy with its ztunnel conversion and every target.
fn policy_block<P, W>(
    p: &Paint,
    e: &Explanation<P, W>,
    pol: &PolicyReport,
    width: usize,
) -> String {
    let mut out = String::new();
    let action = pol
        .action
        .as_deref()
        .map(|a| format!("  {a}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} {}{action}  ({})",
        pol.kind,
        short_name(e, &pol.namespace, &pol.name),
        pol.attachment
    );
    if !pol.istiod_status.is_empty() {
        let conditions = conditions_text(&pol.istiod_status).replace(layout::GLUE, " ");
        let text = format!("istiod status: {conditions}");
        let _ = writeln!(out, "  {}", p.dim(&text));
    }
    if let Some(z) = pol
        .ztunnel
        .as_ref()
        .filter(|_| pol.attachment != "targetRefs")
    {
        let mut d = vec![format!("ztunnel scope {}", z.scope)];
        if let Some(r) = &z.not_sent_reason {
            d.push(format!("not sent to ztunnel ({r})"));
        }
        if !z.http_attributes.is_empty() {
            d.push(format!("HTTP attributes: {}", z.http_attributes.join(", ")));
        }
        if !z.dead_rules.is_empty() {
            let dead = z
                .dead_rules
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(",");
            d.push(format!(
                "rules never matching at ztunnel: {dead} of {}",
                z.rules
            ));
        }
        if !z.ignored_attributes.is_empty() {
            d.push(format!("ignored: {}", z.ignored_attributes.join(", ")));
        }
        for line in wrap(&d.join("; "), width - 2) {
            let _ = writeln!(out, "  {}", p.dim(&line));
        }
    }
    // Aligned by hand, not a table: each entry's targets go on their own lines beneath it.
    const HEADER: [&str; 4] = ["ENFORCED BY", "WHERE", "IDENTITY", "EFFECT"];
    let mut rows = vec![HEADER.map(String::from).to_vec()];
    rows.extend(
        pol.enforcement
            .iter()
            .map(|en| enforcement_cells(&Paint::plain(), en)),
    );
    let w = layout::widths(&rows);
    let header = format!(
        "  {}  {}  {}  {}",
        pad(HEADER[0], w[0]),
        pad(HEADER[1], w[1]),
        pad(HEADER[2], w[2]),
        HEADER[3]
    );
    let _ = writeln!(out, "{}", header.trim_end());
    for (en, c) in pol.enforcement.iter().zip(&rows[1..]) {
        let by = pad(&c[0], w[0]);
        let by = if en.enforced_by == "none" {
            p.bad(&by)
        } else {
            by
        };
        let _ = writeln!(
            out,
            "  {by}  {}  {}  {}",
            pad(&c[1], w[1]),
            pad(&c[2], w[2]),
            p.effect(&c[3])
        );
        for t in &en.targets {
            let _ = writeln!(out, "  {}  {}", pad("", w[0]), p.dim(t));
        }
    }
    let _ = writeln!(out);
    out
}
