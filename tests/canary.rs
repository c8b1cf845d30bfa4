//! Weighted waypoint canaries (`istio.io/use-waypoint-canary`, Istio 1.31+, row
//! `waypoint-canary`): from manifests shaped as users keep them (istiod's Deployment as Helm
//! renders it, with its image tag; waypoints as `istioctl waypoint generate` prints them), the
//! canary each Service gets at 1.30.3 and 1.31.0, every reason istiod leaves it out (AMB008),
//! a policy at only one of the two waypoints (AMB046) and its near misses, the enforcement
//! entries with their shares, explain's paths and check's verdict through the canary.

mod support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::cluster::{scratch, text, EXE};

const BASE: &str = "tests/scenarios/traps/base";

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

/// istiod's Deployment as the Helm chart renders it (trimmed), at this image tag.
fn istiod(tag: &str) -> String {
    istiod_with(tag, &[])
}

/// The same with more env entries.
fn istiod_with(tag: &str, env: &[(&str, &str)]) -> String {
    support::helm::istio(&format!("docker.io/istio/pilot:{tag}"), None, env)
}

/// A waypoint as `istioctl waypoint generate --name NAME -n NS` prints it (the base brings
/// `shop/waypoint`), with `--for` and, for a shared one, allowedRoutes from All.
fn waypoint(ns: &str, name: &str, traffic: &str, shared: bool) -> String {
    let routes = if shared {
        "\n    allowedRoutes:\n      namespaces: {from: All}"
    } else {
        ""
    };
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  labels:
    istio.io/waypoint-for: {traffic}
  name: {name}
  namespace: {ns}
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE{routes}
status: {{}}
"
    )
}

/// Service `httpbin-split` in shop with these labels and annotations (YAML flow maps' inside).
fn service(labels: &str, annotations: &str) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: httpbin-split
  namespace: shop
  labels: {{app: httpbin, {labels}}}
  annotations: {{{annotations}}}
spec:
  ports:
  - {{name: http, port: 8000, targetPort: 8080}}
  selector: {{app: httpbin}}
"
    )
}

const SPLIT: &str =
    "istio.io/use-waypoint: waypoint, istio.io/use-waypoint-canary: waypoint-canary";
const TEN: &str = "istio.io/use-waypoint-canary-weight: \"10\"";

/// An ALLOW of GET only, in `ns`, with these targetRefs (YAML flow sequence items).
fn get_only(ns: &str, refs: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: get-only
  namespace: {ns}
spec:
  targetRefs: [{refs}]
  action: ALLOW
  rules:
  - to:
    - operation:
        methods: [GET]
"
    )
}

const TO_PRIMARY: &str = "{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}";
const TO_CANARY: &str = "{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint-canary}";
const TO_SERVICE: &str = "{kind: Service, group: \"\", name: httpbin-split}";

/// The documents in a scratch directory, one file.
fn world(name: &str, docs: &[&str]) -> PathBuf {
    let d = scratch(&format!("canary-{name}"));
    std::fs::write(d.join("world.yaml"), docs.join("---\n")).unwrap();
    d
}

fn explain(d: &Path) -> Value {
    json_of(&run(&[
        "explain",
        "-A",
        "-f",
        BASE,
        "-f",
        d.to_str().unwrap(),
        "-o",
        "json",
    ]))
}

fn split_service(v: &Value) -> Value {
    v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "httpbin-split")
        .unwrap()
        .clone()
}

/// The findings of one code: (severity, resource, message).
fn found(v: &Value, code: &str) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("severity"), s("resource"), s("message"))
        })
        .collect()
}

