use super::*;
use crate::enforce::evaluate::l4::{decide, policy_matches, Conn};
use crate::enforce::evaluate::{Decision, Peer};

/// A policy in namespace `ns1` (root is `istio-system`) from a flow-style spec.
fn policy(spec: &str) -> AuthorizationPolicy {
    let yaml = format!("metadata: {{name: p, namespace: ns1}}\nspec: {spec}\n");
    serde_saphyr::from_str(&yaml).unwrap()
}

/// The rules of Istio `version` (istiod and ztunnel alike), dry-run flag as given.
fn istio(version: &str, ztunnel: Option<&str>, dry_run_flag: bool) -> Rules {
    use crate::versions::Running;
    let i = Running::detect(Some((version, "test")), None);
    let z = Running::detect(ztunnel.map(|z| (z, "test")), Some(&i));
    Rules::new(i, z, dry_run_flag, false)
}

fn conv(spec: &str) -> Conversion {
    convert(&policy(spec), "istio-system", &istio("1.31.0", None, false))
}

fn id(s: &str) -> Conn {
    Conn::from(Peer::known(s))
}

fn plain() -> Conn {
    Conn::from(Peer::Plaintext)
}

fn with_port(mut c: Conn, p: u16) -> Conn {
    c.dst_port = Some(p);
    c
}

fn with_ip(mut c: Conn, ip: &str) -> Conn {
    c.src_ip = Some(ip.parse().unwrap());
    c
}

/// Each field of SEMANTICS.md 4.2: (spec, expected effect, HTTP attributes, ignored count).
#[test]
fn field_classification() {
    let cases: &[(&str, ZtEffect, &[&str], usize)] = &[
        (
            "{rules: [{from: [{source: {principals: [a]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{from: [{source: {notPrincipals: [a]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{from: [{source: {namespaces: [a]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{from: [{source: {notNamespaces: [a]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{from: [{source: {serviceAccounts: [a]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{from: [{source: {notServiceAccounts: [ns/a]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{from: [{source: {ipBlocks: [10.0.0.0/8]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{from: [{source: {notIpBlocks: [10.0.0.1]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{from: [{source: {remoteIpBlocks: [1.2.3.4]}}]}]}",
            ZtEffect::DenyAll,
            &["remoteIpBlocks"],
            0,
        ),
        (
            "{rules: [{from: [{source: {notRemoteIpBlocks: [1.2.3.4]}}]}]}",
            ZtEffect::DenyAll,
            &["notRemoteIpBlocks"],
            0,
        ),
        (
            "{rules: [{from: [{source: {requestPrincipals: [\"*\"]}}]}]}",
            ZtEffect::DenyAll,
            &["requestPrincipals"],
            0,
        ),
        (
            "{rules: [{from: [{source: {notRequestPrincipals: [\"*\"]}}]}]}",
            ZtEffect::DenyAll,
            &["notRequestPrincipals"],
            0,
        ),
        // trustDomains: neither converted nor flagged; the entry becomes empty and never matches.
        (
            "{rules: [{from: [{source: {trustDomains: [td]}}]}]}",
            ZtEffect::DenyAll,
            &[],
            1,
        ),
        (
            "{rules: [{from: [{source: {notTrustDomains: [td]}}]}]}",
            ZtEffect::DenyAll,
            &[],
            1,
        ),
        (
            "{rules: [{from: [{source: {principals: [a], trustDomains: [td]}}]}]}",
            ZtEffect::FieldsIgnored,
            &[],
            1,
        ),
        (
            "{rules: [{to: [{operation: {ports: [\"8080\"]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{to: [{operation: {notPorts: [\"8080\"]}}]}]}",
            ZtEffect::AsWritten,
            &[],
            0,
        ),
        (
            "{rules: [{to: [{operation: {ports: [\"http\", \"8080\"]}}]}]}",
            ZtEffect::FieldsIgnored,
            &[],
            1,
        ),
        (
            "{rules: [{to: [{operation: {hosts: [a]}}]}]}",
            ZtEffect::DenyAll,
            &["hosts"],
            0,
        ),
        (
            "{rules: [{to: [{operation: {notHosts: [a]}}]}]}",
            ZtEffect::DenyAll,
            &["notHosts"],
            0,
        ),
        (
            "{rules: [{to: [{operation: {methods: [GET]}}]}]}",
            ZtEffect::DenyAll,
            &["methods"],
            0,
        ),
        (
            "{rules: [{to: [{operation: {notMethods: [GET]}}]}]}",
            ZtEffect::DenyAll,
            &["notMethods"],
            0,
        ),
        (
            "{rules: [{to: [{operation: {paths: [/a]}}]}]}",
            ZtEffect::DenyAll,
            &["paths"],
            0,
        ),
        (
            "{rules: [{to: [{operation: {notPaths: [/a]}}]}]}",
            ZtEffect::DenyAll,
            &["notPaths"],
            0,
        ),
        (
            "{rules: [{from: [{source: {ipBlocks: [not-an-ip]}}]}]}",
            ZtEffect::DenyAll,
            &[],
            1,
        ),
    ];
    for (spec, effect, http, ignored) in cases {
        let c = conv(spec);
        assert_eq!(c.effect, *effect, "{spec}");
        assert_eq!(
            c.http_fields.iter().map(String::as_str).collect::<Vec<_>>(),
            *http,
            "{spec}"
        );
        assert_eq!(
            c.ignored_fields.len(),
            *ignored,
            "{spec}: {:?}",
            c.ignored_fields
        );
    }
}

