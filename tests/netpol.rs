//! Kubernetes NetworkPolicy under ambient, through `check` as users run it: each trap from
//! manifests as teams write them, then the fix proven (after the change the request passes).

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const BASE: &str = "tests/scenarios/traps/base";

fn run(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    c.wait_with_output().unwrap()
}

/// `check --from FROM --to TO -f BASE -f - -o json` with `manifests` on stdin: exit code and
/// report.
fn check(from: &str, to: &str, manifests: &str) -> (i32, Value) {
    let o = run(
        &[
            "check", "--from", from, "--to", to, "-f", BASE, "-f", "-", "-o", "json",
        ],
        manifests,
    );
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code().unwrap(), v)
}

/// The network-policy hops: (name, decision).
fn gates(v: &Value) -> Vec<(String, String)> {
    v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["component"] == "network-policy")
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const DEFAULT_DENY: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
";

/// httpbin admits curl on its application port only, as written before the namespace joined
/// the mesh.
fn allow_curl(ports: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: allow-curl, namespace: shop}}
spec:
  podSelector:
    matchLabels: {{app: httpbin}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {{app: curl}}
    ports: {ports}
---
"
    )
}

#[test]
fn no_network_policy_no_gate() {
    let (code, v) = check("deploy/shop/curl", "svc/shop/httpbin:8000", "");
    assert_eq!(code, 0);
    assert!(gates(&v).is_empty(), "{v}");
}

/// Mesh traffic reaches a captured pod on 15008: a rule that lists only the application port
/// drops it. The fix: admit 15008 too.
#[test]
fn ingress_without_hbone_port() {
    let trap = format!("{DEFAULT_DENY}{}", allow_curl("[{port: 8080}]"));
    let (code, v) = check("deploy/shop/curl", "svc/shop/httpbin:8000", &trap);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["decidedBy"]["reason"], "network-policy");
    assert_eq!(
        gates(&v),
        [(
            "Deployment/shop/curl -> Deployment/shop/httpbin:15008 (HBONE)".to_string(),
            "deny".to_string()
        )]
    );
    let hop = &v["hops"][v["decidedBy"]["hop"].as_u64().unwrap() as usize];
    let names: Vec<&str> = hop["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["allow-curl", "default-deny"]);
    // The fix: admit HBONE's port as well.
    let fixed = format!(
        "{DEFAULT_DENY}{}",
        allow_curl("[{port: 8080}, {port: 15008}]")
    );
    let (code, v) = check("deploy/shop/curl", "svc/shop/httpbin:8000", &fixed);
    assert_eq!(code, 0, "{v}");
    // A client outside the mesh keeps the application port: 8080 is what it needs.
    let plain = "apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: v1
kind: Pod
metadata: {name: old, namespace: legacy, labels: {app: curl}}
spec: {serviceAccountName: old}
---
";
    let legacy = format!(
        "{plain}{DEFAULT_DENY}{}",
        allow_curl("[{port: 8080}]").replace(
            "    - podSelector:\n        matchLabels: {app: curl}",
            "    - namespaceSelector: {}\n      podSelector:\n        matchLabels: {app: curl}"
        )
    );
    let (code, v) = check("pod/legacy/old", "svc/shop/httpbin:8000", &legacy);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        gates(&v),
        [(
            "Pod/legacy/old -> Deployment/shop/httpbin:8080".to_string(),
            "allow".to_string()
        )]
    );
}

