//! Kubernetes NetworkPolicy (`networking.k8s.io/v1`): the fields the CNI enforces.

use super::{null_default, ObjectMeta};
use crate::selector::LabelSelector;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetworkPolicy {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: NetworkPolicySpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// Required by the API; an empty selector selects every pod of the namespace.
    #[serde(default, deserialize_with = "null_default")]
    pub pod_selector: LabelSelector,
    /// `Ingress`, `Egress`; when absent, implied from the rules (`NetworkPolicy.spec`).
    #[serde(default)]
    pub policy_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "null_default")]
    pub ingress: Vec<NetworkPolicyRule>,
    #[serde(default, deserialize_with = "null_default")]
    pub egress: Vec<NetworkPolicyRule>,
}

/// An ingress rule (`from`) or an egress rule (`to`): the peers and ports it admits. An empty
/// or absent list admits every peer (or port).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetworkPolicyRule {
    #[serde(default, alias = "to", deserialize_with = "null_default")]
    pub from: Vec<NetworkPolicyPeer>,
    #[serde(default, deserialize_with = "null_default")]
    pub ports: Vec<NetworkPolicyPort>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyPeer {
    #[serde(default)]
    pub pod_selector: Option<LabelSelector>,
    #[serde(default)]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(default)]
    pub ip_block: Option<IpBlock>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct IpBlock {
    #[serde(default, deserialize_with = "null_default")]
    pub cidr: String,
    #[serde(default, deserialize_with = "null_default")]
    pub except: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyPort {
    /// TCP (default), UDP or SCTP.
    #[serde(default)]
    pub protocol: Option<String>,
    /// A number or a named container port; absent: every port.
    #[serde(default)]
    pub port: Option<serde_json::Value>,
    #[serde(default)]
    pub end_port: Option<u32>,
}

impl NetworkPolicySpec {
    /// Whether the policy isolates its pods for ingress / egress: the listed types, else
    /// Ingress always and Egress when it has egress rules (the API server's defaulting).
    pub fn types(&self) -> (bool, bool) {
        match &self.policy_types {
            Some(t) if !t.is_empty() => (
                t.iter().any(|x| x == "Ingress"),
                t.iter().any(|x| x == "Egress"),
            ),
            _ => (true, !self.egress.is_empty()),
        }
    }
}
