//! One request along its path (SEMANTICS.md 3.5): the hops for the source class and the
//! address, and at each hop the identity seen, the mTLS requirement and every policy
//! evaluated there, in Istio's order. Pure: Snapshot and Mesh in, report out.

use super::report::*;
use super::resolve::{Addressed, Client, ClientClass, Target};
use crate::enforce::attach::{
    attaches_to_chain, resolve_ref, Chain, Consumer, RefOutcome, RefResolution,
};
use crate::enforce::evaluate::envoy::{self, Request};
use crate::enforce::evaluate::l4::{rules_outcome, Conn};
use crate::enforce::evaluate::{decide_hop, Decision, HopDecision, Outcome};
use crate::enforce::peerauth::{self, MtlsOutcome};
use crate::enforce::ztunnel::{self, Action, Clause, Conversion, Match, StringMatch, ZRule};
use crate::explain::{sidecar_attaches, ztunnel_attaches};
use crate::mesh::{Dataplane, Mesh, Role};
use crate::model::AuthorizationPolicy;
use crate::snapshot::Snapshot;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Policies per waypoint chain.
type ChainCache = std::collections::HashMap<(usize, Option<Chain>), std::rc::Rc<Vec<usize>>>;

/// What every check over one Snapshot shares: conversions and targetRef resolutions are
/// computed once, so that the matrix costs one evaluation per pair, not one analysis.
pub struct Index<'a> {
    pub mesh: &'a Mesh<'a>,
    pub snap: &'a Snapshot,
    pub conversions: Vec<Conversion>,
    pub ap_refs: Vec<Vec<RefResolution>>,
    aps_by_ns: BTreeMap<&'a str, Vec<usize>>,
    /// `signature` of every pod, computed on first use.
    sigs: std::cell::OnceCell<Vec<String>>,
    /// The policies attached to each waypoint chain, computed on first use.
    chains: std::cell::RefCell<ChainCache>,
}

impl<'a> Index<'a> {
    pub fn new(mesh: &'a Mesh<'a>) -> Self {
        let snap = mesh.snap;
        let root = snap.mesh.root();
        let dry_run_flag = snap
            .mesh
            .feature("AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY");
        let conversions = snap
            .authorization_policies
            .iter()
            .map(|p| ztunnel::convert(p, root, dry_run_flag))
            .collect();
        let ap_refs = snap
            .authorization_policies
            .iter()
            .map(|p| {
                p.spec
                    .attachment
                    .target_refs()
                    .iter()
                    .map(|r| resolve_ref(mesh, &p.metadata.namespace, r, Consumer::Standard))
                    .collect()
            })
            .collect();
        let mut aps_by_ns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in snap.authorization_policies.iter().enumerate() {
            aps_by_ns
                .entry(p.metadata.namespace.as_str())
                .or_default()
                .push(i);
        }
        Index {
            mesh,
            snap,
            conversions,
            ap_refs,
            aps_by_ns,
            sigs: std::cell::OnceCell::new(),
            chains: Default::default(),
        }
    }

    /// AuthorizationPolicies attached to chain `chain` of waypoint `w` (SEMANTICS.md 6).
    pub fn chain_policies(&self, w: usize, chain: Option<Chain>) -> std::rc::Rc<Vec<usize>> {
        self.chains
            .borrow_mut()
            .entry((w, chain))
            .or_insert_with(|| {
                std::rc::Rc::new(
                    (0..self.snap.authorization_policies.len())
                        .filter(|&i| attaches_to_chain(&self.ap_refs[i], w, chain))
                        .collect(),
                )
            })
            .clone()
    }

    /// The enforcement signature of pod `d` (see `signature`).
    pub fn sig(&self, d: usize) -> &str {
        &self.sigs.get_or_init(|| {
            (0..self.snap.pods.len())
                .map(|p| signature(self, p))
                .collect()
        })[d]
    }

