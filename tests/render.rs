//! The text report as a user reads it, on bookinfo as users keep it (tests/fixtures/bookinfo/):
//! how workloads, identities, bindings and istiod's flags are named in the tables and in
//! `check`. Each test runs the binary as a user would.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("binary runs")
}

/// `explain ARGS -o json`.
fn json(args: &[&str]) -> Value {
    let mut a = vec!["explain"];
    a.extend(args);
    a.extend(["-o", "json"]);
    let o = run(&a);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

/// The text report, as a user reads it.
fn text(cmd: &str, args: &[&str]) -> String {
    let mut a = vec![cmd];
    a.extend(args);
    a.extend(["--color", "never"]);
    let o = run(&a);
    String::from_utf8(o.stdout).unwrap()
}

/// A file or directory of tests/fixtures/bookinfo.
fn bookinfo(name: &str) -> String {
    format!("tests/fixtures/bookinfo/{name}")
}

/// A file of tests/fixtures/findings.
fn findings_fixture(name: &str) -> String {
    format!("tests/fixtures/findings/{name}")
}

/// A Service labelled `istio.io/use-waypoint: none` has a BINDINGS row saying so.
#[test]
fn opted_out_service_is_listed_in_bindings() {
    let out = text("explain", &["-f", &bookinfo("opted-out")]);
    let bindings = out
        .split("BINDINGS")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .unwrap();
    let row = bindings
        .lines()
        .find(|l| l.starts_with("Service/default/ratings "))
        .unwrap_or_else(|| panic!("{bindings}"));
    assert!(row.contains("none (opted out)"), "{row}");
    let v = json(&["-f", &bookinfo("opted-out")]);
    let ratings = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "ratings")
        .unwrap();
    assert_eq!(ratings["optedOut"], true);
}

/// A workload bound to a waypoint, or whose `use-waypoint` label binds nothing, has a
/// BINDINGS row with the waypoint or the reason, as its JSON says: in a report narrowed to
/// one namespace (its workloads held) and in one over several (its workloads drawn as they
/// are built).
#[test]
fn workloads_with_a_waypoint_binding_are_listed_in_bindings() {
    let bound = "tests/fixtures/waypoints/workload-waypoint.yaml".to_string();
    for dir in [bookinfo("opted-out"), findings_fixture(""), bound] {
        let v = json(&["-f", &dir]);
        let want: Vec<(String, &str)> = (v["workloads"].as_array().unwrap().iter())
            .filter_map(|w| {
                let name = format!("{}/{}/{}", w["kind"], w["namespace"], w["name"]);
                let binding = w["waypoint"].as_str().or(w["waypointError"].as_str())?;
                Some((name.replace('"', ""), binding))
            })
            .collect();
        assert!(!want.is_empty(), "{dir}");
        let out = text("explain", &["-f", &dir]);
        let bindings: Vec<&str> = (out.split("\nBINDINGS\n").nth(1))
            .and_then(|s| s.split("\n\n").next())
            .unwrap_or_else(|| panic!("{out}"))
            .lines()
            .filter(|l| !l.starts_with("Service/") && !l.starts_with("TARGET "))
            .collect();
        assert_eq!(bindings.len(), want.len(), "{dir}: {bindings:#?}");
        for (row, (name, binding)) in bindings.iter().zip(&want) {
            let (first, rest) = row.split_once(' ').unwrap_or((row, ""));
            assert_eq!(first, name, "{dir}: {row}");
            // The waypoint or the reason, then no ingress and no istiod status.
            let rest: Vec<&str> = rest.split_whitespace().collect();
            assert_eq!(rest.join(" "), format!("{binding} - -"), "{dir}: {row}");
        }
    }
}

/// A `kubectl get -o yaml` dump beside manifests: every workload is `Kind/ns/name`, live pods
/// `Pod/ns/name`, under one WORKLOAD header, as in PATHS and findings.
#[test]
fn workloads_are_named_one_way() {
    let out = text(
        "explain",
        &[
            "-f",
            &bookinfo("dump-default.yaml"),
            "-f",
            &bookinfo("base/bookinfo.yaml"),
            "-f",
            &bookinfo("base/curl.yaml"),
        ],
    );
    let table = out
        .split("\nWORKLOADS\n")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .unwrap();
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("WORKLOAD "), "{table}");
    let names: Vec<&str> = lines
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(
        names.contains(&"Pod/default/curl-7f6d8b9c5-uvwxy"),
        "{names:?}"
    );
    assert!(
        names.contains(&"Deployment/default/reviews-v2"),
        "{names:?}"
    );
    assert!(names.iter().all(|n| n.split('/').count() == 3), "{names:?}");
    // The same name heads its paths.
    assert!(
        out.contains("\nPod/default/curl-7f6d8b9c5-uvwxy\n"),
        "{out}"
    );
}

