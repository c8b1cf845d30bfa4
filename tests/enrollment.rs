//! Enrollment (SEMANTICS.md 2), sidecar-injected destinations, and which policies `-n NS`
//! covers wherever they live.

// Table tests read best as tuples.
#![allow(clippy::type_complexity)]

mod support;
use support::*;

const DM: &str = "istio.io/dataplane-mode";

fn dataplane(ns_labels: &[(&str, &str)], pod_doc: String) -> (String, String) {
    let e = explain_ns(&[ns("app", ns_labels), pod_doc], "app");
    let w = &e.workloads[0];
    (w.dataplane.clone(), w.dataplane_reason.clone())
}

#[test]
fn enrollment_rules() {
    let p = |labels: &[(&str, &str)]| pod("app", "p", labels, "p");
    let cni = |v: &str| pod_annotated("app", "p", &[], &[("ambient.istio.io/redirection", v)]);
    let injected = pod_annotated("app", "p", &[], &[("sidecar.istio.io/status", "{}")]);
    // (case, namespace labels, pod document, dataplane)
    #[rustfmt::skip]
    let cases: Vec<(&str, &[(&str, &str)], String, &str)> = vec![
        ("namespace ambient",                      &[(DM, "ambient")], p(&[]), "ambient"),
        ("pod none opts out",                      &[(DM, "ambient")], p(&[(DM, "none")]), "none"),
        ("only the exact value none opts out",     &[(DM, "ambient")], p(&[(DM, "foo")]), "ambient"),
        // The pod label wins in both directions.
        ("pod ambient, namespace unlabelled",      &[], p(&[(DM, "ambient")]), "ambient"),
        ("pod ambient beats namespace none",       &[(DM, "none")], p(&[(DM, "ambient")]), "ambient"),
        ("no label",                               &[], p(&[]), "none"),
        ("values are case-sensitive",              &[(DM, "Ambient")], p(&[]), "none"),
        ("injected sidecar beats ambient labels",  &[(DM, "ambient")], injected, "sidecar"),
        // Injection predicted from labels; the sidecar wins.
        ("istio-injection beats ambient",          &[(DM, "ambient"), ("istio-injection", "enabled")], p(&[]), "sidecar"),
        ("istio.io/rev injects",                   &[("istio.io/rev", "canary")], p(&[]), "sidecar"),
        ("pod inject false beats namespace",       &[("istio-injection", "enabled")], p(&[("sidecar.istio.io/inject", "false")]), "none"),
        ("pod inject true",                        &[], p(&[("sidecar.istio.io/inject", "true")]), "sidecar"),
        ("live istio-cni redirection annotation",  &[], cni("enabled"), "ambient"),
    ];
    for (case, nsl, doc, want) in cases {
        let (dp, why) = dataplane(nsl, doc.clone());
        assert_eq!(dp, want, "{case}: ns={nsl:?}: {why}\n{doc}");
    }
}

#[test]
fn host_network_excluded_and_terminal_pods() {
    let host = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec: {hostNetwork: true}\n".to_string();
    assert_eq!(dataplane(&[(DM, "ambient")], host).0, "none");
    let done = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nstatus: {phase: Succeeded}\n".to_string();
    assert_eq!(dataplane(&[(DM, "ambient")], done).0, "none");
    // A live pod (it has a phase) is ambient only when istio-cni annotated it.
    let live = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nstatus: {phase: Running}\n".to_string();
    assert_eq!(dataplane(&[(DM, "ambient")], live).0, "none");
    let e = explain_ns(
        &[
            ns("kube-system", &[(DM, "ambient")]),
            pod("kube-system", "p", &[], "p"),
        ],
        "kube-system",
    );
    assert_eq!(e.workloads[0].dataplane, "none");
}

