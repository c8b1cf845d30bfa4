//! ztunnel's evaluation of the L4 rules it was sent (SEMANTICS.md 5.2,
//! `ztunnel/src/rbac.rs#Authorization::matches`, `ztunnel/src/state.rs#assert_rbac`).

use super::peer::{self, identity_kind, Peer, Subject, Witnesses};
use super::{HopDecision, Outcome};
use crate::enforce::ztunnel::{Action, Cidr, Match, StringMatch, ZRule};
use std::fmt::Display;
use std::net::IpAddr;

/// What ztunnel knows of a connection: its peer, and where known its addresses and port
/// (`None`: not known here).
#[derive(Debug, Clone)]
pub struct Conn {
    pub peer: Peer,
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub dst_port: Option<u16>,
}

impl Conn {
    /// A connection from `peer` with nothing else known.
    pub fn from(peer: Peer) -> Self {
        Conn {
            peer,
            src_ip: None,
            dst_ip: None,
            dst_port: None,
        }
    }
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

/// One kind of a Match (or one field of an Envoy rule) over a plain value: the positive list
/// needs a hit, the negative list needs none. `value` is the request's value (`None`:
/// unknown), `hit` tests one entry against it, `attr` names it for reasons and needs.
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

/// A `ns/sa` pair for reasons.
pub(crate) struct NsSa<'a>(pub &'a (String, String));

impl Display for NsSa<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0 .0, self.0 .1)
    }
}

/// `source.serviceAccount` of `peer` against one `(ns, sa)`.
pub(crate) fn service_account_hit(peer: &Peer, want: &(String, String)) -> Option<bool> {
    match peer {
        Peer::Known(_) => Some(peer.service_account() == Some((&want.0, &want.1))),
        Peer::Any { .. } => None,
        Peer::Plaintext => Some(false),
    }
}

/// How the service account of a peer prints in reasons (`ns/sa`), formatted only when a
/// reason is written.
pub(crate) struct ServiceAccountShown<'a>(pub &'a Peer);

impl Display for ServiceAccountShown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0, self.0.service_account()) {
            (_, Some((ns, sa))) => write!(f, "{ns}/{sa}"),
            (Peer::Any { .. }, _) => Subject::Any(String::new()).fmt(f),
            _ => Subject::Nothing.fmt(f),
        }
    }
}

