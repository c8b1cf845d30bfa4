//! The reachability matrix: every source in scope against one destination, one source
//! against every destination, or the whole source x destination table. Sources are grouped
//! by what the path depends on (class and identity), destinations by how they are enforced
//! (waypoint chain and the enforcement signature of their pods), and each pair of groups is
//! evaluated once.

use super::path::{check, Query};
use super::report::{PolicyRef, Verdict};
use super::resolve::{resolve_source, Addressed, Client, SourceSpec, Target};
use super::Ask;
use crate::enforce::{hops, Index};
use crate::error::Result;
use crate::mesh::Role;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

pub const KIND: &str = "ReachabilityMatrix";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixReport {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub request: MatrixRequest,
    pub sources: Vec<SourceRow>,
    pub destinations: Vec<String>,
    /// One per source x destination, sources in order, then destinations.
    pub cells: Vec<Cell>,
    pub assumptions: Vec<String>,
    /// The version rules that decided something in this matrix, as explain lists them.
    pub version_rules: Vec<crate::versions::RuleRow>,
    /// Source x destination pairs actually evaluated (groups of sources alike times groups
    /// of destinations enforced alike); every other cell is a copy.
    pub evaluations: usize,
    /// Decided on a ztunnel dump (`--ztunnel-dump`): the cells the model decides otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataplane: Option<super::report::MatrixDataplane>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixRequest {
    pub port: Option<u16>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRow {
    pub source: String,
    pub identity: Option<String>,
    /// Every workload this row stands for (same class and identity).
    pub members: Vec<String>,
}

/// One source x destination. Cells of pairs evaluated once share their result (a million
/// cells of a big mesh would otherwise be a million copies).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    pub source: Arc<str>,
    pub destination: Arc<str>,
    #[serde(flatten)]
    pub result: Arc<CellResult>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CellResult {
    pub verdict: Verdict,
    /// The component of the deciding hop.
    pub hop: Option<String>,
    pub policy: Option<PolicyRef>,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// The identity each hop sees, as `component=identity` (`none` for plaintext).
    pub identities: Vec<String>,
    /// The same request through the canary waypoint that takes a share of the destination's
    /// requests (`istio.io/use-waypoint-canary`, Istio 1.31+). `verdict` and the fields above
    /// follow the primary waypoint, or the canary when it takes every request (weight 100),
    /// as `check`'s single request does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryCell>,
}

/// A cell's request through the canary waypoint.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryCell {
    /// `ns/name` of the canary waypoint.
    pub waypoint: String,
    /// Its share of the requests, in percent.
    pub weight: u32,
    pub verdict: Verdict,
    /// The component of the deciding hop on the canary's path.
    pub hop: Option<String>,
    pub policy: Option<PolicyRef>,
    pub reason: String,
}

impl CellResult {
    /// Whether the requests through the canary waypoint get another verdict than the
    /// primary's.
    pub fn canary_differs(&self) -> bool {
        self.canary
            .as_ref()
            .is_some_and(|c| c.verdict != self.verdict)
    }
}

/// A workload's name for humans: `deploy/NS/NAME` for a pod named like a Deployment's
/// (`NAME-<pod-template-hash>-<5 chars>`, or the `pod-template-hash` label), else the pod.
fn workload_label(ix: &Index, p: usize) -> String {
    let pod = &ix.snap.pods[p];
    let m = &pod.metadata;
    // A controller's pod template (manifests): named by its controller.
    if pod.kind() != "Pod" {
        return super::grammar::short_label(pod.kind(), &m.namespace, &m.name);
    }
    let segs: Vec<&str> = m.name.rsplitn(3, '-').collect();
    let hash_like =
        |h: &str| (6..=10).contains(&h.len()) && h.chars().all(|c| c.is_ascii_alphanumeric());
    let by_label = m
        .label("pod-template-hash")
        .filter(|h| segs.len() == 3 && segs[1] == *h);
    if by_label.is_some() || (segs.len() == 3 && segs[0].len() == 5 && hash_like(segs[1])) {
        return format!("deploy/{}/{}", m.namespace, segs[2]);
    }
    format!("pod/{}/{}", m.namespace, m.name)
}

