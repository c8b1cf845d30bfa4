//! A destination ztunnel as the Explanation shows it: the policies it holds (from
//! `enforce::Index`), named and ordered for the report, and its verdict for one peer (the
//! engine's decision, summarised).

use super::report::Verdict;
use crate::enforce::evaluate::{Decision, Peer};
use crate::enforce::index::{Held, Index, Origin};
use crate::enforce::ztunnel::Action;
use crate::model::resource_key;

/// How the report names an entry of a ztunnel's list.
pub(super) fn key(ix: &Index, origin: Origin) -> String {
    match origin {
        Origin::Policy(i) => {
            let m = &ix.snap.authorization_policies[i].metadata;
            resource_key("AuthorizationPolicy", &m.namespace, &m.name)
        }
        Origin::PeerAuthentication => "PeerAuthentication".into(),
        Origin::ImplicitWaypoint(_) | Origin::Dataplane(_) => {
            let (ns, name) = ix.held_name(origin);
            format!("{ns}/{name}")
        }
    }
}

/// The entry with what ztunnel makes of it, as the paths list it.
pub(super) fn label(ix: &Index, d: usize, origin: Origin) -> String {
    match origin {
        Origin::Policy(i) => format!(
            "{} ({})",
            key(ix, origin),
            ix.conversions[i].effect.as_str()
        ),
        Origin::PeerAuthentication => {
            format!("PeerAuthentication mTLS {}", ix.mtls(d).outcome.describe())
        }
        Origin::ImplicitWaypoint(_) => format!("{} (implicit)", key(ix, origin)),
        Origin::Dataplane(_) => format!("{} (as held)", key(ix, origin)),
    }
}

/// Pod `d`'s ztunnel entries in the report's order: AuthorizationPolicies by name, then
/// the PeerAuthentication, then the implicit waypoint policies.
pub(super) fn entries(ix: &Index, d: usize) -> Vec<Held> {
    let mut held = ix.ztunnel(d).to_vec();
    held.sort_by_cached_key(|h| match h.origin {
        Origin::Policy(_) => (0, key(ix, h.origin), 0),
        Origin::PeerAuthentication => (1, String::new(), 0),
        Origin::ImplicitWaypoint(w) => (2, String::new(), w),
        Origin::Dataplane(k) => (3, String::new(), k),
    });
    held
}

/// The destination ztunnel's verdict for `peer`: denied by the DENY policies that match or,
/// when no ALLOW admits the peer, by the ALLOW policies; `depends` when the peer's identity
/// (or a port or address the path does not fix) decides.
pub(super) fn verdict(ix: &Index, d: usize, peer: Peer) -> Verdict {
    let dec = ix.ztunnel_decision(d, &peer);
    let held = ix.ztunnel(d);
    match dec.decision {
        Decision::Allow => Verdict::Allow,
        Decision::Unknown => Verdict::Depends,
        Decision::Deny => {
            let by = |h: &Held| {
                dec.denied_by.iter().any(|&i| held[i].origin == h.origin)
                    || (dec.no_allow_matched && h.action == Action::Allow)
            };
            Verdict::Deny(
                entries(ix, d)
                    .iter()
                    .filter(|h| by(h))
                    .map(|h| key(ix, h.origin))
                    .collect(),
            )
        }
    }
}
