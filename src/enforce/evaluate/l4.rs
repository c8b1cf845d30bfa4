//! ztunnel's evaluation of the L4 rules it was sent (SEMANTICS.md 5.2,
//! `ztunnel/src/rbac.rs#Authorization::matches`, `ztunnel/src/state.rs#assert_rbac`).

use super::{identity_parts, Outcome};
use crate::enforce::ztunnel::{Action, Cidr, Match, StringMatch, ZRule};
use serde::Serialize;
use std::fmt::Display;
use std::net::IpAddr;

/// What ztunnel knows of a connection. `identity: Some(None)` is a plaintext connection;
/// `None` anywhere is "not known here".
#[derive(Debug, Clone, Default)]
pub struct Conn {
    /// Peer identity without `spiffe://`, e.g. `cluster.local/ns/a/sa/b`.
    pub identity: Option<Option<String>>,
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub dst_port: Option<u16>,
}

fn list<T: Display>(v: &[T]) -> String {
    v.iter().map(T::to_string).collect::<Vec<_>>().join(", ")
}

impl Display for StringMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StringMatch::Exact(x) => write!(f, "{x}"),
            StringMatch::Prefix(x) => write!(f, "{x}*"),
            StringMatch::Suffix(x) => write!(f, "*{x}"),
            StringMatch::Presence => write!(f, "*"),
        }
    }
}

impl Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// One kind of a Match (or one field of an Envoy rule): the positive list needs a hit, the
/// negative list needs none. `value` is the request's value (`None`: unknown), `hit` tests
/// one entry against it, `attr` names it for reasons and needs.
pub(crate) fn kind<T: Display, V: Display + ?Sized>(
    attr: &str,
    pos: &[T],
    neg: &[T],
    value: Option<&V>,
    hit: impl Fn(&T, &V) -> bool,
) -> Outcome {
    if pos.is_empty() && neg.is_empty() {
        return Outcome::Match;
    }
    let Some(v) = value else {
        return Outcome::unknown(attr);
    };
    if !pos.is_empty() && !pos.iter().any(|p| hit(p, v)) {
        return Outcome::NoMatch(format!("{attr} {v} is not in [{}]", list(pos)));
    }
    if let Some(n) = neg.iter().find(|n| hit(n, v)) {
        return Outcome::NoMatch(format!("{attr} {v} matches not-value {n}"));
    }
    Outcome::Match
}

/// How a possibly absent identity prints in reasons.
pub(crate) struct Peer<'a>(pub Option<&'a str>);

impl Display for Peer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(s) if !s.is_empty() => write!(f, "{s}"),
            _ => write!(f, "(none: plaintext)"),
        }
    }
}

/// A `ns/sa` pair for reasons.
pub(crate) struct NsSa<'a>(pub &'a (String, String));

impl Display for NsSa<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0 .0, self.0 .1)
    }
}

impl Match {
    /// Every populated kind must pass. Principals are compared without `spiffe://`; a
    /// connection without identity never satisfies a positive principal, namespace or
    /// service-account match (SEMANTICS.md 4.4).
    pub fn outcome(&self, c: &Conn) -> Outcome {
        let id = c.identity.as_ref().map(|i| Peer(i.as_deref()));
        // The namespace and `ns/sa` read from the identity; empty for plaintext.
        let parts = c.identity.as_ref().map(|i| {
            i.as_deref()
                .and_then(identity_parts)
                .map(|(_, ns, sa)| (ns, sa))
        });
        let ns = parts.map(|p| Peer(Some(p.map_or("", |x| x.0))));
        let sas: Vec<NsSa> = self.service_accounts.iter().map(NsSa).collect();
        let not_sas: Vec<NsSa> = self.not_service_accounts.iter().map(NsSa).collect();
        let sa = parts.map(|p| p.map(|(ns, sa)| format!("{ns}/{sa}")).unwrap_or_default());
        let sa_seen = sa.as_deref().map(|s| Peer(Some(s)));
        Outcome::all([
            kind(
                "source.principal",
                &self.principals,
                &self.not_principals,
                id.as_ref(),
                |m, p| p.0.is_some_and(|i| m.matches(i)),
            ),
            kind(
                "source.namespace",
                &self.namespaces,
                &self.not_namespaces,
                ns.as_ref(),
                |m, p| m.matches(p.0.unwrap_or("")),
            ),
            kind(
                "source.serviceAccount",
                &sas,
                &not_sas,
                sa_seen.as_ref(),
                |want, p| p.0 == Some(format!("{}/{}", want.0 .0, want.0 .1).as_str()),
            ),
            kind(
                "source.ip",
                &self.source_ips,
                &self.not_source_ips,
                c.src_ip.as_ref(),
                |n, ip| n.contains(*ip),
            ),
            kind(
                "destination.ip",
                &self.destination_ips,
                &self.not_destination_ips,
                c.dst_ip.as_ref(),
                |n, ip| n.contains(*ip),
            ),
            kind(
                "destination.port",
                &self.destination_ports,
                &self.not_destination_ports,
                c.dst_port.as_ref(),
                |p, d| p == d,
            ),
        ])
    }

