//! Version-aware verdicts (docs/versions.md): each rule of the table at its boundary versions,
//! from manifests shaped as Helm renders Istio (istiod's Deployment, ztunnel's DaemonSet,
//! their image tags), from the flags, and from a live API server serving the same objects.

mod support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::apiserver::TOKEN;
use support::cluster::{scratch, text, World, EXE};
use support::helm::istio;

const BASE: &str = "tests/scenarios/traps/base";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(EXE)
        .current_dir(root())
        .args(args)
        .output()
        .expect("binary runs")
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)))
}

/// A DENY of curl, tried out with `istio.io/dry-run`.
const DRY_RUN_DENY: &str = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-curl-trial
  namespace: shop
  annotations: {istio.io/dry-run: \"true\"}
spec:
  selector:
    matchLabels: {app: httpbin}
  action: DENY
  rules:
  - from:
    - source:
        principals: [cluster.local/ns/shop/sa/curl]
";

/// Files in a scratch directory: (name, content) each.
fn files(dir: &str, docs: &[(&str, &str)]) -> PathBuf {
    let d = scratch(dir);
    for (name, content) in docs {
        std::fs::write(d.join(name), content).unwrap();
    }
    d
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn rule_ranges(v: &Value, rule: &str) -> Vec<String> {
    v["versionRules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule)
        .map(|r| r["range"].as_str().unwrap().to_string())
        .collect()
}

fn assumption<'a>(v: &'a Value, setting: &str) -> (&'a str, &'a str) {
    let a = v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["setting"] == setting)
        .unwrap_or_else(|| panic!("no assumption {setting}"));
    (a["value"].as_str().unwrap(), a["source"].as_str().unwrap())
}

/// What ztunnel does with the dry-run DENY: AMB040 (enforced), AMB014 (not sent) or neither
/// (logged), and what `check` says of curl -> httpbin.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Enforced,
    NotSent,
    Logged,
}

/// (istiod, ztunnel, flag, expected, the row's range).
const DRY_RUN_CASES: &[(&str, Option<&str>, bool, Want, &str)] = &[
    ("1.24.3", None, false, Want::Enforced, "istiod <= 1.25.1"),
    (
        "1.25.1",
        Some("1.25.1"),
        true,
        Want::Enforced,
        "istiod <= 1.25.1",
    ),
    (
        "1.25.2",
        Some("1.25.2"),
        true,
        Want::NotSent,
        "istiod 1.25.2 - 1.28",
    ),
    (
        "1.28.3",
        Some("1.28.3"),
        true,
        Want::NotSent,
        "istiod 1.25.2 - 1.28",
    ),
    (
        "1.29.0",
        Some("1.29.0"),
        false,
        Want::NotSent,
        "istiod >= 1.29, AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY off",
    ),
    (
        "1.29.0",
        Some("1.29.0"),
        true,
        Want::Logged,
        "istiod and ztunnel >= 1.29, AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY on",
    ),
    (
        "1.29.0",
        Some("1.28.3"),
        true,
        Want::Enforced,
        "istiod >= 1.29 with AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY on, ztunnel < 1.29",
    ),
];

fn assert_dry_run(v: &Value, want: Want, range: &str, what: &str) {
    let c = codes(v);
    assert_eq!(
        c.contains(&"AMB040".into()),
        want == Want::Enforced,
        "{what}: {c:?}"
    );
    assert_eq!(
        c.contains(&"AMB014".into()),
        want == Want::NotSent,
        "{what}: {c:?}"
    );
    assert_eq!(rule_ranges(v, "dry-run-at-ztunnel"), vec![range], "{what}");
    let policy = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "deny-curl-trial")
        .unwrap();
    let zt: Vec<&str> = policy["enforcement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["enforcedBy"] == "ztunnel")
        .map(|e| e["effect"].as_str().unwrap())
        .collect();
    let expected: &[&str] = match want {
        Want::Enforced => &["as-written"],
        Want::Logged => &["dry-run"],
        Want::NotSent => &[],
    };
    assert_eq!(zt, expected, "{what}");
}

/// The same manifests under each boundary version, the versions read from Helm-shaped
/// istiod and ztunnel manifests; `check` agrees (denied exactly when ztunnel enforces it).
#[test]
fn dry_run_at_ztunnel_from_manifests() {
    for (i, &(istiod, ztunnel, flag, want, range)) in DRY_RUN_CASES.iter().enumerate() {
        let env: &[(&str, &str)] = if flag {
            &[("AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY", "true")]
        } else {
            &[]
        };
        let image = format!("docker.io/istio/pilot:{istiod}");
        let zt_image = ztunnel.map(|z| format!("gcr.io/istio-release/ztunnel:{z}-distroless"));
        let istio_yaml = istio(&image, zt_image.as_deref(), env);
        let dir = files(
            &format!("versions-dry-run-{i}"),
            &[("istio.yaml", &istio_yaml), ("policy.yaml", DRY_RUN_DENY)],
        );
        let d = dir.to_str().unwrap();
        let what = format!("istiod {istiod}, ztunnel {ztunnel:?}, flag {flag}");
        let o = run(&["explain", "-f", BASE, "-f", d, "-o", "json"]);
        let v = json_of(&o);
        assert_dry_run(&v, want, range, &what);
        assert_eq!(
            assumption(&v, "istioVersion"),
            (istiod, "Deployment istio-system/istiod")
        );
        if let Some(z) = ztunnel {
            // The version, and the tag it was read from.
            let source = format!("DaemonSet istio-system/ztunnel ({z}-distroless)");
            assert_eq!(assumption(&v, "ztunnelVersion"), (z, source.as_str()));
        }
        let c = run(&[
            "check",
            "--from",
            "deploy/shop/curl",
            "--to",
            "svc/shop/httpbin:8000",
            "-f",
            BASE,
            "-f",
            d,
            "-o",
            "json",
        ]);
        let cv = json_of(&c);
        let denied = want == Want::Enforced;
        assert_eq!(
            c.status.code(),
            Some(if denied { 1 } else { 0 }),
            "{what}: {cv}"
        );
        // Enforced, not sent, or only logged: check says so, with the rule that decided it.
        assert_eq!(
            rule_ranges(&cv, "dry-run-at-ztunnel"),
            vec![range],
            "{what}"
        );
        let notes = notes(&cv);
        if denied {
            assert_eq!(
                cv["decidedBy"]["policy"]["name"], "deny-curl-trial",
                "{what}"
            );
            assert!(
                notes.iter().any(|n| n.contains("is dry-run, but")),
                "{what}: {cv}"
            );
        } else {
            assert!(
                notes.iter().any(|n| n.starts_with(
                    "AuthorizationPolicy shop/deny-curl-trial is dry-run (istio.io/dry-run)"
                )),
                "{what}: {cv}"
            );
        }
    }
}

