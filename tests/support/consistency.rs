//! The consistency of the engine's consumers (issue 12), checked on one Snapshot: for
//! every destination workload and a concrete client of each source class,
//! * the verdict `explain` prints for the destination ztunnel, when it is decided, is the
//!   decision `check` reaches at that hop for every concrete client of that class;
//! * every matrix cell that is decided equals the single `check` of its pair;
//! * every enforcer `explain` names for a policy is a hop where `check` evaluates it.
//!
//! Work is bounded by counts (clients per class, destinations per input), not by time.

use ambient_policy::check::path::{check, Query};
use ambient_policy::check::report::{CheckReport, Verdict as CheckVerdict};
use ambient_policy::check::resolve::{
    parse_dest, resolve_dest, resolve_source, short_label, Client, DestSpec, SourceSpec,
};
use ambient_policy::check::{self, Answer, Ask};
use ambient_policy::enforce::Index;
use ambient_policy::explain::report::{Explanation, PolicyReport, Verdict};
use ambient_policy::explain::{explain, Scope};
use ambient_policy::mesh::{Dataplane, Mesh, Role};
use ambient_policy::snapshot::Snapshot;
use std::collections::{BTreeSet, HashMap};

/// At most this many distinct clients (class and identity) are asked per source class.
const CLIENTS_PER_CLASS: usize = 12;
/// At most this many destination groups are checked per input.
const DESTINATIONS: usize = 60;

/// What the comparisons found: how many questions were compared, and every disagreement.
#[derive(Default)]
pub struct Tally {
    pub compared: usize,
    pub decided: usize,
    pub failures: Vec<String>,
}

pub fn decision_of(v: &Verdict) -> Option<&'static str> {
    match v {
        Verdict::Allow => Some("allow"),
        Verdict::Deny(_) => Some("deny"),
        Verdict::Depends => None,
    }
}

/// `Kind/ns/name` as `check` takes it (`pod/ns/name`, `deploy/ns/name`, `svc/ns/name`).
fn cli_form(key: &str) -> Option<String> {
    let mut it = key.splitn(3, '/');
    let (kind, ns, name) = (it.next()?, it.next()?, it.next()?);
    Some(match kind {
        "Service" => format!("svc/{ns}/{name}"),
        "ServiceEntry" | "Gateway" => return None,
        k => short_label(k, ns, name),
    })
}

/// Concrete clients of each source class of `explain`'s paths, deduplicated by identity.
fn clients(mesh: &Mesh) -> HashMap<&'static str, Vec<Client>> {
    let mut out: HashMap<&'static str, Vec<Client>> = HashMap::new();
    let mut seen: BTreeSet<(&'static str, Option<String>)> = BTreeSet::new();
    let mut add = |class: &'static str, c: Client| {
        let list = out.entry(class).or_default();
        if list.len() < CLIENTS_PER_CLASS && seen.insert((class, c.identity.clone())) {
            list.push(c);
        }
    };
    for (p, pod) in mesh.snap.pods.iter().enumerate() {
        let info = &mesh.pods[p];
        if info.role != Role::Workload {
            continue;
        }
        let spec = SourceSpec::Pod {
            ns: pod.metadata.namespace.clone(),
            name: pod.metadata.name.clone(),
        };
        let Ok(c) = resolve_source(mesh, &spec) else {
            continue;
        };
        match info.dataplane {
            Dataplane::Ambient => {
                add("ambient-service", c.clone());
                add("ambient-pod-ip", c);
            }
            Dataplane::Sidecar => add("sidecar", c),
            Dataplane::None => add("out-of-mesh", c),
        }
    }
    // A client of the mesh no policy names, and the fixed ones.
    let probe = SourceSpec::ServiceAccount {
        ns: "consistency-probe".into(),
        name: "client".into(),
    };
    if let Ok(c) = resolve_source(mesh, &probe) {
        add("ambient-service", c.clone());
        add("ambient-pod-ip", c);
    }
    for (class, spec) in [
        ("ingress", SourceSpec::Ingress(None)),
        ("out-of-mesh", SourceSpec::External),
    ] {
        if let Ok(c) = resolve_source(mesh, &spec) {
            add(class, c);
        }
    }
    out
}

/// `check` of one client to destination pod `d`, addressed by `via` (a Service) or by IP.
fn check_pod(ix: &Index, c: &Client, via: Option<&str>, d: usize) -> Option<CheckReport> {
    let mesh = ix.mesh;
    let pod = &mesh.snap.pods[d];
    let spec = match via.and_then(cli_form) {
        Some(svc) => parse_dest(&svc, "default").ok()?,
        None => DestSpec::Pod {
            ns: pod.metadata.namespace.clone(),
            name: pod.metadata.name.clone(),
            port: None,
        },
    };
    let mut t = resolve_dest(mesh, &spec, None).ok()?;
    // The question is about this pod, whichever endpoint the Service would pick.
    if !t.endpoints.contains(&d) && via.is_some() {
        return None;
    }
    t.endpoints = vec![d];
    Some(check(ix, c, &t, &Query::default()))
}

