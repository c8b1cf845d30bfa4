//! `check` against the test API server: a live cluster gives the answer `-f` gives for the
//! same objects, and a cluster error exits 3.

mod support;
use serde_json::Value;
use std::process::Command;
use support::apiserver::TOKEN;
use support::cluster::{example_objects, scratch, World, EXAMPLE, EXE};

/// `check SOURCE... --from F --to T -o json` through `c`: (exit code, JSON or null).
fn check(c: &mut Command, source: &[&str], from: &str, to: &str) -> (i32, Value) {
    let o = c
        .arg("check")
        .args(source)
        .args([
            "--from",
            from,
            "--to",
            to,
            "-o",
            "json",
            "--request-timeout",
            "2s",
        ])
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code().unwrap(), v)
}

/// The binary with no cluster (for `-f`).
fn offline() -> Command {
    let mut c = Command::new(EXE);
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn live_cluster_answers_like_files() {
    // The context's namespace is istio-system: both ends are in another namespace.
    let w = World::start(
        "check-cluster",
        example_objects(),
        &[("mesh", Some("istio-system"), TOKEN)],
    );
    // (case, from, to)
    #[rustfmt::skip]
    let cases = [
        ("a Deployment, denied",   "deploy/default/productpage-v1", "svc/default/reviews:9080"),
        ("a Deployment, allowed",  "deploy/default/reviews-v1",     "svc/default/ratings:9080"),
        ("ingress",                "ingress",                       "svc/default/productpage:9080"),
        ("external",               "external",                      "svc/default/reviews:9080"),
    ];
    for (case, from, to) in cases {
        let (live_code, live) = check(&mut w.command(), &[], from, to);
        let (file_code, file) = check(&mut offline(), &["-f", EXAMPLE], from, to);
        assert_eq!(live_code, file_code, "{case}: {from} -> {to}: {live:#}");
        assert_eq!(
            live["decidedBy"], file["decidedBy"],
            "{case}: {from} -> {to}"
        );
        assert_eq!(live["hops"], file["hops"], "{case}: {from} -> {to}");
    }
}

/// `-v` logs each API request of the read on stderr, as for explain; the verdict is unchanged.
#[test]
fn verbose_logs_the_requests() {
    let w = World::start("check-verbose", example_objects(), &[("mesh", None, TOKEN)]);
    let o = w.run(&[
        "check",
        "-v",
        "--from",
        "external",
        "--to",
        "svc/default/reviews:9080",
    ]);
    let log = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{log}");
    assert!(log.contains("authentication: bearer token"), "{log}");
    assert!(
        log.contains("debug: GET /api/v1/pods?limit=500 -> 200"),
        "{log}"
    );
    assert!(!log.contains(TOKEN), "{log}");
}

/// Live pods name their controller only through ownerReferences (the cluster source reads no
/// Deployment): `deploy/NS/NAME` finds the pod its ReplicaSet owns, `sts/NS/NAME` the ordinal.
#[test]
fn workload_forms_find_live_pods_by_owner() {
    let pod = |name: &str, app: &str, owner: (&str, &str), hash: Option<&str>, ip: &str| {
        let mut labels = serde_json::json!({"app": app});
        if let Some(h) = hash {
            labels["pod-template-hash"] = h.into();
        }
        serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "app", "labels": labels,
                "annotations": {"ambient.istio.io/redirection": "enabled"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner.0, "name": owner.1, "controller": true}]},
            "spec": {"serviceAccountName": app},
            "status": {"phase": "Running", "podIP": ip}
        })
    };
    let objects = vec![
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "app", "labels": {"istio.io/dataplane-mode": "ambient"}}}),
        pod(
            "web-6b7c9d8f5-x2x4z",
            "web",
            ("ReplicaSet", "web-6b7c9d8f5"),
            Some("6b7c9d8f5"),
            "10.0.0.5",
        ),
        pod("db-0", "db", ("StatefulSet", "db"), None, "10.0.0.6"),
        serde_json::json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "db-from-web", "namespace": "app"},
            "spec": {"selector": {"matchLabels": {"app": "db"}},
                "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/app/sa/web"]}}]}]}}),
    ];
    let w = World::start("check-live-owners", objects, &[("mesh", None, TOKEN)]);
    let (code, v) = check(&mut w.command(), &[], "deploy/app/web", "sts/app/db:5432");
    assert_eq!(code, 0, "{v:#}");
    let hops = v["hops"].as_array().unwrap();
    assert_eq!(hops[0]["name"], "Pod/app/web-6b7c9d8f5-x2x4z", "{v:#}");
    assert_eq!(hops.last().unwrap()["name"], "Pod/app/db-0", "{v:#}");
    assert_eq!(
        v["request"]["sourceIdentity"],
        "spiffe://cluster.local/ns/app/sa/web"
    );
}

#[test]
fn unreachable_cluster_exits_3() {
    let dir = scratch("check-unreachable");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:9\"}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user: {token: t}\n",
    )
    .unwrap();
    let mut c = offline();
    c.env("KUBECONFIG", &kubeconfig).env("HOME", &dir);
    let (code, _) = check(&mut c, &[], "external", "svc/default/reviews");
    assert_eq!(code, 3);
}
