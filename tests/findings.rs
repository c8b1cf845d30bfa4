//! Findings, by code, on user-shaped inputs (tests/fixtures/findings/, tests/fixtures/waypoints/,
//! tests/fixtures/bookinfo/): each test runs the binary as a user would and checks which
//! findings fire, on which resource, and the words the user reads.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

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

/// The one finding of `code` on `resource`.
fn on<'a>(f: &'a [[String; 5]], code: &str, resource: &str) -> &'a [String; 5] {
    f.iter()
        .find(|x| x[1] == code && x[2] == resource)
        .unwrap_or_else(|| panic!("no {code} on {resource}: {f:?}"))
}

/// A file of tests/fixtures/findings.
fn fixture(name: &str) -> String {
    format!("tests/fixtures/findings/{name}")
}

/// A file of tests/fixtures/waypoints: a waypoint in `waypoints` used from `orders`.
fn waypoints(name: &str) -> String {
    format!("tests/fixtures/waypoints/{name}")
}

/// A directory of tests/fixtures/bookinfo.
fn bookinfo(name: &str) -> String {
    format!("tests/fixtures/bookinfo/{name}")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// AMB005: a targetRefs policy that no proxy enforces.

/// A Gateway-targeted policy written in the Services' namespace, for a waypoint kept in
/// `waypoints`: the finding names the waypoint's namespace and the rule (SEMANTICS.md 6.2),
/// not only "not found" and a hint about use-waypoint.
#[test]
fn gateway_targetref_in_the_service_namespace_names_the_waypoint_namespace() {
    let f = findings(&[
        "-n",
        "orders",
        "-f",
        &waypoints("gateway-policy-in-service-namespace.yaml"),
    ]);
    let [_, _, _, m, fix] = on(&f, "AMB005", "AuthorizationPolicy/orders/orders-gw-policy");
    assert!(
        m.contains(
            "waypoint waypoints/waypoint, which Services in orders use, is in namespace waypoints"
        ) && m.contains("a Gateway targetRef must be in the waypoint's namespace"),
        "{m}"
    );
    assert!(
        fix.starts_with("Create the policy in namespace waypoints"),
        "{fix}"
    );
    assert!(!fix.contains("istio.io/use-waypoint"), "{fix}");
}

// AMB008: an istio.io/use-waypoint binding that binds nothing.

/// A namespace label naming a waypoint the input lacks is one finding on the Namespace,
/// listing the Services; the pods are not reported, since a namespace label binds pods only
/// to a waypoint serving workload traffic (SEMANTICS.md 3.3).
#[test]
fn namespace_label_to_a_missing_waypoint_is_one_finding() {
    let f = findings(&["-f", &fixture("missing-waypoint.yaml")]);
    let amb008 = with_code(&f, "AMB008");
    assert_eq!(amb008.len(), 1, "{amb008:?}");
    assert_eq!(amb008[0][2], "Namespace/default");
    let m = &amb008[0][3];
    assert!(m.contains("Services curl, productpage"), "{m}");
    assert!(!m.contains("pod-IP traffic to"), "{m}");
    assert!(m.contains("Pod-IP traffic is unaffected unless"), "{m}");
    let out = text(&["-f", &fixture("missing-waypoint.yaml")]);
    assert!(out.contains("ERROR AMB008 Namespace/default"), "{out}");
    assert!(!out.contains("AMB008 Deployment/"), "{out}");
}

/// AttachmentDenied through the namespace label: one finding on the Namespace; pods are
/// named only when the waypoint serves workload traffic.
#[test]
fn namespace_label_attachment_denied_names_pods_only_for_workload_waypoints() {
    let xns = read(&waypoints("namespace-label-denied.yaml"));
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

/// An object's own label still gets its own finding.
#[test]
fn own_label_keeps_a_finding_per_object() {
    let xns = read(&waypoints("namespace-label-denied.yaml"));
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

/// `use-waypoint` on the Service and `use-waypoint-namespace` on the Namespace are never
/// combined (SEMANTICS.md 3.3): the finding says so and which label to add where; the policy
/// that targets the Service says why it is unbound (AMB005).
#[test]
fn use_waypoint_namespace_on_another_object_is_explained() {
    let f = findings(&[
        "-n",
        "orders",
        "-f",
        &waypoints("use-waypoint-namespace-elsewhere.yaml"),
    ]);
    let amb008 = with_code(&f, "AMB008");
    assert_eq!(amb008.len(), 1, "{amb008:?}");
    let [_, _, r, m, fix] = amb008[0];
    assert_eq!(r, "Service/orders/orders");
    assert!(
        m.contains("The Namespace's istio.io/use-waypoint-namespace: waypoints does not apply")
            && m.contains(
                "only from the object that carries istio.io/use-waypoint, here the Service"
            ),
        "{m}"
    );
    assert!(
        fix.starts_with("Label the Service istio.io/use-waypoint-namespace: waypoints"),
        "{fix}"
    );
    let m = &on(&f, "AMB005", "AuthorizationPolicy/orders/orders-get")[3];
    assert!(
        m.contains("istio.io/use-waypoint-namespace: waypoints is on the Namespace"),
        "{m}"
    );
}

// AMB009: waypoint policies that clients can bypass.

/// The docs' Gateway-targeted `viewer` covers four Services that can be bypassed: one
/// finding for the policy, naming the Services once, not one identical warning per Service.
#[test]
fn waypoint_bypass_is_one_finding_per_policy() {
    let f = findings(&["-f", &bookinfo("base"), "-f", &bookinfo("docs")]);
    let amb009 = with_code(&f, "AMB009");
    let viewer: Vec<_> = amb009
        .iter()
        .filter(|x| x[2] == "AuthorizationPolicy/default/viewer")
        .collect();
    assert_eq!(viewer.len(), 1, "{amb009:?}");
    let m = &viewer[0][3];
    assert!(
        m.contains("at waypoint default/waypoint")
            && m.contains("Services curl, details, httpbin, ratings;"),
        "{m}"
    );
    assert!(!m.contains("see(s)"), "{m}");
    // Every AMB009 names a policy, once per policy.
    assert!(amb009
        .iter()
        .all(|x| x[2].starts_with("AuthorizationPolicy/")));
    let mut resources: Vec<_> = amb009.iter().map(|x| x[2].clone()).collect();
    resources.dedup();
    assert_eq!(resources.len(), amb009.len(), "{amb009:?}");
}

// AMB010: PeerAuthentication that lets plaintext in.

/// DISABLE on a sidecar-injected pod is DISABLE (the sidecar applies it), not ztunnel's
/// PERMISSIVE.
#[test]
fn peer_authentication_disable_on_a_sidecar_pod() {
    let args = ["-n", "legacy", "-f", &fixture("sidecar-disable.yaml")];
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

/// `kustomize build` of an overlay that moved the docs' bookinfo to namespace bookinfo; the
/// policies' principals and namespaces still say default.
fn overlay() -> String {
    read(&fixture("overlay.yaml"))
}

// AMB027: ztunnel denies every client that comes through the waypoint.

/// The fix follows the action: a DENY excludes the waypoint (notPrincipals), an ALLOW admits
/// it (principals); both name the identity.
#[test]
fn waypoint_not_admitted_fix_follows_the_action() {
    let f = findings_with(&["-n", "bookinfo", "-f", "-"], Some(&overlay()));
    let by = |name: &str| {
        on(
            &f,
            "AMB027",
            &format!("AuthorizationPolicy/bookinfo/{name}"),
        )
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

// AMB028: a policy that guards the waypoint against bypass.

/// Once the principals name the right namespace, both policies guard the waypoint (and
/// AMB027 is gone), worded per action, and the ALLOW names the ingress gateway it admits
/// directly.
#[test]
fn bypass_guard_is_worded_per_action() {
    let fixed = overlay().replace("ns/default/sa/", "ns/bookinfo/sa/");
    let f = findings_with(&["-n", "bookinfo", "-f", "-"], Some(&fixed));
    assert!(with_code(&f, "AMB027").is_empty(), "{f:?}");
    let by = |name: &str| {
        on(
            &f,
            "AMB028",
            &format!("AuthorizationPolicy/bookinfo/{name}"),
        )
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

// AMB029: a principal that matches no workload of the input.

/// The waypoint a namespace label names is a known identity even when the input lacks it;
/// `<gateway>-istio` is recognised as an ingress identity, with no far-fetched
/// "did you mean".
#[test]
fn implied_identities_and_no_far_suggestions() {
    let f = findings(&["-f", &fixture("missing-waypoint.yaml")]);
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
    let typo = read(&fixture("missing-waypoint.yaml"))
        .replace("sa/bookinfo-gateway-istio", "sa/bookinfo-productpag");
    let f = findings_with(&["-f", "-"], Some(&typo));
    let m = &with_code(&f, "AMB029")[0][3];
    assert!(
        m.ends_with("did you mean \"cluster.local/ns/default/sa/bookinfo-productpage\"?"),
        "{m}"
    );
}

// AMB029 and AMB030: a source namespace the input has nothing in.

/// A namespace the input has nothing in is reported alike by AMB029 (principals, with the
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

// AMB031: a Service port in a ztunnel policy.

/// A ztunnel policy whose port is the Service port (8000) and not the target port (8080)
/// never matches: an error, with the port to write. The same policy with the target port
/// raises nothing; with both ports it is a warning.
#[test]
fn service_port_in_a_ztunnel_policy() {
    let input = read(&fixture("ports.yaml"));
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

/// At a waypoint (targetRefs) nothing fires: there the Service port is what the waypoint's
/// listener sees for Service traffic.
#[test]
fn service_port_in_a_waypoint_policy_is_not_flagged() {
    let input = read(&fixture("ports.yaml")).replace(
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

// AMB032: cluster.local principals in a mesh with another trust domain.

/// With meshConfig trustDomain example.org, cluster.local principals never match at ztunnel:
/// an error on the DENY, a warning on the ALLOW, with what to write. `*/ns/..` principals are
/// fine, and nothing fires in a cluster.local mesh.
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

/// AMB033: principals with `spiffe://`, in `from` and in `when: source.principal`, fire once
/// per policy with the fix written out; the same names without the scheme do not.
#[test]
fn spiffe_prefix_in_principals() {
    let policy = |name: &str, from: &str, when: &str| {
        format!(
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  action: DENY\n  rules:\n  - from: [{{source: {{notPrincipals: [\"{from}\"]}}}}]\n    when: [{{key: source.principal, values: [\"{when}\"]}}]\n---\n"
        )
    };
    let input = policy(
        "prefixed",
        "spiffe://cluster.local/ns/shop/sa/curl",
        "spiffe://cluster.local/ns/shop/sa/httpbin",
    ) + &policy(
        "plain",
        "cluster.local/ns/shop/sa/curl",
        "cluster.local/ns/shop/sa/httpbin",
    );
    let f = findings_with(
        &["-f", "tests/scenarios/traps/base", "-f", "-"],
        Some(&input),
    );
    let hits = with_code(&f, "AMB033");
    assert_eq!(hits.len(), 1, "{f:?}");
    let [sev, _, res, msg, fix] = hits[0];
    assert_eq!(
        (sev.as_str(), res.as_str()),
        ("error", "AuthorizationPolicy/shop/prefixed")
    );
    assert!(
        msg.contains("spiffe://cluster.local/ns/shop/sa/curl") && msg.contains("sa/httpbin"),
        "{msg}"
    );
    assert!(fix.contains("\"cluster.local/ns/shop/sa/curl\""), "{fix}");
}

/// AMB024 on an istio.io/dry-run value that is not a boolean (the user means dry-run; istiod's
/// webhook refuses it, and a policy in the cluster anyway is enforced). Near misses: the
/// boolean spellings Go accepts.
#[test]
fn amb024_dry_run_value_not_a_boolean() {
    let policy = |v: &str| {
        format!(
            "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: trial
  namespace: shop
  annotations: {{istio.io/dry-run: \"{v}\"}}
spec:
  selector:
    matchLabels: {{app: httpbin}}
  action: DENY
  rules:
  - from:
    - source:
        namespaces: [shop]
"
        )
    };
    for (v, fires) in [
        ("yes", true),
        ("on", true),
        ("true", false),
        ("TRUE", false),
        ("1", false),
        ("f", false),
    ] {
        let f = findings_with(
            &["-f", "tests/scenarios/traps/base", "-f", "-"],
            Some(&policy(v)),
        );
        let got = with_code(&f, "AMB024");
        assert_eq!(got.len(), usize::from(fires), "{v}: {got:?}");
        if fires {
            assert_eq!(got[0][2], "AuthorizationPolicy/shop/trial");
            assert!(
                got[0][3].starts_with(&format!(
                    "annotation istio.io/dry-run: {v:?} is not a boolean"
                )),
                "{}",
                got[0][3]
            );
            assert!(
                got[0][4].contains("istio.io/dry-run: \"true\""),
                "{}",
                got[0][4]
            );
        }
    }
}

/// A selector for a waypoint's pods when the input holds the waypoint's Gateway (as `istioctl
/// waypoint generate` prints it) but not the pods istiod deploys: without the layered flag
/// waypoints ignore it (AMB018, as with the pods); with it, AMB017 says the pods are missing
/// and how to add them. Near miss: a gateway name that is no waypoint gets the plain AMB017.
#[test]
fn amb017_names_the_waypoint_whose_pods_are_missing() {
    let policy = |gw: &str| {
        format!(
            "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {{name: at-waypoint, namespace: shop}}
spec:
  selector:
    matchLabels: {{gateway.networking.k8s.io/gateway-name: {gw}}}
  action: DENY
  rules:
  - from:
    - source:
        notNamespaces: [shop]
"
        )
    };
    // Without ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES, waypoints ignore it: AMB018.
    let f = findings_with(
        &["-f", "tests/scenarios/traps/base", "-f", "-"],
        Some(&policy("waypoint")),
    );
    let got = with_code(&f, "AMB018");
    assert_eq!(got.len(), 1, "{f:?}");
    assert!(
        got[0][3].starts_with(
            "the selector matches the pods of waypoint shop/waypoint (istiod deploys them"
        ),
        "{}",
        got[0][3]
    );
    assert!(with_code(&f, "AMB017").is_empty(), "{f:?}");
    for (gw, named) in [("waypoint", true), ("edge", false)] {
        let f = findings_with(
            &[
                "-f",
                "tests/scenarios/traps/base",
                "-f",
                "-",
                "--istio-version",
                "1.25.2",
                "--feature",
                "ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES=true",
            ],
            Some(&policy(gw)),
        );
        let got = with_code(&f, "AMB017");
        assert_eq!(got.len(), 1, "{gw}: {f:?}");
        assert_eq!(
            got[0][3].contains(
                "it selects the pods of waypoint shop/waypoint, which the input does not hold"
            ),
            named,
            "{gw}: {}",
            got[0][3]
        );
    }
}

/// AMB001 for an ALLOW whose rules hold only attributes ztunnel drops (trustDomains on 1.31)
/// asks to enforce them at a waypoint, not to remove HTTP conditions it does not have.
#[test]
fn amb001_fix_fits_dropped_attributes() {
    let policy = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: our-td, namespace: shop}
spec:
  selector:
    matchLabels: {app: httpbin}
  action: ALLOW
  rules:
  - from:
    - source:
        trustDomains: [cluster.local]
";
    let f = findings_with(
        &[
            "-f",
            "tests/scenarios/traps/base",
            "-f",
            "-",
            "--istio-version",
            "1.31.0",
        ],
        Some(policy),
    );
    let got = with_code(&f, "AMB001");
    assert_eq!(got.len(), 1, "{f:?}");
    assert!(
        got[0][4].contains("(from.source.trustDomains)"),
        "{}",
        got[0][4]
    );
    assert!(!got[0][4].contains("HTTP"), "{}", got[0][4]);
}
