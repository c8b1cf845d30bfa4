//! Which hops a request crosses (SEMANTICS.md 3.5): per destination address and source
//! class, the waypoint it goes through (or skips), and what enforces policy at the
//! destination pod. Every consumer (`explain`'s paths, `check`, the matrix) asks here.

use super::attach::Chain;
use crate::mesh::{Dataplane, Mesh};

/// How the request addresses its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addressed {
    /// A Service (`entry: false`) or a ServiceEntry (`entry: true`), by index.
    Service { entry: bool, index: usize },
    /// A pod by its IP.
    PodIp(usize),
}

/// How the client reaches the mesh (SEMANTICS.md 3.5 source classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceClass {
    /// A captured pod: its ztunnel sends HBONE with its identity.
    Ambient,
    /// A sidecar-injected pod: straight to the destination, bypassing waypoints.
    Sidecar,
    /// An ingress gateway.
    Ingress,
    /// Plaintext from outside the mesh (an external client or an uncaptured pod).
    Plaintext,
}

/// The waypoint part of a route (`Default`: no waypoint at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Route {
    /// The waypoint the request crosses, with the chain (Service, ServiceEntry, or `None`
    /// for pod-IP traffic) it lands on.
    pub waypoint: Option<(usize, Option<Chain>)>,
    /// A waypoint bound to the address that this source class does not cross.
    pub skipped: Option<usize>,
}

/// The waypoint bound to an address, its chain, and whether ingress uses it.
pub fn binding(mesh: &Mesh, to: Addressed) -> (Option<usize>, Option<Chain>, bool) {
    match to {
        Addressed::Service {
            entry: false,
            index,
        } => {
            let s = &mesh.services[index];
            (
                s.binding.waypoint,
                Some(Chain::Service(index)),
                s.ingress_use_waypoint,
            )
        }
        Addressed::Service { entry: true, index } => {
            let s = &mesh.service_entries[index];
            (
                s.binding.waypoint,
                Some(Chain::ServiceEntry(index)),
                s.ingress_use_waypoint,
            )
        }
        Addressed::PodIp(p) => (mesh.pods[p].binding.waypoint, None, false),
    }
}

/// The route of a request from a client of `class` to `to`: ambient clients cross the bound
/// waypoint; ingress gateways only for a Service or ServiceEntry with
/// `istio.io/ingress-use-waypoint`; sidecars and plaintext clients never.
pub fn route(mesh: &Mesh, to: Addressed, class: SourceClass) -> Route {
    let (bound, chain, iuw) = binding(mesh, to);
    let crosses = match class {
        SourceClass::Ambient => true,
        SourceClass::Ingress => chain.is_some() && iuw,
        SourceClass::Sidecar | SourceClass::Plaintext => false,
    };
    let (waypoint, skipped) = match bound {
        Some(w) if crosses => (Some((w, chain)), None),
        Some(w) => (None, Some(w)),
        None => (None, None),
    };
    Route { waypoint, skipped }
}

/// The same request through the canary waypoint that shares the route's waypoint's requests
/// (`istio.io/use-waypoint-canary`, Istio 1.31+): the route through it and the canary's share
/// in percent. ztunnel (and an ingress gateway that uses the waypoint) picks one of the
/// weighted waypoints per connection; `None` when the route crosses no waypoint or the address
/// has no canary.
pub fn canary_route(mesh: &Mesh, to: Addressed, class: SourceClass) -> Option<(Route, u32)> {
    let (_, chain) = route(mesh, to, class).waypoint?;
    let canary = match to {
        Addressed::Service { entry, index } => {
            let list = if entry {
                &mesh.service_entries
            } else {
                &mesh.services
            };
            list[index].canary?
        }
        Addressed::PodIp(_) => return None,
    };
    let through = Route {
        waypoint: Some((canary.waypoint, chain)),
        skipped: None,
    };
    Some((through, canary.weight))
}

/// What enforces policy at destination pod `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcer {
    /// The pod's ztunnel (captured ambient pod).
    Ztunnel,
    /// The pod's own sidecar.
    Sidecar,
    /// Ambient, but `ambient.istio.io/bypass-inbound-capture`: plaintext is not redirected,
    /// so no ztunnel policy applies to it (SEMANTICS.md 2.1).
    CaptureBypassed,
    /// Not in the mesh: nothing enforces policy.
    Nothing,
}

/// What enforces policy at `d` for a request that arrives in plaintext or not.
pub fn destination(mesh: &Mesh, d: usize, plaintext: bool) -> Enforcer {
    let info = &mesh.pods[d];
    match info.dataplane {
        Dataplane::Ambient if plaintext && info.bypass_inbound => Enforcer::CaptureBypassed,
        Dataplane::Ambient => Enforcer::Ztunnel,
        Dataplane::Sidecar => Enforcer::Sidecar,
        Dataplane::None => Enforcer::Nothing,
    }
}
