//! Multi-network meshes (`topology.istio.io/network`, `meshNetworks`; rows `workload-network`
//! and `multi-network-waypoint`, AMB034): the network istiod puts each pod on, by release and
//! dataplane; check's verdict between networks (unknown, never allowed or denied) and its
//! near miss on one network; which waypoint applies L7 policy at 1.27 and 1.28+; the matrix;
//! explain's paths from the other networks and AMB034 with its near misses.

// Table tests read best as tuples.
#![allow(clippy::type_complexity)]

mod support;
use ambient_policy::mesh::Mesh;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::cluster::{scratch, text, EXE};

const BASE: &str = "tests/scenarios/traps/base";
const TRAP: &str = "tests/scenarios/traps/AMB034-multi-network.yaml";

fn run(args: &[&str]) -> Output {
    Command::new(EXE)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)))
}

/// istiod's Deployment as Helm renders it (trimmed), at this tag, with more env.
fn istiod(tag: &str, env: &[(&str, &str)]) -> String {
    support::helm::istio(&format!("docker.io/istio/pilot:{tag}"), None, env)
}

/// istiod's namespace with this network label (none for "").
fn istio_ns(network: &str) -> String {
    let labels = match network {
        "" => "{}".to_string(),
        n => format!("{{topology.istio.io/network: {n}}}"),
    };
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n  labels: {labels}\n"
    )
}

/// The `istio` ConfigMap with `meshNetworks` (`(network, fromRegistry or fromCidr)`).
fn mesh_networks(nets: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |-\n    trustDomain: cluster.local\n  meshNetworks: |-\n    networks:\n",
    );
    for (name, from) in nets {
        let ep = if from.contains('/') {
            format!("fromCidr: {from}")
        } else {
            format!("fromRegistry: {from}")
        };
        s.push_str(&format!(
            "      {name}:\n        endpoints:\n        - {ep}\n"
        ));
    }
    s
}

/// A live pod `legacy` in shop, with a sidecar or in ambient, labelled with a network (none
/// for ""), at this IP; as `kubectl get pod -o yaml` prints it (trimmed).
fn pod(sidecar: bool, network: &str, ip: &str) -> String {
    let mut labels = String::from("app: legacy");
    if sidecar {
        labels.push_str(", sidecar.istio.io/inject: \"true\", security.istio.io/tlsMode: istio");
    }
    if !network.is_empty() {
        labels.push_str(&format!(", topology.istio.io/network: {network}"));
    }
    let ann = if sidecar {
        "\n  annotations: {sidecar.istio.io/status: '{\"containers\":[\"istio-proxy\"]}'}"
    } else {
        "\n  annotations: {ambient.istio.io/redirection: enabled}"
    };
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: legacy
  namespace: shop
  labels: {{{labels}}}{ann}
spec:
  serviceAccountName: legacy
  containers:
  - {{name: legacy, image: curlimages/curl}}
status: {{phase: Running, podIP: {ip}}}
"
    )
}

/// Service `legacy` in shop, bound to shop's waypoint or not.
fn service(waypoint: bool) -> String {
    let labels = if waypoint {
        "{istio.io/use-waypoint: waypoint}"
    } else {
        "{}"
    };
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: legacy
  namespace: shop
  labels: {labels}
spec:
  ports:
  - {{name: http, port: 8000, targetPort: 8080}}
  selector: {{app: legacy}}
"
    )
}

/// The documents written to a scratch file, with the base: the `-f` arguments.
fn input(name: &str, docs: &[String]) -> Vec<String> {
    let dir: PathBuf = scratch(&format!("network-{name}"));
    let f = dir.join("input.yaml");
    std::fs::write(&f, docs.join("---\n")).unwrap();
    vec![
        "-f".into(),
        BASE.into(),
        "-f".into(),
        f.display().to_string(),
    ]
}

fn args<'a>(head: &[&'a str], input: &'a [String], tail: &[&'a str]) -> Vec<&'a str> {
    let mut a = head.to_vec();
    a.extend(input.iter().map(String::as_str));
    a.extend_from_slice(tail);
    a
}

