//! Findings on the inputs of a new-user review (tests/fixtures/review/): each test runs the
//! binary as a user would and checks the findings and the words they read.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const DIR: &str = "tests/fixtures/review";

fn run_with(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("NO_COLOR")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut input = c.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    c.wait_with_output().unwrap()
}

/// `explain ARGS -o json`: the findings as (severity, code, resource, message, resolution).
fn findings_with(args: &[&str], stdin: Option<&str>) -> Vec<[String; 5]> {
    let mut a = vec!["explain"];
    a.extend(args);
    a.extend(["-o", "json"]);
    let o = run_with(&a, stdin);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            ["severity", "code", "resource", "message", "resolution"]
                .map(|k| f[k].as_str().unwrap().to_string())
        })
        .collect()
}

fn findings(args: &[&str]) -> Vec<[String; 5]> {
    findings_with(args, None)
}

/// The text report, as a user reads it.
fn text(args: &[&str]) -> String {
    let mut a = vec!["explain"];
    a.extend(args);
    a.extend(["--color", "never"]);
    let o = run_with(&a, None);
    String::from_utf8(o.stdout).unwrap()
}

fn with_code<'a>(f: &'a [[String; 5]], code: &str) -> Vec<&'a [String; 5]> {
    f.iter().filter(|x| x[1] == code).collect()
}

fn fixture(name: &str) -> String {
    format!("{DIR}/{name}")
}

/// W5: a namespace label naming a waypoint the input lacks is one finding on the Namespace,
/// listing the Services; the pods are not reported, since a namespace label binds pods only
/// to a waypoint serving workload traffic (SEMANTICS.md 3.3).
#[test]
fn namespace_label_to_a_missing_waypoint_is_one_finding() {
    let f = findings(&["-f", &fixture("nowp.yaml")]);
    let amb008 = with_code(&f, "AMB008");
    assert_eq!(amb008.len(), 1, "{amb008:?}");
    assert_eq!(amb008[0][2], "Namespace/default");
    let m = &amb008[0][3];
    assert!(m.contains("Services curl, productpage"), "{m}");
    assert!(!m.contains("pod-IP traffic to"), "{m}");
    assert!(m.contains("Pod-IP traffic is unaffected unless"), "{m}");
    let out = text(&["-f", &fixture("nowp.yaml")]);
    assert!(out.contains("ERROR AMB008 Namespace/default"), "{out}");
    assert!(!out.contains("AMB008 Deployment/"), "{out}");
}

/// W5: AttachmentDenied through the namespace label: one finding on the Namespace; pods are
/// named only when the waypoint serves workload traffic.
#[test]
fn namespace_label_attachment_denied_names_pods_only_for_workload_waypoints() {
    let xns = std::fs::read_to_string(fixture("xns.yaml")).unwrap();
    let f = findings_with(&["-n", "orders", "-f", "-"], Some(&xns));
    let amb008 = with_code(&f, "AMB008");
    assert_eq!(amb008.len(), 1, "{amb008:?}");
    assert_eq!(amb008[0][2], "Namespace/orders");
    assert!(amb008[0][3].contains("AttachmentDenied"));
    assert!(amb008[0][3].contains("Service orders goes through no waypoint"));
    assert!(!amb008[0][3].contains("pod-IP"));

    let all = xns.replace(
        "istio.io/waypoint-for: service",
        "istio.io/waypoint-for: all",
    );
    let f = findings_with(&["-n", "orders", "-f", "-"], Some(&all));
    let amb008 = with_code(&f, "AMB008");
    assert_eq!(amb008.len(), 1, "{amb008:?}");
    assert!(
        amb008[0][3].contains("Service orders, pod-IP traffic to orders"),
        "{}",
        amb008[0][3]
    );
}

/// W5: an object's own label still gets its own finding.
#[test]
fn own_label_keeps_a_finding_per_object() {
    let xns = std::fs::read_to_string(fixture("xns.yaml")).unwrap();
    let own = xns.replace(
        "metadata: {name: orders, namespace: orders}\nspec:\n  ports",
        "metadata: {name: orders, namespace: orders, labels: {istio.io/use-waypoint: missing}}\nspec:\n  ports",
    );
    assert_ne!(own, xns);
    let f = findings_with(&["-n", "orders", "-f", "-"], Some(&own));
    let resources: Vec<&str> = with_code(&f, "AMB008")
        .iter()
        .map(|x| x[2].as_str())
        .collect();
    assert_eq!(resources, ["Service/orders/orders"], "{f:?}");
}

