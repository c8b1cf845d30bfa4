//! Waypoint-side attachment (SEMANTICS.md 6), extension policies (8) and routes (9), and how a
//! waypoint reads `cluster.local` principals in a mesh with another trust domain.

// Table tests read best as tuples.
#![allow(clippy::type_complexity)]

mod support;
use support::*;

const DM: &str = "istio.io/dataplane-mode";

fn gateway_class(name: &str, controller: &str) -> String {
    format!("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: {name}\nspec:\n  controllerName: {controller}\n")
}

fn base() -> Vec<String> {
    vec![
        ns("app", &[(DM, "ambient")]),
        ns("istio-system", &[]),
        gateway_class("istio-waypoint", "istio.io/mesh-controller"),
        gateway_class("custom-waypoint", "istio.io/mesh-controller"),
        gateway_class("other", "example.com/controller"),
        waypoint("app", "wp", None, true, None),
        svc("app", "bound", "b", &[("istio.io/use-waypoint", "wp")]),
        svc("app", "unbound", "u", &[]),
        pod("app", "b", &[("app", "b")], "b"),
        pod("app", "u", &[("app", "u")], "u"),
    ]
}

fn target(kind: &str, group: &str, name: &str) -> String {
    format!("  targetRefs:\n  - kind: {kind}\n    group: \"{group}\"\n    name: {name}\n  rules:\n  - {{}}\n")
}

/// (policy namespace, kind, group, name) -> (enforced by, the finding codes it raises)
#[test]
fn target_ref_table() {
    let gw = "gateway.networking.k8s.io";
    // (case, policy namespace, targetRef kind, group, name, enforced by, findings on it)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, &str, &str, &[&str])] = &[
        ("Service bound to a waypoint",        "app",          "Service",      "",                    "bound",           "waypoint", &[]),
        ("Service without a waypoint",         "app",          "Service",      "",                    "unbound",         "none",     &["AMB005"]),
        ("Service missing",                    "app",          "Service",      "",                    "missing",         "none",     &["AMB005"]),
        // Matching needs the group; istiod's status checks only the kind.
        ("Service of another group",           "app",          "Service",      "networking.istio.io", "bound",           "none",     &["AMB005", "AMB015"]),
        ("waypoint Gateway",                   "app",          "Gateway",      gw,                    "wp",              "waypoint", &[]),
        ("Gateway without its group",          "app",          "Gateway",      "",                    "wp",              "none",     &["AMB005", "AMB015"]),
        ("Gateway missing",                    "app",          "Gateway",      gw,                    "missing",         "none",     &["AMB005"]),
        ("GatewayClass from the root",         "istio-system", "GatewayClass", gw,                    "istio-waypoint",  "waypoint", &[]),
        ("GatewayClass outside the root",      "app",          "GatewayClass", gw,                    "istio-waypoint",  "none",     &["AMB005"]),
        // Status says Accepted for any mesh-controller class, but only the literal name attaches.
        ("another mesh-controller class",      "istio-system", "GatewayClass", gw,                    "custom-waypoint", "none",     &["AMB005", "AMB015"]),
        ("a class of no mesh controller",      "istio-system", "GatewayClass", gw,                    "other",           "none",     &["AMB005"]),
        ("a kind policies cannot target",      "app",          "Deployment",   "apps",                "x",               "none",     &["AMB005"]),
    ];
    for (case, pns, kind, group, name, by, want_codes) in cases {
        let mut docs = base();
        docs.push(authz(pns, "p", &target(kind, group, name)));
        let e = explain_ns(&docs, "app");
        let Some(p) = e.policies.iter().find(|p| p.name == "p") else {
            assert_eq!(*by, "none", "{case}: {kind} {name}: policy missing");
            continue;
        };
        assert_eq!(
            p.enforcement[0].enforced_by, *by,
            "{case}: {pns} {kind}/{group}/{name}: {:#?}",
            p.enforcement
        );
        let got: Vec<String> = e
            .findings
            .iter()
            .filter(|f| f.resource.ends_with("/p"))
            .map(|f| f.code.clone())
            .collect();
        for c in *want_codes {
            assert!(
                got.contains(&c.to_string()),
                "{case}: {kind} {name}: want {c} in {got:?}"
            );
        }
        if by == &"waypoint" {
            assert!(
                p.enforcement
                    .iter()
                    .all(|x| x.source_identity == "client" && x.effect == "as-written"),
                "{case}: {:#?}",
                p.enforcement
            );
        }
    }
}

