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
    /// Only the annotations the analysis reads (Istio's and Helm's): real pods carry many
    /// others (checksums, last-applied-configuration, scrape settings) that would only take
    /// memory on a big mesh.
    #[serde(default, deserialize_with = "relevant_annotations")]
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

/// Whether the analysis reads annotation `key`: every one it reads is Istio's
/// (`*istio.io/*`) or Helm's (`helm.sh/*`).
pub fn relevant_annotation(key: &str) -> bool {
    key.contains("istio.io/") || key.starts_with("helm.sh/")
}

/// Decodes `metadata.annotations` keeping the relevant ones; `null` is empty.
fn relevant_annotations<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
    struct Relevant;
    impl<'de> serde::de::Visitor<'de> for Relevant {
        type Value = Labels;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of strings")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Labels, E> {
            Ok(Labels::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Labels, E> {
            Ok(Labels::new())
        }
        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Labels, D2::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Labels, A::Error> {
            let mut out = Labels::new();
            while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                if relevant_annotation(&k) {
                    out.insert(k.into_owned(), m.next_value()?);
                } else {
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    d.deserialize_option(Relevant)
}

impl ObjectMeta {
    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels.get(k)
    }
    pub fn annotation(&self, k: &str) -> Option<&str> {
        self.annotations.get(k)
    }
}

/// `Kind/namespace/name`, the resource form used in findings and `--suppress`.
pub fn resource_key(kind: &str, ns: &str, name: &str) -> String {
    // Built by hand at its exact size: one key per pod of a big mesh, and `format!` was
    // several times slower than the copies.
    let mut key = String::with_capacity(kind.len() + ns.len() + name.len() + 2);
    key.push_str(kind);
    key.push('/');
    if !ns.is_empty() {
        key.push_str(ns);
        key.push('/');
    }
    key.push_str(name);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_annotations_the_analysis_reads_are_kept() {
        let m: ObjectMeta = serde_json::from_str(
            r#"{"name": "p", "annotations": {"sidecar.istio.io/status": "{}",
                "ambient.istio.io/redirection": "enabled", "helm.sh/hook": "test",
                "checksum/config": "abc", "kubectl.kubernetes.io/last-applied-configuration": "{}"}}"#,
        )
        .unwrap();
        let keys: Vec<&str> = m.annotations.keys().collect();
        assert_eq!(
            keys,
            [
                "ambient.istio.io/redirection",
                "helm.sh/hook",
                "sidecar.istio.io/status"
            ]
        );
        let null: ObjectMeta =
            serde_json::from_str(r#"{"name": "p", "annotations": null}"#).unwrap();
        assert!(null.annotations.is_empty());
        // A value that is not a string is still refused where it is read.
        assert!(
            serde_json::from_str::<ObjectMeta>(r#"{"annotations": {"istio.io/x": 1}}"#).is_err()
        );
    }
}
