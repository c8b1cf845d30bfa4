use super::*;
use crate::enforce::ztunnel::{Clause, StringMatch};

const W: &str = "cluster.local/ns/app/sa/waypoint";
const C: &str = "cluster.local/ns/app/sa/curl";
const P: &str = "cluster.local/ns/ambient-policy-probe/sa/probe";

fn rule(m: Match) -> ZRule {
    ZRule {
        clauses: vec![Clause { matches: vec![m] }],
    }
}
fn principals(v: &[&str]) -> Match {
    Match {
        principals: v
            .iter()
            .map(|s| StringMatch::Exact(s.to_string()))
            .collect(),
        ..Match::default()
    }
}
fn not_principals(v: &[&str]) -> Match {
    Match {
        not_principals: v
            .iter()
            .map(|s| StringMatch::Exact(s.to_string()))
            .collect(),
        ..Match::default()
    }
}
fn ports(p: u16) -> Match {
    Match {
        destination_ports: vec![p],
        ..Match::default()
    }
}

/// One line per case: action, rules, the ztunnel's overall verdict for the waypoint.
#[test]
#[allow(clippy::type_complexity)]
fn classification() {
    let deny_by = |k: &str| Verdict::Deny([k.to_string()].into());
    let k = "AuthorizationPolicy/app/p";
    let cases: Vec<(&str, Action, Vec<ZRule>, Verdict, Option<Class>)> = vec![
        (
            "allow client only, nothing else admits W",
            Action::Allow,
            vec![rule(principals(&[C]))],
            deny_by(k),
            Some(Class::DeniesWaypoint),
        ),
        (
            "allow client only, another ALLOW admits W",
            Action::Allow,
            vec![rule(principals(&[C]))],
            Verdict::Allow,
            Some(Class::ClientsHidden),
        ),
        (
            "allow client and waypoint: guard with an exception",
            Action::Allow,
            vec![rule(principals(&[C, W]))],
            Verdict::Allow,
            Some(Class::Guard),
        ),
        (
            "allow anyone and waypoint (docs' step)",
            Action::Allow,
            vec![rule(principals(&[C])), ZRule::default()],
            Verdict::Allow,
            None,
        ),
        (
            "allow only the waypoint: guard",
            Action::Allow,
            vec![rule(principals(&[W]))],
            Verdict::Allow,
            Some(Class::Guard),
        ),
        (
            "deny notPrincipals waypoint: guard",
            Action::Deny,
            vec![rule(not_principals(&[W]))],
            Verdict::Allow,
            Some(Class::Guard),
        ),
        (
            "guard with a sidecar exception",
            Action::Deny,
            vec![rule(not_principals(&[W, C]))],
            Verdict::Allow,
            Some(Class::Guard),
        ),
        (
            "deny a client: never fires via waypoint",
            Action::Deny,
            vec![rule(principals(&[C]))],
            Verdict::Allow,
            Some(Class::ClientsHidden),
        ),
        (
            "deny all but a client: denies the waypoint",
            Action::Deny,
            vec![rule(not_principals(&[C]))],
            deny_by(k),
            Some(Class::DeniesWaypoint),
        ),
        (
            "port-only allow: no source condition",
            Action::Allow,
            vec![rule(ports(8080))],
            Verdict::Allow,
            None,
        ),
    ];
    for (what, action, rules, overall, want) in cases {
        assert_eq!(classify(k, action, &rules, W, P, &overall), want, "{what}");
    }
}

#[test]
fn edit_distance() {
    assert_eq!(
        distance(
            "ns/bookinfo/sa/productpage",
            "ns/bookinfo/sa/bookinfo-productpage"
        ),
        9
    );
    assert_eq!(distance("abc", "abc"), 0);
    assert_eq!(distance("", "ab"), 2);
}