/// istiod's network choice for pod shop/legacy, one line per case.
#[test]
fn the_network_of_a_pod_by_release_and_dataplane() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, &[(&str, &str)], bool, &str, &str, &str)] = &[
        // (case, istiod, istiod env, sidecar, pod label, istio-system label, network)
        ("1.24: the pod's label first", "1.24.6", &[], false, "net-pod", "net-ns", "net-pod"),
        ("1.24: else istiod's namespace's", "1.24.6", &[], false, "", "net-ns", "net-ns"),
        ("1.25+: ambient pods take istiod's namespace's, whatever their label", "1.25.0", &[], false, "net-pod", "net-ns", "net-ns"),
        ("1.28: the same", "1.28.0", &[], false, "net-pod", "", ""),
        ("1.28: a sidecar's label still counts", "1.28.0", &[], true, "net-pod", "net-ns", "net-pod"),
        ("1.24: meshNetworks fromRegistry names istiod's CLUSTER_ID", "1.24.6", &[("CLUSTER_ID", "east")], false, "", "", "from-registry"),
        ("1.24: else fromCidr holding the pod's IP", "1.24.6", &[], false, "", "", "from-cidr"),
    ];
    for (case, tag, env, sidecar, label, ns_label, want) in cases {
        let docs = [
            istiod(tag, env),
            istio_ns(ns_label),
            mesh_networks(&[("from-registry", "east"), ("from-cidr", "10.8.0.0/16")]),
            pod(*sidecar, label, "10.8.1.7"),
        ];
        let a = input("resolve", &docs);
        let files: Vec<String> = a.iter().filter(|x| *x != "-f").cloned().collect();
        let snap = ambient_policy::source::files::load(&files, "default").expect("loads");
        let mesh = Mesh::build(&snap);
        let p = (snap.pods.iter())
            .position(|p| p.metadata.name == "legacy")
            .unwrap();
        assert_eq!(mesh.networks.of(p), *want, "{case}");
    }
}

fn check(input: &[String], from: &str, to: &str) -> (i32, Value) {
    let o = run(&args(
        &["check", "--from", from, "--to", to, "-o", "json"],
        input,
        &[],
    ));
    (o.status.code().unwrap(), json_of(&o))
}

