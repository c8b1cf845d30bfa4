//! A mesh on several networks (`mesh::network`): the paths into a destination from the
//! other networks, marked as not analysed with the reason and the waypoint that applies L7
//! policy (`enforce::network`, the rule `check` applies too), and AMB034.

use super::report::{Assumption, Hop, PathReport, PolicyReport};
use super::Ctx;
use crate::enforce::hops::{Addressed, SourceClass};
use crate::enforce::network::{between, ISSUES};
use crate::findings::{self as f, Finding};
use crate::mesh::network::shown;
use crate::mesh::Role;
use crate::model::resource_key;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The `source` of a path from another network.
pub const SOURCE: &str = "other-network";

/// The paths into pod `d` from each network other than its own, one per address that
/// fronts it (`fronts`, else its pod IP): a client on that network, then the east-west
/// gateway; nothing after it is analysed, and the note says why.
pub(super) fn paths(
    ctx: &Ctx,
    d: usize,
    dest: &Arc<str>,
    pods: &Arc<[Arc<str>]>,
    fronts: &[(Arc<str>, Addressed)],
) -> Vec<PathReport> {
    let networks = &ctx.mesh.networks;
    if !networks.several() {
        return vec![];
    }
    let mut addresses: Vec<(Option<Arc<str>>, Addressed)> =
        fronts.iter().map(|(k, a)| (Some(k.clone()), *a)).collect();
    if addresses.is_empty() {
        addresses.push((None, Addressed::PodIp(d)));
    }
    let mut out = Vec::new();
    // Clients on the pod's own network have the ordinary paths (marked by `crossing` when a
    // waypoint on another network takes them away).
    let own = networks.of(d);
    for from in networks.all().into_iter().filter(|n| *n != own) {
        for (via, to) in &addresses {
            let Some(x) = between(ctx.mesh, from, &[d], *to, SourceClass::Ambient) else {
                continue;
            };
            out.push(PathReport {
                destination: dest.clone(),
                pods: pods.clone(),
                source: SOURCE.into(),
                via: via.clone(),
                hops: vec![
                    hop("client-ztunnel", Some(shown(from).into())),
                    hop("east-west-gateway", None),
                ],
                note: Some(not_analysed(&x, ctx.mesh)),
                network_policy: None,
                weight: None,
                network: Some(from.to_string()),
            });
        }
    }
    out
}

/// Paths of pod `d` that cross networks though their clients are not on another network
/// (`paths` gives those): clients the analysis places on istiod's network (the ingress
/// gateway, a client outside the mesh: `check` does the same) to a pod on another network,
/// and clients on the pod's network whose Service's waypoint runs on another. They cross an
/// east-west gateway: not analysed, and said why, never allow or deny. `fronts`: the
/// addresses that front the pod, by key.
pub(super) fn crossing(
    ctx: &Ctx,
    d: usize,
    fronts: &[(Arc<str>, Addressed)],
    paths: &mut [PathReport],
) {
    let mesh = ctx.mesh;
    if !mesh.networks.several() {
        return;
    }
    let (local, own) = (mesh.networks.local.as_str(), mesh.networks.of(d));
    for p in paths {
        let (from, class) = match p.source.as_ref() {
            "ingress" => (local, SourceClass::Ingress),
            "out-of-mesh" => (local, SourceClass::Plaintext),
            "ambient-service" if p.weight.is_none() => (own, SourceClass::Ambient),
            _ => continue,
        };
        let to = (p.via.as_ref())
            .and_then(|v| fronts.iter().find(|(k, _)| k == v))
            .map_or(Addressed::PodIp(d), |(_, a)| *a);
        let Some(x) = between(mesh, from, &[d], to, class) else {
            continue;
        };
        p.hops.truncate(1);
        p.hops.push(hop("east-west-gateway", None));
        p.note = Some(not_analysed(&x, mesh));
        p.network_policy = None;
        p.network = Some(from.to_string());
    }
}

/// A hop of a path between networks: it sees the client, evaluates nothing.
fn hop(component: &'static str, name: Option<Arc<str>>) -> Hop {
    Hop {
        component,
        name,
        source_identity: "client",
        spiffe: None,
        policies: Arc::new([]),
        verdict: None,
    }
}

