//! CI formats through the real binary: SARIF validated against the official SARIF 2.1.0
//! schema (tests/schemas), and GitHub workflow annotations with their escaping.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const EXE: &str = env!("CARGO_BIN_EXE_kubectl-ambient_policy");
const EXAMPLE: &str = "examples/bookinfo";

fn run(args: &[&str]) -> Output {
    Command::new(EXE)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

/// The official schema, compiled. Its two `language` patterns
/// (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) are not valid ECMA-262 regular expressions,
/// so a validator that checks the schema itself rejects it; SARIF 2.1.0 Errata 01 corrected
/// them to `^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`, applied here (the file stays as published).
fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(path).unwrap();
    const BROKEN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    const ERRATUM: &str = r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#;
    assert_eq!(text.matches(BROKEN).count(), 2, "the schema file changed");
    let schema: Value = serde_json::from_str(&text.replace(BROKEN, ERRATUM)).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn validate(sarif: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_schema_rejects_what_it_should() {
    // The validator really checks: a log without `version` or with a bad level fails.
    let v = validator();
    let mut sarif = json(&run(&["explain", "-f", EXAMPLE, "-o", "sarif"]));
    assert!(v.is_valid(&sarif));
    // Formats are checked: a file path with a space is no URI reference (hence the escaping).
    let loc = "/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri";
    let mut spaced = sarif.clone();
    *spaced.pointer_mut(loc).unwrap() = "dir with space/a.yaml".into();
    assert!(!v.is_valid(&spaced));
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!v.is_valid(&sarif));
    sarif.as_object_mut().unwrap().remove("version");
    assert!(!v.is_valid(&sarif));
}

#[test]
fn explain_sarif_is_valid_and_points_at_the_manifests() {
    let o = run(&["explain", "-f", EXAMPLE, "-o", "sarif"]);
    assert_eq!(o.status.code(), Some(0));
    let sarif = json(&o);
    validate(&sarif);
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "kubectl-ambient-policy");

    // One rule per finding code, with its title and resolution as help.
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let catalogue: Vec<&str> = ambient_policy::findings::CATALOGUE
        .iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(ids, catalogue);
    for (r, c) in rules.iter().zip(ambient_policy::findings::CATALOGUE) {
        assert_eq!(r["shortDescription"]["text"], c.title);
        assert_eq!(r["help"]["text"], c.resolution);
    }

    // One result per finding, at the file and first line of the document it is about.
    let findings = json(&run(&["explain", "-f", EXAMPLE, "-o", "json"]))["findings"].clone();
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.as_array().unwrap().len());
    for (r, f) in results.iter().zip(findings.as_array().unwrap()) {
        assert_eq!(r["ruleId"], f["code"]);
        let level = match f["severity"].as_str().unwrap() {
            "info" => "note",
            s => s,
        };
        assert_eq!(r["level"], level);
        assert_eq!(
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            f["code"]
        );
        let resource = f["resource"].as_str().unwrap();
        assert_eq!(
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            resource
        );
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        let line = loc["region"]["startLine"].as_u64().unwrap() as usize;
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(uri))
            .unwrap_or_else(|e| panic!("{uri}: {e}"));
        // The document starting at that line is the resource's.
        let doc: Vec<&str> = text
            .lines()
            .skip(line - 1)
            .take_while(|l| !l.starts_with("---"))
            .collect();
        assert!(doc[0].starts_with("apiVersion:"), "{uri}:{line}: {doc:?}");
        let (kind, name) = (
            resource.split('/').next().unwrap(),
            resource.rsplit('/').next().unwrap(),
        );
        assert!(
            doc.contains(&format!("kind: {kind}").as_str()),
            "{uri}:{line} {resource}"
        );
        assert!(
            doc.contains(&format!("  name: {name}").as_str()),
            "{uri}:{line} {resource}"
        );
    }
}

#[test]
fn sarif_from_stdin_has_no_file_but_is_valid() {
    let mut all = String::new();
    for f in [
        "00-mesh.yaml",
        "10-gateways.yaml",
        "20-workloads.yaml",
        "30-policies.yaml",
    ] {
        all.push_str(
            &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE).join(f))
                .unwrap(),
        );
        all.push_str("\n---\n");
    }
    let mut child = Command::new(EXE)
        .args(["explain", "-f", "-", "-o", "sarif"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(all.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let sarif = json(&o);
    validate(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results
        .iter()
        .all(|r| r["locations"][0].get("physicalLocation").is_none()));
}

#[test]
fn github_annotations_escape_properties_and_message() {
    // A directory name with the characters GitHub's property syntax reserves.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gh,run:1%");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n    istio.io/dataplane-mode: ambient\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  serviceAccountName: web\n---\n# the L7 trap\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: web-get-only\nspec:\n  selector:\n    matchLabels:\n      app: web\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n";
    std::fs::write(dir.join("app.yaml"), manifest).unwrap();
    let o = run(&[
        "explain",
        "-f",
        dir.to_str().unwrap(),
        "-o",
        "github",
        "--fail-on",
        "error",
    ]);
    assert_eq!(o.status.code(), Some(1), "the exit code follows --fail-on");
    let out = String::from_utf8(o.stdout).unwrap();
    let escaped_dir = dir
        .display()
        .to_string()
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace(',', "%2C");
    let want = format!(
        "::error file={escaped_dir}/app.yaml,line=18,title=AMB001 AuthorizationPolicy/default/web-get-only::"
    );
    let line = out
        .lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no {want} in\n{out}"));
    // One line per finding: the message's newline before the fix is escaped.
    assert!(line.contains("%0Afix: "), "{line}");
    let findings = json(&run(&[
        "explain",
        "-f",
        dir.to_str().unwrap(),
        "-o",
        "json",
    ]))["findings"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(out.lines().count(), findings);
    for l in out.lines() {
        assert!(
            l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice "),
            "{l}"
        );
    }
}