fn notes(v: &Value) -> String {
    (v["notes"].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A sidecar client injected for network2 calls httpbin on network1: unknown (exit 4),
/// whatever its hops decide; injected for network1, the same request is allowed.
#[test]
fn check_between_networks_is_unknown_and_one_network_is_decided() {
    for (label, code, verdict, reason) in [
        ("network2", 4, "unknown", "cross-network"),
        ("network1", 0, "allowed", "no-policy-denies"),
    ] {
        let docs = [
            istiod("1.28.0", &[("AMBIENT_ENABLE_MULTI_NETWORK", "true")]),
            istio_ns("network1"),
            pod(true, label, "10.8.1.7"),
        ];
        let i = input("check", &docs);
        let (c, v) = check(&i, "pod/shop/legacy", "svc/shop/httpbin:8000");
        assert_eq!(
            (c, v["verdict"].as_str().unwrap()),
            (code, verdict),
            "{label}: {v}"
        );
        assert_eq!(v["decidedBy"]["reason"], reason, "{label}");
        let n = notes(&v);
        assert_eq!(
            n.contains("from network network2 to network network1"),
            label == "network2",
            "{n}"
        );
        if label == "network2" {
            assert!(n.contains("istio/istio#60806, #61092") && n.contains("east-west gateway"));
            assert!(n.contains("the Service has no waypoint"), "{n}");
        }
    }
    // An ambient client labelled network2: on 1.24 istiod reads the label (unknown); from
    // 1.25 it puts the pod on its namespace's network, and the request is decided.
    for (tag, code, verdict, range) in [
        ("1.24.6", 4, "unknown", "istiod 1.24"),
        ("1.25.0", 0, "allowed", "istiod >= 1.25"),
    ] {
        let docs = [
            istiod(tag, &[]),
            istio_ns("network1"),
            pod(false, "network2", "10.8.1.7"),
        ];
        let i = input("ambient-label", &docs);
        let (c, v) = check(&i, "pod/shop/legacy", "svc/shop/httpbin:8000");
        assert_eq!(
            (c, v["verdict"].as_str().unwrap()),
            (code, verdict),
            "{tag}: {v}"
        );
        if code == 4 {
            let rows: Vec<&str> = (v["versionRules"].as_array().unwrap().iter())
                .filter(|r| r["rule"] == "workload-network")
                .map(|r| r["range"].as_str().unwrap())
                .collect();
            assert_eq!(rows, vec![range], "{tag}");
        }
    }
}

/// An ambient client on network1 calls Service legacy (bound to shop's waypoint on network1)
/// whose sidecar endpoint is on network2: which waypoint applies L7 policy, by release.
#[test]
fn source_side_waypoint_from_1_28_with_multi_network() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str)] = &[
        // (istiod, AMBIENT_ENABLE_MULTI_NETWORK, note says, row range)
        ("1.27.9", "true", "waypoints do not route to another network", "istiod < 1.28"),
        ("1.28.0", "false", "AMBIENT_ENABLE_MULTI_NETWORK is off", "istiod >= 1.28, AMBIENT_ENABLE_MULTI_NETWORK off"),
        ("1.28.0", "true", "the source-side waypoint shop/waypoint applies the Service's L7 policy", "istiod >= 1.28, AMBIENT_ENABLE_MULTI_NETWORK on"),
        ("1.31.0", "true", "the source-side waypoint shop/waypoint applies the Service's L7 policy", "istiod >= 1.28, AMBIENT_ENABLE_MULTI_NETWORK on"),
    ];
    for (tag, flag, says, range) in cases {
        let docs = [
            istiod(tag, &[("AMBIENT_ENABLE_MULTI_NETWORK", flag)]),
            istio_ns("network1"),
            pod(true, "network2", "10.8.1.7"),
            service(true),
        ];
        let i = input("waypoint", &docs);
        let (c, v) = check(&i, "deploy/shop/curl", "svc/shop/legacy:8000");
        assert_eq!((c, v["verdict"].as_str().unwrap()), (4, "unknown"), "{tag}");
        let n = notes(&v);
        assert!(n.contains(says), "{tag} {flag}: {n}");
        let rows: Vec<&str> = (v["versionRules"].as_array().unwrap().iter())
            .filter(|r| r["rule"] == "multi-network-waypoint")
            .map(|r| r["range"].as_str().unwrap())
            .collect();
        assert_eq!(rows, vec![*range], "{tag} {flag}");
    }
    // The waypoint on the destination's network (a client on network2, the Service's
    // waypoint and endpoint on network1): an ambient client's request goes through it (1.24
    // reads an ambient pod's network label); a sidecar client bypasses waypoints, so none
    // applies L7 policy, and no note says otherwise.
    for (sidecar, tag, says) in [
        (false, "1.24.6", "the Service's waypoint shop/waypoint is on network network1: the east-west gateway sends the request through it"),
        (true, "1.28.0", "the request does not cross the Service's waypoint shop/waypoint (sidecar clients bypass waypoints): no waypoint applies its L7 policy on either network"),
    ] {
        let docs = [
            istiod(tag, &[("AMBIENT_ENABLE_MULTI_NETWORK", "true")]),
            istio_ns("network1"),
            pod(sidecar, "network2", "10.8.1.7"),
            service(true)
                .replace("app: legacy", "app: httpbin")
                .replace("legacy", "httpbin-l7"),
        ];
        let i = input("remote-waypoint", &docs);
        let (c, v) = check(&i, "pod/shop/legacy", "svc/shop/httpbin-l7:8000");
        assert_eq!(c, 4, "{v}");
        let n = notes(&v);
        assert!(n.contains(says), "sidecar {sidecar}: {n}");
        let contradicts = if sidecar { "sends the request through it" } else { "does not cross" };
        assert!(!n.contains(contradicts), "sidecar {sidecar}: {n}");
    }
}

