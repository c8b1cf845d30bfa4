//! Waypoint-side attachment of `targetRefs` (SEMANTICS.md 6,
//! `pilot/pkg/model/policyattachment.go#ShouldAttachPolicy`) and what istiod's
//! `WaypointAccepted` status would say for the same reference (6.4).

use crate::enforce::ztunnel::Scope;
use crate::mesh::waypoint::{MESH_CONTROLLER, WAYPOINT_CLASS};
use crate::mesh::Mesh;
use crate::model::{AuthorizationPolicy, Pod, PolicyTargetRef, WorkloadSelector};
use crate::selector::Labels;

pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
pub const ISTIO_NETWORKING_GROUP: &str = "networking.istio.io";

/// Which chains of a waypoint a policy attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chain {
    /// Every chain: Gateway and GatewayClass refs.
    All,
    Service(usize),
    ServiceEntry(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum RefOutcome {
    /// Attached at waypoint `Mesh::waypoints[w]`.
    Waypoint { waypoint: usize, chain: Chain },
    /// Attached at a Gateway API ingress gateway (a Gateway ref to a non-waypoint Gateway).
    Ingress { gateway: usize },
    /// The target exists but nothing enforces the policy there.
    NotEnforced { reason: String },
}

/// One targetRef, resolved. `status_accepted`: whether istiod's `WaypointAccepted` condition
/// would call this ref bound, so that status-versus-behaviour traps can be reported.
#[derive(Debug, Clone, PartialEq)]
pub struct RefResolution {
    pub target: String,
    pub outcomes: Vec<RefOutcome>,
    pub status_accepted: bool,
}

/// Which kinds a policy kind may target at a waypoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    /// AuthorizationPolicy, RequestAuthentication, Telemetry, WasmPlugin.
    Standard,
    /// EnvoyFilter: no services are passed to the matcher, so Service refs never match.
    EnvoyFilter,
}

/// The waypoint a Gateway targetRef most likely meant when it names no Gateway of the
/// policy's namespace: one of that name in another namespace, preferring one that serves
/// Services of the policy's namespace. `ShouldAttachPolicy` matches a Gateway ref only from
/// the waypoint's own namespace (SEMANTICS.md 6.2), a common slip with shared waypoints.
pub fn misplaced_gateway(mesh: &Mesh, policy_ns: &str, name: &str) -> Option<(usize, bool)> {
    let found = |w: &crate::mesh::waypoint::Waypoint| w.namespace == policy_ns && w.name == name;
    if mesh.waypoints.iter().any(found) {
        return None;
    }
    let snap = mesh.snap;
    let serves_ns = |w: usize| {
        mesh.services
            .iter()
            .zip(&snap.services)
            .any(|(i, s)| i.binding.waypoint == Some(w) && s.metadata.namespace == policy_ns)
    };
    let elsewhere: Vec<usize> = (0..mesh.waypoints.len())
        .filter(|&w| {
            let wp = &mesh.waypoints[w];
            wp.is_waypoint && wp.name == name && wp.namespace != policy_ns
        })
        .collect();
    match elsewhere.iter().copied().find(|&w| serves_ns(w)) {
        Some(w) => Some((w, true)),
        None => (elsewhere.len() == 1).then(|| (elsewhere[0], false)),
    }
}

fn gateway_not_found(mesh: &Mesh, policy_ns: &str, name: &str) -> String {
    let missing = format!("Gateway {policy_ns}/{name} was not found");
    match misplaced_gateway(mesh, policy_ns, name) {
        Some((w, serves)) => {
            let wp = &mesh.waypoints[w];
            format!(
                "{missing}: waypoint {}{} is in namespace {}, and a Gateway targetRef must be in the waypoint's namespace",
                wp.key(),
                if serves { format!(", which Services in {policy_ns} use,") } else { String::new() },
                wp.namespace
            )
        }
        None => missing,
    }
}

