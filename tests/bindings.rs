//! `istio.io/use-waypoint` binding (SEMANTICS.md 3.3): precedence, `none`, missing or unready
//! waypoints, waypoint-for mismatches, cross-namespace attachment and the listener that decides
//! it (`waypoint-inbound-binding`, 3.1), ingress-use-waypoint. No fallback on error.

mod support;
use ambient_policy::explain::report::Explanation;
use support::*;

/// (waypoint, error) of a Service or pod.
type Binding = (Option<String>, Option<String>);

fn svc_binding(e: &Explanation, name: &str) -> Binding {
    let s = e
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("service {name}"));
    (s.waypoint.clone(), s.waypoint_error.clone())
}

fn pod_binding(e: &Explanation, name: &str) -> Binding {
    let w = e
        .workloads
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("pod {name}"));
    (w.waypoint.clone(), w.waypoint_error.clone())
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// (case, namespace labels, object labels, expected (waypoint, error))
type Case<'a> = (
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [(&'a str, &'a str)],
    (Option<String>, Option<String>),
);

const UW: &str = "istio.io/use-waypoint";
const UWNS: &str = "istio.io/use-waypoint-namespace";

/// One world per case: namespace `app` (labels given), waypoints `ns-wp` (service) and
/// `pod-wp` (workload) and `all-wp` (all), plus a service `s` and a pod `p` with given labels.
fn world(
    ns_labels: &[(&str, &str)],
    svc_labels: &[(&str, &str)],
    pod_labels: &[(&str, &str)],
) -> Explanation {
    let mut nsl = vec![("istio.io/dataplane-mode", "ambient")];
    nsl.extend_from_slice(ns_labels);
    let mut pl = vec![("app", "p")];
    pl.extend_from_slice(pod_labels);
    explain_ns(
        &[
            ns("app", &nsl),
            waypoint("app", "ns-wp", None, true, None),
            waypoint("app", "svc-wp", Some("service"), true, None),
            waypoint("app", "pod-wp", Some("workload"), true, None),
            waypoint("app", "all-wp", Some("all"), true, None),
            waypoint("app", "unready", Some("all"), false, None),
            waypoint("app", "none-wp", Some("none"), true, None),
            waypoint("app", "odd-wp", Some("Service"), true, None),
            svc("app", "s", "p", svc_labels),
            pod("app", "p", &pl, "p"),
        ],
        "app",
    )
}

#[test]
fn service_precedence() {
    // (case, namespace labels, service labels, expected (waypoint, error))
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("no label",                       &[],                &[],                  (None, None)),
        ("namespace label",                &[(UW, "ns-wp")],   &[],                  (some("app/ns-wp"), None)),
        ("service label",                  &[],                &[(UW, "svc-wp")],    (some("app/svc-wp"), None)),
        ("object label beats namespace's", &[(UW, "ns-wp")],   &[(UW, "all-wp")],    (some("app/all-wp"), None)),
        // `none` opts out; the namespace label is not consulted.
        ("service none opts out",          &[(UW, "ns-wp")],   &[(UW, "none")],      (None, None)),
        ("namespace none",                 &[(UW, "none")],    &[],                  (None, None)),
        // `#none` (the old doc value) is a waypoint name that does not exist.
        ("#none is a missing waypoint",    &[],                &[(UW, "#none")],     (None, some("WaypointIsNotReady"))),
        // Missing or unready waypoint: no fallback to the namespace waypoint.
        ("missing: no fallback",           &[(UW, "ns-wp")],   &[(UW, "missing")],   (None, some("WaypointIsNotReady"))),
        ("unready: no fallback",           &[(UW, "ns-wp")],   &[(UW, "unready")],   (None, some("WaypointIsNotReady"))),
        // A service cannot use a workload-only waypoint, even through the namespace label.
        ("workload waypoint, own label",   &[],                &[(UW, "pod-wp")],    (None, some("UnsupportedTrafficType"))),
        ("workload waypoint, namespace's", &[(UW, "pod-wp")],  &[],                  (None, some("UnsupportedTrafficType"))),
        ("waypoint-for none",              &[],                &[(UW, "none-wp")],   (None, some("UnsupportedTrafficType"))),
        // waypoint-for values are case-sensitive; unknown ones behave like none.
        ("waypoint-for Service (case)",    &[],                &[(UW, "odd-wp")],    (None, some("UnsupportedTrafficType"))),
    ];
    for (case, nsl, sl, want) in cases {
        let e = world(nsl, sl, &[]);
        assert_eq!(&svc_binding(&e, "s"), want, "{case}: ns={nsl:?} svc={sl:?}");
    }
}

