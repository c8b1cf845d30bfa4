use super::{null_default, ConditionsStatus, ObjectMeta};
use crate::selector::Labels;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Namespace {
    pub metadata: ObjectMeta,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pod {
    /// Empty for a Pod; the controller kind (`Deployment`, ...) for a workload declared by
    /// a controller's pod template. Never decoded.
    #[serde(skip)]
    pub kind: String,
    /// The controllers (kind, name; in the pod's namespace) this workload stands for: a
    /// live pod's owners up the chain, or a declared workload's own controller and the
    /// children it covers. Set by the workload expansion (`workloads::expand`); never decoded.
    /// Shared by the replicas of one controller (a list per pod would repeat it).
    #[serde(skip)]
    pub controllers: std::sync::Arc<[(String, String)]>,
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: PodSpec,
    #[serde(default, deserialize_with = "null_default")]
    pub status: PodStatus,
}

impl Pod {
    /// Keeps what the analysis reads of a pod, held to the end (idempotent): its service
    /// account under its one name, its containers' named ports and probes, no slack in its
    /// owners. Made as each page of a live list is decoded (while the next is in flight),
    /// else with the workload expansion.
    pub fn slim(&mut self) {
        let spec = &mut self.spec;
        if spec.service_account_name.is_empty() && !spec.service_account.is_empty() {
            spec.service_account_name = std::mem::take(&mut spec.service_account);
        }
        spec.slim_containers();
        self.metadata.owner_references.shrink_to_fit();
    }

    /// `Pod`, or the kind of the controller that declares this workload.
    pub fn kind(&self) -> &str {
        if self.kind.is_empty() {
            "Pod"
        } else {
            &self.kind
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, deserialize_with = "null_default")]
    pub service_account_name: String,
    /// Deprecated alias of `serviceAccountName`, still accepted by the API server.
    #[serde(default, deserialize_with = "null_default")]
    pub service_account: String,
    #[serde(default, deserialize_with = "null_default")]
    pub host_network: bool,
    /// Read for istiod's Deployment (version and feature flags); a workload keeps only
    /// `named_ports` and `network_probes` of them (`Pod::slim`).
    #[serde(default, deserialize_with = "null_default")]
    pub containers: Vec<Container>,
    /// The containers' named TCP ports (name, port), for NetworkPolicy ports by name.
    #[serde(skip)]
    pub named_ports: Vec<(String, u32)>,
    /// Whether kubelet probes a container over the network (`Container::network_probes`).
    #[serde(skip)]
    pub network_probes: bool,
    /// Whether the only container is `istio-proxy` (`only_proxy`), kept when the containers
    /// are dropped.
    #[serde(skip)]
    pub proxy_only: bool,
}

impl PodSpec {
    /// Keeps what the analysis needs of the containers, then drops them. Idempotent: a
    /// Snapshot normalised again keeps what the first pass kept.
    pub fn slim_containers(&mut self) {
        if self.containers.is_empty() {
            return;
        }
        self.named_ports = self
            .containers
            .iter()
            .flat_map(|c| &c.ports)
            .filter(|p| {
                !p.name.is_empty()
                    && p.protocol
                        .as_deref()
                        .unwrap_or("TCP")
                        .eq_ignore_ascii_case("TCP")
            })
            .map(|p| (p.name.clone(), p.container_port))
            .collect();
        self.network_probes = self.containers.iter().any(Container::network_probes);
        self.proxy_only = self.only_proxy();
        self.containers = Vec::new();
    }

    /// Whether the pod's only container is the `istio-proxy` Envoy (Istio's own gateways),
    /// before or after `slim_containers`.
    pub fn only_proxy(&self) -> bool {
        self.proxy_only || matches!(self.containers.as_slice(), [c] if c.name == "istio-proxy")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(default, deserialize_with = "null_default")]
    pub phase: String,
    /// Absent in manifests that were never applied: addresses are then unknown.
    #[serde(rename = "podIP", default, deserialize_with = "null_default")]
    pub pod_ip: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Service {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: ServiceSpec,
    #[serde(default, deserialize_with = "null_default")]
    pub status: ConditionsStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// `None` = no selector (endpoints managed elsewhere): selects no pod.
    #[serde(default)]
    pub selector: Option<Labels>,
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub type_: String,
    #[serde(default, deserialize_with = "null_default")]
    pub ports: Vec<ServicePort>,
    /// Set by the API server (absent in most manifests); `verify` compares them with the VIPs
    /// ztunnel holds.
    #[serde(rename = "clusterIP", default, deserialize_with = "null_default")]
    pub cluster_ip: String,
    #[serde(rename = "clusterIPs", default, deserialize_with = "null_default")]
    pub cluster_ips_: Vec<String>,
}

impl ServiceSpec {
    /// The Service's addresses, `None`/headless excluded.
    pub fn cluster_ips(&self) -> Vec<String> {
        let mut v: Vec<String> = if self.cluster_ips_.is_empty() {
            vec![self.cluster_ip.clone()]
        } else {
            self.cluster_ips_.clone()
        };
        v.retain(|ip| ip.parse::<std::net::IpAddr>().is_ok());
        v
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(default, deserialize_with = "null_default")]
    pub port: u32,
    #[serde(default)]
    pub target_port: Option<serde_json::Value>,
}

impl Service {
    /// Kubernetes semantics: a Service with a non-empty selector selects pods in its namespace
    /// whose labels contain it.
    pub fn selects(&self, pod: &Pod) -> bool {
        match &self.spec.selector {
            Some(sel) if !sel.is_empty() => {
                pod.metadata.namespace == self.metadata.namespace
                    && sel
                        .iter()
                        .all(|(k, v)| pod.metadata.labels.get(k) == Some(v))
            }
            _ => false,
        }
    }
}

/// `networking.istio.io` ServiceEntry.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceEntry {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: ServiceEntrySpec,
    #[serde(default, deserialize_with = "null_default")]
    pub status: ConditionsStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEntrySpec {
    #[serde(default, deserialize_with = "null_default")]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub workload_selector: Option<WorkloadLabels>,
    #[serde(default, deserialize_with = "null_default")]
    pub location: String,
    #[serde(default, deserialize_with = "null_default")]
    pub resolution: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkloadLabels {
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Labels,
}

/// The `istio` ConfigMap of the istiod namespace: `data.mesh` is MeshConfig as YAML.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigMap {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub data: Labels,
}

/// The parts of MeshConfig the analysis uses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshConfig {
    #[serde(default)]
    pub root_namespace: Option<String>,
    #[serde(default)]
    pub trust_domain: Option<String>,
    /// From Istio 1.31 (`pilot/pkg/model/serviceentry_visibility.go`).
    #[serde(default)]
    pub service_entry_visibility: Option<ServiceEntryVisibility>,
}

/// `meshNetworks` of the `istio` ConfigMap (MeshNetworks, `mesh/v1alpha1/network.proto`):
/// the networks of the mesh and which endpoints belong to each. Only `endpoints` is read;
/// the gateways are not modelled.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct MeshNetworks {
    #[serde(default, deserialize_with = "null_default")]
    pub networks: std::collections::BTreeMap<String, MeshNetwork>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct MeshNetwork {
    #[serde(default, deserialize_with = "null_default")]
    pub endpoints: Vec<NetworkEndpoints>,
}

/// One of `fromCidr` (endpoints whose IP it holds) or `fromRegistry` (every endpoint of the
/// registry, a cluster ID).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkEndpoints {
    #[serde(default)]
    pub from_cidr: Option<String>,
    #[serde(default)]
    pub from_registry: Option<String>,
}

