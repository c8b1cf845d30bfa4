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
    #[serde(skip)]
    pub controllers: Vec<(String, String)>,
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: PodSpec,
    #[serde(default, deserialize_with = "null_default")]
    pub status: PodStatus,
}

impl Pod {
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
    /// Read only for istiod's Deployment (version and feature flags).
    #[serde(default, deserialize_with = "null_default")]
    pub containers: Vec<Container>,
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
}

/// istiod's Deployment: its image tag gives the Istio version, its env the feature flags.
pub type Deployment = super::Controller;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Container {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub image: String,
    #[serde(default, deserialize_with = "null_default")]
    pub env: Vec<EnvVar>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}
