//! A NetworkPolicy hop of a checked request: one wire (sender, receiver, the port the CNI
//! sees), the sender's egress gate then the receiver's ingress gate, as the engine decides
//! them (`enforce::netpol`), in the report's form.

use super::hop::Hop;
use super::report::*;
use crate::enforce::evaluate::{Decision, HopDecision};
use crate::enforce::netpol::{Direction, Endpoint, Gate, Wire, HBONE_PORT};
use crate::enforce::Index;
use std::collections::BTreeSet;

pub(super) const COMPONENT: &str = "network-policy";

/// How an endpoint is named in a hop.
pub(super) fn endpoint_name(ix: &Index, e: Endpoint) -> String {
    match e {
        Endpoint::Pod(d) => ix.mesh.pod_key(d).to_string(),
        Endpoint::Waypoint(w) => format!("a pod of waypoint {}", ix.mesh.waypoints[w].key()),
        Endpoint::Address(Some(ip)) => ip.to_string(),
        Endpoint::Address(None) => "a client outside the cluster".into(),
    }
}

/// The hop of one wire; `None` when the input holds no NetworkPolicy (nothing to show).
pub(super) fn hop(ix: &Index, from: Endpoint, to: Endpoint, port: Option<u16>) -> Option<Hop> {
    let np = ix.network_policies();
    if !np.any() {
        return None;
    }
    let (from_name, to_name) = (endpoint_name(ix, from), endpoint_name(ix, to));
    let shown_port = match port {
        Some(HBONE_PORT) => format!("{HBONE_PORT} (HBONE)"),
        Some(p) => p.to_string(),
        None => "?".into(),
    };
    let mut report = HopReport {
        component: COMPONENT.into(),
        name: Some(format!("{from_name} -> {to_name}:{shown_port}")),
        source_identity: None,
        mtls: Mtls {
            connection: if port == Some(HBONE_PORT) {
                "hbone"
            } else {
                "plaintext"
            }
            .into(),
            required: None,
            policy: None,
        },
        decision: String::new(),
        policies: vec![],
        note: None,
    };
    let Some(port) = port else {
        report.decision = "unknown".into();
        report.note = Some("the destination port is not known: give --port".into());
        let needs = BTreeSet::from(["the destination port".to_string()]);
        return Some(decided(report, Decision::Unknown, None, needs));
    };
    let v = np.evaluate(&Wire { from, to, port });
    let mut notes = Vec::new();
    let mut needs = BTreeSet::new();
    let mut deciding = None;
    for (dir, gate, own, peer) in [
        (Direction::Egress, &v.egress, &from_name, &to_name),
        (Direction::Ingress, &v.ingress, &to_name, &from_name),
    ] {
        let action = match dir {
            Direction::Egress => "egress",
            Direction::Ingress => "ingress",
        };
        match gate {
            Gate::Outside => {}
            Gate::NotIsolated => notes.push(format!(
                "no NetworkPolicy selects {own} for {action} (not isolated)"
            )),
            Gate::Admitted { policy, rule } => {
                let p = np.policy(*policy);
                report.policies.push(line(
                    p,
                    action,
                    "match",
                    Some(format!(
                        "{action} rule {} admits {peer} on port {port}",
                        rule + 1
                    )),
                ));
            }
            Gate::Denied { policies } => {
                for &i in policies {
                    if deciding.is_none() {
                        deciding = Some(report.policies.len());
                    }
                    report.policies.push(line(
                        np.policy(i),
                        action,
                        "no-match",
                        Some(format!(
                            "selects {own} for {action}; no rule admits {peer} on port {port}"
                        )),
                    ));
                }
            }
            Gate::Unknown {
                policy,
                rule,
                needs: n,
            } => {
                let mut l = line(
                    np.policy(*policy),
                    action,
                    "unknown",
                    Some(format!("{action} rule {} may admit {peer}", rule + 1)),
                );
                l.needs = vec![n.clone()];
                needs.insert(n.clone());
                report.policies.push(l);
            }
        }
    }
    if !notes.is_empty() {
        report.note = Some(notes.join("; "));
    }
    let decision = match v.admits() {
        Some(true) => Decision::Allow,
        Some(false) => Decision::Deny,
        None => Decision::Unknown,
    };
    report.decision = match decision {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
        Decision::Unknown => "unknown",
    }
    .into();
    Some(decided(report, decision, deciding, needs))
}

fn line(
    p: &crate::model::NetworkPolicy,
    action: &str,
    result: &str,
    reason: Option<String>,
) -> PolicyResult {
    PolicyResult {
        kind: "NetworkPolicy".into(),
        namespace: p.metadata.namespace.clone(),
        name: p.metadata.name.clone(),
        action: action.into(),
        result: result.into(),
        reason,
        needs: vec![],
        effect: None,
    }
}

fn decided(
    report: HopReport,
    decision: Decision,
    policy: Option<usize>,
    needs: BTreeSet<String>,
) -> Hop {
    Hop {
        report,
        decision: Some(HopDecision {
            decision,
            policy,
            denied_by: policy.into_iter().collect(),
            no_allow_matched: false,
            needs,
        }),
        mtls_denied: false,
        rows: vec![],
    }
}