/// `when` keys: only five are L4 at ztunnel.
#[test]
fn when_keys() {
    let l4 = [
        "source.ip",
        "source.namespace",
        "source.principal",
        "destination.ip",
        "destination.port",
    ];
    for k in l4 {
        let v = if k.ends_with("ip") {
            "10.0.0.1"
        } else if k.ends_with("port") {
            "80"
        } else {
            "x"
        };
        let c = conv(&format!(
            "{{rules: [{{when: [{{key: {k}, values: [\"{v}\"]}}]}}]}}"
        ));
        assert_eq!(c.effect, ZtEffect::AsWritten, "{k}");
        assert!(c.http_fields.is_empty(), "{k}");
    }
    let http = [
        "remote.ip",
        "source.serviceAccount",
        "source.trustDomain",
        "connection.sni",
        "request.headers[x]",
        "request.auth.claims[iss]",
        "experimental.envoy.filters.x",
    ];
    for k in http {
        let allow = conv(&format!(
            "{{rules: [{{when: [{{key: \"{k}\", values: [x]}}]}}]}}"
        ));
        assert_eq!(allow.effect, ZtEffect::DenyAll, "{k}");
        assert!(allow.http_fields.contains(k), "{k}");
        // DENY with an HTTP `when`: the when-clause is empty and ANDed: a no-op.
        let deny = conv(&format!("{{action: DENY, rules: [{{from: [{{source: {{principals: [a]}}}}], when: [{{key: \"{k}\", values: [x]}}]}}]}}"));
        assert_eq!(deny.effect, ZtEffect::NoEffect, "{k}");
    }
}

#[test]
fn allow_vs_deny_with_http() {
    // ALLOW: the whole rule is dropped, other rules kept.
    let c = conv("{rules: [{from: [{source: {principals: [a]}}], to: [{operation: {methods: [GET]}}]}, {from: [{source: {principals: [b]}}]}]}");
    assert_eq!(c.effect, ZtEffect::RulesDropped);
    assert_eq!(c.rules.len(), 1);
    assert_eq!(c.dead_rules, vec![0]);
    assert_eq!(policy_matches(&c.rules, &id("b")), Some(true));
    assert_eq!(policy_matches(&c.rules, &id("a")), Some(false));
    // DENY: HTTP parts stripped; a mixed entry keeps its L4 part and denies more.
    let d = conv("{action: DENY, rules: [{from: [{source: {principals: [a], notRequestPrincipals: [\"*\"]}}]}]}");
    assert_eq!(d.effect, ZtEffect::L7Ignored);
    assert_eq!(policy_matches(&d.rules, &id("a")), Some(true));
    // DENY with an HTTP-only `to` next to an L4 `from`: the to-clause never matches.
    let d = conv("{action: DENY, rules: [{from: [{source: {principals: [a]}}], to: [{operation: {methods: [GET]}}]}]}");
    assert_eq!(d.effect, ZtEffect::NoEffect);
    assert_eq!(policy_matches(&d.rules, &id("a")), Some(false));
    // DENY where one `to` entry is L4 still fires through it.
    let d = conv("{action: DENY, rules: [{to: [{operation: {methods: [GET]}}, {operation: {ports: [\"9090\"]}}]}]}");
    assert_eq!(d.effect, ZtEffect::L7Ignored);
    assert_eq!(
        policy_matches(&d.rules, &with_port(plain(), 9090)),
        Some(true)
    );
    assert_eq!(
        policy_matches(&d.rules, &with_port(plain(), 80)),
        Some(false)
    );
    // DENY `rules: [{}, {from: requestPrincipals}]`: the empty rule denies everything.
    let d = conv("{action: DENY, rules: [{}, {from: [{source: {requestPrincipals: [\"*\"]}}]}]}");
    assert_eq!(d.effect, ZtEffect::L7Ignored);
    assert_eq!(policy_matches(&d.rules, &plain()), Some(true));
}

