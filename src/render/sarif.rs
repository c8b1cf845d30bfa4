//! SARIF 2.1.0 (OASIS) for code-scanning tools such as GitHub's `upload-sarif`: one rule per
//! finding code with its resolution as help, one result per finding, located at the manifest
//! document it is about when that was read from a file. `tests/sarif.rs` validates the output
//! against the official schema.

use super::origins::Origins;
use crate::findings::{Finding, Severity, CATALOGUE};
use serde_json::{json, Value};

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

fn result(f: &Finding, origins: &Origins) -> Value {
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
        // Stable across runs and edits elsewhere in the file, so alerts are tracked, not
        // re-raised.
        "partialFingerprints": {"ambientPolicyFinding/v1": format!("{}:{}", f.code, f.resource)},
    });
    if let Some(i) = CATALOGUE.iter().position(|c| c.code == f.code) {
        r["ruleIndex"] = json!(i);
    }
    r
}

/// The SARIF log for `findings` (for `diff`: the introduced ones).
pub fn render(findings: &[Finding], origins: &Origins) -> String {
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubectl-ambient-policy",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules(),
            }},
            "results": findings.iter().map(|f| result(f, origins)).collect::<Vec<_>>(),
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::artifact_uri;

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
