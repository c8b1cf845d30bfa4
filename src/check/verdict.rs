//! The verdict over a request's hops: denied where a hop certainly denies (the first such
//! hop decides), unknown where a hop cannot tell, allowed otherwise; and which policy
//! decided.

use super::hop::Hop;
use super::report::*;
use crate::enforce::evaluate::Decision;
use std::collections::BTreeSet;

/// The verdict over the hops: denied if any hop certainly denies (the first such hop
/// decides), unknown if a hop cannot tell, allowed otherwise.
pub(super) fn verdict(hops: &[Hop]) -> (Verdict, DecidedBy) {
    let policy_at = |h: &Hop, i: Option<usize>| i.map(|i| h.report.policies[i].policy_ref());
    for (i, h) in hops.iter().enumerate() {
        if h.mtls_denied {
            return (
                Verdict::Denied,
                DecidedBy {
                    hop: Some(i),
                    policy: h.report.mtls.policy.clone(),
                    reason: "mtls-required".into(),
                    needs: vec![],
                    allow_policies: vec![],
                },
            );
        }
        let Some(d) = &h.decision else { continue };
        if d.decision == Decision::Deny {
            let allow_policies = if d.no_allow_matched {
                h.report
                    .policies
                    .iter()
                    .filter(|p| p.action == "ALLOW")
                    .map(PolicyResult::policy_ref)
                    .collect()
            } else {
                vec![]
            };
            return (
                Verdict::Denied,
                DecidedBy {
                    hop: Some(i),
                    policy: policy_at(h, d.policy),
                    reason: if h.report.component == super::netpol::COMPONENT {
                        "network-policy"
                    } else if d.no_allow_matched {
                        "no-allow-matched"
                    } else {
                        "deny-matched"
                    }
                    .into(),
                    needs: vec![],
                    allow_policies,
                },
            );
        }
    }
    let mut needs = BTreeSet::new();
    let mut first_unknown = None;
    for (i, h) in hops.iter().enumerate() {
        if let Some(d) = h
            .decision
            .as_ref()
            .filter(|d| d.decision == Decision::Unknown)
        {
            first_unknown.get_or_insert(i);
            needs.extend(d.needs.iter().cloned());
        }
    }
    if let Some(i) = first_unknown {
        let ext = needs
            .iter()
            .any(|n| n.starts_with("the external authorizer"));
        return (
            Verdict::Unknown,
            DecidedBy {
                hop: Some(i),
                policy: None,
                reason: if ext { "ext-authz" } else { "needs-attributes" }.into(),
                needs: needs.into_iter().collect(),
                allow_policies: vec![],
            },
        );
    }
    // Allowed: name the last hop that held policies and the ALLOW that let it through.
    let last = hops
        .iter()
        .enumerate()
        .rev()
        .find(|(_, h)| h.decision.is_some() && !h.report.policies.is_empty());
    let (hop, policy) = match last {
        Some((i, h)) => (
            Some(i),
            h.report
                .policies
                .iter()
                .find(|p| p.action == "ALLOW" && p.result == "match")
                .map(PolicyResult::policy_ref),
        ),
        None => (None, None),
    };
    let reason = if policy.is_some() {
        "allow-matched"
    } else {
        "no-policy-denies"
    };
    (
        Verdict::Allowed,
        DecidedBy {
            hop,
            policy,
            reason: reason.into(),
            needs: vec![],
            allow_policies: vec![],
        },
    )
}
