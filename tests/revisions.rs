//! Several istiod revisions (docs/versions.md#several-istiod-revisions): ztunnel takes the
//! configuration of the istiod it connects to, whose ambient index filters policies labelled
//! for another revision from 1.25.4, 1.26.3 and 1.27 (AMB047). Manifests shaped as the Helm
//! charts render istiod's Deployments and ztunnel's DaemonSet, and a live API server.

mod support;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use support::apiserver::TOKEN;
use support::cluster::{scratch, text, World, EXE};

const BASE: &str = "tests/scenarios/traps/base";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// istiod Deployment `name` of `revision` (its REVISION env and labels, as Helm sets them).
fn istiod(name: &str, revision: &str, version: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: istio-system
  labels: {{app: istiod, istio.io/rev: {revision}}}
spec:
  selector:
    matchLabels: {{app: istiod, istio.io/rev: {revision}}}
  template:
    metadata:
      labels: {{app: istiod, istio: istiod, istio.io/rev: {revision}}}
    spec:
      serviceAccountName: {name}
      containers:
      - name: discovery
        image: docker.io/istio/pilot:{version}
        env:
        - {{name: REVISION, value: {revision}}}
        - {{name: PILOT_ENABLE_AMBIENT, value: \"true\"}}
"
    )
}

/// ztunnel's DaemonSet as the chart renders it for `revision` ("" for none).
fn ztunnel(revision: &str, version: &str) -> String {
    let (label, host) = if revision.is_empty() {
        (String::new(), "istiod".to_string())
    } else {
        (
            format!(", istio.io/rev: {revision}"),
            format!("istiod-{revision}"),
        )
    };
    format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ztunnel
  namespace: istio-system
  labels: {{app: ztunnel{label}}}
spec:
  selector:
    matchLabels: {{app: ztunnel}}
  template:
    metadata:
      labels: {{app: ztunnel{label}}}
    spec:
      containers:
      - name: istio-proxy
        image: docker.io/istio/ztunnel:{version}
        env:
        - {{name: XDS_ADDRESS, value: \"{host}.istio-system.svc:15012\"}}
"
    )
}

/// A DENY of curl, labelled for `rev` (none when empty).
fn deny(rev: &str) -> String {
    let labels = if rev.is_empty() {
        String::new()
    } else {
        format!("  labels: {{istio.io/rev: {rev}}}\n")
    };
    format!(
        "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-curl
  namespace: shop
{labels}spec:
  selector:
    matchLabels: {{app: httpbin}}
  action: DENY
  rules:
  - from:
    - source:
        principals: [cluster.local/ns/shop/sa/curl]
"
    )
}

fn run(dir: &str, docs: &[String]) -> Value {
    let d = scratch(dir);
    std::fs::write(d.join("in.yaml"), docs.join("---\n")).unwrap();
    let o: Output = Command::new(EXE)
        .current_dir(root())
        .args(["explain", "-o", "json", "-f", BASE, "-f"])
        .arg(d.join("in.yaml"))
        .output()
        .expect("binary runs");
    assert!(o.status.success(), "{}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn finding<'a>(v: &'a Value, code: &str) -> Option<&'a str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .map(|f| f["message"].as_str().unwrap())
}

fn sent(v: &Value) -> bool {
    v["policies"][0]["ztunnel"]["sent"].as_bool().unwrap()
}

fn assumption<'a>(v: &'a Value, setting: &str) -> Option<&'a str> {
    v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["setting"] == setting)
        .map(|a| a["value"].as_str().unwrap())
}

