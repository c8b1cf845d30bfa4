//! Manifests read as the API server and `kubectl apply` would store them (issue 6):
//! an object given twice (the last one wins, said once), the name label every Namespace
//! gets, the mesh config only from istiod's namespace, and a bare `spec:` as an empty spec.
//! Through the real binary, on the user-shaped fixture `tests/fixtures/shop` (Namespaces
//! without the name label, a Deployment with its ServiceAccount, a waypoint as
//! `istioctl waypoint generate` prints it, a stray `istio` ConfigMap, a null-spec deny-all).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SHOP: &str = "tests/fixtures/shop";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn explain(args: &[&str]) -> Value {
    let mut all = vec!["explain", "-n", "shop", "-o", "json"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("apply-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn assumptions<'a>(v: &'a Value, prefix: &str) -> Vec<&'a Value> {
    v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["setting"].as_str().unwrap().starts_with(prefix))
        .collect()
}

fn assumption<'a>(v: &'a Value, setting: &str) -> &'a str {
    assumptions(v, setting)
        .iter()
        .find(|a| a["setting"] == setting)
        .and_then(|a| a["value"].as_str())
        .unwrap_or_else(|| panic!("no assumption {setting} in {:#}", v["assumptions"]))
}

fn policy<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no policy {name}"))
}

/// (enforcedBy, path, effect) of a policy's enforcement.
fn effects(p: &Value) -> Vec<(String, String, String)> {
    p["enforcement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("enforcedBy"), s("path"), s("effect"))
        })
        .collect()
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["resource"].as_str().unwrap()
            )
        })
        .collect()
}

/// The deny-all with the documented `spec: {}` instead of the bare `spec:`.
const DENY_ALL_EMPTY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: deny-all\n  namespace: shop\nspec: {}\n";

/// The same name, allowing everything: a later edit of the deny-all.
const ALLOW_ALL: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: deny-all\n  namespace: shop\nspec:\n  rules:\n  - {}\n";