/// The note of a path between networks: why it is not analysed, and who applies L7 policy.
fn not_analysed(x: &crate::enforce::network::CrossNetwork, mesh: &crate::mesh::Mesh) -> String {
    format!("not analysed: {}; {}", x.reason(), x.l7(mesh))
}

/// AMB034: on a mesh of several networks, once per namespace whose in-scope workloads some
/// AuthorizationPolicy applies to (as `policies`, the report, says: enforced on a target
/// there), naming the networks whose requests to them the report does not analyse. A policy
/// enforced on nothing raises nothing.
pub(super) fn findings(ctx: &mut Ctx, policies: &[PolicyReport]) {
    let networks = &ctx.mesh.networks;
    if !networks.several() {
        return;
    }
    let all = networks.all();
    // The networks of the workloads in scope, per namespace.
    let mut by_ns: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for &i in &ctx.pods {
        if ctx.mesh.pods[i].role == Role::Workload {
            by_ns
                .entry(ctx.snap.pods[i].metadata.namespace.as_str())
                .or_default()
                .insert(networks.of(i));
        }
    }
    // The policies enforced on something in each namespace (targets are `Kind/ns/name`).
    let mut applied: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for p in policies.iter().filter(|p| p.kind == "AuthorizationPolicy") {
        for t in p.enforcement.iter().flat_map(|e| &e.targets) {
            if let Some(ns) = t.split('/').nth(1) {
                if let Some((ns, _)) = by_ns.get_key_value(ns) {
                    applied
                        .entry(ns)
                        .or_default()
                        .insert(format!("{}/{}", p.namespace, p.name));
                }
            }
        }
    }
    for (ns, names) in applied {
        let own = &by_ns[ns];
        let others: Vec<&str> = match own.len() {
            1 => all.difference(own).copied().collect(),
            _ => all.iter().copied().collect(),
        };
        if others.is_empty() {
            continue;
        }
        let (others, own) = (
            several(&others),
            several(&own.iter().copied().collect::<Vec<_>>()),
        );
        let names: Vec<String> = names.into_iter().collect();
        let listed = match names.len() {
            n if n > 3 => format!("{} and {} more", names[..3].join(", "), n - 3),
            _ => names.join(", "),
        };
        ctx.findings.push(Finding::new(
            &f::MULTI_NETWORK,
            resource_key("Namespace", "", ns),
            format!(
                "the mesh spans several networks: requests from {others} to the workloads of {ns} (on {own}) cross an east-west gateway in double HBONE, which the analysis does not model ({ISSUES}); what it says of the {} {} applying there ({listed}) holds for clients on the same network only",
                names.len(),
                if names.len() == 1 { "policy" } else { "policies" },
            ),
        ));
    }
}

/// `network a`, or `networks a, b and c` (Istio's unnamed default network by its description).
fn several(names: &[&str]) -> String {
    let named: Vec<String> = names
        .iter()
        .map(|n| match *n {
            "" => "the default network".to_string(),
            n => n.to_string(),
        })
        .collect();
    match named.as_slice() {
        [_] => shown(names[0]),
        [init @ .., last] => format!("networks {} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// The networks, among the assumptions, when the input names any: istiod's (its namespace's
/// label) and every other one met (pods' labels read, `meshNetworks`).
pub(super) fn assumptions(mesh: &crate::mesh::Mesh) -> Vec<Assumption> {
    let n = &mesh.networks;
    let all = n.all();
    if n.local.is_empty() && all.iter().all(|x| x.is_empty()) {
        return vec![];
    }
    let mut out = vec![Assumption {
        setting: "network".into(),
        value: if n.local.is_empty() {
            "(default)".into()
        } else {
            n.local.clone()
        },
        source: n.local_source.clone(),
    }];
    let others: Vec<&str> = all.into_iter().filter(|x| *x != n.local).collect();
    if !others.is_empty() {
        let shown: Vec<&str> = others
            .iter()
            .map(|x| if x.is_empty() { "(default)" } else { x })
            .collect();
        out.push(Assumption {
            setting: "otherNetworks".into(),
            value: shown.join(", "),
            source: "pods' topology.istio.io/network labels and the istio ConfigMap's meshNetworks: requests from them are not analysed (AMB034)".into(),
        });
    }
    out
}