/// Sources in scope, grouped by class and identity, then `ingress` and `external`.
fn sources(ix: &Index, ask: &Ask) -> Result<Vec<(SourceRow, Client)>> {
    let mesh = ix.mesh;
    let mut rows: Vec<(SourceRow, Client)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // With NetworkPolicies, what the CNI sees of the pod counts too: its namespace, labels
    // and address (selectors and ipBlocks).
    let netpol = ix.network_policies().any();
    let key = |c: &Client| {
        let cni = match c.pod.filter(|_| netpol) {
            Some(p) => {
                let m = &ix.snap.pods[p];
                format!(
                    "{}|{:?}|{}",
                    m.metadata.namespace, m.metadata.labels, m.status.pod_ip
                )
            }
            None => String::new(),
        };
        let network = c.pod.map_or("", |p| mesh.networks.of(p));
        format!("{:?}|{:?}|{cni}|{network}", c.class, c.identity)
    };
    let mut add = |rows: &mut Vec<(SourceRow, Client)>, label: String, mut c: Client| {
        c.ip = None;
        match index.get(&key(&c)) {
            Some(&i) => {
                if !rows[i].0.members.contains(&label) {
                    rows[i].0.members.push(label);
                }
            }
            None => {
                index.insert(key(&c), rows.len());
                c.label = label.clone();
                rows.push((
                    SourceRow {
                        source: label.clone(),
                        identity: c.identity.clone(),
                        members: vec![label],
                    },
                    c,
                ));
            }
        }
    };
    for (p, pod) in ix.snap.pods.iter().enumerate() {
        let in_scope = ask
            .namespace
            .as_deref()
            .is_none_or(|n| n == pod.metadata.namespace);
        if !in_scope || mesh.pods[p].role != Role::Workload {
            continue;
        }
        let spec = SourceSpec::Pod {
            ns: pod.metadata.namespace.clone(),
            name: pod.metadata.name.clone(),
        };
        let c = resolve_source(mesh, &spec)?;
        add(&mut rows, workload_label(ix, p), c);
    }
    add(
        &mut rows,
        "ingress".into(),
        resolve_source(mesh, &SourceSpec::Ingress(None))?,
    );
    add(
        &mut rows,
        "external".into(),
        resolve_source(mesh, &SourceSpec::External)?,
    );
    Ok(rows)
}

/// Destinations in scope: Services (those exposing `--port` when given), and pods by IP
/// with `--pod-ip`.
fn destinations(ix: &Index, ask: &Ask) -> Vec<Target> {
    let (snap, mesh) = (ix.snap, ix.mesh);
    let in_scope = |ns: &str| ask.namespace.as_deref().is_none_or(|n| n == ns);
    let mut out = Vec::new();
    for (s, svc) in snap.services.iter().enumerate() {
        let m = &svc.metadata;
        if !in_scope(&m.namespace)
            || mesh.services[s]
                .pods
                .iter()
                .all(|&p| mesh.pods[p].role != Role::Workload)
        {
            continue;
        }
        let spec = super::resolve::DestSpec::Service {
            ns: m.namespace.clone(),
            name: m.name.clone(),
            port: None,
        };
        if let Ok(t) = super::resolve::resolve_dest(mesh, &spec, ask.port) {
            out.push(t);
        }
    }
    if ask.pod_ip {
        for (p, pod) in snap.pods.iter().enumerate() {
            if !in_scope(&pod.metadata.namespace) || mesh.pods[p].role != Role::Workload {
                continue;
            }
            let spec = super::resolve::DestSpec::Pod {
                ns: pod.metadata.namespace.clone(),
                name: pod.metadata.name.clone(),
                port: None,
            };
            if let Ok(t) = super::resolve::resolve_dest(mesh, &spec, ask.port) {
                out.push(t);
            }
        }
    }
    out
}

/// What the result for a destination depends on, besides the source: destinations with
/// equal keys get equal cells.
fn dest_key(ix: &Index, t: &Target) -> String {
    let (w, chain, iuw) = hops::binding(ix.mesh, t.addressed);
    let at_waypoint: Vec<usize> = match w {
        Some(w) => ix.chain_policies(w, chain),
        None => vec![],
    };
    // A canary splits the requests: its waypoint, share and policies count too.
    let canary = canary_of(ix, t.addressed).map(|c| (c, ix.chain_policies(c.waypoint, chain)));
    let mut sigs: Vec<(u32, &str)> = t
        .endpoints
        .iter()
        .map(|&d| (ix.signature(d), ix.mesh.networks.of(d)))
        .collect();
    sigs.sort();
    sigs.dedup();
    format!(
        "{w:?}|{}|{iuw}|{at_waypoint:?}|{canary:?}|{:?}|{:?}|{:?}|{sigs:?}",
        matches!(t.addressed, Addressed::PodIp(_)),
        t.port,
        t.target_port,
        t.host
    )
}

/// The canary in effect for an address (a Service or ServiceEntry), if any.
fn canary_of(ix: &Index, to: Addressed) -> Option<crate::mesh::Canary> {
    match to {
        Addressed::Service {
            entry: false,
            index,
        } => ix.mesh.services[index].canary,
        Addressed::Service { entry: true, index } => ix.mesh.service_entries[index].canary,
        Addressed::PodIp(_) => None,
    }
}