#[test]
fn sidecar_destinations_use_sidecar_semantics() {
    let e = explain_ns(
        &[
            ns("app", &[("istio-injection", "enabled"), (DM, "ambient")]),
            ns("istio-system", &[]),
            pod("app", "p", &[("app", "p")], "p"),
            // HTTP rules by selector: fine for a sidecar.
            authz("app", "l7", "  selector:\n    matchLabels:\n      app: p\n  rules:\n  - to:\n    - operation:\n        methods: [GET]\n"),
            authz("app", "ns-wide", "  action: DENY\n  rules:\n  - from:\n    - source:\n        namespaces: [bad]\n"),
            authz("istio-system", "root", "  action: DENY\n  rules:\n  - from:\n    - source:\n        namespaces: [evil]\n"),
            // targetRefs are ignored by sidecars.
            authz("app", "tr", "  targetRefs:\n  - kind: Service\n    name: p\n  rules:\n  - {}\n"),
        ],
        "app",
    );
    for name in ["l7", "ns-wide"] {
        assert_eq!(
            rows(policy(&e, "AuthorizationPolicy", "app", name)),
            vec![(
                "sidecar".into(),
                "direct".into(),
                "client".into(),
                "as-written".into()
            )],
            "{name}"
        );
    }
    assert_eq!(
        policy(&e, "AuthorizationPolicy", "istio-system", "root").enforcement[0].enforced_by,
        "sidecar"
    );
    assert_eq!(
        policy(&e, "AuthorizationPolicy", "app", "tr").enforcement[0].enforced_by,
        "none"
    );
    assert!(!codes(&e).iter().any(|c| c.0 == "AMB001"));
    assert!(codes(&e).contains(&("AMB022".into(), "Namespace/app".into())));
}

#[test]
fn out_of_mesh_destinations_enforce_nothing() {
    let e = explain_ns(
        &[
            ns("app", &[]),
            pod("app", "p", &[("app", "p")], "p"),
            authz(
                "app",
                "sel",
                "  selector:\n    matchLabels:\n      app: p\n  action: DENY\n  rules:\n  - {}\n",
            ),
        ],
        "app",
    );
    let p = policy(&e, "AuthorizationPolicy", "app", "sel");
    assert_eq!(
        rows(p),
        vec![(
            "none".into(),
            "none".into(),
            "none".into(),
            "not-enforced".into()
        )]
    );
    assert!(codes(&e).contains(&("AMB007".into(), "AuthorizationPolicy/app/sel".into())));
    assert!(e
        .paths
        .iter()
        .all(|p| p.hops.last().unwrap().component == "none"));
}

/// `explain -n app` covers root-namespace policies and policies in a cross-namespace
/// waypoint's namespace, and leaves out policies that affect nothing in `app`.
#[test]
fn policies_from_other_namespaces() {
    let e = explain_ns(
        &[
            ns("app", &[(DM, "ambient")]),
            ns("shared", &[]),
            ns("other", &[(DM, "ambient")]),
            ns("istio-system", &[]),
            waypoint("shared", "wp", None, true, Some("from: All")),
            svc("app", "s", "p", &[("istio.io/use-waypoint", "wp"), ("istio.io/use-waypoint-namespace", "shared")]),
            pod("app", "p", &[("app", "p")], "p"),
            pod("other", "q", &[("app", "q")], "q"),
            authz("shared", "at-waypoint", "  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: wp\n  rules:\n  - {}\n"),
            authz("istio-system", "mesh-deny", "  action: DENY\n  rules:\n  - from:\n    - source:\n        namespaces: [evil]\n"),
            authz("istio-system", "root-selector", "  selector:\n    matchLabels:\n      app: p\n  rules:\n  - {}\n"),
            authz("istio-system", "root-selector-elsewhere", "  selector:\n    matchLabels:\n      app: q\n  rules:\n  - {}\n"),
            authz("other", "other-ns", "  rules:\n  - {}\n"),
            // A Gateway-targeted policy in the service's namespace does not attach to a
            // waypoint in another namespace.
            authz("app", "wrong-ns", "  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: wp\n  rules:\n  - {}\n"),
        ],
        "app",
    );
    let names: Vec<String> = e
        .policies
        .iter()
        .map(|p| format!("{}/{}", p.namespace, p.name))
        .collect();
    assert_eq!(
        names,
        vec![
            "app/wrong-ns",
            "istio-system/mesh-deny",
            "istio-system/root-selector",
            "shared/at-waypoint"
        ]
    );
    let at = policy(&e, "AuthorizationPolicy", "shared", "at-waypoint");
    assert_eq!(at.enforcement[0].enforced_by, "waypoint");
    assert!(
        at.enforcement[0]
            .targets
            .iter()
            .any(|t| &**t == "Service/app/s"),
        "{:?}",
        at.enforcement
    );
    assert_eq!(
        policy(&e, "AuthorizationPolicy", "app", "wrong-ns").enforcement[0].effect,
        "not-enforced"
    );
    assert!(codes(&e).contains(&(
        "AMB011".into(),
        "AuthorizationPolicy/istio-system/mesh-deny".into()
    )));
    assert!(e
        .waypoints
        .iter()
        .any(|w| w.namespace == "shared" && w.name == "wp"));
}