pub fn resolve_ref(
    mesh: &Mesh,
    policy_ns: &str,
    r: &PolicyTargetRef,
    consumer: Consumer,
) -> RefResolution {
    let root = mesh.snap.mesh.root();
    let group = r.group_or_core();
    let target = if r.namespace.is_empty() || r.namespace == policy_ns {
        format!("{}/{}/{}", r.kind, policy_ns, r.name)
    } else {
        format!("{}/{}/{}", r.kind, r.namespace, r.name)
    };
    let not = |reason: String, status_accepted: bool| RefResolution {
        target: target.clone(),
        outcomes: vec![RefOutcome::NotEnforced { reason }],
        status_accepted,
    };
    if !r.namespace.is_empty() && r.namespace != policy_ns {
        return not(
            format!("targetRef namespace {:?} differs from the policy's; cross-namespace references are not supported", r.namespace),
            false,
        );
    }
    match r.kind.as_str() {
        "Service" | "ServiceEntry" => {
            let is_svc = r.kind == "Service";
            let want_group = if is_svc { "core" } else { ISTIO_NETWORKING_GROUP };
            let found = mesh.find_service(!is_svc, policy_ns, &r.name).map(|i| {
                (i, if is_svc { &mesh.services[i] } else { &mesh.service_entries[i] })
            });
            let Some((i, info)) = found else {
                return not(format!("{} {}/{} was not found", r.kind, policy_ns, r.name), false);
            };
            let Some(w) = info.binding.waypoint else {
                let meta = if is_svc { &mesh.snap.services[i].metadata } else { &mesh.snap.service_entries[i].metadata };
                let meant = crate::mesh::waypoint::meant_namespace(meta, mesh.ns_labels(policy_ns), &mesh.waypoints, &info.binding);
                let hint = match meant {
                    Some((wns, true)) => format!(" (istio.io/use-waypoint-namespace: {wns} is on the Namespace; istiod reads it only from the {} that carries istio.io/use-waypoint)", r.kind),
                    Some((wns, false)) => format!(" (the waypoint is in namespace {wns}: label the {} istio.io/use-waypoint-namespace: {wns})", r.kind),
                    None => String::new(),
                };
                let why = match (&info.binding.error, &info.binding.requested) {
                    (Some(e), Some(req)) => format!("its use-waypoint {req} fails with {}{hint}", e.as_str()),
                    _ if info.binding.opted_out => "it is labelled istio.io/use-waypoint=none".into(),
                    _ => "neither it nor its namespace has an istio.io/use-waypoint label".into(),
                };
                return not(format!("{} {}/{} is not bound to a waypoint: {why}", r.kind, policy_ns, r.name), false);
            };
            if group != want_group {
                return not(
                    format!("group {:?} does not match {} (want {:?}); istiod's status checks only the kind", r.group, r.kind, if is_svc { "" } else { want_group }),
                    true,
                );
            }
            if consumer == Consumer::EnvoyFilter {
                return not("EnvoyFilter targetRefs only match a Gateway or the GatewayClass istio-waypoint".into(), true);
            }
            let chain = if is_svc { Chain::Service(i) } else { Chain::ServiceEntry(i) };
            // A canary waypoint serves the Service too (`serviceOwningWaypoints`): both apply it.
            let outcomes = std::iter::once(w)
                .chain(info.canary.map(|c| c.waypoint))
                .map(|waypoint| RefOutcome::Waypoint { waypoint, chain })
                .collect();
            RefResolution { target, outcomes, status_accepted: true }
        }
        "Gateway" => {
            let Some(g) = mesh
                .waypoints
                .iter()
                .position(|w| w.namespace == policy_ns && w.name == r.name)
            else {
                return not(gateway_not_found(mesh, policy_ns, &r.name), false);
            };
            let w = &mesh.waypoints[g];
            if group != GATEWAY_GROUP {
                return not(
                    format!("group {:?} is not {GATEWAY_GROUP:?}, so no proxy matches it (istiod's status checks only the kind)", r.group),
                    w.ready,
                );
            }
            if !w.is_waypoint {
                return RefResolution { target, outcomes: vec![RefOutcome::Ingress { gateway: g }], status_accepted: w.ready };
            }
            if !w.ready {
                return not(format!("waypoint {} has no status.addresses (not ready)", w.key()), false);
            }
            RefResolution { target, outcomes: vec![RefOutcome::Waypoint { waypoint: g, chain: Chain::All }], status_accepted: true }
        }
        "GatewayClass" => {
            if policy_ns != root {
                return not(format!("a GatewayClass targetRef only works in the root namespace {root}"), false);
            }
            let class = mesh.snap.gateway_classes.iter().find(|c| c.metadata.name == r.name);
            let mesh_controller = class.is_some_and(|c| c.spec.controller_name == MESH_CONTROLLER);
            if group != GATEWAY_GROUP {
                return not(format!("group {:?} is not {GATEWAY_GROUP:?}", r.group), mesh_controller);
            }
            if r.name != WAYPOINT_CLASS {
                let why = match class {
                    None => format!("GatewayClass {} was not found", r.name),
                    Some(_) if mesh_controller => format!(
                        "only the literal GatewayClass name {WAYPOINT_CLASS} attaches; {} uses the mesh controller, so istiod's status says Accepted, but no waypoint applies it",
                        r.name
                    ),
                    Some(c) => format!("GatewayClass {} uses controller {:?}, not {MESH_CONTROLLER}", r.name, c.spec.controller_name),
                };
                return not(why, mesh_controller);
            }
            let (attaches, row) = mesh.rules.gateway_class_ref();
            if !attaches {
                return not(format!("{}, a targetRef to a GatewayClass attaches to nothing (supported from Istio 1.25)", mesh.rules.versions_phrase(row)), false);
            }
            let outcomes: Vec<RefOutcome> = mesh
                .waypoints
                .iter()
                .enumerate()
                .filter(|(_, w)| w.is_waypoint && w.ready)
                .map(|(i, _)| RefOutcome::Waypoint { waypoint: i, chain: Chain::All })
                .collect();
            if outcomes.is_empty() {
                return not("no ready waypoint exists".into(), class.is_some());
            }
            RefResolution { target, outcomes, status_accepted: class.is_some() }
        }
        other => not(format!("targetRef kind {other:?} is not supported (Service, ServiceEntry, Gateway, GatewayClass)"), false),
    }
}

