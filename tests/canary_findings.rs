//! The canary waypoint (Istio 1.31+) beyond explain's entries and check's single request: the
//! reachability matrix and the diagrams, which follow the primary waypoint and say so; AMB009
//! evaluated for policies at the canary; and AMB049, the destination ztunnel that admits the
//! primary waypoint's identity and refuses the canary's (PILOT_AUTO_ALLOW_WAYPOINT_POLICY's
//! implicit ALLOW names the primary only: `implicitWaypointPolicies` in
//! pilot/pkg/serviceregistry/ambient/workloads.go at 1.31.0-rc.0). Inputs are shaped as users
//! keep them: istiod's Deployment as Helm renders it, waypoints as `istioctl waypoint generate`
//! prints them, or as `kubectl get -o yaml` dumps them from a cluster (status and pods).

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

fn istiod(tag: &str, env: &[(&str, &str)]) -> String {
    support::helm::istio(&format!("docker.io/istio/pilot:{tag}"), None, env)
}

const AUTO: &[(&str, &str)] = &[("PILOT_AUTO_ALLOW_WAYPOINT_POLICY", "true")];

/// The canary as `istioctl waypoint generate --name waypoint-canary -n shop` prints it.
const CANARY_GENERATED: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  labels:
    istio.io/waypoint-for: service
  name: waypoint-canary
  namespace: shop
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE
status: {}
";

/// The same canary read from a cluster (`kubectl get gateway,pod -o yaml`): its observed
/// status and the pod istiod deployed for it, under its own service account.
const CANARY_LIVE: &str = "apiVersion: v1
kind: List
items:
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata:
    labels:
      istio.io/waypoint-for: service
    name: waypoint-canary
    namespace: shop
    resourceVersion: \"48213\"
    uid: 5f0c3b0e-2d7e-4b8e-9c61-0d2a9f1e7c11
  spec:
    gatewayClassName: istio-waypoint
    listeners:
    - allowedRoutes:
        namespaces:
          from: Same
      name: mesh
      port: 15008
      protocol: HBONE
  status:
    addresses:
    - type: IPAddress
      value: 10.96.141.20
    conditions:
    - {type: Accepted, status: \"True\", reason: Accepted}
    - {type: Programmed, status: \"True\", reason: Programmed}
- apiVersion: v1
  kind: Pod
  metadata:
    labels:
      gateway.networking.k8s.io/gateway-name: waypoint-canary
      istio.io/dataplane-mode: none
      service.istio.io/canonical-name: waypoint-canary
    name: waypoint-canary-6b9d7c5f4-x2x9q
    namespace: shop
  spec:
    serviceAccountName: waypoint-canary
    containers:
    - name: istio-proxy
      image: docker.io/istio/proxyv2:1.31.0
  status:
    phase: Running
    podIP: 10.244.1.37
";

/// Service `httpbin-split` (httpbin's pods) labelled for the primary and the canary, with
/// this weight annotation value.
fn split_service(weight: &str) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: httpbin-split
  namespace: shop
  labels:
    app: httpbin
    istio.io/use-waypoint: waypoint
    istio.io/use-waypoint-canary: waypoint-canary
  annotations:
    istio.io/use-waypoint-canary-weight: \"{weight}\"
spec:
  ports:
  - {{name: http, port: 8000, targetPort: 8080}}
  selector:
    app: httpbin
"
    )
}

/// An ALLOW of GET only, with these targetRefs (YAML flow sequence items).
fn get_only(refs: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: get-only
  namespace: shop
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

/// An ALLOW at httpbin's ztunnel admitting these principals.
fn ztunnel_allow(principals: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin-from-waypoints
  namespace: shop
spec:
  selector:
    matchLabels: {{app: httpbin}}
  action: ALLOW
  rules:
  - from:
    - source:
        principals: [{principals}]
"
    )
}