/// A Gateway ref to an ingress Gateway attaches to that ingress Envoy.
#[test]
fn gateway_ref_to_ingress() {
    let mut docs = base();
    docs.push(gateway_class("istio", "istio.io/gateway-controller"));
    docs.push(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: ingress, namespace: app}\nspec:\n  gatewayClassName: istio\n  listeners: [{name: http, port: 80, protocol: HTTP}]\nstatus:\n  addresses: [{type: IPAddress, value: 1.2.3.4}]\n".into(),
    );
    docs.push(authz(
        "app",
        "p",
        &target("Gateway", "gateway.networking.k8s.io", "ingress"),
    ));
    let e = explain_ns(&docs, "app");
    let p = policy(&e, "AuthorizationPolicy", "app", "p");
    assert_eq!(
        rows(p),
        vec![(
            "gateway".into(),
            "ingress".into(),
            "client".into(),
            "as-written".into()
        )]
    );
    assert_eq!(p.enforcement[0].waypoint.as_deref(), Some("app/ingress"));
}

/// Pod-IP traffic through a workload waypoint gets only Gateway-targeted policies.
#[test]
fn pod_ip_chain_has_no_service_policies() {
    let e = explain_ns(
        &[
            ns("app", &[(DM, "ambient")]),
            waypoint("app", "wp", Some("all"), true, None),
            svc("app", "s", "p", &[("istio.io/use-waypoint", "wp")]),
            pod(
                "app",
                "p",
                &[("app", "p"), ("istio.io/use-waypoint", "wp")],
                "p",
            ),
            authz("app", "svc-policy", &target("Service", "", "s")),
            authz(
                "app",
                "gw-policy",
                &target("Gateway", "gateway.networking.k8s.io", "wp"),
            ),
        ],
        "app",
    );
    let path = |src: &str| e.paths.iter().find(|p| p.source == src).unwrap();
    assert_eq!(
        path("ambient-service").hops[1].policies.to_vec(),
        vec![
            "AuthorizationPolicy/app/gw-policy",
            "AuthorizationPolicy/app/svc-policy"
        ]
    );
    assert_eq!(
        path("ambient-pod-ip").hops[1].policies.to_vec(),
        vec!["AuthorizationPolicy/app/gw-policy"]
    );
    let gw = policy(&e, "AuthorizationPolicy", "app", "gw-policy");
    assert!(gw.enforcement[0].targets.contains(&"Pod/app/p".into()));
}

#[test]
fn waypoint_bypass_is_reported_unless_ztunnel_restricts_sources() {
    let docs = |extra: Option<String>| {
        let mut d = base();
        d.push(authz("app", "at-wp", &target("Service", "", "bound")));
        d.extend(extra);
        explain_ns(&d, "app")
    };
    let e = docs(None);
    assert!(
        codes(&e).contains(&("AMB009".into(), "AuthorizationPolicy/app/at-wp".into())),
        "{:?}",
        codes(&e)
    );
    // Only the waypoint may reach the pod, and plaintext is denied: no bypass.
    let only_waypoint = authz(
        "app",
        "only-waypoint",
        "  selector:\n    matchLabels:\n      app: b\n  rules:\n  - from:\n    - source:\n        principals: [cluster.local/ns/app/sa/wp]\n",
    );
    let e = docs(Some(only_waypoint));
    assert!(
        !codes(&e).iter().any(|c| c.0 == "AMB009"),
        "{:?}",
        codes(&e)
    );
}

