//! Waypoints and `istio.io/use-waypoint` bindings (SEMANTICS.md 3.1-3.4,
//! `pilot/pkg/serviceregistry/ambient/waypoints.go`).

use crate::model::labels::{
    parse_bool, GATEWAY_SERVICE_ACCOUNT, NAMESPACE_NAME_LABEL, WAYPOINT_CONTROLLERS,
};
use crate::model::{Gateway, GatewayClass, ObjectMeta};
use crate::selector::Labels;
use crate::versions::rules::IngressLabelReading;
use crate::versions::Rules;
use serde::Serialize;
use std::collections::HashMap;

// The names live with the model (`model::labels`), where the sources and completion read
// them too; the mesh, which interprets them, keeps offering them here.
pub use crate::model::labels::{
    GATEWAY_NAME, INBOUND_BINDING, INGRESS_USE_WAYPOINT, MESH_CONTROLLER, SANDWICH_PROXY_PROTOCOL,
    USE_WAYPOINT, USE_WAYPOINT_NS, WAYPOINT_CLASS, WAYPOINT_CLASSES, WAYPOINT_FOR,
};

/// `ambient.istio.io/waypoint-inbound-binding` (Gateway, else GatewayClass): `PROXY` or
/// `PROXY/PORT` (also `NONE[/PORT]`), after `pilot/pkg/serviceregistry/ambient/waypoints.go#makeInboundBinding`.
/// `None` when absent or invalid (istiod logs and ignores it). An unparsable port counts as 0.
pub fn inbound_binding(gw: &Gateway, class: Option<&GatewayClass>) -> Option<(String, u32)> {
    let v = gw
        .metadata
        .annotation(INBOUND_BINDING)
        .or_else(|| class.and_then(|c| c.metadata.annotation(INBOUND_BINDING)))?;
    let parts: Vec<&str> = v.split('/').collect();
    if parts.len() > 2 || !matches!(parts[0], "PROXY" | "NONE") {
        return None;
    }
    let port = parts
        .get(1)
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(0);
    Some((parts[0].to_string(), port))
}

/// The listener whose `allowedRoutes` decide who may bind (`makeAllowedRoutes` /
/// `findBoundListener`): the one the inbound binding names (by port, else for `PROXY` by the
/// sandwich protocol), else the HBONE listener on 15008.
fn bound_listener<'g>(
    gw: &'g Gateway,
    binding: Option<&(String, u32)>,
) -> Option<&'g crate::model::Listener> {
    let ls = &gw.spec.listeners;
    let bound = binding.and_then(|(proto, port)| {
        if *port != 0 {
            ls.iter().find(|l| l.port == *port)
        } else if proto == "PROXY" {
            ls.iter().find(|l| l.protocol == SANDWICH_PROXY_PROTOCOL)
        } else {
            None
        }
    });
    bound.or_else(|| ls.iter().find(|l| l.protocol == "HBONE" && l.port == 15008))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrafficType {
    Service,
    Workload,
    All,
    None,
}

impl TrafficType {
    /// Unvalidated label value; anything unknown behaves like `none` (`constants.go`).
    pub fn parse(v: &str) -> Self {
        match v {
            "service" => TrafficType::Service,
            "workload" => TrafficType::Workload,
            "all" => TrafficType::All,
            _ => TrafficType::None,
        }
    }
    pub fn serves_services(self) -> bool {
        matches!(self, TrafficType::Service | TrafficType::All)
    }
    pub fn serves_workloads(self) -> bool {
        matches!(self, TrafficType::Workload | TrafficType::All)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TrafficType::Service => "service",
            TrafficType::Workload => "workload",
            TrafficType::All => "all",
            TrafficType::None => "none",
        }
    }
}

/// Which namespaces may bind to a waypoint (`allowedRoutes` of its HBONE listener).
#[derive(Debug, Clone, PartialEq)]
pub enum AllowedNamespaces {
    Same,
    All,
    Selector(crate::selector::LabelSelector),
}