    pub fn eval(&self, c: &Conn) -> Option<bool> {
        self.outcome(c).as_bool()
    }
}

impl ZRule {
    /// All clauses must match; a clause with no matches is vacuous; otherwise its non-empty
    /// matches are ORed (empty matches are skipped, so a clause made of them never matches).
    pub fn outcome(&self, c: &Conn) -> Outcome {
        // A clause made only of HTTP conditions is the reason a rule never fires: say so first.
        if !self.can_fire() {
            return Outcome::NoMatch(
                "a condition ztunnel cannot evaluate (HTTP-only) never matches".into(),
            );
        }
        Outcome::all(self.clauses.iter().map(|cl| {
            if cl.matches.is_empty() {
                return Outcome::Match;
            }
            let live: Vec<&Match> = cl.matches.iter().filter(|m| !m.is_empty()).collect();
            if live.is_empty() {
                return Outcome::NoMatch(
                    "a condition ztunnel cannot evaluate (HTTP-only) never matches".into(),
                );
            }
            Outcome::any(live.iter().map(|m| m.outcome(c)), |_| None)
        }))
    }

    pub fn eval(&self, c: &Conn) -> Option<bool> {
        self.outcome(c).as_bool()
    }
}

/// `Authorization::matches`: no rules never match; otherwise any rule.
pub fn rules_outcome(rules: &[ZRule], c: &Conn) -> Outcome {
    if rules.is_empty() {
        return Outcome::NoMatch("no rule ztunnel can match (none left after conversion)".into());
    }
    let many = rules.len() > 1;
    Outcome::any(rules.iter().map(|r| r.outcome(c)), |i| {
        many.then(|| format!("rule {}", i + 1))
    })
}

