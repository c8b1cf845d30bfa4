//! How an Envoy-based proxy (waypoint, sidecar, ingress gateway) evaluates an
//! AuthorizationPolicy: every field, L4 and HTTP (Istio's AuthorizationPolicy reference and
//! `pilot/pkg/security/authz/model`: principals and namespaces are matched against the mTLS
//! peer identity, `hosts`/`methods`/`paths` with exact, `prefix*`, `*suffix` and `*`
//! presence, `not*` fields exclude, `when` keys by attribute). Nothing is assumed: an
//! attribute the request does not carry makes the result unknown.

use super::l4::{kind, service_account_hit, NsSa, ServiceAccountShown};
use super::peer::{self, identity_kind, Peer, Subject, Witnesses};
use super::unescaped::{Field, Pattern};
use super::{HopDecision, Outcome};
use crate::enforce::ztunnel::{service_accounts, Action, Cidr, StringMatch};
use crate::model::{AuthorizationPolicy, From, Operation, Rule, Source, To, WhenCondition};
use crate::versions::rules::Unescaped;
use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::IpAddr;

/// What the proxy knows of one request. `None` is "not known".
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The mTLS peer.
    pub peer: Peer,
    /// The direct peer address (`source.ip`, `ipBlocks`).
    pub source_ip: Option<IpAddr>,
    /// The original client address (`remote.ip`, `remoteIpBlocks`).
    pub remote_ip: Option<IpAddr>,
    pub destination_ip: Option<IpAddr>,
    pub port: Option<u16>,
    pub host: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    /// Given headers, names lowercased. A header not here is unknown, not absent.
    pub headers: BTreeMap<String, String>,
    /// JWT `iss/sub` (`requestPrincipals`, `request.auth.principal`).
    pub request_principal: Option<String>,
    /// The mesh's trust domain, which the proxy reads `cluster.local` principals as
    /// (`None`: `cluster.local` itself).
    pub trust_domain: Option<String>,
    /// The identity values istiod leaves unescaped in the proxy's regexes on the release
    /// that runs (`Rules::envoy_unescaped`; `Index::decide_envoy` sets it).
    pub unescaped: Unescaped,
}

/// An Envoy-based proxy's decision (waypoint, sidecar, ingress gateway) for request `r`
/// over the policies it holds, each with the action that decides (`Audit` for a dry-run
/// policy: Envoy's shadow rules never decide), and each policy's outcome for `r`. For a peer
/// the question does not name, decided when every identity the policies tell apart agrees.
pub fn decide(
    policies: &[(&AuthorizationPolicy, Action)],
    r: &Request,
) -> (Vec<Outcome>, HopDecision) {
    let actions: Vec<Action> = policies.iter().map(|p| p.1).collect();
    peer::decide(
        &r.peer,
        &actions,
        |peer| {
            let req = Request {
                peer: peer.clone(),
                ..r.clone()
            };
            policies.iter().map(|(p, _)| evaluate(p, &req)).collect()
        },
        |w| {
            for (p, _) in policies {
                witnesses(p, r, w);
            }
        },
    )
}

/// Adds the identities one policy's conditions tell apart.
fn witnesses(p: &AuthorizationPolicy, r: &Request, w: &mut Witnesses) {
    let ns = &p.metadata.namespace;
    for rule in p.spec.rules.as_deref().unwrap_or(&[]) {
        for s in rule.from.iter().map(|f| &f.source) {
            for m in principals(&s.principals, r)
                .iter()
                .chain(&principals(&s.not_principals, r))
            {
                w.principal(m);
            }
            for m in strings(&s.namespaces)
                .iter()
                .chain(&strings(&s.not_namespaces))
            {
                w.namespace(m);
            }
            for (n, sa) in service_accounts(&s.service_accounts, ns)
                .iter()
                .chain(&service_accounts(&s.not_service_accounts, ns))
            {
                w.service_account(n, sa);
            }
        }
        for c in &rule.when {
            let values = c.values.iter().chain(&c.not_values).cloned();
            match c.key.as_str() {
                "source.principal" => {
                    for m in principals(&values.collect::<Vec<_>>(), r) {
                        w.principal(&m);
                    }
                }
                "source.namespace" => {
                    for m in strings(&values.collect::<Vec<_>>()) {
                        w.namespace(&m);
                    }
                }
                "source.serviceAccount" => w.opaque(),
                _ => {}
            }
        }
    }
}