/// A Gateway seen as a (possible) waypoint.
#[derive(Debug, Clone)]
pub struct Waypoint {
    pub namespace: String,
    pub name: String,
    pub class: String,
    /// `status.addresses` non-empty: istiod only then treats it as a waypoint. Also true for
    /// a `declared` waypoint, assumed to become ready once deployed.
    pub ready: bool,
    /// Read from a manifest without observed status (no addresses, no condition that is not
    /// `Unknown`) and of a waypoint class: istiod will deploy it and give it addresses, so it
    /// is assumed ready. Never set for objects read from a cluster, whose status is observed.
    pub declared: bool,
    /// Looks like a waypoint (class, controller, HBONE listener or waypoint-for label), as
    /// opposed to an ingress gateway. Binding itself does not check this.
    pub is_waypoint: bool,
    pub traffic_type: TrafficType,
    pub traffic_type_raw: String,
    pub allowed: AllowedNamespaces,
    /// SPIFFE identities of its pods (or the predicted one when no pod is in the input).
    pub identities: Vec<String>,
}

impl Waypoint {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The labels istiod's deployment controller gives the pods it deploys for this Gateway
    /// (`gateway.networking.k8s.io/gateway-name`): what selectors see of them when the input
    /// holds the Gateway but not its pods.
    pub fn pod_labels(&self) -> Labels {
        Labels::from([(
            crate::model::labels::GATEWAY_NAME.to_string(),
            self.name.clone(),
        )])
    }

    pub fn admits(&self, ns: &str, ns_labels: Option<&Labels>) -> bool {
        match &self.allowed {
            AllowedNamespaces::Same => ns == self.namespace,
            AllowedNamespaces::All => true,
            AllowedNamespaces::Selector(s) => match ns_labels {
                Some(l) if l.contains_key(NAMESPACE_NAME_LABEL) => s.matches(l),
                // A namespace missing from the input (or read without it) still carries the
                // API server's name label: selectors on it must admit it by name.
                _ => {
                    let mut l = ns_labels.cloned().unwrap_or_default();
                    l.insert(NAMESPACE_NAME_LABEL.into(), ns.to_string());
                    s.matches(&l)
                }
            },
        }
    }

    pub fn from_gateway(gw: &Gateway, classes: &[GatewayClass]) -> Self {
        let class = classes
            .iter()
            .find(|c| c.metadata.name == gw.spec.gateway_class_name);
        let class_controller = class.map(|c| c.spec.controller_name.as_str());
        // Gateway label beats GatewayClass label beats the default `service`.
        let raw = gw
            .metadata
            .label(WAYPOINT_FOR)
            .or_else(|| class.and_then(|c| c.metadata.label(WAYPOINT_FOR)))
            .unwrap_or("service")
            .to_string();
        let hbone = gw
            .spec
            .listeners
            .iter()
            .find(|l| l.protocol == "HBONE" && l.port == 15008);
        let binding = inbound_binding(gw, class);
        let allowed = match bound_listener(gw, binding.as_ref())
            .and_then(|l| l.allowed_routes.as_ref())
            .and_then(|a| a.namespaces.as_ref())
        {
            Some(n) => match n.from.as_deref() {
                Some("All") => AllowedNamespaces::All,
                Some("Selector") => {
                    AllowedNamespaces::Selector(n.selector.clone().unwrap_or_default())
                }
                _ => AllowedNamespaces::Same,
            },
            None => AllowedNamespaces::Same,
        };
        let is_waypoint = gw.spec.gateway_class_name.contains("waypoint")
            || class_controller == Some(MESH_CONTROLLER)
            || hbone.is_some()
            || gw.metadata.label(WAYPOINT_FOR).is_some();
        let declared = is_declared(gw, class_controller);
        Waypoint {
            namespace: gw.metadata.namespace.clone(),
            name: gw.metadata.name.clone(),
            class: gw.spec.gateway_class_name.clone(),
            ready: !gw.status.addresses.is_empty() || declared,
            declared,
            is_waypoint,
            traffic_type: TrafficType::parse(&raw),
            traffic_type_raw: raw,
            allowed,
            identities: vec![],
        }
    }