#[test]
fn empty_rules() {
    // No rules: ALLOW matches nothing (deny-all), DENY never fires.
    for spec in ["{}", "{rules: []}"] {
        let c = conv(spec);
        assert_eq!(c.effect, ZtEffect::DenyAll, "{spec}");
        assert_eq!(policy_matches(&c.rules, &id("a")), Some(false));
        let d = conv(
            &format!("{{action: DENY, {}}}", &spec[1..spec.len() - 1])
                .replace("{action: DENY, }", "{action: DENY}"),
        );
        assert_eq!(d.effect, ZtEffect::NoEffect, "{spec}");
    }
    // `rules: [{}]`: one rule, no clauses: matches everything.
    let c = conv("{rules: [{}]}");
    assert_eq!(c.effect, ZtEffect::AsWritten);
    assert_eq!(policy_matches(&c.rules, &plain()), Some(true));
    let d = conv("{action: DENY, rules: [{}]}");
    assert_eq!(policy_matches(&d.rules, &plain()), Some(true));
}

#[test]
fn scope_action_and_not_sent() {
    let root = |spec: &str| {
        let mut p = policy(spec);
        p.metadata.namespace = "istio-system".into();
        convert(&p, "istio-system", &istio("1.31.0", None, false))
    };
    assert_eq!(conv("{}").scope, Scope::Namespace);
    assert_eq!(root("{}").scope, Scope::Global);
    assert_eq!(
        root("{selector: {matchLabels: {a: b}}}").scope,
        Scope::WorkloadSelector
    );
    assert_eq!(conv("{selector: {}}").scope, Scope::WorkloadSelector);
    assert_eq!(
        conv("{action: AUDIT}").not_sent,
        Some(NotSent::UnsupportedAction("AUDIT".into()))
    );
    assert_eq!(
        conv("{action: CUSTOM, provider: {name: x}}").not_sent,
        Some(NotSent::UnsupportedAction("CUSTOM".into()))
    );
    assert_eq!(
        conv("{targetRefs: [{kind: Service, name: x}]}").not_sent,
        Some(NotSent::TargetRefs)
    );
    assert_eq!(
        conv("{targetRef: {kind: Gateway, name: x}}").not_sent,
        Some(NotSent::TargetRefs)
    );
    // Dry-run by version: enforced up to 1.25.1, not sent 1.25.2-1.28 and with the flag off,
    // logged from 1.29 with the flag, enforced by a ztunnel older than 1.29; junk is no
    // dry-run at all.
    let mut p = policy("{}");
    p.metadata.annotations.insert(DRY_RUN.into(), "true".into());
    let at =
        |v: &str, zt: Option<&str>, flag: bool| convert(&p, "istio-system", &istio(v, zt, flag));
    let enforced = |c: &Conversion| c.not_sent.is_none() && !c.ztunnel_logs_only();
    assert!(enforced(&at("1.25.1", None, false)));
    assert_eq!(at("1.25.2", None, true).not_sent, Some(NotSent::DryRun));
    assert_eq!(at("1.31.0", None, false).not_sent, Some(NotSent::DryRun));
    let on = at("1.29.0", None, true);
    assert!(on.not_sent.is_none() && on.ztunnel_logs_only());
    assert!(enforced(&at("1.29.0", Some("1.28.3"), true)));
    let targeted = {
        let mut t = policy("{targetRefs: [{kind: Service, name: x}]}");
        t.metadata.annotations.insert(DRY_RUN.into(), "true".into());
        convert(&t, "istio-system", &istio("1.25.1", None, false))
    };
    assert_eq!(
        (targeted.not_sent, targeted.dry_run_at_ztunnel),
        (Some(NotSent::TargetRefs), None)
    );
    p.metadata.annotations.insert(DRY_RUN.into(), "yes".into());
    let junk = convert(&p, "istio-system", &istio("1.25.1", None, false));
    assert!(junk.not_sent.is_none() && !junk.dry_run && junk.dry_run_at_ztunnel.is_none());
}