/// W6: a ztunnel policy whose port is the Service port (8000) and not the target port (8080)
/// never matches: an error, with the port to write. The same policy with the target port
/// raises nothing; with both ports it is a warning.
#[test]
fn service_port_in_a_ztunnel_policy() {
    let input = std::fs::read_to_string(fixture("ports.yaml")).unwrap();
    let f = findings_with(&["-n", "shop", "-f", "-"], Some(&input));
    let hits = with_code(&f, "AMB031");
    assert_eq!(hits.len(), 1, "{f:?}");
    let [sev, _, res, msg, fix] = hits[0];
    assert_eq!(
        (sev.as_str(), res.as_str()),
        ("error", "AuthorizationPolicy/shop/httpbin-port")
    );
    assert!(
        msg.contains("8000 (Service httpbin port 8000 -> targetPort 8080)"),
        "{msg}"
    );
    assert!(
        msg.contains("this ALLOW does not admit that traffic"),
        "{msg}"
    );
    assert!(msg.ends_with("write 8080"), "{msg}");
    assert!(fix.contains("targetPort"), "{fix}");

    let deny = input.replace("action: ALLOW", "action: DENY");
    let f = findings_with(&["-n", "shop", "-f", "-"], Some(&deny));
    assert!(with_code(&f, "AMB031")[0][3].contains("this DENY does not fire"));

    let right = input.replace(r#"ports: ["8000"]"#, r#"ports: ["8080"]"#);
    assert_ne!(right, input);
    let f = findings_with(&["-n", "shop", "-f", "-"], Some(&right));
    assert!(with_code(&f, "AMB031").is_empty(), "{f:?}");

    let both = input.replace(r#"ports: ["8000"]"#, r#"ports: ["8000", "8080"]"#);
    let f = findings_with(&["-n", "shop", "-f", "-"], Some(&both));
    assert_eq!(with_code(&f, "AMB031")[0][0], "warning");

    let not_ports = input.replace(r#"ports: ["8000"]"#, r#"notPorts: ["8000"]"#);
    let f = findings_with(&["-n", "shop", "-f", "-"], Some(&not_ports));
    let m = &with_code(&f, "AMB031")[0][3];
    assert!(m.starts_with("to.operation.notPorts names 8000"), "{m}");
    assert!(m.contains("the exclusion never applies"), "{m}");
}

/// W6: at a waypoint (targetRefs) nothing fires: there the Service port is what the
/// waypoint's listener sees for Service traffic.
#[test]
fn service_port_in_a_waypoint_policy_is_not_flagged() {
    let input = std::fs::read_to_string(fixture("ports.yaml"))
        .unwrap()
        .replace(
            "  selector: {matchLabels: {app: httpbin}}\n",
            "  targetRefs: [{kind: Service, group: \"\", name: httpbin}]\n",
        );
    let input = input.replace(
        "labels: {istio.io/dataplane-mode: ambient}",
        "labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}",
    ) + "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: shop}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\nstatus: {}\n";
    let out = run_with(
        &["explain", "-n", "shop", "-f", "-", "-o", "json"],
        Some(&input),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pol = &v["policies"][0];
    assert_eq!(pol["enforcement"][0]["enforcedBy"], "waypoint", "{pol}");
    assert!(
        !v["findings"].to_string().contains("AMB031"),
        "{}",
        v["findings"]
    );
}

/// W7: with meshConfig trustDomain example.org, cluster.local principals never match at
/// ztunnel: an error on the DENY, a warning on the ALLOW, with what to write. `*/ns/..`
/// principals are fine, and nothing fires in a cluster.local mesh.
#[test]
fn cluster_local_principals_in_another_trust_domain() {
    let args = [
        "-n",
        "shop",
        "-f",
        &fixture("ports.yaml"),
        "-f",
        &fixture("istio.yaml"),
        "-f",
        &fixture("td-policies.yaml"),
    ];
    let f = findings(&args);
    let hits: Vec<(&str, &str)> = with_code(&f, "AMB032")
        .iter()
        .map(|x| (x[0].as_str(), x[2].as_str()))
        .collect();
    assert_eq!(
        hits,
        [
            ("error", "AuthorizationPolicy/shop/deny-curl"),
            ("warning", "AuthorizationPolicy/shop/allow-curl"),
        ]
    );
    let deny = &with_code(&f, "AMB032")[0][3];
    assert!(
        deny.contains("\"cluster.local/ns/shop/sa/curl\" never matches, so this DENY never fires"),
        "{deny}"
    );
    assert!(
        deny.ends_with("write \"example.org/ns/shop/sa/curl\" or \"*/ns/shop/sa/curl\""),
        "{deny}"
    );
    assert!(!with_code(&f, "AMB032")[1][3].contains("sa/other"));
    let out = text(&args);
    assert!(
        out.contains("ERROR AMB032 AuthorizationPolicy/shop/deny-curl"),
        "{out}"
    );

    let f = findings(&[
        "-n",
        "shop",
        "-f",
        &fixture("ports.yaml"),
        "-f",
        &fixture("td-policies.yaml"),
    ]);
    assert!(with_code(&f, "AMB032").is_empty(), "{f:?}");
}

/// W8: DISABLE on a sidecar-injected pod is DISABLE (the sidecar applies it), not
/// ztunnel's PERMISSIVE.
#[test]
fn peer_authentication_disable_on_a_sidecar_pod() {
    let args = ["-n", "legacy", "-f", &fixture("sc.yaml")];
    let out = text(&args);
    let row = out
        .lines()
        .find(|l| l.starts_with("Deployment/legacy/web"))
        .unwrap();
    assert!(row.contains("sidecar") && row.ends_with("DISABLE"), "{row}");
    let f = findings(&args);
    let m = &with_code(&f, "AMB010")[0][3];
    assert!(
        m.contains("the sidecar of web applies DISABLE as written"),
        "{m}"
    );
    assert!(!m.contains("ztunnel"), "{m}");
}

fn overlay() -> String {
    std::fs::read_to_string(fixture("overlay.yaml")).unwrap()
}

/// W9: AMB027's fix follows the action: a DENY excludes the waypoint (notPrincipals), an
/// ALLOW admits it (principals); both name the identity.
#[test]
fn waypoint_not_admitted_fix_follows_the_action() {
    let f = findings_with(&["-n", "bookinfo", "-f", "-"], Some(&overlay()));
    let by = |name: &str| {
        with_code(&f, "AMB027")
            .into_iter()
            .find(|x| x[2] == format!("AuthorizationPolicy/bookinfo/{name}"))
            .unwrap_or_else(|| panic!("no AMB027 on {name}: {f:?}"))
            .clone()
    };
    let deny = by("deny-waypoint-bypass");
    assert!(deny[3].contains("exclude it (notPrincipals"), "{}", deny[3]);
    assert!(
        deny[4].starts_with("Exclude the waypoint's identity from this DENY (from.source.notPrincipals [cluster.local/ns/bookinfo/sa/waypoint])"),
        "{}",
        deny[4]
    );
    assert!(!deny[4].contains("Admit"), "{}", deny[4]);
    let allow = by("productpage-viewer");
    assert!(
        allow[4].starts_with("Admit the waypoint's identity at ztunnel (a rule of this ALLOW with from.source.principals [cluster.local/ns/bookinfo/sa/waypoint])"),
        "{}",
        allow[4]
    );
}

/// R4: once the principals name the right namespace, both policies guard the waypoint
/// (AMB028), worded per action, and the ALLOW names the ingress gateway it admits directly.
#[test]
fn bypass_guard_is_worded_per_action() {
    let fixed = overlay().replace("ns/default/sa/", "ns/bookinfo/sa/");
    let f = findings_with(&["-n", "bookinfo", "-f", "-"], Some(&fixed));
    assert!(with_code(&f, "AMB027").is_empty(), "{f:?}");
    let guards = with_code(&f, "AMB028");
    let by = |name: &str| {
        guards
            .iter()
            .find(|x| x[2] == format!("AuthorizationPolicy/bookinfo/{name}"))
            .unwrap_or_else(|| panic!("no AMB028 on {name}: {f:?}"))
    };
    let allow = by("productpage-viewer");
    assert!(
        allow[3].contains("this ALLOW admits only waypoint bookinfo/waypoint"),
        "{}",
        allow[3]
    );
    assert!(
        allow[3].contains("except cluster.local/ns/bookinfo/sa/bookinfo-gateway-istio, which can reach it directly"),
        "{}",
        allow[3]
    );
    assert!(!allow[3].contains("DENY"), "{}", allow[3]);
    assert!(
        allow[4].contains("add their principals to this ALLOW"),
        "{}",
        allow[4]
    );
    let deny = by("deny-waypoint-bypass");
    assert!(
        deny[3].contains("this DENY rejects every in-mesh identity but waypoint"),
        "{}",
        deny[3]
    );
    assert!(!deny[3].contains("except"), "{}", deny[3]);
    assert!(
        deny[4].contains("add their principals to notPrincipals"),
        "{}",
        deny[4]
    );
}

/// R5: the waypoint a namespace label names is a known identity even when the input lacks
/// it; `<gateway>-istio` is recognised as an ingress identity, with no far-fetched
/// "did you mean".
#[test]
fn implied_identities_and_no_far_suggestions() {
    let f = findings(&["-f", &fixture("nowp.yaml")]);
    let amb029: Vec<&str> = with_code(&f, "AMB029")
        .iter()
        .map(|x| x[3].as_str())
        .collect();
    assert_eq!(amb029.len(), 1, "{amb029:?}");
    assert!(
        amb029[0].starts_with("\"cluster.local/ns/default/sa/bookinfo-gateway-istio\""),
        "{amb029:?}"
    );
    assert!(
        amb029[0].contains("ingress gateway for Gateway bookinfo-gateway"),
        "{amb029:?}"
    );
    assert!(!amb029[0].contains("did you mean"), "{amb029:?}");
    // A typo still gets its suggestion.
    let typo = std::fs::read_to_string(fixture("nowp.yaml"))
        .unwrap()
        .replace("sa/bookinfo-gateway-istio", "sa/bookinfo-productpag");
    let f = findings_with(&["-f", "-"], Some(&typo));
    let m = &with_code(&f, "AMB029")[0][3];
    assert!(
        m.ends_with("did you mean \"cluster.local/ns/default/sa/bookinfo-productpage\"?"),
        "{m}"
    );
}

/// R6: a namespace the input has nothing in is reported alike by AMB029 (principals, with the
/// same service account in the input's namespace) and AMB030 (namespaces), in words that do
/// not claim it does not exist.
#[test]
fn namespace_missing_from_the_input_is_reported_alike() {
    let f = findings_with(&["-n", "bookinfo", "-f", "-"], Some(&overlay()));
    let amb029: Vec<&str> = with_code(&f, "AMB029")
        .iter()
        .map(|x| x[3].as_str())
        .collect();
    assert!(
        amb029.contains(&"\"cluster.local/ns/default/sa/curl\" names an identity no workload of the input runs as (namespace default is not in the input); did you mean \"cluster.local/ns/bookinfo/sa/curl\"?"),
        "{amb029:?}"
    );
    let amb030 = with_code(&f, "AMB030");
    assert_eq!(amb030.len(), 1, "{amb030:?}");
    assert!(amb030[0][3].starts_with("source namespace \"default\" has nothing in the input"));

    // Any other namespace: "not in the input", with the condition spelled out.
    let other = overlay().replace("namespaces: [\"default\"", "namespaces: [\"frontend\"");
    let f = findings_with(&["-n", "bookinfo", "-f", "-"], Some(&other));
    let m = &with_code(&f, "AMB030")[0][3];
    assert_eq!(
        m,
        "source namespace \"frontend\" is not in the input (if it does not exist in the cluster either, the condition matches no client, as istioctl's IST0101 warns)"
    );
}

/// R9: a flag set on istiod is listed, and the line after it says the *other* flags are at
/// their defaults.
#[test]
fn other_feature_flags_at_defaults() {
    let out = text(&[
        "-n",
        "shop",
        "-f",
        &fixture("ports.yaml"),
        "-f",
        &fixture("istio.yaml"),
    ]);
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
    let out = text(&["-n", "shop", "-f", &fixture("ports.yaml")]);
    assert!(
        out.contains("\nistiod feature flags at Istio defaults (-o wide lists them)\n"),
        "{out}"
    );
}
