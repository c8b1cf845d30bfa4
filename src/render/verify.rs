//! `verify`'s table: the ztunnels read, how many objects agree, then each disagreement with
//! both sides and its likely cause, most severe first.

use super::style::Paint;
use crate::dataplane::report::Report;

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
                    "  {}  {} workloads, {} services, {} policies{lacks}\n",
                    n.node, n.workloads, n.services, n.policies
                ));
            }
        }
    }
    s.push('\n');
    let n = v.disagreements.len();
    let summary = format!(
        "{} objects agree, {} disagreement{}",
        v.agreed,
        n,
        if n == 1 { "" } else { "s" }
    );
    s.push_str(&if n == 0 {
        p.good(&summary)
    } else {
        p.bad(&summary)
    });
    s.push('\n');
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
        s.push_str(&format!("  model:   {}\n", d.model));
        s.push_str(&format!("  ztunnel: {}\n", d.dataplane));
        let nodes = if d.nodes.len() == v.nodes.iter().filter(|n| n.error.is_none()).count()
            && d.nodes.len() > 1
        {
            format!("all {} read", d.nodes.len())
        } else {
            d.nodes.join(", ")
        };
        s.push_str(&p.dim(&format!("  on:      {nodes}\n")));
        s.push_str(&format!("  cause:   {}\n", d.cause));
        s.push_str(&format!("  fix:     {}\n", c.resolution));
    }
    s
}
