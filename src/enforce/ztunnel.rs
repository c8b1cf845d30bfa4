//! AuthorizationPolicy -> ztunnel L4 Authorization (SEMANTICS.md 4 and 5), after
//! `pilot/pkg/serviceregistry/ambient/authorization.go#convertAuthorizationPolicy`/`handleRule`
//! and `ztunnel/src/rbac.rs#Authorization::matches`.

use crate::model::labels::parse_bool;
use crate::model::{AuthorizationPolicy, From, Rule, To, WhenCondition};
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    Allow,
    Deny,
    Audit,
    Custom,
    /// Anything else; the API server's validation would reject it.
    Invalid,
}

impl Action {
    pub fn parse(s: &str) -> Self {
        match s {
            "" | "ALLOW" => Action::Allow,
            "DENY" => Action::Deny,
            "AUDIT" => Action::Audit,
            "CUSTOM" => Action::Custom,
            _ => Action::Invalid,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "ALLOW",
            Action::Deny => "DENY",
            Action::Audit => "AUDIT",
            Action::Custom => "CUSTOM",
            Action::Invalid => "INVALID",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scope {
    WorkloadSelector,
    Namespace,
    Global,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringMatch {
    Exact(String),
    Prefix(String),
    Suffix(String),
    /// `*`: any non-empty value.
    Presence,
}

impl StringMatch {
    /// `stringToMatch`: `*` presence, `*x` suffix, `x*` prefix, anything else exact.
    pub fn parse(s: &str) -> Self {
        if s == "*" {
            StringMatch::Presence
        } else if let Some(x) = s.strip_prefix('*') {
            StringMatch::Suffix(x.into())
        } else if let Some(x) = s.strip_suffix('*') {
            StringMatch::Prefix(x.into())
        } else {
            StringMatch::Exact(s.into())
        }
    }
    pub fn matches(&self, v: &str) -> bool {
        match self {
            StringMatch::Exact(x) => v == x,
            StringMatch::Prefix(x) => v.starts_with(x.as_str()),
            StringMatch::Suffix(x) => v.ends_with(x.as_str()),
            StringMatch::Presence => !v.is_empty(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// A single IP becomes /32 or /128; invalid entries are `None` (dropped silently).
    pub fn parse(s: &str) -> Option<Self> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

/// One ztunnel `Match`: populated kinds are ANDed, values of a kind ORed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    pub principals: Vec<StringMatch>,
    pub not_principals: Vec<StringMatch>,
    pub namespaces: Vec<StringMatch>,
    pub not_namespaces: Vec<StringMatch>,
    pub service_accounts: Vec<(String, String)>,
    pub not_service_accounts: Vec<(String, String)>,
    pub source_ips: Vec<Cidr>,
    pub not_source_ips: Vec<Cidr>,
    pub destination_ips: Vec<Cidr>,
    pub not_destination_ips: Vec<Cidr>,
    pub destination_ports: Vec<u16>,
    pub not_destination_ports: Vec<u16>,
}

impl Match {
    pub fn is_empty(&self) -> bool {
        *self == Match::default()
    }
    /// Whether the match constrains the source identity (principals, namespaces, SAs).
    pub fn constrains_identity(&self) -> bool {
        !(self.principals.is_empty()
            && self.not_principals.is_empty()
            && self.namespaces.is_empty()
            && self.not_namespaces.is_empty()
            && self.service_accounts.is_empty()
            && self.not_service_accounts.is_empty())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clause {
    pub matches: Vec<Match>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZRule {
    pub clauses: Vec<Clause>,
}

impl ZRule {
    /// A rule can fire only if every clause is vacuous or has a non-empty match (ztunnel
    /// skips empty matches, so a clause made of them never matches).
    pub fn can_fire(&self) -> bool {
        self.clauses
            .iter()
            .all(|c| c.matches.is_empty() || c.matches.iter().any(|m| !m.is_empty()))
    }
}

/// What ztunnel makes of a policy it receives (DESIGN.md section 3 effects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZtEffect {
    AsWritten,
    /// ALLOW that can match nothing: all traffic to the selected workloads is denied.
    DenyAll,
    /// ALLOW with some rules that never match.
    RulesDropped,
    /// DENY enforced without its HTTP parts (broader than written).
    L7Ignored,
    /// DENY none of whose rules can fire.
    NoEffect,
    /// Fields ztunnel drops without a status warning (trustDomains, bad ports/IPs).
    FieldsIgnored,
}

impl ZtEffect {
    /// The output contract's name (DESIGN.md section 3).
    pub fn as_str(self) -> &'static str {
        match self {
            ZtEffect::AsWritten => "as-written",
            ZtEffect::DenyAll => "deny-all",
            ZtEffect::RulesDropped => "rules-dropped",
            ZtEffect::L7Ignored => "l7-ignored",
            ZtEffect::NoEffect => "no-effect",
            ZtEffect::FieldsIgnored => "fields-ignored",
        }
    }
}

/// Why istiod does not send a policy to ztunnel at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotSent {
    TargetRefs,
    UnsupportedAction(String),
    DryRun,
    InvalidAction(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub scope: Scope,
    pub action: Action,
    pub not_sent: Option<NotSent>,
    /// Sent with `dry_run=true`: matches are only logged.
    pub dry_run: bool,
    pub rules: Vec<ZRule>,
    pub effect: ZtEffect,
    /// HTTP-only attributes found (Istio's status lists them).
    pub http_fields: BTreeSet<String>,
    /// Attributes dropped silently.
    pub ignored_fields: BTreeSet<String>,
    pub total_rules: usize,
    /// Indices (0-based) of rules that can never fire at ztunnel.
    pub dead_rules: Vec<usize>,
}

pub const DRY_RUN: &str = "istio.io/dry-run";

/// `convertAuthorizationPolicy`.
pub fn convert(p: &AuthorizationPolicy, root_ns: &str, dry_run_flag: bool) -> Conversion {
    let spec = &p.spec;
    let scope = if spec.attachment.selector.is_some() {
        Scope::WorkloadSelector
    } else if p.metadata.namespace == root_ns {
        Scope::Global
    } else {
        Scope::Namespace
    };
    let action = Action::parse(&spec.action);
    // A dry-run value that does not parse means "not dry-run": the policy is enforced.
    let dry_run = p
        .metadata
        .annotation(DRY_RUN)
        .and_then(parse_bool)
        .unwrap_or(false);
    let not_sent = if dry_run && !dry_run_flag {
        Some(NotSent::DryRun)
    } else if !spec.attachment.target_refs().is_empty() {
        Some(NotSent::TargetRefs)
    } else {
        match action {
            Action::Audit | Action::Custom => {
                Some(NotSent::UnsupportedAction(action.as_str().into()))
            }
            Action::Invalid => Some(NotSent::InvalidAction(spec.action.clone())),
            _ => None,
        }
    };
    let rules_in = spec.rules.as_deref().unwrap_or(&[]);
    let mut http_fields = BTreeSet::new();
    let mut ignored_fields = BTreeSet::new();
    let mut rules = Vec::new();
    let mut dead_rules = Vec::new();
    for (i, r) in rules_in.iter().enumerate() {
        let mut http = BTreeSet::new();
        let rule = handle_rule(r, &p.metadata.namespace, &mut http, &mut ignored_fields);
        let dropped = action == Action::Allow && !http.is_empty();
        http_fields.extend(http);
        if dropped || !rule.can_fire() {
            dead_rules.push(i);
        }
        if !dropped {
            rules.push(rule);
        }
    }
    let total = rules_in.len();
    let fireable = total - dead_rules.len();
    let effect = match action {
        Action::Allow if fireable == 0 => ZtEffect::DenyAll,
        Action::Allow if fireable < total => ZtEffect::RulesDropped,
        Action::Deny if fireable == 0 => ZtEffect::NoEffect,
        Action::Deny if !http_fields.is_empty() => ZtEffect::L7Ignored,
        _ if !ignored_fields.is_empty() => ZtEffect::FieldsIgnored,
        _ => ZtEffect::AsWritten,
    };
    Conversion {
        scope,
        action,
        not_sent,
        dry_run,
        rules,
        effect,
        http_fields,
        ignored_fields,
        total_rules: total,
        dead_rules,
    }
}

/// `handleRule`: one clause for `to`, one for `from`, one per `when` condition.
fn handle_rule(
    r: &Rule,
    policy_ns: &str,
    http: &mut BTreeSet<String>,
    ignored: &mut BTreeSet<String>,
) -> ZRule {
    let mut clauses = Vec::new();
    if !r.to.is_empty() {
        clauses.push(Clause {
            matches: r.to.iter().map(|t| to_match(t, http, ignored)).collect(),
        });
    }
    if !r.from.is_empty() {
        clauses.push(Clause {
            matches: r
                .from
                .iter()
                .map(|f| from_match(f, policy_ns, http, ignored))
                .collect(),
        });
    }
    for w in &r.when {
        clauses.push(Clause {
            matches: vec![when_match(w, http, ignored)],
        });
    }
    ZRule { clauses }
}

fn strings(v: &[String]) -> Vec<StringMatch> {
    v.iter().map(|s| StringMatch::parse(s)).collect()
}

fn cidrs(v: &[String], field: &str, ignored: &mut BTreeSet<String>) -> Vec<Cidr> {
    v.iter()
        .filter_map(|s| {
            let c = Cidr::parse(s);
            if c.is_none() {
                ignored.insert(format!("{field} {s:?} (not an IP or CIDR)"));
            }
            c
        })
        .collect()
}

/// `stringToPort`: only numbers up to 65535 are kept.
fn ports(v: &[String], field: &str, ignored: &mut BTreeSet<String>) -> Vec<u16> {
    v.iter()
        .filter_map(|s| {
            let p = s.parse::<u16>().ok();
            if p.is_none() {
                ignored.insert(format!("{field} {s:?} (not a port number)"));
            }
            p
        })
        .collect()
}

/// `stringToServiceAccountMatch`: `ns/sa` as is, a bare `sa` in the policy's namespace.
fn service_accounts(v: &[String], policy_ns: &str) -> Vec<(String, String)> {
    v.iter()
        .map(|s| match s.split_once('/') {
            Some((ns, sa)) => (ns.to_string(), sa.to_string()),
            None => (policy_ns.to_string(), s.clone()),
        })
        .collect()
}

fn flag(http: &mut BTreeSet<String>, present: bool, name: &str) {
    if present {
        http.insert(name.to_string());
    }
}

fn to_match(t: &To, http: &mut BTreeSet<String>, ignored: &mut BTreeSet<String>) -> Match {
    let o = &t.operation;
    flag(http, !o.hosts.is_empty(), "hosts");
    flag(http, !o.not_hosts.is_empty(), "notHosts");
    flag(http, !o.methods.is_empty(), "methods");
    flag(http, !o.not_methods.is_empty(), "notMethods");
    flag(http, !o.paths.is_empty(), "paths");
    flag(http, !o.not_paths.is_empty(), "notPaths");
    Match {
        destination_ports: ports(&o.ports, "to.operation.ports", ignored),
        not_destination_ports: ports(&o.not_ports, "to.operation.notPorts", ignored),
        ..Match::default()
    }
}

fn from_match(
    f: &From,
    policy_ns: &str,
    http: &mut BTreeSet<String>,
    ignored: &mut BTreeSet<String>,
) -> Match {
    let s = &f.source;
    flag(http, !s.request_principals.is_empty(), "requestPrincipals");
    flag(
        http,
        !s.not_request_principals.is_empty(),
        "notRequestPrincipals",
    );
    flag(http, !s.remote_ip_blocks.is_empty(), "remoteIpBlocks");
    flag(
        http,
        !s.not_remote_ip_blocks.is_empty(),
        "notRemoteIpBlocks",
    );
    // Neither converted nor flagged: SEMANTICS.md 12.1.
    if !s.trust_domains.is_empty() {
        ignored.insert("from.source.trustDomains".into());
    }
    if !s.not_trust_domains.is_empty() {
        ignored.insert("from.source.notTrustDomains".into());
    }
    Match {
        principals: strings(&s.principals),
        not_principals: strings(&s.not_principals),
        namespaces: strings(&s.namespaces),
        not_namespaces: strings(&s.not_namespaces),
        service_accounts: service_accounts(&s.service_accounts, policy_ns),
        not_service_accounts: service_accounts(&s.not_service_accounts, policy_ns),
        source_ips: cidrs(&s.ip_blocks, "from.source.ipBlocks", ignored),
        not_source_ips: cidrs(&s.not_ip_blocks, "from.source.notIpBlocks", ignored),
        ..Match::default()
    }
}

/// The only `when` keys ztunnel understands (`l4WhenAttributes`).
pub const L4_WHEN_KEYS: &[&str] = &[
    "source.ip",
    "source.namespace",
    "source.principal",
    "destination.ip",
    "destination.port",
];

fn when_match(
    w: &WhenCondition,
    http: &mut BTreeSet<String>,
    ignored: &mut BTreeSet<String>,
) -> Match {
    let (pos, neg) = (&w.values, &w.not_values);
    match w.key.as_str() {
        "source.ip" => Match {
            source_ips: cidrs(pos, "when source.ip", ignored),
            not_source_ips: cidrs(neg, "when source.ip", ignored),
            ..Match::default()
        },
        "source.namespace" => Match {
            namespaces: strings(pos),
            not_namespaces: strings(neg),
            ..Match::default()
        },
        "source.principal" => Match {
            principals: strings(pos),
            not_principals: strings(neg),
            ..Match::default()
        },
        "destination.ip" => Match {
            destination_ips: cidrs(pos, "when destination.ip", ignored),
            not_destination_ips: cidrs(neg, "when destination.ip", ignored),
            ..Match::default()
        },
        "destination.port" => Match {
            destination_ports: ports(pos, "when destination.port", ignored),
            not_destination_ports: ports(neg, "when destination.port", ignored),
            ..Match::default()
        },
        other => {
            http.insert(other.to_string());
            Match::default()
        }
    }
}

// Evaluation lives in `super::evaluate` (as ztunnel keeps `src/rbac.rs` apart); these names
// stay importable from here for the conversion's users.
pub use super::evaluate::l4::{decide, policy_matches, Conn, Verdict};

#[cfg(test)]
mod tests {
    use super::*;

    /// A policy in namespace `ns1` (root is `istio-system`) from a flow-style spec.
    fn policy(spec: &str) -> AuthorizationPolicy {
        let yaml = format!("metadata: {{name: p, namespace: ns1}}\nspec: {spec}\n");
        serde_saphyr::from_str(&yaml).unwrap()
    }

    fn conv(spec: &str) -> Conversion {
        convert(&policy(spec), "istio-system", false)
    }

    fn id(s: &str) -> Conn {
        Conn {
            identity: Some(Some(s.into())),
            ..Conn::default()
        }
    }

    fn plain() -> Conn {
        Conn {
            identity: Some(None),
            ..Conn::default()
        }
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
        let d =
            conv("{action: DENY, rules: [{}, {from: [{source: {requestPrincipals: [\"*\"]}}]}]}");
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
            convert(&p, "istio-system", false)
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
        // Dry-run: not sent with the flag off; sent as dry-run with it on; junk means enforced.
        let mut p = policy("{}");
        p.metadata.annotations.insert(DRY_RUN.into(), "true".into());
        assert_eq!(
            convert(&p, "istio-system", false).not_sent,
            Some(NotSent::DryRun)
        );
        let on = convert(&p, "istio-system", true);
        assert!(on.not_sent.is_none() && on.dry_run);
        p.metadata.annotations.insert(DRY_RUN.into(), "yes".into());
        let junk = convert(&p, "istio-system", false);
        assert!(junk.not_sent.is_none() && !junk.dry_run);
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
        let ps = [("allow", Action::Allow, allow.rules.as_slice())];
        assert_eq!(decide(&ps, &id("a")), Verdict::Allow);
        assert_eq!(decide(&ps, &id("b")), Verdict::Deny(vec!["allow".into()]));
        // DENY wins over ALLOW.
        let both = [
            ("allow", Action::Allow, allow.rules.as_slice()),
            ("deny", Action::Deny, deny.rules.as_slice()),
        ];
        assert_eq!(decide(&both, &id("a")), Verdict::Deny(vec!["deny".into()]));
        // No ALLOW policy at all: allowed.
        assert_eq!(
            decide(&[("deny", Action::Deny, deny.rules.as_slice())], &id("b")),
            Verdict::Allow
        );
        assert_eq!(decide(&ps, &Conn::default()), Verdict::Depends);
    }
}