#[test]
fn matching_semantics() {
    let c = conv("{rules: [{from: [{source: {principals: [\"*\"]}}]}]}");
    // `*` is presence: plaintext has no identity.
    assert_eq!(policy_matches(&c.rules, &plain()), Some(false));
    assert_eq!(policy_matches(&c.rules, &id("td/ns/a/sa/b")), Some(true));
    let c = conv("{rules: [{from: [{source: {principals: [\"*/sa/b\", \"td/ns/x*\"]}}]}]}");
    assert_eq!(policy_matches(&c.rules, &id("td/ns/a/sa/b")), Some(true));
    assert_eq!(policy_matches(&c.rules, &id("td/ns/xyz/sa/c")), Some(true));
    assert_eq!(policy_matches(&c.rules, &id("td/ns/a/sa/c")), Some(false));
    // notPrincipals is satisfied by a connection without identity.
    let c = conv("{rules: [{from: [{source: {notPrincipals: [\"td/ns/a/sa/b\"]}}]}]}");
    assert_eq!(policy_matches(&c.rules, &plain()), Some(true));
    // A bare service account takes the policy's namespace; the trust domain is ignored.
    let c = conv("{rules: [{from: [{source: {serviceAccounts: [b, other/c]}}]}]}");
    assert_eq!(policy_matches(&c.rules, &id("any/ns/ns1/sa/b")), Some(true));
    assert_eq!(policy_matches(&c.rules, &id("td/ns/ns2/sa/b")), Some(false));
    assert_eq!(
        policy_matches(&c.rules, &id("td/ns/other/sa/c")),
        Some(true)
    );
    // Namespaces are read from the identity.
    let c = conv("{rules: [{from: [{source: {namespaces: [ns2]}}]}]}");
    assert_eq!(policy_matches(&c.rules, &id("td/ns/ns2/sa/x")), Some(true));
    assert_eq!(policy_matches(&c.rules, &plain()), Some(false));
    // IP blocks: a single IP is /32.
    let c = conv("{rules: [{from: [{source: {ipBlocks: [10.1.0.0/16, 192.168.1.1]}}]}]}");
    assert_eq!(
        policy_matches(&c.rules, &with_ip(plain(), "10.1.2.3")),
        Some(true)
    );
    assert_eq!(
        policy_matches(&c.rules, &with_ip(plain(), "192.168.1.2")),
        Some(false)
    );
    // Unknown attributes give no answer instead of a wrong one.
    assert_eq!(policy_matches(&c.rules, &plain()), None);
}

#[test]
fn decision_order() {
    let allow = conv("{rules: [{from: [{source: {principals: [a]}}]}]}");
    let deny = conv("{action: DENY, rules: [{from: [{source: {principals: [a]}}]}]}");
    // (decision, deciding policy, "no ALLOW matched")
    let d = |ps: &[(Action, &[ZRule])], c: &Conn| {
        let h = decide(ps, c).1;
        (h.decision, h.policy, h.no_allow_matched)
    };
    let ps = [(Action::Allow, allow.rules.as_slice())];
    assert_eq!(d(&ps, &id("a")), (Decision::Allow, None, false));
    assert_eq!(d(&ps, &id("b")), (Decision::Deny, None, true));
    // DENY wins over ALLOW.
    let both = [
        (Action::Allow, allow.rules.as_slice()),
        (Action::Deny, deny.rules.as_slice()),
    ];
    assert_eq!(d(&both, &id("a")), (Decision::Deny, Some(1), false));
    // No ALLOW policy at all: allowed.
    let only_deny = [(Action::Deny, deny.rules.as_slice())];
    assert_eq!(d(&only_deny, &id("b")), (Decision::Allow, None, false));
    // A malformed principal `a` is no identity of any trust domain: no peer is it.
    let any = Conn::from(Peer::Any {
        trust_domain: "td".into(),
    });
    assert_eq!(d(&ps, &any), (Decision::Deny, None, true));
}