/// Whether one policy's rules match the request (ALLOW: allows it; DENY: denies it).
pub fn evaluate(p: &AuthorizationPolicy, r: &Request) -> Outcome {
    let rules = p.spec.rules.as_deref().unwrap_or(&[]);
    if rules.is_empty() {
        return Outcome::NoMatch("the policy has no rules".into());
    }
    let many = rules.len() > 1;
    Outcome::any(
        rules
            .iter()
            .map(|rule| rule_outcome(rule, &p.metadata.namespace, r)),
        |i| many.then(|| format!("rule {}", i + 1)),
    )
}

/// A rule matches when its `from` (any entry), its `to` (any entry) and every `when` match.
fn rule_outcome(rule: &Rule, policy_ns: &str, r: &Request) -> Outcome {
    let from = (!rule.from.is_empty()).then(|| {
        Outcome::any(
            rule.from
                .iter()
                .map(|f: &From| source(&f.source, policy_ns, r)),
            |_| None,
        )
    });
    let to = (!rule.to.is_empty()).then(|| {
        Outcome::any(
            rule.to.iter().map(|t: &To| operation(&t.operation, r)),
            |_| None,
        )
    });
    Outcome::all(
        from.into_iter()
            .chain(to)
            .chain(rule.when.iter().map(|w| when(w, policy_ns, r))),
    )
}

fn strings(v: &[String]) -> Vec<StringMatch> {
    v.iter().map(|s| StringMatch::parse(s)).collect()
}

/// Invalid entries are rejected by validation; here they simply never match.
fn cidrs(v: &[String]) -> Vec<Cidr> {
    v.iter().filter_map(|s| Cidr::parse(s)).collect()
}

fn str_kind(attr: &str, pos: &[String], neg: &[String], v: Option<&str>) -> Outcome {
    kind(attr, &strings(pos), &strings(neg), v, |m, v| m.matches(v))
}

/// A principal as istiod writes it into Envoy's RBAC filter: a `cluster.local` trust domain
/// stands for the mesh's own (`pilot/pkg/security/trustdomain/bundle.go`
/// `ReplaceTrustDomainAliases`, applied to every rule by the authz builder's
/// `MigrateTrustDomain`: "cluster.local, which is a pointer to the local trust domain").
/// Other trust domains, `*` and malformed principals are kept. ztunnel has no such step.
fn local_principal(p: &str, trust_domain: Option<&str>) -> String {
    let parts: Vec<&str> = p.split('/').collect();
    match trust_domain {
        Some(td) if parts.len() == 5 && parts[0] == "cluster.local" && td != "cluster.local" => {
            format!("{td}/{}", parts[1..].join("/"))
        }
        _ => p.to_string(),
    }
}

/// Which part of the peer's identity a condition reads.
#[derive(Clone, Copy)]
enum Part {
    Principal,
    Namespace,
    TrustDomain,
}

/// Principals as the proxy compares them (after `local_principal`).
fn principals(v: &[String], r: &Request) -> Vec<StringMatch> {
    let td = r.trust_domain.as_deref();
    v.iter()
        .map(|p| StringMatch::parse(&local_principal(p, td)))
        .collect()
}

/// An identity value as the proxy compares it: as written, or through a regex istiod left
/// unescaped (`unescaped`).
enum Val<T> {
    Written(T),
    Regex(Pattern),
}

impl<T: Display> Display for Val<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Written(t) => t.fmt(f),
            Val::Regex(p) => p.fmt(f),
        }
    }
}

/// Each value as written, or as the regex of `field` where the release leaves it unescaped.
fn read<T>(
    written: impl IntoIterator<Item = T>,
    raw: &[String],
    field: Option<Field>,
    policy_ns: &str,
    u: Unescaped,
) -> Vec<Val<T>> {
    written
        .into_iter()
        .zip(raw)
        .map(
            |(w, v)| match field.and_then(|f| Pattern::of(f, v, policy_ns, u)) {
                Some(p) => Val::Regex(p),
                None => Val::Written(w),
            },
        )
        .collect()
}