fn canary_rows(v: &Value) -> Vec<String> {
    v["versionRules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "waypoint-canary")
        .map(|r| r["range"].as_str().unwrap().to_string())
        .collect()
}

/// The enforcement entries of policy `name` at waypoints: (waypoint, weight, targets).
fn at_waypoints(v: &Value, name: &str) -> Vec<(String, Option<u64>, Vec<String>)> {
    let p = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no policy {name}"));
    let mut out: Vec<_> = p["enforcement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["enforcedBy"] == "waypoint")
        .map(|e| {
            let targets = e["targets"].as_array().unwrap();
            (
                e["waypoint"].as_str().unwrap().to_string(),
                e["weight"].as_u64(),
                targets.iter().map(|t| t.as_str().unwrap().into()).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

/// 1.31.0 splits httpbin-split 90/10 between shop/waypoint and shop/waypoint-canary; 1.30.3
/// does not read the labels (AMB008 warning, NotRead, the row says so) and the primary takes
/// every request.
#[test]
fn the_canary_by_release() {
    // (istiod tag, canary in effect, canaryError, row range)
    let cases = [
        ("1.31.0", true, None, "istiod >= 1.31"),
        ("1.31.0-rc.0", true, None, "istiod >= 1.31"),
        ("1.30.3", false, Some("NotRead"), "istiod < 1.31"),
        ("1.30.0", false, Some("NotRead"), "istiod < 1.31"),
    ];
    for (tag, effect, error, range) in cases {
        let canary = waypoint("shop", "waypoint-canary", "service", false);
        let d = world(
            &format!("release-{tag}"),
            &[&istiod(tag), &canary, &service(SPLIT, TEN)],
        );
        let v = explain(&d);
        let s = split_service(&v);
        assert_eq!(s["waypoint"], "shop/waypoint", "{tag}: {s}");
        if effect {
            assert_eq!(s["canary"]["waypoint"], "shop/waypoint-canary", "{tag}");
            assert_eq!(s["canary"]["weight"], 10, "{tag}");
        } else {
            assert!(s["canary"].is_null(), "{tag}: {s}");
        }
        assert_eq!(s["canaryError"].as_str(), error, "{tag}: {s}");
        assert_eq!(canary_rows(&v), vec![range], "{tag}");
        let amb008 = found(&v, "AMB008");
        assert_eq!(amb008.len(), usize::from(!effect), "{tag}: {amb008:?}");
        if let Some((sev, res, msg)) = amb008.first() {
            assert_eq!(
                (sev.as_str(), res.as_str()),
                ("warning", "Service/shop/httpbin-split")
            );
            assert!(msg.contains(&format!("on Istio {}", &tag[..6])), "{msg}");
            assert!(
                msg.contains("istiod does not read the canary labels"),
                "{msg}"
            );
            assert!(
                msg.contains("goes to the primary waypoint shop/waypoint"),
                "{msg}"
            );
        }
        // The BINDINGS table shows each waypoint's share.
        let o = run(&[
            "explain",
            "-n",
            "shop",
            "-f",
            BASE,
            "-f",
            d.to_str().unwrap(),
        ]);
        // Cells wrap at the terminal's width: the share of the canary may go on the next line.
        let out = text(&o.stdout);
        assert_eq!(
            out.contains("shop/waypoint (90%), shop/waypoint-canary") && out.contains("(10%)"),
            effect,
            "{tag}: {out}"
        );
    }
}

/// Every reason istiod keeps the primary alone, each on its own at 1.31.0: the Service stays
/// bound to the primary, gets no canary, and AMB008 (a warning) names the reason.
#[test]
fn canary_errors_fall_back_to_the_primary() {
    let ready = waypoint("shop", "waypoint-canary", "service", false);
    let workload_only = waypoint("shop", "waypoint-canary", "workload", false);
    let elsewhere = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: canaries\n---\n{}",
        waypoint("canaries", "waypoint-canary", "service", false)
    );
    let in_canaries = "istio.io/use-waypoint: waypoint, istio.io/use-waypoint-canary: waypoint-canary, istio.io/use-waypoint-canary-namespace: canaries";
    let same = "istio.io/use-waypoint: waypoint, istio.io/use-waypoint-canary: waypoint";
    // (case, documents, labels, annotations, canaryError, words of the message)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, &str, &str)] = &[
        ("same as primary", &ready, same, TEN, "CanarySameAsPrimary", "shop/waypoint is the primary waypoint itself"),
        ("weight 110", &ready, SPLIT, "istio.io/use-waypoint-canary-weight: \"110\"", "CanaryInvalidWeight", "\"110\" is not an integer from 0 to 100"),
        ("weight 10%", &ready, SPLIT, "istio.io/use-waypoint-canary-weight: \"10%\"", "CanaryInvalidWeight", "\"10%\" is not an integer"),
        ("missing", "", SPLIT, TEN, "WaypointIsNotReady", "waypoint shop/waypoint-canary does not exist"),
        ("not admitted", &elsewhere, in_canaries, TEN, "AttachmentDenied", "does not admit namespace shop"),
        ("workload only", &workload_only, SPLIT, TEN, "UnsupportedTrafficType", "does not serve service traffic"),
    ];
    for (i, (case, docs, labels, annotations, error, words)) in cases.iter().enumerate() {
        let svc = service(labels, annotations);
        let mut all = vec![istiod("1.31.0"), svc];
        if !docs.is_empty() {
            all.push(docs.to_string());
        }
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let v = explain(&world(&format!("error-{i}"), &refs));
        let s = split_service(&v);
        assert_eq!(s["waypoint"], "shop/waypoint", "{case}: {s}");
        assert!(s["canary"].is_null(), "{case}: {s}");
        assert_eq!(s["canaryError"], *error, "{case}: {s}");
        let amb008 = found(&v, "AMB008");
        assert_eq!(amb008.len(), 1, "{case}: {amb008:?}");
        let (sev, res, msg) = &amb008[0];
        assert_eq!(
            (sev.as_str(), res.as_str()),
            ("warning", "Service/shop/httpbin-split"),
            "{case}"
        );
        assert!(msg.contains(error) && msg.contains(words), "{case}: {msg}");
        assert!(
            msg.starts_with(
                "every request to Service httpbin-split goes to the primary waypoint shop/waypoint"
            ),
            "{case}: {msg}"
        );
        assert_eq!(canary_rows(&v), vec!["istiod >= 1.31"], "{case}");
        // The fix fits the error: a bad weight is fixed where it is written.
        let fix = (v["findings"].as_array().unwrap().iter())
            .find(|f| f["code"] == "AMB008")
            .unwrap()["resolution"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            fix.starts_with("Set the annotation istio.io/use-waypoint-canary-weight"),
            *error == "CanaryInvalidWeight",
            "{case}: {fix}"
        );
    }
}

/// The labels follow the primary's level: the namespace's canary counts only for a Service
/// that names no waypoint of its own, and its weight is read from the Service, else the
/// namespace; a canary named `none` or `` is no canary; a missing weight is 0%.
#[test]
fn where_the_canary_labels_are_read() {
    let canary = waypoint("shop", "waypoint-canary", "service", false);
    let ns = |labels: &str, annotations: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {{istio.io/dataplane-mode: ambient, {labels}}}\n  annotations: {{{annotations}}}\n"
        )
    };
    let ns_split = "istio.io/use-waypoint: waypoint, istio.io/use-waypoint-canary: waypoint-canary";
    let ns_canary = "istio.io/use-waypoint-canary: waypoint-canary";
    // (case, namespace labels, its annotations, Service labels, its annotations, canary weight)
    #[rustfmt::skip]
    #[allow(clippy::type_complexity)]
    let cases: &[(&str, &str, &str, &str, &str, Option<u64>)] = &[
        ("both on the namespace", ns_split, TEN, "service: split", "", Some(10)),
        ("namespace canary, Service weight", ns_split, "", "service: split", TEN, Some(10)),
        ("Service's own waypoint ignores the namespace's canary", ns_canary, TEN, "istio.io/use-waypoint: waypoint", "", None),
        ("no weight is 0%", "", "", SPLIT, "", Some(0)),
        ("canary none", "", "", "istio.io/use-waypoint: waypoint, istio.io/use-waypoint-canary: none", TEN, None),
        ("canary empty", "", "", "istio.io/use-waypoint: waypoint, istio.io/use-waypoint-canary: \"\"", TEN, None),
    ];
    for (i, (case, nsl, nsa, sl, sa, weight)) in cases.iter().enumerate() {
        let d = world(
            &format!("levels-{i}"),
            &[&istiod("1.31.0"), &ns(nsl, nsa), &canary, &service(sl, sa)],
        );
        let s = split_service(&explain(&d));
        assert_eq!(s["waypoint"], "shop/waypoint", "{case}: {s}");
        assert_eq!(s["canary"]["weight"].as_u64(), *weight, "{case}: {s}");
        assert!(s["canaryError"].is_null(), "{case}: {s}");
    }
}

/// AMB046: the GET-only policy at the primary alone applies to 90% of httpbin-split's
/// requests; at the canary alone (from the canary's namespace) to 10%; near misses: targeting
/// the Service (both apply it), both Gateways, or the primary when the canary's weight is 0.
#[test]
fn a_policy_at_one_of_two_waypoints() {
    let local = waypoint("shop", "waypoint-canary", "service", false);
    let shared = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: canaries\n---\n{}",
        waypoint("canaries", "waypoint-canary", "service", true)
    );
    let in_canaries = "istio.io/use-waypoint: waypoint, istio.io/use-waypoint-canary: waypoint-canary, istio.io/use-waypoint-canary-namespace: canaries";
    let both = format!("{TO_PRIMARY}, {TO_CANARY}");
    // (case, canary documents, Service labels, weight annotation, policy, AMB046 message part)
    #[rustfmt::skip]
    #[allow(clippy::type_complexity)]
    let cases: &[(&str, &str, &str, &str, String, Option<&str>)] = &[
        ("primary Gateway only", &local, SPLIT, TEN, get_only("shop", TO_PRIMARY),
            Some("applies to only 90% of the requests to Service shop/httpbin-split: it attaches at its primary waypoint shop/waypoint (90%) but not at its canary waypoint shop/waypoint-canary (10%)")),
        ("canary Gateway in its namespace", &shared, in_canaries, TEN, get_only("canaries", TO_CANARY),
            Some("applies to only 10% of the requests to Service shop/httpbin-split: it attaches at its canary waypoint canaries/waypoint-canary (10%) but not at its primary waypoint shop/waypoint (90%)")),
        ("the Service: both apply it", &local, SPLIT, TEN, get_only("shop", TO_SERVICE), None),
        ("both Gateways", &local, SPLIT, TEN, get_only("shop", &both), None),
        ("primary only, canary at 0%", &local, SPLIT, "", get_only("shop", TO_PRIMARY), None),
        ("canary only, at 0%", &local, SPLIT, "", get_only("shop", TO_CANARY),
            Some("applies to only 0% of the requests to Service shop/httpbin-split")),
    ];
    for (i, (case, canary, labels, weight, policy, want)) in cases.iter().enumerate() {
        let d = world(
            &format!("partial-{i}"),
            &[&istiod("1.31.0"), canary, &service(labels, weight), policy],
        );
        let v = explain(&d);
        let amb046 = found(&v, "AMB046");
        match want {
            Some(words) => {
                assert_eq!(amb046.len(), 1, "{case}: {amb046:?}");
                assert_eq!(amb046[0].0, "warning", "{case}");
                assert!(amb046[0].2.contains(words), "{case}: {}", amb046[0].2);
            }
            None => assert!(amb046.is_empty(), "{case}: {amb046:?}"),
        }
    }
    // The same world on 1.30.3: no canary, so the primary applies it to every request.
    let d = world(
        "partial-1.30",
        &[
            &istiod("1.30.3"),
            &local,
            &service(SPLIT, TEN),
            &get_only("shop", TO_PRIMARY),
        ],
    );
    assert!(found(&explain(&d), "AMB046").is_empty());
}

/// A Service-targeted policy is enforced at both waypoints, each entry with its share; a
/// Gateway-targeted one at the primary's share for the split Service only.
#[test]
fn enforcement_entries_carry_the_share() {
    let canary = waypoint("shop", "waypoint-canary", "service", false);
    let d = world(
        "entries",
        &[
            &istiod("1.31.0"),
            &canary,
            &service(SPLIT, TEN),
            &get_only("shop", TO_SERVICE),
        ],
    );
    let v = explain(&d);
    let svc = vec!["Service/shop/httpbin-split".to_string()];
    assert_eq!(
        at_waypoints(&v, "get-only"),
        vec![
            ("shop/waypoint".into(), Some(90), svc.clone()),
            ("shop/waypoint-canary".into(), Some(10), svc.clone()),
        ]
    );
    let o = run(&[
        "explain",
        "-n",
        "shop",
        "-f",
        BASE,
        "-f",
        d.to_str().unwrap(),
    ]);
    let out = text(&o.stdout);
    assert!(
        out.contains("shop/waypoint (90%)") && out.contains("shop/waypoint-canary (10%)"),
        "{out}"
    );
    // explain's paths: one through each waypoint, each with its share.
    let paths: Vec<(String, Option<u64>, String)> = v["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["via"] == "Service/shop/httpbin-split"
                && p["source"].as_str().unwrap().starts_with("ambient-service")
        })
        .map(|p| {
            let w = p["hops"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["component"] == "waypoint");
            (
                p["source"].as_str().unwrap().into(),
                p["weight"].as_u64(),
                w.unwrap()["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            ("ambient-service".into(), Some(90), "shop/waypoint".into()),
            (
                "ambient-service-canary".into(),
                Some(10),
                "shop/waypoint-canary".into()
            ),
        ]
    );
    // Gateway-targeted: the primary's Gateway and, at 90%, the split Service.
    let d = world(
        "entries-gw",
        &[
            &istiod("1.31.0"),
            &canary,
            &service(SPLIT, TEN),
            &get_only("shop", TO_PRIMARY),
        ],
    );
    assert_eq!(
        at_waypoints(&explain(&d), "get-only"),
        vec![
            (
                "shop/waypoint".into(),
                None,
                vec!["Gateway/shop/waypoint".into()]
            ),
            ("shop/waypoint".into(), Some(90), svc),
        ]
    );
}

fn check_post(d: &Path) -> (Option<i32>, Value) {
    let o = run(&[
        "check",
        "--from",
        "deploy/shop/curl",
        "--to",
        "svc/shop/httpbin-split:8000",
        "--method",
        "POST",
        "-f",
        BASE,
        "-f",
        d.to_str().unwrap(),
        "-o",
        "json",
    ]);
    (o.status.code(), json_of(&o))
}

/// check goes through the primary (its verdict, its exit code) and gives the canary's verdict
/// beside it, saying when they differ; 1.30.3 has no canary and says the labels are ignored;
/// a canary istiod leaves out is said in a note.
#[test]
fn check_through_the_primary_and_the_canary() {
    let canary = waypoint("shop", "waypoint-canary", "service", false);
    let notes = |v: &Value| -> Vec<String> {
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().into())
            .collect()
    };
    // The GET-only policy at the primary alone: POST denied there, allowed at the canary.
    let d = world(
        "check-primary",
        &[
            &istiod("1.31.0"),
            &canary,
            &service(SPLIT, TEN),
            &get_only("shop", TO_PRIMARY),
        ],
    );
    let (code, v) = check_post(&d);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (Some(1), Some("denied")),
        "{v}"
    );
    assert_eq!(v["canary"]["waypoint"], "shop/waypoint-canary");
    assert_eq!(v["canary"]["weight"], 10);
    assert_eq!(v["canary"]["verdict"], "allowed");
    let on_canary = v["canary"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["component"] == "waypoint" && h["name"] == "shop/waypoint-canary");
    assert!(on_canary, "{}", v["canary"]);
    assert!(
        notes(&v).iter().any(|n| n
            .contains("10% of the requests go through canary waypoint shop/waypoint-canary")
            && n.contains("where they are allowed, unlike the 90% through shop/waypoint (denied)")),
        "{:?}",
        notes(&v)
    );
    let rows: Vec<&str> = v["versionRules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["range"].as_str())
        .collect();
    assert!(rows.contains(&"istiod >= 1.31"), "{rows:?}");
    // Near miss: the Service targeted, both deny.
    let d = world(
        "check-service",
        &[
            &istiod("1.31.0"),
            &canary,
            &service(SPLIT, TEN),
            &get_only("shop", TO_SERVICE),
        ],
    );
    let (code, v) = check_post(&d);
    assert_eq!(code, Some(1));
    assert_eq!(v["canary"]["verdict"], "denied");
    assert!(
        notes(&v).iter().any(|n| n.ends_with("denied there too")),
        "{:?}",
        notes(&v)
    );
    // 1.30.3: no canary; a note says istiod does not read the labels.
    let d = world(
        "check-1.30",
        &[
            &istiod("1.30.3"),
            &canary,
            &service(SPLIT, TEN),
            &get_only("shop", TO_PRIMARY),
        ],
    );
    let (code, v) = check_post(&d);
    assert_eq!(code, Some(1));
    assert!(v["canary"].is_null(), "{v}");
    assert!(
        notes(&v)
            .iter()
            .any(|n| n
                .contains("on Istio 1.30.3, istiod does not read istio.io/use-waypoint-canary")),
        "{:?}",
        notes(&v)
    );
    // A canary istiod leaves out: a note, no canary.
    let d = world(
        "check-invalid",
        &[
            &istiod("1.31.0"),
            &canary,
            &service(SPLIT, "istio.io/use-waypoint-canary-weight: \"-5\""),
            &get_only("shop", TO_PRIMARY),
        ],
    );
    let (_, v) = check_post(&d);
    assert!(v["canary"].is_null(), "{v}");
    assert!(
        notes(&v).iter().any(|n| n
            .contains("canary waypoint shop/waypoint-canary is not used (CanaryInvalidWeight)")),
        "{:?}",
        notes(&v)
    );
}

/// The verdict is that of the waypoint taking the requests: at weight 100 every request goes
/// through the canary (its hops, its verdict, its exit code), at weight 0 none does (the
/// primary's, and the note says the canary takes nothing). The matrix cell follows too.
#[test]
fn the_verdict_follows_the_waypoint_that_takes_the_requests() {
    let canary = waypoint("shop", "waypoint-canary", "service", false);
    let all = "istio.io/use-waypoint-canary-weight: \"100\"";
    let none = "istio.io/use-waypoint-canary-weight: \"0\"";
    let notes = |v: &Value| v["notes"].to_string();
    // The GET-only policy at the primary alone: a POST is denied there, allowed at the canary.
    for (case, weight, verdict, code, note) in [
        ("all", all, "allowed", 0, "every request goes through canary waypoint shop/waypoint-canary (istio.io/use-waypoint-canary, weight 100), none through shop/waypoint (through it they would be denied): the hops and verdict shown are the canary's"),
        ("none", none, "denied", 1, "canary waypoint shop/waypoint-canary (istio.io/use-waypoint-canary) has weight 0: it takes no requests, all go through shop/waypoint (through the canary they would be allowed)"),
    ] {
        let d = world(
            &format!("check-weight-{case}"),
            &[
                &istiod("1.31.0"),
                &canary,
                &service(SPLIT, weight),
                &get_only("shop", TO_PRIMARY),
            ],
        );
        let (c, v) = check_post(&d);
        assert_eq!((c, v["verdict"].as_str()), (Some(code), Some(verdict)), "{case}: {v}");
        assert!(notes(&v).contains(note), "{case}: {}", notes(&v));
        let through: Vec<&str> = v["hops"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["component"] == "waypoint")
            .map(|h| h["name"].as_str().unwrap())
            .collect();
        let want = if case == "all" { "shop/waypoint-canary" } else { "shop/waypoint" };
        assert_eq!(through, [want], "{case}");
        // The matrix's cell for the same request.
        let o = run(&[
            "check", "-n", "shop", "--method", "POST", "-f", BASE, "-f",
            d.to_str().unwrap(), "-o", "json",
        ]);
        let m = json_of(&o);
        let cell = m["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["source"] == "deploy/shop/curl" && c["destination"] == "svc/shop/httpbin-split:8000")
            .unwrap_or_else(|| panic!("{case}: no cell in {}", m["cells"]));
        assert_eq!(cell["verdict"], verdict, "{case}: {cell}");
    }
}

/// A ServiceEntry splits its requests the same way (`services.go` builds the weighted
/// waypoints for ServiceEntries too).
#[test]
fn service_entries_get_the_canary_too() {
    let canary = waypoint("shop", "waypoint-canary", "service", false);
    let entry = format!(
        "apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: api
  namespace: shop
  labels: {{{SPLIT}}}
  annotations: {{istio.io/use-waypoint-canary-weight: \"25\"}}
spec:
  hosts: [api.example.com]
  ports:
  - {{number: 443, name: tls, protocol: TLS}}
  resolution: DNS
"
    );
    let d = world("entry", &[&istiod("1.31.0"), &canary, &entry]);
    let v = explain(&d);
    let api = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "api")
        .unwrap()
        .clone();
    assert_eq!(
        (api["kind"].as_str(), api["waypoint"].as_str()),
        (Some("ServiceEntry"), Some("shop/waypoint"))
    );
    assert_eq!(api["canary"]["weight"], 25, "{api}");
}

/// explain's paths and entries through each waypoint agree with check's primary and canary,
/// with the policy at one waypoint or at both.
#[test]
fn explain_and_check_agree_through_the_canary() {
    let canary = waypoint("shop", "waypoint-canary", "service", false);
    for (i, refs) in [TO_PRIMARY, TO_CANARY, TO_SERVICE].into_iter().enumerate() {
        let d = world(
            &format!("agree-{i}"),
            &[
                &istiod("1.31.0"),
                &canary,
                &service(SPLIT, TEN),
                &get_only("shop", refs),
            ],
        );
        let args = [BASE.to_string(), d.display().to_string()];
        let snap = ambient_policy::source::files::load(&args, "default").expect("loads");
        let t = support::consistency::all_agree(&snap, refs);
        assert!(t.compared > 0, "{refs}: nothing compared");
        support::consistency::report(&t, refs);
    }
}

/// With PILOT_AUTO_ALLOW_WAYPOINT_POLICY, the destination ztunnel holds the implicit ALLOW of
/// the primary waypoint only (`implicitWaypointPolicies` reads each Service's primary): the
/// requests through the canary match no ALLOW there and are denied.
#[test]
fn implicit_waypoint_allow_is_the_primarys_only() {
    let auto = &[("PILOT_AUTO_ALLOW_WAYPOINT_POLICY", "true")];
    let canary = waypoint("shop", "waypoint-canary", "service", false);
    let d = world(
        "auto-allow",
        &[&istiod_with("1.31.0", auto), &canary, &service(SPLIT, TEN)],
    );
    let (code, v) = check_post(&d);
    assert_eq!(
        (code, v["verdict"].as_str()),
        (Some(0), Some("allowed")),
        "{v}"
    );
    assert_eq!(v["canary"]["verdict"], "denied", "{}", v["canary"]);
    let last = v["canary"]["hops"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["component"], "ztunnel", "{last}");
    assert_eq!(
        last["sourceIdentity"],
        "spiffe://cluster.local/ns/shop/sa/waypoint-canary"
    );
    let held: Vec<&str> = last["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(held, ["istio_allow_waypoint_shop_waypoint"], "{last}");
}
