//! AuthorizationPolicy -> ztunnel L4 Authorization (SEMANTICS.md 4 and 5), after
//! `pilot/pkg/serviceregistry/ambient/authorization.go#convertAuthorizationPolicy`/`handleRule`
//! and `ztunnel/src/rbac.rs#Authorization::matches`.

use crate::model::labels::parse_bool;
use crate::model::{AuthorizationPolicy, From, Rule, To, WhenCondition};
use crate::versions::rules::DryRunAtZtunnel;
use crate::versions::{Row, Rules};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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

pub use crate::model::Cidr;

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
    /// Refused by istiod's validation on the release that runs (`enforce::admitted`).
    Refused,
    /// Labelled `istio.io/rev` for another revision than the istiod ztunnel connects to,
    /// whose ambient index filters it out: (the policy's label, ztunnel's revision).
    OtherRevision(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub scope: Scope,
    pub action: Action,
    pub not_sent: Option<NotSent>,
    /// `istio.io/dry-run` parses true: Envoy-based enforcers only log it; what ztunnel does
    /// depends on the versions (`dry_run_at_ztunnel`).
    pub dry_run: bool,
    /// For a dry-run policy: what ztunnel does with it, and the version rule that says so.
    pub dry_run_at_ztunnel: Option<(DryRunAtZtunnel, Row)>,
    pub rules: Vec<ZRule>,
    pub effect: ZtEffect,
    /// HTTP-only attributes found (Istio's status lists them).
    pub http_fields: BTreeSet<String>,
    /// Attributes dropped silently.
    pub ignored_fields: BTreeSet<String>,
    pub total_rules: usize,
    /// Indices (0-based) of rules that can never fire at ztunnel.
    pub dead_rules: Vec<usize>,
    /// Labelled `istio.io/rev` for another revision than ztunnel's: the label, ztunnel's
    /// revision, whether that release filters it out (then `not_sent`), and the row.
    pub other_revision: Option<(String, String, bool, Row)>,
}

pub const DRY_RUN: &str = "istio.io/dry-run";

/// The ignored fields that are trustDomains, which the conversion drops (`handleRule`).
pub const TRUST_DOMAIN_FIELDS: &[&str] =
    &["from.source.trustDomains", "from.source.notTrustDomains"];

impl Conversion {
    /// Whether the conversion dropped trustDomains (`trust-domains-at-ztunnel` from 1.31).
    pub fn drops_trust_domains(&self) -> bool {
        (self.ignored_fields.iter()).any(|f| TRUST_DOMAIN_FIELDS.contains(&f.as_str()))
    }

    /// Sent to ztunnel, which only logs it: it never decides there.
    pub fn ztunnel_logs_only(&self) -> bool {
        matches!(self.dry_run_at_ztunnel, Some((DryRunAtZtunnel::Logged, _)))
    }
}

/// `convertAuthorizationPolicy`, as the running versions do it (`istio`).
pub fn convert(p: &AuthorizationPolicy, root_ns: &str, istio: &Rules) -> Conversion {
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
    let targeted = !spec.attachment.target_refs().is_empty();
    // Step 1, the revision filter: asked for a labelled policy that could reach ztunnel.
    let other_revision = p
        .metadata
        .label(crate::snapshot::REV_LABEL)
        .filter(|_| !targeted)
        .and_then(|l| {
            let (filtered, row) = istio.other_revision(l)?;
            Some((l.to_string(), istio.revision()?.to_string(), filtered, row))
        });
    let filtered = other_revision.as_ref().filter(|o| o.2);
    // Asked only where it decides: a dry-run policy that could reach ztunnel.
    let dry_run_at_ztunnel =
        (dry_run && !targeted && filtered.is_none()).then(|| istio.dry_run_at_ztunnel());
    let not_sent = if let Some((label, rev, ..)) = filtered {
        Some(NotSent::OtherRevision(label.clone(), rev.clone()))
    } else if matches!(dry_run_at_ztunnel, Some((DryRunAtZtunnel::NotSent, _))) {
        Some(NotSent::DryRun)
    } else if targeted {
        Some(NotSent::TargetRefs)
    } else {
        match action {
            Action::Audit | Action::Custom => {
                istio.custom_audit_not_sent();
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
        dry_run_at_ztunnel,
        rules,
        effect,
        http_fields,
        ignored_fields,
        total_rules: total,
        dead_rules,
        other_revision,
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
pub(crate) fn service_accounts(v: &[String], policy_ns: &str) -> Vec<(String, String)> {
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

#[cfg(test)]
mod tests;