fn world(name: &str, docs: &[&str]) -> PathBuf {
    let d = scratch(&format!("canary-findings-{name}"));
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

/// (resource, message) of the findings of one code.
fn found(v: &Value, code: &str) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| {
            (
                f["resource"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn check(d: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "-f",
        BASE,
        "-f",
        d.to_str().unwrap(),
        "--color",
        "never",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// The matrix follows the primary waypoint: each cell of the split Service carries the
/// canary's verdict (`cells[].canary`), the text marks the cells where it differs and a note
/// names the destination; a Service targeted as a whole (both waypoints apply the policy)
/// marks nothing; httpbin, without a canary, has no `canary` and is not grouped with it.
#[test]
fn the_matrix_follows_the_primary_and_gives_the_canary() {
    // (policy targets, canary verdict for curl, marked)
    for (refs, canary_verdict, marked) in
        [(TO_PRIMARY, "allowed", true), (TO_SERVICE, "denied", false)]
    {
        let d = world(
            "matrix",
            &[
                &istiod("1.31.0", &[]),
                CANARY_GENERATED,
                &split_service("10"),
                &get_only(refs),
            ],
        );
        let o = check(
            &d,
            &[
                "-n", "shop", "--port", "8000", "--method", "POST", "-o", "json",
            ],
        );
        let m = json_of(&o);
        let cell = |src: &str, dst: &str| -> Value {
            m["cells"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["source"] == src && c["destination"] == dst)
                .unwrap_or_else(|| panic!("no cell {src} -> {dst}: {m}"))
                .clone()
        };
        let c = cell("deploy/shop/curl", "svc/shop/httpbin-split:8000");
        assert_eq!(c["verdict"], "denied", "{refs}: {c}");
        assert_eq!(c["canary"]["waypoint"], "shop/waypoint-canary", "{c}");
        assert_eq!(c["canary"]["weight"], 10);
        assert_eq!(c["canary"]["verdict"], canary_verdict, "{refs}: {c}");
        // No canary where the request crosses no waypoint, nor for a Service without one.
        assert!(cell("external", "svc/shop/httpbin-split:8000")["canary"].is_null());
        assert!(cell("deploy/shop/curl", "svc/shop/httpbin:8000")["canary"].is_null());
        let notes = m["assumptions"].to_string();
        assert!(
            notes.contains("a share of the requests to svc/shop/httpbin-split:8000 goes through a canary waypoint (istio.io/use-waypoint-canary): a cell's verdict is the primary waypoint's, or the canary's when it takes every request (weight 100)"),
            "{notes}"
        );
        let table = text(&check(&d, &["-n", "shop", "--port", "8000", "--method", "POST"]).stdout);
        let star = table.lines().any(|l| l.contains("DENY*"));
        assert_eq!(star, marked, "{refs}:\n{table}");
        assert_eq!(
            table.contains("*: the primary waypoint's verdict"),
            marked,
            "{table}"
        );
        let rows = text(
            &check(
                &d,
                &["--to", "svc/shop/httpbin-split:8000", "--method", "POST"],
            )
            .stdout,
        );
        assert_eq!(
            rows.contains("denied (canary 10%: allowed)"),
            marked,
            "{refs}:\n{rows}"
        );
    }
}

/// The diagram draws the primary's hops; its verdict node says so and gives the canary's
/// share and verdict. Before 1.31 there is no canary to mention.
#[test]
fn diagrams_say_they_draw_the_primary() {
    for (tag, canary) in [("1.31.0", true), ("1.30.3", false)] {
        let d = world(
            "diagram",
            &[
                &istiod(tag, &[]),
                CANARY_GENERATED,
                &split_service("10"),
                &get_only(TO_PRIMARY),
            ],
        );
        for format in ["mermaid", "dot"] {
            let o = check(
                &d,
                &[
                    "--from",
                    "deploy/shop/curl",
                    "--to",
                    "svc/shop/httpbin-split:8000",
                    "--method",
                    "POST",
                    "-o",
                    format,
                ],
            );
            let out = text(&o.stdout);
            assert_eq!(
                out.contains("drawn: the primary waypoint's 90% of the requests")
                    && out.contains("canary shop/waypoint-canary (10%): allowed"),
                canary,
                "{tag} {format}:\n{out}"
            );
            assert!(!out.contains("waypoint shop/waypoint-canary<br/>"), "{out}");
        }
    }
}

/// AMB009 through the canary: a policy at the canary alone is bypassed by the same routes and
/// said to be at the canary; a policy at both waypoints gives one finding naming both; a
/// canary of weight 0 takes no request and is not reported; before 1.31 there is no canary.
#[test]
fn waypoint_bypass_through_the_canary() {
    // (istiod, policy targets, weight, the AMB009 message's start, or none)
    let cases = [
        ("1.31.0", TO_CANARY, "10", Some("at canary waypoint shop/waypoint-canary (istio.io/use-waypoint-canary) this policy sees only traffic addressed to Service httpbin-split")),
        ("1.31.0", TO_SERVICE, "10", Some("at waypoint shop/waypoint and its canary shop/waypoint-canary this policy")),
        ("1.31.0", TO_PRIMARY, "10", Some("at waypoint shop/waypoint this policy")),
        ("1.31.0", TO_CANARY, "0", None),
        ("1.30.3", TO_CANARY, "10", None),
    ];
    for (tag, refs, weight, want) in cases {
        let d = world(
            "bypass",
            &[
                &istiod(tag, &[]),
                CANARY_GENERATED,
                &split_service(weight),
                &get_only(refs),
            ],
        );
        let got = found(&explain(&d), "AMB009");
        match want {
            Some(start) => {
                assert_eq!(got.len(), 1, "{tag} {refs} {weight}: {got:?}");
                assert_eq!(got[0].0, "AuthorizationPolicy/shop/get-only");
                assert!(got[0].1.starts_with(start), "{tag} {refs}: {}", got[0].1);
                assert!(got[0].1.contains("sidecar clients"), "{}", got[0].1);
            }
            None => assert!(got.is_empty(), "{tag} {refs} {weight}: {got:?}"),
        }
    }
    // Near miss: the destination ztunnel admits both waypoints only: nothing bypasses them.
    let d = world(
        "bypass-guarded",
        &[
            &istiod("1.31.0", &[]),
            CANARY_GENERATED,
            &split_service("10"),
            &get_only(TO_CANARY),
            &ztunnel_allow(
                "cluster.local/ns/shop/sa/waypoint, cluster.local/ns/shop/sa/waypoint-canary",
            ),
        ],
    );
    assert!(found(&explain(&d), "AMB009").is_empty());
}

/// AMB049 over the release boundary and the shapes of input: with the implicit ALLOW (or an
/// ALLOW written for the primary alone) the canary's 10% are denied at httpbin's ztunnel; an
/// ALLOW that admits the canary too, the flag off, weight 0, or 1.30.3 (no canary) say
/// nothing. `check` agrees: the canary's verdict is denied exactly where AMB049 fires.
#[test]
fn the_canary_refused_by_the_destination_ztunnel() {
    let both = "cluster.local/ns/shop/sa/waypoint, cluster.local/ns/shop/sa/waypoint-canary";
    let primary_only = ztunnel_allow("cluster.local/ns/shop/sa/waypoint");
    let admits_both = ztunnel_allow(both);
    // (case, istiod, env, canary shape, weight, extra, AMB049 fires, implicit named)
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
        &'a str,
        &'a str,
        bool,
        bool,
    );
    let cases: &[Case] = &[
        (
            "auto",
            "1.31.0",
            AUTO,
            CANARY_GENERATED,
            "10",
            "",
            true,
            true,
        ),
        (
            "auto-rc",
            "1.31.0-rc.0",
            AUTO,
            CANARY_GENERATED,
            "10",
            "",
            true,
            true,
        ),
        (
            "auto-live",
            "1.31.0",
            AUTO,
            CANARY_LIVE,
            "10",
            "",
            true,
            true,
        ),
        (
            "written",
            "1.31.0",
            &[],
            CANARY_GENERATED,
            "10",
            &primary_only,
            true,
            false,
        ),
        (
            "written-live",
            "1.31.0",
            &[],
            CANARY_LIVE,
            "25",
            &primary_only,
            true,
            false,
        ),
        (
            "admits-both",
            "1.31.0",
            AUTO,
            CANARY_LIVE,
            "10",
            &admits_both,
            false,
            false,
        ),
        (
            "flag-off",
            "1.31.0",
            &[],
            CANARY_GENERATED,
            "10",
            "",
            false,
            false,
        ),
        (
            "weight-0",
            "1.31.0",
            AUTO,
            CANARY_GENERATED,
            "0",
            "",
            false,
            false,
        ),
        (
            "1.30",
            "1.30.3",
            AUTO,
            CANARY_GENERATED,
            "10",
            "",
            false,
            false,
        ),
        (
            "1.30-live",
            "1.30.3",
            AUTO,
            CANARY_LIVE,
            "10",
            "",
            false,
            false,
        ),
    ];
    for &(case, tag, env, canary, weight, extra, fires, implicit) in cases {
        let d = world(
            &format!("denied-{case}"),
            &[&istiod(tag, env), canary, &split_service(weight), extra],
        );
        let got = found(&explain(&d), "AMB049");
        assert_eq!(!got.is_empty(), fires, "{case}: {got:?}");
        if fires {
            assert_eq!(got.len(), 1, "{case}: {got:?}");
            let (res, msg) = &got[0];
            assert_eq!(res, "Service/shop/httpbin-split", "{case}");
            assert!(
                msg.starts_with(&format!("the {weight}% of the requests to Service shop/httpbin-split that go through canary waypoint shop/waypoint-canary are denied by the destination ztunnel of httpbin")),
                "{case}: {msg}"
            );
            assert!(
                msg.contains("cluster.local/ns/shop/sa/waypoint-canary"),
                "{msg}"
            );
            assert_eq!(
                msg.contains("PILOT_AUTO_ALLOW_WAYPOINT_POLICY istiod attaches the implicit ALLOW of the Service's primary waypoint only"),
                implicit,
                "{case}: {msg}"
            );
        }
        let o = check(
            &d,
            &[
                "--from",
                "deploy/shop/curl",
                "--to",
                "svc/shop/httpbin-split:8000",
                "-o",
                "json",
            ],
        );
        let v = json_of(&o);
        assert_eq!(v["verdict"], "allowed", "{case}: {v}");
        if weight != "0" && tag.starts_with("1.31") {
            let cv = if fires { "denied" } else { "allowed" };
            assert_eq!(v["canary"]["verdict"], cv, "{case}: {}", v["canary"]);
        }
    }
}

/// AMB049's fix names the canary's identity and the policy that denies it, and speaks of
/// PILOT_AUTO_ALLOW_WAYPOINT_POLICY only when its implicit ALLOW is what denies; the bypass
/// guard that admits only the primary (AMB028) no longer says "nothing to do" when it denies
/// the canary. Near miss: a guard that admits both waypoints keeps AMB028's plain advice.
#[test]
fn the_canary_denial_fix_names_the_identity_and_the_guard_agrees() {
    let canary_id = "cluster.local/ns/shop/sa/waypoint-canary";
    let of = |v: &Value, code: &str| -> Vec<(String, String)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code)
            .map(|f| {
                (
                    f["message"].as_str().unwrap().to_string(),
                    f["resolution"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let primary_only = ztunnel_allow("cluster.local/ns/shop/sa/waypoint");
    let d = world(
        "fix-written",
        &[
            &istiod("1.31.0", &[]),
            CANARY_GENERATED,
            &split_service("10"),
            &primary_only,
        ],
    );
    let v = explain(&d);
    let denied = of(&v, "AMB049");
    assert_eq!(denied.len(), 1, "{denied:?}");
    let fix = &denied[0].1;
    assert!(fix.contains(canary_id), "{fix}");
    assert!(
        fix.contains("AuthorizationPolicy shop/httpbin-from-waypoints"),
        "{fix}"
    );
    assert!(!fix.contains("PILOT_AUTO_ALLOW_WAYPOINT_POLICY"), "{fix}");
    assert!(!fix.contains("TRUST_DOMAIN"), "{fix}");
    let guard = of(&v, "AMB028");
    assert_eq!(guard.len(), 1, "{guard:?}");
    assert!(
        guard[0].0.ends_with("but it also denies canary waypoint shop/waypoint-canary (cluster.local/ns/shop/sa/waypoint-canary), which takes 10% of the requests to Service shop/httpbin-split (AMB049)"),
        "{}",
        guard[0].0
    );
    assert!(!guard[0].1.starts_with("Nothing to do"), "{}", guard[0].1);
    // AMB049 says it for the canary; AMB027 does not say it again.
    let again: Vec<_> = of(&v, "AMB027")
        .into_iter()
        .filter(|(m, _)| m.contains("through waypoint shop/waypoint-canary is denied"))
        .collect();
    assert!(again.is_empty(), "{again:?}");
    assert!(guard[0].1.contains(canary_id), "{}", guard[0].1);

    let d = world(
        "fix-auto",
        &[
            &istiod("1.31.0", AUTO),
            CANARY_GENERATED,
            &split_service("10"),
        ],
    );
    let denied = of(&explain(&d), "AMB049");
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert!(
        denied[0]
            .1
            .contains(&format!("from.source.principals [{canary_id}]")),
        "{}",
        denied[0].1
    );
    assert!(
        denied[0].1.contains("PILOT_AUTO_ALLOW_WAYPOINT_POLICY"),
        "{}",
        denied[0].1
    );

    // At weight 0 (AMB049's other fix) the canary takes no request: nothing is said of it.
    let d = world(
        "fix-weight-0",
        &[
            &istiod("1.31.0", &[]),
            CANARY_GENERATED,
            &split_service("0"),
            &primary_only,
        ],
    );
    let v = explain(&d);
    assert!(of(&v, "AMB049").is_empty());
    let canary_said: Vec<_> = (v["findings"].as_array().unwrap().iter())
        .filter(|f| f["message"].as_str().unwrap().contains("waypoint-canary"))
        .collect();
    assert!(canary_said.is_empty(), "{canary_said:?}");

    let both = ztunnel_allow(&format!("cluster.local/ns/shop/sa/waypoint, {canary_id}"));
    let d = world(
        "fix-both",
        &[
            &istiod("1.31.0", &[]),
            CANARY_GENERATED,
            &split_service("10"),
            &both,
        ],
    );
    let v = explain(&d);
    assert!(of(&v, "AMB049").is_empty());
    for (msg, fix) in of(&v, "AMB028") {
        assert!(!msg.contains("also denies"), "{msg}");
        assert!(fix.starts_with("Nothing to do"), "{fix}");
    }
}