    /// Policies that can apply to a pod in `ns`: its namespace's and the root namespace's.
    fn candidate_aps(&self, ns: &str) -> impl Iterator<Item = usize> + '_ {
        let root = self.snap.mesh.root();
        let own = self.aps_by_ns.get(ns).map_or(&[][..], Vec::as_slice);
        let global = if ns == root {
            &[][..]
        } else {
            self.aps_by_ns.get(root).map_or(&[][..], Vec::as_slice)
        };
        own.iter().chain(global).copied()
    }

    /// The destination's mTLS mode: a sidecar pod applies PeerAuthentication with sidecar
    /// semantics (DISABLE stays DISABLE), an ambient pod as its ztunnel does (as `explain`).
    fn mtls(&self, d: usize) -> MtlsOutcome {
        let decide = if self.mesh.pods[d].dataplane == Dataplane::Sidecar {
            peerauth::sidecar_effective
        } else {
            peerauth::effective
        };
        decide(
            &self.snap.pods[d],
            &self.snap.peer_authentications,
            self.snap.mesh.root(),
        )
    }
}

/// Attributes the user gave; nothing else is assumed.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub method: Option<String>,
    pub path: Option<String>,
    /// Names lowercased.
    pub headers: BTreeMap<String, String>,
    pub request_principal: Option<String>,
    pub source_ip: Option<IpAddr>,
}

/// One hop while it is being built: the report and what it decided.
struct Hop {
    report: HopReport,
    decision: Option<HopDecision>,
    /// Rejected for lack of mTLS.
    mtls_denied: bool,
}

fn strip(id: &str) -> String {
    id.trim_start_matches("spiffe://").to_string()
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

/// Evaluated policies of one hop: (action that decides, outcome, report line).
type Evaluated = Vec<(Action, Outcome, PolicyResult)>;

fn policy_line(
    p: &AuthorizationPolicy,
    action: &str,
    o: &Outcome,
    effect: Option<String>,
) -> PolicyResult {
    let (result, reason, needs) = result_of(o);
    PolicyResult {
        kind: "AuthorizationPolicy".into(),
        namespace: p.metadata.namespace.clone(),
        name: p.metadata.name.clone(),
        action: action.into(),
        result: result.into(),
        reason,
        needs,
        effect,
    }
}

/// Sorts in Istio's order and decides.
fn finish(mut ev: Evaluated, mut report: HopReport) -> Hop {
    ev.sort_by(|a, b| {
        (action_rank(&a.2.action), &a.2.namespace, &a.2.name).cmp(&(
            action_rank(&b.2.action),
            &b.2.namespace,
            &b.2.name,
        ))
    });
    let refs: Vec<(Action, &Outcome)> = ev.iter().map(|(a, o, _)| (*a, o)).collect();
    let d = decide_hop(&refs);
    report.decision = match d.decision {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
        Decision::Unknown => "unknown",
    }
    .into();
    report.policies = ev.into_iter().map(|(_, _, l)| l).collect();
    Hop {
        report,
        decision: Some(d),
        mtls_denied: false,
    }
}

fn hop(
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

/// An Envoy-based hop (waypoint, sidecar, ingress gateway): the whole policy is evaluated.
/// Dry-run policies are shown but never decide (Envoy's shadow rules).
fn envoy_hop(ix: &Index, policies: &[usize], req: &Request, report: HopReport) -> Hop {
    let ev = policies
        .iter()
        .map(|&i| {
            let p = &ix.snap.authorization_policies[i];
            let o = envoy::evaluate(p, req);
            let c = &ix.conversions[i];
            let action = if c.dry_run { Action::Audit } else { c.action };
            let label = if c.dry_run {
                format!("{} (dry-run)", c.action.as_str())
            } else {
                c.action.as_str().to_string()
            };
            (action, o.clone(), policy_line(p, &label, &o, None))
        })
        .collect();
    finish(ev, report)
}

/// Plaintext at a destination: rejected where PeerAuthentication makes the port STRICT.
fn mtls_check(
    ix: &Index,
    d: usize,
    port: Option<u16>,
    report: &mut HopReport,
) -> Option<Option<bool>> {
    let m = ix.mtls(d);
    let required = match port {
        Some(p) => Some(m.strict != m.exceptions.contains(&p)),
        None if m.exceptions.is_empty() => Some(m.strict),
        None => None,
    };
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
    Some(required)
}

/// What the destination ztunnel of pod `d` holds: the AuthorizationPolicies istiod sends it
/// (SEMANTICS.md 4.1), and the implicit waypoint policy when that flag is on (5.4).
/// (namespace, name, action, rules, effect) of one policy at a ztunnel.
type ZtPolicy<'x> = (
    String,
    String,
    Action,
    std::borrow::Cow<'x, [ZRule]>,
    Option<String>,
);

fn ztunnel_policies<'x>(ix: &'x Index, d: usize) -> Vec<ZtPolicy<'x>> {
    let (snap, mesh) = (ix.snap, ix.mesh);
    let pod = &snap.pods[d];
    let root = snap.mesh.root();
    let mut out: Vec<_> = ix
        .candidate_aps(&pod.metadata.namespace)
        .filter_map(|i| {
            let (p, c) = (&snap.authorization_policies[i], &ix.conversions[i]);
            let sent = c.not_sent.is_none() && !c.dry_run;
            (sent && ztunnel_attaches(p, c.scope, pod, root)).then(|| {
                (
                    p.metadata.namespace.clone(),
                    p.metadata.name.clone(),
                    c.action,
                    std::borrow::Cow::Borrowed(c.rules.as_slice()),
                    Some(c.effect.as_str().to_string()),
                )
            })
        })
        .collect();
    if snap.mesh.feature("PILOT_AUTO_ALLOW_WAYPOINT_POLICY") {
        for w in mesh.waypoints_in_front_of(d) {
            let wp = &mesh.waypoints[w];
            let principals = wp
                .identities
                .iter()
                .map(|i| StringMatch::Exact(strip(i)))
                .collect();
            out.push((
                wp.namespace.clone(),
                format!("istio_allow_waypoint_{}_{}", wp.namespace, wp.name),
                Action::Allow,
                std::borrow::Cow::Owned(vec![ZRule {
                    clauses: vec![Clause {
                        matches: vec![Match {
                            principals,
                            ..Match::default()
                        }],
                    }],
                }]),
                Some("implicit".into()),
            ));
        }
    }
    out
}