    /// The ServiceAccount istiod's deployment controller gives the gateway's pods
    /// (`configureIstioGateway`, `GetDefaultName`): the Gateway name for waypoint classes,
    /// `<name>-<class>` otherwise, unless annotated.
    pub fn predicted_service_account(gw: &Gateway) -> String {
        if let Some(sa) = gw.metadata.annotation(GATEWAY_SERVICE_ACCOUNT) {
            return sa.to_string();
        }
        if gw.spec.gateway_class_name.contains("waypoint") {
            gw.metadata.name.clone()
        } else {
            format!("{}-{}", gw.metadata.name, gw.spec.gateway_class_name)
        }
    }
}

/// Declared state: a waypoint-class Gateway from a manifest (it has an origin) whose status
/// says nothing observed, as `istioctl waypoint generate` prints it (`status: {}`) or as the
/// API server defaults it (conditions `Unknown`, reason `Pending`). A Gateway whose status
/// reports a condition (e.g. `Programmed: False`) was observed and keeps its addresses rule.
fn is_declared(gw: &Gateway, class_controller: Option<&str>) -> bool {
    let waypoint_class = WAYPOINT_CLASSES.contains(&gw.spec.gateway_class_name.as_str())
        || class_controller.is_some_and(|c| WAYPOINT_CONTROLLERS.contains(&c));
    gw.metadata.origin.is_some()
        && waypoint_class
        && gw.status.addresses.is_empty()
        && gw.status.conditions.iter().all(|c| c.status == "Unknown")
}

/// istiod's reason names for a `use-waypoint` label that binds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BindError {
    WaypointIsNotReady,
    AttachmentDenied,
    UnsupportedTrafficType,
    /// A ServiceEntry of NAMESPACE visibility and a waypoint in another namespace (1.31+).
    CrossNamespaceWaypointForbidden,
}

impl BindError {
    pub fn as_str(self) -> &'static str {
        match self {
            BindError::WaypointIsNotReady => "WaypointIsNotReady",
            BindError::AttachmentDenied => "AttachmentDenied",
            BindError::UnsupportedTrafficType => "UnsupportedTrafficType",
            BindError::CrossNamespaceWaypointForbidden => "CrossNamespaceWaypointForbidden",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BindingSource {
    Object,
    Namespace,
}

/// The outcome of resolving `use-waypoint` for one Service, ServiceEntry or Pod.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Binding {
    /// Index into `Mesh::waypoints` when bound.
    pub waypoint: Option<usize>,
    /// The `ns/name` the labels asked for, bound or not.
    pub requested: Option<String>,
    pub source: Option<BindingSource>,
    pub error: Option<BindError>,
    /// `istio.io/use-waypoint: none` opted out explicitly.
    pub opted_out: bool,
    /// The version rule that decided the binding, when one did.
    pub rule: Option<crate::versions::Row>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Service,
    Workload,
}

/// The first ready waypoint of each (namespace, name), built once: every pod and Service
/// looks its waypoint up here instead of scanning them all.
pub struct ReadyWaypoints<'w> {
    waypoints: &'w [Waypoint],
    by_name: HashMap<(&'w str, &'w str), usize>,
}

impl<'w> ReadyWaypoints<'w> {
    pub fn new(waypoints: &'w [Waypoint]) -> Self {
        let mut by_name = HashMap::new();
        for (i, w) in waypoints.iter().enumerate().filter(|(_, w)| w.ready) {
            by_name
                .entry((w.namespace.as_str(), w.name.as_str()))
                .or_insert(i);
        }
        ReadyWaypoints { waypoints, by_name }
    }

    pub(crate) fn get(&self, ns: &str, name: &str) -> Option<(usize, &'w Waypoint)> {
        let &i = self.by_name.get(&(ns, name))?;
        Some((i, &self.waypoints[i]))
    }

    /// `Mesh::waypoints[i]`.
    pub(crate) fn waypoint(&self, i: usize) -> &'w Waypoint {
        &self.waypoints[i]
    }
}

