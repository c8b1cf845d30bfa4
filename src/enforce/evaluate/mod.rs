//! Evaluation of one request against one hop's policies: pure functions, shared by `check`,
//! the reachability matrix and `explain`'s path verdicts. `l4` is what a ztunnel does with the
//! rules it was sent (SEMANTICS.md 5, `ztunnel/src/rbac.rs`); `envoy` is what a waypoint or
//! sidecar does with the whole AuthorizationPolicy (Istio's authz builder).
//!
//! Every attribute is three-valued: known to match, known not to match (with the first
//! condition that failed), or unknown (with the attributes that would decide it).

pub mod envoy;
pub mod l4;
pub mod peer;
pub mod unescaped;

pub use peer::Peer;

use crate::enforce::ztunnel::Action;
use serde::Serialize;
use std::collections::BTreeSet;

/// The result of one policy (or one condition) for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Match,
    /// The first condition that failed.
    NoMatch(String),
    /// The attributes that would decide it, e.g. `request.headers[x-user]`.
    Unknown(BTreeSet<String>),
}

impl Outcome {
    pub fn unknown(attr: &str) -> Self {
        Outcome::Unknown(BTreeSet::from([attr.to_string()]))
    }
    pub fn from_bool(b: bool, why: impl FnOnce() -> String) -> Self {
        if b {
            Outcome::Match
        } else {
            Outcome::NoMatch(why())
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Outcome::Match => Some(true),
            Outcome::NoMatch(_) => Some(false),
            Outcome::Unknown(_) => None,
        }
    }
    /// AND: the first failure decides; otherwise unknown if anything is unknown.
    pub fn all(items: impl IntoIterator<Item = Outcome>) -> Outcome {
        let mut needs = BTreeSet::new();
        for o in items {
            match o {
                Outcome::NoMatch(r) => return Outcome::NoMatch(r),
                Outcome::Unknown(n) => needs.extend(n),
                Outcome::Match => {}
            }
        }
        if needs.is_empty() {
            Outcome::Match
        } else {
            Outcome::Unknown(needs)
        }
    }
    /// OR: any match decides; otherwise unknown if anything is unknown; otherwise the
    /// failures, joined. `label` names each alternative in the joined reason.
    pub fn any(
        items: impl IntoIterator<Item = Outcome>,
        label: impl Fn(usize) -> Option<String>,
    ) -> Outcome {
        let mut needs = BTreeSet::new();
        let mut reasons = Vec::new();
        for (i, o) in items.into_iter().enumerate() {
            match o {
                Outcome::Match => return Outcome::Match,
                Outcome::Unknown(n) => needs.extend(n),
                Outcome::NoMatch(r) => reasons.push(match label(i) {
                    Some(l) => format!("{l}: {r}"),
                    None => r,
                }),
            }
        }
        if !needs.is_empty() {
            Outcome::Unknown(needs)
        } else if reasons.is_empty() {
            Outcome::NoMatch("nothing to match".into())
        } else {
            Outcome::NoMatch(reasons.join("; "))
        }
    }
}

/// What one hop decides for a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Allow,
    Deny,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopDecision {
    pub decision: Decision,
    /// Index of the deciding policy (the first DENY that matched); `None` with
    /// `no_allow_matched` or when nothing decided.
    pub policy: Option<usize>,
    /// Every DENY that matched, in order (the first is `policy`).
    pub denied_by: Vec<usize>,
    /// ALLOW policies existed and none matched (Istio: "allow policies exist, but none allowed").
    pub no_allow_matched: bool,
    /// What would decide an unknown result.
    pub needs: BTreeSet<String>,
}

/// Istio's order at every enforcement point: CUSTOM, then DENY, then ALLOW; AUDIT never
/// decides (istio.io AuthorizationPolicy reference; ztunnel `assert_rbac` has no CUSTOM).
/// A DENY that may match does not stop a certain "no ALLOW matched" from denying.
pub fn decide_hop(policies: &[(Action, &Outcome)]) -> HopDecision {
    let mut needs = BTreeSet::new();
    let mut d = HopDecision {
        decision: Decision::Deny,
        policy: None,
        denied_by: Vec::new(),
        no_allow_matched: false,
        needs: BTreeSet::new(),
    };
    for (i, (action, o)) in policies.iter().enumerate() {
        match (action, o) {
            // CUSTOM: the external authorizer is asked; nothing here knows its answer.
            (Action::Custom, Outcome::Match) => {
                needs.insert(format!(
                    "the external authorizer's answer (CUSTOM policy #{i})"
                ));
            }
            (Action::Custom | Action::Deny, Outcome::Unknown(n)) => needs.extend(n.clone()),
            (Action::Deny, Outcome::Match) => d.denied_by.push(i),
            _ => {}
        }
    }
    if let Some(&first) = d.denied_by.first() {
        d.policy = Some(first);
        return d;
    }
    let allows: Vec<&Outcome> = policies
        .iter()
        .filter(|(a, _)| *a == Action::Allow)
        .map(|(_, o)| *o)
        .collect();
    let allow = if allows.is_empty() {
        Outcome::Match
    } else {
        Outcome::any(allows.iter().map(|o| (*o).clone()), |_| None)
    };
    match allow {
        Outcome::NoMatch(_) => {
            d.no_allow_matched = true;
            d
        }
        Outcome::Unknown(n) => {
            needs.extend(n);
            d.decision = Decision::Unknown;
            d.needs = needs;
            d
        }
        Outcome::Match if !needs.is_empty() => {
            d.decision = Decision::Unknown;
            d.needs = needs;
            d
        }
        Outcome::Match => {
            d.decision = Decision::Allow;
            d
        }
    }
}

