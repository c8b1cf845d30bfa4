//! Manifests as teams keep them (tests/scenarios/): Istio's bookinfo, curl and httpbin as
//! Deployments with ServiceAccounts, waypoints as `istioctl waypoint generate` prints them
//! (`status: {}`), the policies of istio.io's getting-started and migration pages, a
//! namespace missing from the input, a `kubectl get -o yaml` dump, and one file per trap of
//! the findings catalogue.

use ambient_policy::explain::report::Explanation;
use ambient_policy::explain::{explain, Scope};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BOOKINFO: &str = "tests/scenarios/bookinfo";
const TRAPS: &str = "tests/scenarios/traps";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(root())
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("binary runs")
}

fn json(args: &[&str]) -> (Option<i32>, Value) {
    let mut a = args.to_vec();
    a.extend(["-o", "json"]);
    let o = run(&a);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), v)
}

/// (code, resource) of every finding.
fn findings(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["resource"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(v: &Value, code: &str, resource: &str) -> bool {
    findings(v).contains(&(code.to_string(), resource.to_string()))
}

fn message<'a>(v: &'a Value, code: &str) -> &'a str {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("no {code} in {:?}", findings(v)))
}

fn bookinfo(files: &[&str]) -> Vec<String> {
    let mut args = vec![
        "explain".to_string(),
        "-f".into(),
        format!("{BOOKINFO}/app"),
    ];
    for f in files {
        args.push("-f".into());
        args.push(format!("{BOOKINFO}/{f}"));
    }
    args
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The getting-started page end to end: bookinfo as Deployments, the generated waypoint
/// (no status), the L7 policy at the waypoint and the L4 policy that admits the waypoint.
/// It works in a cluster, so it must pass the gate.
#[test]
fn getting_started_with_waypoint_passes_the_gate() {
    let args = bookinfo(&[
        "getting-started/namespace.yaml",
        "getting-started/waypoint.yaml",
        "getting-started/l7-policy.yaml",
    ]);
    let mut a = strs(&args);
    a.extend(["--fail-on", "warning"]);
    let (code, v) = json(&a);
    assert_eq!(code, Some(0), "{:?}", findings(&v));
    // Workloads named by their controller, none skipped.
    let kinds: Vec<(&str, &str)> = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["kind"].as_str().unwrap(), w["name"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds.len(), 7, "{kinds:?}");
    assert!(kinds.contains(&("Deployment", "reviews-v2")));
    assert!(v["skipped"].get("Deployment").is_none());
    assert!(v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| w["dataplane"] == "ambient"));
    // The declared waypoint is assumed ready, and says so.
    let w = &v["waypoints"][0];
    assert_eq!(
        (
            w["name"].as_str(),
            w["ready"].as_bool(),
            w["declared"].as_bool()
        ),
        (Some("waypoint"), Some(true), Some(true))
    );
    assert!(v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["setting"] == "waypoint default/waypoint" && a["value"] == "ready (assumed)"));
    // The L7 policy is enforced at the waypoint; the L4 policy guards it (no AMB006/AMB009).
    let pol = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "productpage-waypoint")
        .unwrap();
    assert_eq!(pol["enforcement"][0]["enforcedBy"], "waypoint");
    assert_eq!(
        pol["enforcement"][0]["targets"][0],
        "Service/default/productpage"
    );
    assert!(has(
        &v,
        "AMB028",
        "AuthorizationPolicy/default/productpage-ztunnel"
    ));
    assert!(!findings(&v)
        .iter()
        .any(|(c, _)| c == "AMB006" || c == "AMB009" || c == "AMB005" || c == "AMB008"));
    // Paths name the controller.
    assert!(v["paths"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["destination"] == "Deployment/default/productpage-v1"));
}

