//! One hop of a checked request, as the report shows it: the engine decides
//! (`Index::decide_ztunnel`, `Index::decide_envoy`); here its result becomes report lines,
//! in Istio's order, with the mTLS requirement where the request is plaintext.

use super::report::*;
use crate::enforce::evaluate::envoy::{self, Request};
use crate::enforce::evaluate::l4::Conn;
use crate::enforce::evaluate::{Decision, HopDecision, Outcome, Peer};
use crate::enforce::hops::{self, Enforcer};
use crate::enforce::index::{Index, Origin};
use crate::versions::Row;
use std::net::IpAddr;

/// One hop while it is being built: the report and what it decided.
pub(super) struct Hop {
    pub report: HopReport,
    pub decision: Option<HopDecision>,
    /// Rejected for lack of mTLS.
    pub mtls_denied: bool,
    /// Version rows that decided something at this hop.
    pub rows: Vec<Row>,
}

impl Hop {
    /// A hop that enforces nothing.
    pub fn passive(report: HopReport) -> Self {
        Hop {
            report,
            decision: None,
            mtls_denied: false,
            rows: vec![],
        }
    }
}

fn action_rank(a: &str) -> u8 {
    match a {
        "CUSTOM" => 0,
        "DENY" => 1,
        "ALLOW" => 2,
        _ => 3,
    }
}

fn result_of(o: &Outcome) -> (&'static str, Option<String>, Vec<String>) {
    match o {
        Outcome::Match => ("match", None, vec![]),
        Outcome::NoMatch(r) => ("no-match", Some(r.clone()), vec![]),
        Outcome::Unknown(n) => ("unknown", None, n.iter().cloned().collect()),
    }
}

/// One policy's line: (namespace, name, action shown, outcome, effect).
pub(super) fn line(
    ns: &str,
    name: &str,
    action: &str,
    o: &Outcome,
    effect: Option<String>,
) -> PolicyResult {
    let (result, reason, needs) = result_of(o);
    PolicyResult {
        kind: "AuthorizationPolicy".into(),
        namespace: ns.into(),
        name: name.into(),
        action: action.into(),
        result: result.into(),
        reason,
        needs,
        effect,
    }
}

/// The report of a decided hop: lines sorted in Istio's order (CUSTOM, DENY, ALLOW, then by
/// namespace and name), the decision's policy indices renumbered to match, and the first
/// matching DENY in that order named as the deciding one.
pub(super) fn finish(
    mut report: HopReport,
    lines: Vec<PolicyResult>,
    mut d: HopDecision,
    kept: &[usize],
) -> Hop {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&lines[a], &lines[b]);
        (action_rank(&a.action), &a.namespace, &a.name).cmp(&(
            action_rank(&b.action),
            &b.namespace,
            &b.name,
        ))
    });
    // Decision indices are over the enforcer's list; `kept[k]` is line k's entry there.
    let pos = |entry: usize| {
        kept.iter()
            .position(|&e| e == entry)
            .and_then(|line| order.iter().position(|&o| o == line))
    };
    d.denied_by = d.denied_by.iter().filter_map(|&e| pos(e)).collect();
    d.denied_by.sort_unstable();
    d.policy = d.denied_by.first().copied();
    report.decision = match d.decision {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
        Decision::Unknown => "unknown",
    }
    .into();
    let mut lines: Vec<Option<PolicyResult>> = lines.into_iter().map(Some).collect();
    report.policies = order.iter().filter_map(|&i| lines[i].take()).collect();
    Hop {
        report,
        decision: Some(d),
        mtls_denied: false,
        rows: vec![],
    }
}

pub(super) fn report(
    component: &str,
    name: Option<String>,
    identity: Option<&str>,
    connection: &str,
) -> HopReport {
    HopReport {
        component: component.into(),
        name,
        source_identity: identity.map(str::to_string),
        mtls: Mtls {
            connection: connection.into(),
            required: None,
            policy: None,
        },
        decision: "not-evaluated".into(),
        policies: vec![],
        note: None,
    }
}

/// The action shown for a CUSTOM policy whose provider istiod refuses beside another one.
pub(super) const CUSTOM_AS_DENY: &str = "CUSTOM as DENY";