fn peer_kind(attr: &str, pos: &[String], neg: &[String], r: &Request, part: Part) -> Outcome {
    let (pm, nm, subject) = match part {
        Part::Principal => (principals(pos, r), principals(neg, r), r.peer.principal()),
        Part::Namespace => (strings(pos), strings(neg), r.peer.namespace()),
        Part::TrustDomain => (strings(pos), strings(neg), r.peer.trust_domain()),
    };
    let field = match part {
        Part::Principal => Some(Field::Principal),
        Part::Namespace => Some(Field::Namespace),
        Part::TrustDomain => None,
    };
    let (pos, neg) = (
        read(pm, pos, field, "", r.unescaped),
        read(nm, neg, field, "", r.unescaped),
    );
    identity_kind(attr, &pos, &neg, &subject, |v| match v {
        Val::Written(m) => m.test(&subject),
        Val::Regex(p) => p.hit(&r.peer),
    })
}

fn ip_kind(attr: &str, pos: &[String], neg: &[String], ip: Option<IpAddr>) -> Outcome {
    kind(attr, &cidrs(pos), &cidrs(neg), ip.as_ref(), |n, ip| {
        n.contains(*ip)
    })
}

fn sa_kind(pos: &[String], neg: &[String], policy_ns: &str, r: &Request) -> Outcome {
    let (ps, ns) = (
        service_accounts(pos, policy_ns),
        service_accounts(neg, policy_ns),
    );
    let sa = Some(Field::ServiceAccount);
    let (pos, neg) = (
        read(ps.iter().map(NsSa), pos, sa, policy_ns, r.unescaped),
        read(ns.iter().map(NsSa), neg, sa, policy_ns, r.unescaped),
    );
    identity_kind(
        "source.serviceAccount",
        &pos,
        &neg,
        &ServiceAccountShown(&r.peer),
        |v| match v {
            Val::Written(want) => service_account_hit(&r.peer, want.0),
            Val::Regex(p) => p.hit(&r.peer),
        },
    )
}

fn source(s: &Source, policy_ns: &str, r: &Request) -> Outcome {
    Outcome::all([
        peer_kind(
            "source.principal",
            &s.principals,
            &s.not_principals,
            r,
            Part::Principal,
        ),
        str_kind(
            "request.auth.principal",
            &s.request_principals,
            &s.not_request_principals,
            r.request_principal.as_deref(),
        ),
        peer_kind(
            "source.namespace",
            &s.namespaces,
            &s.not_namespaces,
            r,
            Part::Namespace,
        ),
        sa_kind(&s.service_accounts, &s.not_service_accounts, policy_ns, r),
        ip_kind("source.ip", &s.ip_blocks, &s.not_ip_blocks, r.source_ip),
        ip_kind(
            "remote.ip",
            &s.remote_ip_blocks,
            &s.not_remote_ip_blocks,
            r.remote_ip,
        ),
        peer_kind(
            "source.trustDomain",
            &s.trust_domains,
            &s.not_trust_domains,
            r,
            Part::TrustDomain,
        ),
    ])
}

/// Hosts compare case-insensitively and without the port.
fn host_kind(pos: &[String], neg: &[String], host: Option<&str>) -> Outcome {
    let lower = |v: &[String]| v.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>();
    let h = host.map(|h| {
        let h = h.to_ascii_lowercase();
        match h.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_string(),
            _ => h,
        }
    });
    str_kind("request.host", &lower(pos), &lower(neg), h.as_deref())
}

fn port_kind(attr: &str, pos: &[String], neg: &[String], port: Option<u16>) -> Outcome {
    let parse = |v: &[String]| {
        v.iter()
            .filter_map(|p| p.parse::<u16>().ok())
            .collect::<Vec<_>>()
    };
    kind(attr, &parse(pos), &parse(neg), port.as_ref(), |a, b| a == b)
}

fn operation(o: &Operation, r: &Request) -> Outcome {
    // `paths` match the path without its query string.
    let path = r.path.as_deref().map(|p| p.split('?').next().unwrap_or(p));
    Outcome::all([
        host_kind(&o.hosts, &o.not_hosts, r.host.as_deref()),
        port_kind("destination.port", &o.ports, &o.not_ports, r.port),
        str_kind(
            "request.method",
            &o.methods,
            &o.not_methods,
            r.method.as_deref(),
        ),
        str_kind("request.path", &o.paths, &o.not_paths, path),
    ])
}

