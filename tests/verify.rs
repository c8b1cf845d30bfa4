//! `verify`: the model against ztunnel config dumps captured from a real ztunnel
//! (tests/fixtures/ztunnel, see its README): each scenario agrees; one change to a dump at a
//! time is exactly one disagreement with its code; every form of the dump reads the same;
//! bad dumps are one-line errors; and live, through port-forward on the test API server.

mod support;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::apiserver::{Faults, TOKEN};
use support::cluster::{example_objects, scratch, text, World, EXE};
use support::portforward::Admin;

const FIXTURES: &str = "tests/fixtures/ztunnel";
const TRAPS: &str = "tests/scenarios/traps";

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

/// `-o json`, checked against schema/verification.schema.json.
fn json_of(o: &Output) -> Value {
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
    let schema: Value =
        serde_json::from_str(include_str!("../schema/verification.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("a valid draft 2020-12 schema");
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{v:#}", errors.join("\n"));
    v
}

fn dump(scenario: &str) -> String {
    format!("{FIXTURES}/{scenario}/config_dump.json")
}

/// The inputs each captured dump stands for (its README says which).
fn scenarios() -> Vec<(&'static str, Vec<String>)> {
    let trap = |t: &str| {
        vec![
            "-f".into(),
            format!("{TRAPS}/base"),
            "-f".into(),
            format!("{TRAPS}/{t}"),
        ]
    };
    let mut amb027a = trap("AMB027-waypoint-not-admitted.yaml");
    amb027a.extend([
        "--feature".into(),
        "PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true".into(),
    ]);
    let l4 = "tests/scenarios/l4-policy";
    vec![
        ("bookinfo", vec!["-f".into(), "examples/bookinfo".into()]),
        (
            "l4-policy",
            ["namespace", "samples", "policy"]
                .iter()
                .flat_map(|f| ["-f".to_string(), format!("{l4}/{f}.yaml")])
                .collect(),
        ),
        (
            "l4-policy-waypoint",
            vec![
                "-f".into(),
                l4.into(),
                "--namespace-labels".into(),
                "ambient-demo=istio.io/dataplane-mode=ambient,istio.io/use-waypoint=waypoint"
                    .into(),
            ],
        ),
        (
            "live-dump",
            vec!["-f".into(), "tests/scenarios/live-dump".into()],
        ),
        ("trap-AMB010", trap("AMB010-permissive.yaml")),
        ("trap-AMB019", trap("AMB019-port-level-quirk.yaml")),
        ("trap-AMB027", trap("AMB027-waypoint-not-admitted.yaml")),
        ("trap-AMB027-auto-allow", amb027a),
    ]
}

fn verify(input: &[String], dumps: &[&str]) -> (Option<i32>, Value) {
    let mut args: Vec<&str> = vec!["verify", "-o", "json"];
    args.extend(input.iter().map(String::as_str));
    for d in dumps {
        args.extend(["--ztunnel-dump", d]);
    }
    let o = run(&args);
    (o.status.code(), json_of(&o))
}

fn disagreements(v: &Value) -> Vec<(String, String)> {
    v["verification"]["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().into(),
                d["object"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn every_captured_scenario_agrees_with_the_model() {
    for (name, input) in scenarios() {
        let (code, v) = verify(&input, &[&dump(name)]);
        assert_eq!(disagreements(&v), vec![], "{name}: {v:#}");
        assert_eq!(code, Some(0), "{name}");
        let agreed = v["verification"]["agreed"].as_u64().unwrap();
        assert!(agreed >= 1, "{name}: nothing compared");
        assert_eq!(v["findings"], json!([]), "{name}");
    }
}

/// The bookinfo dump, changed by `f`, written to a scratch file.
fn mutated(name: &str, f: impl FnOnce(&mut Value)) -> PathBuf {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(dump("bookinfo"))).unwrap())
            .unwrap();
    f(&mut v);
    let dir = scratch(&format!("verify-{name}"));
    let p = dir.join("config_dump.json");
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    p
}

fn find<'a>(v: &'a mut Value, list: &str, name: &str) -> &'a mut Value {
    v[list]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("{list} {name}"))
}

#[test]
fn one_change_in_the_dataplane_is_one_disagreement() {
    let input = vec!["-f".to_string(), "examples/bookinfo".into()];
    type Mutation = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Mutation, &str, &str)> = vec![
        (
            "policy-missing",
            Box::new(|v| {
                v["policies"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|p| p["name"] != "ratings-from-reviews")
            }),
            "AMB060",
            "AuthorizationPolicy/default/ratings-from-reviews",
        ),
        (
            "rule-changed",
            Box::new(|v| {
                find(v, "policies", "ratings-from-reviews")["rules"][0][0][0]["destinationPorts"] =
                    json!([9081])
            }),
            "AMB062",
            "AuthorizationPolicy/default/ratings-from-reviews",
        ),
        (
            "waypoint-different",
            Box::new(|v| {
                find(v, "services", "reviews")
                    .as_object_mut()
                    .unwrap()
                    .remove("waypoint");
            }),
            "AMB064",
            "Service/default/reviews",
        ),
        (
            "not-captured",
            Box::new(|v| {
                find(v, "workloads", "productpage-v1-7c9f8d6b5-abcde")["protocol"] = json!("TCP")
            }),
            "AMB063",
            "Pod/default/productpage-v1-7c9f8d6b5-abcde",
        ),
        (
            "extra-policy",
            Box::new(|v| {
                v["policies"].as_array_mut().unwrap().push(json!({
                    "action": "Allow", "dryRun": false, "name": "stale-allow", "namespace": "default",
                    "rules": [[[{"principals": [{"Exact": "cluster.local/ns/default/sa/old"}]}]]],
                    "scope": "Namespace"}))
            }),
            "AMB061",
            "ztunnel policy default/stale-allow",
        ),
        (
            "dry-run-flipped",
            Box::new(|v| find(v, "policies", "deny-debug-header")["dryRun"] = json!(true)),
            "AMB062",
            "AuthorizationPolicy/default/deny-debug-header",
        ),
        (
            "attached-elsewhere",
            Box::new(|v| {
                find(v, "workloads", "details-v1-9e8d7c6b5-uvwxy")["authorizationPolicies"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("default/legacy-lockdown"))
            }),
            "AMB065",
            "Pod/default/details-v1-9e8d7c6b5-uvwxy",
        ),
        (
            "other-identity",
            Box::new(|v| {
                find(v, "workloads", "ratings-v1-8f7d6c5b4-pqrst")["serviceAccount"] =
                    json!("default")
            }),
            "AMB066",
            "Pod/default/ratings-v1-8f7d6c5b4-pqrst",
        ),
        (
            "workload-gone",
            Box::new(|v| {
                v["workloads"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|w| w["name"] != "details-v1-9e8d7c6b5-uvwxy")
            }),
            "AMB067",
            "Pod/default/details-v1-9e8d7c6b5-uvwxy",
        ),
        (
            "selected-elsewhere",
            Box::new(|v| {
                // What an xDS-fed ztunnel lists (the captured dumps, fed from a local config,
                // carry none): productpage's Service, and one it is not selected by.
                find(v, "workloads", "productpage-v1-7c9f8d6b5-abcde")["services"] = json!([
                    "default/productpage.default.svc.cluster.local",
                    "default/reviews.default.svc.cluster.local"
                ])
            }),
            "AMB068",
            "Pod/default/productpage-v1-7c9f8d6b5-abcde",
        ),
        (
            "service-gone",
            Box::new(|v| {
                v["services"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|s| s["name"] != "details")
            }),
            "AMB068",
            "Service/default/details",
        ),
    ];
    for (name, f, code, object) in cases {
        let p = mutated(name, f);
        try_it_file(code, name, &p);
        let (exit, v) = verify(&input, &[p.to_str().unwrap()]);
        assert_eq!(
            disagreements(&v),
            vec![(code.to_string(), object.to_string())],
            "{name}: {v:#}"
        );
        let severity = v["findings"][0]["severity"].as_str().unwrap();
        assert_eq!(exit, Some(i32::from(severity == "error")), "{name}");
        let d = &v["verification"]["disagreements"][0];
        for k in ["model", "dataplane", "cause"] {
            assert!(!d[k].as_str().unwrap().is_empty(), "{name}: {k}");
        }
    }
}