#[test]
fn extension_policies() {
    let ext = |kind: &str, api: &str, name: &str, spec: &str| {
        format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: app\nspec:\n{spec}")
    };
    let mut docs = base();
    let sel = "  selector:\n    matchLabels:\n      app: b\n";
    docs.push(ext(
        "RequestAuthentication",
        "security.istio.io/v1",
        "ra-sel",
        sel,
    ));
    docs.push(ext(
        "RequestAuthentication",
        "security.istio.io/v1",
        "ra-tr",
        "  targetRefs:\n  - kind: Service\n    group: \"\"\n    name: bound\n",
    ));
    docs.push(ext(
        "Telemetry",
        "telemetry.istio.io/v1",
        "tel-ns",
        "  accessLogging: [{}]\n",
    ));
    docs.push(ext(
        "WasmPlugin",
        "extensions.istio.io/v1alpha1",
        "wasm-sel",
        sel,
    ));
    docs.push(ext(
        "EnvoyFilter",
        "networking.istio.io/v1alpha3",
        "ef-svc",
        "  targetRefs:\n  - kind: Service\n    group: \"\"\n    name: bound\n",
    ));
    docs.push(ext(
        "EnvoyFilter",
        "networking.istio.io/v1alpha3",
        "ef-gw",
        "  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: wp\n",
    ));
    let e = explain_ns(&docs, "app");
    let by = |kind: &str, name: &str| {
        policy(&e, kind, "app", name).enforcement[0]
            .enforced_by
            .clone()
    };
    assert_eq!(by("RequestAuthentication", "ra-sel"), "none");
    assert_eq!(by("RequestAuthentication", "ra-tr"), "waypoint");
    // Namespace-wide Telemetry does apply at the namespace's waypoint.
    assert_eq!(by("Telemetry", "tel-ns"), "waypoint");
    assert_eq!(by("WasmPlugin", "wasm-sel"), "none");
    // EnvoyFilter: Service refs never match; Gateway refs do.
    assert_eq!(by("EnvoyFilter", "ef-svc"), "none");
    assert_eq!(by("EnvoyFilter", "ef-gw"), "waypoint");
    let c = codes(&e);
    assert!(c.contains(&("AMB013".into(), "RequestAuthentication/app/ra-sel".into())));
    assert!(c.contains(&("AMB013".into(), "WasmPlugin/app/wasm-sel".into())));
    assert!(c.contains(&("AMB005".into(), "EnvoyFilter/app/ef-svc".into())));
}

#[test]
fn routes_need_a_waypoint() {
    let route = |name: &str, parent: &str| {
        format!("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\n  namespace: app\nspec:\n  parentRefs:\n  - group: \"\"\n    kind: Service\n    name: {parent}\n")
    };
    let mut docs = base();
    docs.push(route("to-bound", "bound"));
    docs.push(route("to-unbound", "unbound"));
    docs.push("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: ingress-route, namespace: app}\nspec:\n  parentRefs: [{name: some-gateway}]\n".into());
    let e = explain_ns(&docs, "app");
    assert_eq!(
        policy(&e, "HTTPRoute", "app", "to-bound").enforcement[0].enforced_by,
        "waypoint"
    );
    assert_eq!(
        policy(&e, "HTTPRoute", "app", "to-unbound").enforcement[0].effect,
        "not-enforced"
    );
    assert!(codes(&e).contains(&("AMB020".into(), "HTTPRoute/app/to-unbound".into())));
    // Routes with only Gateway parents are ingress routes: not part of this report.
    assert!(!e.policies.iter().any(|p| p.name == "ingress-route"));
}

#[test]
fn odd_but_valid_policies_become_findings() {
    let mut docs = base();
    docs.push(authz(
        "app",
        "empty-selector",
        "  selector: {}\n  rules:\n  - {}\n",
    ));
    docs.push(authz(
        "app",
        "audit",
        "  selector:\n    matchLabels:\n      app: b\n  action: AUDIT\n  rules:\n  - {}\n",
    ));
    docs.push(authz("app", "both", "  selector:\n    matchLabels:\n      app: b\n  targetRefs:\n  - kind: Service\n    group: \"\"\n    name: bound\n"));
    docs.push(authz("app", "allow-all", "  rules:\n  - {}\n"));
    docs.push(authz("app", "tds", "  selector:\n    matchLabels:\n      app: u\n  rules:\n  - from:\n    - source:\n        principals: [a]\n        trustDomains: [other.td]\n"));
    let e = explain_ns(&docs, "app");
    let c = codes(&e);
    // (finding, the policy it is on; the policy's name is the case)
    #[rustfmt::skip]
    let cases = [
        ("AMB021", "empty-selector"),
        ("AMB014", "audit"),
        ("AMB024", "both"),
        ("AMB012", "allow-all"),
        ("AMB041", "tds"),
    ];
    for (code, name) in cases {
        assert!(
            c.contains(&(code.into(), format!("AuthorizationPolicy/app/{name}"))),
            "{code} {name}: {c:?}"
        );
    }
    assert_eq!(
        policy(&e, "AuthorizationPolicy", "app", "empty-selector").enforcement[0].enforced_by,
        "none"
    );
    assert_eq!(
        policy(&e, "AuthorizationPolicy", "app", "audit").enforcement[0].effect,
        "not-enforced"
    );
    assert_eq!(
        policy(&e, "AuthorizationPolicy", "app", "tds").enforcement[0].effect,
        "fields-ignored"
    );
}