/// The matrix: the network2 client's cells are unknown, curl's (network1) are decided.
#[test]
fn matrix_keeps_clients_of_each_network_apart() {
    let docs = [
        istiod("1.28.0", &[]),
        istio_ns("network1"),
        pod(true, "network2", "10.8.1.7"),
    ];
    let i = input("matrix", &docs);
    let o = run(&args(&["check", "-n", "shop", "-o", "json"], &i, &[]));
    let v = json_of(&o);
    let cell = |src: &str, dst: &str| {
        (v["cells"].as_array().unwrap().iter())
            .find(|c| c["source"] == src && c["destination"] == dst)
            .unwrap_or_else(|| panic!("{src} -> {dst}: {v}"))
            .clone()
    };
    let remote = cell("pod/shop/legacy", "svc/shop/httpbin:8000");
    assert_eq!(
        (remote["verdict"].as_str(), remote["reason"].as_str()),
        (Some("unknown"), Some("cross-network"))
    );
    assert_eq!(
        cell("deploy/shop/curl", "svc/shop/httpbin:8000")["verdict"],
        "allowed"
    );
    // One destination: the row says why.
    let o = run(&args(
        &["check", "-n", "shop", "--to", "svc/shop/httpbin:8000"],
        &i,
        &[],
    ));
    let t = text(&o.stdout);
    let row = t
        .lines()
        .find(|l| l.starts_with("Pod/shop/legacy"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(row.contains("unknown  other network: not analysed"), "{t}");
    // The table marks the cell `?net` and says why, not "an attribute decides it".
    let docs = [
        istiod("1.28.0", &[]),
        istio_ns("network1"),
        pod(true, "network2", "10.8.1.7"),
        service(false),
    ];
    let i = input("matrix-table", &docs);
    let o = run(&args(&["check", "-n", "shop"], &i, &[]));
    let t = text(&o.stdout);
    let row = t
        .lines()
        .find(|l| l.starts_with("Pod/shop/legacy"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(row.contains("?net"), "{t}");
    assert!(t.contains("?net: the request crosses networks"), "{t}");
    // curl reaches httpbin on its own network (decided), legacy on network2 (not analysed).
    let curl = t
        .lines()
        .find(|l| l.starts_with("Deployment/shop/curl"))
        .unwrap();
    let cells: Vec<&str> = curl.split_whitespace().skip(1).collect();
    assert_eq!(cells, ["allow", "?net"], "{t}");
}

fn amb034(input: &[String]) -> (Vec<String>, Value) {
    let o = run(&args(&["explain", "-o", "json"], input, &[]));
    let v = json_of(&o);
    let found = (v["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == "AMB034")
        .map(|f| {
            format!(
                "{} {}",
                f["resource"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    (found, v)
}

/// The trap: two networks in meshNetworks; AMB034 on the policy and one `other-network` path
/// per destination address, not analysed.
#[test]
fn explain_marks_paths_from_other_networks_and_raises_amb034() {
    let o = run(&["explain", "-f", BASE, "-f", TRAP, "-o", "json"]);
    let v = json_of(&o);
    let f: Vec<&Value> = (v["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == "AMB034")
        .collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["resource"], "Namespace/shop");
    assert_eq!(f[0]["severity"], "warning");
    assert!(f[0]["message"]
        .as_str()
        .unwrap()
        .contains("requests from network network2 to the workloads of shop (on network network1)"));
    let other: Vec<&Value> = (v["paths"].as_array().unwrap().iter())
        .filter(|p| p["source"] == "other-network")
        .collect();
    assert!(!other.is_empty());
    // The output holds to the contract, the new field included.
    let schema: Value =
        serde_json::from_str(include_str!("../schema/explanation.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    for p in other {
        assert_eq!(p["network"], "network2");
        assert!(p["note"]
            .as_str()
            .unwrap()
            .starts_with("not analysed: from network network2"));
        assert_eq!(p["hops"][1]["component"], "east-west-gateway");
    }
}

/// AMB034 is said once per namespace, naming the policies that apply there (a second ALLOW
/// joins the first's finding), and never for a policy enforced on nothing (a selector that
/// matches no pod).
#[test]
fn amb034_once_per_namespace_and_not_for_a_policy_on_nothing() {
    let trap = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(TRAP)).unwrap();
    let policy = trap.split("---\n").last().unwrap().to_string();
    let second = policy
        .replace("httpbin-from-curl", "httpbin-from-sleep")
        .replace("sa/curl", "sa/sleep");
    let nothing = policy
        .replace("httpbin-from-curl", "ghost-from-curl")
        .replace("app: httpbin", "app: ghost");
    let base: Vec<String> = trap.split("---\n").map(str::to_string).collect();
    let mut docs = base.clone();
    docs.push(second);
    let (found, _) = amb034(&input("amb034-two", &docs));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("Namespace/shop ")
            && found[0].contains(
                "the 2 policies applying there (shop/httpbin-from-curl, shop/httpbin-from-sleep)"
            ),
        "{found:?}"
    );
    // Only a policy that selects nothing: no finding.
    let mut docs: Vec<String> = base[..base.len() - 1].to_vec();
    docs.push(nothing);
    let (found, _) = amb034(&input("amb034-nothing", &docs));
    assert!(found.is_empty(), "{found:?}");
}

/// Near misses: one network everywhere (meshNetworks naming istiod's own, a pod labelled
/// with it, a sidecar labelled with it): no AMB034, no other-network path.
#[test]
fn one_network_is_silent() {
    let policy = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(TRAP)).unwrap();
    let policy = policy.split("---\n").last().unwrap().to_string();
    for (case, docs) in [
        (
            "meshNetworks names istiod's network only",
            vec![
                istio_ns("network1"),
                mesh_networks(&[("network1", "cluster1")]),
            ],
        ),
        (
            "a sidecar labelled with istiod's network",
            vec![istio_ns("network1"), pod(true, "network1", "10.8.1.7")],
        ),
        (
            "1.28: an ambient pod's other label is not read",
            vec![
                istiod("1.28.0", &[]),
                istio_ns("network1"),
                pod(false, "network2", "10.8.1.7"),
            ],
        ),
        ("no network anywhere", vec![pod(true, "", "10.8.1.7")]),
    ] {
        let mut docs = docs;
        docs.push(policy.clone());
        let i = input("near-miss", &docs);
        let (found, v) = amb034(&i);
        assert!(found.is_empty(), "{case}: {found:?}");
        assert!(
            !(v["paths"].as_array().unwrap().iter()).any(|p| p["source"] == "other-network"),
            "{case}"
        );
    }
    // The same sidecar labelled network2 makes two networks: AMB034.
    let i = input(
        "two",
        &[
            istio_ns("network1"),
            pod(true, "network2", "10.8.1.7"),
            policy,
        ],
    );
    let (found, _) = amb034(&i);
    assert_eq!(found.len(), 1, "{found:?}");
}

/// docs/check.md shows real output of the multi-network fixture.
#[test]
fn docs_show_real_output() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/check.md"),
    )
    .unwrap();
    let o = run(&[
        "check",
        "-f",
        BASE,
        "-f",
        "tests/fixtures/multi-network",
        "--from",
        "deploy/shop/curl",
        "--to",
        "svc/shop/legacy:8000",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(4));
    let out = text(&o.stdout);
    assert!(
        page.contains(out.trim_end()),
        "docs/check.md is out of date:\n{out}"
    );
}

/// diff: the paths a second network adds are one per network, not analysed (never "allow").
#[test]
fn diff_shows_other_network_paths_as_not_analysed() {
    let o = run(&["diff", "--base", BASE, "-f", BASE, "-f", TRAP, "-o", "json"]);
    let v = json_of(&o);
    let added: Vec<&Value> = (v["paths"].as_array().unwrap().iter())
        .filter(|p| p["source"] == "other-network:network2")
        .collect();
    assert!(!added.is_empty(), "{v}");
    for p in added {
        assert_eq!(p["before"], Value::Null);
        assert_eq!(p["after"]["verdict"], "not analysed");
    }
}

/// The objects of these files or directories (sorted), as an API server would serve them.
fn objects_of(paths: &[&str]) -> Vec<Value> {
    paths
        .iter()
        .flat_map(|p| {
            let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p);
            let files: Vec<PathBuf> = if p.is_dir() {
                let mut v: Vec<PathBuf> = std::fs::read_dir(&p)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                v.sort();
                v
            } else {
                vec![p]
            };
            files
                .into_iter()
                .flat_map(|f| {
                    serde_saphyr::from_multiple::<Value>(&std::fs::read_to_string(f).unwrap())
                        .unwrap()
                })
                .filter(|v| !v.is_null())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Live: the `istio` ConfigMap's `meshNetworks` is read as from `-f`, so the same trap served
/// by an API server gives the same AMB034 and the same networks among the assumptions (the
/// base declares Deployments, which a live read takes from their pods: an httpbin pod is
/// served, and given to `-f` too; paths differ).
#[test]
fn live_reads_mesh_networks_like_files() {
    let pod_yaml = "apiVersion: v1
kind: Pod
metadata:
  name: httpbin-7d9c-x2x4q
  namespace: shop
  labels: {app: httpbin}
  annotations: {ambient.istio.io/redirection: enabled}
spec:
  serviceAccountName: httpbin
  containers:
  - {name: httpbin, image: kong/httpbin}
status: {phase: Running, podIP: 10.8.0.9}
";
    let pod_file = scratch("network-live-pod").join("pod.yaml");
    std::fs::write(&pod_file, pod_yaml).unwrap();
    let pod: Value = serde_saphyr::from_str(pod_yaml).unwrap();
    let mut objects = objects_of(&[BASE, TRAP]);
    objects.push(pod);
    let w = support::cluster::World::start(
        "network-live",
        objects,
        &[("mesh", None, support::apiserver::TOKEN)],
    );
    let live = w.run(&["explain", "-A", "-o", "json"]);
    let pod_arg = pod_file.display().to_string();
    let files = run(&[
        "explain", "-A", "-f", BASE, "-f", TRAP, "-f", &pod_arg, "-o", "json",
    ]);
    assert_eq!(
        live.status.code(),
        files.status.code(),
        "{}",
        text(&live.stderr)
    );
    let pick = |o: &Output| -> (Vec<Value>, Vec<Value>) {
        let v = json_of(o);
        let amb034 = (v["findings"].as_array().unwrap().iter())
            .filter(|f| f["code"] == "AMB034")
            .cloned()
            .collect();
        let networks = (v["assumptions"].as_array().unwrap().iter())
            .filter(|a| a["setting"] == "network" || a["setting"] == "otherNetworks")
            .cloned()
            .collect();
        (amb034, networks)
    };
    let (live_f, live_n) = pick(&live);
    assert_eq!(live_f.len(), 1, "{live_f:?}");
    assert!(
        live_n.iter().any(|a| a.to_string().contains("network2")),
        "{live_n:?}"
    );
    assert_eq!((live_f, live_n), pick(&files));
}

/// istiod's namespace unlabelled: the network assumption says istiod is on the default
/// network and why (no label, or the namespace absent), never that a label was read; diff
/// names the default network `(default)`, not an empty name. Near miss: with the label, the
/// label is the source.
#[test]
fn the_default_network_is_named_and_its_source_true() {
    let network_row = |v: &Value| -> (String, String) {
        let a = (v["assumptions"].as_array().unwrap().iter())
            .find(|a| a["setting"] == "network")
            .unwrap_or_else(|| panic!("no network row: {v}"));
        (
            a["value"].as_str().unwrap().into(),
            a["source"].as_str().unwrap().into(),
        )
    };
    let legacy = pod(true, "network2", "10.2.0.7");
    let cases = [
        (
            "unlabelled",
            Some(istio_ns("")),
            "(default)",
            "Namespace istio-system (istiod's) has no topology.istio.io/network label: the default network",
        ),
        (
            "absent",
            None,
            "(default)",
            "Namespace istio-system (istiod's) is not in the input: the default network assumed",
        ),
        (
            "labelled",
            Some(istio_ns("network1")),
            "network1",
            "Namespace istio-system label topology.istio.io/network: istiod's network",
        ),
    ];
    for (case, ns, value, source) in cases {
        let mut docs = vec![istiod("1.28.0", &[]), legacy.clone(), service(false)];
        docs.extend(ns);
        let i = input(&format!("default-{case}"), &docs);
        let v = json_of(&run(&args(&["explain", "-o", "json"], &i, &[])));
        assert_eq!(network_row(&v), (value.into(), source.into()), "{case}");
    }
    // diff: legacy on network2 gains paths from istiod's default network.
    let i = input(
        "default-diff",
        &[istiod("1.28.0", &[]), istio_ns(""), legacy, service(false)],
    );
    let v = json_of(&run(&args(
        &["diff", "--base", BASE, "-o", "json"],
        &i,
        &[],
    )));
    let sources: Vec<&str> = (v["paths"].as_array().unwrap().iter())
        .filter_map(|p| p["source"].as_str())
        .filter(|s| s.starts_with("other-network"))
        .collect();
    assert!(sources.contains(&"other-network:(default)"), "{v}");
    assert!(sources.contains(&"other-network:network2"), "{v}");
    assert!(!sources.iter().any(|s| s.ends_with(':')), "{v}");
}

/// The `istio` ConfigMap with this `meshNetworks` text.
fn mesh_networks_text(text: &str) -> String {
    let indented: String = text.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  meshNetworks: |-\n{indented}"
    )
}

/// meshNetworks that cannot be read: from `-f`, a malformed one is a one-line error (exit 2)
/// naming the line, and networks written without the top-level `networks:` key are said to be
/// ignored (never silently); live, both are ignored, as istiod keeps its defaults, and said.
/// Near miss: the same networks under `networks:` are read (network2 is another network, no
/// note).
#[test]
fn unreadable_mesh_networks_are_said() {
    let misnested = "network1:\n  endpoints:\n  - fromRegistry: cluster1\nnetwork2:\n  endpoints:\n  - fromRegistry: cluster2\n";
    let malformed = "networks:\n  network1:\n    endpoints: [ {fromRegistry: a\n";
    let note = |v: &Value| -> Option<(String, String)> {
        (v["assumptions"].as_array().unwrap().iter())
            .find(|a| a["setting"] == "ConfigMap istio-system/istio meshNetworks")
            .map(|a| {
                (
                    a["value"].as_str().unwrap().into(),
                    a["source"].as_str().unwrap().into(),
                )
            })
    };
    let i = input(
        "mn-malformed",
        &[istio_ns("network1"), mesh_networks_text(malformed)],
    );
    let o = run(&args(&["explain"], &i, &[]));
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("data.meshNetworks is not valid MeshNetworks YAML: line 3 column"),
        "{err}"
    );
    assert!(!err.contains("-->"), "{err}");

    let i = input(
        "mn-misnested",
        &[istio_ns("network1"), mesh_networks_text(misnested)],
    );
    let v = json_of(&run(&args(&["explain", "-o", "json"], &i, &[])));
    let (value, source) = note(&v).unwrap_or_else(|| panic!("no note: {v}"));
    assert_eq!(value, "ignored");
    assert!(
        source.ends_with("no networks read: the networks go under a top-level `networks:` key, found network1, network2"),
        "{source}"
    );
    let nested = format!(
        "networks:\n{}",
        misnested
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect::<String>()
    );
    let i = input(
        "mn-nested",
        &[istio_ns("network1"), mesh_networks_text(&nested)],
    );
    let v = json_of(&run(&args(&["explain", "-o", "json"], &i, &[])));
    assert_eq!(note(&v), None);
    assert!(
        (v["assumptions"].as_array().unwrap().iter())
            .any(|a| a["setting"] == "otherNetworks" && a["value"] == "network2"),
        "{v}"
    );

    for (case, text_) in [("misnested", misnested), ("malformed", malformed)] {
        let mut objects = objects_of(&[BASE]);
        for doc in [istio_ns("network1"), mesh_networks_text(text_)] {
            objects.push(serde_saphyr::from_str(&doc).unwrap());
        }
        let w = support::cluster::World::start(
            &format!("network-live-mn-{case}"),
            objects,
            &[("mesh", None, support::apiserver::TOKEN)],
        );
        let o = w.run(&["explain", "-A", "-o", "json"]);
        let v = json_of(&o);
        let (value, source) = note(&v).unwrap_or_else(|| panic!("{case}: no note: {v}"));
        assert_eq!(value, "ignored", "{case}");
        let want = if case == "malformed" {
            "not valid MeshNetworks YAML: line 3 column"
        } else {
            "no networks read"
        };
        assert!(source.contains(want), "{case}: {source}");
    }
}

/// explain and check agree on clients the analysis puts on istiod's network (the ingress
/// gateway, a client outside the mesh): to a pod on another network (1.24 reads the pod's own
/// label) their paths are not analysed, never allow or deny, as check answers unknown. Near
/// miss: on 1.25, where the ambient pod is on istiod's network, they are decided.
#[test]
fn ingress_and_outside_clients_to_another_network_are_not_analysed() {
    for (tag, crosses) in [("1.24.6", true), ("1.25.0", false)] {
        let i = input(
            &format!("local-clients-{tag}"),
            &[
                istiod(tag, &[]),
                istio_ns("network1"),
                mesh_networks(&[("network1", "cluster1"), ("network2", "cluster2")]),
                pod(false, "network2", "10.2.0.7"),
                service(false),
            ],
        );
        let v = json_of(&run(&args(
            &["explain", "-n", "shop", "-o", "json"],
            &i,
            &[],
        )));
        for source in ["ingress", "out-of-mesh"] {
            let paths: Vec<&Value> = (v["paths"].as_array().unwrap().iter())
                .filter(|p| p["destination"] == "Pod/shop/legacy" && p["source"] == source)
                .collect();
            assert!(!paths.is_empty(), "{tag} {source}: {v}");
            for p in paths {
                let last = &p["hops"].as_array().unwrap().last().unwrap().clone();
                if crosses {
                    assert_eq!(p["network"], "network1", "{tag}: {p}");
                    assert_eq!(last["component"], "east-west-gateway", "{tag}: {p}");
                    assert!(last["verdict"].is_null(), "{tag}: {p}");
                    assert!(
                        p["note"]
                            .as_str()
                            .unwrap()
                            .contains("not analysed: from network network1 to network network2"),
                        "{tag}: {p}"
                    );
                } else {
                    assert!(p["network"].is_null(), "{tag}: {p}");
                    assert_eq!(last["component"], "ztunnel", "{tag}: {p}");
                }
            }
        }
        let (_, c) = check(&i, "ingress", "svc/shop/legacy:8000");
        let want = if crosses { "unknown" } else { "allowed" };
        assert_eq!(c["verdict"], want, "{tag}: {c}");
    }
}

/// Client and destination on one network (network2, by their own labels on 1.24) but the
/// Service's waypoint on istiod's (network1): the request crosses the east-west gateway to
/// the waypoint and back, so check answers unknown and explain does not analyse the path.
/// Near miss: the same Service without a waypoint is decided.
#[test]
fn a_waypoint_on_another_network_takes_the_request_across() {
    for (waypoint, crosses) in [(true, true), (false, false)] {
        let i = input(
            &format!("waypoint-elsewhere-{waypoint}"),
            &[
                istiod("1.24.6", &[]),
                istio_ns("network1"),
                mesh_networks(&[("network1", "cluster1"), ("network2", "cluster2")]),
                pod(false, "network2", "10.2.0.7"),
                service(waypoint),
            ],
        );
        let (_, c) = check(&i, "pod/shop/legacy", "svc/shop/legacy:8000");
        let want = if crosses { "unknown" } else { "allowed" };
        assert_eq!(c["verdict"], want, "waypoint {waypoint}: {c}");
        if crosses {
            assert!(
                notes(&c).contains("the Service's waypoint shop/waypoint is on network network1"),
                "{c}"
            );
        }
        let v = json_of(&run(&args(
            &["explain", "-n", "shop", "-o", "json"],
            &i,
            &[],
        )));
        let p = (v["paths"].as_array().unwrap().iter())
            .find(|p| p["destination"] == "Pod/shop/legacy" && p["source"] == "ambient-service")
            .unwrap_or_else(|| panic!("{v}"));
        assert_eq!(!p["network"].is_null(), crosses, "{p}");
    }
}