/// Without the L4 policy's waypoint principal (the step before the page updates it), every
/// client through the waypoint is denied: an error on the policy, with the fix.
#[test]
fn waypoint_before_updating_the_l4_policy_is_an_error() {
    let args = bookinfo(&[
        "getting-started/namespace.yaml",
        "getting-started/waypoint.yaml",
        "l4-only/l4-policy.yaml",
    ]);
    let mut a = strs(&args);
    a.extend(["--fail-on", "error"]);
    let (code, v) = json(&a);
    assert_eq!(code, Some(1));
    assert!(has(
        &v,
        "AMB027",
        "AuthorizationPolicy/default/productpage-ztunnel"
    ));
    assert!(message(&v, "AMB027").contains("principals [cluster.local/ns/default/sa/waypoint]"));
    // Before the waypoint exists (L4 page), the same policy is fine.
    let args = bookinfo(&["l4-only/l4-policy.yaml"]);
    let mut a = strs(&args);
    a.extend([
        "--namespace-labels",
        "default=istio.io/dataplane-mode=ambient",
        "--fail-on",
        "warning",
    ]);
    let (code, v) = json(&a);
    assert_eq!(code, Some(0), "{:?}", findings(&v));
}

/// Without the guard, the same L7 set-up can be bypassed (AMB009); the guard silences it.
#[test]
fn bypass_guard_silences_amb009() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("l7-only");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let l7 = std::fs::read_to_string(root().join(BOOKINFO).join("getting-started/l7-policy.yaml"))
        .unwrap();
    let only_waypoint_policy = l7.split("\n---\n").next().unwrap();
    std::fs::write(dir.join("l7.yaml"), only_waypoint_policy).unwrap();
    let args = bookinfo(&[
        "getting-started/namespace.yaml",
        "getting-started/waypoint.yaml",
    ]);
    let mut a = strs(&args);
    let l7 = dir.join("l7.yaml").display().to_string();
    a.extend(["-f", &l7]);
    let (_, v) = json(&a);
    assert!(
        has(
            &v,
            "AMB009",
            "AuthorizationPolicy/default/productpage-waypoint"
        ),
        "{:?}",
        findings(&v)
    );
    assert!(!findings(&v).iter().any(|(c, _)| c == "AMB028"));
}

/// The migration page's policies in namespace bookinfo, whose Namespace is not in the input.
#[test]
fn namespace_missing_from_the_input_then_labelled() {
    let args = bookinfo(&["migration"]);
    let mut a = strs(&args);
    a.extend(["-n", "bookinfo"]);
    let (_, v) = json(&a);
    assert!(
        has(&v, "AMB026", "Namespace/bookinfo"),
        "{:?}",
        findings(&v)
    );
    assert!(v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["setting"] == "namespace bookinfo" && x["value"] == "no labels (assumed)"));

    a.extend([
        "--namespace-labels",
        "bookinfo=istio.io/dataplane-mode=ambient,istio.io/use-waypoint=waypoint",
    ]);
    let (code, v) = json(&a);
    assert!(!findings(&v).iter().any(|(c, _)| c == "AMB026"));
    assert!(v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["setting"] == "namespace bookinfo"
            && x["source"] == "command-line flag --namespace-labels"));
    // The guard is credited, never told to move to targetRefs.
    assert!(has(
        &v,
        "AMB028",
        "AuthorizationPolicy/bookinfo/deny-waypoint-bypass"
    ));
    assert!(!has(
        &v,
        "AMB006",
        "AuthorizationPolicy/bookinfo/deny-waypoint-bypass"
    ));
    // The "unchanged" L4 policy names productpage, which runs as bookinfo-productpage...
    assert!(message(&v, "AMB029")
        .contains("did you mean \"cluster.local/ns/bookinfo/sa/bookinfo-productpage\"?"));
    // ...and, behind the waypoint, does not admit the waypoint: reviews is unreachable.
    assert!(has(
        &v,
        "AMB027",
        "AuthorizationPolicy/bookinfo/allow-frontend"
    ));
    assert!(!has(
        &v,
        "AMB005",
        "AuthorizationPolicy/bookinfo/allow-get-reviews"
    ));
    assert_eq!(code, Some(0), "no --fail-on: exit 0");
}