/// `meshConfig.serviceEntryVisibility`: the visibility of ServiceEntries by their namespace's
/// labels.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEntryVisibility {
    /// PUBLIC (also when unset or unknown), NAMESPACE or NONE.
    #[serde(default, deserialize_with = "null_default")]
    pub default_visibility: String,
    #[serde(default, deserialize_with = "null_default")]
    pub policies: Vec<VisibilityPolicy>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VisibilityPolicy {
    #[serde(default, deserialize_with = "null_default")]
    pub visibility: String,
    #[serde(default, deserialize_with = "null_default")]
    pub matching_rules: Vec<VisibilityMatchRule>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VisibilityMatchRule {
    #[serde(default)]
    pub namespace_selector: Option<crate::selector::LabelSelector>,
}

impl ServiceEntryVisibility {
    /// `VisibilityFor`: the first policy all of whose rules match the namespace's labels (a
    /// rule without a namespaceSelector never matches; a policy without rules always does),
    /// else the default. `PUBLIC`, `NAMESPACE` or `NONE`.
    pub fn visibility_for(&self, ns_labels: &Labels) -> &'static str {
        let named = |v: &str| match v {
            "NAMESPACE" => "NAMESPACE",
            "NONE" => "NONE",
            _ => "PUBLIC",
        };
        for p in &self.policies {
            let all = p.matching_rules.iter().all(|r| {
                r.namespace_selector
                    .as_ref()
                    .is_some_and(|s| s.matches(ns_labels))
            });
            if all {
                return named(&p.visibility);
            }
        }
        named(&self.default_visibility)
    }
}