/// Through a waypoint the destination sees the waypoint's pod, not the client: a rule that
/// admits only the clients drops it. The fix: admit the waypoint's pods.
#[test]
fn waypoint_traffic_comes_from_the_waypoint() {
    let waypoint = "apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: shop
  labels: {app: httpbin, istio.io/use-waypoint: waypoint}
spec:
  ports: [{name: http, port: 8000, targetPort: 8080}]
  selector: {app: httpbin}
---
apiVersion: v1
kind: Pod
metadata:
  name: waypoint-5b8f9c7d6-x2x4k
  namespace: shop
  labels: {gateway.networking.k8s.io/gateway-name: waypoint, istio.io/dataplane-mode: none}
spec: {serviceAccountName: waypoint}
status: {phase: Running, podIP: 10.244.0.30}
---
";
    let trap = format!(
        "{waypoint}{DEFAULT_DENY}{}",
        allow_curl("[{port: 8080}, {port: 15008}]")
    );
    let (code, v) = check("deploy/shop/curl", "svc/shop/httpbin:8000", &trap);
    assert_eq!(code, 1, "{v}");
    let g = gates(&v);
    assert_eq!(g.len(), 2, "{g:?}");
    // curl -> waypoint: the default deny isolates the waypoint's pod too.
    assert_eq!(g[0].1, "deny", "{g:?}");
    assert!(
        g[0].0
            .starts_with("Deployment/shop/curl -> Pod/shop/waypoint-"),
        "{g:?}"
    );
    // waypoint -> httpbin: only curl's pods are admitted.
    assert_eq!(g[1].1, "deny", "{g:?}");
    let fix = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-waypoint, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {gateway.networking.k8s.io/gateway-name: waypoint}
    ports: [{port: 15008}]
  - from:
    - podSelector:
        matchLabels: {app: curl}
    ports: [{port: 15008}]
---
";
    let (code, v) = check(
        "deploy/shop/curl",
        "svc/shop/httpbin:8000",
        &format!("{trap}{fix}"),
    );
    assert_eq!(code, 0, "{v}");
    assert!(gates(&v).iter().all(|(_, d)| d == "allow"), "{v}");
}

/// The client's egress must admit 15008 to its destinations too.
#[test]
fn egress_without_hbone_port() {
    let egress = |ports: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: curl-egress, namespace: shop}}
spec:
  podSelector:
    matchLabels: {{app: curl}}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector:
        matchLabels: {{app: httpbin}}
    ports: {ports}
"
        )
    };
    let (code, v) = check(
        "deploy/shop/curl",
        "svc/shop/httpbin:8000",
        &egress("[{port: 8080}]"),
    );
    assert_eq!(code, 1, "{v}");
    let hop = &v["hops"][v["decidedBy"]["hop"].as_u64().unwrap() as usize];
    assert_eq!(hop["policies"][0]["action"], "egress");
    let (code, _) = check(
        "deploy/shop/curl",
        "svc/shop/httpbin:8000",
        &egress("[{port: 8080}, {port: 15008}]"),
    );
    assert_eq!(code, 0);
}

/// A waypoint as `istioctl waypoint generate` prints it (no pods in the input) is seen as
/// istiod's Deployment labels its pods: the same trap and the same fix.
#[test]
fn declared_waypoint_is_seen_by_its_labels() {
    let svc = "apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: shop
  labels: {app: httpbin, istio.io/use-waypoint: waypoint}
spec:
  ports: [{name: http, port: 8000, targetPort: 8080}]
  selector: {app: httpbin}
---
";
    let only_curl = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-curl, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: curl}
---
";
    let (code, v) = check(
        "deploy/shop/curl",
        "svc/shop/httpbin:8000",
        &format!("{svc}{only_curl}"),
    );
    assert_eq!(code, 1, "{v}");
    let g = gates(&v);
    // curl reaches the waypoint (the policy admits curl on every port), but the waypoint is
    // not curl.
    let gate =
        |from: &str, to: &str, d: &str| (format!("{from} -> {to}:15008 (HBONE)"), d.to_string());
    assert_eq!(
        g,
        [
            gate(
                "Deployment/shop/curl",
                "a pod of waypoint shop/waypoint",
                "allow"
            ),
            gate(
                "a pod of waypoint shop/waypoint",
                "Deployment/shop/httpbin",
                "deny"
            ),
        ]
    );
    let fixed = only_curl.replace(
        "        matchLabels: {app: curl}\n",
        "        matchLabels: {app: curl}\n    - podSelector:\n        matchLabels: {gateway.networking.k8s.io/gateway-name: waypoint}\n",
    );
    let (code, v) = check(
        "deploy/shop/curl",
        "svc/shop/httpbin:8000",
        &format!("{svc}{fixed}"),
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(gates(&v).len(), 2);
}

