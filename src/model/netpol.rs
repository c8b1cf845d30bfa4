//! Kubernetes NetworkPolicy (`networking.k8s.io/v1`): the fields the CNI enforces.

use super::{null_default, Cidr, ObjectMeta};
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
    /// Required by the API (`validate`); an empty selector selects every pod of the namespace.
    #[serde(default)]
    pub pod_selector: Option<LabelSelector>,
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
    /// Whether the policy selects a pod with these labels.
    pub fn selects(&self, labels: &crate::selector::Labels) -> bool {
        self.pod_selector
            .as_ref()
            .is_some_and(|s| s.matches(labels))
    }

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

impl NetworkPolicy {
    /// What the API server rejects (`ValidateNetworkPolicy`), as one line naming the field:
    /// manifests that could never be applied are an input error, not a verdict.
    pub fn validate(&self) -> Result<(), String> {
        let spec = &self.spec;
        if spec.pod_selector.is_none() {
            return Err("spec.podSelector: required (`{}` selects every pod)".into());
        }
        for t in spec.policy_types.iter().flatten() {
            if t != "Ingress" && t != "Egress" {
                return Err(format!("spec.policyTypes: {t:?} is not Ingress or Egress"));
            }
        }
        for (dir, rules, peers) in [
            ("ingress", &spec.ingress, "from"),
            ("egress", &spec.egress, "to"),
        ] {
            for (i, r) in rules.iter().enumerate() {
                for (j, p) in r.ports.iter().enumerate() {
                    validate_port(p).map_err(|e| format!("spec.{dir}[{i}].ports[{j}]: {e}"))?;
                }
                for (j, peer) in r.from.iter().enumerate() {
                    validate_peer(peer)
                        .map_err(|e| format!("spec.{dir}[{i}].{peers}[{j}]: {e}"))?;
                }
            }
        }
        Ok(())
    }
}

fn validate_port(p: &NetworkPolicyPort) -> Result<(), String> {
    if let Some(proto) = &p.protocol {
        if !matches!(proto.as_str(), "TCP" | "UDP" | "SCTP") {
            return Err(format!("protocol {proto:?} is not TCP, UDP or SCTP"));
        }
    }
    let start = match &p.port {
        None => None,
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(n @ 1..=65535) => Some(n),
            _ => return Err(format!("port {n} is not between 1 and 65535")),
        },
        Some(serde_json::Value::String(name)) => {
            let ok = (1..=15).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && name.bytes().any(|b| b.is_ascii_lowercase())
                && !name.starts_with('-')
                && !name.ends_with('-')
                && !name.contains("--");
            if !ok {
                return Err(format!("port {name:?} is neither a number nor a port name"));
            }
            None
        }
        Some(other) => return Err(format!("port {other} is neither a number nor a name")),
    };
    if let Some(end) = p.end_port {
        match start {
            None => return Err("endPort needs a numeric port".into()),
            Some(s) if u64::from(end) < s || end > 65535 => {
                return Err(format!("endPort {end} is not between port {s} and 65535"))
            }
            _ => {}
        }
    }
    Ok(())
}

fn validate_peer(peer: &NetworkPolicyPeer) -> Result<(), String> {
    let selectors = peer.pod_selector.is_some() || peer.namespace_selector.is_some();
    match &peer.ip_block {
        Some(_) if selectors => Err(
            "ipBlock cannot be combined with podSelector or namespaceSelector in one peer".into(),
        ),
        Some(b) => {
            // A CIDR must carry its prefix: a bare address is rejected.
            let parse = |s: &str| Cidr::parse(s).filter(|_| s.contains('/'));
            let cidr =
                parse(&b.cidr).ok_or_else(|| format!("ipBlock.cidr {:?} is not a CIDR", b.cidr))?;
            for e in &b.except {
                let ex = parse(e).ok_or_else(|| format!("ipBlock.except {e:?} is not a CIDR"))?;
                if !cidr.contains(ex.addr) || ex.prefix < cidr.prefix {
                    return Err(format!("ipBlock.except {e:?} is not within {}", b.cidr));
                }
            }
            Ok(())
        }
        None if !selectors => Err("needs podSelector, namespaceSelector or ipBlock".into()),
        None => Ok(()),
    }
}