/// `check` names the source as its hop does, and identities in the principal form users
/// paste into policies (no `spiffe://`).
#[test]
fn check_names_the_source_as_its_hop_and_principals_plainly() {
    let (base, docs) = (bookinfo("base"), bookinfo("docs"));
    let args = [
        "-f",
        &base,
        "-f",
        &docs,
        "--from",
        "pod/default/curl",
        "--to",
        "svc/default/productpage",
    ];
    let out = text("check", &args);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "check Deployment/default/curl -> Service/default/productpage:9080"
    );
    assert!(
        out.contains("hop 0  client-ztunnel  Deployment/default/curl"),
        "{out}"
    );
    assert!(
        out.contains("identity cluster.local/ns/default/sa/curl\n"),
        "{out}"
    );
    assert!(!out.contains("spiffe://"), "{out}");
    // The matrix: Kind/ns/name rows, principals at each hop.
    let m = text(
        "check",
        &[
            "-f",
            &base,
            "-f",
            &docs,
            "--to",
            "svc/default/productpage",
            "--port",
            "9080",
        ],
    );
    assert!(m.contains("to Service/default/productpage:9080"), "{m}");
    assert!(m.contains("\nDeployment/default/curl "), "{m}");
    assert!(
        m.contains("ztunnel=cluster.local/ns/default/sa/waypoint"),
        "{m}"
    );
    assert!(!m.contains("pod/") && !m.contains("deploy/"), "{m}");
}

/// The WAYPOINTS table shows the identity as a principal, trust domain included.
#[test]
fn waypoint_identity_is_a_principal() {
    let out = text(
        "explain",
        &["-f", &bookinfo("base"), "-f", &bookinfo("docs")],
    );
    let row = out
        .lines()
        .find(|l| l.starts_with("default/waypoint "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains(" cluster.local/ns/default/sa/waypoint "),
        "{row}"
    );
}

/// A flag set on istiod is listed, and the line after it says the *other* flags are at their
/// defaults.
#[test]
fn other_feature_flags_at_defaults() {
    let out = text(
        "explain",
        &[
            "-n",
            "shop",
            "-f",
            &findings_fixture("ports.yaml"),
            "-f",
            &findings_fixture("istio.yaml"),
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("PILOT_AUTO_ALLOW_WAYPOINT_POLICY"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(lines[i].contains("true") && lines[i].contains("Deployment istio-system/istiod"));
    assert!(
        out.contains("\nother istiod feature flags at Istio defaults (-o wide lists them)\n"),
        "{out}"
    );
    let out = text(
        "explain",
        &["-n", "shop", "-f", &findings_fixture("ports.yaml")],
    );
    assert!(
        out.contains("\nistiod feature flags at Istio defaults (-o wide lists them)\n"),
        "{out}"
    );
}

/// Status columns show each condition compactly (`Accepted: Pending`) and never wrap one over
/// several lines; at 100 columns the WAYPOINTS table of a waypoint istiod has not programmed
/// yet fits.
#[test]
fn status_conditions_stay_whole_at_100_columns() {
    let o = Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("COLUMNS", "100")
        .args(["explain", "-f", "tests/fixtures/waypoints/pending.yaml"])
        .args(["--color", "never"])
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    for l in out.lines() {
        assert!(
            l.chars().count() <= 100,
            "wider than 100 columns: {l}\n{out}"
        );
    }
    let section = |name: &str| -> Vec<&str> {
        out.split(&format!("\n{name}\n"))
            .nth(1)
            .and_then(|s| s.split("\n\n").next())
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .lines()
            .collect()
    };
    let waypoints = section("WAYPOINTS");
    // Each condition whole, at the end of its line (the column wraps between conditions).
    let ends = |want: &str| waypoints.iter().any(|l| l.trim_end().ends_with(want));
    assert!(
        ends("Accepted: Pending,") && ends("Programmed: Pending"),
        "{waypoints:#?}"
    );
    assert!(!out.contains("Unknown") && !out.contains("=False"), "{out}");
    let bindings = section("BINDINGS");
    assert!(
        bindings[1].ends_with("WaypointBound: WaypointIsNotReady"),
        "{bindings:#?}"
    );
}
