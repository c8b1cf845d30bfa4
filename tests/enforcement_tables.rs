//! Every row of the three enforcement tables in ../shared/seeds/:
//! "TCP Enforcement" and "HTTP Enforcement" (policy-enforcement-in-ambient.md) and "Policy
//! enforcement will be applied as follows" (use-layer-7-features.md).
//! Invariants of the tables: the client is a captured pod; the waypoint is `waypoint-for:
//! service`; redirection is configured (the Service carries `istio.io/use-waypoint`).
//! Then where the code departs from the docs: a DENY with HTTP rules at ztunnel.

mod support;
use ambient_policy::explain::report::Verdict;
use support::*;

#[derive(Clone, Copy, Debug)]
enum Attach {
    Selector,
    Namespace,
    TargetService,
    TargetGateway,
}

fn world(
    waypoint_in_path: bool,
    attach: Attach,
    rule: &str,
) -> ambient_policy::explain::report::Explanation {
    let attachment = match attach {
        Attach::Selector => "  selector:\n    matchLabels:\n      app: server\n",
        Attach::Namespace => "",
        Attach::TargetService => "  targetRefs:\n  - kind: Service\n    group: \"\"\n    name: server\n",
        Attach::TargetGateway => {
            "  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: waypoint\n"
        }
    };
    let svc_labels: &[(&str, &str)] = if waypoint_in_path {
        &[("istio.io/use-waypoint", "waypoint")]
    } else {
        &[]
    };
    explain_ns(
        &[
            ns("app", &[("istio.io/dataplane-mode", "ambient")]),
            pod("app", "client", &[("app", "client")], "client"),
            pod("app", "server", &[("app", "server")], "server"),
            svc("app", "server", "server", svc_labels),
            waypoint("app", "waypoint", Some("service"), true, None),
            authz(
                "app",
                "p",
                &format!("{attachment}  action: ALLOW\n  rules:\n{rule}"),
            ),
        ],
        "app",
    )
}

const TCP_RULE: &str =
    "  - from:\n    - source:\n        principals: [\"cluster.local/ns/app/sa/client\"]\n";
const HTTP_RULE: &str = "  - to:\n    - operation:\n        methods: [\"GET\"]\n";

/// The entry of the path the table's row is about: through the waypoint when there is one.
fn row_entry(
    e: &ambient_policy::explain::report::Explanation,
    waypoint_in_path: bool,
) -> (String, String, String) {
    let p = policy(e, "AuthorizationPolicy", "app", "p");
    let want_path = if waypoint_in_path {
        "waypoint"
    } else {
        "direct"
    };
    let en = p
        .enforcement
        .iter()
        .find(|x| x.path == want_path)
        .unwrap_or_else(|| panic!("no {want_path} entry: {:#?}", p.enforcement));
    assert!(
        en.targets.iter().any(|t| matches!(
            &**t,
            "Pod/app/server" | "Service/app/server" | "Gateway/app/waypoint"
        )),
        "{en:?}"
    );
    (
        en.enforced_by.clone(),
        en.source_identity.clone(),
        en.effect.clone(),
    )
}

