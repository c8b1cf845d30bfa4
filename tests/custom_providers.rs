//! Several CUSTOM providers at one proxy (docs/versions.md `custom-providers`, AMB048): before
//! 1.30, and on 1.30+ without PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS, istiod refuses them
//! and their rules deny; with the flag on 1.30+ each provider is asked. From manifests: the
//! Helm-shaped istiod Deployment (image tag, env) and the trap's policies.

mod support;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::cluster::{scratch, text, EXE};

const BASE: &str = "tests/scenarios/traps/base";
const TRAP: &str = "tests/scenarios/traps/AMB048-custom-providers.yaml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The trap with istiod at `version` (and the flag in its env when `flag`), and `same`: both
/// policies naming one provider.
fn input(dir: &str, version: &str, flag: bool, same: bool) -> std::path::PathBuf {
    let mut t = std::fs::read_to_string(root().join(TRAP)).unwrap();
    t = t.replace("pilot:1.29.2", &format!("pilot:{version}"));
    if flag {
        t = t.replace(
            "        image: docker.io/istio/pilot",
            "        env:\n        - {name: PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS, value: \"true\"}\n        image: docker.io/istio/pilot",
        );
    }
    if same {
        t = t.replace("name: opa", "name: oauth2-proxy");
    }
    let d = scratch(dir);
    std::fs::write(d.join("in.yaml"), t).unwrap();
    d.join("in.yaml")
}

fn run(args: &[&str], file: &Path) -> (Option<i32>, Value) {
    let o = Command::new(EXE)
        .current_dir(root())
        .args(args)
        .args(["-o", "json", "-f", BASE, "-f"])
        .arg(file)
        .output()
        .expect("binary runs");
    let v =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
    (o.status.code(), v)
}

fn ranges(v: &Value) -> Vec<String> {
    v["versionRules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "custom-providers")
        .map(|r| r["range"].as_str().unwrap().to_string())
        .collect()
}

const CHECK: &[&str] = &[
    "check",
    "--from",
    "deploy/shop/curl",
    "--to",
    "svc/shop/httpbin-l7:8000",
    "--path",
    "/admin/x",
];

#[test]
fn several_providers_at_the_boundaries() {
    // (istiod, flag, AMB048 and denied, range)
    let cases = [
        ("1.29.6", true, true, "istiod < 1.30"),
        (
            "1.30.0",
            false,
            true,
            "istiod >= 1.30, PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS off",
        ),
        (
            "1.30.0",
            true,
            false,
            "istiod >= 1.30, PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS on",
        ),
    ];
    for (ver, flag, refused, range) in cases {
        let f = input(&format!("custom-{ver}-{flag}"), ver, flag, false);
        let (_, v) = run(&["explain"], &f);
        let amb048: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["code"] == "AMB048")
            .collect();
        assert_eq!(amb048.len(), usize::from(refused), "{ver} {flag}");
        if refused {
            let msg = amb048[0]["message"].as_str().unwrap();
            assert!(
                msg.contains("shop/admin-oauth (oauth2-proxy), shop/api-opa (opa)"),
                "{msg}"
            );
            assert_eq!(amb048[0]["resource"], "Gateway/shop/waypoint");
            assert_eq!(
                msg.contains("without PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS"),
                ver == "1.30.0"
            );
        }
        assert_eq!(ranges(&v), vec![range], "{ver} {flag}");
        let (code, c) = run(CHECK, &f);
        let want = if refused { "denied" } else { "unknown" };
        assert_eq!(c["verdict"], want, "{ver} {flag}: {c}");
        assert_ne!(code, Some(0));
        let noted = c["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("name different providers"));
        assert_eq!(noted, refused, "{ver} {flag}");
        let actions: Vec<&str> = c["hops"][1]["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["action"].as_str().unwrap())
            .collect();
        let shown = if refused { "CUSTOM as DENY" } else { "CUSTOM" };
        assert_eq!(actions, vec![shown, shown], "{ver} {flag}");
    }
}

/// One provider named twice is one ext_authz filter: asked, on every release.
#[test]
fn one_provider_is_asked() {
    let f = input("custom-same", "1.29.6", false, true);
    let (_, v) = run(&["explain"], &f);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["code"] != "AMB048"));
    assert!(ranges(&v).is_empty());
    let (_, c) = run(CHECK, &f);
    assert_eq!(c["verdict"], "unknown");
}

/// A sidecar's workload: two selector CUSTOM policies with different providers on 1.29,
/// refused; on 1.30 with the flag, each asked.
#[test]
fn several_providers_at_a_sidecar() {
    let doc = |ver: &str, flag: bool| {
        let env = if flag {
            "        env:\n        - {name: PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS, value: \"true\"}\n"
        } else {
            ""
        };
        let custom = |name: &str, provider: &str| {
            format!(
                "---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {{name: {name}, namespace: legacy}}
spec:
  selector: {{matchLabels: {{app: legacy}}}}
  action: CUSTOM
  provider: {{name: {provider}}}
  rules:
  - to:
    - operation: {{paths: [\"/{name}/*\"]}}
"
            )
        };
        format!(
            "apiVersion: apps/v1
kind: Deployment
metadata: {{name: istiod, namespace: istio-system, labels: {{app: istiod}}}}
spec:
  template:
    spec:
      containers:
      - name: discovery
        image: docker.io/istio/pilot:{ver}
{env}---
apiVersion: v1
kind: Namespace
metadata: {{name: legacy, labels: {{istio-injection: enabled}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: legacy, namespace: legacy}}
spec:
  selector: {{matchLabels: {{app: legacy}}}}
  template:
    metadata: {{labels: {{app: legacy}}}}
    spec:
      containers:
      - {{name: app, image: nginx}}
{}{}",
            custom("admin", "oauth2-proxy"),
            custom("api", "opa")
        )
    };
    for (ver, flag, refused) in [("1.29.6", false, true), ("1.30.0", true, false)] {
        let d = scratch(&format!("custom-sidecar-{ver}"));
        std::fs::write(d.join("in.yaml"), doc(ver, flag)).unwrap();
        let (_, v) = run(&["explain"], &d.join("in.yaml"));
        let found: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["code"] == "AMB048")
            .collect();
        assert_eq!(found.len(), usize::from(refused), "{ver}: {v}");
        if refused {
            assert_eq!(found[0]["resource"], "Deployment/legacy/legacy");
            assert!(found[0]["message"]
                .as_str()
                .unwrap()
                .contains("the sidecar of legacy/legacy"));
        }
    }
}
