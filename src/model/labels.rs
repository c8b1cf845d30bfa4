//! The names Kubernetes, Gateway API and Istio give to labels, annotations, GatewayClasses
//! and controllers, and how istiod reads a boolean from them. Plain data, so that every
//! layer (the sources, the mesh, completion) names them from here rather than from the
//! module that interprets them.

// Kubernetes.

/// The label the API server puts on every Namespace, its value the name, and keeps there
/// (`NamespaceDefaultLabelName`, Kubernetes 1.21+): selectors written against it must work
/// on Namespaces read from files, which never carry it.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

// Gateway API.

/// The label the Gateway's deployment puts on its pods.
pub const GATEWAY_NAME: &str = "gateway.networking.k8s.io/gateway-name";

// Istio: enrollment (SEMANTICS.md 2.1).

pub const DATAPLANE_MODE: &str = "istio.io/dataplane-mode";
/// The annotation the sidecar injector writes on the pods it injected.
pub const SIDECAR_STATUS: &str = "sidecar.istio.io/status";
/// The annotation istio-cni writes on the pods whose traffic it redirected to ztunnel.
pub const REDIRECTION: &str = "ambient.istio.io/redirection";
/// The pod annotation that keeps inbound traffic out of ztunnel's capture.
pub const BYPASS_INBOUND_CAPTURE: &str = "ambient.istio.io/bypass-inbound-capture";
/// The revision label, on a namespace or a pod, that selects an injector.
pub const REV: &str = "istio.io/rev";
/// The namespace label of the default injector.
pub const INJECTION: &str = "istio-injection";
/// The pod label that forces injection on or off.
pub const INJECT: &str = "sidecar.istio.io/inject";

// Istio: waypoints (SEMANTICS.md 3.1-3.4).

pub const USE_WAYPOINT: &str = "istio.io/use-waypoint";
pub const USE_WAYPOINT_NS: &str = "istio.io/use-waypoint-namespace";
/// A second waypoint taking a share of a Service's requests (1.31+), its namespace, and the
/// annotation that gives its share in percent.
pub const USE_WAYPOINT_CANARY: &str = "istio.io/use-waypoint-canary";
pub const USE_WAYPOINT_CANARY_NS: &str = "istio.io/use-waypoint-canary-namespace";
pub const USE_WAYPOINT_CANARY_WEIGHT: &str = "istio.io/use-waypoint-canary-weight";
pub const WAYPOINT_FOR: &str = "istio.io/waypoint-for";
pub const INGRESS_USE_WAYPOINT: &str = "istio.io/ingress-use-waypoint";
pub const INBOUND_BINDING: &str = "ambient.istio.io/waypoint-inbound-binding";
/// The listener protocol a `PROXY` inbound binding selects (Istio's
/// `constants.WaypointSandwichListenerProxyProtocol`).
pub const SANDWICH_PROXY_PROTOCOL: &str = "istio.io/PROXY";
/// The annotation that names a Gateway's service account instead of the default one.
pub const GATEWAY_SERVICE_ACCOUNT: &str = "gateway.istio.io/service-account";
/// The label istiod puts on the Services it deploys for a Gateway, naming its controller.
pub const GATEWAY_MANAGED: &str = "gateway.istio.io/managed";

/// The controller of istiod's built-in waypoint (and gateway) classes.
pub const MESH_CONTROLLER: &str = "istio.io/mesh-controller";
pub const AGENTGATEWAY_WAYPOINT_CONTROLLER: &str = "istio.io/agentgateway-waypoint-controller";
pub const WAYPOINT_CLASS: &str = "istio-waypoint";
pub const AGENTGATEWAY_WAYPOINT_CLASS: &str = "istio-agentgateway-waypoint";

/// GatewayClasses whose Gateways istiod deploys as waypoints
/// (`gatewaycommon/classinfo.go#GetBuiltinGatewayClasses`).
pub const WAYPOINT_CLASSES: &[&str] = &[WAYPOINT_CLASS, AGENTGATEWAY_WAYPOINT_CLASS];
/// The controllers of those classes.
pub const WAYPOINT_CONTROLLERS: &[&str] = &[MESH_CONTROLLER, AGENTGATEWAY_WAYPOINT_CONTROLLER];

/// Go's `strconv.ParseBool`, which istiod and istio-cni use for labels and annotations (and
/// istiod for its feature flags).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}
