//! The peer one enforcement point sees, and what identity conditions make of it.
//!
//! A question names its client (`check --from pod/...`: a known principal) or only its class
//! (`explain`'s paths: "any ambient client"). Identity conditions are three-valued against
//! the second: `principals: ["*"]` holds for every authenticated peer, a principal of another
//! trust domain for none (ztunnel compares literally), one principal of the mesh's trust
//! domain for some. When that leaves a hop undecided, `decide` asks every identity
//! the policies can tell apart (`Witnesses`) and decides when they all agree.

use super::{decide_hop, identity_parts, Decision, HopDecision, Outcome};
use crate::enforce::ztunnel::Action;
use crate::enforce::ztunnel::StringMatch;
use std::collections::BTreeSet;
use std::fmt::Display;

/// The mTLS peer of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Peer {
    /// An mTLS peer with this identity, without `spiffe://` (`td/ns/NS/sa/SA`).
    Known(String),
    /// An mTLS peer of the mesh, of this trust domain, that the question does not name
    /// (any ambient or sidecar client).
    Any { trust_domain: String },
    /// Plaintext: no identity.
    Plaintext,
}

/// Nothing known of the peer's identity means none: plaintext.
impl Default for Peer {
    fn default() -> Self {
        Peer::Plaintext
    }
}

impl Peer {
    /// A known peer from a SPIFFE identity, with or without `spiffe://`.
    pub fn known(id: &str) -> Self {
        Peer::Known(id.trim_start_matches("spiffe://").to_string())
    }

    /// `Known` from a SPIFFE identity, `Plaintext` without one.
    pub fn from_identity(id: Option<&str>) -> Self {
        id.map_or(Peer::Plaintext, Peer::known)
    }

    pub fn is_plaintext(&self) -> bool {
        *self == Peer::Plaintext
    }

    /// The whole identity (`source.principal`).
    pub fn principal(&self) -> Subject<'_> {
        match self {
            Peer::Known(id) => Subject::Is(id),
            Peer::Any { trust_domain } => Subject::Any(format!("{trust_domain}/ns/")),
            Peer::Plaintext => Subject::Nothing,
        }
    }

    /// The namespace read from the identity (`source.namespace`); empty if it has none.
    pub fn namespace(&self) -> Subject<'_> {
        match self {
            Peer::Known(id) => Subject::Is(identity_parts(id).map_or("", |p| p.1)),
            Peer::Any { .. } => Subject::Any(String::new()),
            Peer::Plaintext => Subject::Nothing,
        }
    }

    /// The trust domain of the identity (`source.trustDomain`).
    pub fn trust_domain(&self) -> Subject<'_> {
        match self {
            Peer::Known(id) => Subject::Is(identity_parts(id).map_or("", |p| p.0)),
            Peer::Any { trust_domain } => Subject::Is(trust_domain),
            Peer::Plaintext => Subject::Nothing,
        }
    }

    /// `(namespace, service account)` of the identity, if it has them.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        match self {
            Peer::Known(id) => identity_parts(id).map(|p| (p.1, p.2)),
            _ => None,
        }
    }
}

/// One identity attribute of a peer: a value, any value that starts with a prefix (a peer
/// the question does not name), or none (plaintext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject<'a> {
    Is(&'a str),
    Any(String),
    Nothing,
}

impl Display for Subject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Is(s) if !s.is_empty() => write!(f, "{s}"),
            Subject::Any(p) if p.is_empty() => write!(f, "(any authenticated peer)"),
            Subject::Any(p) => write!(f, "(any authenticated peer, {p}*)"),
            _ => write!(f, "(none: plaintext)"),
        }
    }
}

impl StringMatch {
    /// Whether the pattern matches the attribute: certainly (`Some(true)`), certainly not,
    /// or for some peers only (`None`). An absent value matches nothing, not even `*`.
    pub fn test(&self, s: &Subject) -> Option<bool> {
        match s {
            Subject::Is(v) if !v.is_empty() => Some(self.matches(v)),
            Subject::Is(_) | Subject::Nothing => Some(false),
            Subject::Any(p) => match self {
                StringMatch::Presence => Some(true),
                StringMatch::Exact(x) if x.starts_with(p.as_str()) && x.len() > p.len() => None,
                StringMatch::Exact(_) => Some(false),
                StringMatch::Prefix(q) if p.starts_with(q.as_str()) => Some(true),
                StringMatch::Prefix(q) if q.starts_with(p.as_str()) => None,
                StringMatch::Prefix(_) => Some(false),
                StringMatch::Suffix(_) => None,
            },
        }
    }
}