/// The hop of `report` at pod `key`'s ztunnel (or sidecar).
fn destination_hop<'r>(
    report: &'r CheckReport,
    key: &str,
) -> Option<&'r ambient_policy::check::report::HopReport> {
    report
        .hops
        .iter()
        .rev()
        .find(|h| h.name.as_deref() == Some(key) && h.component != "client-ztunnel")
}

/// explain's destination-ztunnel verdicts against `check` at that hop.
fn paths_agree(snap: &Snapshot, e: &Explanation, t: &mut Tally, what: &str) {
    let mesh = Mesh::build(snap);
    let ix = Index::new(&mesh);
    let clients = clients(&mesh);
    let key_of: HashMap<String, usize> = (0..snap.pods.len())
        .map(|d| (mesh.pod_key(d).to_string(), d))
        .collect();
    let mut destinations = BTreeSet::new();
    for path in &e.paths {
        destinations.insert(path.destination.clone());
        if destinations.len() > DESTINATIONS {
            break;
        }
        let Some(hop) = path.hops.last().filter(|h| h.component == "ztunnel") else {
            continue;
        };
        let Some(want) = hop.verdict.as_ref() else {
            continue;
        };
        let Some(&d) = key_of.get(&*path.destination) else {
            continue;
        };
        let via = path.via.as_deref();
        if path.source == "ambient-service" && via.is_none() {
            continue; // no Service selects the pod: nothing to address
        }
        // A path through a canary waypoint is check's `canary` of the same request.
        let canary = path.source.ends_with("-canary");
        let class = path.source.trim_end_matches("-canary");
        for c in clients.get(class).into_iter().flatten() {
            let Some(mut report) = check_pod(&ix, c, via, d) else {
                continue;
            };
            if canary {
                let Some(cc) = report.canary.take() else {
                    t.failures.push(format!(
                        "{what}: explain has a path to {} through a canary ({}), check from {} has no canary",
                        path.destination, path.source, c.label
                    ));
                    continue;
                };
                report.hops = cc.hops;
            }
            let Some(got) = destination_hop(&report, &path.destination) else {
                t.failures.push(format!(
                    "{what}: check {} -> {} has no hop at {}",
                    c.label, path.destination, path.destination
                ));
                continue;
            };
            t.compared += 1;
            // The identity explain saw must be the one check's hop sees.
            if hop.source_identity == "waypoint"
                && got.source_identity.as_deref() != hop.spiffe.as_deref()
            {
                t.failures.push(format!(
                    "{what}: {} from {} ({}): explain's ztunnel sees {:?}, check's {:?}",
                    path.destination, c.label, path.source, hop.spiffe, got.source_identity
                ));
            }
            let Some(want) = decision_of(want) else {
                continue;
            };
            t.decided += 1;
            // A hop check marks "not-evaluated" enforces nothing: allowed.
            let got_d = match got.decision.as_str() {
                "not-evaluated" => "allow",
                d => d,
            };
            if got_d != want {
                t.failures.push(format!(
                    "{what}: {} from {} ({}, via {:?}): explain's ztunnel says {want}, check says {got_d} ({:?})",
                    path.destination, c.label, path.source, via, got.policies
                ));
            }
        }
    }
}

/// Matrix cells against the single check of their pair.
fn matrix_agrees(snap: &Snapshot, namespace: &str, t: &mut Tally, what: &str) {
    let ask = Ask {
        namespace: Some(namespace.into()),
        ..Ask::default()
    };
    let Ok(Answer::Matrix(m)) = check::run(snap, &ask) else {
        return;
    };
    let nd = m.destinations.len().min(DESTINATIONS);
    for (s, row) in m.sources.iter().enumerate().take(CLIENTS_PER_CLASS * 2) {
        for d in 0..nd {
            let cell = m.cell(s, d);
            if cell.result.verdict == CheckVerdict::Unknown {
                continue; // the matrix drops pod IPs: a single check may know more
            }
            let one = Ask {
                from: Some(row.source.clone()),
                to: Some(m.destinations[d].clone()),
                namespace: Some(namespace.into()),
                ..Ask::default()
            };
            let Ok(Answer::One(r)) = check::run(snap, &one) else {
                t.failures.push(format!(
                    "{what}: matrix pair {} -> {} cannot be checked alone",
                    row.source, m.destinations[d]
                ));
                continue;
            };
            t.compared += 1;
            t.decided += 1;
            if r.verdict != cell.result.verdict {
                t.failures.push(format!(
                    "{what}: matrix {} -> {} is {:?}, check says {:?}",
                    row.source, m.destinations[d], cell.result.verdict, r.verdict
                ));
            }
        }
    }
}