struct Seen<'s> {
    identity: Option<&'s str>,
    src_ip: Option<IpAddr>,
}

/// The destination hop for pod `d`.
fn destination(ix: &Index, d: usize, target: &Target, seen: Seen, req: &Request) -> Hop {
    let (snap, mesh) = (ix.snap, ix.mesh);
    let info = &mesh.pods[d];
    let name = Some(mesh.pod_key(d));
    let plaintext = seen.identity.is_none();
    let connection = if plaintext { "plaintext" } else { "mtls" };
    let port = target.target_port;
    match info.dataplane {
        Dataplane::None => {
            let mut r = hop("none", name, seen.identity, connection);
            r.note = Some(format!(
                "not in the mesh ({}): nothing enforces policy here",
                info.reason
            ));
            Hop {
                report: r,
                decision: None,
                mtls_denied: false,
            }
        }
        Dataplane::Ambient if plaintext && info.bypass_inbound => {
            let mut r = hop("ztunnel", name, None, connection);
            r.note = Some("ambient.istio.io/bypass-inbound-capture: plaintext skips ztunnel, no policy applies".into());
            Hop {
                report: r,
                decision: None,
                mtls_denied: false,
            }
        }
        dp => {
            let component = if dp == Dataplane::Ambient {
                "ztunnel"
            } else {
                "sidecar"
            };
            let mut r = hop(component, name, seen.identity, connection);
            if plaintext {
                if let Some(required) = mtls_check(ix, d, port, &mut r) {
                    match required {
                        Some(true) => {
                            r.decision = "deny".into();
                            r.note =
                                Some("plaintext is rejected: mTLS is required on this port".into());
                            return Hop {
                                report: r,
                                decision: None,
                                mtls_denied: true,
                            };
                        }
                        None => {
                            r.note =
                                Some("whether plaintext is accepted depends on the port".into());
                        }
                        Some(false) => {}
                    }
                }
            }
            let dst_ip = snap.pods[d].status.pod_ip.parse().ok();
            let mut hop = if dp == Dataplane::Ambient {
                let conn = Conn {
                    identity: Some(seen.identity.map(strip)),
                    src_ip: seen.src_ip,
                    dst_ip,
                    dst_port: port,
                };
                let ev = ztunnel_policies(ix, d)
                    .into_iter()
                    .map(|(ns, name, action, rules, effect)| {
                        let o = rules_outcome(&rules, &conn);
                        let (result, reason, needs) = result_of(&o);
                        let line = PolicyResult {
                            kind: "AuthorizationPolicy".into(),
                            namespace: ns,
                            name,
                            action: action.as_str().into(),
                            result: result.into(),
                            reason,
                            needs,
                            effect,
                        };
                        (action, o, line)
                    })
                    .collect();
                finish(ev, r)
            } else {
                // Sidecar semantics: selector, namespace and root policies; targetRefs ignored.
                let pod = &snap.pods[d];
                let root = snap.mesh.root();
                let ps: Vec<usize> = ix
                    .candidate_aps(&pod.metadata.namespace)
                    .filter(|&i| {
                        let p = &snap.authorization_policies[i];
                        p.spec.attachment.target_refs().is_empty()
                            && sidecar_attaches(
                                &p.metadata.namespace,
                                p.spec.attachment.selector.as_ref(),
                                pod,
                                root,
                            )
                    })
                    .collect();
                let mut req = req.clone();
                req.principal = Some(seen.identity.map(strip));
                req.source_ip = seen.src_ip;
                req.destination_ip = dst_ip;
                req.port = port;
                envoy_hop(ix, &ps, &req, r)
            };
            if plaintext && hop.report.mtls.required.is_none() {
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

/// Policies at ingress gateway `g` (a Gateway API Gateway): Gateway targetRefs, and selector
/// policies on its pods (`ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY`, on by default).
fn ingress_policies(ix: &Index, g: Option<usize>, pod: Option<usize>) -> Vec<usize> {
    let snap = ix.snap;
    let root = snap.mesh.root();
    let selector_ok = g.is_none()
        || snap
            .mesh
            .feature("ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY");
    (0..snap.authorization_policies.len())
        .filter(|&i| {
            let p = &snap.authorization_policies[i];
            let by_ref = g.is_some_and(|g| {
                ix.ap_refs[i]
                    .iter()
                    .flat_map(|r| &r.outcomes)
                    .any(|o| *o == RefOutcome::Ingress { gateway: g })
            });
            let by_selector = selector_ok
                && p.spec.attachment.target_refs().is_empty()
                && pod.is_some_and(|d| {
                    sidecar_attaches(
                        &p.metadata.namespace,
                        p.spec.attachment.selector.as_ref(),
                        &snap.pods[d],
                        root,
                    )
                });
            by_ref || by_selector
        })
        .collect()
}

/// The waypoint the request crosses, with the chain it lands on.
fn waypoint_of(
    mesh: &Mesh,
    client: &Client,
    target: &Target,
) -> (Option<(usize, Option<Chain>)>, Option<usize>) {
    let (bound, chain, iuw) = match target.addressed {
        Addressed::Service {
            entry: false,
            index,
        } => {
            let s = &mesh.services[index];
            (
                s.binding.waypoint,
                Some(Chain::Service(index)),
                s.ingress_use_waypoint,
            )
        }
        Addressed::Service { entry: true, index } => {
            let s = &mesh.service_entries[index];
            (
                s.binding.waypoint,
                Some(Chain::ServiceEntry(index)),
                s.ingress_use_waypoint,
            )
        }
        Addressed::PodIp(p) => (mesh.pods[p].binding.waypoint, None, false),
    };
    let crosses = match client.class {
        ClientClass::Ambient => true,
        ClientClass::Ingress(_) => chain.is_some() && iuw,
        ClientClass::Sidecar | ClientClass::Plaintext => false,
    };
    match bound {
        Some(w) if crosses => (Some((w, chain)), None),
        Some(w) => (None, Some(w)),
        None => (None, None),
    }
}

/// The hops for one endpoint pod (or none: a ServiceEntry without workloads).
fn hops_for(
    ix: &Index,
    client: &Client,
    target: &Target,
    q: &Query,
    endpoint: Option<usize>,
) -> (Vec<Hop>, Vec<String>) {
    let mesh = ix.mesh;
    let mut notes = Vec::new();
    let base = Request {
        principal: None,
        source_ip: q.source_ip.or(client.ip),
        remote_ip: q.source_ip.or(client.ip),
        destination_ip: None,
        port: target.port,
        host: target.host.clone(),
        method: q.method.clone(),
        path: q.path.clone(),
        headers: q.headers.clone(),
        request_principal: q.request_principal.clone(),
        trust_domain: Some(ix.snap.mesh.trust_domain().to_string()),
    };
    let client_id = client.identity.as_deref();
    let mut hops = Vec::new();
    // Client-side hops are named by the pod, when the source is one.
    let client_name = Some(
        client
            .pod
            .map_or_else(|| client.label.clone(), |p| mesh.pod_key(p)),
    );
    match client.class {
        ClientClass::Ambient => {
            let mut r = hop("client-ztunnel", client_name, client_id, "mtls");
            r.note = Some("the source ztunnel enforces no AuthorizationPolicy".into());
            hops.push(Hop {
                report: r,
                decision: None,
                mtls_denied: false,
            });
        }
        ClientClass::Sidecar => {
            let mut r = hop("sidecar", client_name, client_id, "mtls");
            r.note = Some("client sidecar: outbound, no policy; sidecars bypass waypoints".into());
            hops.push(Hop {
                report: r,
                decision: None,
                mtls_denied: false,
            });
        }
        ClientClass::Ingress(g) => {
            let name = match g {
                Some(g) => Some(mesh.waypoints[g].key()),
                None => Some(client.label.trim_start_matches("ingress/").to_string()),
            };
            // The request arrives from outside the mesh: no peer identity, listener port unknown.
            let req = Request {
                principal: Some(None),
                port: None,
                ..base.clone()
            };
            let ps = ingress_policies(ix, g, client.pod);
            let r = hop("ingress-gateway", name, None, "plaintext");
            hops.push(envoy_hop(ix, &ps, &req, r));
        }
        ClientClass::Plaintext => {}
    }
    let (via, bypassed) = waypoint_of(mesh, client, target);
    if let Some(w) = bypassed {
        notes.push(format!(
            "this request does not cross waypoint {}: its policies do not apply",
            mesh.waypoints[w].key()
        ));
    }
    if let Some((w, chain)) = via {
        let ps = ix.chain_policies(w, chain);
        let req = Request {
            principal: Some(client_id.map(strip)),
            // Pod-IP traffic keeps the pod's port; Service traffic the Service port.
            port: if chain.is_some() {
                target.port
            } else {
                target.target_port
            },
            ..base.clone()
        };
        let r = hop("waypoint", Some(mesh.waypoints[w].key()), client_id, "mtls");
        hops.push(envoy_hop(ix, &ps, &req, r));
    }
    if let Some(d) = endpoint {
        let seen = match via {
            Some((w, _)) => Seen {
                identity: Some(mesh.waypoint_identity(w)),
                src_ip: mesh
                    .pods
                    .iter()
                    .position(|p| p.role == Role::Waypoint(w))
                    .and_then(|p| ix.snap.pods[p].status.pod_ip.parse().ok()),
            },
            None => Seen {
                identity: client_id,
                src_ip: base.source_ip,
            },
        };
        hops.push(destination(ix, d, target, seen, &base));
    } else {
        notes.push(
            "no endpoint pod in the input: only the hops before the destination are shown".into(),
        );
    }
    (hops, notes)
}

/// The verdict over the hops: denied if any hop certainly denies (the first such hop
/// decides), unknown if a hop cannot tell, allowed otherwise.
fn verdict(hops: &[Hop]) -> (Verdict, DecidedBy) {
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
                    reason: if d.no_allow_matched {
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

/// Checks one request. With several endpoint pods, each is evaluated; when they disagree
/// the verdict is unknown and says which pod decides what.
pub fn check(ix: &Index, client: &Client, target: &Target, q: &Query) -> CheckReport {
    let endpoints: Vec<Option<usize>> = if target.endpoints.is_empty() {
        vec![None]
    } else {
        target.endpoints.iter().map(|&d| Some(d)).collect()
    };
    let mut results = Vec::new();
    let mut seen_sig: Vec<String> = Vec::new();
    for e in &endpoints {
        // Replicas enforced alike give the same answer: evaluate each distinct pod once.
        let sig = e.map(|d| ix.sig(d).to_string()).unwrap_or_default();
        if seen_sig.contains(&sig) {
            continue;
        }
        seen_sig.push(sig);
        let (hops, notes) = hops_for(ix, client, target, q, *e);
        let (v, by) = verdict(&hops);
        results.push((*e, hops, notes, v, by));
    }
    let (_, hops, mut notes, mut v, mut by) = results.remove(0);
    let differ: Vec<String> = results
        .iter()
        .filter(|r| r.3 != v)
        .map(|r| {
            format!(
                "{} is {}",
                r.0.map(|d| ix.mesh.pod_key(d)).unwrap_or_default(),
                r.3.as_str()
            )
        })
        .collect();
    if !differ.is_empty() {
        let first = format!(
            "{} is {}",
            endpoints[0].map(|d| ix.mesh.pod_key(d)).unwrap_or_default(),
            v.as_str()
        );
        notes.push(format!(
            "endpoints disagree: {first}; {}",
            differ.join("; ")
        ));
        v = Verdict::Unknown;
        by = DecidedBy {
            hop: None,
            policy: None,
            reason: "endpoints-differ".into(),
            needs: vec!["the endpoint pod that receives the request".into()],
            allow_policies: vec![],
        };
    }
    let assumptions: Vec<String> = client
        .assumption
        .iter()
        .chain(&target.assumption)
        .cloned()
        .collect();
    CheckReport {
        api_version: crate::explain::report::API_VERSION,
        kind: KIND,
        request: RequestReport {
            source: client.label.clone(),
            source_identity: client.identity.clone(),
            destination: target.label.clone(),
            port: target.port,
            target_port: target.target_port,
            method: q.method.clone(),
            path: q.path.clone(),
            headers: q.headers.clone(),
            request_principal: q.request_principal.clone(),
            plaintext: client.identity.is_none(),
        },
        verdict: v,
        decided_by: by,
        hops: hops.into_iter().map(|h| h.report).collect(),
        assumptions,
        notes,
    }
}

/// Everything the destination hop of pod `d` depends on: pods with equal signatures are
/// enforced alike (the grouping of `explain`'s paths, applied to requests).
fn signature(ix: &Index, d: usize) -> String {
    let (snap, info) = (ix.snap, &ix.mesh.pods[d]);
    let pod = &snap.pods[d];
    let root = snap.mesh.root();
    let aps: Vec<usize> = ix
        .candidate_aps(&pod.metadata.namespace)
        .filter(|&i| {
            let (p, c) = (&snap.authorization_policies[i], &ix.conversions[i]);
            match info.dataplane {
                Dataplane::Ambient => ztunnel_attaches(p, c.scope, pod, root),
                Dataplane::Sidecar => sidecar_attaches(
                    &p.metadata.namespace,
                    p.spec.attachment.selector.as_ref(),
                    pod,
                    root,
                ),
                Dataplane::None => false,
            }
        })
        .collect();
    let m = ix.mtls(d);
    // The pod's own IP matters only to a `destination.ip` condition.
    let by_ip = aps.iter().any(|&i| {
        let rules = snap.authorization_policies[i]
            .spec
            .rules
            .as_deref()
            .unwrap_or(&[]);
        rules
            .iter()
            .any(|r| r.when.iter().any(|w| w.key == "destination.ip"))
    });
    // The Services in front matter only through the implicit waypoint policy.
    let in_front = if snap.mesh.feature("PILOT_AUTO_ALLOW_WAYPOINT_POLICY") {
        ix.mesh.waypoints_in_front_of(d)
    } else {
        vec![]
    };
    format!(
        "{}|{:?}|{}|{:?}|{:?}|{:?}|{}|{:?}|{}|{:?}|{}",
        pod.metadata.namespace,
        info.dataplane,
        info.reason,
        in_front,
        info.binding.waypoint,
        aps,
        info.bypass_inbound,
        m.strict,
        m.describe(),
        m.consulted,
        if by_ip {
            pod.status.pod_ip.as_str()
        } else {
            ""
        },
    )
}
