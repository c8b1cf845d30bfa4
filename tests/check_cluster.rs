//! `check` against the test API server: a live cluster gives the answer `-f` gives for the
//! same objects, and a cluster error exits 3.

mod support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::apiserver::{ApiServer, TOKEN};

const EXE: &str = env!("CARGO_BIN_EXE_kubectl-ambient_policy");
const EXAMPLE: &str = "examples/bookinfo";

fn example_objects() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            serde_saphyr::from_multiple::<Value>(&std::fs::read_to_string(p).unwrap()).unwrap()
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn check(env_kubeconfig: Option<&Path>, source: &[&str], from: &str, to: &str) -> (i32, Value) {
    let mut c = Command::new(EXE);
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    if let Some(k) = env_kubeconfig {
        c.env("KUBECONFIG", k).env("HOME", k.parent().unwrap());
    }
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

#[test]
fn live_cluster_answers_like_files() {
    let server = ApiServer::start(example_objects());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-cluster");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    // The context's namespace is istio-system: both ends are in another namespace.
    std::fs::write(
        &kubeconfig,
        server.kubeconfig(&[("mesh", Some("istio-system"), TOKEN)]),
    )
    .unwrap();
    for (from, to) in [
        ("deploy/default/productpage-v1", "svc/default/reviews:9080"),
        ("deploy/default/reviews-v1", "svc/default/ratings:9080"),
        ("ingress", "svc/default/productpage:9080"),
        ("external", "svc/default/reviews:9080"),
    ] {
        let (live_code, live) = check(Some(&kubeconfig), &[], from, to);
        let (file_code, file) = check(None, &["-f", EXAMPLE], from, to);
        assert_eq!(live_code, file_code, "{from} -> {to}: {live:#}");
        assert_eq!(live["decidedBy"], file["decidedBy"], "{from} -> {to}");
        assert_eq!(live["hops"], file["hops"], "{from} -> {to}");
    }
}

#[test]
fn unreachable_cluster_exits_3() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-unreachable");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:9\"}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user: {token: t}\n",
    )
    .unwrap();
    let (code, _) = check(Some(&kubeconfig), &[], "external", "svc/default/reviews");
    assert_eq!(code, 3);
}
