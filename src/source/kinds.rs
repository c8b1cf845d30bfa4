//! The kinds the plugin reads from a cluster, with their API paths. One table serves the
//! cluster source, the example ClusterRole and the test API server.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    pub kind: &'static str,
    /// Empty for the core group.
    pub group: &'static str,
    /// Preferred first; later ones are tried when the server does not serve the earlier.
    /// Used as is for the core and apps groups, and when API discovery cannot be read;
    /// otherwise discovery picks the newest served version (`discovery`).
    pub versions: &'static [&'static str],
    pub plural: &'static str,
    pub namespaced: bool,
}

impl KindSpec {
    /// The list path for one version, cluster-wide when `ns` is `None`.
    pub fn list_path(&self, version: &str, ns: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{}/{version}", self.group)
        };
        match ns {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }
}

const fn k(
    kind: &'static str,
    group: &'static str,
    versions: &'static [&'static str],
    plural: &'static str,
    namespaced: bool,
) -> KindSpec {
    KindSpec {
        kind,
        group,
        versions,
        plural,
        namespaced,
    }
}

pub const GATEWAY: &str = "gateway.networking.k8s.io";
pub const SECURITY: &str = "security.istio.io";

/// Everything listed. Never Secrets.
pub const KINDS: &[KindSpec] = &[
    k("Namespace", "", &["v1"], "namespaces", false),
    k("Pod", "", &["v1"], "pods", true),
    k("Service", "", &["v1"], "services", true),
    k(
        "NetworkPolicy",
        "networking.k8s.io",
        &["v1"],
        "networkpolicies",
        true,
    ),
    k(
        "ServiceEntry",
        "networking.istio.io",
        &["v1", "v1beta1"],
        "serviceentries",
        true,
    ),
    k(
        "EnvoyFilter",
        "networking.istio.io",
        &["v1alpha3"],
        "envoyfilters",
        true,
    ),
    k("Gateway", GATEWAY, &["v1", "v1beta1"], "gateways", true),
    k(
        "GatewayClass",
        GATEWAY,
        &["v1", "v1beta1"],
        "gatewayclasses",
        false,
    ),
    k("HTTPRoute", GATEWAY, &["v1", "v1beta1"], "httproutes", true),
    k("GRPCRoute", GATEWAY, &["v1"], "grpcroutes", true),
    k("TCPRoute", GATEWAY, &["v1", "v1alpha2"], "tcproutes", true),
    k(
        "TLSRoute",
        GATEWAY,
        &["v1", "v1alpha3", "v1alpha2"],
        "tlsroutes",
        true,
    ),
    k(
        "AuthorizationPolicy",
        SECURITY,
        &["v1", "v1beta1"],
        "authorizationpolicies",
        true,
    ),
    k(
        "PeerAuthentication",
        SECURITY,
        &["v1", "v1beta1"],
        "peerauthentications",
        true,
    ),
    k(
        "RequestAuthentication",
        SECURITY,
        &["v1", "v1beta1"],
        "requestauthentications",
        true,
    ),
    k(
        "Telemetry",
        "telemetry.istio.io",
        &["v1", "v1alpha1"],
        "telemetries",
        true,
    ),
    k(
        "WasmPlugin",
        "extensions.istio.io",
        &["v1alpha1"],
        "wasmplugins",
        true,
    ),
];

/// Single objects read for the mesh settings (istiod's namespace).
pub const CONFIGMAP: KindSpec = k("ConfigMap", "", &["v1"], "configmaps", true);
pub const DEPLOYMENT: KindSpec = k("Deployment", "apps", &["v1"], "deployments", true);
pub const DAEMONSET: KindSpec = k("DaemonSet", "apps", &["v1"], "daemonsets", true);