fn ranges(v: &Value) -> Vec<String> {
    v["versionRules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "revision-filter-at-ztunnel")
        .map(|r| r["range"].as_str().unwrap().to_string())
        .collect()
}

const FILTERED: &str = "istiod 1.25.4 - 1.25.x, >= 1.26.3";
const UNFILTERED: &str = "istiod < 1.25.4, 1.26.0 - 1.26.2";

/// ztunnel on the canary at each boundary; a DENY still labelled `default`: filtered out
/// (not sent, AMB047 "not enforced there") from 1.25.4, 1.26.3, 1.27; before, ztunnel
/// enforces it and AMB047 says so.
#[test]
fn policy_of_another_revision_at_the_boundaries() {
    let cases = [
        ("1.24.6", false),
        ("1.25.3", false),
        ("1.25.4", true),
        ("1.26.2", false),
        ("1.26.3", true),
        ("1.27.0", true),
        ("1.30.1", true),
    ];
    for (ver, filtered) in cases {
        let v = run(
            &format!("revisions-{ver}"),
            &[
                istiod("istiod", "default", "1.24.0"),
                istiod("istiod-canary", "canary", ver),
                ztunnel("canary", ver),
                deny("default"),
            ],
        );
        assert_eq!(assumption(&v, "istioVersion"), Some(ver), "{ver}");
        assert_eq!(
            assumption(&v, "istiodRevisions"),
            Some(format!("default (1.24.0), canary ({ver})").as_str())
        );
        let msg = finding(&v, "AMB047").unwrap_or_else(|| panic!("{ver}: no AMB047"));
        assert!(
            msg.starts_with("policy labelled istio.io/rev=default but ztunnel is served by istiod revision canary"),
            "{msg}"
        );
        assert_eq!(sent(&v), !filtered, "{ver}");
        assert_eq!(msg.contains("it is not enforced there"), filtered, "{msg}");
        assert_eq!(
            ranges(&v),
            vec![if filtered { FILTERED } else { UNFILTERED }],
            "{ver}"
        );
    }
}

/// Unlabelled policies and policies of ztunnel's own revision are taken; so is everything
/// when ztunnel's revision is unknown (two istiods, no ztunnel: no verdict on revisions).
#[test]
fn own_revision_unlabelled_and_unknown() {
    for (label, zt) in [("", true), ("canary", true), ("default", false)] {
        let mut docs = vec![
            istiod("istiod", "default", "1.27.0"),
            istiod("istiod-canary", "canary", "1.28.0"),
            deny(label),
        ];
        if zt {
            docs.push(ztunnel("canary", "1.28.0"));
        }
        let v = run(&format!("revisions-own-{label}-{zt}"), &docs);
        assert!(finding(&v, "AMB047").is_none(), "{label} {zt}");
        assert!(sent(&v), "{label} {zt}");
        assert!(ranges(&v).is_empty());
    }
    // A ztunnel without a revision connects to `istiod`, the default revision.
    let v = run(
        "revisions-default-zt",
        &[
            istiod("istiod", "default", "1.27.0"),
            istiod("istiod-canary", "canary", "1.28.0"),
            ztunnel("", "1.27.0"),
            deny("canary"),
        ],
    );
    assert_eq!(assumption(&v, "istioVersion"), Some("1.27.0"));
    assert!(finding(&v, "AMB047").unwrap().contains("revision default"));
    assert!(!sent(&v));
    // One istiod, no ztunnel: that istiod serves ztunnel. A revision tag is no match.
    let v = run(
        "revisions-single",
        &[istiod("istiod", "default", "1.27.0"), deny("prod-stable")],
    );
    assert!(assumption(&v, "istiodRevisions").is_none());
    assert!(finding(&v, "AMB047").is_some());
    assert!(!sent(&v));
}

/// Live: ztunnel names istiod-canary, which is read with one GET beside `istiod`.
#[test]
fn revisions_live() {
    let mut all = String::new();
    for f in ["httpbin.yaml", "namespace.yaml"] {
        all.push_str(&std::fs::read_to_string(root().join(BASE).join(f)).unwrap());
        all.push_str("\n---\n");
    }
    all.push_str(
        &[
            istiod("istiod", "default", "1.26.3"),
            istiod("istiod-canary", "canary", "1.27.2"),
            ztunnel("canary", "1.27.2"),
            deny("default"),
        ]
        .join("---\n"),
    );
    let mut objects: Vec<Value> = serde_saphyr::from_multiple::<Value>(&all)
        .unwrap()
        .into_iter()
        .filter(|v| !v.is_null())
        .collect();
    for (name, app) in [("httpbin-7d4b9", "httpbin"), ("curl-5c6f8", "curl")] {
        objects.push(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "labels": {"app": app},
                "annotations": {"ambient.istio.io/redirection": "enabled"}},
            "spec": {"serviceAccountName": app, "containers": [{"name": app, "image": "x"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.9"}
        }));
    }
    let w = World::start("revisions-live", objects, &[("mesh", Some("shop"), TOKEN)]);
    let o = w.run(&["explain", "-o", "json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(assumption(&v, "istioVersion"), Some("1.27.2"));
    assert_eq!(
        assumption(&v, "istiodRevisions"),
        Some("default (1.26.3), canary (1.27.2)")
    );
    assert!(finding(&v, "AMB047").is_some());
    let p = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "deny-curl")
        .unwrap();
    assert_eq!(p["ztunnel"]["sent"], false);
    let reads = w
        .server
        .requests()
        .iter()
        .filter(|(_, p)| p.ends_with("/deployments/istiod-canary"))
        .count();
    assert_eq!(reads, 1);
}

/// check: ztunnel denies curl only when its istiod takes the DENY labelled `default`, and the
/// note says why in both cases.
#[test]
fn check_follows_the_revision_filter() {
    for (ver, denied) in [("1.26.2", true), ("1.26.3", false)] {
        let d = scratch(&format!("revisions-check-{ver}"));
        let docs = [
            istiod("istiod", "default", "1.26.0"),
            istiod("istiod-canary", "canary", ver),
            ztunnel("canary", ver),
            deny("default"),
        ];
        std::fs::write(d.join("in.yaml"), docs.join("---\n")).unwrap();
        let o = Command::new(EXE)
            .current_dir(root())
            .args(["check", "--from", "deploy/shop/curl", "--to"])
            .args(["svc/shop/httpbin:8000", "-o", "json", "-f", BASE, "-f"])
            .arg(d.join("in.yaml"))
            .output()
            .expect("binary runs");
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
        assert_eq!(o.status.code() == Some(0), !denied, "{ver}: {v}");
        let notes: Vec<&str> = v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .filter(|n| n.contains("istio.io/rev=default"))
            .collect();
        assert_eq!(notes.len(), 1, "{ver}: {v}");
        assert_eq!(notes[0].contains("all the same"), denied, "{}", notes[0]);
    }
}
