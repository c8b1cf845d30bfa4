//! `istio.io/use-waypoint` binding (SEMANTICS.md 3.3): precedence, `none`, missing or unready
//! waypoints, waypoint-for mismatches, cross-namespace attachment. No fallback on error.

mod support;
use ambient_policy::explain::report::Explanation;
use support::*;

fn svc_binding(e: &Explanation, name: &str) -> (Option<String>, Option<String>) {
    let s = e
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("service {name}"));
    (s.waypoint.clone(), s.waypoint_error.clone())
}

fn pod_binding(e: &Explanation, name: &str) -> (Option<String>, Option<String>) {
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

/// (namespace labels, object labels, expected (waypoint, error))
type Case<'a> = (
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
    // (namespace labels, service labels, expected (waypoint, error))
    let cases: &[Case] = &[
        (&[], &[], (None, None)),
        (&[(UW, "ns-wp")], &[], (some("app/ns-wp"), None)),
        (&[], &[(UW, "svc-wp")], (some("app/svc-wp"), None)),
        // The object label beats the namespace label.
        (
            &[(UW, "ns-wp")],
            &[(UW, "all-wp")],
            (some("app/all-wp"), None),
        ),
        // `none` opts out; the namespace label is not consulted.
        (&[(UW, "ns-wp")], &[(UW, "none")], (None, None)),
        (&[(UW, "none")], &[], (None, None)),
        // `#none` (the old doc value) is a waypoint name that does not exist.
        (&[], &[(UW, "#none")], (None, some("WaypointIsNotReady"))),
        // Missing or unready waypoint: no fallback to the namespace waypoint.
        (
            &[(UW, "ns-wp")],
            &[(UW, "missing")],
            (None, some("WaypointIsNotReady")),
        ),
        (
            &[(UW, "ns-wp")],
            &[(UW, "unready")],
            (None, some("WaypointIsNotReady")),
        ),
        // A service cannot use a workload-only waypoint, even through the namespace label.
        (
            &[],
            &[(UW, "pod-wp")],
            (None, some("UnsupportedTrafficType")),
        ),
        (
            &[(UW, "pod-wp")],
            &[],
            (None, some("UnsupportedTrafficType")),
        ),
        (
            &[],
            &[(UW, "none-wp")],
            (None, some("UnsupportedTrafficType")),
        ),
        // waypoint-for values are case-sensitive; unknown ones behave like none.
        (
            &[],
            &[(UW, "odd-wp")],
            (None, some("UnsupportedTrafficType")),
        ),
    ];
    for (nsl, sl, want) in cases {
        let e = world(nsl, sl, &[]);
        assert_eq!(&svc_binding(&e, "s"), want, "ns={nsl:?} svc={sl:?}");
    }
}

#[test]
fn pod_precedence() {
    let cases: &[Case] = &[
        (&[], &[(UW, "pod-wp")], (some("app/pod-wp"), None)),
        (&[], &[(UW, "all-wp")], (some("app/all-wp"), None)),
        (&[(UW, "pod-wp")], &[], (some("app/pod-wp"), None)),
        (
            &[(UW, "pod-wp")],
            &[(UW, "all-wp")],
            (some("app/all-wp"), None),
        ),
        (&[(UW, "pod-wp")], &[(UW, "none")], (None, None)),
        // waypoint-for mismatch: an error from the pod's own label...
        (
            &[],
            &[(UW, "svc-wp")],
            (None, some("UnsupportedTrafficType")),
        ),
        // ...but silence when inherited from the namespace (a service waypoint binds no pods).
        (&[(UW, "svc-wp")], &[], (None, None)),
        (&[(UW, "ns-wp")], &[], (None, None)),
        (&[], &[(UW, "missing")], (None, some("WaypointIsNotReady"))),
        (&[(UW, "unready")], &[], (None, some("WaypointIsNotReady"))),
    ];
    for (nsl, pl, want) in cases {
        let e = world(nsl, &[], pl);
        assert_eq!(&pod_binding(&e, "p"), want, "ns={nsl:?} pod={pl:?}");
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
            .find(|p| p.destination == "Pod/app/p" && p.source == src)
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
    let binding = |ns: &str| svc_binding(&explain_ns(&[input.clone()], ns), ns);
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
    for (svc_label, ns_label, want) in [
        (Some("true"), None, true),
        (Some("True"), None, true),
        (Some("1"), None, true),
        (Some("yes"), None, false),
        (None, Some("t"), true),
        (Some("false"), Some("true"), false),
        (None, None, false),
    ] {
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
            "svc={svc_label:?} ns={ns_label:?}"
        );
        let ingress = e.paths.iter().find(|p| p.source == "ingress").unwrap();
        assert_eq!(ingress.hops.iter().any(|h| h.component == "waypoint"), want);
    }
}