/// `td/ns/<ns>/sa/<sa>` -> (trust domain, namespace, service account).
pub fn identity_parts(id: &str) -> Option<(&str, &str, &str)> {
    let mut it = id.split('/');
    let (td, n, ns, s, sa) = (it.next()?, it.next()?, it.next()?, it.next()?, it.next()?);
    (n == "ns" && s == "sa" && it.next().is_none()).then_some((td, ns, sa))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    fn m() -> Outcome {
        Outcome::Match
    }
    fn n() -> Outcome {
        Outcome::NoMatch("x".into())
    }
    fn u() -> Outcome {
        Outcome::unknown("request.method")
    }

    /// (the policies a hop holds, decision, deciding policy, "no ALLOW matched")
    type Case<'a> = (&'a [(Action, Outcome)], Decision, Option<usize>, bool);

    /// One line per case: the policies a hop holds (action, result) and what it decides.
    #[test]
    fn istio_order() {
        #[rustfmt::skip]
        let cases: &[Case] = &[
            (&[], Decision::Allow, None, false),                                   // no policy: allowed
            (&[(Allow, m())], Decision::Allow, None, false),                       // an ALLOW matches
            (&[(Allow, n())], Decision::Deny, None, true),                         // ALLOW present, none matches
            (&[(Allow, n()), (Allow, m())], Decision::Allow, None, false),         // any ALLOW is enough
            (&[(Allow, m()), (Deny, m())], Decision::Deny, Some(1), false),        // DENY before ALLOW
            (&[(Deny, n())], Decision::Allow, None, false),                        // DENY that does not match
            (&[(Deny, u())], Decision::Unknown, None, false),                      // DENY that may match
            (&[(Deny, u()), (Allow, n())], Decision::Deny, None, true),            // ...but no ALLOW matches anyway
            (&[(Deny, u()), (Deny, m())], Decision::Deny, Some(1), false),         // a certain DENY decides
            (&[(Allow, u())], Decision::Unknown, None, false),                     // ALLOW that may match
            (&[(Allow, u()), (Allow, m())], Decision::Allow, None, false),         // another ALLOW matches
            (&[(Audit, m())], Decision::Allow, None, false),                       // AUDIT never decides
            (&[(Custom, m()), (Allow, m())], Decision::Unknown, None, false),      // CUSTOM asks ext-authz
            (&[(Custom, m()), (Deny, m())], Decision::Deny, Some(1), false),       // a DENY denies whatever ext-authz says
            (&[(Custom, n())], Decision::Allow, None, false),                      // CUSTOM that does not match
        ];
        for (i, (ps, want, policy, none_matched)) in cases.iter().enumerate() {
            let refs: Vec<(Action, &Outcome)> = ps.iter().map(|(a, o)| (*a, o)).collect();
            let d = decide_hop(&refs);
            assert_eq!(
                (&d.decision, d.policy, d.no_allow_matched),
                (want, *policy, *none_matched),
                "case {i}"
            );
        }
    }

    #[test]
    fn unknown_lists_what_decides() {
        let o = Outcome::all([m(), u(), Outcome::unknown("request.path")]);
        assert_eq!(
            o,
            Outcome::Unknown(["request.method".into(), "request.path".into()].into())
        );
        // A certain failure beats unknowns in an AND, a match beats them in an OR.
        assert_eq!(Outcome::all([u(), n()]), n());
        assert_eq!(Outcome::any([u(), m()], |_| None), m());
        assert_eq!(
            Outcome::any([n(), n()], |i| Some(format!("rule {}", i + 1))),
            Outcome::NoMatch("rule 1: x; rule 2: x".into())
        );
    }
}
