//! `check` end to end on the bundled example: every source class, the verdict and the
//! deciding policy, the JSON contract, exit codes, bad input; the matrix against a golden file.

// Table tests read best as tuples.
#![allow(clippy::type_complexity)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLE: &str = "examples/bookinfo";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// `check -f DIR --from F --to T EXTRA... -o json`: (exit code, JSON).
fn check_json(dir: &str, from: &str, to: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "-f", dir, "--from", from, "--to", to, "-o", "json"];
    args.extend_from_slice(extra);
    let o = run(&args);
    let code = o.status.code().unwrap();
    let v: Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stderr(&o)));
    (code, v)
}

/// (verdict, reason, deciding policy name, component of the deciding hop)
fn summary(v: &Value) -> (String, String, String, String) {
    let by = &v["decidedBy"];
    let hop = by["hop"]
        .as_u64()
        .map(|h| {
            v["hops"][h as usize]["component"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .unwrap_or_default();
    (
        v["verdict"].as_str().unwrap().into(),
        by["reason"].as_str().unwrap().into(),
        by["policy"]["name"].as_str().unwrap_or("").into(),
        hop,
    )
}

/// (case, from, to, extra flags, exit code, verdict, reason, deciding policy, deciding hop)
type Case<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a [&'a str],
    i32,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

/// One line per source class: the request, then exit code, verdict, reason, policy, hop.
#[test]
fn every_source_class_on_the_example() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("pod: HTTP-only ALLOW by selector, ztunnel denies all (AMB001)", "pod/default/productpage-v1-7c9f8d6b5-abcde", "svc/default/reviews:9080", &["--method", "GET"], 1, "denied", "no-allow-matched", "", "ztunnel"),
        ("NS/NAME is a pod too", "default/productpage-v1-7c9f8d6b5-abcde", "svc/default/reviews", &[], 1, "denied", "no-allow-matched", "", "ztunnel"),
        ("deploy: reviews may call ratings (L4 ALLOW, no waypoint)", "deploy/default/reviews-v1", "svc/default/ratings:9080", &[], 0, "allowed", "allow-matched", "ratings-from-reviews", "ztunnel"),
        ("sa: details is not the principal ratings allows", "sa/default/bookinfo-details", "svc/default/ratings", &[], 1, "denied", "no-allow-matched", "", "ztunnel"),
        ("ingress through the waypoint: ztunnel sees its identity (AMB006)", "ingress", "svc/default/productpage", &["--method", "GET", "--path", "/productpage"], 1, "denied", "no-allow-matched", "", "ztunnel"),
        ("ingress by Gateway name", "ingress/default/bookinfo-gateway", "svc/default/productpage:9080", &[], 1, "denied", "no-allow-matched", "", "ztunnel"),
        ("external: plaintext meets the mesh-wide STRICT", "external", "svc/default/reviews", &[], 1, "denied", "mtls-required", "default", "ztunnel"),
        ("external: ratings PERMISSIVE, its ALLOW wants reviews", "external", "svc/default/ratings", &[], 1, "denied", "no-allow-matched", "", "ztunnel"),
        ("a pod outside the mesh is a plaintext client", "pod/default/legacy-v1-4a3b2c1d0-zzzzz", "svc/default/reviews", &[], 1, "denied", "mtls-required", "default", "ztunnel"),
        ("nothing enforces policy at a pod outside the mesh", "deploy/default/productpage-v1", "svc/default/legacy:9080", &[], 0, "allowed", "no-policy-denies", "", ""),
        ("details' waypoint does not exist: no ztunnel policy denies", "deploy/default/productpage-v1", "details.default.svc.cluster.local:9080", &[], 0, "allowed", "no-policy-denies", "", "ztunnel"),
        ("by pod IP: no waypoint, the same ztunnel denies", "deploy/default/productpage-v1", "pod/default/reviews-v2-6d9c7b8f5-klmno:9080", &[], 1, "denied", "no-allow-matched", "", "ztunnel"),
    ];
    for (case, from, to, extra, code, verdict, reason, policy, hop) in cases {
        let (c, v) = check_json(EXAMPLE, from, to, extra);
        let (vd, r, p, h) = summary(&v);
        assert_eq!(
            (c, vd.as_str(), r.as_str(), p.as_str(), h.as_str()),
            (*code, *verdict, *reason, *policy, *hop),
            "{case}: {from} -> {to}: {v:#}"
        );
        if r == "no-allow-matched" {
            assert!(
                !v["decidedBy"]["allowPolicies"]
                    .as_array()
                    .unwrap()
                    .is_empty(),
                "{case}: {from} -> {to}: names the ALLOW policies"
            );
        }
    }
}

/// The output contract of `-o json`.
#[test]
fn json_contract() {
    let (code, v) = check_json(
        EXAMPLE,
        "ingress",
        "svc/default/productpage:9080",
        &[
            "--method",
            "GET",
            "--path",
            "/productpage",
            "--header",
            "X-Debug:false",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(v["apiVersion"], "ambient-policy/v1alpha1");
    assert_eq!(v["kind"], "Check");
    let req = &v["request"];
    assert_eq!(req["source"], "ingress/default/bookinfo-gateway");
    assert_eq!(req["destination"], "svc/default/productpage:9080");
    assert_eq!(req["port"], 9080);
    assert_eq!(req["method"], "GET");
    assert_eq!(req["path"], "/productpage");
    assert_eq!(req["headers"]["x-debug"], "false");
    let comps: Vec<&str> = v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["component"].as_str().unwrap())
        .collect();
    assert_eq!(comps, ["ingress-gateway", "waypoint", "ztunnel"]);
    let wp = &v["hops"][1];
    assert_eq!(wp["name"], "default/waypoint");
    // The waypoint sees the gateway; the ztunnel behind it sees the waypoint.
    assert_eq!(
        wp["sourceIdentity"],
        "spiffe://cluster.local/ns/default/sa/bookinfo-gateway-istio"
    );
    assert_eq!(
        v["hops"][2]["sourceIdentity"],
        "spiffe://cluster.local/ns/default/sa/waypoint"
    );
    assert_eq!(wp["decision"], "allow");
    for h in v["hops"].as_array().unwrap() {
        for k in [
            "component",
            "name",
            "sourceIdentity",
            "mtls",
            "decision",
            "policies",
        ] {
            assert!(h.get(k).is_some(), "hop without {k}: {h}");
        }
        for p in h["policies"].as_array().unwrap() {
            for k in ["kind", "namespace", "name", "action", "result", "reason"] {
                assert!(p.get(k).is_some(), "policy without {k}: {p}");
            }
        }
    }
    let viewer = wp["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "productpage-viewer")
        .unwrap();
    assert_eq!(viewer["result"], "match");
    assert_eq!(v["decidedBy"]["hop"], 2);
    assert_eq!(v["decidedBy"]["reason"], "no-allow-matched");
    assert_eq!(
        v["decidedBy"]["allowPolicies"][0]["name"],
        "productpage-from-ingress"
    );
    // YAML says the same.
    let o = run(&[
        "check",
        "-f",
        EXAMPLE,
        "--from",
        "ingress",
        "--to",
        "svc/default/productpage:9080",
        "--method",
        "GET",
        "--path",
        "/productpage",
        "--header",
        "X-Debug:false",
        "-o",
        "yaml",
    ]);
    let y: Value = serde_saphyr::from_str(&stdout(&o)).unwrap();
    assert_eq!(y, v);
}

/// A fixture with a waypoint whose policy depends on a header: unknown until it is given.
fn header_fixture() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-header");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("mesh.yaml"),
        r#"apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop, labels: {istio.io/waypoint-for: service}}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
status: {addresses: [{type: IPAddress, value: 10.96.0.9}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, labels: {istio.io/use-waypoint: waypoint}}
spec: {selector: {app: api}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-5d8f7c6b9-aaaaa, namespace: shop, labels: {app: api, pod-template-hash: 5d8f7c6b9}}
spec: {serviceAccountName: api}
---
apiVersion: v1
kind: Pod
metadata: {name: web-6c7d8e9f0-bbbbb, namespace: shop, labels: {app: web, pod-template-hash: 6c7d8e9f0}}
spec: {serviceAccountName: web}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-users, namespace: shop}
spec:
  targetRefs: [{kind: Service, group: "", name: api}]
  rules:
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/web"]}}]
    to: [{operation: {methods: [GET], paths: ["/v1/*"]}}]
    when: [{key: "request.headers[x-user]", values: [alice]}]
"#,
    )
    .unwrap();
    d
}

#[test]
fn unknown_until_the_attribute_is_given() {
    let d = header_fixture();
    let dir = d.to_str().unwrap();
    let from = "deploy/shop/web";
    #[rustfmt::skip]
    let cases: &[(&str, &[&str], i32, &str, &[&str])] = &[
        ("nothing given",                   &[], 4, "unknown", &["request.headers[x-user]", "request.method", "request.path"]),
        ("method and path, no header",      &["--method", "GET", "--path", "/v1/items"], 4, "unknown", &["request.headers[x-user]"]),
        ("the header admitted",             &["--method", "GET", "--path", "/v1/items", "--header", "x-user: alice"], 0, "allowed", &[]),
        ("another header value",            &["--method", "GET", "--path", "/v1/items", "--header", "X-User:bob"], 1, "denied", &[]),
        ("another method: no path needed",  &["--method", "POST", "--header", "x-user:alice"], 1, "denied", &[]),
    ];
    for (case, extra, code, verdict, needs) in cases {
        let (c, v) = check_json(dir, from, "svc/shop/api:80", extra);
        assert_eq!(
            (c, v["verdict"].as_str().unwrap()),
            (*code, *verdict),
            "{case}: {extra:?}: {v:#}"
        );
        let got: Vec<&str> = v["decidedBy"]["needs"]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(got, *needs, "{case}: {extra:?}");
    }
    // The waypoint evaluates the Service port; ztunnel the target port.
    let (_, v) = check_json(dir, from, "svc/shop/api:80", &[]);
    assert_eq!(v["request"]["targetPort"], 8080);
    // The trace marks the deciding line and says what is missing.
    let o = run(&[
        "check",
        "-f",
        dir,
        "--from",
        from,
        "--to",
        "svc/shop/api",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(4));
    let out = stdout(&o);
    assert!(out.contains("verdict UNKNOWN"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with(">> ALLOW") && l.contains("api-users")),
        "the policy that cannot tell is marked: {out}"
    );
    assert!(out.contains("request.headers[x-user]"), "{out}");
}

/// Bad input: one line, exit 2, before anything is read.
#[test]
fn bad_input_is_one_line_exit_2() {
    #[rustfmt::skip]
    let cases: &[(&str, &[&str], &str)] = &[
        ("source kind unknown",          &["--from", "configmap/a/b/c", "--to", "svc/default/reviews"], "unknown source"),
        ("source unparsable",            &["--from", "nonsense", "--to", "svc/default/reviews"], "unknown source"),
        ("source Deployment missing",    &["--from", "deploy/default/nope", "--to", "svc/default/reviews"], "was not found"),
        ("source pod missing",           &["--from", "pod/default/nope", "--to", "svc/default/reviews"], "was not found"),
        ("destination Service missing",  &["--from", "external", "--to", "svc/default/nope"], "was not found"),
        ("destination port not exposed", &["--from", "external", "--to", "svc/default/reviews:80"], "does not expose port 80"),
        ("header without a value",       &["--from", "external", "--to", "svc/default/reviews", "--header", "x-user"], "want NAME:VALUE"),
        ("port not a number",            &["--from", "external", "--to", "svc/default/reviews:x"], "invalid port"),
        ("destination bare name",        &["--from", "external", "--to", "reviews"], "unknown destination"),
        ("--port disagrees with :port",  &["--from", "external", "--to", "svc/default/reviews:9080", "--port", "80"], "--port says 80"),
        ("--source-ip not an IP",        &["--from", "external", "--to", "svc/default/reviews", "--source-ip", "x"], "invalid --source-ip"),
        ("--path not absolute",          &["--from", "external", "--to", "svc/default/reviews", "--path", "api"], "invalid --path"),
        ("destination host unknown",     &["--from", "external", "--to", "nosuch.example.com"], "was not found"),
    ];
    for (case, args, msg) in cases {
        let mut all = vec!["check", "-f", EXAMPLE];
        all.extend_from_slice(args);
        let o = run(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{case}: {args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(msg),
            "{case}: {args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{case}: {args:?}: {err}");
        assert!(stdout(&o).is_empty());
    }
}

/// The truth table of the example, and its JSON with every cell.
#[test]
fn matrix_on_the_example() {
    let o = run(&[
        "check", "-f", EXAMPLE, "--port", "9080", "--method", "GET", "--path", "/", "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("matrix_table", stdout(&o));
    let o = run(&[
        "check",
        "-f",
        EXAMPLE,
        "--to",
        "svc/default/ratings:9080",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("matrix_to_ratings", stdout(&o));

    let o = run(&["check", "-f", EXAMPLE, "--port", "9080", "-o", "json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["kind"], "ReachabilityMatrix");
    let (s, d) = (
        v["sources"].as_array().unwrap().len(),
        v["destinations"].as_array().unwrap().len(),
    );
    assert_eq!(v["cells"].as_array().unwrap().len(), s * d);
    // Each cell agrees with a single check of the same pair.
    let cell = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["source"] == "deploy/default/reviews-v1"
                && c["destination"] == "svc/default/ratings:9080"
        })
        .unwrap();
    assert_eq!(cell["verdict"], "allowed");
    assert_eq!(cell["policy"]["name"], "ratings-from-reviews");
    let (_, one) = check_json(
        EXAMPLE,
        "deploy/default/reviews-v2",
        "svc/default/ratings:9080",
        &[],
    );
    assert_eq!(one["verdict"], cell["verdict"]);
    // reviews-v2 shares reviews-v1's identity: one row for both.
    let row = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["source"] == "deploy/default/reviews-v1")
        .unwrap();
    assert_eq!(row["members"].as_array().unwrap().len(), 2);
    // --pod-ip adds every workload pod as a destination by IP.
    let o = run(&[
        "check", "-f", EXAMPLE, "--port", "9080", "--pod-ip", "-o", "json",
    ]);
    let p: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let pods = p["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d.as_str().unwrap().starts_with("pod/"))
        .count();
    assert_eq!(pods, 6, "{}", p["destinations"]);
    // Diagrams need one request.
    let o = run(&["check", "-f", EXAMPLE, "-o", "mermaid"]);
    assert_eq!(o.status.code(), Some(2));
}

/// docs/check.md shows real output of the example: it must stay what the binary prints.
#[test]
fn docs_show_real_output() {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/check.md"))
        .unwrap();
    #[rustfmt::skip]
    let cases: &[(&str, &[&str])] = &[
        ("productpage to reviews",         &["--from", "deploy/default/productpage-v1", "--to", "svc/default/reviews:9080", "--method", "GET", "--path", "/reviews/1"]),
        ("ingress through the waypoint",   &["--from", "ingress", "--to", "svc/default/productpage", "--method", "GET", "--path", "/productpage"]),
        ("matrix to one Service",          &["--to", "svc/default/ratings:9080"]),
        ("matrix on port 9080, GET /",     &["--port", "9080", "--method", "GET", "--path", "/"]),
        ("trace as a Mermaid diagram",     &["--from", "ingress", "--to", "svc/default/productpage", "--method", "GET", "--path", "/productpage", "-o", "mermaid"]),
    ];
    for (case, args) in cases {
        let mut all = vec!["check", "-f", EXAMPLE, "--color", "never"];
        all.extend_from_slice(args);
        let out = stdout(&run(&all));
        assert!(
            page.contains(out.trim_end()),
            "docs/check.md is out of date for {case} ({args:?}):\n{out}"
        );
    }
}

/// Sidecar clients bypass waypoints; a sidecar destination evaluates the whole policy
/// (HTTP included) under the identity it sees; a classic ingress Deployment is a source;
/// `--plaintext` sends as a client outside the mesh.
fn sidecar_fixture() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-sidecar");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("mesh.yaml"),
        r#"apiVersion: v1
kind: Namespace
metadata: {name: amb, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Namespace
metadata: {name: side, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: amb}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
status: {addresses: [{type: IPAddress, value: 10.96.0.9}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: amb, labels: {istio.io/use-waypoint: waypoint}}
spec: {selector: {app: api}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-5d8f7c6b9-aaaaa, namespace: amb, labels: {app: api}}
spec: {serviceAccountName: api}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-deletes, namespace: amb}
spec:
  targetRefs: [{kind: Service, group: "", name: api}]
  action: DENY
  rules: [{to: [{operation: {methods: [DELETE]}}]}]
---
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: side}
spec: {selector: {app: shop}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: shop-6c7d8e9f0-bbbbb, namespace: side, labels: {app: shop}}
spec: {serviceAccountName: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: client-7d8e9f0a1-ccccc, namespace: side, labels: {app: client}}
spec: {serviceAccountName: client}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: shop-reads, namespace: side}
spec:
  selector: {matchLabels: {app: shop}}
  rules:
  - from: [{source: {namespaces: [side, istio-system]}}]
    to: [{operation: {methods: [GET]}}]
---
apiVersion: v1
kind: Pod
metadata: {name: istio-ingressgateway-8e9f0a1b2-ddddd, namespace: istio-system, labels: {istio: ingressgateway}}
spec: {serviceAccountName: istio-ingressgateway-service-account}
"#,
    )
    .unwrap();
    d
}

/// The example without its ingress Gateway and pod.
fn no_ingress() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-no-ingress");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for f in ["00-mesh.yaml", "20-workloads.yaml", "30-policies.yaml"] {
        std::fs::copy(Path::new(EXAMPLE).join(f), d.join(f)).unwrap();
    }
    d
}

#[test]
fn sidecars_ingress_deployments_and_plaintext() {
    let d = sidecar_fixture();
    let dir = d.to_str().unwrap();
    let del = ["--method", "DELETE"];
    // A sidecar client bypasses the waypoint, so the DENY there never sees its DELETE...
    let (c, v) = check_json(dir, "deploy/side/shop", "svc/amb/api", &del);
    assert_eq!(
        (c, summary(&v).1.as_str()),
        (0, "no-policy-denies"),
        "{v:#}"
    );
    assert_eq!(v["hops"][0]["component"], "sidecar");
    assert!(v["notes"][0]
        .as_str()
        .unwrap()
        .contains("does not cross waypoint amb/waypoint"));
    // ...while an ambient client crosses it and is denied there.
    let (c, v) = check_json(dir, "sa/amb/api", "svc/amb/api", &del);
    assert_eq!(
        (c, summary(&v).1.as_str(), summary(&v).3.as_str()),
        (1, "deny-matched", "waypoint")
    );
    // A sidecar destination evaluates HTTP: GET from the same namespace passes, POST does not.
    let (c, v) = check_json(
        dir,
        "deploy/side/client",
        "svc/side/shop",
        &["--method", "GET"],
    );
    assert_eq!(
        (c, v["hops"][1]["component"].as_str().unwrap()),
        (0, "sidecar")
    );
    let (c, v) = check_json(
        dir,
        "deploy/side/client",
        "svc/side/shop",
        &["--method", "POST"],
    );
    assert_eq!((c, summary(&v).1.as_str()), (1, "no-allow-matched"));
    // The classic ingress Deployment is a source with its own identity.
    let (c, v) = check_json(
        dir,
        "ingress/istio-system/istio-ingressgateway",
        "svc/side/shop",
        &["--method", "GET"],
    );
    assert_eq!(c, 0, "{v:#}");
    assert_eq!(
        v["request"]["sourceIdentity"],
        "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
    );
    // Bare `ingress`: the only ingress gateway in the input, here a classic one.
    let (_, v) = check_json(dir, "ingress", "svc/side/shop", &["--method", "GET"]);
    assert_eq!(
        v["request"]["source"],
        "ingress/istio-system/istio-ingressgateway-8e9f0a1b2-ddddd"
    );
    // Nothing assumed of the gateway (only the versions, which the input does not give).
    assert!(
        (v["assumptions"].as_array().unwrap().iter())
            .all(|a| a.as_str().unwrap().starts_with("istioVersion")),
        "{v}"
    );
    // With no ingress gateway in the input: Istio's default identity, said so.
    let (_, v) = check_json(
        no_ingress().to_str().unwrap(),
        "ingress",
        "svc/default/ratings",
        &[],
    );
    assert_eq!(
        v["request"]["sourceIdentity"],
        "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
    );
    assert!(v["assumptions"][0]
        .as_str()
        .unwrap()
        .contains("no ingress gateway in the input"));
    // --plaintext: no identity, so the namespace condition fails.
    let (c, v) = check_json(
        dir,
        "deploy/side/client",
        "svc/side/shop",
        &["--method", "GET", "--plaintext"],
    );
    assert_eq!(
        (c, v["request"]["plaintext"].as_bool()),
        (1, Some(true)),
        "{v:#}"
    );
}

/// `check` reads its input through the same flags as `explain`: `-k` renders a kustomize
/// overlay (the same answer as its output on `-f -`), `--namespace-labels` labels a namespace
/// the manifests leave out, and a bad value of either is one line, exit 2.
#[test]
fn input_flags_shared_with_explain() {
    const OVERLAY: &str = "tests/fixtures/kustomize/overlays/prod";
    let kubectl = Command::new("kubectl")
        .args(["kustomize", OVERLAY])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success());
    match kubectl {
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "kubectl (with kustomize) must be on PATH when CI is set"
            );
            println!("skipped: check -k (kubectl is not on PATH)");
        }
        Some(rendered) => {
            let ask = [
                "--from",
                "sa/shop/client",
                "--to",
                "svc/shop/prod-web:80",
                "--method",
                "GET",
                "--path",
                "/",
                "-o",
                "json",
            ];
            let mut args = vec!["check", "-k", OVERLAY];
            args.extend_from_slice(&ask);
            let o = run(&args);
            let v: Value =
                serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
            // The GET-only ALLOW bound by selector leaves ztunnel an ALLOW that matches nothing.
            assert_eq!(o.status.code(), Some(1), "{v:#}");
            assert_eq!(
                summary(&v),
                (
                    "denied".into(),
                    "no-allow-matched".into(),
                    String::new(),
                    "ztunnel".into()
                ),
                "{v:#}"
            );
            assert_eq!(
                v["decidedBy"]["allowPolicies"][0]["name"],
                "prod-web-viewer"
            );
            let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(["check", "-f", "-"])
                .args(ask)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(&rendered.stdout)
                .unwrap();
            let from_f = child.wait_with_output().unwrap();
            let w: Value = serde_json::from_slice(&from_f.stdout).unwrap();
            assert_eq!(
                (w["verdict"].clone(), w["hops"].clone()),
                (v["verdict"].clone(), v["hops"].clone())
            );
        }
    }

    // A namespace missing from the input: unlabelled, its pods are outside the mesh and no
    // ztunnel enforces the ALLOW; labelled ambient by the flag, ztunnel denies the client.
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-namespace-labels");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("app.yaml"),
        r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: app}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {serviceAccountName: client}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web-from-api, namespace: app}
