//! SARIF 2.1.0 (OASIS) for code-scanning tools such as GitHub's `upload-sarif`: one rule per
//! finding code with its resolution as help, one result per finding, located at the manifest
//! document it is about when that was read from a file. `tests/sarif.rs` validates the output
//! against the official schema.

use super::origins::Origins;
use crate::findings::{Finding, Severity, CATALOGUE};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A manifest path as a URI reference: relative paths stay relative (code scanning resolves
/// them against the repository root), absolute ones become `file://` URIs.
pub fn artifact_uri(file: &str) -> String {
    let mut path = file.replace('\\', "/");
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_string();
    }
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if path.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

fn rules() -> Vec<Value> {
    CATALOGUE
        .iter()
        .map(|c| {
            json!({
                "id": c.code,
                "shortDescription": {"text": c.title},
                "fullDescription": {"text": c.title},
                "help": {
                    "text": c.resolution,
                    "markdown": format!("**{}**: {}\n\n{}", c.code, c.title, c.resolution),
                },
                "defaultConfiguration": {"level": level(c.severity)},
                "properties": {"tags": ["istio", "ambient", "policy"]},
            })
        })
        .collect()
}

/// One result per finding, made as it is written: a big mesh's findings are never held
/// as a JSON tree. The fields are in the order the log has always printed them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    level: &'static str,
    message: Text,
    locations: [Location<'a>; 1],
    /// Stable across runs and edits elsewhere in the file, so alerts are tracked, not
    /// re-raised.
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    logical_locations: [Logical<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<Physical>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "ambientPolicyFinding/v1")]
    v1: String,
}

fn result<'a>(f: &'a Finding, origins: &Origins) -> SarifResult<'a> {
    let physical_location = origins.get(&f.resource).map(|o| Physical {
        artifact_location: ArtifactLocation {
            uri: artifact_uri(&o.file),
        },
        region: Region { start_line: o.line },
    });
    SarifResult {
        rule_id: &f.code,
        level: level(f.severity),
        message: Text {
            text: format!("{}: {}", f.resource, f.message),
        },
        locations: [Location {
            logical_locations: [Logical {
                fully_qualified_name: &f.resource,
                kind: "resource",
            }],
            physical_location,
        }],
        partial_fingerprints: Fingerprints {
            v1: format!("{}:{}", f.code, f.resource),
        },
        rule_index: CATALOGUE.iter().position(|c| c.code == f.code),
    }
}

/// The results, each made when it is written.
struct Results<'a> {
    findings: &'a [Finding],
    origins: &'a Origins,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.findings.len()))?;
        for f in self.findings {
            seq.serialize_element(&result(f, self.origins))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    results: Results<'a>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Value>,
}

/// Writes the SARIF log for `findings` (for `diff`: the introduced ones) to `out`.
pub fn write(findings: &[Finding], origins: &Origins, out: &mut dyn Write) -> io::Result<()> {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "kubectl-ambient-policy",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: rules(),
                },
            },
            results: Results { findings, origins },
        }],
    };
    super::write_json(&log, out)
}

/// The SARIF log as text (a diff's few findings).
pub fn render(findings: &[Finding], origins: &Origins) -> String {
    let mut out = Vec::new();
    // Writing to memory fails only if a finding does not serialize, which none can.
    let _ = write(findings, origins, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, Pod};
    use crate::snapshot::Snapshot;
    use std::sync::Arc;

    /// What the log printed when it was built as a `serde_json::Value` (key order is
    /// insertion order): the typed records must print the same bytes.
    fn as_a_tree(f: &Finding, origins: &Origins) -> Value {
        let mut location = json!({
            "logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}],
        });
        if let Some(o) = origins.get(&f.resource) {
            location["physicalLocation"] = json!({
                "artifactLocation": {"uri": artifact_uri(&o.file)},
                "region": {"startLine": o.line},
            });
        }
        let mut r = json!({
            "ruleId": f.code,
            "level": level(f.severity),
            "message": {"text": format!("{}: {}", f.resource, f.message)},
            "locations": [location],
            "partialFingerprints": {"ambientPolicyFinding/v1": format!("{}:{}", f.code, f.resource)},
        });
        if let Some(i) = CATALOGUE.iter().position(|c| c.code == f.code) {
            r["ruleIndex"] = json!(i);
        }
        r
    }

    #[test]
    fn results_print_as_the_tree_did() {
        let mut pod = Pod::default();
        pod.metadata.name = "web".into();
        pod.metadata.namespace = "shop".into();
        pod.metadata.origin = Some(Arc::new(Origin {
            file: "k8s/web app.yaml".into(),
            document: 2,
            line: 14,
        }));
        let snap = Snapshot {
            pods: vec![pod],
            ..Snapshot::default()
        };
        let origins = Origins::of(&snap);
        let finding = |code: &str, resource: &str| Finding {
            severity: Severity::Warning,
            code: code.into(),
            resource: resource.into(),
            message: "says \"why\"".into(),
            resolution: String::new(),
        };
        let findings = [
            // From a file: a physical location.
            finding(CATALOGUE[0].code, "Pod/shop/web"),
            // From the cluster: none.
            finding(CATALOGUE[1].code, "Pod/shop/other"),
            // A code the catalogue does not list: no rule index.
            finding("AMB999", "Pod/shop/web"),
        ];
        let text = render(&findings, &origins);
        let tree: Vec<Value> = findings.iter().map(|f| as_a_tree(f, &origins)).collect();
        let results = serde_json::to_string_pretty(&json!({"results": tree})).unwrap();
        // The results are the run's last member, indented two levels deeper.
        let results = results.trim_start_matches("{\n").trim_end_matches("\n}");
        let nested: String = results.lines().map(|l| format!("    {l}\n")).collect();
        assert!(
            text.ends_with(&format!("{nested}    }}\n  ]\n}}\n")),
            "{text}"
        );
        assert!(text.contains("\"uri\": \"k8s/web%20app.yaml\""), "{text}");
    }

    #[test]
    fn paths_become_uri_references() {
        let cases = [
            (
                "examples/bookinfo/30-policies.yaml",
                "examples/bookinfo/30-policies.yaml",
            ),
            ("./k8s/a.yaml", "k8s/a.yaml"),
            ("dir with space/a#1.yaml", "dir%20with%20space/a%231.yaml"),
            ("/abs/p.yaml", "file:///abs/p.yaml"),
            ("win\\p.yaml", "win/p.yaml"),
        ];
        for (path, uri) in cases {
            assert_eq!(artifact_uri(path), uri, "{path}");
        }
    }
}
