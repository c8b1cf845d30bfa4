//! `check` as text: the hops as a short trace with the deciding line marked, and the
//! reachability matrix as rows (one end fixed) or a truth table grouped by identical rows.

use crate::check::grammar::kind_form;
use crate::check::matrix::MatrixReport;
use crate::check::report::{CheckReport, DecidedBy, HopReport, PolicyRef, Verdict};
use crate::render::layout::columns;
use crate::render::style::Paint;
use std::fmt::Write;

fn policy_name(p: &PolicyRef) -> String {
    format!("{} {}/{}", p.kind, p.namespace, p.name)
}

fn decision_word(d: &str) -> String {
    match d {
        "deny" => "DENY".into(),
        "not-evaluated" => "not evaluated".into(),
        other => other.into(),
    }
}

/// One sentence for the verdict.
pub fn because(r: &DecidedBy, hops: &[HopReport]) -> String {
    let at = |h: Option<usize>| {
        h.map(|h| {
            let hop = &hops[h];
            format!(
                " at hop {h} ({}{})",
                hop.component,
                hop.name
                    .as_deref()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default()
    };
    let policy = r.policy.as_ref().map(policy_name);
    match r.reason.as_str() {
        "deny-matched" => format!(
            "{}: DENY policy {} matched",
            at(r.hop),
            policy.unwrap_or_default()
        ),
        "no-allow-matched" => format!(
            "{}: no ALLOW policy matched ({})",
            at(r.hop),
            r.allow_policies
                .iter()
                .map(policy_name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "mtls-required" => format!(
            "{}: mTLS required ({})",
            at(r.hop),
            policy.unwrap_or_else(|| "Istio's default".into())
        ),
        "allow-matched" => format!(
            "{}: ALLOW policy {} matched",
            at(r.hop),
            policy.unwrap_or_default()
        ),
        "network-policy" => format!(
            "{}: no rule of {} admits this connection",
            at(r.hop),
            policy.unwrap_or_default()
        ),
        "no-policy-denies" => ": no policy on the path denies it".into(),
        "endpoints-differ" => ": the endpoint pods are enforced differently (see below)".into(),
        "cross-network" => ": the request crosses networks (see the notes)".into(),
        _ => format!("{}: it depends on {}", at(r.hop), r.needs.join(", ")),
    }
}

pub fn render(r: &CheckReport, color: bool) -> String {
    let p = Paint::new(color);
    let mut out = String::new();
    let q = &r.request;
    // Objects named as everywhere else (Kind/ns/name); a `pod/` source the input declares
    // as a controller's template is named by its controller, as its hop is.
    let source = match (
        q.source.starts_with("pod/"),
        r.hops.first().and_then(|h| h.name.as_deref()),
    ) {
        (true, Some(n)) if n.contains('/') => n.to_string(),
        _ => kind_form(&q.source),
    };
    let _ = writeln!(out, "check {source} -> {}", kind_form(&q.destination));
    let mut req = vec![match (q.port, q.target_port) {
        (Some(a), Some(b)) if a != b => format!("port {a} (pod port {b})"),
        (Some(a), _) => format!("port {a}"),
        (None, _) => "port ?".into(),
    }];
    req.push(format!("method {}", q.method.as_deref().unwrap_or("?")));
    req.push(format!("path {}", q.path.as_deref().unwrap_or("?")));
    for (k, v) in &q.headers {
        req.push(format!("{k}: {v}"));
    }
    if let Some(rp) = &q.request_principal {
        req.push(format!("jwt {rp}"));
    }
    let _ = writeln!(out, "request {}", req.join(", "));
    let _ = writeln!(
        out,
        "identity {}",
        q.source_identity
            .as_deref()
            .map_or("none (plaintext)", super::principal)
    );
    let _ = writeln!(out);
    for (i, h) in r.hops.iter().enumerate() {
        let deciding = r.decided_by.hop == Some(i) && r.verdict != Verdict::Allowed;
        // With an unknown verdict, the policies that cannot tell are marked.
        let head = format!(
            "hop {i}  {}  {}",
            h.component,
            h.name.as_deref().unwrap_or("")
        );
        let word = decision_word(&h.decision);
        let word = if deciding { p.alarm(&word) } else { word };
        let _ = writeln!(out, "{head}  {word}");
        let mtls = match (&h.mtls.connection[..], h.mtls.required) {
            ("plaintext", Some(true)) => "plaintext; mTLS required".to_string(),
            ("plaintext", Some(false)) => "plaintext; accepted".to_string(),
            ("plaintext", None) if h.mtls.policy.is_some() => "plaintext; depends on port".into(),
            (c, _) => c.replace("mtls", "mTLS"),
        };
        let mtls = match &h.mtls.policy {
            Some(pa) => format!("{mtls} ({})", policy_name(pa)),
            None => mtls,
        };
        // The CNI sees addresses and ports, not identities.
        let gate = h.component == "network-policy";
        if !gate {
            let _ = writeln!(
                out,
                "       sees {} [{mtls}]",
                h.source_identity
                    .as_deref()
                    .map_or("no identity", super::principal)
            );
        }
        if h.policies.is_empty() && h.decision != "not-evaluated" && !gate {
            let _ = writeln!(
                out,
                "       {}",
                p.dim("no AuthorizationPolicy applies here")
            );
        }
        for pol in &h.policies {
            let decides = deciding
                && r.decided_by.policy.as_ref() == Some(&pol.policy_ref())
                && (pol.result == "match" || r.decided_by.reason == "no-allow-matched");
            let decides = decides
                || (deciding && r.decided_by.reason == "no-allow-matched" && pol.action == "ALLOW")
                // Every NetworkPolicy that isolates the pod and admits nothing decides.
                || (deciding && r.decided_by.reason == "network-policy" && pol.result == "no-match")
                || (r.decided_by.hop == Some(i)
                    && r.verdict == Verdict::Unknown
                    && pol.result == "unknown");
            let effect = pol.effect.as_deref().filter(|e| *e != "as-written");
            let detail = match (&pol.reason, pol.needs.is_empty()) {
                (Some(reason), _) => format!("{}: {reason}", pol.result),
                (None, false) => format!("{}: needs {}", pol.result, pol.needs.join(", ")),
                (None, true) => pol.result.clone(),
            };
            let line = format!(
                "{:<6} {}/{}{}  {detail}",
                pol.action,
                pol.namespace,
                pol.name,
                effect.map(|e| format!(" [{e}]")).unwrap_or_default(),
            );
            if decides {
                let _ = writeln!(out, "  {} {}", p.alarm(">>"), p.alarm(&line));
            } else {
                let _ = writeln!(out, "       {line}");
            }
        }
        if let Some(n) = &h.note {
            let _ = writeln!(out, "       {}", p.dim(n));
        }
    }
    let _ = writeln!(out);
    let v = r.verdict.as_str().to_uppercase();
    let _ = writeln!(
        out,
        "verdict {}{}",
        p.verdict(r.verdict, &v),
        because(&r.decided_by, &r.hops)
    );
    for a in &r.assumptions {
        let _ = writeln!(out, "assumed: {a}");
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

fn short(v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => "allow",
        Verdict::Denied => "DENY",
        Verdict::Unknown => "?",
    }
}

fn decided(c: &crate::check::matrix::CellResult) -> String {
    let hop = c.hop.as_deref().unwrap_or("-");
    match (&c.policy, c.reason.as_str()) {
        // The hop says it: `network-policy: ns/name`.
        (Some(p), "network-policy") => format!("{hop}: {}/{}", p.namespace, p.name),
        (Some(p), r) => format!("{hop}: {}/{} ({r})", p.namespace, p.name),
        (None, "needs-attributes") => format!("{hop}: needs {}", c.needs.join(", ")),
        (None, "no-allow-matched") => format!("{hop}: no ALLOW matched"),
        (None, "no-policy-denies") => "no policy denies".into(),
        (None, "cross-network") => "other network: not analysed".into(),
        (None, r) => format!("{hop}: {r}"),
    }
}

/// `component=TD/ns/NS/sa/SA` for each hop (the principal form), `none` for plaintext.
fn identities(c: &crate::check::matrix::CellResult) -> String {
    c.identities
        .iter()
        .map(|i| match i.split_once('=') {
            Some((hop, id)) => format!("{hop}={}", super::principal(id)),
            None => i.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn render_matrix(m: &MatrixReport, color: bool) -> String {
    let p = Paint::new(color);
    let mut out = String::new();
    let q = &m.request;
    let _ = writeln!(
        out,
        "reachability: port {}, method {}, path {}{}",
        q.port.map_or("?".into(), |p| p.to_string()),
        q.method.as_deref().unwrap_or("?"),
        q.path.as_deref().unwrap_or("?"),
        q.headers
            .iter()
            .map(|(k, v)| format!(", {k}: {v}"))
            .collect::<String>()
    );
    let _ = writeln!(out);
    let (ns, nd) = (m.sources.len(), m.destinations.len());
    if nd == 1 || ns == 1 {
        // One end fixed: one row per other end.
        let mut rows = vec![vec![
            if nd == 1 { "SOURCE" } else { "DESTINATION" }.to_string(),
            "VERDICT".into(),
            "DECIDED BY".into(),
            "IDENTITY AT EACH HOP".into(),
        ]];
        let mut verdicts = Vec::new();
        for s in 0..ns {
            for d in 0..nd {
                let c = &m.cell(s, d).result;
                let who = if nd == 1 {
                    m.sources[s]
                        .members
                        .iter()
                        .map(|x| kind_form(x))
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    kind_form(&m.destinations[d])
                };
                // The verdict is the primary waypoint's; a canary that decides otherwise is
                // said beside it.
                let verdict = match &c.canary {
                    Some(k) if c.canary_differs() => format!(
                        "{} (canary {}%: {})",
                        c.verdict.as_str(),
                        k.weight,
                        k.verdict.as_str()
                    ),
                    _ => c.verdict.as_str().into(),
                };
                rows.push(vec![who, verdict, decided(c), identities(c)]);
                verdicts.push(c.verdict);
            }
        }
        let text = columns(&rows);
        for (i, line) in text.lines().enumerate() {
            let line = if i == 0 || !p.is_on() {
                line.to_string()
            } else {
                let v = verdicts[i - 1];
                line.replacen(v.as_str(), &p.verdict(v, v.as_str()), 1)
            };
            let _ = writeln!(out, "{line}");
        }
        let title = if nd == 1 {
            format!("to {}", kind_form(&m.destinations[0]))
        } else {
            format!("from {}", kind_form(&m.sources[0].source))
        };
        out.insert_str(out.find('\n').map_or(0, |i| i + 1), &format!("{title}\n"));
    } else {
        // The truth table: sources with identical rows share a row (further members on
        // `+` lines below it).
        let ns_of = |d: &str| d.split('/').nth(1).map(str::to_string);
        let one_ns = m
            .destinations
            .iter()
            .map(|d| ns_of(d))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            == 1;
        let names: Vec<String> = m
            .destinations
            .iter()
            .map(|d| match d.strip_prefix("svc/") {
                // Services, the usual columns, by name (and namespace when several).
                Some(d) if one_ns => d.split_once('/').map_or(d, |x| x.1).to_string(),
                Some(d) => d.to_string(),
                None => kind_form(d),
            })
            .collect();
        // A cell is its primary waypoint's verdict, marked `*` when the canary's differs;
        // `?net` when the source and destination are on different networks.
        type Row = Vec<(Verdict, bool, bool)>;
        let mut groups: Vec<(Vec<String>, Row)> = Vec::new();
        for s in 0..ns {
            let row: Row = (0..nd)
                .map(|d| {
                    let c = &m.cell(s, d).result;
                    (c.verdict, c.canary_differs(), c.reason == "cross-network")
                })
                .collect();
            match groups.iter_mut().find(|g| g.1 == row) {
                Some(g) => g.0.extend(m.sources[s].members.iter().cloned()),
                None => groups.push((m.sources[s].members.clone(), row)),
            }
        }
        let mut rows = vec![std::iter::once("SOURCE".to_string())
            .chain(names)
            .collect::<Vec<_>>()];
        for (srcs, row) in &groups {
            let srcs: Vec<String> = srcs.iter().map(|x| kind_form(x)).collect();
            rows.push(
                std::iter::once(srcs[0].clone())
                    .chain(row.iter().map(|&(v, differs, net)| {
                        let net = if net { "net" } else { "" };
                        format!("{}{net}{}", short(v), if differs { "*" } else { "" })
                    }))
                    .collect(),
            );
            for more in &srcs[1..] {
                rows.push(vec![format!("  + {more}")]);
            }
        }
        out.push_str(&columns(&rows));
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.dim("allow: allowed, DENY: denied, ?: unknown (an attribute decides it); -o json lists every cell and its deciding policy")
        );
        if groups.iter().any(|g| g.1.iter().any(|c| c.2)) {
            let _ = writeln!(
                out,
                "{}",
                p.dim(&format!("?net: the request crosses networks (the destination or the Service's waypoint is on another): it crosses an east-west gateway, which is not analysed ({})", crate::enforce::network::ISSUES))
            );
        }
        if groups.iter().any(|g| g.1.iter().any(|c| c.1)) {
            let _ = writeln!(
                out,
                "{}",
                p.dim("*: the primary waypoint's verdict; the share of the requests through the canary waypoint gets the other one (-o json: cells[].canary)")
            );
        }
    }
    for a in &m.assumptions {
        let _ = writeln!(out, "note: {a}");
    }
    out
}