/// istiod's Deployment: its image tag gives the Istio version, its env the feature flags.
pub type Deployment = super::Controller;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub image: String,
    #[serde(default, deserialize_with = "null_default")]
    pub env: Vec<EnvVar>,
    /// Named ports, for NetworkPolicy ports by name.
    #[serde(default, deserialize_with = "null_default")]
    pub ports: Vec<ContainerPort>,
    #[serde(default)]
    pub liveness_probe: Option<Probe>,
    #[serde(default)]
    pub readiness_probe: Option<Probe>,
    #[serde(default)]
    pub startup_probe: Option<Probe>,
}

/// A probe's handler: kubelet reaches HTTP, TCP and gRPC probes over the pod network (under
/// ambient from 169.254.7.127, which a NetworkPolicy must admit); exec probes run inside.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(default)]
    pub http_get: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub tcp_socket: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub grpc: Option<serde::de::IgnoredAny>,
}

impl Container {
    /// Whether kubelet probes this container over the network.
    pub fn network_probes(&self) -> bool {
        [
            &self.liveness_probe,
            &self.readiness_probe,
            &self.startup_probe,
        ]
        .iter()
        .filter_map(|p| p.as_ref())
        .any(|p| p.http_get.is_some() || p.tcp_socket.is_some() || p.grpc.is_some())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub container_port: u32,
    #[serde(default)]
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `VisibilityFor`: first matching policy, else the default; unknown values are PUBLIC.
    #[test]
    fn service_entry_visibility_by_namespace_labels() {
        let sev: ServiceEntryVisibility = serde_saphyr::from_str(
            "defaultVisibility: NAMESPACE
policies:
- visibility: NONE
  matchingRules:
  - namespaceSelector: {matchLabels: {tier: secret}}
  - namespaceSelector: {matchExpressions: [{key: env, operator: In, values: [prod]}]}
- visibility: PUBLIC
  matchingRules:
  - {}
- visibility: PUBLIC
  matchingRules:
  - namespaceSelector: {matchLabels: {tier: open}}
",
        )
        .unwrap();
        let labels = |kv: &[(&str, &str)]| -> Labels {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let cases = [
            (labels(&[("tier", "secret"), ("env", "prod")]), "NONE"),
            // One rule of the policy fails: the next policy (a rule without a selector never
            // matches), then the default.
            (labels(&[("tier", "secret")]), "NAMESPACE"),
            (labels(&[("tier", "open")]), "PUBLIC"),
            (labels(&[]), "NAMESPACE"),
        ];
        for (l, want) in cases {
            assert_eq!(sev.visibility_for(&l), want, "{l:?}");
        }
        let bare: ServiceEntryVisibility =
            serde_saphyr::from_str("policies: [{visibility: NAMESPACE}]").unwrap();
        assert_eq!(bare.visibility_for(&labels(&[])), "NAMESPACE");
        let unset = ServiceEntryVisibility::default();
        assert_eq!(unset.visibility_for(&labels(&[])), "PUBLIC");
    }
}