/// `GetUseWaypoint` + `fetchWaypointForTarget` + the traffic-type checks of
/// `fetchWaypointForService` / `fetchWaypointForWorkload`. No fallback on error.
pub fn resolve(
    obj: &ObjectMeta,
    ns_labels: Option<&Labels>,
    waypoints: &ReadyWaypoints,
    kind: TargetKind,
) -> Binding {
    let (labels, name, source) = if let Some(name) = obj.labels.get(USE_WAYPOINT) {
        (&obj.labels, name, BindingSource::Object)
    } else if let Some((nl, name)) =
        ns_labels.and_then(|l| l.get(USE_WAYPOINT).map(|name| (l, name)))
    {
        (nl, name, BindingSource::Namespace)
    } else {
        return Binding::default();
    };
    let mut b = Binding {
        source: Some(source),
        ..Binding::default()
    };
    if name == "none" {
        b.opted_out = true;
        return b;
    }
    // The -namespace label is read from the same object as use-waypoint.
    let ns = labels
        .get(USE_WAYPOINT_NS)
        .unwrap_or(obj.namespace.as_str());
    b.requested = Some(format!("{ns}/{name}"));
    let Some((idx, wp)) = waypoints.get(ns, name) else {
        b.error = Some(BindError::WaypointIsNotReady);
        return b;
    };
    if !wp.admits(&obj.namespace, ns_labels) {
        b.error = Some(BindError::AttachmentDenied);
        return b;
    }
    let ok = match kind {
        TargetKind::Service => wp.traffic_type.serves_services(),
        TargetKind::Workload => wp.traffic_type.serves_workloads(),
    };
    if ok {
        b.waypoint = Some(idx);
    } else if kind == TargetKind::Service || source == BindingSource::Object {
        b.error = Some(BindError::UnsupportedTrafficType);
    }
    // else: a pod inheriting a service-only waypoint from its namespace is silently unbound.
    b
}

/// A `use-waypoint` label on `obj` that names a waypoint missing from `obj`'s namespace but
/// present (or announced) in another: the namespace `obj` most likely meant, and whether its
/// Namespace carries that `use-waypoint-namespace`, which is never combined with the object's
/// own `use-waypoint` (SEMANTICS.md 3.3, `GetUseWaypoint` reads both from one object).
pub fn meant_namespace(
    obj: &ObjectMeta,
    ns_labels: Option<&Labels>,
    waypoints: &[Waypoint],
    b: &Binding,
) -> Option<(String, bool)> {
    if b.error != Some(BindError::WaypointIsNotReady)
        || b.source != Some(BindingSource::Object)
        || obj.labels.contains_key(USE_WAYPOINT_NS)
    {
        return None;
    }
    let name = obj.labels.get(USE_WAYPOINT)?;
    let elsewhere: Vec<&Waypoint> = waypoints
        .iter()
        .filter(|w| w.is_waypoint && w.name == name && w.namespace != obj.namespace)
        .collect();
    if let Some(ns) = ns_labels.and_then(|l| l.get(USE_WAYPOINT_NS)) {
        if *ns != obj.namespace {
            return Some((ns.to_string(), true));
        }
    }
    match elsewhere.as_slice() {
        [w] => Some((w.namespace.clone(), false)),
        _ => None,
    }
}

/// `istio.io/ingress-use-waypoint`, read as istiod of the running version reads it
/// (`Rules::ingress_label_reading`, SEMANTICS.md 13).
pub fn ingress_use_waypoint(obj: &ObjectMeta, ns_labels: Option<&Labels>, rules: &Rules) -> bool {
    let Some(written) = ingress_label_written(obj, ns_labels) else {
        return false;
    };
    let own = obj.label(INGRESS_USE_WAYPOINT);
    match rules.ingress_label_reading() {
        IngressLabelReading::ServiceExactTrue => own == Some("true"),
        IngressLabelReading::FallbackTrueAnyCase => written.eq_ignore_ascii_case("true"),
        IngressLabelReading::FallbackGoBool => parse_bool(written).unwrap_or(false),
    }
}