fn istiod(env: &[(&str, &str)]) -> String {
    let mut s = String::from("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod, namespace: istio-system}\nspec:\n  template:\n    spec:\n      containers:\n      - name: discovery\n        image: docker.io/istio/pilot:1.28.1\n        env:\n");
    for (k, v) in env {
        s.push_str(&format!("        - name: {k}\n          value: \"{v}\"\n"));
    }
    s
}

/// ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES (off by default): policies selecting the
/// waypoint's own pods are enforced (L4) by the waypoint.
#[test]
fn layered_waypoint_policies_follow_istiods_flag() {
    let sel = authz("app", "on-waypoint", "  selector:\n    matchLabels:\n      gateway.networking.k8s.io/gateway-name: wp\n  rules:\n  - from:\n    - source:\n        namespaces: [app]\n");
    // (case: the flag, enforced by, finding)
    #[rustfmt::skip]
    let cases = [
        ("false", "none",     Some("AMB018")),
        ("true",  "waypoint", None),
    ];
    for (flag, by, code) in cases {
        let mut docs = base();
        docs.push(istiod(&[(
            "ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES",
            flag,
        )]));
        docs.push(sel.clone());
        let e = explain_ns(&docs, "app");
        assert_eq!(
            policy(&e, "AuthorizationPolicy", "app", "on-waypoint").enforcement[0].enforced_by,
            by,
            "flag={flag}"
        );
        assert_eq!(
            codes(&e).iter().any(|c| c.0 == "AMB018"),
            code.is_some(),
            "flag={flag}"
        );
        let version = e
            .assumptions
            .iter()
            .find(|a| a.setting == "istioVersion")
            .unwrap();
        assert_eq!(
            (version.value.as_str(), version.source.as_str()),
            ("1.28.1", "Deployment istio-system/istiod"),
            "flag={flag}"
        );
    }
}

#[test]
fn service_status_that_disagrees_is_reported() {
    let mut docs = base();
    docs.push("apiVersion: v1\nkind: Service\nmetadata: {name: claims-bound, namespace: app}\nspec: {selector: {app: u}}\nstatus:\n  conditions:\n  - type: istio.io/WaypointBound\n    status: \"True\"\n    reason: WaypointAccepted\n".into());
    let e = explain_ns(&docs, "app");
    assert!(
        codes(&e).contains(&("AMB015".into(), "Service/app/claims-bound".into())),
        "{:?}",
        codes(&e)
    );
    assert!(!codes(&e)
        .iter()
        .any(|c| c.1 == "Service/app/bound" && c.0 == "AMB015"));
}

/// A mesh whose trust domain is `corp.example`: a waypoint policy written with `cluster.local`
/// principals admits the client (istiod rewrites `cluster.local` to the local trust domain for
/// Envoy), while ztunnel compares the string as written.
#[test]
fn cluster_local_principals_mean_the_local_trust_domain_at_the_waypoint() {
    use ambient_policy::check::{self, report::Verdict, Answer};
    let mesh_config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    trustDomain: corp.example\n".to_string();
    let ambient = [
        ("istio.io/dataplane-mode", "ambient"),
        ("istio.io/use-waypoint", "waypoint"),
    ];
    let docs = |principal: &str| {
        vec![
            mesh_config.clone(),
            ns("app", &ambient),
            waypoint("app", "waypoint", Some("service"), true, None),
            svc("app", "api", "api", &[]),
            pod("app", "api-1", &[("app", "api")], "api"),
            pod("app", "curl-1", &[("app", "curl")], "curl"),
            authz(
                "app",
                "api-viewer",
                &format!("  targetRefs:\n  - kind: Service\n    group: \"\"\n    name: api\n  rules:\n  - from:\n    - source:\n        principals: [\"{principal}\"]\n    to:\n    - operation:\n        methods: [GET]\n"),
            ),
        ]
    };
    let ask = check::Ask {
        from: Some("pod/app/curl-1".into()),
        to: Some("svc/app/api:80".into()),
        method: Some("GET".into()),
        path: Some("/".into()),
        ..Default::default()
    };
    let verdict = |principal: &str| match check::run(&snapshot(&docs(principal)), &ask).unwrap() {
        Answer::One(r) => (r.verdict, r.decided_by.hop),
        Answer::Matrix(_) => panic!("one request asked"),
    };
    for p in [
        "cluster.local/ns/app/sa/curl",
        "corp.example/ns/app/sa/curl",
    ] {
        assert_eq!(verdict(p).0, Verdict::Allowed, "{p}");
    }
    // Another trust domain is kept as written: it does not name this client.
    assert_eq!(verdict("other.example/ns/app/sa/curl").0, Verdict::Denied);
}