/// docs/findings.md's "Try it" line of each code runs a committed copy of its mutation: it
/// must stay the mutation the test makes (`UPDATE_FIXTURES=1` rewrites it).
fn try_it_file(code: &str, name: &str, made: &Path) {
    let committed = root().join(format!("{FIXTURES}/disagreements/{code}-{name}.json"));
    let made_v: Value = serde_json::from_str(&std::fs::read_to_string(made).unwrap()).unwrap();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(committed.parent().unwrap()).unwrap();
        std::fs::write(
            &committed,
            serde_json::to_string_pretty(&made_v).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    let text = std::fs::read_to_string(&committed)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_FIXTURES=1 writes it)", committed.display()));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(
        v == made_v,
        "{} is not the {name} mutation (UPDATE_FIXTURES=1 rewrites it)",
        committed.display()
    );
}

/// A rule change shows both sides in the dump's own shape.
#[test]
fn a_changed_rule_names_both_sides() {
    let p = mutated("rule-sides", |v| {
        find(v, "policies", "ratings-from-reviews")["rules"][0][0][0]["destinationPorts"] =
            json!([9081])
    });
    let (_, v) = verify(
        &["-f".into(), "examples/bookinfo".into()],
        &[p.to_str().unwrap()],
    );
    let d = &v["verification"]["disagreements"][0];
    assert!(
        d["model"]
            .as_str()
            .unwrap()
            .contains(r#""destinationPorts":[9080]"#),
        "{d}"
    );
    assert!(
        d["dataplane"]
            .as_str()
            .unwrap()
            .contains(r#""destinationPorts":[9081]"#),
        "{d}"
    );
}

/// The lossy and older forms read to the same comparison, and say what they lack.
#[test]
fn every_form_of_the_bookinfo_dump_agrees() {
    let input = vec!["-f".to_string(), "examples/bookinfo".into()];
    for (f, lacks) in [
        ("config_dump.json", vec![]),
        ("config_dump-map.json", vec!["dryRun"]),
        ("config_dump-snake.json", vec!["dryRun"]),
        ("zc-policy.json", vec!["dryRun", "workloads", "services"]),
        (
            "zc-workload.json",
            vec!["policies", "services", "workload services", "networkMode"],
        ),
    ] {
        let path = format!("{FIXTURES}/bookinfo/{f}");
        let (code, v) = verify(&input, &[&path]);
        assert_eq!(disagreements(&v), vec![], "{f}");
        assert_eq!(code, Some(0), "{f}");
        let said = &v["verification"]["nodes"][0]["lacks"];
        if lacks.is_empty() {
            assert!(said.is_null(), "{f}: {said}");
        } else {
            assert_eq!(said, &json!(lacks), "{f}");
        }
    }
}

#[test]
fn two_nodes_holding_the_same_difference_are_one_disagreement() {
    let p = mutated("two-nodes", |v| {
        v["policies"]
            .as_array_mut()
            .unwrap()
            .retain(|p| p["name"] != "legacy-lockdown")
    });
    let (_, v) = verify(
        &["-f".into(), "examples/bookinfo".into()],
        &[p.to_str().unwrap(), &dump("bookinfo")],
    );
    let d = v["verification"]["disagreements"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{v:#}");
    assert_eq!(
        d[0]["nodes"],
        json!([p.to_str().unwrap()]),
        "only the node that lacks it"
    );
}

#[test]
fn bad_dumps_and_flags_are_one_line_errors() {
    let dir = scratch("verify-bad");
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\"policies\": [{\"name\": \"p\", \"scope\": \"Everywhere\", \"action\": \"Allow\"}]}",
    )
    .unwrap();
    let bin = dir.join("bin.json");
    std::fs::write(&bin, b"\x00\x01\x02").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["verify", "-f", "examples/bookinfo"], "--ztunnel-dump"),
        (
            vec![
                "verify",
                "-f",
                "examples/bookinfo",
                "--ztunnel-dump",
                bad.to_str().unwrap(),
            ],
            "unknown scope",
        ),
        (
            vec![
                "verify",
                "-f",
                "examples/bookinfo",
                "--ztunnel-dump",
                bin.to_str().unwrap(),
            ],
            "binary data",
        ),
        (
            vec![
                "verify",
                "-f",
                "examples/bookinfo",
                "--ztunnel-dump",
                "/nonexistent/d.json",
            ],
            "no such file",
        ),
        (
            vec![
                "verify",
                "-f",
                "examples/bookinfo",
                "--ztunnel-dump",
                "examples",
            ],
            "a directory",
        ),
        (
            vec![
                "verify",
                "-f",
                "examples/bookinfo",
                "--ztunnel-dump",
                "examples/bookinfo/00-mesh.yaml",
            ],
            "not a ztunnel config dump",
        ),
        (vec!["verify", "--proxy-admin-port", "99999"], "99999"),
    ];
    for (args, want) in cases {
        let o = run(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// The bundled example served by the test API server, with ztunnel pods on three nodes.
fn live_world(name: &str) -> World {
    let mut objects = example_objects();
    for (pod, node) in [
        ("ztunnel-a", "node-a"),
        ("ztunnel-b", "node-b"),
        ("ztunnel-c", "node-c"),
    ] {
        objects.push(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": "istio-system", "labels": {"app": "ztunnel"}},
            "spec": {"nodeName": node, "serviceAccountName": "ztunnel"},
            "status": {"phase": "Running"}}));
    }
    World::start(name, objects, &[("test", Some("default"), TOKEN)])
}

#[test]
fn live_reads_every_ztunnel_through_port_forward() {
    let w = live_world("verify-live");
    let body = std::fs::read_to_string(root().join(dump("bookinfo"))).unwrap();
    for pod in ["ztunnel-a", "ztunnel-b", "ztunnel-c"] {
        w.server.set_admin(pod, Admin::Dump(body.clone()));
    }
    let o = w.run(&["verify", "-n", "default", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = json_of(&o);
    let nodes = v["verification"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3, "{v:#}");
    assert!(
        nodes
            .iter()
            .all(|n| n["error"].is_null() && n["policies"] == 6),
        "{v:#}"
    );
    assert_eq!(disagreements(&v), vec![]);
    let forwarded = w
        .server
        .requests()
        .iter()
        .filter(|(_, p)| p.ends_with("/portforward?&ports=15000"))
        .count();
    assert_eq!(forwarded, 3, "{:?}", w.server.requests());
}

#[test]
fn a_node_that_does_not_answer_is_reported_and_the_rest_compared() {
    let w = live_world("verify-partial");
    let body = std::fs::read_to_string(root().join(dump("bookinfo"))).unwrap();
    let changed = std::fs::read_to_string(mutated("partial-dump", |v| {
        find(v, "policies", "ratings-from-reviews")["rules"][0][0][0]["destinationPorts"] =
            json!([9081])
    }))
    .unwrap();
    w.server.set_admin("ztunnel-a", Admin::Dump(body));
    w.server.set_admin("ztunnel-b", Admin::Refused);
    w.server.set_admin("ztunnel-c", Admin::Dump(changed));
    let o = w.run(&["verify", "-n", "default", "-o", "json"]);
    let v = json_of(&o);
    assert_eq!(o.status.code(), Some(1), "{v:#}");
    let nodes = v["verification"]["nodes"].as_array().unwrap();
    let unread: Vec<&Value> = nodes.iter().filter(|n| !n["error"].is_null()).collect();
    assert_eq!(unread.len(), 1, "{v:#}");
    assert!(unread[0]["node"].as_str().unwrap().starts_with("ztunnel-b"));
    assert!(
        unread[0]["error"].as_str().unwrap().contains("refused"),
        "{v:#}"
    );
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["AMB062", "AMB069"], "{v:#}");
    assert_eq!(
        v["verification"]["disagreements"][0]["nodes"],
        json!(["ztunnel-c (node node-c)"])
    );
}

#[test]
fn forbidden_port_forward_says_which_permission_and_no_credential() {
    let w = live_world("verify-403");
    w.server.set_faults(Faults {
        forbidden: ["pods/portforward".to_string()].into(),
        ..Faults::default()
    });
    let o = w.run(&["verify", "-n", "default"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("pods/portforward") && err.contains("clusterrole-verify.yaml"),
        "{err}"
    );
    assert!(!err.contains(TOKEN) && !text(&o.stdout).contains(TOKEN));
}

#[test]
fn no_ztunnel_pod_is_a_cluster_error() {
    let w = World::start(
        "verify-none",
        example_objects(),
        &[("test", Some("default"), TOKEN)],
    );
    let o = w.run(&["verify", "-n", "default"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("no running ztunnel pod in namespace istio-system"),
        "{err}"
    );
}

const PRODUCTPAGE: &str = "pod/default/productpage-v1-7c9f8d6b5-abcde";
const RATINGS: &str = "pod/default/ratings-v1-8f7d6c5b4-pqrst:9080";

fn check_on(dump_file: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec![
        "check",
        "-f",
        "examples/bookinfo",
        "-o",
        "json",
        "--ztunnel-dump",
        dump_file,
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
    (o.status.code(), v)
}

/// `check --ztunnel-dump`: the ztunnel hop decides on the policies the dump holds, and the
/// report says whether the model decides the same.
#[test]
fn check_decides_on_the_policies_ztunnel_holds() {
    let (code, v) = check_on(&dump("bookinfo"), &["--from", PRODUCTPAGE, "--to", RATINGS]);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(v["verdict"], "denied");
    assert_eq!(v["dataplane"]["agrees"], true, "{v:#}");
    assert_eq!(
        v["decidedBy"]["allowPolicies"][0]["name"],
        "ratings-from-reviews"
    );

    // The dump lacks ratings' ALLOW: ztunnel lets productpage in, the model would not.
    let missing = format!("{FIXTURES}/disagreements/AMB060-policy-missing.json");
    let (code, v) = check_on(&missing, &["--from", PRODUCTPAGE, "--to", RATINGS]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["verdict"], "allowed");
    assert_eq!(
        (
            v["dataplane"]["agrees"].as_bool(),
            v["dataplane"]["modelVerdict"].as_str()
        ),
        (Some(false), Some("denied"))
    );
    assert!(v["notes"].to_string().contains("run `verify`"), "{v:#}");

    // The matrix marks the cells the model decides otherwise, and only those.
    let (_, m) = check_on(&missing, &["--port", "9080"]);
    let differing = m["dataplane"]["differing"].as_array().unwrap();
    assert!(!differing.is_empty(), "{m:#}");
    for c in differing {
        assert!(
            c["destination"].as_str().unwrap().contains("ratings"),
            "{c}"
        );
        // Denied on the model; on the dump allowed, or unknown where the method decides.
        assert_eq!(c["modelVerdict"], "denied", "{c}");
        assert_ne!(c["verdict"], "denied", "{c}");
    }
    let (_, same) = check_on(&dump("bookinfo"), &["--port", "9080"]);
    assert_eq!(same["dataplane"]["differing"], json!([]), "{same:#}");
}

#[test]
fn check_on_a_dump_without_policies_or_offline_from_dataplane_is_refused() {
    let o = run(&[
        "check",
        "-f",
        "examples/bookinfo",
        "--from",
        PRODUCTPAGE,
        "--to",
        RATINGS,
        "--ztunnel-dump",
        &format!("{FIXTURES}/bookinfo/zc-workload.json"),
    ]);
    let err = text(&o.stderr);
    assert_eq!(
        (o.status.code(), err.lines().count()),
        (Some(2), 1),
        "{err}"
    );
    assert!(err.contains("holds no policies"), "{err}");
    let o = run(&[
        "check",
        "-f",
        "examples/bookinfo",
        "--from-dataplane",
        "--to",
        RATINGS,
    ]);
    let err = text(&o.stderr);
    assert_eq!(
        (o.status.code(), err.lines().count()),
        (Some(2), 1),
        "{err}"
    );
    assert!(err.contains("--ztunnel-dump"), "{err}");
}

#[test]
fn check_from_dataplane_reads_a_ztunnel_of_the_cluster() {
    let w = live_world("verify-check-live");
    let missing = std::fs::read_to_string(root().join(format!(
        "{FIXTURES}/disagreements/AMB060-policy-missing.json"
    )))
    .unwrap();
    for pod in ["ztunnel-a", "ztunnel-b", "ztunnel-c"] {
        w.server.set_admin(pod, Admin::Dump(missing.clone()));
    }
    let o = w.run(&[
        "check",
        "--from-dataplane",
        "--from",
        PRODUCTPAGE,
        "--to",
        RATINGS,
        "-o",
        "json",
    ]);
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
    assert_eq!(o.status.code(), Some(0), "{v:#}");
    assert_eq!(v["dataplane"]["modelVerdict"], "denied");
    assert!(
        v["dataplane"]["source"]
            .as_str()
            .unwrap()
            .starts_with("ztunnel ztunnel-"),
        "{v:#}"
    );
}

/// A workload's Services, as an xDS-fed ztunnel lists them, agree when they are the model's.
#[test]
fn the_services_a_ztunnel_lists_for_a_workload_agree_when_right() {
    let p = mutated("services-right", |v| {
        find(v, "workloads", "productpage-v1-7c9f8d6b5-abcde")["services"] =
            json!(["default/productpage.default.svc.cluster.local"])
    });
    let (code, v) = verify(
        &["-f".into(), "examples/bookinfo".into()],
        &[p.to_str().unwrap()],
    );
    assert_eq!(disagreements(&v), vec![], "{v:#}");
    assert_eq!(code, Some(0));
}

/// istiod builds no workload for a pod that finished or has no IP yet: none is expected.
#[test]
fn pods_without_a_workload_are_not_expected() {
    let dir = scratch("verify-pending");
    let extra = dir.join("pods.yaml");
    std::fs::write(
        &extra,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: pending-1, namespace: default, labels: {app: x}}\nspec: {serviceAccountName: x}\nstatus: {phase: Pending}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: job-done, namespace: default}\nspec: {serviceAccountName: x}\nstatus: {phase: Succeeded, podIP: 10.244.9.9}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: running-1, namespace: default}\nspec: {serviceAccountName: x}\nstatus: {phase: Running, podIP: 10.244.9.8}\n",
    )
    .unwrap();
    let input = vec![
        "-f".into(),
        "examples/bookinfo".into(),
        "-f".into(),
        extra.display().to_string(),
    ];
    let (_, v) = verify(&input, &[&dump("bookinfo")]);
    // The running pod is expected (and missing from the dump); the other two are not.
    assert_eq!(
        disagreements(&v),
        vec![("AMB067".to_string(), "Pod/default/running-1".to_string())],
        "{v:#}"
    );
}

/// What a first user met (review of 2026-12-03), each now right.
#[test]
fn newcomer_cases() {
    let input = || vec!["-f".to_string(), "examples/bookinfo".into()];
    // Gateway and waypoint pods are selected by the Services istiod makes for them, which the
    // input has without selectors: not a disagreement.
    let p = mutated("gateway-services", |v| {
        find(v, "workloads", "waypoint-5d9c7b6f4-x2k8q")["services"] =
            json!(["default/waypoint.default.svc.cluster.local"]);
        find(v, "workloads", "bookinfo-gateway-istio-6c8f9d7b5-q9w4z")["services"] =
            json!(["default/bookinfo-gateway-istio.default.svc.cluster.local"]);
    });
    let (_, v) = verify(&input(), &[p.to_str().unwrap()]);
    assert_eq!(disagreements(&v), vec![], "{v:#}");

    // Clauses in another order mean the same.
    let p = mutated("clauses-swapped", |v| {
        let r = &mut find(v, "policies", "ratings-from-reviews")["rules"][0];
        r.as_array_mut().unwrap().reverse();
    });
    let (_, v) = verify(&input(), &[p.to_str().unwrap()]);
    assert_eq!(disagreements(&v), vec![], "{v:#}");

    // A changed rule says where it differs.
    let p = mutated("rule-detail", |v| {
        find(v, "policies", "ratings-from-reviews")["rules"][0][0][0]["destinationPorts"] =
            json!([9081])
    });
    let (_, v) = verify(&input(), &[p.to_str().unwrap()]);
    let d = &v["verification"]["disagreements"][0];
    assert_eq!(
        d["detail"],
        "rule 1, clause 1, match 1: destinationPorts: only in the model: 9080; only in ztunnel: 9081",
        "{d:#}"
    );
    assert_eq!(
        d["dataplaneRules"][0][0][0]["destinationPorts"],
        json!([9081])
    );

    // Every workload of a namespace uncaptured: one entry for the namespace.
    let p = mutated("namespace-uncaptured", |v| {
        for w in v["workloads"].as_array_mut().unwrap() {
            if w["protocol"] == "HBONE" {
                w["protocol"] = json!("TCP");
            }
        }
    });
    let (_, v) = verify(&input(), &[p.to_str().unwrap()]);
    assert_eq!(
        disagreements(&v),
        vec![("AMB063".to_string(), "Namespace/default".to_string())],
        "{v:#}"
    );
    assert!(v["verification"]["disagreements"][0]["cause"]
        .as_str()
        .unwrap()
        .contains("namespace is not enrolled"));

    // A pod recreated under the same name has another address (the input has pod IPs).
    let live = vec!["-f".to_string(), "tests/scenarios/live-dump".into()];
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(dump("live-dump"))).unwrap())
            .unwrap();
    v["workloads"][0]["workloadIps"] = json!(["10.244.7.7"]);
    let p = scratch("verify-new-address").join("d.json");
    std::fs::write(&p, v.to_string()).unwrap();
    let (_, v) = verify(&live, &[p.to_str().unwrap()]);
    let d = &v["verification"]["disagreements"][0];
    assert_eq!(d["code"], "AMB067", "{v:#}");
    assert_eq!(d["dataplane"], "addresses 10.244.7.7");
    assert_eq!(disagreements(&v).len(), 1);

    // Only some ztunnels disagree: they are behind istiod.
    let p = mutated("one-behind", |v| {
        v["policies"]
            .as_array_mut()
            .unwrap()
            .retain(|p| p["name"] != "legacy-lockdown")
    });
    let (_, v) = verify(&input(), &[p.to_str().unwrap(), &dump("bookinfo")]);
    let cause = v["verification"]["disagreements"][0]["cause"]
        .as_str()
        .unwrap();
    assert!(
        cause.starts_with("only 1 of the 2 ztunnels read hold this"),
        "{cause}"
    );

    // A dump of another cluster, and a namespace with nothing in it, are said.
    let (_, v) = verify(&input(), &[&dump("l4-policy")]);
    assert!(
        v["verification"]["notes"]
            .to_string()
            .contains("is this dump from the cluster"),
        "{v:#}"
    );
    let mut nosuch = input();
    nosuch.extend(["-n".into(), "nosuch".into()]);
    let (_, v) = verify(&nosuch, &[&dump("bookinfo")]);
    assert!(
        v["verification"]["notes"]
            .to_string()
            .contains("namespace nosuch holds no"),
        "{v:#}"
    );

    // --only and --suppress, as for explain.
    let p = mutated("filtered", |v| {
        v["policies"]
            .as_array_mut()
            .unwrap()
            .retain(|p| p["name"] != "legacy-lockdown");
        find(v, "workloads", "ratings-v1-8f7d6c5b4-pqrst")["serviceAccount"] = json!("default");
    });
    let mut args = input();
    args.extend(["--suppress".into(), "AMB060".into()]);
    let (_, v) = verify(&args, &[p.to_str().unwrap()]);
    assert_eq!(
        disagreements(&v),
        vec![(
            "AMB066".to_string(),
            "Pod/default/ratings-v1-8f7d6c5b4-pqrst".to_string()
        )]
    );
    let mut args = input();
    args.extend(["--only".into(), "AMB060".into()]);
    let (_, v) = verify(&args, &[p.to_str().unwrap()]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v["findings"][0]["code"], "AMB060");
}

/// A Deployment's workload names the pod that disagrees.
#[test]
fn a_replica_that_disagrees_is_named() {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(dump("trap-AMB027"))).unwrap())
            .unwrap();
    find(&mut v, "workloads", "httpbin-5f6d8c9b7d-r4t8n")["protocol"] = json!("TCP");
    let dir = scratch("verify-replica");
    let p = dir.join("d.json");
    std::fs::write(&p, v.to_string()).unwrap();
    let input: Vec<String> = scenarios()
        .into_iter()
        .find(|s| s.0 == "trap-AMB027")
        .unwrap()
        .1;
    let (_, out) = verify(&input, &[p.to_str().unwrap()]);
    let d = &out["verification"]["disagreements"][0];
    assert_eq!(d["object"], "Deployment/shop/httpbin", "{out:#}");
    assert_eq!(
        d["dataplane"],
        "protocol TCP (pod httpbin-5f6d8c9b7d-r4t8n)"
    );
}

