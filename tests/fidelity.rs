//! Fidelity fixes: the `ambient.istio.io/waypoint-inbound-binding` annotation (SEMANTICS.md
//! 3.1: the bound listener decides which namespaces may bind) and DENY policies that never
//! fire at ztunnel (an error: traffic the author meant to close stays open).

mod support;
use ambient_policy::findings::Severity;
use support::*;

/// A waypoint in `wp` with three listeners: HBONE 15008 (no allowedRoutes: Same), a PROXY
/// sandwich listener 15088 admitting all namespaces, and 15099 admitting only `Same`.
fn gateway(gw_annotation: Option<&str>, class_annotation: Option<&str>) -> Vec<String> {
    let ann = |a: Option<&str>| {
        a.map(|v| {
            format!("  annotations:\n    ambient.istio.io/waypoint-inbound-binding: \"{v}\"\n")
        })
        .unwrap_or_default()
    };
    vec![
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: sandwich-waypoint\n{}spec:\n  controllerName: example.com/sandwich",
            ann(class_annotation)
        ),
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: wp\n  namespace: wp\n  labels:\n    istio.io/waypoint-for: service\n{}spec:\n  gatewayClassName: sandwich-waypoint\n  listeners:\n  - name: mesh\n    port: 15008\n    protocol: HBONE\n  - name: proxy\n    port: 15088\n    protocol: istio.io/PROXY\n    allowedRoutes:\n      namespaces:\n        from: All\n  - name: other\n    port: 15099\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: Same\nstatus:\n  addresses:\n  - type: IPAddress\n    value: 10.0.0.7",
            ann(gw_annotation)
        ),
        ns("wp", &[]),
        ns("app", &[("istio.io/dataplane-mode", "ambient")]),
        svc(
            "app",
            "s",
            "s",
            &[("istio.io/use-waypoint", "wp"), ("istio.io/use-waypoint-namespace", "wp")],
        ),
        pod("app", "s-1", &[("app", "s")], "s"),
    ]
}

/// (Gateway annotation, GatewayClass annotation, expected (waypoint, error))
type Case<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    &'a (Option<String>, Option<String>),
);

#[test]
fn inbound_binding_picks_the_listener() {
    let denied = (None, Some("AttachmentDenied".to_string()));
    let bound = (Some("wp/wp".to_string()), None);
    #[rustfmt::skip]
    let cases: &[Case] = &[
        (None, None, &denied),                         // HBONE listener: Same namespace only
        (Some("PROXY"), None, &bound),                 // the istio.io/PROXY listener admits all
        (Some("PROXY/15088"), None, &bound),           // by port
        (Some("PROXY/15099"), None, &denied),          // by port: that listener admits Same
        (Some("NONE/15088"), None, &bound),            // NONE with a port still picks by port
        (Some("NONE"), None, &denied),                 // no port, not PROXY: the HBONE listener
        (Some("PROXY/15077"), None, &denied),          // no such listener: the HBONE listener
        (Some("HTTP"), None, &denied),                 // invalid protocol: ignored
        (Some("PROXY/1/2"), None, &denied),            // invalid form: ignored
        (None, Some("PROXY/15088"), &bound),           // from the GatewayClass
        (Some("PROXY/15099"), Some("PROXY"), &denied), // the Gateway's beats the class's
    ];
    for (gw, class, want) in cases {
        let e = explain_ns(&gateway(*gw, *class), "app");
        let s = e.services.iter().find(|s| s.name == "s").unwrap();
        assert_eq!(
            (&s.waypoint, &s.waypoint_error),
            (&want.0, &want.1),
            "gateway {gw:?}, class {class:?}"
        );
    }
}

#[test]
fn deny_that_never_fires_at_ztunnel_is_an_error() {
    let docs = vec![
        ns("app", &[("istio.io/dataplane-mode", "ambient")]),
        pod("app", "p", &[("app", "p")], "p"),
        authz(
            "app",
            "no-admin",
            "  selector:\n    matchLabels:\n      app: p\n  action: DENY\n  rules:\n  - to:\n    - operation:\n        paths: [\"/admin\"]\n",
        ),
    ];
    let e = explain_ns(&docs, "app");
    let f = e
        .findings
        .iter()
        .find(|f| f.code == "AMB003")
        .expect("AMB003");
    assert_eq!(f.severity, Severity::Error);
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
