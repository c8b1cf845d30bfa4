//! The human form of a Diff: `+` added, `-` removed, `~` changed, per policy, per path, and
//! the findings introduced and resolved.

use super::findings::{per_code, subject, FOLD_NAMES};
use super::layout::{wrap, WIDTH};
use super::style::Paint;
use super::table::{counted, Listing, PER_CODE, SCREENFUL};
use crate::diff::{Change, Diff, EntryChange, PathChange, PathState, PolicyChange};
use crate::explain::report::Enforcement;
use crate::findings::{by_code, group, Finding, Group};
use std::fmt::Write;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// List every target of added and removed entries, not only the targets that changed.
    pub wide: bool,
    pub color: bool,
    /// `--findings`: as for explain's table, over the findings introduced and resolved.
    pub findings: Listing,
}

/// `+` added (green), `-` removed (red), `~` changed (yellow).
fn mark(p: &Paint, c: Change) -> String {
    match c {
        Change::Added => p.good("+"),
        Change::Removed => p.bad("-"),
        Change::Changed => p.warn("~"),
    }
}

pub fn json(d: &Diff) -> String {
    let mut s = serde_json::to_string_pretty(d).unwrap_or_default();
    s.push('\n');
    s
}

pub fn yaml(d: &Diff) -> Result<String, String> {
    serde_saphyr::to_string(d).map_err(|err| format!("cannot render YAML: {err}"))
}

pub fn render(d: &Diff, o: &Options) -> String {
    let p = Paint::new(o.color);
    let mut out = String::new();
    let scope = match &d.namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "all namespaces".to_string(),
    };
    if !d.differs() {
        let _ = writeln!(
            out,
            "No difference in enforcement, paths or findings for {scope}."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        p.heading(&format!("Ambient policy diff for {scope}"))
    );
    if !d.versions.is_empty() {
        let _ = writeln!(out, "\n{}", p.heading("VERSIONS"));
        for v in &d.versions {
            let side = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
            let line = format!(
                "{} {}: {} -> {}",
                mark(&p, Change::Changed),
                v.field,
                side(&v.before),
                side(&v.after)
            );
            for (i, l) in wrap(&line, WIDTH - 4).iter().enumerate() {
                let indent = if i == 0 { "" } else { "    " };
                let _ = writeln!(out, "{indent}{l}");
            }
        }
    }
    if !d.policies.is_empty() {
        let _ = writeln!(out, "\n{}", p.heading("POLICIES"));
        for c in &d.policies {
            policy(&mut out, &p, o, c);
        }
    }
    if !d.paths.is_empty() {
        let _ = writeln!(out, "\n{}", p.heading("PATHS"));
        let mut last: Option<(&String, &Vec<String>)> = None;
        for c in &d.paths {
            let same = last == Some((&c.destination, &c.pods));
            path(&mut out, &p, c, same);
            last = Some((&c.destination, &c.pods));
        }
    }
    let changed = d.findings.introduced.len() + d.findings.resolved.len();
    let listing = match o.findings {
        Listing::Auto if changed > SCREENFUL => Listing::Summary,
        Listing::Auto => Listing::All,
        l => l,
    };
    for (title, change, list) in [
        ("FINDINGS INTRODUCED", Change::Added, &d.findings.introduced),
        ("FINDINGS RESOLVED", Change::Removed, &d.findings.resolved),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{}", p.heading(title));
            findings(&mut out, &p, change, list, listing);
        }
    }
    out
}

/// The findings of one side of the change, the same finding on several resources once; in
/// summary, their count per code first and the first few of each code.
fn findings(out: &mut String, p: &Paint, change: Change, list: &[Finding], listing: Listing) {
    let summary = by_code(list);
    let counts: Vec<String> = summary
        .iter()
        .map(|c| format!("{} {} ({})", c.count, c.code, c.severity.as_str()))
        .collect();
    let total = counted(list.len(), "finding", "findings");
    match listing {
        Listing::None => {
            let _ = writeln!(
                out,
                "{total}: {} (--findings all lists them)",
                counts.join(", ")
            );
            return;
        }
        Listing::Summary => {
            for l in wrap(&format!("{total}: {}", counts.join(", ")), WIDTH) {
                let _ = writeln!(out, "{l}");
            }
        }
        _ => {}
    }
    let fold = (listing == Listing::Summary).then_some(FOLD_NAMES);
    let groups = group(list);
    for run in per_code(&groups) {
        let shown = if fold.is_some() {
            PER_CODE.min(run.len())
        } else {
            run.len()
        };
        for g in &run[..shown] {
            finding(out, p, change, g, fold);
        }
        let hidden: usize = run[shown..].iter().map(Group::len).sum();
        if hidden > 0 {
            let code = run[0].code();
            let what = if hidden == 1 { "finding" } else { "findings" };
            let text =
                format!("{hidden} more {code} {what} (--only {code} --findings all lists them)");
            let _ = writeln!(out, "    {}", p.dim(&text));
        }
    }
}