/// One identity kind of a rule: the positive list needs a hit, the negative list none;
/// each entry is three-valued (`hit`), and `shown` prints the peer's value in reasons.
pub(crate) fn identity_kind<T: Display>(
    attr: &str,
    pos: &[T],
    neg: &[T],
    shown: &dyn Display,
    hit: impl Fn(&T) -> Option<bool>,
) -> super::Outcome {
    use super::Outcome;
    if pos.is_empty() && neg.is_empty() {
        return Outcome::Match;
    }
    let mut unknown = false;
    if !pos.is_empty() {
        let hits: Vec<Option<bool>> = pos.iter().map(&hit).collect();
        if !hits.contains(&Some(true)) {
            if hits.contains(&None) {
                unknown = true;
            } else {
                let list = pos.iter().map(T::to_string).collect::<Vec<_>>().join(", ");
                return Outcome::NoMatch(format!("{attr} {shown} is not in [{list}]"));
            }
        }
    }
    for n in neg {
        match hit(n) {
            Some(true) => return Outcome::NoMatch(format!("{attr} {shown} matches not-value {n}")),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown {
        Outcome::unknown(attr)
    } else {
        Outcome::Match
    }
}

/// The identities of one trust domain that a hop's identity conditions can tell apart: each
/// `ns/sa` they name, a service account no condition names in each namespace they name, and
/// one in a namespace none names. Every identity behaves as one of these when the conditions
/// are exact names or `*`; a prefix or suffix pattern makes the set incomplete.
#[derive(Debug, Clone)]
pub struct Witnesses {
    trust_domain: String,
    accounts: BTreeSet<(String, String)>,
    namespaces: BTreeSet<String>,
    complete: bool,
}

/// A name no Kubernetes object can have (`~` is not allowed in names): "some other one".
const OTHER: &str = "~other";

/// Past this many identities the case split is not tried (the hop stays undecided).
const MAX_WITNESSES: usize = 512;

impl Witnesses {
    pub fn new(trust_domain: &str) -> Self {
        Witnesses {
            trust_domain: trust_domain.to_string(),
            accounts: BTreeSet::new(),
            namespaces: BTreeSet::new(),
            complete: true,
        }
    }

    fn pattern(&mut self, m: &StringMatch) -> Option<String> {
        match m {
            StringMatch::Exact(x) => Some(x.clone()),
            StringMatch::Presence => None,
            _ => {
                self.complete = false;
                None
            }
        }
    }

    /// A principal condition (positive or negative).
    pub fn principal(&mut self, m: &StringMatch) {
        if let Some(x) = self.pattern(m) {
            // Another trust domain, or a malformed principal: no identity of this trust
            // domain is it, so it splits nothing.
            if let Some((td, ns, sa)) = identity_parts(&x) {
                if td == self.trust_domain {
                    self.accounts.insert((ns.to_string(), sa.to_string()));
                }
            }
        }
    }

    /// A namespace condition (positive or negative).
    pub fn namespace(&mut self, m: &StringMatch) {
        if let Some(x) = self.pattern(m) {
            self.namespaces.insert(x);
        }
    }

    /// A service account condition (`ns`, `sa`).
    pub fn service_account(&mut self, ns: &str, sa: &str) {
        self.accounts.insert((ns.to_string(), sa.to_string()));
    }

    /// A condition this set cannot split on (e.g. a `source.serviceAccount` pattern).
    pub fn opaque(&mut self) {
        self.complete = false;
    }

    /// The peers to ask, or `None` when they would not stand for every identity.
    pub fn peers(&self) -> Option<Vec<Peer>> {
        if !self.complete {
            return None;
        }
        let td = &self.trust_domain;
        let id = |ns: &str, sa: &str| Peer::Known(format!("{td}/ns/{ns}/sa/{sa}"));
        let namespaces: BTreeSet<&str> = self
            .namespaces
            .iter()
            .map(String::as_str)
            .chain(self.accounts.iter().map(|a| a.0.as_str()))
            .chain([OTHER])
            .collect();
        let peers: Vec<Peer> = self
            .accounts
            .iter()
            .map(|(ns, sa)| id(ns, sa))
            .chain(namespaces.into_iter().map(|ns| id(ns, OTHER)))
            .collect();
        (peers.len() <= MAX_WITNESSES).then_some(peers)
    }
}

/// One hop's decision for `peer` over policies with `actions`, in Istio's order
/// (`decide_hop`), with each policy's outcome for `peer`. `outcomes` evaluates the policies
/// for one peer. For a peer the question does not name (`Peer::Any`) that leaves undecided,
/// every identity the policies tell apart (`witnesses` adds them) is asked: the hop is
/// decided when they all agree, undecided otherwise.
pub fn decide(
    peer: &Peer,
    actions: &[Action],
    outcomes: impl Fn(&Peer) -> Vec<Outcome>,
    witnesses: impl FnOnce(&mut Witnesses),
) -> (Vec<Outcome>, HopDecision) {
    let decide_with = |os: &[Outcome]| {
        let refs: Vec<(Action, &Outcome)> = actions.iter().copied().zip(os).collect();
        decide_hop(&refs)
    };
    let own = outcomes(peer);
    let base = decide_with(&own);
    let Peer::Any { trust_domain } = peer else {
        return (own, base);
    };
    if base.decision != Decision::Unknown {
        return (own, base);
    }
    let mut w = Witnesses::new(trust_domain);
    witnesses(&mut w);
    let Some(peers) = w.peers() else {
        return (own, base);
    };
    let mut merged: Option<HopDecision> = None;
    for p in &peers {
        let d = decide_with(&outcomes(p));
        match &mut merged {
            _ if d.decision == Decision::Unknown => return (own, base),
            None => merged = Some(d),
            Some(m) if m.decision != d.decision => return (own, base),
            Some(m) => {
                if m.policy != d.policy {
                    m.policy = None;
                }
                m.denied_by.extend(d.denied_by);
                m.no_allow_matched |= d.no_allow_matched;
            }
        }
    }
    let decided = match merged {
        Some(mut m) => {
            m.denied_by.sort_unstable();
            m.denied_by.dedup();
            m
        }
        None => base,
    };
    (own, decided)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any() -> Subject<'static> {
        Subject::Any("td/ns/".into())
    }

    /// One line per case: a pattern against a peer the question does not name.
    #[test]
    fn patterns_against_any_peer() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, Option<bool>)] = &[
            ("presence: every peer has an identity",        "*",                     Some(true)),
            ("one principal of the trust domain: some",     "td/ns/a/sa/b",          None),
            ("a principal of another trust domain: none",   "cluster.local/ns/a/sa/b", Some(false)),
            ("a prefix inside the trust domain: some",      "td/ns/a/*",             None),
            ("a prefix of every identity: all",             "td/*",                  Some(true)),
            ("a prefix of another trust domain: none",      "other/*",               Some(false)),
            ("a suffix: some",                              "*/sa/b",                None),
        ];
        for (what, pattern, want) in cases {
            assert_eq!(StringMatch::parse(pattern).test(&any()), *want, "{what}");
        }
        assert_eq!(StringMatch::Presence.test(&Subject::Nothing), Some(false));
        assert_eq!(StringMatch::Presence.test(&Subject::Is("")), Some(false));
    }

    #[test]
    fn witnesses_stand_for_every_identity_or_none() {
        let mut w = Witnesses::new("td");
        w.principal(&StringMatch::parse("td/ns/a/sa/b"));
        w.principal(&StringMatch::parse("other/ns/x/sa/y"));
        w.namespace(&StringMatch::parse("c"));
        let ids: Vec<String> = w
            .peers()
            .unwrap()
            .into_iter()
            .map(|p| match p {
                Peer::Known(id) => id,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            ids,
            [
                "td/ns/a/sa/b",
                "td/ns/a/sa/~other",
                "td/ns/c/sa/~other",
                "td/ns/~other/sa/~other"
            ]
        );
        w.principal(&StringMatch::parse("td/ns/a/*"));
        assert_eq!(w.peers(), None, "a prefix makes the set incomplete");
    }
}
