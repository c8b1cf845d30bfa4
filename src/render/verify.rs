//! `verify`'s table: the ztunnels read, how many objects agree, then each disagreement with
//! both sides and its likely cause, most severe first.

use super::findings::count_of;
use super::style::Paint;
use crate::dataplane::compare::{Disagreement, Verification};
use crate::dataplane::report::Report;

/// Longest model or ztunnel line shown whole; longer ones are cut when `detail` says where
/// they differ (`-o json` has them whole).
const LINE: usize = 160;

pub fn render(r: &Report, color: bool) -> String {
    let p = Paint::new(color);
    let v = &r.verification;
    let mut s = String::new();
    let scope = r
        .namespace
        .as_deref()
        .map_or("every namespace".to_string(), |n| format!("namespace {n}"));
    s.push_str(&p.heading(&format!("ZTUNNELS ({scope})")));
    s.push('\n');
    for n in &v.nodes {
        match &n.error {
            Some(e) => s.push_str(&format!(
                "  {}  {}\n",
                n.node,
                p.bad(&format!("not read: {e}"))
            )),
            None => {
                let lacks = if n.lacks.is_empty() {
                    String::new()
                } else {
                    p.dim(&format!("  (lacks {})", n.lacks.join(", ")))
                };
                s.push_str(&format!(
                    "  {}  {}, {}, {}{lacks}\n",
                    n.node,
                    count_of(n.workloads, "workload"),
                    count_of(n.services, "service"),
                    count_of(n.policies, "policy")
                ));
            }
        }
    }
    s.push('\n');
    let n = v.disagreements.len();
    let kinds: Vec<String> = v
        .agreed_by_kind
        .iter()
        .map(|(k, c)| {
            // The JSON's keys are plural; the sentence counts each.
            let one = match *k {
                "policies" => "policy",
                "services" => "service",
                _ => "workload",
            };
            count_of(*c, one)
        })
        .collect();
    let agreed = if kinds.is_empty() {
        format!("{} agree", count_of(v.agreed, "object"))
    } else {
        format!(
            "{} agree ({})",
            count_of(v.agreed, "object"),
            kinds.join(", ")
        )
    };
    let summary = format!("{agreed}, {}", count_of(n, "disagreement"));
    s.push_str(&if n == 0 {
        p.good(&summary)
    } else {
        p.bad(&summary)
    });
    s.push('\n');
    for note in &v.notes {
        s.push_str(&p.warn(&format!("note: {note}")));
        s.push('\n');
    }
    if n == 0 {
        return s;
    }
    s.push('\n');
    s.push_str(&p.heading("DISAGREEMENTS"));
    s.push('\n');
    let mut ds: Vec<_> = v.disagreements.iter().collect();
    ds.sort_by_key(|d| (d.kind.code().severity, d.code, d.object.clone()));
    for d in ds {
        let c = d.kind.code();
        s.push_str(&format!(
            "{} {}  {}\n",
            p.severity(c.severity),
            d.code,
            d.object
        ));
        let cut = |x: &str| {
            if d.detail.is_some() && x.chars().count() > LINE {
                format!("{}...", x.chars().take(LINE).collect::<String>())
            } else {
                x.to_string()
            }
        };
        s.push_str(&format!("  model:   {}\n", cut(&d.model)));
        s.push_str(&format!("  ztunnel: {}\n", cut(&d.dataplane)));
        if let Some(detail) = &d.detail {
            s.push_str(&format!("  differs: {detail}\n"));
        }
        s.push_str(&p.dim(&format!("  on:      {}\n", on(d, v))));
        s.push_str(&format!("  cause:   {}\n", d.cause));
        s.push_str(&format!("  fix:     {}\n", c.resolution));
    }
    s
}

/// The nodes that hold a disagreement: all of them, all but a few, or the first few.
fn on(d: &Disagreement, v: &Verification) -> String {
    let read: Vec<&str> = v
        .nodes
        .iter()
        .filter(|n| n.error.is_none())
        .map(|n| n.node.as_str())
        .collect();
    let (n, total) = (d.nodes.len(), read.len());
    if n == total && total > 1 {
        return format!("all {total} ztunnels read");
    }
    if n <= 3 {
        return d.nodes.join(", ");
    }
    let missing: Vec<&str> = read
        .iter()
        .filter(|x| !d.nodes.iter().any(|y| y == *x))
        .copied()
        .collect();
    if missing.len() <= 3 {
        return format!(
            "{n} of {total} ztunnels read, all but {}",
            missing.join(", ")
        );
    }
    format!(
        "{n} of {total} ztunnels read: {} and {} more",
        d.nodes[..3].join(", "),
        n - 3
    )
}
