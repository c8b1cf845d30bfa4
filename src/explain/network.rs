//! A mesh on several networks (`mesh::network`): the paths into a destination from the
//! other networks, marked as not analysed with the reason and the waypoint that applies L7
//! policy (`enforce::network`, the rule `check` applies too), and AMB034.

use super::report::{Assumption, Hop, PathReport};
use super::Ctx;
use crate::enforce::hops::Addressed;
use crate::enforce::network::{between, ISSUES};
use crate::findings::{self as f, Finding};
use crate::mesh::network::shown;
use crate::mesh::Role;
use crate::model::resource_key;
use std::collections::{BTreeMap, BTreeSet};

/// The `source` of a path from another network.
pub const SOURCE: &str = "other-network";

/// The paths into pod `d` from each network other than its own, one per address that
/// fronts it (`fronts`, else its pod IP): a client on that network, then the east-west
/// gateway; nothing after it is analysed, and the note says why.
pub(super) fn paths(
    ctx: &Ctx,
    d: usize,
    dest: &str,
    pods: &[String],
    fronts: &[(String, Addressed)],
) -> Vec<PathReport> {
    let networks = &ctx.mesh.networks;
    if !networks.several() {
        return vec![];
    }
    let mut addresses: Vec<(Option<String>, Addressed)> =
        fronts.iter().map(|(k, a)| (Some(k.clone()), *a)).collect();
    if addresses.is_empty() {
        addresses.push((None, Addressed::PodIp(d)));
    }
    let mut out = Vec::new();
    for from in networks.all() {
        for (via, to) in &addresses {
            let Some(x) = between(ctx.mesh, from, &[d], *to) else {
                continue;
            };
            let hop = |component: &str, name: Option<String>| Hop {
                component: component.into(),
                name,
                source_identity: "client".into(),
                spiffe: None,
                policies: vec![],
                verdict: None,
            };
            out.push(PathReport {
                destination: dest.to_string(),
                pods: pods.to_vec(),
                source: SOURCE.into(),
                via: via.clone(),
                hops: vec![
                    hop("client-ztunnel", Some(shown(from))),
                    hop("east-west-gateway", None),
                ],
                note: Some(format!("not analysed: {}; {}", x.reason(), x.l7(ctx.mesh))),
                network_policy: None,
                weight: None,
                network: Some(from.to_string()),
            });
        }
    }
    out
}

/// AMB034: on a mesh of several networks, every AuthorizationPolicy in scope, naming the
/// networks whose requests to its namespace's workloads the report does not analyse.
pub(super) fn findings(ctx: &mut Ctx) {
    let networks = &ctx.mesh.networks;
    if !networks.several() {
        return;
    }
    let all = networks.all();
    let root = ctx.snap.mesh.root();
    // The networks of the workloads in scope, per namespace and in all, gathered once.
    let mut by_ns: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut everywhere: BTreeSet<&str> = BTreeSet::new();
    for &i in &ctx.pods {
        if ctx.mesh.pods[i].role == Role::Workload {
            let n = networks.of(i);
            by_ns
                .entry(ctx.snap.pods[i].metadata.namespace.as_str())
                .or_default()
                .insert(n);
            everywhere.insert(n);
        }
    }
    for p in &ctx.snap.authorization_policies {
        let ns = p.metadata.namespace.as_str();
        if !(ctx.scope.ns_in(ns) || ns == root) {
            continue;
        }
        // The networks of the workloads it can apply to in scope (its namespace's, or all
        // of them for a mesh-wide policy); istiod's when there are none.
        let mut own = match ns == root {
            true => everywhere.clone(),
            false => by_ns.get(ns).cloned().unwrap_or_default(),
        };
        if own.is_empty() {
            own.insert(networks.local.as_str());
        }
        let others: Vec<String> = match own.len() {
            1 => all.difference(&own).map(|n| shown(n)).collect(),
            _ => all.iter().map(|n| shown(n)).collect(),
        };
        if others.is_empty() {
            continue;
        }
        let own: Vec<String> = own.iter().map(|n| shown(n)).collect();
        ctx.findings.push(Finding::new(
            &f::MULTI_NETWORK,
            resource_key("AuthorizationPolicy", ns, &p.metadata.name),
            format!(
                "the mesh spans several networks: requests from {} to the workloads this policy applies to (on {}) cross an east-west gateway in double HBONE, which the analysis does not model ({ISSUES}); its enforcement, paths and check verdicts hold for clients on the same network only",
                others.join(", "),
                own.join(", ")
            ),
        ));
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
        source: format!(
            "Namespace {} label topology.istio.io/network: istiod's network",
            n.istio_namespace
        ),
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
