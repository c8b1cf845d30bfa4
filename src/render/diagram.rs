//! Path diagrams: Mermaid (renders in GitHub Markdown) and Graphviz DOT, for one `check`
//! (the hops, the identity on each edge, the policies at each hop, the verdict colour) and
//! for `explain` (per destination: the source classes, the waypoint, the destination hop).

use crate::check::report::{CheckReport, Verdict};
use crate::explain::report::Explanation;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Plain,
    Allow,
    Deny,
    Unknown,
}

/// A small graph model rendered to both formats, so both say the same.
#[derive(Default)]
struct Graph {
    /// (id, lines, tone, shape-is-verdict)
    nodes: Vec<(String, Vec<String>, Tone, bool)>,
    /// (from, to, label)
    edges: Vec<(String, String, Option<String>)>,
    /// (title, node ids)
    clusters: Vec<(String, Vec<String>)>,
}

fn mermaid_text(s: &str) -> String {
    // Mermaid labels are in double quotes; these characters would end or confuse them.
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Graph {
    fn node(&mut self, id: &str, lines: Vec<String>, tone: Tone, verdict: bool) {
        if !self.nodes.iter().any(|n| n.0 == id) {
            self.nodes.push((id.to_string(), lines, tone, verdict));
        }
    }
    fn edge(&mut self, a: &str, b: &str, label: Option<String>) {
        let e = (a.to_string(), b.to_string(), label);
        if !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }

    fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let in_cluster: Vec<&String> = self.clusters.iter().flat_map(|c| &c.1).collect();
        let node_line = |(id, lines, _, verdict): &(String, Vec<String>, Tone, bool)| {
            let text = lines
                .iter()
                .map(|l| mermaid_text(l))
                .collect::<Vec<_>>()
                .join("<br/>");
            if *verdict {
                format!("{id}{{{{\"{text}\"}}}}")
            } else {
                format!("{id}[\"{text}\"]")
            }
        };
        for n in self.nodes.iter().filter(|n| !in_cluster.contains(&&n.0)) {
            let _ = writeln!(out, "  {}", node_line(n));
        }
        for (i, (title, ids)) in self.clusters.iter().enumerate() {
            let _ = writeln!(out, "  subgraph c{i}[\"{}\"]", mermaid_text(title));
            for n in self.nodes.iter().filter(|n| ids.contains(&n.0)) {
                let _ = writeln!(out, "    {}", node_line(n));
            }
            let _ = writeln!(out, "  end");
        }
        for (a, b, label) in &self.edges {
            match label {
                Some(l) => {
                    let _ = writeln!(out, "  {a} -- \"{}\" --> {b}", mermaid_text(l));
                }
                None => {
                    let _ = writeln!(out, "  {a} --> {b}");
                }
            }
        }
        let _ = writeln!(out, "  classDef allow fill:#dff5e1,stroke:#2e7d32");
        let _ = writeln!(out, "  classDef deny fill:#fde0e0,stroke:#c62828");
        let _ = writeln!(out, "  classDef unknown fill:#fff4d6,stroke:#b26a00");
        for (tone, class) in [
            (Tone::Allow, "allow"),
            (Tone::Deny, "deny"),
            (Tone::Unknown, "unknown"),
        ] {
            let ids: Vec<&str> = self
                .nodes
                .iter()
                .filter(|n| n.2 == tone)
                .map(|n| n.0.as_str())
                .collect();
            if !ids.is_empty() {
                let _ = writeln!(out, "  class {} {class}", ids.join(","));
            }
        }
        out
    }

    fn dot(&self) -> String {
        let mut out = String::from(
            "digraph paths {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        );
        let fill = |t: Tone| match t {
            Tone::Plain => "white",
            Tone::Allow => "#dff5e1",
            Tone::Deny => "#fde0e0",
            Tone::Unknown => "#fff4d6",
        };
        let node_line = |(id, lines, tone, verdict): &(String, Vec<String>, Tone, bool)| {
            let label = lines
                .iter()
                .map(|l| dot_text(l))
                .collect::<Vec<_>>()
                .join("\\n");
            let shape = if *verdict { ", shape=hexagon" } else { "" };
            format!(
                "{id} [label=\"{label}\", fillcolor=\"{}\"{shape}];",
                fill(*tone)
            )
        };
        let in_cluster: Vec<&String> = self.clusters.iter().flat_map(|c| &c.1).collect();
        for n in self.nodes.iter().filter(|n| !in_cluster.contains(&&n.0)) {
            let _ = writeln!(out, "  {}", node_line(n));
        }
        for (i, (title, ids)) in self.clusters.iter().enumerate() {
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label=\"{}\";",
                dot_text(title)
            );
            for n in self.nodes.iter().filter(|n| ids.contains(&n.0)) {
                let _ = writeln!(out, "    {}", node_line(n));
            }
            let _ = writeln!(out, "  }}");
        }
        for (a, b, label) in &self.edges {
            match label {
                Some(l) => {
                    let _ = writeln!(out, "  {a} -> {b} [label=\"{}\"];", dot_text(l));
                }
                None => {
                    let _ = writeln!(out, "  {a} -> {b};");
                }
            }
        }
        out.push_str("}\n");
        out
    }

    fn render(&self, f: Format) -> String {
        match f {
            Format::Mermaid => self.mermaid(),
            Format::Dot => self.dot(),
        }
    }
}