spec:
  selector: {matchLabels: {app: web}}
  rules: [{from: [{source: {principals: [cluster.local/ns/app/sa/api]}}]}]
"#,
    )
    .unwrap();
    let dir = d.to_str().unwrap();
    let (code, v) = check_json(dir, "deploy/app/client", "svc/app/web", &[]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("allowed")), "{v:#}");
    let (code, v) = check_json(
        dir,
        "deploy/app/client",
        "svc/app/web",
        &["--namespace-labels", "app=istio.io/dataplane-mode=ambient"],
    );
    assert_eq!(
        (code, summary(&v)),
        (
            1,
            (
                "denied".into(),
                "no-allow-matched".into(),
                String::new(),
                "ztunnel".into()
            )
        ),
        "{v:#}"
    );
    assert_eq!(v["decidedBy"]["allowPolicies"][0]["name"], "web-from-api");

    // Bad values of the shared flags: one line, exit 2, nothing read.
    let nokust = d.join("not-kustomize");
    std::fs::create_dir_all(&nokust).unwrap();
    let nokust = nokust.to_str().unwrap();
    #[rustfmt::skip]
    let cases: &[(&str, &[&str], &str)] = &[
        ("--namespace-labels without a label", &["-f", dir, "--namespace-labels", "app"], "invalid --namespace-labels"),
        ("--namespace-labels bad value",       &["-f", dir, "--namespace-labels", "app=k=v v"], "invalid --namespace-labels"),
        ("-k without kustomization.yaml",      &["-k", nokust], "not a kustomize directory (no kustomization.yaml)"),
        ("-k on a file",                       &["-k", &format!("{dir}/app.yaml")], "-k needs a kustomize directory"),
        ("--feature unknown",                  &["-f", dir, "--feature", "NOT_A_FLAG=true"], "unknown --feature"),
        ("--request-timeout zero",             &["-f", dir, "--request-timeout", "0"], "must be positive"),
    ];
    for (case, args, msg) in cases {
        let mut all = vec![
            "check",
            "--from",
            "deploy/app/client",
            "--to",
            "svc/app/web",
        ];
        all.extend_from_slice(args);
        let o = run(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{case}: {args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(msg),
            "{case}: {args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{case}: {args:?}: {err}");
        assert!(stdout(&o).is_empty(), "{case}");
    }
}

