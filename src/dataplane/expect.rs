//! What the model predicts each ztunnel holds: istiod's Workloads, Services and
//! Authorizations for the input, built from the engine (`enforce::Index`), never re-derived.
//! Workload `authorizationPolicies` carry only selector-scoped keys (SEMANTICS.md 1); the
//! synthesized entries are `<root>/istio_converted_static_strict` (pushed when any
//! PeerAuthentication exists), `<ns>/converted_peer_authentication_<name>` (port-level mTLS)
//! and `<wpNs>/istio_allow_waypoint_<wpNs>_<name>` (SEMANTICS.md 5.4, 7).

use crate::enforce::index::Origin;
use crate::enforce::peerauth::Level;
use crate::enforce::ztunnel::{Action, Clause, Match, NotSent, Scope, StringMatch, ZRule};
use crate::enforce::Index;
use crate::mesh::Dataplane;
use std::collections::{BTreeMap, BTreeSet};

/// Name of istiod's static DENY of plaintext (`AMB/authorization.go`, `staticStrictPolicyName`).
pub const STATIC_STRICT: &str = "istio_converted_static_strict";
/// Prefix of a converted port-level PeerAuthentication (`model.authentication.go`).
pub const CONVERTED_PA: &str = "converted_peer_authentication_";

#[derive(Debug, Clone)]
pub struct Expected {
    pub workloads: Vec<ExpWorkload>,
    pub services: Vec<ExpService>,
    /// By key `ns/name`.
    pub policies: BTreeMap<String, ExpPolicy>,
    pub trust_domain: String,
    /// PeerAuthentications (`ns/name`) with port-level mTLS that select no workload of the
    /// input: istiod converts them all the same, with content the model cannot know.
    pub unplaced_port_level: BTreeSet<String>,
    /// Policies in the input that istiod does not send to ztunnel, with the reason.
    pub not_sent: BTreeMap<String, String>,
    /// `ns/name` of the input's Services with a selector (they say which pods they select).
    pub selecting_services: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct ExpWorkload {
    /// Index into `Snapshot::pods`.
    pub pod: usize,
    /// `Pod/ns/name`, or the controller (`Deployment/ns/name`) for a declared workload.
    pub key: String,
    pub namespace: String,
    /// The pod's name, or the controller's for a declared workload (ztunnel's `workloadName`).
    pub name: String,
    pub declared: bool,
    pub dataplane: Dataplane,
    /// Why the model says it is (or is not) captured.
    pub reason: String,
    pub service_account: String,
    /// (ns, name) of the waypoint for pod-addressed traffic.
    pub waypoint: Option<(String, String)>,
    /// Selector-scoped keys istiod attaches (captured workloads).
    pub policies: BTreeSet<String>,
    /// `ns/name` of the Services that select it.
    pub services: BTreeSet<String>,
    /// The pod's IP, when the input has it (a live pod, a `kubectl get` dump).
    pub ip: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ExpService {
    pub namespace: String,
    pub name: String,
    pub waypoint: Option<(String, String)>,
    /// A canary pair (1.31): `ns/name` and share of each waypoint, as istiod sends
    /// `weightedWaypoints`; empty without a canary.
    pub weighted: Vec<(String, u32)>,
    /// ClusterIPs when the input has them.
    pub cluster_ips: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ExpPolicy {
    pub namespace: String,
    pub name: String,
    pub scope: Scope,
    pub action: Action,
    /// Sent as dry-run (logged only at ztunnel).
    pub dry_run: bool,
    pub rules: Vec<ZRule>,
    /// The object it comes from, e.g. `AuthorizationPolicy/ns/name`.
    pub origin: String,
    /// A dry-run policy: the version rule that decided how ztunnel gets it.
    pub version_rule: Option<String>,
}

/// The model's prediction for namespace `ns` (every namespace when `None`); root-namespace
/// policies are always included: they reach every workload.
pub fn expect(ix: &Index, ns: Option<&str>) -> Expected {
    let (snap, mesh) = (ix.snap, ix.mesh);
    let root = ix.root().to_string();
    let in_scope = |n: &str| ns.is_none_or(|s| s == n);
    let mut policies = BTreeMap::new();
    let mut not_sent = BTreeMap::new();
    for (i, p) in snap.authorization_policies.iter().enumerate() {
        let m = &p.metadata;
        if !(in_scope(&m.namespace) || m.namespace == root) {
            continue;
        }
        let c = &ix.conversions[i];
        let key = format!("{}/{}", m.namespace, m.name);
        if let Some(why) = &c.not_sent {
            not_sent.insert(
                key,
                not_sent_text(why, c.dry_run_at_ztunnel.as_ref().map(|r| r.1)),
            );
            continue;
        }
        policies.insert(
            key,
            ExpPolicy {
                namespace: m.namespace.clone(),
                name: m.name.clone(),
                scope: c.scope,
                action: c.action,
                dry_run: c.ztunnel_logs_only(),
                rules: c.rules.clone(),
                origin: format!("AuthorizationPolicy/{}/{}", m.namespace, m.name),
                version_rule: c.dry_run_at_ztunnel.as_ref().map(|(_, row)| {
                    let r = row.info();
                    format!("{} {}: {}", r.rule, r.range, r.applied)
                }),
            },
        );
    }
    if ix.any_peer_authentication_taken() {
        // Pushed whenever the ambient index holds any PeerAuthentication (`DefaultPolicy`),
        // referenced or not: those of ztunnel's istiod's revision (its `configFilter`).
        policies.insert(
            format!("{root}/{STATIC_STRICT}"),
            ExpPolicy {
                namespace: root.clone(),
                name: STATIC_STRICT.into(),
                scope: Scope::WorkloadSelector,
                action: Action::Deny,
                dry_run: false,
                rules: vec![ZRule {
                    clauses: vec![Clause {
                        matches: vec![Match {
                            not_principals: vec![StringMatch::Presence],
                            ..Match::default()
                        }],
                    }],
                }],
                origin: "PeerAuthentication (effective STRICT)".into(),
                version_rule: None,
            },
        );
    }
    let mut workloads = Vec::new();
    let mut placed_pas = BTreeSet::new();
    for (d, pod) in snap.pods.iter().enumerate() {
        let pm = &pod.metadata;
        if !in_scope(&pm.namespace) || !has_workload(pod) {
            continue;
        }
        let info = &mesh.pods[d];
        let declared = !pod.kind.is_empty();
        let name = if declared {
            pod.controllers
                .first()
                .map_or_else(|| pm.name.clone(), |(_, n)| n.clone())
        } else {
            pm.name.clone()
        };
        let mut keys = BTreeSet::new();
        if info.dataplane == Dataplane::Ambient {
            for h in ix.ztunnel(d) {
                match h.origin {
                    Origin::Policy(i) if ix.conversions[i].scope == Scope::WorkloadSelector => {
                        let m = &snap.authorization_policies[i].metadata;
                        keys.insert(format!("{}/{}", m.namespace, m.name));
                    }
                    // The model's prediction is never built over a dump.
                    Origin::Policy(_) | Origin::Dataplane(_) => {}
                    Origin::PeerAuthentication => {
                        let (key, pa) = pa_policy(ix, d, &root);
                        if let Some(pa) = pa {
                            placed_pas.insert(pa);
                        }
                        policies.entry(key.clone()).or_insert_with(|| ExpPolicy {
                            namespace: key.split_once('/').map_or("", |x| x.0).into(),
                            name: key.split_once('/').map_or("", |x| x.1).into(),
                            scope: Scope::WorkloadSelector,
                            action: Action::Deny,
                            dry_run: false,
                            rules: ix.mtls(d).deny_rules.clone(),
                            origin: "PeerAuthentication (port-level mTLS)".into(),
                            version_rule: None,
                        });
                        keys.insert(key);
                    }
                    Origin::ImplicitWaypoint(w) => {
                        let (wns, name) = ix.held_name(h.origin);
                        let key = format!("{wns}/{name}");
                        let wp = &mesh.waypoints[w];
                        policies.entry(key.clone()).or_insert_with(|| ExpPolicy {
                            namespace: wns.to_string(),
                            name: name.to_string(),
                            scope: Scope::WorkloadSelector,
                            action: Action::Allow,
                            dry_run: false,
                            rules: ix.held_rules(d, h.origin).to_vec(),
                            origin: format!(
                                "PILOT_AUTO_ALLOW_WAYPOINT_POLICY for waypoint {}/{}",
                                wp.namespace, wp.name
                            ),
                            version_rule: None,
                        });
                        keys.insert(key);
                    }
                }
            }
            // Dry-run policies only logged by ztunnel are attached all the same.
            for i in ix.candidate_aps(&pm.namespace) {
                let c = &ix.conversions[i];
                let p = &snap.authorization_policies[i];
                if c.ztunnel_logs_only()
                    && c.scope == Scope::WorkloadSelector
                    && crate::enforce::attach::ztunnel_attaches(p, c.scope, pod, &root)
                {
                    keys.insert(format!("{}/{}", p.metadata.namespace, p.metadata.name));
                }
            }
        }
        let waypoint = info.binding.waypoint.map(|w| {
            let wp = &mesh.waypoints[w];
            (wp.namespace.clone(), wp.name.clone())
        });
        let sa = &pod.spec.service_account_name;
        workloads.push(ExpWorkload {
            pod: d,
            key: mesh.pod_key(d).to_string(),
            namespace: pm.namespace.clone(),
            name,
            declared,
            dataplane: info.dataplane,
            reason: info.reason.to_string(),
            service_account: if sa.is_empty() {
                "default".into()
            } else {
                sa.clone()
            },
            waypoint,
            policies: keys,
            ip: (!declared && !pod.status.pod_ip.is_empty()).then(|| pod.status.pod_ip.clone()),
            services: info
                .services
                .iter()
                .map(|&i| {
                    let m = &snap.services[i].metadata;
                    format!("{}/{}", m.namespace, m.name)
                })
                .collect(),
        });
    }
    let services = snap
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| in_scope(&s.metadata.namespace))
        .map(|(i, s)| ExpService {
            namespace: s.metadata.namespace.clone(),
            name: s.metadata.name.clone(),
            waypoint: mesh.services[i].binding.waypoint.map(|w| {
                let wp = &mesh.waypoints[w];
                (wp.namespace.clone(), wp.name.clone())
            }),
            weighted: match mesh.services[i].canary {
                Some(_) => mesh
                    .weighted_waypoints(&mesh.services[i])
                    .into_iter()
                    .map(|(w, weight)| {
                        let wp = &mesh.waypoints[w];
                        (format!("{}/{}", wp.namespace, wp.name), weight)
                    })
                    .collect(),
                None => Vec::new(),
            },
            cluster_ips: s.spec.cluster_ips(),
        })
        .collect();
    let unplaced_port_level = snap
        .peer_authentications
        .iter()
        .filter(|p| {
            p.metadata.namespace != root
                && p.spec.selector.is_some()
                && !p.spec.port_level_mtls.is_empty()
        })
        .map(|p| format!("{}/{}", p.metadata.namespace, p.metadata.name))
        .filter(|k| !placed_pas.contains(k))
        .collect();
    Expected {
        workloads,
        services,
        policies,
        trust_domain: snap.mesh.trust_domain().to_string(),
        unplaced_port_level,
        not_sent,
        selecting_services: snap
            .services
            .iter()
            .filter(|s| s.spec.selector.as_ref().is_some_and(|l| !l.is_empty()))
            .map(|s| format!("{}/{}", s.metadata.namespace, s.metadata.name))
            .collect(),
    }
}

/// Why istiod does not send a policy, in words.
fn not_sent_text(why: &NotSent, row: Option<crate::versions::Row>) -> String {
    match why {
        NotSent::TargetRefs => "it has targetRefs: waypoints enforce it".into(),
        NotSent::UnsupportedAction(a) => format!("ztunnel does not support the {a} action"),
        NotSent::InvalidAction(a) => format!("invalid action {a:?}"),
        NotSent::Refused => "istiod's validation refuses it on the release that runs".into(),
        NotSent::OtherRevision(label, rev) => {
            format!(
                "labelled istio.io/rev={label}: ztunnel's istiod (revision {rev}) does not take it"
            )
        }
        NotSent::DryRun => match row {
            Some(r) => format!("a dry-run policy: {}", r.info().applied),
            None => "a dry-run policy".into(),
        },
    }
}

/// Whether istiod builds a Workload for this pod: not for a pod that finished (Succeeded,
/// Failed) or has no IP yet (`workloads.go`: a pod without an IP is skipped). A pod of a
/// manifest without status, or a controller's workload, is assumed running.
fn has_workload(pod: &crate::model::Pod) -> bool {
    let st = &pod.status;
    match st.phase.as_str() {
        "Succeeded" | "Failed" => false,
        "" => true,
        _ => !st.pod_ip.is_empty(),
    }
}

/// The key of the DENY that carries pod `d`'s PeerAuthentication, and the workload-level
/// PeerAuthentication (`ns/name`) it is converted from, if any.
fn pa_policy(ix: &Index, d: usize, root: &str) -> (String, Option<String>) {
    let m = &ix.mtls(d).outcome;
    if !m.exceptions.is_empty() {
        if let Some((i, _, _)) = m.consulted.iter().find(|(_, l, _)| *l == Level::Workload) {
            let pa = &ix.snap.peer_authentications[*i].metadata;
            return (
                format!("{}/{CONVERTED_PA}{}", pa.namespace, pa.name),
                Some(format!("{}/{}", pa.namespace, pa.name)),
            );
        }
    }
    (format!("{root}/{STATIC_STRICT}"), None)
}