/// `istio.io/ingress-use-waypoint` as written on the object, else on its namespace.
pub fn ingress_label_written<'a>(
    obj: &'a ObjectMeta,
    ns_labels: Option<&'a Labels>,
) -> Option<&'a str> {
    (obj.label(INGRESS_USE_WAYPOINT))
        .or_else(|| ns_labels.and_then(|l| l.get(INGRESS_USE_WAYPOINT)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Condition, GatewayAddress, Origin};
    use std::sync::Arc;

    fn gw(class: &str, from_file: bool, addresses: bool, conditions: &[(&str, &str)]) -> Gateway {
        let mut g = Gateway::default();
        g.metadata.name = "waypoint".into();
        g.metadata.namespace = "app".into();
        g.spec.gateway_class_name = class.into();
        if from_file {
            g.metadata.origin = Some(Arc::new(Origin {
                file: "w.yaml".into(),
                document: 1,
                line: 1,
            }));
        }
        if addresses {
            g.status.addresses.push(GatewayAddress {
                type_: Some("IPAddress".into()),
                value: "10.0.0.1".into(),
            });
        }
        g.status.conditions = conditions
            .iter()
            .map(|(t, s)| Condition {
                type_: t.to_string(),
                status: s.to_string(),
                ..Condition::default()
            })
            .collect();
        g
    }

    /// Declared (assumed ready) versus observed state, one line per case:
    /// (class, read from a file, has addresses, conditions) -> (ready, declared).
    #[test]
    #[allow(clippy::type_complexity)]
    fn declared_versus_observed() {
        let pending = [("Accepted", "Unknown"), ("Programmed", "Unknown")];
        let not_programmed = [("Programmed", "False")];
        let cases: &[(&str, bool, bool, &[(&str, &str)], (bool, bool))] = &[
            ("istio-waypoint", true, false, &[], (true, true)), // istioctl waypoint generate
            ("istio-waypoint", true, false, &pending, (true, true)), // API server defaults
            (
                "istio-agentgateway-waypoint",
                true,
                false,
                &[],
                (true, true),
            ),
            (
                "istio-waypoint",
                true,
                false,
                &not_programmed,
                (false, false),
            ), // observed
            ("istio-waypoint", true, true, &[], (true, false)), // observed ready
            ("istio-waypoint", false, false, &[], (false, false)), // live: no addresses
            ("istio", true, false, &[], (false, false)),        // ingress class
            ("custom", true, false, &[], (false, false)),       // unknown class
        ];
        for (class, file, addr, conds, want) in cases {
            let w = Waypoint::from_gateway(&gw(class, *file, *addr, conds), &[]);
            assert_eq!(
                (w.ready, w.declared),
                *want,
                "{class} file={file} addr={addr} {conds:?}"
            );
        }
        // A class of the mesh controller counts as a waypoint class.
        let mut c = GatewayClass::default();
        c.metadata.name = "custom".into();
        c.spec.controller_name = MESH_CONTROLLER.into();
        let w = Waypoint::from_gateway(&gw("custom", true, false, &[]), &[c]);
        assert!(w.declared && w.ready);
    }

    /// Which namespace a `use-waypoint` label that found nothing most likely meant.
    #[test]
    fn meant_namespace_of_a_missing_waypoint() {
        let mut g = gw("istio-waypoint", true, false, &[]);
        g.metadata.namespace = "waypoints".into();
        let wps = [Waypoint::from_gateway(&g, &[])];
        let labels = |kv: &[(&str, &str)]| -> Labels {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let svc = |kv: &[(&str, &str)]| ObjectMeta {
            name: "orders".into(),
            namespace: "orders".into(),
            labels: labels(kv),
            ..ObjectMeta::default()
        };
        let meant = |obj: &ObjectMeta, ns: Option<&Labels>| {
            let b = resolve(obj, ns, &ReadyWaypoints::new(&wps), TargetKind::Service);
            meant_namespace(obj, ns, &wps, &b)
        };
        let own = svc(&[(USE_WAYPOINT, "waypoint")]);
        // Only a waypoint of that name elsewhere.
        assert_eq!(meant(&own, None), Some(("waypoints".into(), false)));
        // The Namespace carries the -namespace label: it is never combined with the Service's.
        let ns = labels(&[(USE_WAYPOINT_NS, "waypoints")]);
        assert_eq!(meant(&own, Some(&ns)), Some(("waypoints".into(), true)));
        // Both labels on the Service: bound, nothing to explain.
        let both = svc(&[(USE_WAYPOINT, "waypoint"), (USE_WAYPOINT_NS, "waypoints")]);
        assert_eq!(meant(&both, None), None);
        // Another name: no guess.
        assert_eq!(meant(&svc(&[(USE_WAYPOINT, "other")]), None), None);
    }
}