impl Match {
    /// Every populated kind must pass. Principals are compared without `spiffe://`; a
    /// connection without identity never satisfies a positive principal, namespace or
    /// service-account match (SEMANTICS.md 4.4).
    pub fn outcome(&self, c: &Conn) -> Outcome {
        let (principal, namespace) = (c.peer.principal(), c.peer.namespace());
        let sas: Vec<NsSa> = self.service_accounts.iter().map(NsSa).collect();
        let not_sas: Vec<NsSa> = self.not_service_accounts.iter().map(NsSa).collect();
        Outcome::all([
            identity_kind(
                "source.principal",
                &self.principals,
                &self.not_principals,
                &principal,
                |m| m.test(&principal),
            ),
            identity_kind(
                "source.namespace",
                &self.namespaces,
                &self.not_namespaces,
                &namespace,
                |m| m.test(&namespace),
            ),
            identity_kind(
                "source.serviceAccount",
                &sas,
                &not_sas,
                &ServiceAccountShown(&c.peer),
                |want| service_account_hit(&c.peer, want.0),
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

    /// Adds the identities this match tells apart.
    fn witnesses(&self, w: &mut Witnesses) {
        for m in self.principals.iter().chain(&self.not_principals) {
            w.principal(m);
        }
        for m in self.namespaces.iter().chain(&self.not_namespaces) {
            w.namespace(m);
        }
        for (ns, sa) in self
            .service_accounts
            .iter()
            .chain(&self.not_service_accounts)
        {
            w.service_account(ns, sa);
        }
    }
}

impl ZRule {
    /// All clauses must match; a clause with no matches is vacuous; otherwise its non-empty
    /// matches are ORed (empty matches are skipped, so a clause made of them never matches).
    pub fn outcome(&self, c: &Conn) -> Outcome {
        // A clause made only of HTTP conditions is the reason a rule never fires: say so first.
        if !self.can_fire() {
            return Outcome::NoMatch(
                "a condition ztunnel cannot evaluate (HTTP-only, or a field its conversion drops) never matches".into(),
            );
        }
        Outcome::all(self.clauses.iter().map(|cl| {
            if cl.matches.is_empty() {
                return Outcome::Match;
            }
            let live: Vec<&Match> = cl.matches.iter().filter(|m| !m.is_empty()).collect();
            if live.is_empty() {
                return Outcome::NoMatch(
                    "a condition ztunnel cannot evaluate (HTTP-only, or a field its conversion drops) never matches".into(),
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

/// One policy as a ztunnel holds it: its action and converted rules.
pub type Held<'a> = (Action, &'a [ZRule]);

/// The destination ztunnel's decision for connection `c` (`assert_rbac`: DENY first, then
/// no ALLOW => allow, then any ALLOW matching), with each policy's outcome for `c`. For a
/// peer the question does not name, decided when every identity the rules tell apart
/// agrees (`peer::decide`).
pub fn decide(policies: &[Held], c: &Conn) -> (Vec<Outcome>, HopDecision) {
    let actions: Vec<Action> = policies.iter().map(|p| p.0).collect();
    peer::decide(
        &c.peer,
        &actions,
        |peer| {
            let conn = Conn {
                peer: peer.clone(),
                ..c.clone()
            };
            policies
                .iter()
                .map(|(_, r)| rules_outcome(r, &conn))
                .collect()
        },
        |w| {
            for m in policies
                .iter()
                .flat_map(|p| p.1)
                .flat_map(|r| &r.clauses)
                .flat_map(|cl| &cl.matches)
            {
                m.witnesses(w);
            }
        },
    )
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
        // `None`: an authenticated peer the question does not name.
        let peer = match id {
            None => Peer::Any {
                trust_domain: "td".into(),
            },
            Some(i) => Peer::from_identity(i),
        };
        Conn {
            peer,
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
            (Match { principals: sm(&["*"]), ..Match::default() }, conn(None, None, None, None), Some(true)),
            (Match { principals: sm(&["td/ns/a/sa/x"]), ..Match::default() }, conn(None, None, None, None), None),
            (Match { principals: sm(&["cluster.local/ns/a/sa/x"]), ..Match::default() }, conn(None, None, None, None), Some(false)),
            (Match { not_principals: sm(&["*"]), ..Match::default() }, conn(None, None, None, None), Some(false)),
            (Match { namespaces: sm(&["*"]), ..Match::default() }, conn(None, None, None, None), Some(true)),
            (Match { service_accounts: sa("a", "x"), ..Match::default() }, conn(None, None, None, None), None),
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

    /// What the destination ztunnel decides for a client whose identity the question does
    /// not fix: decided unless the identity (or another unknown) decides. One line per case.
    #[test]
    fn any_peer_is_decided_when_no_identity_changes_it() {
        use crate::enforce::evaluate::Decision;
        use crate::enforce::ztunnel::{Action, Clause};
        let rule = |m: Match| ZRule {
            clauses: vec![Clause { matches: vec![m] }],
        };
        // `rules: [{}]`: a rule without clauses, which always matches.
        let allow_any = ZRule { clauses: vec![] };
        let from = |p: &[&str]| {
            rule(Match {
                principals: sm(p),
                ..Match::default()
            })
        };
        let not_from = |p: &[&str]| {
            rule(Match {
                not_principals: sm(p),
                ..Match::default()
            })
        };
        let ns = |n: &[&str]| {
            rule(Match {
                namespaces: sm(n),
                ..Match::default()
            })
        };
        let port = rule(Match {
            destination_ports: vec![9080],
            ..Match::default()
        });
        let (allow, deny) = (Action::Allow, Action::Deny);
        type Policy = (Action, Vec<ZRule>);
        let waypoint = "td/ns/w/sa/waypoint";
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<Policy>, Decision)> = vec![
            ("no policy", vec![], Decision::Allow),
            ("deny-all: ALLOW without rules", vec![(allow, vec![])], Decision::Deny),
            ("allow-all: ALLOW rules [{}]", vec![(allow, vec![allow_any.clone()])], Decision::Allow),
            ("ALLOW of one principal", vec![(allow, vec![from(&["td/ns/a/sa/b"])])], Decision::Unknown),
            ("ALLOW of any authenticated peer", vec![(allow, vec![from(&["*"])])], Decision::Allow),
            ("ALLOW of any namespace", vec![(allow, vec![ns(&["*"])])], Decision::Allow),
            ("ALLOW of no authenticated peer", vec![(allow, vec![not_from(&["*"])])], Decision::Deny),
            ("DENY of any authenticated peer", vec![(deny, vec![from(&["*"])])], Decision::Deny),
            ("DENY of plaintext only: no effect on mTLS", vec![(deny, vec![not_from(&["*"])])], Decision::Allow),
            ("DENY of one principal", vec![(deny, vec![from(&["td/ns/a/sa/b"])])], Decision::Unknown),
            ("DENY of one principal beside a deny-all: denied either way",
                vec![(deny, vec![from(&["td/ns/a/sa/b"])]), (allow, vec![])], Decision::Deny),
            ("DENY of one principal beside an allow-all",
                vec![(deny, vec![from(&["td/ns/a/sa/b"])]), (allow, vec![allow_any])], Decision::Unknown),
            ("ALLOW of a port: the port decides", vec![(allow, vec![port])], Decision::Unknown),
            // The three cases where `explain` said "depends" and `check` gave every client
            // one answer (issue 12):
            ("DENY of all but the waypoint beside an ALLOW of another: nobody gets through",
                vec![(deny, vec![not_from(&[waypoint])]), (allow, vec![from(&["td/ns/a/sa/b"])])], Decision::Deny),
            ("ALLOW of cluster.local principals in trust domain td: ztunnel never matches them",
                vec![(allow, vec![from(&["cluster.local/ns/a/sa/b"])])], Decision::Deny),
            ("when source.principal [*] (converted to principals): any authenticated client",
                vec![(allow, vec![from(&["*"])])], Decision::Allow),
            ("when source.namespace [*]: any authenticated client", vec![(allow, vec![ns(&["*"])])], Decision::Allow),
            // Identities the rules tell apart, all denied or all allowed:
            ("ALLOW of a namespace beside a DENY of that namespace",
                vec![(allow, vec![ns(&["a"])]), (deny, vec![ns(&["a"])])], Decision::Deny),
            ("ALLOW of a prefix: some peers match, not decided",
                vec![(allow, vec![from(&["td/ns/a/*"])])], Decision::Unknown),
        ];
        for (what, ps, want) in cases {
            let held: Vec<Held> = ps.iter().map(|(a, r)| (*a, r.as_slice())).collect();
            let any = conn(None, None, None, None);
            assert_eq!(decide(&held, &any).1.decision, want, "{what}");
        }
        // A known identity or plaintext is decided as before.
        let rules = [from(&["td/ns/a/sa/b"])];
        let held = [(allow, &rules[..])];
        let decision = |c: Conn| decide(&held, &c).1.decision;
        assert_eq!(
            decision(conn(Some(Some("td/ns/a/sa/b")), None, None, None)),
            Decision::Allow
        );
        assert_eq!(decision(conn(PLAIN, None, None, None)), Decision::Deny);
    }
}