pub fn policy_matches(rules: &[ZRule], c: &Conn) -> Option<bool> {
    rules_outcome(rules, c).as_bool()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict", content = "by")]
pub enum Verdict {
    Allow,
    /// Denied, by these policies (`ExplicitlyDenied` or `NotAllowed`).
    Deny(Vec<String>),
    /// Depends on attributes not known here (client identity, port, IP).
    Depends,
}

/// `assert_rbac`: DENY first, then no ALLOW => allow, then any ALLOW matching.
/// `policies`: (key, action, rules) of the enforced (non-dry-run) policies.
pub fn decide(policies: &[(&str, Action, &[ZRule])], c: &Conn) -> Verdict {
    let mut unknown = false;
    let mut denied_by = Vec::new();
    for (key, _, rules) in policies.iter().filter(|p| p.1 == Action::Deny) {
        match policy_matches(rules, c) {
            Some(true) => denied_by.push(key.to_string()),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if !denied_by.is_empty() {
        return Verdict::Deny(denied_by);
    }
    if unknown {
        return Verdict::Depends;
    }
    let allows: Vec<_> = policies.iter().filter(|p| p.1 == Action::Allow).collect();
    if allows.is_empty() {
        return Verdict::Allow;
    }
    let any = Outcome::any(
        allows.iter().map(|(_, _, rules)| rules_outcome(rules, c)),
        |_| None,
    );
    match any.as_bool() {
        Some(true) => Verdict::Allow,
        Some(false) => Verdict::Deny(allows.iter().map(|p| p.0.to_string()).collect()),
        None => Verdict::Depends,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm(v: &[&str]) -> Vec<StringMatch> {
        v.iter().map(|s| StringMatch::parse(s)).collect()
    }

    fn conn(
        id: Option<Option<&str>>,
        src: Option<&str>,
        dst: Option<&str>,
        port: Option<u16>,
    ) -> Conn {
        Conn {
            identity: id.map(|i| i.map(str::to_string)),
            src_ip: src.map(|s| s.parse().unwrap()),
            dst_ip: dst.map(|s| s.parse().unwrap()),
            dst_port: port,
        }
    }

    const ID: Option<Option<&str>> = Some(Some("td/ns/a/sa/x"));
    const PLAIN: Option<Option<&str>> = Some(None);

    /// One line per case: a Match (one populated kind), a connection, the expected result.
    #[test]
    fn match_kinds() {
        let cidr = |s: &str| vec![Cidr::parse(s).unwrap()];
        let sa = |ns: &str, n: &str| vec![(ns.to_string(), n.to_string())];
        #[rustfmt::skip]
        let cases: Vec<(Match, Conn, Option<bool>)> = vec![
            (Match { principals: sm(&["td/ns/a/sa/x"]), ..Match::default() }, conn(ID, None, None, None), Some(true)),
            (Match { principals: sm(&["*"]), ..Match::default() }, conn(PLAIN, None, None, None), Some(false)),
            (Match { principals: sm(&["*"]), ..Match::default() }, conn(None, None, None, None), None),
            (Match { not_principals: sm(&["td/ns/a/*"]), ..Match::default() }, conn(ID, None, None, None), Some(false)),
            (Match { not_principals: sm(&["*"]), ..Match::default() }, conn(PLAIN, None, None, None), Some(true)),
            (Match { namespaces: sm(&["a"]), ..Match::default() }, conn(ID, None, None, None), Some(true)),
            (Match { namespaces: sm(&["a"]), ..Match::default() }, conn(PLAIN, None, None, None), Some(false)),
            (Match { not_namespaces: sm(&["a"]), ..Match::default() }, conn(PLAIN, None, None, None), Some(true)),
            (Match { service_accounts: sa("a", "x"), ..Match::default() }, conn(ID, None, None, None), Some(true)),
            (Match { not_service_accounts: sa("a", "x"), ..Match::default() }, conn(ID, None, None, None), Some(false)),
            (Match { source_ips: cidr("10.0.0.0/8"), ..Match::default() }, conn(ID, Some("10.2.3.4"), None, None), Some(true)),
            (Match { source_ips: cidr("10.0.0.0/8"), ..Match::default() }, conn(ID, None, None, None), None),
            (Match { not_source_ips: cidr("10.0.0.0/8"), ..Match::default() }, conn(ID, Some("10.2.3.4"), None, None), Some(false)),
            (Match { destination_ips: cidr("10.9.0.1"), ..Match::default() }, conn(ID, None, Some("10.9.0.1"), None), Some(true)),
            (Match { destination_ports: vec![8080], ..Match::default() }, conn(ID, None, None, Some(8080)), Some(true)),
            (Match { destination_ports: vec![8080], ..Match::default() }, conn(ID, None, None, Some(80)), Some(false)),
            (Match { not_destination_ports: vec![8080], ..Match::default() }, conn(ID, None, None, None), None),
            // kinds are ANDed: one certain failure decides even when another is unknown
            (Match { principals: sm(&["td/ns/b/*"]), source_ips: cidr("10.0.0.0/8"), ..Match::default() }, conn(ID, None, None, None), Some(false)),
        ];
        for (i, (m, c, want)) in cases.iter().enumerate() {
            assert_eq!(m.eval(c), *want, "case {i}: {m:?}");
        }
    }
}