fn tone_of(decision: &str) -> Tone {
    match decision {
        "allow" => Tone::Allow,
        "deny" => Tone::Deny,
        "unknown" => Tone::Unknown,
        _ => Tone::Plain,
    }
}

fn short_id(id: Option<&str>) -> String {
    id.map_or("no identity (plaintext)".into(), |i| {
        i.trim_start_matches("spiffe://").to_string()
    })
}

/// One request: source -> hops -> verdict; each edge names the identity the next hop sees.
pub fn check(r: &CheckReport, f: Format) -> String {
    let mut g = Graph::default();
    g.node("src", vec![r.request.source.clone()], Tone::Plain, false);
    let mut prev = "src".to_string();
    for (i, h) in r.hops.iter().enumerate() {
        let id = format!("h{i}");
        let mut lines = vec![
            format!("{} {}", h.component, h.name.as_deref().unwrap_or(""))
                .trim_end()
                .to_string(),
        ];
        for p in &h.policies {
            lines.push(format!(
                "{} {}/{}: {}",
                p.action, p.namespace, p.name, p.result
            ));
        }
        if h.mtls.required == Some(true) && h.mtls.connection == "plaintext" {
            lines.push("mTLS required".into());
        }
        g.node(&id, lines, tone_of(&h.decision), false);
        // Into a NetworkPolicy gate the edge carries the connection (the CNI sees no
        // identity); out of it, the identity the next hop sees.
        let label = if h.component == "network-policy" {
            h.mtls.connection.replace("hbone", "HBONE")
        } else {
            short_id(h.source_identity.as_deref())
        };
        g.edge(&prev, &id, Some(label));
        prev = id;
    }
    let tone = match r.verdict {
        Verdict::Allowed => Tone::Allow,
        Verdict::Denied => Tone::Deny,
        Verdict::Unknown => Tone::Unknown,
    };
    let by = &r.decided_by;
    let mut lines = vec![match by.hop {
        Some(h) if r.verdict != Verdict::Allowed => {
            format!("{} at hop {h}", r.verdict.as_str().to_uppercase())
        }
        _ => r.verdict.as_str().to_uppercase(),
    }];
    let name = |p: &crate::check::report::PolicyRef| format!("{}/{}", p.namespace, p.name);
    lines.push(match (by.reason.as_str(), &by.policy) {
        ("no-allow-matched", _) => format!(
            "no ALLOW matched: {}",
            by.allow_policies
                .iter()
                .map(name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ("mtls-required", p) => format!(
            "mTLS required: {}",
            p.as_ref().map_or("Istio default".into(), name)
        ),
        (_, Some(p)) => format!("{}: {}", by.reason, name(p)),
        (r, None) if !by.needs.is_empty() => format!("{r}: {}", by.needs.join(", ")),
        (r, None) => r.to_string(),
    });
    // The diagram draws the primary waypoint's path; the canary's share is said here.
    if let Some(c) = &r.canary {
        lines.push(format!(
            "drawn: the primary waypoint's {}% of the requests",
            100 - c.weight
        ));
        lines.push(format!(
            "canary {} ({}%): {}",
            c.waypoint,
            c.weight,
            c.verdict.as_str()
        ));
    }
    g.node("verdict", lines, tone, true);
    g.edge(&prev, "verdict", None);
    g.render(f)
}

/// Every destination of an explanation: its source classes, the waypoint they cross and
/// the destination hop, with the policies evaluated at each hop.
pub fn explain(e: &Explanation, f: Format) -> String {
    let mut g = Graph::default();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut id_of = |key: &str| {
        let n = ids.len();
        ids.entry(key.to_string())
            .or_insert_with(|| format!("n{n}"))
            .clone()
    };
    let mut by_dest: Vec<(String, Vec<String>)> = Vec::new();
    for p in &e.paths {
        let dest_key = p.destination.to_string();
        if !by_dest.iter().any(|d| d.0 == dest_key) {
            by_dest.push((dest_key.clone(), vec![]));
        }
        let mut prev: Option<String> = None;
        for (i, h) in p.hops.iter().enumerate() {
            let last = i + 1 == p.hops.len();
            // Client-side hops are one node per source class; shared hops are shared.
            let key = if i == 0 {
                format!(
                    "src|{}|{}|{}",
                    p.destination,
                    p.source,
                    p.via.as_deref().unwrap_or("")
                )
            } else {
                format!(
                    "{}|{}|{}",
                    h.component,
                    h.name.as_deref().unwrap_or(""),
                    if last { &p.destination } else { "" }
                )
            };
            let id = id_of(&key);
            let mut lines = if i == 0 {
                vec![match &p.via {
                    Some(v) => format!("{} via {}", p.source, v.rsplit('/').next().unwrap_or(v)),
                    None => p.source.to_string(),
                }]
            } else {
                vec![
                    format!("{} {}", h.component, h.name.as_deref().unwrap_or(""))
                        .trim_end()
                        .to_string(),
                ]
            };
            lines.extend(
                h.policies
                    .iter()
                    .map(|s| s.trim_start_matches("AuthorizationPolicy/").to_string()),
            );
            let tone = match &h.verdict {
                Some(crate::explain::report::Verdict::Allow) => Tone::Allow,
                Some(crate::explain::report::Verdict::Deny(_)) => Tone::Deny,
                _ => Tone::Plain,
            };
            g.node(&id, lines, tone, false);
            if last || i == 0 {
                if let Some(d) = by_dest.iter_mut().find(|d| d.0 == dest_key) {
                    if !d.1.contains(&id) {
                        d.1.push(id.clone());
                    }
                }
            }
            if let Some(prev) = &prev {
                let label = match (h.spiffe.as_deref(), h.source_identity) {
                    (Some(s), _) => s.trim_start_matches("spiffe://").to_string(),
                    (None, who) => format!("{who} identity"),
                };
                // The CNI's gate, on the edge into the destination: where it blocks or may.
                let label = match (&p.network_policy, last) {
                    (Some(g), true) => format!(
                        "{label}; NetworkPolicy {} ({})",
                        if g.verdict == "deny" {
                            "blocks"
                        } else {
                            "may block"
                        },
                        g.policies.join(", ")
                    ),
                    _ => label,
                };
                g.edge(prev, &id, Some(label));
            }
            prev = Some(id);
        }
    }
    g.clusters = by_dest;
    g.render(f)
}