#[test]
fn stdin_and_repeated_dumps_are_usage_errors() {
    let d = dump("bookinfo");
    for (args, want) in [
        (
            vec!["verify", "-f", "-", "--ztunnel-dump", "-"],
            "stdin can feed only one",
        ),
        (
            vec![
                "verify",
                "-f",
                "examples/bookinfo",
                "--ztunnel-dump",
                &d,
                "--ztunnel-dump",
                &d,
            ],
            "given twice",
        ),
        (
            vec!["verify", "--proxy-admin-port", "0"],
            "--proxy-admin-port",
        ),
        (
            vec![
                "verify",
                "-f",
                "examples/bookinfo",
                "--ztunnel-dump",
                &d,
                "--only",
                "NOPE",
            ],
            "invalid --only",
        ),
    ] {
        let o = run(&args);
        let err = text(&o.stderr);
        assert_eq!(
            (o.status.code(), err.lines().count()),
            (Some(2), 1),
            "{args:?}: {err}"
        );
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// No cluster: the way out is manifests and dumps, said in the one line.
#[test]
fn without_a_cluster_verify_points_at_dumps() {
    let home = scratch("verify-no-kubeconfig");
    let o = Command::new(EXE)
        .current_dir(root())
        .env_remove("KUBECONFIG")
        .env("HOME", &home)
        .args(["verify", "-n", "default"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(
        (o.status.code(), err.lines().count()),
        (Some(3), 1),
        "{err}"
    );
    assert!(err.contains("--ztunnel-dump"), "{err}");
}
