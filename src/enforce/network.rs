//! Requests between networks. A request whose destination endpoints are on another network
//! than its source leaves through an east-west gateway in double HBONE (a CONNECT inside a
//! CONNECT: `inner_connect_originate`/`outer_connect_originate`, istio/istio#57963), which
//! this analysis does not model (SEMANTICS.md 12): its verdict is unknown, never allowed or
//! denied (istio/istio#60806, #61092 are reports of such paths decided wrongly by reading
//! one cluster). What is known is said: from 1.28 with AMBIENT_ENABLE_MULTI_NETWORK, the
//! source-side waypoint of the Service applies its L7 policy and marks the request
//! (`istio-l7-policies-applied`), so the east-west gateway skips the remote waypoint
//! (istio/istio#58065, `RequestSourceFilter` in pilot/pkg/xds/filters/filters.go at 1.28.0).
//! `check`, its matrix and `explain` all ask here.

use super::hops::{self, Addressed, SourceClass};
use crate::mesh::network::shown;
use crate::mesh::Mesh;
use crate::versions::Row;

/// The issues that track analysing requests between networks.
pub const ISSUES: &str = "istio/istio#60806, #61092";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossNetwork {
    /// The source's network.
    pub from: String,
    /// The destination endpoints' networks other than the source's.
    pub to: Vec<String>,
    /// The Service's waypoint on the source's network, which applies its L7 policy (1.28+
    /// with AMBIENT_ENABLE_MULTI_NETWORK); the remote waypoint then skips it.
    pub source_waypoint: Option<usize>,
    /// The Service's waypoint when it is on another network than the source's.
    pub remote_waypoint: Option<usize>,
    /// The `multi-network-waypoint` row, asked when the Service has a waypoint.
    pub row: Option<Row>,
    /// Addressed to a Service (or ServiceEntry), not a pod IP.
    pub by_service: bool,
    /// The Service's waypoint, which this source class does not cross (a sidecar client, an
    /// ingress without `istio.io/ingress-use-waypoint`): no waypoint applies L7 policy.
    pub skipped_waypoint: Option<usize>,
    /// The client's class, for saying why it skips the waypoint.
    pub class: SourceClass,
}

/// The network waypoint `w` runs on: its pods', else istiod's.
pub fn waypoint_network<'m>(mesh: &'m Mesh, w: usize) -> &'m str {
    match mesh.waypoint_pod(w) {
        Some(p) => mesh.networks.of(p),
        None => &mesh.networks.local,
    }
}

/// A request of a `class` client from network `from` to `endpoints` (addressed as `to`), when
/// some endpoint, or the waypoint the request crosses, is on another network; `None` within
/// one network.
pub fn between(
    mesh: &Mesh,
    from: &str,
    endpoints: &[usize],
    to: Addressed,
    class: SourceClass,
) -> Option<CrossNetwork> {
    if !mesh.networks.several() {
        return None;
    }
    // Only a waypoint the client's request crosses can apply L7 policy.
    let route = match to {
        Addressed::Service { .. } => hops::route(mesh, to, class),
        Addressed::PodIp(_) => hops::Route::default(),
    };
    let waypoint = route.waypoint.map(|(w, _)| w);
    // A waypoint on another network takes the request there and back, though the client and
    // the endpoints share a network.
    let mut others: Vec<String> = endpoints
        .iter()
        .map(|&e| mesh.networks.of(e))
        .chain(waypoint.map(|w| waypoint_network(mesh, w)))
        .filter(|n| *n != from)
        .map(str::to_string)
        .collect();
    if others.is_empty() {
        return None;
    }
    others.sort();
    others.dedup();
    let (applies, row) = match waypoint {
        Some(_) => {
            let (applies, row) = mesh.rules.multi_network_waypoint();
            (applies, Some(row))
        }
        None => (false, None),
    };
    let local_side = waypoint.filter(|&w| waypoint_network(mesh, w) == from);
    Some(CrossNetwork {
        from: from.to_string(),
        to: others,
        source_waypoint: local_side.filter(|_| applies),
        remote_waypoint: waypoint.filter(|_| local_side.is_none()),
        row,
        by_service: matches!(to, Addressed::Service { .. }),
        skipped_waypoint: route.skipped,
        class,
    })
}

impl CrossNetwork {
    /// Why the verdict is unknown.
    pub fn reason(&self) -> String {
        let to: Vec<String> = self.to.iter().map(|n| shown(n)).collect();
        format!(
            "from {} to {}: the request crosses an east-west gateway (double HBONE), which this analysis does not model ({ISSUES})",
            shown(&self.from),
            to.join(" and ")
        )
    }

    /// Which component applies the Service's L7 policy to such a request, as far as the
    /// release says (`multi-network-waypoint`).
    pub fn l7(&self, mesh: &Mesh) -> String {
        let key = |w: usize| mesh.waypoints[w].key();
        if let Some(w) = self.skipped_waypoint {
            let why = match self.class {
                SourceClass::Sidecar => "sidecar clients bypass waypoints",
                SourceClass::Ingress => "ingress skips it without istio.io/ingress-use-waypoint",
                _ => "a client outside the mesh bypasses waypoints",
            };
            return format!(
                "the request does not cross the Service's waypoint {} ({why}): no waypoint applies its L7 policy on either network",
                key(w)
            );
        }
        let Some(row) = self.row else {
            return match self.by_service {
                true => {
                    "the Service has no waypoint: no waypoint applies L7 policy on either network"
                }
                false => "addressed by pod IP: no Service waypoint applies L7 policy",
            }
            .into();
        };
        let phrase = mesh.rules.versions_phrase(row);
        match (self.source_waypoint, self.remote_waypoint, row) {
            (Some(w), _, _) => format!(
                "{phrase} with AMBIENT_ENABLE_MULTI_NETWORK, the source-side waypoint {} applies the Service's L7 policy and marks the request (istio-l7-policies-applied): the waypoint on the destination's network skips it",
                key(w)
            ),
            (None, Some(w), _) => format!(
                "the Service's waypoint {} is on {}: the east-west gateway sends the request through it",
                key(w),
                shown(waypoint_network(mesh, w))
            ),
            (None, None, Row::MultiNetworkWaypointOff) => format!(
                "{phrase}, AMBIENT_ENABLE_MULTI_NETWORK is off (the default): waypoints keep requests on their own network, so which waypoint applies L7 policy is not known"
            ),
            _ => format!(
                "{phrase}, waypoints do not route to another network (added in 1.28, istio/istio#57963): which waypoint applies L7 policy is not known"
            ),
        }
    }
}
