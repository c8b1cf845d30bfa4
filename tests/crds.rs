//! Fixtures are valid objects: the bundled example and the test builders' documents are
//! checked against the real Istio and Gateway API CRDs in ../shared/crds (structural schema:
//! types, known properties, enums, required fields; CEL rules are not evaluated).
//! Without ../shared (a fresh clone, with CI set or not) each test prints one "skipped" line
//! and passes, unless REQUIRE_SHARED is set: then the CRDs must be there.

mod support;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crds")
}

/// Whether the CRDs are there; says once why not. With REQUIRE_SHARED their absence is a
/// failure. CI alone does not require them: a clean clone without ../shared must pass.
fn crds_present(test: &str) -> bool {
    use std::io::Write;
    let p = shared();
    if p.is_dir() {
        return true;
    }
    let required = std::env::var_os("REQUIRE_SHARED").is_some_and(|v| !v.is_empty());
    assert!(
        !required,
        "REQUIRE_SHARED is set but {} is missing",
        p.display()
    );
    // Written to the real stderr (not the captured test output) so that it shows.
    let _ = writeln!(
        std::io::stderr(),
        "skipped crds::{test}: {} not found (set REQUIRE_SHARED=1 to require it)",
        p.display()
    );
    false
}

fn yaml_docs(text: &str) -> Vec<Value> {
    let opts = serde_saphyr::options! { budget: serde_saphyr::budget! { max_depth: 256, max_documents: 10_000 } };
    serde_saphyr::from_multiple_with_options::<Value>(text, opts)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// (group, version, kind) -> openAPIV3Schema
fn schemas() -> BTreeMap<(String, String, String), Value> {
    let mut files = vec![shared().join("istio/crd-all.gen.yaml")];
    for e in std::fs::read_dir(shared().join("gateway-api/standard")).unwrap() {
        files.push(e.unwrap().path());
    }
    let mut out = BTreeMap::new();
    for f in files {
        for crd in yaml_docs(&std::fs::read_to_string(&f).unwrap()) {
            if crd["kind"] != "CustomResourceDefinition" {
                continue;
            }
            let group = crd["spec"]["group"].as_str().unwrap().to_string();
            let kind = crd["spec"]["names"]["kind"].as_str().unwrap().to_string();
            for v in crd["spec"]["versions"].as_array().unwrap() {
                let name = v["name"].as_str().unwrap().to_string();
                out.insert(
                    (group.clone(), name, kind.clone()),
                    v["schema"]["openAPIV3Schema"].clone(),
                );
            }
        }
    }
    out
}

fn validate(v: &Value, s: &Value, path: &str, errs: &mut Vec<String>) {
    if s["x-kubernetes-preserve-unknown-fields"] == true && s.get("properties").is_none() {
        return;
    }
    if s["x-kubernetes-int-or-string"] == true {
        if !(v.is_i64() || v.is_u64() || v.is_string()) {
            errs.push(format!("{path}: want int or string, got {v}"));
        }
        return;
    }
    let ok = match s["type"].as_str() {
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        _ => true,
    };
    if !ok {
        errs.push(format!("{path}: want {}, got {v}", s["type"]));
        return;
    }
    if let Some(e) = s["enum"].as_array() {
        if !e.contains(v) {
            errs.push(format!("{path}: {v} not in {e:?}"));
        }
    }
    match v {
        Value::Object(m) => {
            for r in s["required"].as_array().into_iter().flatten() {
                if !m.contains_key(r.as_str().unwrap()) {
                    errs.push(format!("{path}: missing required {r}"));
                }
            }
            let props = s["properties"].as_object();
            for (k, x) in m {
                let sub = format!("{path}.{k}");
                match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                    (Some(ps), _) => validate(x, ps, &sub, errs),
                    (None, Some(ap)) if ap.is_object() => validate(x, ap, &sub, errs),
                    (None, _)
                        if props.is_some() && s["x-kubernetes-preserve-unknown-fields"] != true =>
                    {
                        errs.push(format!("{sub}: unknown field"))
                    }
                    _ => {}
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                validate(x, &s["items"], &format!("{path}[{i}]"), errs);
            }
        }
        _ => {}
    }
}

/// Schema errors of one object; the envelope fields are not in Istio's schemas.
fn errors(d: &Value, schema: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let mut obj = d.clone();
    for k in ["metadata", "apiVersion", "kind"] {
        obj.as_object_mut().unwrap().remove(k);
    }
    validate(
        &obj,
        schema,
        d["kind"].as_str().unwrap_or("object"),
        &mut errs,
    );
    errs
}

/// Validates every CRD-backed object in `docs`; returns how many were checked.
fn check(docs: &[Value], schemas: &BTreeMap<(String, String, String), Value>) -> usize {
    let mut n = 0;
    for d in docs {
        let (Some(av), Some(kind)) = (d["apiVersion"].as_str(), d["kind"].as_str()) else {
            continue;
        };
        let Some((group, version)) = av.split_once('/') else {
            continue;
        };
        // Kubernetes' own kinds and Argo's are not in ../shared/crds.
        if matches!(
            group,
            "apps" | "batch" | "networking.k8s.io" | "argoproj.io"
        ) {
            continue;
        }
        let key = (group.to_string(), version.to_string(), kind.to_string());
        let schema = schemas
            .get(&key)
            .unwrap_or_else(|| panic!("no CRD for {key:?}"));
        let errs = errors(d, schema);
        assert!(
            errs.is_empty(),
            "{} {}: {errs:#?}",
            kind,
            d["metadata"]["name"]
        );
        n += 1;
    }
    n
}

#[test]
fn bundled_example_is_valid() {
    if !crds_present("bundled_example_is_valid") {
        return;
    }
    let schemas = schemas();
    let mut n = 0;
    for e in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bookinfo")).unwrap()
    {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yaml") {
            n += check(&yaml_docs(&std::fs::read_to_string(&p).unwrap()), &schemas);
        }
    }
    assert!(n >= 15, "only {n} CRD-backed objects checked");
}