/// `explain -f BASE -f - -o json`: the finding codes.
fn codes(manifests: &str) -> Vec<String> {
    let o = run(&["explain", "-f", BASE, "-f", "-", "-o", "json"], manifests);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// Each NetworkPolicy trap fires on its fixture and is silent once its own fix is applied:
/// (fixture, code, text to replace, replacement).
#[test]
fn each_trap_goes_away_with_its_fix() {
    let cases = [
        (
            "AMB050-netpol-no-hbone.yaml",
            "AMB050",
            "    - protocol: TCP\n      port: 8080\n",
            "    - protocol: TCP\n      port: 8080\n    - protocol: TCP\n      port: 15008\n",
        ),
        (
            "AMB051-netpol-waypoint.yaml",
            "AMB051",
            "          app: curl\n",
            "          app: curl\n    - podSelector:\n        matchLabels:\n          gateway.networking.k8s.io/gateway-name: waypoint\n",
        ),
        (
            "AMB052-netpol-egress.yaml",
            "AMB052",
            "    - port: 8080\n",
            "    - port: 8080\n    - port: 15008\n",
        ),
        (
            "AMB053-netpol-probes.yaml",
            "AMB053",
            "    - port: 15008\n",
            "    - port: 15008\n  - from:\n    - ipBlock:\n        cidr: 169.254.7.127/32\n",
        ),
        (
            "AMB054-netpol-mesh-cut.yaml",
            "AMB054",
            "  policyTypes:\n  - Ingress\n",
            "  policyTypes:\n  - Ingress\n  ingress:\n  - from:\n    - podSelector: {}\n    ports:\n    - port: 15008\n",
        ),
    ];
    for (file, code, old, new) in cases {
        let trap = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/scenarios/traps")
                .join(file),
        )
        .unwrap();
        assert!(
            codes(&trap).contains(&code.to_string()),
            "{file}: {code} does not fire"
        );
        assert!(trap.contains(old), "{file}");
        let fixed = trap.replace(old, new);
        let after = codes(&fixed);
        assert!(
            !after.iter().any(|c| c.starts_with("AMB05")),
            "{file} fixed: {after:?}"
        );
    }
    // Near misses: a default deny with no allow at all is intended (no AMB050), an egress
    // policy that admits DNS only is no HBONE trap (no AMB052).
    let deny_all = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: httpbin}}\n  policyTypes: [Ingress]\n";
    assert!(!codes(deny_all).contains(&"AMB050".to_string()));
    let dns_only = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: e, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: curl}}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n";
    assert!(!codes(dns_only).contains(&"AMB052".to_string()));
}