#[test]
fn pod_precedence() {
    // (case, namespace labels, pod labels, expected (waypoint, error))
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("workload waypoint",              &[],                &[(UW, "pod-wp")],    (some("app/pod-wp"), None)),
        ("all waypoint",                   &[],                &[(UW, "all-wp")],    (some("app/all-wp"), None)),
        ("namespace label",                &[(UW, "pod-wp")],  &[],                  (some("app/pod-wp"), None)),
        ("pod label beats namespace's",    &[(UW, "pod-wp")],  &[(UW, "all-wp")],    (some("app/all-wp"), None)),
        ("pod none opts out",              &[(UW, "pod-wp")],  &[(UW, "none")],      (None, None)),
        // waypoint-for mismatch: an error from the pod's own label...
        ("service waypoint, own label",    &[],                &[(UW, "svc-wp")],    (None, some("UnsupportedTrafficType"))),
        // ...but silence when inherited from the namespace (a service waypoint binds no pods).
        ("service waypoint, namespace's",  &[(UW, "svc-wp")],  &[],                  (None, None)),
        ("default-for waypoint, ns's",    &[(UW, "ns-wp")],   &[],                  (None, None)),
        ("missing",                        &[],                &[(UW, "missing")],   (None, some("WaypointIsNotReady"))),
        ("unready, namespace's",           &[(UW, "unready")], &[],                  (None, some("WaypointIsNotReady"))),
    ];
    for (case, nsl, pl, want) in cases {
        let e = world(nsl, &[], pl);
        assert_eq!(&pod_binding(&e, "p"), want, "{case}: ns={nsl:?} pod={pl:?}");
    }
}

/// The pod label and the Service label are independent: each governs its own addressing.
#[test]
fn pod_and_service_labels_are_independent() {
    let e = world(&[], &[(UW, "svc-wp")], &[(UW, "pod-wp")]);
    assert_eq!(svc_binding(&e, "s"), (some("app/svc-wp"), None));
    assert_eq!(pod_binding(&e, "p"), (some("app/pod-wp"), None));
    let path = |src: &str| {
        e.paths
            .iter()
            .find(|p| &*p.destination == "Pod/app/p" && p.source == src)
            .unwrap()
    };
    assert_eq!(
        path("ambient-service").hops[1].name.as_deref(),
        Some("app/svc-wp")
    );
    assert_eq!(
        path("ambient-pod-ip").hops[1].name.as_deref(),
        Some("app/pod-wp")
    );
    // Sidecar clients bypass both; out-of-mesh clients too.
    assert_eq!(path("sidecar").hops.len(), 2);
    assert_eq!(path("out-of-mesh").hops.len(), 2);
}

fn cross_ns(
    allowed: Option<&str>,
    client_ns_labels: &[(&str, &str)],
) -> (Option<String>, Option<String>) {
    let mut nsl = vec![("istio.io/dataplane-mode", "ambient")];
    nsl.extend_from_slice(client_ns_labels);
    let e = explain_ns(
        &[
            ns("shared", &[]),
            ns("app", &nsl),
            waypoint("shared", "wp", None, true, allowed),
            svc("app", "s", "p", &[(UW, "wp"), (UWNS, "shared")]),
            pod("app", "p", &[("app", "p")], "p"),
        ],
        "app",
    );
    svc_binding(&e, "s")
}

