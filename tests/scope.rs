//! What manifests (-f, -k) cover without -n: every namespace they hold objects in, as
//! `kubectl get -f` and `kubectl diff -f` do, so that no team's objects are skipped without
//! a word and `--fail-on` cannot pass over them. Through the real binary, on the shapes teams
//! keep: one repository per namespace, `istioctl waypoint generate` output, a missing
//! Namespace object, objects that name no namespace.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLE: &str = "examples/bookinfo";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

/// Writes `files` into a fresh directory; returns its path.
fn input(name: &str, files: &[(&str, &str)]) -> String {
    let d: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("scope-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for (file, text) in files {
        std::fs::write(d.join(file), text).unwrap();
    }
    d.to_str().unwrap().to_string()
}

/// The orders team: bound to a waypoint `istioctl waypoint generate -n waypoints` made,
/// which admits only its own namespace (allowedRoutes default Same): 2 errors (AMB005 on the policy, AMB008 on the Namespace).
const ORDERS: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: waypoints
  labels:
    istio.io/dataplane-mode: ambient
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  labels:
    istio.io/waypoint-for: service
  name: waypoint
  namespace: waypoints
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE
status: {}
---
apiVersion: v1
kind: Namespace
metadata:
  name: orders
  labels:
    istio.io/dataplane-mode: ambient
    istio.io/use-waypoint: waypoint
    istio.io/use-waypoint-namespace: waypoints
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: orders, namespace: orders}
---
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: orders}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
  selector: {app: orders}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: orders}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      serviceAccountName: orders
      containers: [{name: orders, image: nginx, ports: [{containerPort: 8080}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: orders-get, namespace: orders}
spec:
  targetRefs:
  - {kind: Service, group: "", name: orders}
  action: ALLOW
  rules:
  - to:
    - operation: {methods: ["GET"]}
"#;

/// The payments team's repository: no Namespace object (the platform team owns it), so its
/// workloads are outside the mesh: warnings only.
const PAYMENTS: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: payments}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: payments}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
  selector: {app: api}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      containers: [{name: api, image: nginx, ports: [{containerPort: 8080}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-allow, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  action: ALLOW
  rules:
  - from:
    - source:
        namespaces: ["frontend"]
"#;

/// A Deployment that names no namespace, as `kubectl apply -f` without -n puts in default.
const UNNAMED: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: nginx}]
"#;

fn finding_namespaces(v: &Value) -> Vec<String> {
    let mut ns: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        // Kind/ns/name, or Namespace/name.
        .map(|f| {
            f["resource"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(1)
                .unwrap()
                .to_string()
        })
        .collect();
    ns.sort();
    ns.dedup();
    ns
}

fn workloads(v: &Value) -> Vec<String> {
    v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}/{}",
                w["namespace"].as_str().unwrap(),
                w["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn one_namespace_elsewhere_than_default_is_explained_and_fails_the_build() {
    let dir = input("orders", &[("all.yaml", ORDERS)]);
    let o = run(&["explain", "-f", &dir, "--fail-on", "error"]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{table}");
    assert!(
        table.starts_with("Ambient policy enforcement for namespace orders\n"),
        "{table}"
    );
    assert!(table.contains("2 errors"), "{table}");

    // The report is the one `-n orders` prints, byte for byte.
    let with_n = run(&["explain", "-f", &dir, "-n", "orders", "--fail-on", "error"]);
    assert_eq!(o.stdout, with_n.stdout);
    let k = json(&["explain", "-f", &dir, "-o", "json"]);
    assert_eq!(k["namespace"], "orders");
    assert_eq!(
        k,
        json(&["explain", "-f", &dir, "-n", "orders", "-o", "json"])
    );

    // -n still restricts: nothing of orders lies in default.
    let other = run(&["explain", "-f", &dir, "-n", "default", "--fail-on", "error"]);
    assert_eq!(other.status.code(), Some(0));
}

#[test]
fn several_namespaces_are_all_explained_and_n_restricts_to_one() {
    let dir = input(
        "teams",
        &[("orders.yaml", ORDERS), ("payments.yaml", PAYMENTS)],
    );
    let all = json(&["explain", "-f", &dir, "-o", "json"]);
    assert_eq!(all["namespace"], Value::Null);
    assert_eq!(finding_namespaces(&all), ["orders", "payments"]);
    assert_eq!(workloads(&all), ["orders/orders", "payments/api"]);
    // Same as -A on the input.
    assert_eq!(all, json(&["explain", "-f", &dir, "-A", "-o", "json"]));

    let payments = json(&["explain", "-f", &dir, "-n", "payments", "-o", "json"]);
    assert_eq!(payments["namespace"], "payments");
    assert_eq!(finding_namespaces(&payments), ["payments"]);
    assert_eq!(
        run(&[
            "explain",
            "-f",
            &dir,
            "-n",
            "payments",
            "--fail-on",
            "error"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        run(&["explain", "-f", &dir, "--fail-on", "error"])
            .status
            .code(),
        Some(1)
    );

    // The table names objects with their namespace when several are shown.
    let t = run(&["explain", "-f", &dir]);
    let table = String::from_utf8_lossy(&t.stdout);
    assert!(
        table.starts_with("Ambient policy enforcement for all namespaces\n"),
        "{table}"
    );
    assert!(table.contains("payments/api-allow"), "{table}");
}

#[test]
fn objects_without_a_namespace_land_in_default_beside_the_others() {
    let dir = input(
        "unnamed",
        &[("payments.yaml", PAYMENTS), ("web.yaml", UNNAMED)],
    );
    let v = json(&["explain", "-f", &dir, "-o", "json"]);
    assert_eq!(v["namespace"], Value::Null);
    assert_eq!(workloads(&v), ["default/web", "payments/api"]);
    // With -n, they land in that namespace, as with `kubectl apply -n`.
    let n = json(&["explain", "-f", &dir, "-n", "payments", "-o", "json"]);
    assert_eq!(workloads(&n), ["payments/api", "payments/web"]);
}

#[test]
fn a_waypoint_nothing_in_the_namespace_uses_keeps_the_report_wide() {
    // orders binds to its own (missing) waypoint; the one in `waypoints` serves nobody. A
    // report of orders alone would leave it out, so the report covers both namespaces.
    let unused = ORDERS.replace("    istio.io/use-waypoint-namespace: waypoints\n", "");
    let dir = input("unused-waypoint", &[("all.yaml", &unused)]);
    let v = json(&["explain", "-f", &dir, "-o", "json"]);
    assert_eq!(v["namespace"], Value::Null);
    let waypoints: Vec<&str> = v["waypoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(waypoints, ["waypoints"]);
    let n = json(&["explain", "-f", &dir, "-n", "orders", "-o", "json"]);
    assert!(n["waypoints"].as_array().unwrap().is_empty(), "{n}");
}

#[test]
fn the_bundled_example_reads_as_its_one_namespace() {
    // bookinfo in default, with the istio ConfigMap and a mesh-wide PeerAuthentication in
    // istio-system: the mesh-wide objects do not turn it into an all-namespaces report.
    let plain = run(&["explain", "-f", EXAMPLE]);
    let with_n = run(&["explain", "-n", "default", "-f", EXAMPLE]);
    assert_eq!(plain.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&plain.stdout),
        String::from_utf8_lossy(&with_n.stdout)
    );
    assert!(String::from_utf8_lossy(&plain.stdout).contains("istio-system/default"));
}

#[test]
fn the_check_matrix_covers_every_namespace_of_the_input() {
    let dir = input(
        "matrix",
        &[("orders.yaml", ORDERS), ("payments.yaml", PAYMENTS)],
    );
    let m = json(&["check", "-f", &dir, "-o", "json"]);
    assert_eq!(
        m["destinations"],
        serde_json::json!(["svc/orders/orders:80", "svc/payments/api:80"])
    );
    let one = json(&["check", "-f", &dir, "-n", "payments", "-o", "json"]);
    assert_eq!(
        one["destinations"],
        serde_json::json!(["svc/payments/api:80"])
    );
    // NAME-only forms still mean `default` without -n, as kubectl's.
    let o = run(&[
        "check",
        "-f",
        &dir,
        "--from",
        "deploy/api",
        "--to",
        "svc/payments/api",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("default/api"), "{err}");
    let o = run(&[
        "check",
        "-f",
        &dir,
        "-n",
        "payments",
        "--from",
        "deploy/api",
        "--to",
        "svc/api",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn offline_diff_sees_a_change_in_any_namespace() {
    let base = input("diff-base", &[("payments.yaml", PAYMENTS)]);
    let head = input(
        "diff-head",
        &[("payments.yaml", PAYMENTS), ("orders.yaml", ORDERS)],
    );
    let o = run(&["diff", "--base", &base, "-f", &head, "--fail-on", "error"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("AMB008 Namespace/orders"), "{text}");
    // -n still narrows it.
    let n = run(&[
        "diff",
        "--base",
        &base,
        "-f",
        &head,
        "-n",
        "payments",
        "--fail-on",
        "error",
    ]);
    assert_eq!(
        n.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&n.stdout)
    );
}