/// Enrolling a namespace that has NetworkPolicies, previewed with `diff`: the paths the CNI
/// now blocks (on 15008) and the finding that names the fix.
#[test]
fn diff_previews_enrolling_a_namespace_with_network_policies() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("netpol-enrol");
    let _ = std::fs::remove_dir_all(&dir);
    let (before, after) = (dir.join("before"), dir.join("after"));
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join(BASE);
    let app = std::fs::read_to_string(base.join("httpbin.yaml")).unwrap();
    let policy = allow_curl("[{port: 8080}]");
    for (d, labels) in [
        (&before, "{}"),
        (&after, "{istio.io/dataplane-mode: ambient}"),
    ] {
        std::fs::create_dir_all(d).unwrap();
        let ns = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {labels}}}\n---\n"
        );
        std::fs::write(d.join("app.yaml"), format!("{ns}{app}\n---\n{policy}")).unwrap();
    }
    let o = run(
        &[
            "diff",
            "--base",
            before.to_str().unwrap(),
            "-f",
            after.to_str().unwrap(),
            "-o",
            "json",
            "--fail-on",
            "error",
        ],
        "",
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let blocked: Vec<&Value> = v["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["destination"] == "Deployment/shop/httpbin"
                && p["after"]["networkPolicy"].as_str().is_some_and(|n| {
                    n.starts_with("blocked into Deployment/shop/httpbin on port 15008")
                })
        })
        .collect();
    assert!(!blocked.is_empty(), "{v}");
    assert!(
        blocked
            .iter()
            // Before, outside the mesh, the policy let curl in on its application port.
            .all(|p| !p["before"]["networkPolicy"]
                .as_str()
                .unwrap_or("")
                .starts_with("blocked")),
        "{v}"
    );
    let introduced: Vec<&str> = v["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(introduced.contains(&"AMB050"), "{introduced:?}");
}

/// Bookinfo with a typical default-deny and allow-from-frontend set, written before the
/// namespace joined the mesh: under ambient every mesh path breaks at the CNI, and the matrix
/// says which policy at which wire; with 15008 and the waypoint admitted, Istio decides again.
#[test]
fn bookinfo_default_deny_under_ambient() {
    let nps = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/netpol/bookinfo-default-deny.yaml"),
    )
    .unwrap();
    let matrix = |manifests: &str| -> Value {
        let o = run(
            &[
                "check",
                "-n",
                "default",
                "--port",
                "9080",
                "-f",
                "examples/bookinfo",
                "-f",
                "-",
                "-o",
                "json",
            ],
            manifests,
        );
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
    };
    let v = matrix(&nps);
    let cells = v["cells"].as_array().unwrap();
    let mesh_sources = |c: &&Value| {
        c["source"].as_str().unwrap().starts_with("deploy/default/")
            && !c["source"].as_str().unwrap().contains("legacy")
    };
    // Every mesh client is stopped by NetworkPolicy, on the way to the waypoint or the pod.
    for c in cells.iter().filter(mesh_sources) {
        assert_eq!(
            (c["verdict"].as_str(), c["reason"].as_str()),
            (Some("denied"), Some("network-policy")),
            "{c}"
        );
    }
    // The same question for one request: the first wire, into the waypoint on 15008.
    let o = run(
        &[
            "check",
            "--from",
            "deploy/default/productpage-v1",
            "--to",
            "svc/default/reviews:9080",
            "-f",
            "examples/bookinfo",
            "-f",
            "-",
            "-o",
            "json",
        ],
        &nps,
    );
    let one: Value = serde_json::from_slice(&o.stdout).unwrap();
    let hop = &one["hops"][one["decidedBy"]["hop"].as_u64().unwrap() as usize];
    assert!(
        hop["name"].as_str().unwrap().contains("waypoint")
            && hop["name"].as_str().unwrap().ends_with(":15008 (HBONE)"),
        "{hop}"
    );
    // Fixed: 15008 next to 9080, and the waypoint's pods admitted wherever it forwards.
    let fixed = nps.replace("[{port: 9080}]", "[{port: 9080}, {port: 15008}]").replace(
        "    - podSelector:\n        matchLabels: {app: productpage}\n",
        "    - podSelector:\n        matchLabels: {app: productpage}\n    - podSelector:\n        matchLabels: {gateway.networking.k8s.io/gateway-name: waypoint}\n",
    ) + "---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: waypoint-from-mesh, namespace: default}
spec:
  podSelector:
    matchLabels: {gateway.networking.k8s.io/gateway-name: waypoint}
  ingress:
  - ports: [{port: 15008}]