fn policy(out: &mut String, p: &Paint, o: &Options, c: &PolicyChange) {
    let key = crate::model::resource_key(&c.kind, &c.namespace, &c.name);
    let what = match (&c.renamed_from, c.change) {
        (Some(old), _) => format!("renamed from {old}"),
        (None, Change::Added) => format!("added: {}", kind_of(c)),
        (None, Change::Removed) => format!("removed: {}", kind_of(c)),
        (None, Change::Changed) => "changed".into(),
    };
    let _ = writeln!(out, "{} {key} ({what})", mark(p, c.change));
    if c.renamed_from.is_some() {
        let _ = writeln!(out, "    enforcement unchanged; its findings carry over");
    }
    for f in &c.fields {
        let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
        let _ = writeln!(out, "    {}: {} -> {}", f.field, v(&f.before), v(&f.after));
    }
    for e in &c.entries {
        entry(out, p, o, e);
    }
}

/// `ALLOW, selector`: what a policy is, for one that appears or goes.
fn kind_of(c: &PolicyChange) -> String {
    match &c.action {
        Some(a) => format!("{a}, {}", c.attachment),
        None => c.attachment.clone(),
    }
}

/// `ztunnel via default/waypoint [waypoint] deny-all`: enforcer, where, identity, effect.
fn place(e: &Enforcement) -> String {
    if e.enforced_by == "none" {
        return "none".into();
    }
    let at = match (&e.waypoint, e.enforced_by.as_str()) {
        (Some(w), "ztunnel" | "sidecar") => format!("via {w}"),
        (Some(w), _) => match e.weight {
            Some(share) => format!("{w} ({share}%)"),
            None => w.clone(),
        },
        (None, _) => e.path.clone(),
    };
    format!("{} {at} [{}]", e.enforced_by, e.source_identity)
}

fn entry(out: &mut String, p: &Paint, o: &Options, c: &EntryChange) {
    match (&c.before, &c.after) {
        (Some(b), Some(a)) => {
            let effect = if b.effect == a.effect {
                a.effect.clone()
            } else {
                format!("{} -> {}", b.effect, a.effect)
            };
            let _ = writeln!(
                out,
                "    {} {} {effect}",
                mark(p, Change::Changed),
                place(a)
            );
            for t in b.targets.iter().filter(|t| !a.targets.contains(t)) {
                let _ = writeln!(out, "        {} {}", mark(p, Change::Removed), p.dim(t));
            }
            for t in a.targets.iter().filter(|t| !b.targets.contains(t)) {
                let _ = writeln!(out, "        {} {}", mark(p, Change::Added), p.dim(t));
            }
        }
        (b, a) => {
            let Some(e) = a.as_ref().or(b.as_ref()) else {
                return;
            };
            let _ = writeln!(out, "    {} {} {}", mark(p, c.change), place(e), e.effect);
            if o.wide {
                for t in &e.targets {
                    let _ = writeln!(out, "        {}", p.dim(t));
                }
            }
        }
    }
}

fn state(s: &Option<PathState>) -> (String, String) {
    let Some(s) = s else {
        return ("absent".into(), "-".into());
    };
    let verdict = match s.verdict.as_str() {
        "depends" => "depends on the client".to_string(),
        v => v.to_string(),
    };
    let verdict = match &s.network_policy {
        Some(np) => format!("{verdict}, NetworkPolicy: {np}"),
        None => verdict,
    };
    (verdict, s.route.clone())
}

/// Changes of one destination share its heading.
fn path(out: &mut String, p: &Paint, c: &PathChange, same_destination: bool) {
    if !same_destination {
        let mut head = c.destination.clone();
        if !c.pods.is_empty() {
            let names: Vec<&str> = c
                .pods
                .iter()
                .map(|k| k.rsplit('/').next().unwrap_or(k))
                .collect();
            head.push_str(&format!(" (and {})", names.join(", ")));
        }
        let _ = writeln!(out, "{} {head}", mark(p, Change::Changed));
    }
    let via = c
        .via
        .as_ref()
        .map(|v| format!(" to {v}"))
        .unwrap_or_default();
    let (bv, br) = state(&c.before);
    let (av, ar) = state(&c.after);
    let verdict = if bv == av {
        av.clone()
    } else {
        format!("{bv} -> {av}")
    };
    let _ = writeln!(out, "    {}{via}: {verdict}", c.source);
    if br != ar {
        let _ = writeln!(out, "      {} {}", mark(p, Change::Removed), p.dim(&br));
        let _ = writeln!(out, "      {} {}", mark(p, Change::Added), p.dim(&ar));
    }
}

fn finding(out: &mut String, p: &Paint, c: Change, g: &Group, fold: Option<usize>) {
    let sev = p.severity(g.severity());
    let head = format!("{} {}", g.code(), subject(g, fold));
    // `+ WARNING `: a list of resources wraps under the head, between names.
    let lead = g.severity().as_str().len() + 3;
    for (i, l) in wrap(&head, WIDTH - lead).into_iter().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "{} {sev} {l}", mark(p, c));
        } else {
            let _ = writeln!(out, "    {l}");
        }
    }
    for l in wrap(&g.message(), WIDTH - 4) {
        let _ = writeln!(out, "    {l}");
    }
}