/// `when` conditions by key (Istio's "Authorization Policy Conditions" reference).
fn when(w: &WhenCondition, policy_ns: &str, r: &Request) -> Outcome {
    let (pos, neg) = (&w.values, &w.not_values);
    let key = w.key.as_str();
    if let Some(h) = key
        .strip_prefix("request.headers[")
        .and_then(|k| k.strip_suffix(']'))
    {
        let v = r.headers.get(&h.to_ascii_lowercase());
        return str_kind(key, pos, neg, v.map(String::as_str));
    }
    match key {
        "source.ip" => ip_kind(key, pos, neg, r.source_ip),
        "remote.ip" => ip_kind(key, pos, neg, r.remote_ip),
        "source.namespace" => peer_kind(key, pos, neg, r, Part::Namespace),
        "source.principal" => peer_kind(key, pos, neg, r, Part::Principal),
        "source.trustDomain" => peer_kind(key, pos, neg, r, Part::TrustDomain),
        "source.serviceAccount" => {
            // Values are `ns/sa` patterns.
            let shown = ServiceAccountShown(&r.peer).to_string();
            let subject = match (&r.peer, r.peer.service_account()) {
                (_, Some(_)) => Subject::Is(&shown),
                (Peer::Any { .. }, None) => Subject::Any(String::new()),
                _ => Subject::Nothing,
            };
            let sa = Some(Field::ServiceAccount);
            let (pos, neg) = (
                read(strings(pos), pos, sa, policy_ns, r.unescaped),
                read(strings(neg), neg, sa, policy_ns, r.unescaped),
            );
            identity_kind(key, &pos, &neg, &subject, |v| match v {
                Val::Written(m) => m.test(&subject),
                Val::Regex(p) => p.hit(&r.peer),
            })
        }
        "request.auth.principal" => str_kind(key, pos, neg, r.request_principal.as_deref()),
        "destination.ip" => ip_kind(key, pos, neg, r.destination_ip),
        "destination.port" => port_kind(key, pos, neg, r.port),
        // JWT claims, audiences, presenter, SNI and experimental keys: nothing here knows them.
        _ => Outcome::unknown(key),
    }
}