#[test]
fn malformed_namespace_labels_is_a_usage_error() {
    for bad in ["bookinfo", "bookinfo=dataplane", "=a=b", "Bookinfo=a=b"] {
        let o = run(&["explain", "-f", TRAPS, "--namespace-labels", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{bad}: {err}");
        assert!(
            err.starts_with("error: invalid --namespace-labels"),
            "{bad}: {err}"
        );
    }
}

/// A `kubectl get deployments,replicasets,pods -o yaml` dump: one workload, the live Pod.
#[test]
fn controller_and_live_pod_counted_once() {
    let (code, v) = json(&["explain", "-A", "-f", "tests/scenarios/live-dump"]);
    assert_eq!(code, Some(0));
    let w = v["workloads"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(
        (w[0]["kind"].as_str(), w[0]["name"].as_str()),
        (Some("Pod"), Some("httpbin-6d4f8c7b9-k2x7p"))
    );
    assert_eq!(
        w[0]["dataplaneReason"],
        "ambient.istio.io/redirection=enabled"
    );
}

fn trap_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(TRAPS))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

fn explain_files(files: &[PathBuf]) -> Explanation {
    let args: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let snap = ambient_policy::source::files::load(&args, "default").expect("fixtures load");
    explain(&snap, &Scope::default())
}

/// Every trap of the catalogue, each in its own file on top of a correct base: the base
/// alone does not raise the code, base + trap does.
#[test]
fn every_trap_of_the_catalogue_is_reported() {
    let base = root().join(TRAPS).join("base");
    let codes = |e: &Explanation| {
        e.findings
            .iter()
            .map(|f| f.code.clone())
            .collect::<Vec<_>>()
    };
    let clean = codes(&explain_files(std::slice::from_ref(&base)));
    assert_eq!(clean, vec!["AMB025"], "the base is correct but for AMB025");
    let files = trap_files();
    let mut covered = vec!["AMB025".to_string()];
    for f in &files {
        let code = f.file_name().unwrap().to_str().unwrap()[..6].to_string();
        let e = explain_files(&[base.clone(), f.clone()]);
        assert!(
            codes(&e).contains(&code),
            "{}: {:?}",
            f.display(),
            e.findings
        );
        covered.push(code);
    }
    for c in ambient_policy::findings::CATALOGUE {
        // Every code has a trap but `verify`'s (AMB060-AMB069): they compare the model with a
        // ztunnel's dump, and tests/verify.rs raises each from a real dump changed once.
        if !c.code.starts_with("AMB06") {
            assert!(
                covered.iter().any(|x| x == c.code),
                "no trap fixture for {}",
                c.code
            );
        }
    }
}

/// A rendered Istio install without its Namespace: istiod is read for the mesh settings;
/// ztunnel, istio-cni and the gateway are Istio's own pods, named in the assumptions and no
/// workloads; nothing there depends on istio-system's labels, so no AMB026.
#[test]
fn rendered_istio_install_raises_no_missing_namespace() {
    let (code, v) = json(&[
        "explain",
        "-A",
        "-f",
        "tests/scenarios/istio-install",
        "-f",
        "tests/scenarios/traps/base",
        "--fail-on",
        "warning",
    ]);
    assert_eq!(code, Some(0), "{:?}", findings(&v));
    let names = workload_names(&v);
    for component in [
        "istiod",
        "ztunnel",
        "istio-cni-node",
        "istio-ingressgateway",
    ] {
        assert!(!names.contains(&component), "{component}: {names:?}");
    }
    let setting = |name: &str| {
        v["assumptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["setting"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(
        setting("istioComponents")["value"],
        "ztunnel: DaemonSet/istio-system/ztunnel; istio-cni: DaemonSet/istio-system/istio-cni-node; \
         istio-gateway: Deployment/istio-system/istio-ingressgateway"
    );
    assert_eq!(setting("istioVersion")["value"], "1.28.0");
    // ztunnel's DaemonSet gives ztunnel's version.
    let z = setting("ztunnelVersion");
    assert_eq!(
        (z["value"].as_str(), z["source"].as_str()),
        (Some("1.28.0"), Some("DaemonSet istio-system/ztunnel"))
    );
}

fn workload_names(v: &Value) -> Vec<&str> {
    v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect()
}

/// A root-namespace policy selects Istio's own pods too: no AMB007 ("enrol the workloads")
/// for ztunnel, istio-cni or the gateway, while an application outside the mesh still gets it.
#[test]
fn root_policy_does_not_ask_to_enrol_istio_components() {
    let (_, v) = json(&[
        "explain",
        "-A",
        "-f",
        "tests/scenarios/istio-install",
        "-f",
        "tests/fixtures/istio-components",
    ]);
    let amb007: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "AMB007")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(amb007.len(), 1, "{amb007:?}");
    assert!(
        amb007[0].starts_with("legacy is not in the mesh"),
        "{amb007:?}"
    );
    assert_eq!(workload_names(&v), ["legacy", "web"]);
    // The gateway's Envoy enforces the root namespace's policy (istio/istio#58838).
    let gateway: Vec<&Value> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "mesh-allow-shop")
        .flat_map(|p| p["enforcement"].as_array().unwrap())
        .filter(|e| e["enforcedBy"] == "gateway")
        .collect();
    assert_eq!(gateway.len(), 1, "{gateway:?}");
    assert_eq!(gateway[0]["waypoint"], "istio-system/istio-ingressgateway");
    assert_eq!(gateway[0]["sourceIdentity"], "client");
    // Nor are they destinations of a path, or rows of check's matrix.
    let o = run(&[
        "check",
        "-A",
        "-f",
        "tests/scenarios/istio-install",
        "-f",
        "tests/fixtures/istio-components",
        "-o",
        "json",
    ]);
    let m: Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = m.to_string();
    assert!(text.contains("web"), "{text}");
    // The gateway is the ingress client (its identity), never a destination.
    for component in [
        "ztunnel",
        "istio-cni-node",
        "Deployment/istio-system/istio-ingressgateway",
    ] {
        assert!(
            !text.contains(component),
            "{component} in the matrix: {text}"
        );
    }
}

/// The `gateway` chart's ingress (`istio: ingress`, not `ingressgateway`) is told by its only
/// container, `istio-proxy`, which the analysis reads after the containers were dropped: an
/// Istio gateway whose Envoy enforces the root policy, not a sidecar-injected application.
#[test]
fn gateway_chart_ingress_is_an_istio_gateway() {
    let (_, v) = json(&[
        "explain",
        "-A",
        "-f",
        "tests/scenarios/gateway-chart",
        "-f",
        "tests/fixtures/istio-components",
    ]);
    assert_eq!(workload_names(&v), ["legacy", "web"]);
    let enforcers: Vec<(&str, &str)> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "mesh-allow-shop")
        .flat_map(|p| p["enforcement"].as_array().unwrap())
        .map(|e| {
            let by = e["enforcedBy"].as_str().unwrap();
            (by, e["waypoint"].as_str().unwrap_or("-"))
        })
        .collect();
    assert!(
        enforcers.contains(&("gateway", "istio-ingress/istio-ingress")),
        "{enforcers:?}"
    );
    assert!(
        !enforcers.iter().any(|(by, _)| *by == "sidecar"),
        "{enforcers:?}"
    );
    let components = v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["setting"] == "istioComponents")
        .expect("istioComponents assumption");
    assert_eq!(
        components["value"],
        "istio-gateway: Deployment/istio-ingress/istio-ingress"
    );
}