#[test]
fn cross_namespace_waypoints() {
    // istioctl's waypoint has no allowedRoutes: Same only.
    assert_eq!(cross_ns(None, &[]), (None, some("AttachmentDenied")));
    assert_eq!(
        cross_ns(Some("from: Same"), &[]),
        (None, some("AttachmentDenied"))
    );
    assert_eq!(cross_ns(Some("from: All"), &[]), (some("shared/wp"), None));
    let sel = "from: Selector\nselector:\n  matchLabels:\n    team: a";
    assert_eq!(
        cross_ns(Some(sel), &[("team", "a")]),
        (some("shared/wp"), None)
    );
    assert_eq!(
        cross_ns(Some(sel), &[("team", "b")]),
        (None, some("AttachmentDenied"))
    );
}

/// A waypoint in `wp` with three listeners: HBONE 15008 (no allowedRoutes: Same), a PROXY
/// sandwich listener 15088 admitting all namespaces, and 15099 admitting only `Same`; its
/// Gateway and GatewayClass may carry `ambient.istio.io/waypoint-inbound-binding`.
fn sandwich_gateway(gw_annotation: Option<&str>, class_annotation: Option<&str>) -> Vec<String> {
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
        svc("app", "s", "s", &[(UW, "wp"), (UWNS, "wp")]),
        pod("app", "s-1", &[("app", "s")], "s"),
    ]
}

/// The `ambient.istio.io/waypoint-inbound-binding` annotation (SEMANTICS.md 3.1): the bound
/// listener decides which namespaces may bind.
#[test]
fn inbound_binding_picks_the_listener() {
    let denied = (None, some("AttachmentDenied"));
    let bound = (some("wp/wp"), None);
    // (case, Gateway annotation, GatewayClass annotation, expected (waypoint, error))
    #[rustfmt::skip]
    let cases: &[(&str, Option<&str>, Option<&str>, &Binding)] = &[
        ("HBONE listener: Same namespace only",        None,                None,                &denied),
        ("the istio.io/PROXY listener admits all",     Some("PROXY"),       None,                &bound),
        ("PROXY by port",                              Some("PROXY/15088"), None,                &bound),
        ("PROXY by port: that listener admits Same",   Some("PROXY/15099"), None,                &denied),
        ("NONE with a port still picks by port",       Some("NONE/15088"),  None,                &bound),
        ("NONE, no port, not PROXY: HBONE listener",   Some("NONE"),        None,                &denied),
        ("no such listener: the HBONE listener",       Some("PROXY/15077"), None,                &denied),
        ("invalid protocol: ignored",                  Some("HTTP"),        None,                &denied),
        ("invalid form: ignored",                      Some("PROXY/1/2"),   None,                &denied),
        ("from the GatewayClass",                      None,                Some("PROXY/15088"), &bound),
        ("the Gateway's beats the class's",            Some("PROXY/15099"), Some("PROXY"),       &denied),
    ];
    for (case, gw, class, want) in cases {
        let e = explain_ns(&sandwich_gateway(*gw, *class), "app");
        let s = e.services.iter().find(|s| s.name == "s").unwrap();
        assert_eq!(
            (&s.waypoint, &s.waypoint_error),
            (&want.0, &want.1),
            "{case}: gateway {gw:?}, class {class:?}"
        );
    }
}