#[test]
fn builder_fixtures_are_valid() {
    if !crds_present("builder_fixtures_are_valid") {
        return;
    }
    use support::*;
    let docs = [
        waypoint("app", "wp", Some("all"), true, Some("from: Selector\nselector:\n  matchLabels:\n    team: a")),
        authz("app", "p", "  selector:\n    matchLabels:\n      app: b\n  action: DENY\n  rules:\n  - from:\n    - source:\n        principals: [a]\n    to:\n    - operation:\n        methods: [GET]\n        ports: [\"80\"]\n    when:\n    - key: request.headers[x]\n      values: [a]\n"),
        authz("app", "t", "  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: wp\n  rules:\n  - {}\n"),
        peer_auth("app", "pa", "2024-01-01T00:00:00Z", "  selector:\n    matchLabels:\n      app: p\n  mtls:\n    mode: STRICT\n  portLevelMtls:\n    9090:\n      mode: PERMISSIVE\n"),
    ];
    let parsed: Vec<Value> = docs.iter().flat_map(|d| yaml_docs(d)).collect();
    assert_eq!(check(&parsed, &schemas()), 4);
    // The validator does reject a bad object.
    let bad = yaml_docs(&authz("app", "x", "  action: ALOW\n  rules: \"all\"\n"));
    let s = &schemas()[&(
        "security.istio.io".into(),
        "v1".into(),
        "AuthorizationPolicy".into(),
    )];
    let errs = errors(&bad[0], s);
    assert_eq!(errs.len(), 2, "{errs:?}");
}

/// The scenario fixtures (tests/scenarios) are valid objects, but for the trap that is
/// invalid on purpose (AMB024).
#[test]
fn scenario_fixtures_are_valid() {
    if !crds_present("scenario_fixtures_are_valid") {
        return;
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios"),
        &mut files,
    );
    let schemas = schemas();
    let mut n = 0;
    for f in files {
        if f.to_string_lossy().contains("invalid") {
            continue;
        }
        // `kind: List` dumps hold their objects under items.
        let docs: Vec<Value> = yaml_docs(&std::fs::read_to_string(&f).unwrap())
            .into_iter()
            .flat_map(|d| match d["items"].as_array() {
                Some(items) if d["kind"] == "List" => items.clone(),
                _ => vec![d],
            })
            .collect();
        n += check(&docs, &schemas);
    }
    assert!(n >= 35, "only {n} CRD-backed objects checked");
}