#[test]
fn bare_spec_is_an_empty_spec() {
    let v = explain(&["-f", SHOP]);
    let bare = policy(&v, "deny-all");
    assert_eq!(bare["action"], "ALLOW");
    assert!(
        effects(bare).iter().all(|e| e.2 == "deny-all") && !effects(bare).is_empty(),
        "{:#}",
        bare["enforcement"]
    );
    // Exactly what `spec: {}` gives.
    let dir = scratch("empty-spec");
    for f in [
        "namespaces.yaml",
        "waypoint.yaml",
        "web.yaml",
        "mesh-config.yaml",
    ] {
        std::fs::copy(Path::new(SHOP).join(f), dir.join(f)).unwrap();
    }
    write(&dir, "deny-all.yaml", DENY_ALL_EMPTY);
    let empty = explain(&["-f", dir.to_str().unwrap()]);
    assert_eq!(v["policies"], empty["policies"]);
    assert_eq!(v["paths"], empty["paths"]);
    // And null elsewhere (a `kubectl get -o yaml` of objects with empty parts): other kinds'
    // spec, a rule's source, a Deployment's template metadata, a Service's ports.
    let nulls = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: pa\n  namespace: shop\nspec: null\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: from-anyone\n  namespace: shop\nspec:\n  action: DENY\n  rules:\n  - from:\n    - source: null\n    to:\n    - operation:\n        ports: [\"9\"]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\n  namespace: shop\nspec:\n  template:\n    metadata: null\n    spec:\n      serviceAccountName: null\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: headless\n  namespace: shop\nspec:\n  ports: null\n  selector: null\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\n  namespace: shop\nspec: null\n";
    let f = write(&dir, "nulls.yaml", nulls);
    let v = explain(&["-f", SHOP, "-f", &f]);
    assert_eq!(policy(&v, "pa")["kind"], "PeerAuthentication");
    assert_eq!(policy(&v, "from-anyone")["action"], "DENY");
}

#[test]
fn namespaces_from_files_carry_their_name_label() {
    // The waypoint admits namespaces selected by `kubernetes.io/metadata.name: shop`; the
    // hand-written Namespace lacks the label, the API server would add it.
    let v = explain(&["-f", SHOP]);
    let svc = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web")
        .unwrap();
    assert_eq!(svc["waypoint"], "mesh-gateways/waypoint", "{svc:#}");
    assert!(svc["waypointError"].is_null(), "{svc:#}");
    assert!(
        !codes(&v).iter().any(|c| c.contains("Service/shop/web")),
        "{:?}",
        codes(&v)
    );
    // Labels given with --namespace-labels replace the file's, but not the API server's own
    // label; the assumption lists what the user gave.
    let v = explain(&[
        "-f",
        SHOP,
        "--namespace-labels",
        "shop=istio.io/dataplane-mode=ambient",
    ]);
    let svc = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web")
        .unwrap();
    assert_eq!(svc["waypoint"], "mesh-gateways/waypoint", "{svc:#}");
    assert_eq!(
        assumption(&v, "namespace shop"),
        "istio.io/dataplane-mode=ambient"
    );
}

#[test]
fn mesh_config_only_from_istiods_namespace() {
    // The stray copy in `shop` comes later in the file and would win if it counted.
    let v = explain(&["-f", SHOP]);
    assert_eq!(assumption(&v, "trustDomain"), "corp.example");
    assert_eq!(assumption(&v, "rootNamespace"), "istio-system");
    assert_eq!(assumption(&v, "ConfigMap shop/istio"), "ignored");
    assert!(assumptions(&v, "ConfigMap istio-system/").is_empty());

    // istiod's namespace is where the input's istiod runs, else --istio-namespace.
    let dir = scratch("istiod-ns");
    let istiod = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: istiod\n  namespace: shop\n  labels:\n    app: istiod\nspec:\n  template:\n    spec:\n      containers:\n      - name: discovery\n        image: docker.io/istio/pilot:1.28.0\n";
    let f = write(&dir, "istiod.yaml", istiod);
    let v = explain(&["-f", SHOP, "-f", &f]);
    assert_eq!(assumption(&v, "trustDomain"), "wrong.example");
    assert_eq!(assumption(&v, "rootNamespace"), "shop");
    assert_eq!(assumption(&v, "ConfigMap istio-system/istio"), "ignored");
    let v = explain(&["-f", SHOP, "--istio-namespace", "shop"]);
    assert_eq!(assumption(&v, "trustDomain"), "wrong.example");
    assert_eq!(assumption(&v, "ConfigMap istio-system/istio"), "ignored");
}

#[test]
fn duplicates_last_one_wins_and_say_so_once() {
    let dir = scratch("dup");
    let allow = write(&dir, "allow-all.yaml", ALLOW_ALL);
    let deny = format!("{SHOP}/deny-all.yaml");

    // The later copy wins, as `kubectl apply -f a -f b` leaves it.
    let v = explain(&["-f", SHOP, "-f", &allow]);
    assert!(effects(policy(&v, "deny-all"))
        .iter()
        .all(|e| e.2 == "as-written"));
    let notes = assumptions(&v, "duplicate ");
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!(
        notes[0]["setting"],
        "duplicate AuthorizationPolicy/shop/deny-all"
    );
    assert_eq!(notes[0]["value"], format!("kept {allow}:1"));
    assert!(
        notes[0]["source"]
            .as_str()
            .unwrap()
            .contains(&format!("{deny}:1")),
        "{:#}",
        notes[0]
    );
    let v = explain(&["-f", &allow, "-f", SHOP]);
    assert!(effects(policy(&v, "deny-all"))
        .iter()
        .all(|e| e.2 == "deny-all"));

    // The same files twice (a Deployment, its Service, ...): counted once, and apart from
    // the notes (and the count of kinds read but not modelled, which counts documents) the
    // result is the one of a single copy, whichever order.
    let once = explain(&["-f", SHOP]);
    let web = format!("{SHOP}/web.yaml");
    let twice = explain(&["-f", &web, "-f", SHOP]);
    let twice_other_order = explain(&["-f", SHOP, "-f", &web]);
    let without_notes = |v: &Value| {
        let mut v = v.clone();
        v["assumptions"]
            .as_array_mut()
            .unwrap()
            .retain(|a| !a["setting"].as_str().unwrap().starts_with("duplicate "));
        v["skipped"] = Value::Null;
        v
    };
    assert_eq!(twice, twice_other_order);
    assert_eq!(without_notes(&twice), without_notes(&once));
    let settings: Vec<&str> = assumptions(&twice, "duplicate ")
        .iter()
        .map(|a| a["setting"].as_str().unwrap())
        .collect();
    assert_eq!(
        settings,
        [
            "duplicate Deployment/shop/web",
            "duplicate Service/shop/web"
        ]
    );
    assert_eq!(twice["workloads"].as_array().unwrap().len(), 1);

    // A whole directory twice: the first ten are named, the rest counted.
    let dir = scratch("many");
    let many: String = (0..12)
        .map(|i| format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i:02}\n  namespace: shop\nspec:\n  selector:\n    app: web\n---\n"))
        .collect();
    let f = write(&dir, "services.yaml", &many);
    let v = explain(&["-f", SHOP, "-f", &f, "-f", &f]);
    let notes = assumptions(&v, "duplicate ");
    assert_eq!(notes.len(), 11, "{notes:#?}");
    assert_eq!(notes[0]["setting"], "duplicate Service/shop/s00");
    assert_eq!(notes[10]["setting"], "duplicate objects");
    assert_eq!(notes[10]["value"], "2 more");

    // The table says it too.
    let o = run(&[
        "explain", "-n", "shop", "-f", SHOP, "-f", &allow, "--color", "never",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("duplicate"), "{out}");
}