/// An Envoy-based hop (waypoint, sidecar, ingress gateway): the whole policy is evaluated.
/// Dry-run policies are shown but never decide (`Index::envoy_action`).
/// Policies the cluster refuses on the release that runs are not there. A policy whose
/// identity values the release matches as unescaped regexes says so in its line.
pub(super) fn envoy(ix: &Index, policies: &[usize], req: &Request, report: HopReport) -> Hop {
    let policies: Vec<usize> = policies
        .iter()
        .copied()
        .filter(|&i| ix.admitted_policy(i).is_some())
        .collect();
    let policies = policies.as_slice();
    let (outcomes, d) = ix.decide_envoy(policies, req);
    let rules = &ix.mesh.rules;
    let unescaped = rules.envoy_unescaped();
    let mut rows = Vec::new();
    // CUSTOM policies naming several providers (`custom-providers`): refused, they deny.
    let several = ix.several_custom_providers(policies);
    rows.extend(several.as_ref().map(|s| s.row));
    let refused = several.filter(|s| !s.allowed);
    let lines = policies
        .iter()
        .zip(&outcomes)
        .map(|(&i, o)| {
            let p = &ix.snap.authorization_policies[i];
            let c = &ix.conversions[i];
            let label = if c.dry_run {
                format!("{} (dry-run)", c.action.as_str())
            } else {
                c.action.as_str().to_string()
            };
            let label = match &refused {
                Some(_) if c.action == crate::enforce::ztunnel::Action::Custom && !c.dry_run => {
                    CUSTOM_AS_DENY.to_string()
                }
                _ => label,
            };
            let admitted = ix.admitted_policy(i).unwrap_or(p);
            let (values, kinds) = envoy::unescaped_values(admitted, unescaped);
            let effect = (!values.is_empty()).then(|| {
                let used = rules.envoy_regex_rows(kinds);
                let phrase = used.first().map(|&r| rules.versions_phrase(r));
                rows.extend(used);
                // What an escaped reading (1.30+) would have decided, when it differs.
                let escaped = Request {
                    unescaped: Default::default(),
                    ..req.clone()
                };
                let written = envoy::evaluate(admitted, &escaped).as_bool();
                let differs = match (o.as_bool(), written) {
                    (Some(a), Some(b)) if a != b => {
                        if a {
                            "; as written it would not match"
                        } else {
                            "; as written it would match"
                        }
                    }
                    _ => "",
                };
                format!(
                    "matched as an unescaped regex {}: {}{differs}",
                    phrase.unwrap_or_default(),
                    values.join(", ")
                )
            });
            line(&p.metadata.namespace, &p.metadata.name, &label, o, effect)
        })
        .collect();
    let kept: Vec<usize> = (0..policies.len()).collect();
    let mut hop = finish(report, lines, d, &kept);
    hop.rows = rows;
    hop
}

/// A waypoint's HBONE termination under ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES
/// (`Index::layered_policies`): the L4 rules of the policies selecting its pods decide
/// before the waypoint's own policies, on the client's identity and HBONE's port.
pub(super) fn layered(ix: &Index, w: usize, policies: &[usize], row: Row, conn: &Conn) -> Hop {
    let identity = match &conn.peer {
        Peer::Known(id) => Some(format!("spiffe://{id}")),
        _ => None,
    };
    let mut r = report(
        "waypoint-termination",
        Some(ix.mesh.waypoints[w].key()),
        identity.as_deref(),
        "mtls",
    );
    r.note = Some(format!(
        "HBONE termination, {}: the policies selecting the waypoint's pods apply as L4 policy (ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES), on port {}",
        ix.mesh.rules.versions_phrase(row),
        crate::enforce::layered::HBONE_PORT
    ));
    let (outcomes, d) = ix.decide_layered(policies, conn);
    let lines = policies
        .iter()
        .zip(&outcomes)
        .map(|(&i, o)| {
            let p = &ix.snap.authorization_policies[i];
            let c = &ix.conversions[i];
            let label = if c.dry_run {
                format!("{} (dry-run)", c.action.as_str())
            } else {
                c.action.as_str().to_string()
            };
            let effect = Some(c.effect.as_str().to_string());
            line(&p.metadata.namespace, &p.metadata.name, &label, o, effect)
        })
        .collect();
    let kept: Vec<usize> = (0..policies.len()).collect();
    let mut hop = finish(r, lines, d, &kept);
    hop.rows = vec![row];
    hop
}

/// The PeerAuthentication that decides plaintext on `port` of pod `d`, in the report.
fn mtls_report(ix: &Index, d: usize, port: Option<u16>, report: &mut HopReport) -> Option<bool> {
    let required = ix.plaintext_rejected(d, port);
    let m = &ix.mtls(d).outcome;
    let decided = m.consulted.iter().rev().find(|c| c.2).map(|c| c.0);
    report.mtls.required = required;
    report.mtls.policy = decided.map(|i| {
        let pa = &ix.snap.peer_authentications[i].metadata;
        PolicyRef {
            kind: "PeerAuthentication".into(),
            namespace: pa.namespace.clone(),
            name: pa.name.clone(),
        }
    });
    required
}