/// The flags state the versions for manifests that carry none, and beat the manifests'.
#[test]
fn dry_run_at_ztunnel_from_flags() {
    let dir = files("versions-flags", &[("policy.yaml", DRY_RUN_DENY)]);
    let d = dir.to_str().unwrap();
    for &(istiod, ztunnel, flag, want, range) in DRY_RUN_CASES {
        let mut args = vec![
            "explain",
            "-f",
            BASE,
            "-f",
            d,
            "-o",
            "json",
            "--istio-version",
            istiod,
        ];
        if let Some(z) = ztunnel {
            args.extend(["--ztunnel-version", z]);
        }
        if flag {
            args.extend([
                "--feature",
                "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true",
            ]);
        }
        let v = json_of(&run(&args));
        assert_dry_run(&v, want, range, &format!("flags {args:?}"));
        assert_eq!(assumption(&v, "istioVersion"), (istiod, "--istio-version"));
    }
    // A flag beats istiod's image tag.
    let helm = istio("docker.io/istio/pilot:1.25.1", None, &[]);
    let dir = files(
        "versions-flag-wins",
        &[("istio.yaml", &helm), ("policy.yaml", DRY_RUN_DENY)],
    );
    let v = json_of(&run(&[
        "explain",
        "-f",
        BASE,
        "-f",
        dir.to_str().unwrap(),
        "-o",
        "json",
        "--istio-version",
        "1.27",
    ]));
    assert_dry_run(
        &v,
        Want::NotSent,
        "istiod 1.25.2 - 1.28",
        "--istio-version 1.27 over 1.25.1",
    );
}

