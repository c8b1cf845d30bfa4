use super::{null_default, ConditionsStatus, ObjectMeta};
use crate::selector::Labels;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Istio `WorkloadSelector`. `match_labels: None` is `selector: {}`, which ztunnel treats
/// differently from `selector: {matchLabels: {}}` (SEMANTICS.md 4.1).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSelector {
    #[serde(default)]
    pub match_labels: Option<Labels>,
}

impl WorkloadSelector {
    pub fn labels_match(&self, labels: &Labels) -> bool {
        self.match_labels
            .as_ref()
            .is_some_and(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)))
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct PolicyTargetRef {
    #[serde(default, deserialize_with = "null_default")]
    pub group: String,
    #[serde(default, deserialize_with = "null_default")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub namespace: String,
}

impl PolicyTargetRef {
    /// An empty group canonicalises to core (SEMANTICS.md 6.1).
    pub fn group_or_core(&self) -> &str {
        if self.group.is_empty() {
            "core"
        } else {
            &self.group
        }
    }
}

/// The attachment fields shared by every Istio policy kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(default)]
    pub selector: Option<WorkloadSelector>,
    #[serde(default)]
    pub target_ref: Option<PolicyTargetRef>,
    #[serde(default, deserialize_with = "null_default")]
    pub target_refs: Vec<PolicyTargetRef>,
}

impl Attachment {
    /// `GetTargetRefs`: `targetRefs` if non-empty, else the singular `targetRef`.
    pub fn target_refs(&self) -> Vec<PolicyTargetRef> {
        if !self.target_refs.is_empty() {
            self.target_refs.clone()
        } else {
            self.target_ref.iter().cloned().collect()
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizationPolicy {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: AuthorizationPolicySpec,
    #[serde(default, deserialize_with = "null_default")]
    pub status: ConditionsStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationPolicySpec {
    #[serde(flatten)]
    pub attachment: Attachment,
    /// ALLOW when unset.
    #[serde(default, deserialize_with = "null_default")]
    pub action: String,
    /// `None` and `Some([])` both mean "no rules".
    #[serde(default)]
    pub rules: Option<Vec<Rule>>,
    /// The extension provider of a CUSTOM policy.
    #[serde(default)]
    pub provider: Option<ExtensionProvider>,
}

/// `spec.provider` of a CUSTOM AuthorizationPolicy.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExtensionProvider {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Rule {
    #[serde(default, deserialize_with = "null_default")]
    pub from: Vec<From>,
    #[serde(default, deserialize_with = "null_default")]
    pub to: Vec<To>,
    #[serde(default, deserialize_with = "null_default")]
    pub when: Vec<WhenCondition>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct From {
    #[serde(default, deserialize_with = "null_default")]
    pub source: Source,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct To {
    #[serde(default, deserialize_with = "null_default")]
    pub operation: Operation,
}

macro_rules! string_lists {
    ($(#[$m:meta])* $name:ident { $($field:ident : $json:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, Deserialize)]
        pub struct $name {
            $(
                #[serde(rename = $json, default, deserialize_with = "null_default")]
                pub $field: Vec<String>,
            )*
        }

        impl $name {
            /// The fields written (non-empty), by their names in the API.
            pub fn populated(&self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(if !self.$field.is_empty() { v.push($json); })*
                v
            }
        }
    };
}

string_lists!(Source {
    principals: "principals",
    not_principals: "notPrincipals",
    request_principals: "requestPrincipals",
    not_request_principals: "notRequestPrincipals",
    namespaces: "namespaces",
    not_namespaces: "notNamespaces",
    service_accounts: "serviceAccounts",
    not_service_accounts: "notServiceAccounts",
    ip_blocks: "ipBlocks",
    not_ip_blocks: "notIpBlocks",
    remote_ip_blocks: "remoteIpBlocks",
    not_remote_ip_blocks: "notRemoteIpBlocks",
    trust_domains: "trustDomains",
    not_trust_domains: "notTrustDomains",
});

string_lists!(Operation {
    hosts: "hosts",
    not_hosts: "notHosts",
    ports: "ports",
    not_ports: "notPorts",
    methods: "methods",
    not_methods: "notMethods",
    paths: "paths",
    not_paths: "notPaths",
});

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhenCondition {
    #[serde(default, deserialize_with = "null_default")]
    pub key: String,
    #[serde(default, deserialize_with = "null_default")]
    pub values: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub not_values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PeerAuthentication {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: PeerAuthenticationSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerAuthenticationSpec {
    #[serde(default)]
    pub selector: Option<WorkloadSelector>,
    #[serde(default)]
    pub mtls: Option<MtlsSpec>,
    /// Keys are target (container) port numbers.
    #[serde(default, deserialize_with = "null_default")]
    pub port_level_mtls: BTreeMap<String, MtlsSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MtlsSpec {
    #[serde(default, deserialize_with = "null_default")]
    pub mode: String,
}

/// RequestAuthentication, Telemetry, WasmPlugin or EnvoyFilter: consumed only by Envoy-based
/// proxies (SEMANTICS.md 8), so only the attachment matters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExtensionPolicy {
    #[serde(skip)]
    pub kind: String,
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: ExtensionSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionSpec {
    #[serde(flatten)]
    pub attachment: Attachment,
    /// EnvoyFilter's selector field.
    #[serde(default)]
    pub workload_selector: Option<EnvoyFilterSelector>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EnvoyFilterSelector {
    #[serde(default)]
    pub labels: Option<Labels>,
}

impl ExtensionPolicy {
    /// The selector in Istio's common form (EnvoyFilter spells it differently).
    pub fn selector(&self) -> Option<WorkloadSelector> {
        self.spec.attachment.selector.clone().or_else(|| {
            self.spec
                .workload_selector
                .as_ref()
                .map(|w| WorkloadSelector {
                    match_labels: w.labels.clone(),
                })
        })
    }
}