fn mtls_denied(mut r: HopReport) -> Hop {
    r.decision = "deny".into();
    r.note = Some("plaintext is rejected: mTLS is required on this port".into());
    Hop {
        report: r,
        decision: None,
        mtls_denied: true,
        rows: vec![],
    }
}

/// What the destination sees of the request: the peer (the client, or the waypoint it
/// crossed) and its address.
pub(super) struct Seen {
    pub peer: Peer,
    pub src_ip: Option<IpAddr>,
}

/// The destination hop for pod `d`, on `port` (the pod's port).
pub(super) fn destination(
    ix: &Index,
    d: usize,
    port: Option<u16>,
    seen: Seen,
    req: &Request,
) -> Hop {
    let (snap, mesh) = (ix.snap, ix.mesh);
    let info = &mesh.pods[d];
    let name = Some(mesh.pod_key(d).to_string());
    let plaintext = seen.peer.is_plaintext();
    let connection = if plaintext { "plaintext" } else { "mtls" };
    let identity = match &seen.peer {
        Peer::Known(id) => Some(format!("spiffe://{id}")),
        _ => None,
    };
    let dst_ip = snap.pods[d].status.pod_ip.parse().ok();
    match hops::destination(mesh, d, plaintext) {
        Enforcer::Nothing => {
            let mut r = report("none", name, identity.as_deref(), connection);
            r.note = Some(format!(
                "not in the mesh ({}): nothing enforces policy here",
                info.reason
            ));
            Hop::passive(r)
        }
        Enforcer::CaptureBypassed => {
            let mut r = report("ztunnel", name, None, connection);
            r.note = Some("ambient.istio.io/bypass-inbound-capture: plaintext skips ztunnel, no policy applies".into());
            Hop::passive(r)
        }
        Enforcer::Ztunnel => {
            let mut r = report("ztunnel", name, identity.as_deref(), connection);
            let required = if plaintext {
                mtls_report(ix, d, port, &mut r)
            } else {
                Some(false)
            };
            let conn = Conn {
                peer: seen.peer,
                src_ip: seen.src_ip,
                dst_ip,
                dst_port: port,
            };
            let (outcomes, dec) = ix.decide_ztunnel(d, &conn);
            let held = ix.ztunnel(d);
            if dec.decision == Decision::Deny
                && dec
                    .policy
                    .is_some_and(|p| ix.is_peer_authentication(held[p].origin))
            {
                return mtls_denied(r);
            }
            if required.is_none() {
                r.note = Some("whether plaintext is accepted depends on the port".into());
            }
            // The PeerAuthentication entry shows as the hop's mTLS requirement, not a line.
            let kept: Vec<usize> = (0..held.len())
                .filter(|&k| !ix.is_peer_authentication(held[k].origin))
                .collect();
            let lines = kept
                .iter()
                .map(|&k| {
                    let h = held[k];
                    let (ns, name) = ix.held_name(h.origin);
                    let effect = match h.origin {
                        Origin::Policy(i) => ix.conversions[i].effect.as_str().to_string(),
                        Origin::Dataplane(_) => "as-held".to_string(),
                        _ => "implicit".to_string(),
                    };
                    line(ns, &name, h.action.as_str(), &outcomes[k], Some(effect))
                })
                .collect();
            finish(r, lines, dec, &kept)
        }
        Enforcer::Sidecar => {
            let mut r = report("sidecar", name, identity.as_deref(), connection);
            let mut required = Some(false);
            if plaintext {
                required = mtls_report(ix, d, port, &mut r);
                match required {
                    Some(true) => return mtls_denied(r),
                    None => {
                        r.note = Some("whether plaintext is accepted depends on the port".into())
                    }
                    Some(false) => {}
                }
            }
            let mut req = req.clone();
            req.peer = seen.peer;
            req.source_ip = seen.src_ip;
            req.destination_ip = dst_ip;
            req.port = port;
            let mut hop = envoy(ix, &ix.sidecar_policies(d), &req, r);
            // Allowed by policy, yet plaintext may be rejected on the port it arrives on.
            if required.is_none() {
                if let Some(d) = hop.decision.as_mut() {
                    if d.decision == Decision::Allow {
                        d.decision = Decision::Unknown;
                        d.needs.insert("destination.port".into());
                        hop.report.decision = "unknown".into();
                    }
                }
            }
            hop
        }
    }
}
