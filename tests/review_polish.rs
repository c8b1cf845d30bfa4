//! Output polish on the inputs of a new-user review (tests/fixtures/polish/, copied from the
//! review): each test runs the binary as a user would and reads the words they read.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const DIR: &str = "tests/fixtures/polish";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("binary runs")
}

/// `explain ARGS -o json`.
fn json(args: &[&str]) -> Value {
    let mut a = vec!["explain"];
    a.extend(args);
    a.extend(["-o", "json"]);
    let o = run(&a);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

/// The findings of `code` as (resource, message).
fn with_code(v: &Value, code: &str) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| {
            (
                f["resource"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The text report, as a user reads it.
fn text(cmd: &str, args: &[&str]) -> String {
    let mut a = vec![cmd];
    a.extend(args);
    a.extend(["--color", "never"]);
    let o = run(&a);
    String::from_utf8(o.stdout).unwrap()
}

/// R8: the docs' Gateway-targeted `viewer` covers four Services that can be bypassed: one
/// finding for the policy, naming the Services once, not one identical warning per Service.
#[test]
fn waypoint_bypass_is_one_finding_per_policy() {
    let v = json(&["-f", "base", "-f", "docs"]);
    let amb009 = with_code(&v, "AMB009");
    let viewer: Vec<_> = amb009
        .iter()
        .filter(|(r, _)| r == "AuthorizationPolicy/default/viewer")
        .collect();
    assert_eq!(viewer.len(), 1, "{amb009:?}");
    let m = &viewer[0].1;
    assert!(
        m.contains("at waypoint default/waypoint")
            && m.contains("Services curl, details, httpbin, ratings;"),
        "{m}"
    );
    assert!(!m.contains("see(s)"), "{m}");
    // Every AMB009 names a policy, once per policy.
    assert!(amb009
        .iter()
        .all(|(r, _)| r.starts_with("AuthorizationPolicy/")));
    let mut resources: Vec<_> = amb009.iter().map(|(r, _)| r.clone()).collect();
    resources.dedup();
    assert_eq!(resources.len(), amb009.len(), "{amb009:?}");
}

/// R13: a Service labelled `istio.io/use-waypoint: none` has a BINDINGS row saying so.
#[test]
fn opted_out_service_is_listed_in_bindings() {
    let out = text("explain", &["-f", "misc2"]);
    let bindings = out
        .split("BINDINGS")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .unwrap();
    let row = bindings
        .lines()
        .find(|l| l.starts_with("Service/default/ratings "))
        .unwrap_or_else(|| panic!("{bindings}"));
    assert!(row.contains("none (opted out)"), "{row}");
    let v = json(&["-f", "misc2"]);
    let ratings = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "ratings")
        .unwrap();
    assert_eq!(ratings["optedOut"], true);
}

/// A waypoint admitting namespaces by `kubernetes.io/metadata.name` admits a namespace that
/// is not in the input by its name (the API server labels every Namespace so), and only it.
#[test]
fn allowed_routes_by_namespace_name_without_the_namespace() {
    let binding = |ns: &str| {
        let v = json(&["-n", ns, "-f", "selector-waypoint.yaml"]);
        let s = &v["services"][0];
        (s["waypoint"].clone(), s["waypointError"].clone())
    };
    assert_eq!(
        binding("orders"),
        (Value::from("waypoints/waypoint"), Value::Null)
    );
    assert_eq!(
        binding("billing"),
        (Value::Null, Value::from("AttachmentDenied"))
    );
}

/// The resolution of the findings of `code` on `resource`.
fn resolution(v: &Value, code: &str, resource: &str) -> String {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["resource"] == resource)
        .unwrap_or_else(|| panic!("no {code} on {resource}: {}", v["findings"]))["resolution"]
        .as_str()
        .unwrap()
        .to_string()
}

/// R7: a Gateway-targeted policy written in the Services' namespace, for a waypoint kept in
/// `waypoints`: the finding names the waypoint's namespace and the rule (SEMANTICS.md 6.2),
/// not only "not found" and a hint about use-waypoint.
#[test]
fn gateway_targetref_in_the_service_namespace_names_the_waypoint_namespace() {
    let v = json(&["-n", "orders", "-f", "xnsok.yaml"]);
    let amb005 = with_code(&v, "AMB005");
    let (_, m) = amb005
        .iter()
        .find(|(r, _)| r == "AuthorizationPolicy/orders/orders-gw-policy")
        .unwrap_or_else(|| panic!("{amb005:?}"));
    assert!(
        m.contains(
            "waypoint waypoints/waypoint, which Services in orders use, is in namespace waypoints"
        ) && m.contains("a Gateway targetRef must be in the waypoint's namespace"),
        "{m}"
    );
    let fix = resolution(&v, "AMB005", "AuthorizationPolicy/orders/orders-gw-policy");
    assert!(
        fix.starts_with("Create the policy in namespace waypoints"),
        "{fix}"
    );
    assert!(!fix.contains("istio.io/use-waypoint"), "{fix}");
}

/// R7: `use-waypoint` on the Service and `use-waypoint-namespace` on the Namespace are never
/// combined (SEMANTICS.md 3.3): the finding says so and which label to add where.
#[test]
fn use_waypoint_namespace_on_another_object_is_explained() {
    let v = json(&["-n", "orders", "-f", "xns2.yaml"]);
    let amb008 = with_code(&v, "AMB008");
    assert_eq!(amb008.len(), 1, "{amb008:?}");
    let (r, m) = &amb008[0];
    assert_eq!(r, "Service/orders/orders");
    assert!(
        m.contains("The Namespace's istio.io/use-waypoint-namespace: waypoints does not apply")
            && m.contains(
                "only from the object that carries istio.io/use-waypoint, here the Service"
            ),
        "{m}"
    );
    // The policy that targets the Service says why it is unbound, too.
    let amb005 = with_code(&v, "AMB005");
    let (_, m) = amb005
        .iter()
        .find(|(r, _)| r == "AuthorizationPolicy/orders/orders-get")
        .unwrap_or_else(|| panic!("{amb005:?}"));
    assert!(
        m.contains("istio.io/use-waypoint-namespace: waypoints is on the Namespace"),
        "{m}"
    );
    let fix = resolution(&v, "AMB008", "Service/orders/orders");
    assert!(
        fix.starts_with("Label the Service istio.io/use-waypoint-namespace: waypoints"),
        "{fix}"
    );
}

/// R3: a `kubectl get -o yaml` dump beside manifests: every workload is `Kind/ns/name`,
/// live pods `Pod/ns/name`, under one WORKLOAD header, as in PATHS and findings.
#[test]
fn workloads_are_named_one_way() {
    let out = text(
        "explain",
        &[
            "-f",
            "dump-default.yaml",
            "-f",
            "base/bookinfo.yaml",
            "-f",
            "base/curl.yaml",
        ],
    );
    let table = out
        .split("\nWORKLOADS\n")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .unwrap();
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("WORKLOAD "), "{table}");
    let names: Vec<&str> = lines
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(
        names.contains(&"Pod/default/curl-7f6d8b9c5-uvwxy"),
        "{names:?}"
    );
    assert!(
        names.contains(&"Deployment/default/reviews-v2"),
        "{names:?}"
    );
    assert!(names.iter().all(|n| n.split('/').count() == 3), "{names:?}");
    // The same name heads its paths.
    assert!(
        out.contains("\nPod/default/curl-7f6d8b9c5-uvwxy\n"),
        "{out}"
    );
}

/// R3 and R2: `check` names the source as its hop does, and identities in the principal
/// form users paste into policies (no `spiffe://`).
#[test]
fn check_names_the_source_as_its_hop_and_principals_plainly() {
    let args = [
        "-f",
        "base",
        "-f",
        "docs",
        "--from",
        "pod/default/curl",
        "--to",
        "svc/default/productpage",
    ];
    let out = text("check", &args);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "check Deployment/default/curl -> Service/default/productpage:9080"
    );
    assert!(
        out.contains("hop 0  client-ztunnel  Deployment/default/curl"),
        "{out}"
    );
    assert!(
        out.contains("identity cluster.local/ns/default/sa/curl\n"),
        "{out}"
    );
    assert!(!out.contains("spiffe://"), "{out}");
    // The matrix: Kind/ns/name rows, principals at each hop.
    let m = text(
        "check",
        &[
            "-f",
            "base",
            "-f",
            "docs",
            "--to",
            "svc/default/productpage",
            "--port",
            "9080",
        ],
    );
    assert!(m.contains("to Service/default/productpage:9080"), "{m}");
    assert!(m.contains("\nDeployment/default/curl "), "{m}");
    assert!(
        m.contains("ztunnel=cluster.local/ns/default/sa/waypoint"),
        "{m}"
    );
    assert!(!m.contains("pod/") && !m.contains("deploy/"), "{m}");
}

/// R2: the WAYPOINTS table shows the identity as a principal, trust domain included.
#[test]
fn waypoint_identity_is_a_principal() {
    let out = text("explain", &["-f", "base", "-f", "docs"]);
    let row = out
        .lines()
        .find(|l| l.starts_with("default/waypoint "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains(" cluster.local/ns/default/sa/waypoint "),
        "{row}"
    );
}

/// A Helm chart's test hook Pod is not created by `helm install`: skipped, and counted.
#[test]
fn helm_test_hooks_are_skipped_with_a_count() {
    let v = json(&["-f", "helm.yaml"]);
    let names: Vec<&str> = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert!(!names.is_empty());
    assert!(
        !names.iter().any(|n| n.contains("test-connection")),
        "{names:?}"
    );
    let note = v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["setting"] == "helmTestHooks")
        .unwrap_or_else(|| panic!("{}", v["assumptions"]));
    assert_eq!(note["value"], "skipped (1)");
}