pub fn build(
    ix: &Index,
    client: Option<Client>,
    target: Option<Target>,
    q: &Query,
    ask: &Ask,
) -> Result<MatrixReport> {
    let rows: Vec<(SourceRow, Client)> = match client {
        Some(c) => vec![(
            SourceRow {
                source: c.label.clone(),
                identity: c.identity.clone(),
                members: vec![c.label.clone()],
            },
            c,
        )],
        None => sources(ix, ask)?,
    };
    let targets: Vec<Target> = match target {
        Some(t) => vec![t],
        None => destinations(ix, ask),
    };
    let mut assumptions: Vec<String> = rows
        .iter()
        .filter_map(|r| r.1.assumption.clone())
        .chain(targets.iter().filter_map(|t| t.assumption.clone()))
        .collect();
    assumptions.sort();
    assumptions.dedup();
    assumptions.splice(0..0, super::version_assumptions(ix));
    if rows.len() > 1 {
        assumptions.push(if ix.network_policies().any() {
            "sources are grouped by class, identity and what NetworkPolicies see of them (namespace, labels, address)".into()
        } else {
            "sources are grouped by class and identity; their pod IPs are not used (give --source-ip to test ipBlocks)".into()
        });
    }
    let split: Vec<&str> = targets
        .iter()
        .filter(|t| canary_of(ix, t.addressed).is_some())
        .map(|t| t.label.as_str())
        .collect();
    if !split.is_empty() {
        let named = match split.len() {
            1 => split[0].to_string(),
            n if n <= 5 => split.join(", "),
            n => format!("{}, ... ({n} destinations)", split[..5].join(", ")),
        };
        assumptions.push(format!(
            "a share of the requests to {named} goes through a canary waypoint (istio.io/use-waypoint-canary): a cell's verdict is the primary waypoint's, or the canary's when it takes every request (weight 100); the other's is said beside the cell (-o json: cells[].canary)"
        ));
    }
    // One representative per destination group.
    let keys: Vec<String> = targets.iter().map(|t| dest_key(ix, t)).collect();
    let mut rep: HashMap<&str, usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        rep.entry(k.as_str()).or_insert(i);
    }
    let mut cells = Vec::with_capacity(rows.len() * targets.len());
    let mut evaluations = 0;
    let labels: Vec<Arc<str>> = targets
        .iter()
        .map(|t| Arc::from(t.label.as_str()))
        .collect();
    for (row, c) in &rows {
        let source: Arc<str> = Arc::from(row.source.as_str());
        let mut memo: HashMap<usize, Arc<CellResult>> = HashMap::new();
        for i in 0..targets.len() {
            let r = rep[keys[i].as_str()];
            let cell = memo.entry(r).or_insert_with(|| {
                evaluations += 1;
                let rep_t = &targets[r];
                let report = check(ix, c, rep_t, q);
                let by = &report.decided_by;
                Arc::new(CellResult {
                    verdict: report.verdict,
                    hop: by.hop.map(|h| report.hops[h].component.clone()),
                    policy: by.policy.clone(),
                    reason: by.reason.clone(),
                    needs: by.needs.clone(),
                    identities: report
                        .hops
                        .iter()
                        // The CNI's gates see addresses, not identities.
                        .filter(|h| h.component != "network-policy")
                        .map(|h| {
                            format!(
                                "{}={}",
                                h.component,
                                h.source_identity.as_deref().unwrap_or("none")
                            )
                        })
                        .collect(),
                    canary: report.canary.as_ref().map(|c| CanaryCell {
                        waypoint: c.waypoint.clone(),
                        weight: c.weight,
                        verdict: c.verdict,
                        hop: c.decided_by.hop.map(|h| c.hops[h].component.clone()),
                        policy: c.decided_by.policy.clone(),
                        reason: c.decided_by.reason.clone(),
                    }),
                })
            });
            cells.push(Cell {
                source: source.clone(),
                destination: labels[i].clone(),
                result: cell.clone(),
            });
        }
    }
    Ok(MatrixReport {
        api_version: crate::contract::API_VERSION,
        kind: KIND,
        request: MatrixRequest {
            port: ask.port,
            method: q.method.clone(),
            path: q.path.clone(),
            headers: q.headers.clone(),
        },
        sources: rows.into_iter().map(|r| r.0).collect(),
        destinations: targets.into_iter().map(|t| t.label).collect(),
        cells,
        assumptions,
        version_rules: ix.mesh.rules.applied().iter().map(|r| *r.info()).collect(),
        evaluations,
        dataplane: None,
    })
}

/// Exit code of a matrix: 0 (it is a report, not a single answer).
pub fn exit_code(_: &MatrixReport) -> u8 {
    0
}

impl MatrixReport {
    /// The cell of source row `s` and destination `d`.
    pub fn cell(&self, s: usize, d: usize) -> &Cell {
        &self.cells[s * self.destinations.len() + d]
    }
}