/// The identity values of `p` a proxy matches through an unescaped regex under `u`
/// (`field "value"`, sorted), and which kinds of value they are.
pub fn unescaped_values(p: &AuthorizationPolicy, u: Unescaped) -> (Vec<String>, Unescaped) {
    let ns = &p.metadata.namespace;
    let mut out = Vec::new();
    let mut kinds = Unescaped::default();
    let mut note = |name: &str, field: Field, values: &[String]| {
        for v in values {
            if Pattern::of(field, v, ns, u).is_some() {
                out.push(format!("{name} {v:?}"));
                let k = field.kind();
                kinds.service_accounts |= k.service_accounts;
                kinds.namespaces_principals |= k.namespaces_principals;
            }
        }
    };
    for rule in p.spec.rules.as_deref().unwrap_or(&[]) {
        for s in rule.from.iter().map(|f| &f.source) {
            note("principals", Field::Principal, &s.principals);
            note("notPrincipals", Field::Principal, &s.not_principals);
            note("namespaces", Field::Namespace, &s.namespaces);
            note("notNamespaces", Field::Namespace, &s.not_namespaces);
            note(
                "serviceAccounts",
                Field::ServiceAccount,
                &s.service_accounts,
            );
            note(
                "notServiceAccounts",
                Field::ServiceAccount,
                &s.not_service_accounts,
            );
        }
        for w in &rule.when {
            let field = match w.key.as_str() {
                "source.principal" => Field::Principal,
                "source.namespace" => Field::Namespace,
                "source.serviceAccount" => Field::ServiceAccount,
                _ => continue,
            };
            note(&w.key, field, &w.values);
            note(&w.key, field, &w.not_values);
        }
    }
    out.sort();
    out.dedup();
    (out, kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rules: &str) -> AuthorizationPolicy {
        let yaml = format!("metadata: {{name: p, namespace: ns1}}\nspec: {{rules: {rules}}}\n");
        serde_saphyr::from_str(&yaml).unwrap()
    }

    /// `id=P` (or `id=-` for plaintext) `ip=` `remote=` `dip=` `port=` `host=` `method=`
    /// `path=` `jwt=` `td=` (mesh trust domain) `h:NAME=VALUE`; anything not given is unknown.
    fn request(s: &str) -> Request {
        // Without `id=`: an authenticated peer the question does not name.
        let mut r = Request {
            peer: Peer::Any {
                trust_domain: "td".into(),
            },
            ..Request::default()
        };
        for kv in s.split_whitespace() {
            let (k, v) = kv.split_once('=').unwrap();
            match k {
                "id" if v == "-" => r.peer = Peer::Plaintext,
                "id" => r.peer = Peer::known(v),
                "ip" => r.source_ip = v.parse().ok(),
                "remote" => r.remote_ip = v.parse().ok(),
                "dip" => r.destination_ip = v.parse().ok(),
                "port" => r.port = v.parse().ok(),
                "host" => r.host = Some(v.into()),
                "method" => r.method = Some(v.into()),
                "path" => r.path = Some(v.into()),
                "jwt" => r.request_principal = Some(v.into()),
                "td" => r.trust_domain = Some(v.into()),
                h => {
                    r.headers
                        .insert(h.strip_prefix("h:").unwrap().into(), v.into());
                }
            }
        }
        r
    }

    fn show(o: &Outcome) -> String {
        match o {
            Outcome::Match => "match".into(),
            Outcome::NoMatch(_) => "no-match".into(),
            Outcome::Unknown(n) => format!(
                "unknown:{}",
                n.iter().cloned().collect::<Vec<_>>().join(",")
            ),
        }
    }

    /// One line per case: rules, request, expected result.
    #[test]
    fn fields_and_operators() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            // principals: exact, prefix, suffix, presence; plaintext has no principal
            ("[{from: [{source: {principals: [td/ns/a/sa/x]}}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{from: [{source: {principals: [td/ns/a/sa/y]}}]}]", "id=td/ns/a/sa/x", "no-match"),
            ("[{from: [{source: {principals: [\"td/ns/a/*\"]}}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{from: [{source: {principals: [\"*/sa/x\"]}}]}]", "id=td/ns/b/sa/x", "match"),
            ("[{from: [{source: {principals: [\"*\"]}}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{from: [{source: {principals: [\"*\"]}}]}]", "id=-", "no-match"),
            ("[{from: [{source: {principals: [\"*\"]}}]}]", "", "match"),
            ("[{from: [{source: {principals: [td/ns/a/sa/x]}}]}]", "", "unknown:source.principal"),
            ("[{from: [{source: {principals: [cluster.local/ns/a/sa/x]}}]}]", "", "no-match"),
            ("[{from: [{source: {principals: [cluster.local/ns/a/sa/x]}}]}]", "td=td", "unknown:source.principal"),
            ("[{when: [{key: source.namespace, values: [\"*\"]}]}]", "", "match"),
            ("[{from: [{source: {notPrincipals: [td/ns/a/sa/x]}}]}]", "id=td/ns/a/sa/x", "no-match"),
            ("[{from: [{source: {notPrincipals: [td/ns/a/sa/x]}}]}]", "id=-", "match"),
            // namespaces from the identity; plaintext has none
            ("[{from: [{source: {namespaces: [a]}}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{from: [{source: {namespaces: [b]}}]}]", "id=td/ns/a/sa/x", "no-match"),
            ("[{from: [{source: {namespaces: [\"*\"]}}]}]", "id=-", "no-match"),
            ("[{from: [{source: {notNamespaces: [a]}}]}]", "id=td/ns/a/sa/x", "no-match"),
            ("[{from: [{source: {notNamespaces: [a]}}]}]", "id=-", "match"),
            // serviceAccounts: bare name in the policy's namespace
            ("[{from: [{source: {serviceAccounts: [x]}}]}]", "id=td/ns/ns1/sa/x", "match"),
            ("[{from: [{source: {serviceAccounts: [a/x]}}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{from: [{source: {notServiceAccounts: [a/x]}}]}]", "id=td/ns/a/sa/x", "no-match"),
            // cluster.local principals stand for the mesh's trust domain at Envoy, in `from`
            // and `when`, positive and negative; other trust domains are kept as written
            ("[{from: [{source: {principals: [cluster.local/ns/a/sa/x]}}]}]", "id=corp/ns/a/sa/x td=corp", "match"),
            ("[{from: [{source: {principals: [cluster.local/ns/a/sa/x]}}]}]", "id=cluster.local/ns/a/sa/x td=corp", "no-match"),
            ("[{from: [{source: {principals: [other/ns/a/sa/x]}}]}]", "id=corp/ns/a/sa/x td=corp", "no-match"),
            ("[{from: [{source: {notPrincipals: [cluster.local/ns/a/sa/x]}}]}]", "id=corp/ns/a/sa/x td=corp", "no-match"),
            ("[{when: [{key: source.principal, values: [cluster.local/ns/a/sa/x]}]}]", "id=corp/ns/a/sa/x td=corp", "match"),
            ("[{from: [{source: {principals: [\"cluster.local/ns/a/*\"]}}]}]", "id=corp/ns/a/sa/x td=corp", "no-match"),
            // trustDomains (Envoy only)
            ("[{from: [{source: {trustDomains: [td]}}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{from: [{source: {notTrustDomains: [td]}}]}]", "id=td/ns/a/sa/x", "no-match"),
            // ipBlocks (direct peer) and remoteIpBlocks (original client)
            ("[{from: [{source: {ipBlocks: [10.0.0.0/8]}}]}]", "ip=10.1.2.3", "match"),
            ("[{from: [{source: {ipBlocks: [10.0.0.0/8]}}]}]", "ip=192.168.0.1", "no-match"),
            ("[{from: [{source: {ipBlocks: [10.0.0.0/8]}}]}]", "", "unknown:source.ip"),
            ("[{from: [{source: {notIpBlocks: [10.0.0.1]}}]}]", "ip=10.0.0.1", "no-match"),
            ("[{from: [{source: {remoteIpBlocks: [1.2.3.0/24]}}]}]", "remote=1.2.3.4", "match"),
            ("[{from: [{source: {notRemoteIpBlocks: [1.2.3.0/24]}}]}]", "remote=1.2.3.4", "no-match"),
            ("[{from: [{source: {remoteIpBlocks: [1.2.3.0/24]}}]}]", "ip=1.2.3.4", "unknown:remote.ip"),
            // requestPrincipals (JWT iss/sub)
            ("[{from: [{source: {requestPrincipals: [\"https://iss/*\"]}}]}]", "jwt=https://iss/alice", "match"),
            ("[{from: [{source: {requestPrincipals: [\"*\"]}}]}]", "id=td/ns/a/sa/x", "unknown:request.auth.principal"),
            ("[{from: [{source: {notRequestPrincipals: [\"https://iss/alice\"]}}]}]", "jwt=https://iss/alice", "no-match"),
            // ports
            ("[{to: [{operation: {ports: [\"9080\"]}}]}]", "port=9080", "match"),
            ("[{to: [{operation: {ports: [\"9080\"]}}]}]", "port=80", "no-match"),
            ("[{to: [{operation: {notPorts: [\"9080\"]}}]}]", "port=9080", "no-match"),
            // methods
            ("[{to: [{operation: {methods: [GET, HEAD]}}]}]", "method=GET", "match"),
            ("[{to: [{operation: {methods: [GET]}}]}]", "method=POST", "no-match"),
            ("[{to: [{operation: {methods: [GET]}}]}]", "", "unknown:request.method"),
            ("[{to: [{operation: {notMethods: [DELETE]}}]}]", "method=GET", "match"),
            // paths: exact, prefix, suffix, presence; the query string is not part of the path
            ("[{to: [{operation: {paths: [/api]}}]}]", "path=/api", "match"),
            ("[{to: [{operation: {paths: [/api]}}]}]", "path=/api?x=1", "match"),
            ("[{to: [{operation: {paths: [/api]}}]}]", "path=/api/v1", "no-match"),
            ("[{to: [{operation: {paths: [\"/api/*\"]}}]}]", "path=/api/v1", "match"),
            ("[{to: [{operation: {paths: [\"*.css\"]}}]}]", "path=/s/a.css", "match"),
            ("[{to: [{operation: {paths: [\"*\"]}}]}]", "path=/", "match"),
            ("[{to: [{operation: {notPaths: [\"/admin*\"]}}]}]", "path=/admin/x", "no-match"),
            // hosts: case-insensitive, port ignored
            ("[{to: [{operation: {hosts: [Reviews.default.svc.cluster.local]}}]}]", "host=reviews.default.svc.cluster.local:9080", "match"),
            ("[{to: [{operation: {hosts: [\"*.example.com\"]}}]}]", "host=api.example.com", "match"),
            ("[{to: [{operation: {notHosts: [\"*.example.com\"]}}]}]", "host=api.example.com", "no-match"),
            ("[{to: [{operation: {hosts: [a]}}]}]", "", "unknown:request.host"),
            // when keys
            ("[{when: [{key: \"request.headers[x-user]\", values: [alice]}]}]", "h:x-user=alice", "match"),
            ("[{when: [{key: \"request.headers[X-User]\", values: [\"a*\"]}]}]", "h:x-user=alice", "match"),
            ("[{when: [{key: \"request.headers[x-user]\", notValues: [alice]}]}]", "h:x-user=alice", "no-match"),
            ("[{when: [{key: \"request.headers[x-user]\", values: [alice]}]}]", "method=GET", "unknown:request.headers[x-user]"),
            ("[{when: [{key: source.ip, values: [10.0.0.0/8]}]}]", "ip=10.0.0.1", "match"),
            ("[{when: [{key: remote.ip, values: [10.0.0.0/8]}]}]", "remote=11.0.0.1", "no-match"),
            ("[{when: [{key: source.namespace, values: [a]}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{when: [{key: source.principal, notValues: [td/ns/a/sa/x]}]}]", "id=td/ns/a/sa/x", "no-match"),
            ("[{when: [{key: source.serviceAccount, values: [a/x]}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{when: [{key: source.trustDomain, values: [other]}]}]", "id=td/ns/a/sa/x", "no-match"),
            ("[{when: [{key: request.auth.principal, values: [\"iss/*\"]}]}]", "jwt=iss/bob", "match"),
            ("[{when: [{key: \"request.auth.claims[groups]\", values: [admin]}]}]", "jwt=iss/bob", "unknown:request.auth.claims[groups]"),
            ("[{when: [{key: destination.ip, values: [10.0.0.5]}]}]", "dip=10.0.0.5", "match"),
            ("[{when: [{key: destination.port, values: [\"80\"]}]}]", "port=9080", "no-match"),
            ("[{when: [{key: connection.sni, values: [x]}]}]", "id=td/ns/a/sa/x", "unknown:connection.sni"),
            // rule structure: from AND to AND every when; entries of from/to ORed
            ("[{from: [{source: {namespaces: [a]}}], to: [{operation: {methods: [GET]}}]}]", "id=td/ns/a/sa/x method=POST", "no-match"),
            ("[{from: [{source: {namespaces: [b]}}, {source: {namespaces: [a]}}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{from: [{source: {namespaces: [b]}}], to: [{operation: {methods: [GET]}}]}]", "id=td/ns/a/sa/x", "no-match"),
            ("[{to: [{operation: {methods: [GET]}}]}, {from: [{source: {namespaces: [a]}}]}]", "id=td/ns/a/sa/x", "match"),
            ("[{}]", "", "match"),
            ("[]", "id=td/ns/a/sa/x", "no-match"),
        ];
        for (rules, req, want) in cases {
            let got = evaluate(&policy(rules), &request(req));
            assert_eq!(show(&got), *want, "{rules} with {req:?}: {got:?}");
        }
    }

    #[test]
    fn reasons_name_the_failed_condition() {
        let o = evaluate(
            &policy("[{from: [{source: {principals: [td/ns/a/sa/y]}}], to: [{operation: {methods: [GET]}}]}]"),
            &request("id=td/ns/a/sa/x method=GET"),
        );
        assert_eq!(
            o,
            Outcome::NoMatch("source.principal td/ns/a/sa/x is not in [td/ns/a/sa/y]".into())
        );
        let o = evaluate(
            &policy("[{from: [{source: {principals: [\"*\"]}}]}]"),
            &request("id=-"),
        );
        assert_eq!(
            o,
            Outcome::NoMatch("source.principal (none: plaintext) is not in [*]".into())
        );
    }
}