/// Does this resolution attach the policy to chain `chain` of waypoint `w`? Service-addressed
/// chains get Gateway/GatewayClass refs and refs naming that service; the pod-IP chain
/// (`None`) gets only Gateway/GatewayClass refs (SEMANTICS.md 6.3).
pub fn attaches_to_chain(res: &[RefResolution], w: usize, chain: Option<Chain>) -> bool {
    res.iter().flat_map(|r| &r.outcomes).any(|o| match o {
        RefOutcome::Waypoint { waypoint, chain: c } if *waypoint == w => {
            *c == Chain::All || Some(*c) == chain
        }
        _ => false,
    })
}

/// ztunnel attachment (SEMANTICS.md 4.1): selector policies in the pod's namespace or the
/// root namespace whose matchLabels the pod has; namespace and global policies by namespace.
pub fn ztunnel_attaches(p: &AuthorizationPolicy, scope: Scope, pod: &Pod, root: &str) -> bool {
    let (pns, dns) = (&p.metadata.namespace, &pod.metadata.namespace);
    match scope {
        Scope::Global => true,
        Scope::Namespace => pns == dns,
        Scope::WorkloadSelector => {
            (pns == root || pns == dns)
                && p.spec
                    .attachment
                    .selector
                    .as_ref()
                    .is_some_and(|s| s.labels_match(&pod.metadata.labels))
        }
    }
}

/// Sidecar (and selector-based gateway) attachment: `ShouldAttachPolicy`'s non-targetRef
/// branch. `selector: {}` counts as namespace-wide here.
pub fn sidecar_attaches(
    policy_ns: &str,
    sel: Option<&WorkloadSelector>,
    pod: &Pod,
    root: &str,
) -> bool {
    envoy_attaches(
        policy_ns,
        sel,
        &pod.metadata.namespace,
        &pod.metadata.labels,
        root,
    )
}

/// `sidecar_attaches` for a pod known by its namespace and labels only (an ingress Gateway's
/// pods, which istiod deploys, predicted from the Gateway: `Waypoint::pod_labels`).
pub fn envoy_attaches(
    policy_ns: &str,
    sel: Option<&WorkloadSelector>,
    ns: &str,
    labels: &Labels,
    root: &str,
) -> bool {
    (policy_ns == root || policy_ns == ns)
        && sel.is_none_or(|s| {
            s.match_labels
                .as_ref()
                .is_none_or(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)))
        })
}