";
    let v = matrix(&fixed);
    let by_np: Vec<&Value> = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["source"] == "deploy/default/productpage-v1"
                && ["svc/default/reviews:9080", "svc/default/details:9080"]
                    .contains(&c["destination"].as_str().unwrap())
        })
        .collect();
    assert_eq!(by_np.len(), 2, "{v}");
    for c in by_np {
        assert_ne!(c["reason"], "network-policy", "{c}");
    }
}

/// kubelet's probes come from 169.254.7.127 under ambient: `check` from that address shows
/// the trap (AMB053's) and that its fix lets them in.
#[test]
fn probes_from_the_link_local_address() {
    let trap = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/scenarios/traps/AMB053-netpol-probes.yaml"),
    )
    .unwrap();
    let probe = |manifests: &str| {
        let o = run(
            &[
                "check",
                "--from",
                "external",
                "--source-ip",
                "169.254.7.127",
                "--to",
                "deploy/shop/api:8080",
                "-f",
                BASE,
                "-f",
                "-",
                "-o",
                "json",
            ],
            manifests,
        );
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
        (o.status.code().unwrap(), v)
    };
    let (code, v) = probe(&trap);
    assert_eq!(
        (code, v["decidedBy"]["reason"].as_str()),
        (1, Some("network-policy")),
        "{v}"
    );
    assert_eq!(
        gates(&v)[0].0,
        "169.254.7.127 -> Deployment/shop/api:8080",
        "plaintext keeps the pod's port"
    );
    let fixed = trap.replace(
        "    - port: 15008\n",
        "    - port: 15008\n  - from:\n    - ipBlock:\n        cidr: 169.254.7.127/32\n",
    );
    let (code, v) = probe(&fixed);
    assert_eq!(code, 0, "{v}");
}

/// Live: NetworkPolicies listed from the API server gate `check` as the same manifests do.
#[test]
fn network_policies_read_live() {
    #[path = "support/mod.rs"]
    mod support;
    let mut all = String::new();
    for f in ["httpbin.yaml", "namespace.yaml"] {
        all.push_str(
            &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(BASE).join(f))
                .unwrap(),
        );
        all.push_str("\n---\n");
    }
    all.push_str(DEFAULT_DENY);
    all.push_str(&allow_curl("[{port: 8080}]"));
    let mut objects: Vec<Value> = serde_saphyr::from_multiple::<Value>(&all)
        .unwrap()
        .into_iter()
        .filter(|v| !v.is_null())
        .collect();
    for (name, app, ip) in [
        ("httpbin-1", "httpbin", "10.0.0.9"),
        ("curl-1", "curl", "10.0.0.8"),
    ] {
        objects.push(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "labels": {"app": app},
                "annotations": {"ambient.istio.io/redirection": "enabled"}},
            "spec": {"serviceAccountName": app, "containers": [{"name": app, "image": "x"}]},
            "status": {"phase": "Running", "podIP": ip}
        }));
    }
    let w = support::cluster::World::start(
        "netpol-live",
        objects,
        &[("mesh", Some("shop"), support::apiserver::TOKEN)],
    );
    let o = w.run(&[
        "check",
        "--from",
        "pod/shop/curl-1",
        "--to",
        "svc/shop/httpbin:8000",
        "-o",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["decidedBy"]["reason"], "network-policy");
    assert!(w
        .server
        .requests()
        .iter()
        .any(|(_, p)| p.contains("/apis/networking.k8s.io/v1/") && p.contains("networkpolicies")));
}

/// explain's diagram carries the gate on the edges into a destination it blocks.
#[test]
fn explain_diagram_shows_the_gate() {
    let trap = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/scenarios/traps/AMB050-netpol-no-hbone.yaml"),
    )
    .unwrap();
    let o = run(&["explain", "-f", BASE, "-f", "-", "-o", "mermaid"], &trap);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("NetworkPolicy blocks (shop/allow-curl)"),
        "{out}"
    );
    let o = run(&["explain", "-f", BASE, "-o", "mermaid"], "");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("NetworkPolicy"));
}