/// The namespace's use-waypoint-namespace label is never combined with an object's own
/// use-waypoint label.
#[test]
fn namespace_of_the_waypoint_comes_from_the_same_object() {
    let e = explain_ns(
        &[
            ns("shared", &[]),
            ns(
                "app",
                &[("istio.io/dataplane-mode", "ambient"), (UWNS, "shared")],
            ),
            waypoint("shared", "wp", None, true, Some("from: All")),
            svc("app", "s", "p", &[(UW, "wp")]),
            pod("app", "p", &[("app", "p")], "p"),
        ],
        "app",
    );
    assert_eq!(svc_binding(&e, "s"), (None, some("WaypointIsNotReady")));
    assert!(codes(&e).contains(&("AMB008".into(), "Service/app/s".into())));
}

/// A waypoint admitting namespaces by `kubernetes.io/metadata.name` admits a namespace that
/// is not in the input by its name (the API server labels every Namespace so), and only it.
#[test]
fn allowed_routes_by_namespace_name_without_the_namespace() {
    let input = include_str!("fixtures/waypoints/admits-namespaces-by-name.yaml").to_string();
    // Each namespace holds one Service of its name.
    let binding = |ns: &str| svc_binding(&explain_ns(std::slice::from_ref(&input), ns), ns);
    assert_eq!(binding("orders"), (some("waypoints/waypoint"), None));
    assert_eq!(binding("billing"), (None, some("AttachmentDenied")));
}

#[test]
fn waypoint_identity_and_own_service() {
    let e = explain_ns(
        &[
            ns("app", &[("istio.io/dataplane-mode", "ambient"), (UW, "wp")]),
            waypoint("app", "wp", None, true, None),
            // The waypoint's own Service never gets a waypoint.
            svc(
                "app",
                "wp",
                "wp",
                &[("gateway.istio.io/managed", "istio.io-mesh-controller")],
            ),
        ],
        "app",
    );
    assert_eq!(svc_binding(&e, "wp"), (None, None));
    assert_eq!(
        e.waypoints[0].identity,
        "spiffe://cluster.local/ns/app/sa/wp"
    );
    let pod = e.workloads.iter().find(|w| w.name == "wp-pod").unwrap();
    assert_eq!(
        (
            pod.role.as_str(),
            pod.dataplane.as_str(),
            pod.waypoint.as_deref()
        ),
        ("waypoint", "none", None)
    );
}

#[test]
fn ingress_use_waypoint() {
    // ParseBool semantics: True, 1, t are true; junk is false. Namespace label is the fallback.
    // (case, Service label, Namespace label, ingress goes through the waypoint)
    #[rustfmt::skip]
    let cases = [
        ("service true",                  Some("true"),  None,         true),
        ("service True",                  Some("True"),  None,         true),
        ("service 1",                     Some("1"),     None,         true),
        ("service yes is not a bool",     Some("yes"),   None,         false),
        ("namespace t",                   None,          Some("t"),    true),
        ("service false beats namespace", Some("false"), Some("true"), false),
        ("no label",                      None,          None,         false),
    ];
    for (case, svc_label, ns_label, want) in cases {
        let mut nsl = vec![("istio.io/dataplane-mode", "ambient")];
        if let Some(v) = ns_label {
            nsl.push(("istio.io/ingress-use-waypoint", v));
        }
        let mut sl = vec![(UW, "wp")];
        if let Some(v) = svc_label {
            sl.push(("istio.io/ingress-use-waypoint", v));
        }
        let e = explain_ns(
            &[
                ns("app", &nsl),
                waypoint("app", "wp", None, true, None),
                svc("app", "s", "p", &sl),
                pod("app", "p", &[("app", "p")], "p"),
            ],
            "app",
        );
        let s = e.services.iter().find(|s| s.name == "s").unwrap();
        assert_eq!(
            s.ingress_use_waypoint, want,
            "{case}: svc={svc_label:?} ns={ns_label:?}"
        );
        let ingress = e.paths.iter().find(|p| p.source == "ingress").unwrap();
        assert_eq!(
            ingress.hops.iter().any(|h| h.component == "waypoint"),
            want,
            "{case}: ingress path {:?}",
            ingress.hops
        );
    }
}
