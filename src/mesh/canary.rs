//! Weighted waypoint canaries (Istio 1.31+): `istio.io/use-waypoint-canary` beside a bound
//! primary waypoint sends a share of a Service's (or ServiceEntry's) requests to a second
//! waypoint. After `pilot/pkg/serviceregistry/ambient/waypoints.go#getUseWaypointCanary`,
//! `#getCanaryWeight`, `#ResolveUseWaypointCanary` and `#buildWeightedWaypoints`
//! (istio/istio#60805; SEMANTICS.md 3.3 and 13).

use super::waypoint::{BindingSource, ReadyWaypoints, USE_WAYPOINT};
use super::Binding;
use crate::model::labels::{
    USE_WAYPOINT_CANARY, USE_WAYPOINT_CANARY_NS, USE_WAYPOINT_CANARY_WEIGHT,
};
use crate::model::ObjectMeta;
use crate::selector::Labels;
use crate::versions::{Row, Rules};
use serde::Serialize;

/// The canary in effect: ztunnel's `weightedWaypoints` are `[primary 100 - weight, canary
/// weight]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canary {
    /// Index into `Mesh::waypoints`.
    pub waypoint: usize,
    /// The canary's share of the requests, 0-100; the primary takes `100 - weight`.
    pub weight: u32,
}

/// Why istiod keeps the primary waypoint alone (the reason its status gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CanaryError {
    CanarySameAsPrimary,
    CanaryInvalidWeight,
    WaypointIsNotReady,
    AttachmentDenied,
    UnsupportedTrafficType,
}

impl CanaryError {
    pub fn as_str(self) -> &'static str {
        match self {
            CanaryError::CanarySameAsPrimary => "CanarySameAsPrimary",
            CanaryError::CanaryInvalidWeight => "CanaryInvalidWeight",
            CanaryError::WaypointIsNotReady => "WaypointIsNotReady",
            CanaryError::AttachmentDenied => "AttachmentDenied",
            CanaryError::UnsupportedTrafficType => "UnsupportedTrafficType",
        }
    }
}

/// A canary the labels declare beside a bound primary, whatever came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryRequest {
    /// The `ns/name` the canary labels ask for.
    pub requested: String,
    /// Where the canary label was read: the object, or its namespace.
    pub source: BindingSource,
    /// The weight annotation as written, when there is one.
    pub weight_written: Option<String>,
    /// Whether the release reads the labels (1.31+), and the row that says so.
    pub read: bool,
    pub rule: Row,
    /// Why the primary waypoint stays alone (1.31+); `None` when the canary is in effect.
    pub error: Option<CanaryError>,
}

/// `getCanaryWeight`: the annotation on the object, else on the namespace; missing is 0;
/// anything but an integer in [0, 100] (Go's `strconv.Atoi`) is invalid.
pub fn parse_weight(v: Option<&str>) -> Option<u32> {
    let Some(v) = v else { return Some(0) };
    // Atoi takes an optional sign and decimal digits only, as Rust's integer parsing does.
    let n: i64 = v.parse().ok()?;
    (0..=100).contains(&n).then_some(n as u32)
}

/// The canary of a Service or ServiceEntry `obj` whose primary binding is `primary`, as the
/// release that runs reads it: `(the canary in effect, what was declared)`.
pub fn resolve(
    obj: &ObjectMeta,
    ns: Option<&ObjectMeta>,
    primary: &Binding,
    waypoints: &ReadyWaypoints,
    rules: &Rules,
) -> (Option<Canary>, Option<CanaryRequest>) {
    // `buildWeightedWaypoints`: only beside a primary bound without error.
    let Some(p) = primary.waypoint.filter(|_| primary.error.is_none()) else {
        return (None, None);
    };
    // `ResolveUseWaypointCanary`: the namespace counts only when the object names no
    // waypoint of its own.
    let ns_all = ns;
    let ns = ns.filter(|_| !obj.labels.contains_key(USE_WAYPOINT));
    let empty = Labels::new();
    let ns_labels = ns.map_or(&empty, |n| &n.labels);
    let (labels, source) = if !obj.labels.contains_key(USE_WAYPOINT_CANARY)
        && ns_labels.contains_key(USE_WAYPOINT_CANARY)
    {
        (ns_labels, BindingSource::Namespace)
    } else {
        (&obj.labels, BindingSource::Object)
    };
    let name = match labels.get(USE_WAYPOINT_CANARY) {
        Some(n) if !n.is_empty() && n != "none" => n,
        _ => return (None, None),
    };
    let cns = labels
        .get(USE_WAYPOINT_CANARY_NS)
        .unwrap_or(obj.namespace.as_str());
    let weight_written = obj
        .annotation(USE_WAYPOINT_CANARY_WEIGHT)
        .or_else(|| ns.and_then(|n| n.annotation(USE_WAYPOINT_CANARY_WEIGHT)));
    let (read, rule) = rules.waypoint_canary();
    let mut req = CanaryRequest {
        requested: format!("{cns}/{name}"),
        source,
        weight_written: weight_written.map(str::to_string),
        read,
        rule,
        error: None,
    };
    if !read {
        return (None, Some(req));
    }
    let primary_wp = waypoints.waypoint(p);
    let error = if primary_wp.namespace == cns && primary_wp.name == name {
        Some(CanaryError::CanarySameAsPrimary)
    } else if parse_weight(weight_written).is_none() {
        Some(CanaryError::CanaryInvalidWeight)
    } else {
        match waypoints.get(cns, name) {
            None => Some(CanaryError::WaypointIsNotReady),
            Some((_, w)) if !w.admits(&obj.namespace, ns_all.map(|n| &n.labels)) => {
                Some(CanaryError::AttachmentDenied)
            }
            Some((_, w)) if !w.traffic_type.serves_services() => {
                Some(CanaryError::UnsupportedTrafficType)
            }
            Some(_) => None,
        }
    };
    req.error = error;
    if error.is_some() {
        return (None, Some(req));
    }
    let (waypoint, _) = waypoints.get(cns, name).expect("found above");
    let weight = parse_weight(weight_written).unwrap_or(0);
    (Some(Canary { waypoint, weight }), Some(req))
}

#[cfg(test)]
mod tests {
    use super::parse_weight;

    /// `getCanaryWeight` reads the annotation as Go's `strconv.Atoi`, then checks [0, 100].
    #[test]
    fn weights_as_istiod_reads_them() {
        let cases: &[(Option<&str>, Option<u32>)] = &[
            (None, Some(0)),          // missing: 0%
            (Some("10"), Some(10)),   // plain
            (Some("0"), Some(0)),     // resolved, no traffic
            (Some("100"), Some(100)), // all to the canary
            (Some("+5"), Some(5)),    // Atoi takes a sign
            (Some("007"), Some(7)),   // leading zeros
            (Some("101"), None),      // over 100
            (Some("-1"), None),       // negative
            (Some("10%"), None),      // not an integer
            (Some(" 10"), None),      // no spaces
            (Some(""), None),         // empty
            (Some("1e1"), None),      // no exponent
        ];
        for (v, want) in cases {
            assert_eq!(parse_weight(*v), *want, "{v:?}");
        }
    }
}
