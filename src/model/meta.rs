use super::null_default;
use crate::selector::Labels;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Filled by the source when the manifest omits it (like `kubectl apply -n`).
    #[serde(default, deserialize_with = "null_default")]
    pub namespace: String,
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Labels,
    #[serde(default, deserialize_with = "null_default")]
    pub annotations: Labels,
    /// RFC 3339; compared as strings, which orders correctly for this format.
    #[serde(default, deserialize_with = "null_default")]
    pub creation_timestamp: String,
    /// Who created the object (a Pod's ReplicaSet, ...): live Pods and their controllers
    /// count once.
    #[serde(default, deserialize_with = "null_default")]
    pub owner_references: Vec<super::OwnerReference>,
    /// Where a manifest object was read from (file source only), for findings that point
    /// at a file and line (SARIF, GitHub annotations). Never decoded from the object.
    #[serde(skip)]
    pub origin: Option<std::sync::Arc<Origin>>,
}

/// The file, document (1-based) and first line (1-based) of an object read from a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: String,
    pub document: usize,
    pub line: usize,
}

impl ObjectMeta {
    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels.get(k).map(String::as_str)
    }
    pub fn annotation(&self, k: &str) -> Option<&str> {
        self.annotations.get(k).map(String::as_str)
    }
}

/// `Kind/namespace/name`, the resource form used in findings and `--suppress`.
pub fn resource_key(kind: &str, ns: &str, name: &str) -> String {
    if ns.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{ns}/{name}")
    }
}