/// `deploy/NS/NAME` (and sts, ds, job, cj...) on the shapes users have: manifests with only
/// the controllers, and a `kubectl get -o yaml` dump whose pods are owned through a
/// ReplicaSet, a StatefulSet and a CronJob's Job under names of the API server's making.
#[test]
fn workload_forms_on_controllers_and_owned_pods() {
    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {istio.io/dataplane-mode: ambient}}\n";
    const POLICY: &str = r#"apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: db-from-web, namespace: app}
spec:
  selector: {matchLabels: {app: db}}
  rules: [{from: [{source: {principals: [cluster.local/ns/app/sa/web]}}]}]
"#;
    let controller = |kind: &str, name: &str, sa: &str| {
        let api = if kind == "Job" { "batch/v1" } else { "apps/v1" };
        format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: app}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{serviceAccountName: {sa}}}\n"
        )
    };
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-workload-forms");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // Manifests: controllers only, no pod.
    let manifests = root.join("manifests.yaml");
    std::fs::write(
        &manifests,
        [
            NS.to_string(),
            controller("Deployment", "web", "web"),
            controller("StatefulSet", "db", "db"),
            controller("DaemonSet", "agent", "agent"),
            controller("Job", "migrate", "web"),
            POLICY.to_string(),
        ]
        .join("---\n"),
    )
    .unwrap();
    // A dump: pods with generated names and ownerReferences, the Deployment and ReplicaSet.
    let pod = |name: &str, app: &str, sa: &str, owner: (&str, &str), hash: Option<&str>| {
        let hash = hash
            .map(|h| format!(", pod-template-hash: {h}"))
            .unwrap_or_default();
        format!(
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: {name}\n    namespace: app\n    labels: {{app: {app}{hash}}}\n    annotations: {{ambient.istio.io/redirection: enabled}}\n    ownerReferences: [{{apiVersion: apps/v1, kind: {}, name: {}, controller: true}}]\n  spec: {{serviceAccountName: {sa}}}\n  status: {{phase: Running, podIP: 10.0.0.{}}}\n",
            owner.0,
            owner.1,
            name.len()
        )
    };
    let dump = root.join("dump.yaml");
    std::fs::write(
        &dump,
        format!(
            "{NS}---\n{POLICY}---\napiVersion: v1\nkind: List\nitems:\n{}{}{}{}",
            pod(
                "web-6b7c9d8f5-x2x4z",
                "web",
                "web",
                ("ReplicaSet", "web-6b7c9d8f5"),
                Some("6b7c9d8f5")
            ),
            pod("db-0", "db", "db", ("StatefulSet", "db"), None),
            pod(
                "agent-q8r2t",
                "agent",
                "agent",
                ("DaemonSet", "agent"),
                None
            ),
            pod(
                "nightly-29412000-k7k2p",
                "nightly",
                "web",
                ("Job", "nightly-29412000"),
                None
            ),
        ),
    )
    .unwrap();
    let file = |p: &PathBuf| p.to_str().unwrap().to_string();
    let (manifests, dump) = (file(&manifests), file(&dump));

    // (case, input, from, to, exit code, the pod or workload each end stands for)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, i32, &str, &str)] = &[
        ("manifests: deploy to sts",      &manifests, "deploy/app/web", "sts/app/db:5432", 0, "Deployment/app/web", "StatefulSet/app/db"),
        ("manifests: ds to statefulset",  &manifests, "ds/app/agent", "statefulset/app/db:5432", 1, "DaemonSet/app/agent", "StatefulSet/app/db"),
        ("manifests: job to sts",         &manifests, "job/app/migrate", "sts/app/db:5432", 0, "Job/app/migrate", "StatefulSet/app/db"),
        ("dump: deploy is its pod",       &dump, "deploy/app/web", "sts/app/db:5432", 0, "Pod/app/web-6b7c9d8f5-x2x4z", "Pod/app/db-0"),
        ("dump: rs is its pod",           &dump, "rs/app/web-6b7c9d8f5", "sts/app/db:5432", 0, "Pod/app/web-6b7c9d8f5-x2x4z", "Pod/app/db-0"),
        ("dump: daemonset is its pod",    &dump, "daemonset/app/agent", "sts/app/db:5432", 1, "Pod/app/agent-q8r2t", "Pod/app/db-0"),
        ("dump: cronjob is its job's pod", &dump, "cj/app/nightly", "sts/app/db:5432", 0, "Pod/app/nightly-29412000-k7k2p", "Pod/app/db-0"),
    ];
    for (case, input, from, to, code, client, server) in cases {
        let (c, v) = check_json(input, from, to, &[]);
        let hops = v["hops"].as_array().unwrap();
        assert_eq!(
            (
                c,
                hops[0]["name"].as_str().unwrap(),
                hops.last().unwrap()["name"].as_str().unwrap()
            ),
            (*code, *client, *server),
            "{case}: {from} -> {to} in {input}: {v:#}"
        );
    }
    // Not there: one line, exit 2, naming what was looked for.
    for input in [&manifests, &dump] {
        let o = run(&[
            "check",
            "-f",
            input,
            "--from",
            "deploy/app/db",
            "--to",
            "sts/app/db",
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{input}: {err}");
        assert_eq!(
            err.trim_end(),
            "error: Deployment app/db was not found in the input: neither the Deployment nor a pod it owns",
            "{input}"
        );
    }
}