/// `check` with the `gateway` chart's ingress: bare `ingress` is that gateway when it is the
/// only one (the chart's pods carry `istio: ingress`, not `ingressgateway`), several are named
/// as such; at the gateway `remote.ip` is the outside client's address, never the gateway
/// pod's own; and the gateway's Service is no destination (its Envoy takes the request).
#[test]
fn check_through_the_gateway_charts_ingress() {
    const CHART: &str = "tests/scenarios/gateway-chart";
    const LIVE: &str = "tests/scenarios/gateway-chart-live";
    const BACKEND: &str = "tests/scenarios/gateway-chart/backend.yaml";
    const COMPONENTS: &str = "tests/fixtures/istio-components";
    let check = |files: &[&str], extra: &[&str]| {
        let mut a = vec!["check", "--from", "ingress", "--to", "svc/shop/web:80"];
        for f in files {
            a.extend(["-f", f]);
        }
        a.extend(extra);
        json(&a).1
    };
    let gateway_hop = |v: &Value| -> (String, String) {
        let hop = &v["hops"][0];
        let allowlist = (hop["policies"].as_array().unwrap().iter())
            .find(|p| p["name"] == "ingress-ip-allowlist")
            .expect("the allowlist applies at the gateway");
        (
            hop["name"].as_str().unwrap().to_string(),
            allowlist["result"].as_str().unwrap().to_string(),
        )
    };
    // Declared, and read from a cluster (the pod has an address of its own).
    for files in [&[CHART, COMPONENTS][..], &[LIVE, BACKEND, COMPONENTS]] {
        let v = check(files, &[]);
        assert_eq!(
            v["request"]["source"], "ingress/istio-ingress/istio-ingress",
            "{files:?}"
        );
        assert_eq!(
            v["request"]["sourceIdentity"],
            "spiffe://cluster.local/ns/istio-ingress/sa/istio-ingress"
        );
        assert_eq!(v["hops"][0]["component"], "ingress-gateway");
        assert_eq!(
            gateway_hop(&v),
            ("istio-ingress/istio-ingress".into(), "unknown".into()),
            "{files:?}"
        );
        let v = check(files, &["--source-ip", "198.51.100.7"]);
        assert_eq!(gateway_hop(&v).1, "match", "{files:?}");
        let v = check(files, &["--source-ip", "203.0.113.9"]);
        assert_eq!(gateway_hop(&v).1, "no-match", "{files:?}");
    }
    // With istioctl's classic gateway beside it, bare `ingress` is neither.
    let o = run(&[
        "check",
        "-f",
        CHART,
        "-f",
        COMPONENTS,
        "-f",
        "tests/scenarios/istio-install",
        "--from",
        "ingress",
        "--to",
        "svc/shop/web:80",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("2 ingress gateways in the input; name one with ingress/NS/NAME"),
        "{text}"
    );
    // The gateway's own Service: one line naming the way to check it, exit 2.
    let o = run(&[
        "check",
        "-f",
        CHART,
        "-f",
        COMPONENTS,
        "--from",
        "external",
        "--to",
        "svc/istio-ingress/istio-ingress:80",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("fronts ingress gateway istio-ingress/istio-ingress")
            && err.contains("--from ingress/istio-ingress/istio-ingress"),
        "{err}"
    );
}

/// A Gateway API ingress declared without its pods (manifests in git): its Envoy enforces the
/// policies that select its pods as istiod labels them, and the root namespace's, in explain
/// and in check alike.
#[test]
fn declared_gateway_api_ingress_enforces_selector_and_root_policies() {
    const DIR: &str = "tests/scenarios/gateway-api-ingress";
    let (_, v) = json(&["explain", "-A", "-f", DIR]);
    let at_gateway = |name: &str| {
        (v["policies"].as_array().unwrap().iter())
            .filter(|p| p["name"] == name)
            .flat_map(|p| p["enforcement"].as_array().unwrap())
            .any(|e| e["enforcedBy"] == "gateway" && e["waypoint"] == "edge/public-gw")
    };
    assert!(at_gateway("public-gw-ipallow"), "{v}");
    assert!(at_gateway("deny-from-quarantine"), "{v}");
    let amb017: Vec<&Value> = (v["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == "AMB017")
        .collect();
    assert!(amb017.is_empty(), "{amb017:?}");
    let gateway_hop = |extra: &[&str]| {
        let mut a = vec![
            "check",
            "-f",
            DIR,
            "--from",
            "ingress",
            "--to",
            "svc/shop/web:80",
        ];
        a.extend(extra);
        let (_, v) = json(&a);
        assert_eq!(v["request"]["source"], "ingress/edge/public-gw");
        let hop = v["hops"][0].clone();
        assert_eq!(hop["component"], "ingress-gateway");
        (hop["policies"].as_array().unwrap().iter())
            .map(|p| {
                let name = p["name"].as_str().unwrap();
                (name.to_string(), p["result"].as_str().unwrap().to_string())
            })
            .collect::<Vec<_>>()
    };
    let results = gateway_hop(&[]);
    assert!(
        results.contains(&("public-gw-ipallow".into(), "unknown".into()))
            && results.iter().any(|(n, _)| n == "deny-from-quarantine"),
        "{results:?}"
    );
    let results = gateway_hop(&["--source-ip", "198.51.100.7"]);
    assert!(
        results.contains(&("public-gw-ipallow".into(), "match".into())),
        "{results:?}"
    );
}

/// AMB030 names only the namespace that exists nowhere, not the ones every cluster has.
#[test]
fn unknown_namespace_names_only_the_missing_one() {
    let base = root().join(TRAPS).join("base");
    let trap = root().join(TRAPS).join("AMB030-unknown-namespace.yaml");
    let e = explain_files(&[base, trap]);
    let msgs: Vec<&str> = e
        .findings
        .iter()
        .filter(|f| f.code == "AMB030")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].starts_with("source namespace \"shopp\""),
        "{msgs:?}"
    );
}

/// The L7-selector trap on a Deployment fails the CI gate, and names the Deployment.
#[test]
fn l7_selector_trap_on_a_deployment_fails_the_gate() {
    let base = format!("{TRAPS}/base");
    let trap = format!("{TRAPS}/AMB001-l7-selector-on-deployment.yaml");
    let o = run(&[
        "explain",
        "-n",
        "shop",
        "-f",
        &base,
        "--fail-on",
        "error",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&[
        "explain",
        "-n",
        "shop",
        "-f",
        &base,
        "-f",
        &trap,
        "--fail-on",
        "error",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("ERROR AMB001 AuthorizationPolicy/shop/httpbin-get-only"),
        "{out}"
    );
    assert!(out.contains("Deployment/shop/httpbin"), "{out}");
}

/// istio.io's L4-policy page: its policy works as written without a waypoint, and denies
/// every client once a waypoint enrolled by the namespace label is in the path.
#[test]
fn l4_policy_page_before_and_after_a_waypoint() {
    let l4 = "tests/scenarios/l4-policy";
    let files = [
        format!("{l4}/namespace.yaml"),
        format!("{l4}/samples.yaml"),
        format!("{l4}/policy.yaml"),
    ];
    let mut a = vec!["explain", "-n", "ambient-demo"];
    for f in &files {
        a.extend(["-f", f.as_str()]);
    }
    a.extend(["--fail-on", "warning"]);
    let (code, v) = json(&a);
    assert_eq!(code, Some(0), "{:?}", findings(&v));
    let entries = v["policies"][0]["enforcement"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0]["enforcedBy"].as_str(),
            entries[0]["effect"].as_str()
        ),
        (Some("ztunnel"), Some("as-written"))
    );

    let (code, v) = json(&[
        "explain",
        "-n",
        "ambient-demo",
        "-f",
        l4,
        "--namespace-labels",
        "ambient-demo=istio.io/dataplane-mode=ambient,istio.io/use-waypoint=waypoint",
        "--fail-on",
        "error",
    ]);
    assert_eq!(code, Some(1));
    assert!(has(
        &v,
        "AMB027",
        "AuthorizationPolicy/ambient-demo/allow-curl-to-httpbin"
    ));
    assert_eq!(v["waypoints"][0]["declared"], true);
}

/// An Istio ingress gateway (the `gateway` chart's Deployment, injected) is no workload, but
/// its Envoy enforces the selector policy that selects it: explain names it as the enforcer
/// (no AMB017), and check's ingress hop applies the same policy. Near miss: a selector that
/// matches no gateway pod selects nothing (AMB017).
#[test]
fn an_istio_gateway_enforces_the_policies_that_select_it() {
    let (_, v) = json(&[
        "explain",
        "-A",
        "-f",
        "tests/scenarios/traps/base",
        "-f",
        "tests/fixtures/istio-gateway",
    ]);
    let entries = |name: &str| -> Vec<Value> {
        v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == name)
            .flat_map(|p| p["enforcement"].as_array().unwrap().clone())
            .collect()
    };
    let e = entries("ingress-block-admin");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["enforcedBy"], "gateway");
    assert_eq!(e[0]["waypoint"], "istio-ingress/istio-ingressgateway");
    assert_eq!(e[0]["effect"], "as-written");
    assert_eq!(
        e[0]["targets"][0],
        "Deployment/istio-ingress/istio-ingressgateway"
    );
    let amb017: Vec<String> = findings(&v)
        .into_iter()
        .filter(|(c, _)| c == "AMB017")
        .map(|(_, r)| r)
        .collect();
    assert_eq!(
        amb017,
        ["AuthorizationPolicy/istio-ingress/other-gateway"],
        "{amb017:?}"
    );
    let o = run(&[
        "check",
        "-f",
        "tests/scenarios/traps/base",
        "-f",
        "tests/fixtures/istio-gateway",
        "--from",
        "ingress/istio-ingress/istio-ingressgateway",
        "--to",
        "svc/shop/httpbin:8000",
        "--path",
        "/admin/x",
        "-o",
        "json",
    ]);
    let c: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(c["verdict"], "denied", "{c}");
    assert!(c.to_string().contains("ingress-block-admin"), "{c}");
}