fn s(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn tcp_enforcement_table() {
    // | Waypoint | Attachment | Source Identity | Enforced By |: a row is named by its first two
    // cells, which the assertions print.
    #[rustfmt::skip]
    let rows = [
        (false, Attach::Selector,      s("ztunnel", "client", "as-written")),
        (true,  Attach::Selector,      s("ztunnel", "waypoint", "as-written")),
        (false, Attach::Namespace,     s("ztunnel", "client", "as-written")),
        (true,  Attach::Namespace,     s("ztunnel", "waypoint", "as-written")),
        (true,  Attach::TargetService, s("waypoint", "client", "as-written")),
        (true,  Attach::TargetGateway, s("waypoint", "client", "as-written")),
    ];
    for (wp, attach, want) in rows {
        let e = world(wp, attach, TCP_RULE);
        assert_eq!(row_entry(&e, wp), want, "waypoint={wp} {attach:?}");
        let p = policy(&e, "AuthorizationPolicy", "app", "p");
        if !wp {
            assert!(
                p.enforcement.iter().all(|x| x.path != "waypoint"),
                "waypoint={wp} {attach:?}: {:#?}",
                p.enforcement
            );
        }
        if matches!(attach, Attach::TargetService | Attach::TargetGateway) {
            // Waypoint-attached: ztunnel never sees it.
            assert!(
                p.enforcement.iter().all(|x| x.enforced_by == "waypoint"),
                "waypoint={wp} {attach:?}: {:#?}",
                p.enforcement
            );
            assert_eq!(
                p.enforcement[0].waypoint.as_deref(),
                Some("app/waypoint"),
                "waypoint={wp} {attach:?}"
            );
        }
    }
}

/// The HTTP table and the "applied as follows" table say the same: a selector or namespace
/// ALLOW policy with HTTP rules makes the destination ztunnel DENY (identity n/a), with or
/// without a waypoint; targetRefs policies are enforced per policy by the waypoint with the
/// client identity.
#[test]
fn http_enforcement_tables() {
    // A row is named by its waypoint and attachment cells, which the assertions print.
    #[rustfmt::skip]
    let rows = [
        (false, Attach::Selector,      s("ztunnel", "client", "deny-all")),
        (true,  Attach::Selector,      s("ztunnel", "waypoint", "deny-all")),
        (false, Attach::Namespace,     s("ztunnel", "client", "deny-all")),
        (true,  Attach::Namespace,     s("ztunnel", "waypoint", "deny-all")),
        (true,  Attach::TargetService, s("waypoint", "client", "as-written")),
        (true,  Attach::TargetGateway, s("waypoint", "client", "as-written")),
    ];
    for (wp, attach, want) in rows {
        let e = world(wp, attach, HTTP_RULE);
        assert_eq!(row_entry(&e, wp), want, "waypoint={wp} {attach:?}");
        let ztunnel_row = want.0 == "ztunnel";
        // "DENY" with identity "n/a": whatever the identity, ztunnel denies. Where the
        // identity is known (waypoint, or none for plaintext) the path shows the verdict.
        let server_paths: Vec<_> = e
            .paths
            .iter()
            .filter(|p| &*p.destination == "Pod/app/server")
            .collect();
        for path in server_paths {
            let dest = path.hops.last().unwrap();
            if let Some(v) = &dest.verdict {
                if ztunnel_row {
                    assert!(
                        matches!(v, Verdict::Deny(_)),
                        "waypoint={wp} {attach:?} {}: {v:?}",
                        path.source
                    );
                }
            }
        }
        if ztunnel_row {
            assert!(
                codes(&e).contains(&("AMB001".into(), "AuthorizationPolicy/app/p".into())),
                "waypoint={wp} {attach:?}: {:?}",
                codes(&e)
            );
        } else {
            assert!(
                !codes(&e).iter().any(|c| c.0 == "AMB001"),
                "waypoint={wp} {attach:?}: {:?}",
                codes(&e)
            );
        }
    }
}

/// A DENY with only HTTP conditions, at ztunnel, never fires: an error (AMB003), since traffic
/// the author meant to close stays open.
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
    assert_eq!(f.severity, ambient_policy::findings::Severity::Error);
}

/// Where the docs and the code disagree, the code wins (SEMANTICS.md 4.3, 12): a DENY policy
/// with HTTP rules is not "DENY all" at ztunnel.
#[test]
fn http_deny_policies_follow_the_code() {
    #[rustfmt::skip]
    let cases = [
        // (case, rule, effect at ztunnel)
        ("methods only",                  "  - to:\n    - operation:\n        methods: [\"GET\"]\n", "no-effect"),
        ("principals and a header",       "  - from:\n    - source:\n        principals: [\"x\"]\n    when:\n    - key: request.headers[x-token]\n      values: [\"a\"]\n", "no-effect"),
        ("principals, notRequestPrincipals", "  - from:\n    - source:\n        principals: [\"x\"]\n        notRequestPrincipals: [\"*\"]\n", "l7-ignored"),
    ];
    // (waypoint in the path, attachment)
    #[rustfmt::skip]
    let attachments = [
        (false, "  selector:\n    matchLabels:\n      app: server\n"),
        (true,  ""),
    ];
    for (wp, attach) in attachments {
        for (case, rule, effect) in cases {
            let svc_labels: &[(&str, &str)] = if wp {
                &[("istio.io/use-waypoint", "waypoint")]
            } else {
                &[]
            };
            let e = explain_ns(
                &[
                    ns("app", &[("istio.io/dataplane-mode", "ambient")]),
                    pod("app", "server", &[("app", "server")], "server"),
                    svc("app", "server", "server", svc_labels),
                    waypoint("app", "waypoint", None, true, None),
                    authz(
                        "app",
                        "p",
                        &format!("{attach}  action: DENY\n  rules:\n{rule}"),
                    ),
                ],
                "app",
            );
            let p = policy(&e, "AuthorizationPolicy", "app", "p");
            assert!(
                p.enforcement
                    .iter()
                    .all(|x| x.enforced_by == "ztunnel" && x.effect == effect),
                "{case}, waypoint={wp}: {rule}: {:#?}",
                p.enforcement
            );
            let code = if effect == "no-effect" {
                "AMB003"
            } else {
                "AMB004"
            };
            assert!(
                codes(&e).iter().any(|c| c.0 == code),
                "{case}, waypoint={wp}: {rule}: {:?}",
                codes(&e)
            );
        }
    }
}