/// Versions from image references as registries write them; what is no version is assumed,
/// and the report says what it assumed and why.
#[test]
fn versions_detected_from_image_tags() {
    let cases = [
        ("registry.example.com:5000/istio/pilot:1.26.2", "1.26.2", true),
        ("gcr.io/istio-release/pilot:1.26.2-distroless", "1.26.2", true),
        ("docker.io/istio/pilot:latest", "1.31.0 (assumed)", false),
        ("docker.io/istio/pilot@sha256:3b1e7a1ac5e4f1b8c0a3b6d2e9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0", "1.31.0 (assumed)", false),
        ("registry.local:5000/istio/pilot", "1.31.0 (assumed)", false),
    ];
    for (i, (image, shown, known)) in cases.iter().enumerate() {
        let dir = files(
            &format!("versions-tag-{i}"),
            &[("istio.yaml", &istio(image, None, &[]))],
        );
        let v = json_of(&run(&[
            "explain",
            "-f",
            BASE,
            "-f",
            dir.to_str().unwrap(),
            "-o",
            "json",
        ]));
        let (value, source) = assumption(&v, "istioVersion");
        assert_eq!(value, *shown, "{image}");
        if !known {
            assert!(
                source.contains("is no version") && source.contains("newest release"),
                "{source}"
            );
        }
        if !image.rsplit('/').next().unwrap().contains([':', '@']) {
            assert!(
                source.starts_with("\"pilot (no tag: latest)\" from Deployment"),
                "{source}"
            );
        }
        // ztunnel unknown: istiod's version, said so.
        let (zv, zs) = assumption(&v, "ztunnelVersion");
        assert!(
            zv.ends_with("(assumed)") && zs.contains("istiod's version"),
            "{zv} {zs}"
        );
    }
    // Nothing in the input: the newest release, with the flag that states it.
    let v = json_of(&run(&["explain", "-f", BASE, "-o", "json"]));
    let (value, source) = assumption(&v, "istioVersion");
    assert_eq!(value, "1.31.0 (assumed)");
    assert!(source.contains("--istio-version"), "{source}");
    // Beyond the table: the nearest end's rules, said.
    let v = json_of(&run(&[
        "explain",
        "-f",
        BASE,
        "-o",
        "json",
        "--istio-version",
        "1.40",
    ]));
    assert!(assumption(&v, "istioVersion").1.contains("newer than 1.31"));
    let v = json_of(&run(&[
        "explain",
        "-f",
        BASE,
        "-o",
        "json",
        "--istio-version",
        "1.22.1",
    ]));
    assert!(assumption(&v, "istioVersion").1.contains("older than 1.24"));
    // A bad flag value is one line and exit 2.
    let o = run(&["explain", "-f", BASE, "--istio-version", "latest"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("invalid version \"latest\""),
        "{}",
        text(&o.stderr)
    );
}

/// A Service bound to the waypoint, labelled (or its namespace labelled) for ingress: does
/// the ingress gateway send through the waypoint on each version?
#[test]
fn ingress_use_waypoint_by_version() {
    // (service label, namespace label, version, crosses the waypoint)
    let cases = [
        (Some("true"), None, "1.24.0", true),
        (Some("True"), None, "1.24.0", false),
        (Some("True"), None, "1.25.0", true),
        (None, Some("true"), "1.24.0", false),
        (None, Some("true"), "1.25.0", true),
        (None, Some("1"), "1.29.0", false),
        (None, Some("1"), "1.30.0", true),
        (Some("false"), Some("true"), "1.30.0", false),
    ];
    for (i, (svc, ns, version, crosses)) in cases.iter().enumerate() {
        let svc_label = svc.map_or(String::new(), |v| {
            format!("    istio.io/ingress-use-waypoint: \"{v}\"\n")
        });
        let ns_label = ns.map_or(String::new(), |v| {
            format!("    istio.io/ingress-use-waypoint: \"{v}\"\n")
        });
        let objects = format!(
            "apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio.io/dataplane-mode: ambient
{ns_label}---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: shop
  labels:
    app: httpbin
    istio.io/use-waypoint: waypoint
{svc_label}spec:
  ports:
  - {{name: http, port: 8000, targetPort: 8080}}
  selector: {{app: httpbin}}
"
        );
        let dir = files(
            &format!("versions-ingress-{i}"),
            &[("overrides.yaml", &objects)],
        );
        let o = run(&[
            "check",
            "--from",
            "ingress",
            "--to",
            "svc/shop/httpbin:8000",
            "-f",
            BASE,
            "-f",
            dir.to_str().unwrap(),
            "--istio-version",
            version,
            "-o",
            "json",
        ]);
        let v = json_of(&o);
        let through = v["hops"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["component"] == "waypoint");
        assert_eq!(
            through, *crosses,
            "service {svc:?}, namespace {ns:?}, Istio {version}: {v}"
        );
        let e = json_of(&run(&[
            "explain",
            "-f",
            BASE,
            "-f",
            dir.to_str().unwrap(),
            "--istio-version",
            version,
            "-o",
            "json",
        ]));
        let range = match *version {
            "1.24.0" => "istiod 1.24",
            "1.30.0" => "istiod >= 1.30",
            _ => "istiod 1.25 - 1.29",
        };
        assert_eq!(
            rule_ranges(&e, "ingress-use-waypoint"),
            vec![range],
            "{version}"
        );
        // check names the same rule, and the value that does not read true.
        assert_eq!(
            rule_ranges(&v, "ingress-use-waypoint"),
            vec![range],
            "check {version}: {v}"
        );
        let said = notes(&v).into_iter().any(|n| {
            n.contains(&format!(
                "istio.io/ingress-use-waypoint={:?}",
                svc.or(*ns).unwrap()
            ))
        });
        let literal_true = svc.or(*ns) == Some("true");
        assert_eq!(said, !literal_true || !crosses, "check {version}: {v}");
    }
}

/// A root-namespace policy attached to GatewayClass istio-waypoint: nothing before 1.25, every
/// waypoint from 1.25.
#[test]
fn gateway_class_target_ref_from_1_25() {
    let policy = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: all-waypoints
  namespace: istio-system
spec:
  targetRefs:
  - {group: gateway.networking.k8s.io, kind: GatewayClass, name: istio-waypoint}
  action: DENY
  rules:
  - to:
    - operation:
        methods: [DELETE]
";
    let dir = files("versions-gatewayclass", &[("policy.yaml", policy)]);
    let d = dir.to_str().unwrap();
    let at = |version: &str| {
        json_of(&run(&[
            "explain",
            "-A",
            "-f",
            BASE,
            "-f",
            d,
            "--istio-version",
            version,
            "-o",
            "json",
        ]))
    };
    let enforcers = |v: &Value| -> Vec<String> {
        let p = v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "all-waypoints")
            .unwrap();
        p["enforcement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["enforcedBy"].as_str().unwrap().to_string())
            .collect()
    };
    let old = at("1.24.6");
    assert!(
        !enforcers(&old).contains(&"waypoint".to_string()),
        "{:?}",
        enforcers(&old)
    );
    let amb005 = old["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "AMB005")
        .expect("AMB005 on 1.24");
    assert!(
        amb005["message"].as_str().unwrap().contains("1.25"),
        "{amb005}"
    );
    assert!(
        amb005["resolution"]
            .as_str()
            .unwrap()
            .starts_with("Upgrade istiod to 1.25 or later"),
        "{amb005}"
    );
    assert_eq!(
        rule_ranges(&old, "targetRefs-gatewayclass"),
        vec!["istiod < 1.25"]
    );
    let new = at("1.25.0");
    assert!(
        enforcers(&new).contains(&"waypoint".to_string()),
        "{:?}",
        enforcers(&new)
    );
    assert!(!codes(&new).contains(&"AMB005".to_string()));
    assert_eq!(
        rule_ranges(&new, "targetRefs-gatewayclass"),
        vec!["istiod >= 1.25"]
    );
    // The view of a namespace with a waypoint holds the policy on either release (meant for
    // its waypoint, enforced there or not), so diff across the upgrade says changed.
    let shop = json_of(&run(&[
        "explain",
        "-n",
        "shop",
        "-f",
        BASE,
        "-f",
        d,
        "--istio-version",
        "1.24.6",
        "-o",
        "json",
    ]));
    assert_eq!(enforcers(&shop), ["none"]);
    assert!(codes(&shop).contains(&"AMB005".to_string()));
    let diff = json_of(&run(&[
        "diff",
        "-n",
        "shop",
        "--base",
        BASE,
        "--base",
        d,
        "-f",
        BASE,
        "-f",
        d,
        "--base-istio-version",
        "1.24.6",
        "--istio-version",
        "1.25.0",
        "-o",
        "json",
    ]));
    let change = (diff["policies"].as_array().unwrap().iter())
        .find(|p| p["namespace"] == "istio-system" && p["name"] == "all-waypoints")
        .unwrap_or_else(|| panic!("{diff}"));
    assert_eq!(change["change"], "changed", "{change}");
}

/// What the API server holds for the trap base, Istio's two objects and the dry-run DENY:
/// live, pods rather than their Deployments (the plugin reads pods).
fn live_objects(istio_yaml: &str) -> Vec<Value> {
    let mut all = String::new();
    for f in ["httpbin.yaml", "namespace.yaml"] {
        all.push_str(&std::fs::read_to_string(root().join(BASE).join(f)).unwrap());
        all.push_str("\n---\n");
    }
    all.push_str(istio_yaml);
    all.push_str("\n---\n");
    all.push_str(DRY_RUN_DENY);
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
    objects
}

/// Live: the versions come from the istiod Deployment and the ztunnel DaemonSet the API
/// server holds (ztunnel's read with one GET), and decide as the manifests do.
#[test]
fn dry_run_at_ztunnel_live() {
    for (i, &(istiod, ztunnel, flag, want, range)) in DRY_RUN_CASES.iter().enumerate() {
        if ![0, 5, 6].contains(&i) {
            continue;
        }
        let env: &[(&str, &str)] = if flag {
            &[("AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY", "true")]
        } else {
            &[]
        };
        let zt = ztunnel.map(|z| format!("docker.io/istio/ztunnel:{z}"));
        let objects = live_objects(&istio(
            &format!("docker.io/istio/pilot:{istiod}"),
            zt.as_deref(),
            env,
        ));
        let w = World::start(
            &format!("versions-live-{i}"),
            objects,
            &[("mesh", Some("shop"), TOKEN)],
        );
        let o = w.run(&["explain", "-o", "json"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let v = json_of(&o);
        assert_dry_run(
            &v,
            want,
            range,
            &format!("live istiod {istiod}, ztunnel {ztunnel:?}"),
        );
        let ds_reads = w
            .server
            .requests()
            .iter()
            .filter(|(_, p)| p.contains("/daemonsets/ztunnel"))
            .count();
        assert_eq!(ds_reads, 1);
    }
}

/// `diff` takes a version per side: the same manifests before and after an upgrade show the
/// dry-run policy that becomes live (an introduced ERROR), offline and against the cluster.
#[test]
fn diff_previews_an_upgrade() {
    let dir = files("versions-diff", &[("policy.yaml", DRY_RUN_DENY)]);
    let d = dir.to_str().unwrap();
    let upgrade = [
        "--base-istio-version",
        "1.28.3",
        "--istio-version",
        "1.29.0",
        "--ztunnel-version",
        "1.28.3",
        "--feature",
        "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true",
    ];
    let mut args = vec![
        "diff", "--base", BASE, "--base", d, "-f", BASE, "-f", d, "-o", "json",
    ];
    args.extend(upgrade);
    args.extend(["--fail-on", "error"]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v = json_of(&o);
    let field = |name: &str| {
        v["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == name)
            .map(|c| (c["before"].clone(), c["after"].clone()))
    };
    assert_eq!(
        field("istioVersion"),
        Some(("1.28.3".into(), "1.29.0".into()))
    );
    // --ztunnel-version states ztunnel on both sides (no --base-ztunnel-version): unchanged.
    assert_eq!(field("ztunnelVersion"), None);
    let introduced: Vec<&str> = v["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(introduced, ["AMB040"]);
    // The same versions on both sides: no difference at all.
    let same = run(&[
        "diff",
        "--base",
        BASE,
        "--base",
        d,
        "-f",
        BASE,
        "-f",
        d,
        "--istio-version",
        "1.28.3",
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));

    // Live: the cluster as it runs (1.28.3) against the cluster on 1.29 with ztunnel behind.
    let objects = live_objects(&istio(
        "docker.io/istio/pilot:1.28.3",
        Some("docker.io/istio/ztunnel:1.28.3"),
        &[],
    ));
    let w = World::start(
        "versions-diff-live",
        objects,
        &[("mesh", Some("shop"), TOKEN)],
    );
    let o = w.run(&[
        "diff",
        "--base-istio-version",
        "1.28.3",
        "--istio-version",
        "1.29.0",
        "--feature",
        "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true",
        "-o",
        "json",
    ]);
    let v = json_of(&o);
    let introduced: Vec<&str> = v["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    // ztunnel stays at the DaemonSet's 1.28.3 on both sides: the skew makes it live.
    assert_eq!(introduced, ["AMB040"], "{v}");
    // Without a version or manifests there is nothing to compare: a usage error.
    let o = w.run(&["diff"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--base-istio-version"),
        "{}",
        text(&o.stderr)
    );
}

/// trustDomains: from 1.31 the field is dropped for ztunnel alone (AMB041, with what each rule
/// becomes); before, it is no field at all (it came in 1.31): pruned, and the policy whose
/// rule 1 held only it is refused (AMB043, row `source-trust-domains`), never read as an
/// attribute ztunnel ignores (AMB016).
#[test]
fn trust_domains_at_ztunnel_from_1_31() {
    let trap = "tests/scenarios/traps/AMB041-trust-domains.yaml";
    let at = |version: &str| {
        json_of(&run(&[
            "explain",
            "-f",
            BASE,
            "-f",
            trap,
            "--istio-version",
            version,
            "-o",
            "json",
        ]))
    };
    let new = at("1.31.0");
    let c = codes(&new);
    assert!(
        c.contains(&"AMB041".into()) && !c.contains(&"AMB016".into()),
        "{c:?}"
    );
    let msg = new["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "AMB041")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("rule 1 matches no client"), "{msg}");
    assert!(
        msg.contains("rule 2 keeps namespaces only, from every trust domain"),
        "{msg}"
    );
    assert_eq!(
        rule_ranges(&new, "trust-domains-at-ztunnel"),
        vec!["istiod >= 1.31"]
    );
    // ztunnel admits shop from any trust domain: curl is allowed by rule 2 there.
    let o = run(&[
        "check",
        "--from",
        "deploy/shop/curl",
        "--to",
        "svc/shop/httpbin:8000",
        "-f",
        BASE,
        "-f",
        trap,
        "--istio-version",
        "1.31.0",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    // check names the rule that dropped them, in a note and in versionRules.
    let (_, cv) = check_curl(&["-f", trap, "--istio-version", "1.31.0"]);
    assert_eq!(
        rule_ranges(&cv, "trust-domains-at-ztunnel"),
        vec!["istiod >= 1.31"],
        "{cv}"
    );
    assert!(
        notes(&cv)
            .iter()
            .any(|n| n.contains("holds trustDomains: on Istio 1.31.0")),
        "{cv}"
    );
    let old = at("1.30.2");
    let c = codes(&old);
    assert!(
        c.contains(&"AMB043".into())
            && !c.contains(&"AMB016".into())
            && !c.contains(&"AMB041".into()),
        "{c:?}"
    );
    assert!(rule_ranges(&old, "trust-domains-at-ztunnel").is_empty());
    assert_eq!(
        rule_ranges(&old, "source-trust-domains"),
        vec!["istiod < 1.31"]
    );
    let msg = old["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "AMB043")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("has no source.trustDomains or notTrustDomains (added in 1.31)")
            && msg.contains("the policy is not in effect anywhere"),
        "{msg}"
    );
}

/// AMB042 fires where the release leaves a value with a regex metacharacter unescaped in the
/// proxies' regexes (serviceAccounts: before 1.29.2 on 1.29); not on 1.29.2 or 1.30, and not
/// where only ztunnel enforces the policy.
#[test]
fn unescaped_regex_before_the_fix() {
    let trap = "tests/scenarios/traps/AMB042-unescaped-regex.yaml";
    let at = |extra: &[&str]| {
        let mut a = vec!["explain", "-f", BASE, "-f", trap, "-o", "json"];
        a.extend(extra);
        json_of(&run(&a))
    };
    let old = at(&[]);
    assert!(codes(&old).contains(&"AMB042".into()), "{:?}", codes(&old));
    assert_eq!(
        rule_ranges(&old, "envoy-regex-escaping"),
        vec!["istiod < 1.27.9, 1.28.0 - 1.28.5, 1.29.0 - 1.29.1"]
    );
    for fixed in ["1.29.2", "1.30.0"] {
        let new = at(&["--istio-version", fixed]);
        assert!(!codes(&new).contains(&"AMB042".into()), "{fixed}");
        assert!(
            rule_ranges(&new, "envoy-regex-escaping").is_empty(),
            "{fixed}"
        );
    }
    // The same value in a selector policy that only ztunnel enforces: no regex anywhere.
    let selector = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: l4, namespace: shop}
spec:
  selector:
    matchLabels: {app: curl}
  rules:
  - from:
    - source:
        serviceAccounts: [\"api.v1\"]
";
    let dir = files("versions-regex-ztunnel", &[("p.yaml", selector)]);
    let v = json_of(&run(&[
        "explain",
        "-f",
        BASE,
        "-f",
        dir.to_str().unwrap(),
        "--istio-version",
        "1.29.2",
        "-o",
        "json",
    ]));
    assert!(!codes(&v).contains(&"AMB042".into()), "{:?}", codes(&v));
}

/// Clients of the AMB042 trap, each with its own service account, in `shop` and `team-a`.
fn regex_clients() -> PathBuf {
    let client = |ns: &str, name: &str| {
        format!(
            "apiVersion: v1
kind: ServiceAccount
metadata: {{name: {name}, namespace: {ns}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      serviceAccountName: {name}
      containers:
      - name: c
        image: curlimages/curl
---
"
        )
    };
    let mut all = String::from(
        "apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: {istio.io/dataplane-mode: ambient}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-team-a, namespace: shop}
spec:
  targetRefs:
  - {kind: Service, group: \"\", name: httpbin}
  rules:
  - from:
    - source:
        namespaces: [\"team.a\"]
---
",
    );
    for (ns, name) in [("shop", "apixv1"), ("shop", "apiv1"), ("team-a", "tester")] {
        all.push_str(&client(ns, name));
    }
    files("versions-regex-clients", &[("clients.yaml", &all)])
}

/// `check` at the waypoint matches serviceAccounts and namespaces as the release's Envoy
/// regexes do: `api.v1` admits `apixv1` before the fix (1.29.1 for serviceAccounts, 1.29.2
/// for namespaces) and says so in the policy's line; from the fix only what is written
/// passes. A near miss (`apiv1`: `.` needs one character) is denied on every release.
#[test]
fn check_matches_unescaped_regexes_as_the_release_does() {
    let trap = "tests/scenarios/traps/AMB042-unescaped-regex.yaml";
    let clients = regex_clients();
    let check = |from: &str, version: &str| {
        let o = run(&[
            "check",
            "--from",
            from,
            "--to",
            "svc/shop/httpbin:8000",
            "-f",
            BASE,
            "-f",
            trap,
            "-f",
            clients.to_str().unwrap(),
            "--istio-version",
            version,
            "-o",
            "json",
        ]);
        json_of(&o)
    };
    let waypoint_line = |v: &Value, name: &str| -> Value {
        v["hops"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["component"] == "waypoint")
            .flat_map(|h| h["policies"].as_array().unwrap().clone())
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no line {name}: {v}"))
    };
    // (client, version, verdict, the line of the policy that decides, what its effect says)
    let cases: &[(&str, &str, &str, &str, Option<&str>)] = &[
        ("deploy/shop/apixv1", "1.29.1", "allowed", "allow-api-clients", Some("matched as an unescaped regex on Istio 1.29.1: serviceAccounts \"api.v1\"; as written it would not match")),
        ("deploy/shop/apixv1", "1.29.2", "denied", "allow-api-clients", None),
        ("deploy/shop/apixv1", "1.30.0", "denied", "allow-api-clients", None),
        ("deploy/shop/apiv1", "1.29.1", "denied", "allow-api-clients", Some("matched as an unescaped regex on Istio 1.29.1: serviceAccounts \"api.v1\"")),
        ("deploy/shop/apiv1", "1.30.0", "denied", "allow-api-clients", None),
        ("deploy/team-a/tester", "1.29.2", "allowed", "allow-team-a", Some("matched as an unescaped regex on Istio 1.29.2: namespaces \"team.a\"; as written it would not match")),
        ("deploy/team-a/tester", "1.29.3", "denied", "allow-team-a", None),
        ("deploy/team-a/tester", "1.30.0", "denied", "allow-team-a", None),
    ];
    for &(from, version, verdict, policy, effect) in cases {
        let v = check(from, version);
        let what = format!("{from} on {version}");
        assert_eq!(v["verdict"], verdict, "{what}: {v}");
        let line = waypoint_line(&v, policy);
        assert_eq!(line["effect"].as_str(), effect, "{what}");
        // Both policies sit at the waypoint: a row for each kind of value still unescaped.
        let ranges = rule_ranges(&v, "envoy-regex-escaping");
        let want: &[&str] = match version {
            "1.29.1" => &[
                "istiod < 1.27.9, 1.28.0 - 1.28.5, 1.29.0 - 1.29.1",
                "istiod < 1.28.7, 1.29.0 - 1.29.2",
            ],
            "1.29.2" => &["istiod < 1.28.7, 1.29.0 - 1.29.2"],
            _ => &[],
        };
        assert_eq!(ranges, want, "{what}");
    }
}

/// The waypoint's pods as istiod's Deployment runs them, httpbin's Service bound to the
/// waypoint, and a DENY of curl that selects the waypoint's pods.
const LAYERED: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: waypoint
  namespace: shop
  labels: {gateway.networking.k8s.io/gateway-name: waypoint}
spec:
  selector:
    matchLabels: {gateway.networking.k8s.io/gateway-name: waypoint}
  template:
    metadata:
      labels: {gateway.networking.k8s.io/gateway-name: waypoint, istio.io/dataplane-mode: none}
    spec:
      serviceAccountName: waypoint
      containers:
      - name: istio-proxy
        image: docker.io/istio/proxyv2:1.25.0
        args: [proxy, waypoint]
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: shop
  labels: {app: httpbin, service: httpbin, istio.io/use-waypoint: waypoint}
spec:
  ports:
  - {name: http, port: 8000, targetPort: 8080}
  selector: {app: httpbin}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-curl-at-termination, namespace: shop}
spec:
  selector:
    matchLabels: {gateway.networking.k8s.io/gateway-name: waypoint}
  action: DENY
  rules:
  - from:
    - source:
        principals: [cluster.local/ns/shop/sa/curl]
";

/// ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES in `check`: with the flag on from 1.25 the
/// waypoint's HBONE termination denies curl by the policy selecting the waypoint's pods (the
/// hop explain names); off, or on 1.24 (which does not know the flag, said in a note), curl
/// passes. explain places the policy alike.
#[test]
fn check_layered_waypoint_policies_by_flag_and_version() {
    // (istiod, flag, verdict, the termination hop, the row's range)
    let cases: &[(&str, bool, &str, bool, Option<&str>)] = &[
        ("1.25.0", true, "denied", true, Some("istiod >= 1.25")),
        ("1.31.0", true, "denied", true, Some("istiod >= 1.25")),
        ("1.25.0", false, "allowed", false, None),
        ("1.24.6", true, "allowed", false, Some("istiod < 1.25")),
    ];
    for (i, &(version, flag, verdict, termination, range)) in cases.iter().enumerate() {
        let env: &[(&str, &str)] = if flag {
            &[("ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES", "true")]
        } else {
            &[]
        };
        let image = format!("docker.io/istio/pilot:{version}");
        let dir = files(
            &format!("versions-layered-{i}"),
            &[
                ("istio.yaml", &istio(&image, None, env)),
                ("waypoint.yaml", LAYERED),
            ],
        );
        let d = dir.to_str().unwrap();
        let what = format!("istiod {version}, flag {flag}");
        let (code, v) = check_curl(&["-f", d]);
        assert_eq!(v["verdict"], verdict, "{what}: {v}");
        assert_eq!(
            code,
            Some(if verdict == "denied" { 1 } else { 0 }),
            "{what}"
        );
        let hops: Vec<&Value> = v["hops"].as_array().unwrap().iter().collect();
        let term = hops
            .iter()
            .position(|h| h["component"] == "waypoint-termination");
        assert_eq!(term.is_some(), termination, "{what}: {v}");
        if let Some(t) = term {
            // Before the waypoint's own policies, on the client's identity.
            assert_eq!(hops[t + 1]["component"], "waypoint", "{what}");
            assert_eq!(
                hops[t]["sourceIdentity"],
                "spiffe://cluster.local/ns/shop/sa/curl"
            );
            assert_eq!(v["decidedBy"]["hop"], t, "{what}");
            assert_eq!(v["decidedBy"]["policy"]["name"], "deny-curl-at-termination");
        }
        let ranges = rule_ranges(&v, "layered-waypoint-authorization");
        assert_eq!(ranges, range.into_iter().collect::<Vec<_>>(), "{what}");
        assert_eq!(
            notes(&v).iter().any(|n| n.contains("does not know it")),
            version == "1.24.6",
            "{what}: {:?}",
            notes(&v)
        );
        let e = json_of(&run(&["explain", "-f", BASE, "-f", d, "-o", "json"]));
        let p = e["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "deny-curl-at-termination")
            .unwrap();
        let by: Vec<&str> = p["enforcement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["enforcedBy"].as_str().unwrap())
            .collect();
        assert_eq!(by.contains(&"waypoint"), termination, "{what}: {by:?}");
    }
}

/// `check` from curl to httpbin with these extra arguments: (exit code, report).
fn check_curl(extra: &[&str]) -> (Option<i32>, Value) {
    let mut a = vec![
        "check",
        "--from",
        "deploy/shop/curl",
        "--to",
        "svc/shop/httpbin:8000",
        "-f",
        BASE,
        "-o",
        "json",
    ];
    a.extend(extra);
    let o = run(&a);
    (o.status.code(), json_of(&o))
}

fn notes(v: &Value) -> Vec<String> {
    v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

/// serviceAccounts came in 1.25: on 1.24 the DENY whose only source is serviceAccounts is
/// refused (nothing enforces it, AMB043, check lets curl through and says why); from 1.25 it
/// denies curl and nothing is said. A source with other fields keeps them on 1.24 (broader).
#[test]
fn service_accounts_from_1_25() {
    let trap = "tests/scenarios/traps/AMB043-service-accounts-unknown.yaml";
    for (version, refused) in [("1.24.6", true), ("1.24.0", true), ("1.25.0", false)] {
        let v = json_of(&run(&[
            "explain",
            "-f",
            BASE,
            "-f",
            trap,
            "--istio-version",
            version,
            "-o",
            "json",
        ]));
        assert_eq!(codes(&v).contains(&"AMB043".into()), refused, "{version}");
        let ranges = rule_ranges(&v, "source-service-accounts");
        assert_eq!(ranges.len(), usize::from(refused), "{version}");
        let p = v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "deny-curl")
            .unwrap();
        let by: Vec<&str> = p["enforcement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["enforcedBy"].as_str().unwrap())
            .collect();
        assert_eq!(by, [if refused { "none" } else { "ztunnel" }], "{version}");
        let (code, c) = check_curl(&["-f", trap, "--istio-version", version]);
        assert_eq!(code, Some(if refused { 0 } else { 1 }), "{version}: {c}");
        let said = notes(&c)
            .iter()
            .any(|n| n.contains("deny-curl is not in effect"));
        assert_eq!(said, refused, "{version}: {c}");
    }
    // The version read from the trap's istiod Deployment (1.24.6).
    let (code, _) = check_curl(&["-f", trap]);
    assert_eq!(code, Some(0));
    // The matrix lists the rules that decided something, as explain does.
    let m = json_of(&run(&[
        "check",
        "-f",
        BASE,
        "-f",
        trap,
        "--to",
        "svc/shop/httpbin:8000",
        "-o",
        "json",
    ]));
    assert_eq!(
        rule_ranges(&m, "source-service-accounts"),
        vec!["istiod < 1.25"],
        "{m}"
    );

    // Pruned, not refused: the entry keeps its ipBlocks, so on 1.24 the DENY hits every
    // client of 10.0.0.0/8, curl included, at ztunnel and at a waypoint alike.
    let broader = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-ops, namespace: shop}
spec:
  selector:
    matchLabels: {app: httpbin}
  action: DENY
  rules:
  - from:
    - source:
        serviceAccounts: [ops]
        ipBlocks: [10.0.0.0/8]
";
    let waypoint_bound = broader.replace(
        "  selector:\n    matchLabels: {app: httpbin}\n",
        "  targetRefs:\n  - {kind: Service, group: \"\", name: httpbin}\n",
    ) + "---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: shop
  labels: {app: httpbin, istio.io/use-waypoint: waypoint}
spec:
  ports:
  - {name: http, port: 8000, targetPort: 8080}
  selector: {app: httpbin}
";
    for (name, doc) in [
        ("ztunnel", broader.to_string()),
        ("waypoint", waypoint_bound),
    ] {
        let dir = files(&format!("versions-sa-pruned-{name}"), &[("p.yaml", &doc)]);
        let d = dir.to_str().unwrap();
        // (version, source IP, denied)
        for (version, ip, denied) in [
            ("1.24.6", "10.1.2.3", true),
            ("1.24.6", "192.168.1.2", false),
            ("1.25.0", "10.1.2.3", false),
        ] {
            let (code, c) = check_curl(&["-f", d, "--istio-version", version, "--source-ip", ip]);
            let what = format!("{name} {version} {ip}: {c}");
            assert_eq!(code, Some(if denied { 1 } else { 0 }), "{what}");
            let said = notes(&c)
                .iter()
                .any(|n| n.contains("deny-ops is evaluated without rule 1 serviceAccounts"));
            assert_eq!(said, version == "1.24.6", "{what}");
        }
        let v = json_of(&run(&[
            "explain",
            "-f",
            BASE,
            "-f",
            d,
            "--istio-version",
            "1.24.6",
            "-o",
            "json",
        ]));
        let msg = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "AMB043")
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            msg.contains("this DENY denies more clients than written"),
            "{msg}"
        );
        // The effect says it too: enforced without the pruned field.
        let p = (v["policies"].as_array().unwrap().iter())
            .find(|p| p["name"] == "deny-ops")
            .unwrap();
        let effects: Vec<&str> = (p["enforcement"].as_array().unwrap().iter())
            .map(|e| e["effect"].as_str().unwrap())
            .collect();
        assert!(
            !effects.is_empty() && effects.iter().all(|e| *e == "fields-ignored"),
            "{name}: {effects:?}"
        );
    }
}

/// A ServiceEntry in shop and httpbin's Service, both labelled for the waypoint of namespace
/// egress (which admits every namespace), and the mesh config's serviceEntryVisibility.
fn cross_namespace_entry(visibility: &str) -> String {
    format!(
        "apiVersion: v1
kind: Namespace
metadata:
  name: egress
  labels: {{istio.io/dataplane-mode: ambient}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: egress-waypoint
  namespace: egress
  labels: {{istio.io/waypoint-for: service}}
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE
    allowedRoutes:
      namespaces: {{from: All}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: api
  namespace: shop
  labels:
    istio.io/use-waypoint: egress-waypoint
    istio.io/use-waypoint-namespace: egress
spec:
  hosts: [api.example.com]
  ports:
  - {{number: 443, name: tls, protocol: TLS}}
  resolution: DNS
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: shop
  labels:
    app: httpbin
    istio.io/use-waypoint: egress-waypoint
    istio.io/use-waypoint-namespace: egress
spec:
  ports:
  - {{name: http, port: 8000, targetPort: 8080}}
  selector: {{app: httpbin}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |-
    serviceEntryVisibility:
{visibility}"
    )
}

/// meshConfig.serviceEntryVisibility from 1.31: a NAMESPACE-visible ServiceEntry refuses the
/// waypoint of another namespace (CrossNamespaceWaypointForbidden, AMB008, check crosses no
/// waypoint); httpbin's Service keeps it; a namespace the visibility policies make PUBLIC keeps
/// it too; before 1.31 the setting is not read, and the row says so.
#[test]
fn service_entry_visibility_from_1_31() {
    let namespace = "      defaultVisibility: NAMESPACE\n";
    let public_for_ambient = "      defaultVisibility: NAMESPACE
      policies:
      - visibility: PUBLIC
        matchingRules:
        - namespaceSelector:
            matchLabels: {istio.io/dataplane-mode: ambient}
";
    // (visibility, istiod image tag, the entry's waypoint error, row range)
    let cases = [
        (
            namespace,
            "1.31.0",
            Some("CrossNamespaceWaypointForbidden"),
            "istiod >= 1.31",
        ),
        (namespace, "1.30.2", None, "istiod < 1.31"),
        (public_for_ambient, "1.31.0", None, ""),
    ];
    for (i, (vis, tag, error, range)) in cases.into_iter().enumerate() {
        let istiod = istio(&format!("docker.io/istio/pilot:{tag}"), None, &[]);
        let dir = files(
            &format!("versions-sev-{i}"),
            &[
                ("istio.yaml", &istiod),
                ("sev.yaml", &cross_namespace_entry(vis)),
            ],
        );
        let d = dir.to_str().unwrap();
        let what = format!("{tag} {vis:?}");
        let v = json_of(&run(&["explain", "-f", BASE, "-f", d, "-o", "json"]));
        let svc = |name: &str| {
            v["services"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == name)
                .unwrap()
                .clone()
        };
        let (api, httpbin) = (svc("api"), svc("httpbin"));
        assert_eq!(api["waypointError"].as_str(), error, "{what}: {api}");
        assert_eq!(api["waypoint"].is_null(), error.is_some(), "{what}: {api}");
        assert_eq!(httpbin["waypoint"], "egress/egress-waypoint", "{what}");
        assert_eq!(
            codes(&v).contains(&"AMB008".into()),
            error.is_some(),
            "{what}"
        );
        let ranges = rule_ranges(&v, "serviceentry-visibility");
        let want: Vec<&str> = [range].into_iter().filter(|r| !r.is_empty()).collect();
        assert_eq!(ranges, want, "{what}");
        let o = run(&[
            "check",
            "--from",
            "deploy/shop/curl",
            "--to",
            "api.example.com:443",
            "-f",
            BASE,
            "-f",
            d,
            "-o",
            "json",
        ]);
        let c = json_of(&o);
        let via_waypoint = c["hops"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["component"] == "waypoint");
        assert_eq!(via_waypoint, error.is_none(), "{what}: {c}");
        assert_eq!(rule_ranges(&c, "serviceentry-visibility"), want, "{what}");
    }
}

/// AMB044 from the Helm-shaped istiod and ztunnel: ztunnel two minors behind or newer than
/// istiod; not at one minor behind, at the same minor, or when ztunnel's version is unknown.
#[test]
fn unsupported_skew_between_istiod_and_ztunnel() {
    // (istiod, ztunnel, unsupported)
    let cases = [
        ("1.30.1", Some("1.28.3"), true),
        ("1.28.3", Some("1.29.0"), true),
        ("1.29.0", Some("1.28.3"), false),
        ("1.28.0", Some("1.28.3"), false),
        ("1.30.1", None, false),
    ];
    for (i, (istiod, zt, unsupported)) in cases.into_iter().enumerate() {
        let zt_image = zt.map(|z| format!("docker.io/istio/ztunnel:{z}"));
        let helm = istio(
            &format!("docker.io/istio/pilot:{istiod}"),
            zt_image.as_deref(),
            &[],
        );
        let dir = files(&format!("versions-skew-{i}"), &[("istio.yaml", &helm)]);
        let d = dir.to_str().unwrap();
        let what = format!("istiod {istiod}, ztunnel {zt:?}");
        let v = json_of(&run(&["explain", "-f", BASE, "-f", d, "-o", "json"]));
        let hit = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "AMB044");
        assert_eq!(hit.is_some(), unsupported, "{what}");
        if let Some(f) = hit {
            assert_eq!(f["resource"], "DaemonSet/istio-system/ztunnel", "{what}");
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("with istiod {istiod} and ztunnel {}", zt.unwrap())),
                "{f}"
            );
        }
        let want: Vec<&str> = if unsupported { vec!["all"] } else { vec![] };
        assert_eq!(rule_ranges(&v, "istiod-ztunnel-skew"), want, "{what}");
        let (_, c) = check_curl(&["-f", d]);
        assert_eq!(rule_ranges(&c, "istiod-ztunnel-skew"), want, "{what}");
        let said = notes(&c)
            .iter()
            .any(|n| n.contains("outside Istio's supported skew"));
        assert_eq!(said, unsupported, "{what}: {c}");
    }
}

/// hostNetwork pods: istio-cni 1.27 - 1.30 considers one its selectors match eligible for
/// enrollment (AMB045); 1.26 and 1.31 exclude it. The pod stays outside the mesh on every
/// release, and its own `istio.io/dataplane-mode: none` keeps the selectors off it.
#[test]
fn host_network_pods_eligible_on_1_27_to_1_30() {
    let trap = "tests/scenarios/traps/AMB045-host-network.yaml";
    let at = |extra: &[&str]| {
        let mut a = vec!["explain", "-f", BASE, "-f", trap, "-o", "json"];
        a.extend(extra);
        json_of(&run(&a))
    };
    for (version, eligible) in [
        (None, true),
        (Some("1.26.8"), false),
        (Some("1.27.0"), true),
        (Some("1.30.3"), true),
        (Some("1.31.0"), false),
    ] {
        let v = match version {
            Some(ver) => at(&["--istio-version", ver]),
            None => at(&[]),
        };
        let what = format!("{version:?}");
        assert_eq!(codes(&v).contains(&"AMB045".into()), eligible, "{what}");
        let ranges = rule_ranges(&v, "hostnetwork-enrollment");
        assert_eq!(ranges.len(), usize::from(eligible), "{what}");
        let w = v["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == "node-exporter")
            .unwrap();
        assert_eq!(w["dataplane"], "none", "{what}");
    }
    let opted_out = std::fs::read_to_string(root().join(trap)).unwrap().replace(
        "labels: {app: node-exporter}\n    spec:",
        "labels: {app: node-exporter, istio.io/dataplane-mode: none}\n    spec:",
    );
    assert!(opted_out.contains("dataplane-mode: none"));
    let dir = files("versions-host-network-none", &[("t.yaml", &opted_out)]);
    let v = json_of(&run(&[
        "explain",
        "-f",
        BASE,
        "-f",
        dir.to_str().unwrap(),
        "-o",
        "json",
    ]));
    assert!(!codes(&v).contains(&"AMB045".into()), "{:?}", codes(&v));
}

/// A waypoint policy refused on 1.24 (its only source is serviceAccounts) attaches nowhere:
/// no waypoint lists it and no bypass warning (AMB009) is raised for it beside AMB043. On
/// 1.25 it is in effect at the waypoint, and the bypass warning is its own.
#[test]
fn a_refused_waypoint_policy_attaches_nowhere() {
    let doc = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin-from-curl, namespace: shop}
spec:
  targetRefs:
  - {kind: Service, group: \"\", name: httpbin}
  rules:
  - from:
    - source:
        serviceAccounts: [curl]
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: shop
  labels: {app: httpbin, istio.io/use-waypoint: waypoint}
spec:
  ports:
  - {name: http, port: 8000, targetPort: 8080}
  selector: {app: httpbin}
";
    let dir = files("versions-sa-refused-waypoint", &[("p.yaml", doc)]);
    let d = dir.to_str().unwrap();
    for (version, refused) in [("1.24.6", true), ("1.25.0", false)] {
        let v = json_of(&run(&[
            "explain",
            "-f",
            BASE,
            "-f",
            d,
            "--istio-version",
            version,
            "-o",
            "json",
        ]));
        let on = |code: &str| {
            v["findings"].as_array().unwrap().iter().any(|f| {
                f["code"] == code && f["resource"] == "AuthorizationPolicy/shop/httpbin-from-curl"
            })
        };
        assert_eq!(on("AMB043"), refused, "{version}");
        assert_eq!(on("AMB009"), !refused, "{version}");
        let listed = v["paths"].as_array().unwrap().iter().any(|p| {
            p["hops"].as_array().unwrap().iter().any(|h| {
                h["policies"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|x| x == "AuthorizationPolicy/shop/httpbin-from-curl")
                })
            })
        });
        assert_eq!(listed, !refused, "{version}");
    }
}

/// check says when its verdict rests on an assumed release (explain and diff say it in their
/// assumptions): nothing in the input, istiod alone given, both given.
#[test]
fn check_says_which_versions_it_assumed() {
    let versions = |v: &Value| -> Vec<String> {
        (v["assumptions"].as_array().unwrap().iter())
            .map(|a| a.as_str().unwrap().to_string())
            .filter(|a| a.contains("Version "))
            .collect()
    };
    let (_, v) = check_curl(&[]);
    assert_eq!(
        versions(&v),
        ["istioVersion 1.31.0: not in the input; the newest release whose rules are known (give --istio-version); ztunnel's the same (give --ztunnel-version)"]
    );
    let (_, v) = check_curl(&["--istio-version", "1.28.3"]);
    assert_eq!(
        versions(&v),
        ["ztunnelVersion 1.28.3: not in the input; istiod's version (give --ztunnel-version)"]
    );
    let (_, v) = check_curl(&["--istio-version", "1.28.3", "--ztunnel-version", "1.28.3"]);
    assert!(versions(&v).is_empty(), "{v}");
    // The matrix too.
    let o = run(&[
        "check",
        "-f",
        BASE,
        "--to",
        "svc/shop/httpbin:8000",
        "-o",
        "json",
    ]);
    let m = json_of(&o);
    assert_eq!(versions(&m).len(), 1, "{m}");
}

/// AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY is read only with PILOT_ENABLE_AMBIENT=true:
/// on an istiod without it, the flag is off and the assumptions say why.
#[test]
fn the_dry_run_flag_needs_the_ambient_index() {
    let istiod = |ambient: bool| {
        format!(
            "apiVersion: apps/v1
kind: Deployment
metadata: {{name: istiod, namespace: istio-system, labels: {{app: istiod}}}}
spec:
  selector: {{matchLabels: {{app: istiod}}}}
  template:
    metadata: {{labels: {{app: istiod}}}}
    spec:
      containers:
      - name: discovery
        image: docker.io/istio/pilot:1.29.0
        env:
        - {{name: AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY, value: \"true\"}}
{}",
            if ambient {
                "        - {name: PILOT_ENABLE_AMBIENT, value: \"true\"}\n"
            } else {
                ""
            }
        )
    };
    for ambient in [true, false] {
        let dir = files(
            &format!("versions-dry-run-flag-{ambient}"),
            &[("istiod.yaml", &istiod(ambient))],
        );
        let v = json_of(&run(&[
            "explain",
            "-f",
            BASE,
            "-f",
            dir.to_str().unwrap(),
            "-o",
            "json",
        ]));
        let (value, source) = assumption(&v, "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY");
        assert_eq!(value, if ambient { "true" } else { "false" }, "{source}");
        assert_eq!(
            source.ends_with("istiod reads it only with PILOT_ENABLE_AMBIENT=true"),
            !ambient,
            "{source}"
        );
    }
}
