//! The human report: assumptions, waypoints and bindings, per-policy enforcement, paths and
//! findings. Fits the terminal's width (100 columns by default) without ever splitting a word;
//! colour only marks what needs attention.

use crate::explain::report::*;
use crate::findings::Severity;
use owo_colors::OwoColorize;
use std::fmt::Write;
use tabled::builder::Builder;
use tabled::settings::{Padding, Style};

/// The width when the output is not a terminal and `COLUMNS` is not set.
pub const WIDTH: usize = 100;
/// Narrower terminals still get this much (lines then overflow rather than break words).
const MIN_WIDTH: usize = 40;

/// `COLUMNS` when set to a number, else the terminal's width when stdout is a terminal, else
/// 100.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or_else(|| {
            terminal_size::terminal_size_of(std::io::stdout())
                .map(|(terminal_size::Width(w), _)| usize::from(w))
        })
        .unwrap_or(WIDTH)
}

pub struct Options {
    pub wide: bool,
    pub color: bool,
    /// How many findings `--suppress` silenced (`None`: no --suppress given).
    pub suppressed: Option<usize>,
}

struct Painter {
    on: bool,
}

impl Painter {
    fn heading(&self, s: &str) -> String {
        if self.on {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }
    fn bad(&self, s: &str) -> String {
        if self.on {
            s.red().to_string()
        } else {
            s.to_string()
        }
    }
    fn warn(&self, s: &str) -> String {
        if self.on {
            s.yellow().to_string()
        } else {
            s.to_string()
        }
    }
    fn good(&self, s: &str) -> String {
        if self.on {
            s.green().to_string()
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        if self.on {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let t = s.as_str().to_uppercase();
        match s {
            Severity::Error => self.bad(&t),
            Severity::Warning => self.warn(&t),
            Severity::Info => {
                if self.on {
                    t.blue().to_string()
                } else {
                    t
                }
            }
        }
    }
    fn effect(&self, e: &str) -> String {
        match e {
            "deny-all" | "not-enforced" => self.bad(e),
            "rules-dropped" | "l7-ignored" | "no-effect" | "fields-ignored" | "as-permissive"
            | "dry-run" => self.warn(e),
            _ => e.to_string(),
        }
    }
}

/// Visible length: ANSI colour sequences take no room.
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Column widths that fit `width` where possible: the widest columns give way first, but none
/// below its longest word, so that wrapping never splits a word or a flag name (a table
/// whose words cannot fit overflows instead).
fn column_widths(cells: &[Vec<String>], width: usize) -> Option<Vec<usize>> {
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let (mut natural, mut min) = (vec![0; cols], vec![0; cols]);
    for row in cells {
        for (i, c) in row.iter().enumerate() {
            for line in c.lines() {
                natural[i] = natural[i].max(visible_len(line));
                for w in line.split_whitespace() {
                    min[i] = min[i].max(visible_len(w));
                }
            }
        }
    }
    // Between columns: two spaces of padding and the blank style's separator.
    let avail = width.saturating_sub(3 * cols.saturating_sub(1));
    if natural.iter().sum::<usize>() <= avail {
        return None;
    }
    // Narrow the widest column first, one column at a time, never below its longest word.
    let mut widths = natural;
    let mut excess = widths.iter().sum::<usize>() - avail;
    while excess > 0 {
        let Some(i) = (0..cols)
            .filter(|i| widths[*i] > min[*i])
            .max_by_key(|i| (widths[*i], std::cmp::Reverse(*i)))
        else {
            break;
        };
        widths[i] -= 1;
        excess -= 1;
    }
    Some(widths)
}

/// Word-wraps one cell to `width` visible columns. A cell is painted as a whole, so its colour
/// codes are put around each line (a colour left open across lines would tint the next
/// columns).
fn wrap_cell(cell: &str, width: usize) -> String {
    let mut prefix = String::new();
    let mut inner = cell;
    while let Some(rest) = inner.strip_prefix("\x1b[") {
        let Some(end) = rest.find('m') else { break };
        prefix.push_str(&inner[..end + 3]);
        inner = &rest[end + 1..];
    }
    // The closing reset: `ESC[0m`, or `ESC[39m` after a foreground colour.
    let (inner, suffix) = match inner.rfind("\x1b[") {
        Some(i)
            if !prefix.is_empty()
                && inner[i + 2..]
                    .strip_suffix('m')
                    .is_some_and(|c| c.chars().all(|c| c.is_ascii_digit() || c == ';')) =>
        {
            inner.split_at(i)
        }
        _ => (inner, ""),
    };
    if visible_len(inner) <= width {
        return cell.to_string();
    }
    wrap(inner, width)
        .iter()
        .map(|l| format!("{prefix}{l}{suffix}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn table(header: &[&str], rows: Vec<Vec<String>>, width: usize) -> String {
    let mut cells = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    cells.extend(rows);
    if let Some(widths) = column_widths(&cells, width) {
        for row in &mut cells {
            for (c, w) in row.iter_mut().zip(&widths) {
                *c = wrap_cell(c, *w);
            }
        }
    }
    let mut b = Builder::default();
    for r in cells {
        b.push_record(r);
    }
    let mut t = b.build();
    t.with(Style::blank()).with(Padding::new(0, 2, 0, 0));
    let mut s = t.to_string();
    // Blank style pads every line to the table width; trailing spaces are noise.
    s = s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    s.push('\n');
    s
}

/// The report at 100 columns.
pub fn render(e: &Explanation, o: &Options) -> String {
    render_width(e, o, WIDTH)
}

/// The report for a terminal `width` columns wide.
pub fn render_width(e: &Explanation, o: &Options, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    let p = Painter { on: o.color };
    let mut out = String::new();
    let scope = match &e.namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "all namespaces".to_string(),
    };
    let _ = writeln!(
        out,
        "{}",
        p.heading(&format!("Ambient policy enforcement for {scope}"))
    );
    let _ = writeln!(out);

    // Assumptions.
    let _ = writeln!(out, "{}", p.heading("ASSUMPTIONS"));
    let rows = e
        .assumptions
        .iter()
        .filter(|a| {
            o.wide
                || !a
                    .setting
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
                || a.source != "Istio default"
        })
        .map(|a| vec![a.setting.clone(), a.value.clone(), p.dim(&a.source)])
        .collect();
    out.push_str(&table(&["SETTING", "VALUE", "SOURCE"], rows, width));
    if !o.wide {
        // Flags (upper-case settings) not at their default are listed above.
        let some_set = e.assumptions.iter().any(|a| {
            a.setting
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
                && a.source != "Istio default"
        });
        let _ = writeln!(
            out,
            "{}",
            p.dim(if some_set {
                "other istiod feature flags at Istio defaults (-o wide lists them)"
            } else {
                "istiod feature flags at Istio defaults (-o wide lists them)"
            })
        );
    }
    // Kinds every application manifest carries that cannot change where or how a policy is
    // enforced (identities come from the pods' serviceAccountName, not from ServiceAccount
    // objects): listed with -o wide and in JSON, not on every default run.
    const NO_BEARING: &[&str] = &[
        "ServiceAccount",
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "PodDisruptionBudget.policy",
        "HorizontalPodAutoscaler.autoscaling",
        "Role.rbac.authorization.k8s.io",
        "RoleBinding.rbac.authorization.k8s.io",
        "ClusterRole.rbac.authorization.k8s.io",
        "ClusterRoleBinding.rbac.authorization.k8s.io",
    ];
    let skipped: Vec<String> = e
        .skipped
        .iter()
        .filter(|(k, _)| o.wide || !NO_BEARING.contains(&k.as_str()))
        .map(|(k, n)| format!("{k} ({n})"))
        .collect();
    if !skipped.is_empty() {
        let s = skipped.join(", ");
        let _ = writeln!(out, "{}", p.dim(&format!("not modelled: {s}")));
    }
    for i in &e.incomplete {
        let _ = writeln!(
            out,
            "{}",
            p.warn(&format!(
                "could not read {} in {}: {}",
                i.kind,
                i.namespace.as_deref().unwrap_or("all namespaces"),
                i.reason
            ))
        );
    }
    let _ = writeln!(out);

    // Waypoints and bindings.
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
                    super::principal(&w.identity).to_string(),
                    w.allowed_namespaces.clone(),
                    conditions_text(&w.istiod_status),
                ]
            })
            .collect();
        out.push_str(&table(
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
    let _ = writeln!(out, "{}", p.heading("BINDINGS"));
    let mut rows: Vec<Vec<String>> = e
        .services
        .iter()
        .filter(|s| o.wide || s.waypoint.is_some() || s.waypoint_error.is_some() || s.opted_out)
        .map(|s| {
            vec![
                format!("{}/{}/{}", s.kind, s.namespace, s.name),
                if s.opted_out {
                    // Shown: a Service kept off the waypoint is a choice the reader should see.
                    "none (opted out)".into()
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
        })
        .collect();
    rows.extend(
        e.workloads
            .iter()
            .filter(|w| w.waypoint.is_some() || w.waypoint_error.is_some())
            .map(|w| {
                vec![
                    format!("{}/{}/{}", w.kind, w.namespace, w.name),
                    binding_text(&p, &w.waypoint, &w.waypoint_error, &None),
                    "-".into(),
                    "-".into(),
                ]
            }),
    );
    if rows.is_empty() {
        let _ = writeln!(out, "{}", p.dim("nothing in scope uses a waypoint"));
    } else {
        out.push_str(&table(
            &["TARGET", "WAYPOINT", "INGRESS", "ISTIOD"],
            rows,
            width,
        ));
    }
    let _ = writeln!(out);

    // Workloads.
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
        out.push_str(&table(&h, rows, width));
    }
    let _ = writeln!(out);

    // Policies, one table per kind.
    let _ = writeln!(out, "{}", p.heading("POLICIES"));
    if e.policies.is_empty() {
        let _ = writeln!(out, "{}", p.dim("no policy affects traffic in scope"));
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
        out.push_str(&table(
            &[kind, "ACTION", "ENFORCED BY", "WHERE", "IDENTITY", "EFFECT"],
            rows,
            width,
        ));
        let _ = writeln!(out);
    }

    // Paths.
    let _ = writeln!(out, "{}", p.heading("PATHS"));
    if e.paths.is_empty() {
        let _ = writeln!(out, "{}", p.dim("no destination workloads in scope"));
    }
    let decided_per_request = e.paths.iter().any(|path| {
        path.hops.iter().any(|h| {
            matches!(h.component.as_str(), "waypoint" | "sidecar") && !h.policies.is_empty()
        })
    });
    if decided_per_request {
        let line = "=> is the destination ztunnel's verdict; waypoints and sidecars decide per \
                    request (see check)";
        for l in wrap(line, width) {
            let _ = writeln!(out, "{}", p.dim(&l));
        }
    }
    let mut last = "";
    for path in &e.paths {
        let outside = path.hops.last().is_some_and(|h| h.component == "none");
        if path.destination != last {
            last = &path.destination;
            let _ = writeln!(out, "{}", path.destination);
            if path.pods.len() > 1 {
                let others: Vec<&str> = path
                    .pods
                    .iter()
                    .filter(|p| **p != path.destination)
                    .map(|p| p.rsplit('/').next().unwrap_or(p))
                    .collect();
                let line = format!("same paths for {}", others.join(", "));
                for l in wrap(&line, width - 2) {
                    let _ = writeln!(out, "  {}", p.dim(&l));
                }
            }
            if outside {
                let why = path
                    .note
                    .as_deref()
                    .unwrap_or("destination is not in the mesh");
                for line in wrap(&format!("every path: {why}"), width - 2) {
                    let _ = writeln!(out, "  {}", p.warn(&line));
                }
            }
        }
        if outside {
            continue;
        }
        let hops = path
            .hops
            .iter()
            .map(|h| hop_text(&p, h, o.wide))
            .collect::<Vec<_>>()
            .join(" > ");
        let lead = format!("  {:<16} ", path.source);
        for (i, line) in wrap(&hops, width - lead.len() - 2).into_iter().enumerate() {
            let _ = writeln!(
                out,
                "{}{line}",
                if i == 0 {
                    lead.clone()
                } else {
                    " ".repeat(lead.len() + 2)
                }
            );
        }
        let mut extra = Vec::new();
        if let Some(v) = &path.via {
            extra.push(format!("addressed to {v}"));
        }
        if let Some(n) = &path.note {
            extra.push(n.clone());
        }
        for line in wrap(&extra.join("; "), width - lead.len()) {
            let _ = writeln!(out, "{}{}", " ".repeat(lead.len()), p.dim(&line));
        }
    }
    let _ = writeln!(out);

    // Findings.
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
    out
}

/// "1 policy", "2 policies", "0 policies".
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Names are short where the namespace is the one explained.
fn short_name(e: &Explanation, ns: &str, name: &str) -> String {
    if e.namespace.as_deref() == Some(ns) {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    }
}

/// ENFORCED BY, WHERE (the enforcing proxy, or the waypoint crossed first), IDENTITY, EFFECT.
fn enforcement_cells(p: &Painter, en: &Enforcement) -> Vec<String> {
    let by = if en.enforced_by == "none" {
        p.bad("none")
    } else {
        en.enforced_by.clone()
    };
    let place = match (&en.waypoint, en.enforced_by.as_str()) {
        (Some(w), "ztunnel" | "sidecar") => format!("via {w}"),
        (Some(w), _) => w.clone(),
        (None, "none") => "-".into(),
        _ => en.path.clone(),
    };
    vec![by, place, en.source_identity.clone(), p.effect(&en.effect)]
}

/// `-o wide`: one block per policy with its ztunnel conversion and every target.
fn policy_block(p: &Painter, e: &Explanation, pol: &PolicyReport, width: usize) -> String {
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
        let text = format!("istiod status: {}", conditions_text(&pol.istiod_status));
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
    // Aligned by hand: each entry's targets go on their own lines beneath it.
    let cells: Vec<Vec<String>> = pol
        .enforcement
        .iter()
        .map(|en| enforcement_cells(&Painter { on: false }, en))
        .collect();
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].len())
                .chain([["ENFORCED BY", "WHERE", "IDENTITY", "EFFECT"][i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |c: [&str; 4]| {
        format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {}",
            c[0],
            c[1],
            c[2],
            c[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
    };
    let _ = writeln!(
        out,
        "{}",
        line(["ENFORCED BY", "WHERE", "IDENTITY", "EFFECT"]).trim_end()
    );
    for (en, c) in pol.enforcement.iter().zip(&cells) {
        let by = if en.enforced_by == "none" {
            p.bad(&format!("{:<w$}", c[0], w = widths[0]))
        } else {
            format!("{:<w$}", c[0], w = widths[0])
        };
        let _ = writeln!(
            out,
            "  {by}  {:<w1$}  {:<w2$}  {}",
            c[1],
            c[2],
            p.effect(&c[3]),
            w1 = widths[1],
            w2 = widths[2]
        );
        for t in &en.targets {
            let _ = writeln!(out, "  {:w$}  {}", "", p.dim(t), w = widths[0]);
        }
    }
    let _ = writeln!(out);
    out
}

/// istiod's conditions, compactly: `Programmed=True, Accepted=True`, or `-`.
fn conditions_text(conds: &[crate::model::Condition]) -> String {
    if conds.is_empty() {
        return "-".into();
    }
    conds
        .iter()
        .map(|c| {
            let t = c.type_.rsplit('/').next().unwrap_or(&c.type_);
            if c.status == "True" || c.reason.is_empty() {
                format!("{t}={}", c.status)
            } else {
                format!("{t}={} ({})", c.status, c.reason)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn binding_text(
    p: &Painter,
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

fn hop_text(p: &Painter, h: &Hop, wide: bool) -> String {
    let mut s = match (h.component.as_str(), &h.name) {
        ("waypoint", Some(n)) => format!("waypoint {n}"),
        (c, _) => c.to_string(),
    };
    if matches!(h.component.as_str(), "ztunnel" | "sidecar") {
        s.push_str(&format!(" [{}]", h.source_identity));
    }
    let n = h.policies.len();
    if wide && n > 0 {
        s.push_str(&format!(" {{{}}}", h.policies.join(", ")));
    } else if n > 0 {
        s.push_str(&format!(" ({})", counted(n, "policy", "policies")));
    }
    if h.component == "none" {
        s = p.warn("not in mesh");
    }
    // The verdict is this hop's (ztunnel's L4 decision), not the request's: a waypoint or
    // sidecar before it decides per request, which `check` evaluates.
    match &h.verdict {
        Some(crate::explain::report::Verdict::Allow) => {
            s.push_str(&format!(" {}", p.good("=> allow")))
        }
        Some(crate::explain::report::Verdict::Deny(_)) => {
            s.push_str(&format!(" {}", p.bad("=> deny")))
        }
        Some(crate::explain::report::Verdict::Depends) => {
            s.push_str(&format!(" {}", p.warn("=> depends on the client")))
        }
        None => {}
    }
    s
}

/// Greedy word wrap for prose.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_hop_verdict_reads_as_the_hops_own() {
        use crate::explain::report::Verdict;
        let p = Painter { on: false };
        let hop = |verdict| Hop {
            component: "ztunnel".into(),
            name: None,
            source_identity: "client".into(),
            spiffe: None,
            policies: vec!["AuthorizationPolicy/ns/p".into()],
            verdict,
        };
        let text = |v| hop_text(&p, &hop(v), false);
        assert_eq!(
            text(Some(Verdict::Allow)),
            "ztunnel [client] (1 policy) => allow"
        );
        assert_eq!(
            text(Some(Verdict::Deny(vec!["p".into()]))),
            "ztunnel [client] (1 policy) => deny"
        );
        assert_eq!(
            text(Some(Verdict::Depends)),
            "ztunnel [client] (1 policy) => depends on the client"
        );
        assert_eq!(text(None), "ztunnel [client] (1 policy)");
    }

    #[test]
    fn widest_column_gives_way_but_never_below_its_longest_word() {
        let t = cells(&[
            &["NAME", "WHY"],
            &["web", "namespace label istio.io/dataplane-mode=ambient"],
        ]);
        // Fits: no wrapping at all.
        assert_eq!(column_widths(&t, 60), None);
        // Three columns between them: the long column shrinks to 33.
        assert_eq!(column_widths(&t, 40), Some(vec![4, 33]));
        // Never below its longest word (31): the table overflows instead.
        assert_eq!(column_widths(&t, 20), Some(vec![4, 31]));
        let s = table(&["NAME", "WHY"], t[1..].to_vec(), 40);
        assert!(s.lines().all(|l| visible_len(l) <= 40), "{s}");
        assert!(s.contains("istio.io/dataplane-mode=ambient"), "{s}");
    }

    #[test]
    fn wrapped_colour_is_closed_on_every_line() {
        let red = "\x1b[31mWaypointIsNotReady (default/details-waypoint)\x1b[39m";
        assert_eq!(visible_len(red), 45);
        assert_eq!(
            wrap_cell(red, 30),
            "\x1b[31mWaypointIsNotReady\x1b[39m\n\x1b[31m(default/details-waypoint)\x1b[39m"
        );
        assert_eq!(wrap_cell("short", 30), "short");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(counted(1, "policy", "policies"), "1 policy");
        assert_eq!(counted(0, "policy", "policies"), "0 policies");
        assert_eq!(counted(2, "finding", "findings"), "2 findings");
    }
}