/// Every enforcer explain names for a policy is a hop where check evaluates it.
fn enforcers_agree(snap: &Snapshot, e: &Explanation, t: &mut Tally, what: &str) {
    let mesh = Mesh::build(snap);
    let ix = Index::new(&mesh);
    let key_of: HashMap<String, usize> = (0..snap.pods.len())
        .map(|d| (mesh.pod_key(d).to_string(), d))
        .collect();
    let probe = SourceSpec::ServiceAccount {
        ns: "consistency-probe".into(),
        name: "client".into(),
    };
    let Ok(client) = resolve_source(&mesh, &probe) else {
        return;
    };
    for p in &e.policies {
        if p.kind != "AuthorizationPolicy" {
            continue;
        }
        for en in &p.enforcement {
            // Dry-run policies are logged, never evaluated for a decision.
            if en.effect == "dry-run" || en.effect == "not-enforced" {
                continue;
            }
            let (component, hop_name) = match en.enforced_by.as_str() {
                "ztunnel" | "sidecar" => (en.enforced_by.as_str(), None),
                "waypoint" => ("waypoint", en.waypoint.clone()),
                "gateway" => {
                    gateway_evaluates(&ix, p, en.waypoint.as_deref(), t, what);
                    continue;
                }
                _ => continue,
            };
            for target in en.targets.iter().take(4) {
                let (via, d) = match key_of.get(&**target) {
                    Some(&d) => (None, d),
                    None if target.starts_with("Service/") => {
                        let Some(&d) = snap
                            .services
                            .iter()
                            .position(|s| {
                                format!("Service/{}/{}", s.metadata.namespace, s.metadata.name)
                                    == **target
                            })
                            .and_then(|s| mesh.services[s].pods.first())
                        else {
                            continue;
                        };
                        (Some(&**target), d)
                    }
                    None => continue,
                };
                // Only the enforcer's own entry path: a ztunnel entry "via waypoint" is the
                // same hop as the direct one.
                if component == "waypoint"
                    && via.is_none()
                    && mesh.pods[d].binding.waypoint.is_none()
                {
                    continue;
                }
                if mesh.pods[d].role != Role::Workload {
                    continue;
                }
                let Some(r) = check_pod(&ix, &client, via, d) else {
                    continue;
                };
                t.compared += 1;
                // A waypoint sharing the requests with a canary: either one's hops.
                let canary_hops = r.canary.iter().flat_map(|c| &c.hops);
                let found = r.hops.iter().chain(canary_hops).any(|h| {
                    h.component == component
                        && hop_name.as_ref().is_none_or(|n| h.name.as_ref() == Some(n))
                        && h.policies
                            .iter()
                            .any(|l| l.namespace == p.namespace && l.name == p.name)
                });
                if !found {
                    t.failures.push(format!(
                        "{what}: explain says {} enforces AuthorizationPolicy/{}/{} on {target}; check's hops {:?} do not evaluate it",
                        en.enforced_by,
                        p.namespace,
                        p.name,
                        r.hops.iter().map(|h| (&h.component, &h.name, h.policies.iter().map(|l| &l.name).collect::<Vec<_>>())).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
}

/// An ingress gateway explain names for policy `p` evaluates it for a request it forwards
/// (to the first Service with a workload behind it).
fn gateway_evaluates(
    ix: &Index,
    p: &PolicyReport,
    gateway: Option<&str>,
    t: &mut Tally,
    what: &str,
) {
    let mesh = ix.mesh;
    let Some((ns, name)) = gateway.and_then(|g| g.split_once('/')) else {
        return;
    };
    let spec = SourceSpec::Ingress(Some((ns.to_string(), name.to_string())));
    let Ok(client) = resolve_source(mesh, &spec) else {
        return;
    };
    let to = (0..mesh.services.len()).find_map(|s| {
        let d = *mesh.services[s]
            .pods
            .iter()
            .find(|&&d| mesh.pods[d].role == Role::Workload)?;
        let m = &mesh.snap.services[s].metadata;
        Some((format!("Service/{}/{}", m.namespace, m.name), d))
    });
    let Some((svc, d)) = to else {
        return;
    };
    let Some(r) = check_pod(ix, &client, Some(&svc), d) else {
        return;
    };
    t.compared += 1;
    let found = r.hops.iter().any(|h| {
        h.component == "ingress-gateway"
            && h.name.as_deref() == gateway
            && h.policies
                .iter()
                .any(|l| l.namespace == p.namespace && l.name == p.name)
    });
    if !found {
        t.failures.push(format!(
            "{what}: explain says gateway {gateway:?} enforces AuthorizationPolicy/{}/{}; check from it to {svc} does not evaluate it",
            p.namespace, p.name
        ));
    }
}

pub fn all_agree(snap: &Snapshot, what: &str) -> Tally {
    let mut t = Tally::default();
    let e = explain(snap, &Scope::default());
    paths_agree(snap, &e, &mut t, what);
    enforcers_agree(snap, &e, &mut t, what);
    let namespaces: BTreeSet<&str> = snap
        .pods
        .iter()
        .map(|p| p.metadata.namespace.as_str())
        .collect();
    for ns in namespaces.into_iter().take(3) {
        matrix_agrees(snap, ns, &mut t, what);
    }
    t
}

pub fn report(t: &Tally, what: &str) {
    assert!(
        t.failures.is_empty(),
        "{} disagreements on {what}:\n{}",
        t.failures.len(),
        t.failures.join("\n")
    );
}
