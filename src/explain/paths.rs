//! Traffic paths: for each destination workload, one path per source class of SEMANTICS.md
//! 3.5, with the hops and, at each hop, the policies evaluated and the identity seen.

use super::authz::{sidecar_attaches, ztunnel_attaches};
use super::report::{Hop, PathReport};
use super::Ctx;
use crate::enforce::attach::{Chain, RefOutcome, RefResolution};
use crate::enforce::ztunnel::{
    decide, Action, Clause, Conn, Match, Scope, StringMatch, Verdict, ZRule,
};
use crate::findings::{self as f, Finding};
use crate::mesh::{Dataplane, Role};
use crate::model::resource_key;
use std::collections::HashMap;

/// A policy as the destination ztunnel holds it.
pub(super) struct ZtPolicy<'a> {
    pub label: String,
    pub key: String,
    pub action: Action,
    pub rules: std::borrow::Cow<'a, [ZRule]>,
}

/// What the destination ztunnel of pod `d` enforces: the AuthorizationPolicies it receives,
/// PeerAuthentication's DENY rules, and the implicit waypoint policy when that flag is on.
/// `aps`: the AuthorizationPolicies that attach to `d` at ztunnel (`zt_attached`).
fn zt_policies<'a>(ctx: &'a Ctx, d: usize, aps: &[usize]) -> Vec<ZtPolicy<'a>> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let mut out: Vec<ZtPolicy> = aps
        .iter()
        .map(|&i| {
            let (p, c) = (&snap.authorization_policies[i], &ctx.conversions[i]);
            {
                let key = resource_key(
                    "AuthorizationPolicy",
                    &p.metadata.namespace,
                    &p.metadata.name,
                );
                ZtPolicy {
                    label: format!("{key} ({})", c.effect.as_str()),
                    key,
                    action: c.action,
                    rules: std::borrow::Cow::Borrowed(c.rules.as_slice()),
                }
            }
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    if let Some(m) = ctx.mtls.get(&d) {
        let rules = m.deny_rules();
        if !rules.is_empty() {
            out.push(ZtPolicy {
                label: format!("PeerAuthentication mTLS {}", m.describe()),
                key: "PeerAuthentication".into(),
                action: Action::Deny,
                rules: rules.into(),
            });
        }
    }
    // PILOT_AUTO_ALLOW_WAYPOINT_POLICY: an implicit ALLOW for the waypoints in front of it.
    if snap.mesh.feature("PILOT_AUTO_ALLOW_WAYPOINT_POLICY") {
        for w in mesh.waypoints_in_front_of(d) {
            let wp = &mesh.waypoints[w];
            let principals = wp
                .identities
                .iter()
                .map(|i| StringMatch::Exact(i.trim_start_matches("spiffe://").to_string()))
                .collect();
            let key = format!(
                "{}/istio_allow_waypoint_{}_{}",
                wp.namespace, wp.namespace, wp.name
            );
            out.push(ZtPolicy {
                label: format!("{key} (implicit)"),
                key,
                action: Action::Allow,
                rules: vec![ZRule {
                    clauses: vec![Clause {
                        matches: vec![Match {
                            principals,
                            ..Match::default()
                        }],
                    }],
                }]
                .into(),
            });
        }
    }
    out
}

/// The destination ztunnel's verdict for a peer whose identity is `identity`:
/// `Some(Some(id))` known, `Some(None)` plaintext, `None` an mTLS peer the path does not
/// name (any ambient or sidecar client, an ingress gateway). That last one is still decided
/// when no identity could change the outcome (no policy, a deny-all, an ALLOW of any
/// authenticated peer); it is `Depends` only when a condition on the identity (or the port,
/// or an IP) decides.
pub(super) fn verdict(policies: &[ZtPolicy], identity: Option<Option<String>>) -> Option<Verdict> {
    let any_peer = identity.is_none();
    let rules: Vec<std::borrow::Cow<[ZRule]>> = policies
        .iter()
        .map(|p| {
            if any_peer {
                std::borrow::Cow::Owned(p.rules.iter().map(for_any_peer).collect())
            } else {
                std::borrow::Cow::Borrowed(&*p.rules)
            }
        })
        .collect();
    let refs: Vec<(&str, Action, &[ZRule])> = policies
        .iter()
        .zip(&rules)
        .map(|(p, r)| (p.key.as_str(), p.action, &**r))
        .collect();
    let conn = Conn {
        identity,
        ..Conn::default()
    };
    let v = decide(&refs, &conn);
    // `decide` stops at a DENY it cannot settle; yet when no ALLOW can admit the peer it is
    // denied either way (`assert_rbac`: DENY first, then "no ALLOW matched").
    if v == Verdict::Depends {
        let allows: Vec<_> = refs
            .iter()
            .filter(|p| p.1 == Action::Allow)
            .copied()
            .collect();
        if !allows.is_empty() {
            if let d @ Verdict::Deny(_) = decide(&allows, &conn) {
                return Some(d);
            }
        }
    }
    Some(v)
}

/// A rule as it applies to a peer known only to have an mTLS identity (a non-empty
/// principal in a non-empty namespace): `principals: ["*"]` and `namespaces: ["*"]` hold for
/// it, their `not` forms never do. Other conditions stay unknown.
fn for_any_peer(rule: &ZRule) -> ZRule {
    let presence = |v: &[StringMatch]| v.contains(&StringMatch::Presence);
    let mut rule = rule.clone();
    for clause in &mut rule.clauses {
        let mut always = false;
        for m in &mut clause.matches {
            if m.is_empty() {
                continue; // skipped by ztunnel: stays so
            }
            if presence(&m.not_principals) || presence(&m.not_namespaces) {
                // Never matches: an empty match, which ztunnel skips.
                *m = Match::default();
                continue;
            }
            if presence(&m.principals) {
                m.principals.clear();
            }
            if presence(&m.namespaces) {
                m.namespaces.clear();
            }
            // Nothing left to test: this alternative always matches, so the clause does.
            always |= m.is_empty();
        }
        if always {
            clause.matches.clear();
        }
    }
    rule
}

fn client_hop(component: &str) -> Hop {
    Hop {
        component: component.into(),
        name: None,
        source_identity: "client".into(),
        spiffe: None,
        policies: vec![],
        verdict: None,
    }
}

/// Waypoint chains are shared by many pods: their policy lists are computed once, from an
/// index of what attaches where, built in one pass over the resolved targetRefs (scanning
/// every policy for every Service's chain would grow as services x policies).
struct ChainCache {
    memo: HashMap<(usize, Option<Chain>), Vec<String>>,
    /// (waypoint, chain) -> AuthorizationPolicy indices, and the same for extensions.
    aps: HashMap<(usize, Chain), Vec<usize>>,
    exts: HashMap<(usize, Chain), Vec<usize>>,
}

impl ChainCache {
    fn new(ctx: &Ctx) -> Self {
        fn index(refs: &[Vec<RefResolution>]) -> HashMap<(usize, Chain), Vec<usize>> {
            let mut m: HashMap<(usize, Chain), Vec<usize>> = HashMap::new();
            for (i, res) in refs.iter().enumerate() {
                for o in res.iter().flat_map(|r| &r.outcomes) {
                    if let RefOutcome::Waypoint { waypoint, chain } = o {
                        let v = m.entry((*waypoint, *chain)).or_default();
                        if v.last() != Some(&i) {
                            v.push(i);
                        }
                    }
                }
            }
            m
        }
        ChainCache {
            memo: HashMap::new(),
            aps: index(&ctx.ap_refs),
            exts: index(&ctx.ext_refs),
        }
    }

    /// The policies attached at waypoint `w` for `chain` (`attaches_to_chain`), in input
    /// order: AuthorizationPolicies, then extensions.
    fn policies(&mut self, ctx: &Ctx, w: usize, chain: Option<Chain>) -> &[String] {
        let (aps, exts) = (&self.aps, &self.exts);
        self.memo.entry((w, chain)).or_insert_with(|| {
            let at = |m: &HashMap<(usize, Chain), Vec<usize>>| {
                let mut v: Vec<usize> = m.get(&(w, Chain::All)).cloned().unwrap_or_default();
                if let Some(c) = chain {
                    v.extend(m.get(&(w, c)).into_iter().flatten());
                }
                v.sort_unstable();
                v.dedup();
                v
            };
            let snap = ctx.snap;
            let aps = at(aps).into_iter().map(|i| {
                let m = &snap.authorization_policies[i].metadata;
                resource_key("AuthorizationPolicy", &m.namespace, &m.name)
            });
            let exts = at(exts).into_iter().map(|i| {
                let p = &snap.extensions[i];
                resource_key(&p.kind, &p.metadata.namespace, &p.metadata.name)
            });
            aps.chain(exts).collect()
        })
    }
}

fn waypoint_hop(ctx: &Ctx, cache: &mut ChainCache, w: usize, chain: Option<Chain>) -> Hop {
    let policies = cache.policies(ctx, w, chain).to_vec();
    Hop {
        component: "waypoint".into(),
        name: Some(ctx.waypoint_key(w)),
        source_identity: "client".into(),
        spiffe: None,
        policies: policies.clone(),
        verdict: None,
    }
}

/// The destination hop. `via`: the waypoint the traffic crossed; `plaintext`: no identity.
/// `zt`: what pod `d`'s ztunnel enforces (computed once per pod).
fn destination_hop(
    ctx: &Ctx,
    d: usize,
    zt: &[ZtPolicy],
    via: Option<usize>,
    plaintext: bool,
) -> Hop {
    let mesh = ctx.mesh;
    let info = &mesh.pods[d];
    let (source_identity, spiffe, identity) = match (via, plaintext) {
        (Some(w), _) => {
            let id = mesh.waypoint_identity(w).to_string();
            (
                "waypoint",
                Some(id.clone()),
                Some(Some(id.trim_start_matches("spiffe://").to_string())),
            )
        }
        (None, true) => ("none", None, Some(None)),
        (None, false) => ("client", None, None),
    };
    let name = Some(mesh.pod_key(d));
    if plaintext && info.bypass_inbound && info.dataplane == Dataplane::Ambient {
        // SEMANTICS.md 2.1: plaintext inbound is not redirected, so no ztunnel policy applies.
        return Hop {
            component: "app (capture bypassed)".into(),
            name,
            source_identity: "none".into(),
            spiffe: None,
            policies: vec![],
            verdict: Some(Verdict::Allow),
        };
    }
    match info.dataplane {
        Dataplane::Ambient => {
            let ps = zt;
            Hop {
                component: "ztunnel".into(),
                name,
                source_identity: source_identity.into(),
                spiffe,
                policies: ps.iter().map(|p| p.label.clone()).collect(),
                verdict: verdict(ps, identity),
            }
        }
        Dataplane::Sidecar => Hop {
            component: "sidecar".into(),
            name,
            source_identity: source_identity.into(),
            spiffe,
            policies: sidecar_policies(ctx, d)
                .map(|p| {
                    resource_key(
                        "AuthorizationPolicy",
                        &p.metadata.namespace,
                        &p.metadata.name,
                    )
                })
                .collect(),
            verdict: None,
        },
        Dataplane::None => Hop {
            component: "none".into(),
            name,
            source_identity: source_identity.into(),
            spiffe,
            policies: vec![],
            verdict: None,
        },
    }
}

/// The paths of every destination in scope, and the waypoint-bypass findings (AMB009).
pub fn build(ctx: &Ctx) -> (Vec<PathReport>, Vec<Finding>) {
    let mut cache = ChainCache::new(ctx);
    let mesh = ctx.mesh;
    let mut out = Vec::new();
    // Pods enforced alike (replicas of one workload) share their paths: computed once per
    // group, so paths grow with workloads, not pods.
    let zt_by_pod = zt_by_pod(ctx);
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for &d in &ctx.pods {
        if mesh.pods[d].role != Role::Workload {
            continue;
        }
        let sig = signature(ctx, d, &zt_by_pod[&d]);
        match index.get(&sig) {
            Some(&g) => groups[g].1.push(d),
            None => {
                index.insert(sig, groups.len());
                groups.push((d, vec![d]));
            }
        }
    }
    for (d, members) in groups {
        let zt = &zt_by_pod[&d];
        let info = &mesh.pods[d];
        let dest = mesh.pod_key(d);
        let pods: Vec<String> = if members.len() > 1 {
            members.iter().map(|&m| mesh.pod_key(m)).collect()
        } else {
            vec![]
        };
        let path =
            |source: &str, via: Option<String>, hops: Vec<Hop>, note: Option<String>| PathReport {
                destination: dest.clone(),
                pods: pods.clone(),
                source: source.into(),
                via,
                hops,
                note,
            };
        let not_in_mesh = (info.dataplane == Dataplane::None).then(|| {
            format!(
                "destination is not in the mesh ({}): no policy is enforced",
                info.reason
            )
        });
        // Services and ServiceEntries that address this pod.
        let mut fronts: Vec<(String, Option<usize>, Option<Chain>, bool)> = info
            .services
            .iter()
            .map(|&s| {
                (
                    mesh.service_key(s),
                    mesh.services[s].binding.waypoint,
                    Some(Chain::Service(s)),
                    mesh.services[s].ingress_use_waypoint,
                )
            })
            .chain(info.service_entries.iter().map(|&s| {
                (
                    mesh.service_entry_key(s),
                    mesh.service_entries[s].binding.waypoint,
                    Some(Chain::ServiceEntry(s)),
                    mesh.service_entries[s].ingress_use_waypoint,
                )
            }))
            .collect();
        if fronts.is_empty() {
            fronts.push((String::new(), None, None, false));
        }
        for (svc, w, chain, iuw) in &fronts {
            let via = (!svc.is_empty()).then(|| svc.clone());
            let note = if svc.is_empty() {
                Some("no Service selects this pod".to_string())
            } else {
                not_in_mesh.clone()
            };
            let mut hops = vec![client_hop("client-ztunnel")];
            if let Some(w) = w {
                hops.push(waypoint_hop(ctx, &mut cache, *w, *chain));
            }
            hops.push(destination_hop(ctx, d, zt, *w, false));
            out.push(path("ambient-service", via.clone(), hops, note));

            let mut hops = vec![client_hop("ingress-gateway")];
            let through = w.filter(|_| *iuw);
            if let Some(w) = through {
                hops.push(waypoint_hop(ctx, &mut cache, w, *chain));
            }
            hops.push(destination_hop(ctx, d, zt, through, false));
            let note = match (w, iuw) {
                (Some(w), false) => Some(format!(
                    "ingress traffic skips waypoint {} (istio.io/ingress-use-waypoint is not true)",
                    ctx.waypoint_key(*w)
                )),
                _ => not_in_mesh.clone(),
            };
            out.push(path("ingress", via, hops, note));
        }
        let mut hops = vec![client_hop("client-ztunnel")];
        if let Some(w) = info.binding.waypoint {
            hops.push(waypoint_hop(ctx, &mut cache, w, None));
        }
        hops.push(destination_hop(ctx, d, zt, info.binding.waypoint, false));
        out.push(path("ambient-pod-ip", None, hops, not_in_mesh.clone()));

        let any_waypoint = !mesh.waypoints_in_front_of(d).is_empty();
        let note = if any_waypoint {
            Some("sidecar clients bypass waypoints".to_string())
        } else {
            not_in_mesh.clone()
        };
        out.push(path(
            "sidecar",
            None,
            vec![
                client_hop("sidecar-client"),
                destination_hop(ctx, d, zt, None, false),
            ],
            note,
        ));

        let mut hop = client_hop("out-of-mesh-client");
        hop.source_identity = "none".into();
        out.push(path(
            "out-of-mesh",
            None,
            vec![hop, destination_hop(ctx, d, zt, None, true)],
            not_in_mesh,
        ));
    }
    let mut findings = bypass_findings(ctx, &mut cache, &zt_by_pod);
    findings.extend(super::identity::findings(ctx, &zt_by_pod));
    (out, findings)
}

/// The AuthorizationPolicies a sidecar-injected pod `d` enforces itself (sidecar semantics:
/// selector, namespace and root policies; targetRefs ignored).
fn sidecar_policies<'a>(
    ctx: &'a Ctx,
    d: usize,
) -> impl Iterator<Item = &'a crate::model::AuthorizationPolicy> + 'a {
    let snap = ctx.snap;
    let pod = &snap.pods[d];
    ctx.candidate_aps(&pod.metadata.namespace)
        .map(move |i| &snap.authorization_policies[i])
        .filter(move |p| {
            p.spec.attachment.target_refs().is_empty()
                && sidecar_attaches(
                    &p.metadata.namespace,
                    p.spec.attachment.selector.as_ref(),
                    pod,
                    ctx.root(),
                )
        })
}

/// What each in-scope pod's ztunnel enforces (empty outside ambient), computed once for the
/// paths and the bypass check.
pub(super) type ZtByPod<'a> = std::collections::HashMap<usize, Vec<ZtPolicy<'a>>>;

fn zt_by_pod<'a>(ctx: &'a Ctx) -> ZtByPod<'a> {
    let attached = zt_attached(ctx);
    ctx.pods
        .iter()
        .map(|&d| {
            let ambient = ctx.mesh.pods[d].dataplane == Dataplane::Ambient;
            let aps = attached.get(&d).map_or(&[][..], Vec::as_slice);
            (
                d,
                if ambient {
                    zt_policies(ctx, d, aps)
                } else {
                    vec![]
                },
            )
        })
        .collect()
}

/// The AuthorizationPolicies each in-scope pod's ztunnel receives, found from the policies'
/// side (each looks only at the pods its selector can match): asking every pod about every
/// policy of its namespace would grow as pods x policies.
fn zt_attached(ctx: &Ctx) -> HashMap<usize, Vec<usize>> {
    let snap = ctx.snap;
    let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, p) in snap.authorization_policies.iter().enumerate() {
        let c = &ctx.conversions[i];
        if c.not_sent.is_some() || c.dry_run {
            continue;
        }
        let ns = p.metadata.namespace.as_str();
        let labels = p.spec.attachment.selector.as_ref();
        let narrowed = match labels.and_then(|s| s.match_labels.as_ref()) {
            Some(m) if !m.is_empty() && c.scope == Scope::WorkloadSelector => {
                Some(ctx.candidate_pods_with(ns, m))
            }
            _ => None,
        };
        let candidates = narrowed
            .as_deref()
            .unwrap_or_else(|| ctx.candidate_pods(ns));
        for &d in candidates {
            if ztunnel_attaches(p, c.scope, &snap.pods[d], ctx.root()) {
                out.entry(d).or_default().push(i);
            }
        }
    }
    out
}

/// Everything the paths of pod `d` depend on: pods with equal signatures get equal paths.
fn signature(ctx: &Ctx, d: usize, zt: &[ZtPolicy]) -> String {
    let (snap, info) = (ctx.snap, &ctx.mesh.pods[d]);
    let sidecar: Vec<&str> = if info.dataplane == Dataplane::Sidecar {
        sidecar_policies(ctx, d)
            .map(|p| p.metadata.name.as_str())
            .collect()
    } else {
        vec![]
    };
    let zt: Vec<&str> = zt.iter().map(|p| p.label.as_str()).collect();
    format!(
        "{}|{:?}|{}|{:?}|{:?}|{:?}|{}|{:?}|{:?}",
        snap.pods[d].metadata.namespace,
        info.dataplane,
        info.reason,
        info.services,
        info.service_entries,
        info.binding.waypoint,
        info.bypass_inbound,
        zt,
        sidecar
    )
}

/// AMB009: targetRef policies at a waypoint that other paths skip, when the destination
/// ztunnel does not restrict sources to the waypoint. One finding per policy and waypoint:
/// a Gateway-targeted policy covers every Service bound to it, and one warning per Service
/// would repeat the same advice.
fn bypass_findings(ctx: &Ctx, cache: &mut ChainCache, zt_by_pod: &ZtByPod) -> Vec<Finding> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let probe = format!(
        "{}/ns/ambient-policy-probe/sa/probe",
        snap.mesh.trust_domain()
    );
    // (policy, waypoint) -> bypass route -> the Services it concerns, in input order.
    type Routes = Vec<(String, Vec<String>)>;
    let mut by_policy: Vec<((String, usize), Routes)> = Vec::new();
    let mut services_of: HashMap<(String, usize), Vec<String>> = HashMap::new();
    for &s in &ctx.services {
        let Some(w) = mesh.services[s].binding.waypoint else {
            continue;
        };
        let policies = cache
            .policies(ctx, w, Some(Chain::Service(s)))
            .iter()
            .filter(|p| p.starts_with("AuthorizationPolicy/"))
            .cloned()
            .collect::<Vec<_>>();
        if policies.is_empty() {
            continue;
        }
        let mut routes = Vec::new();
        let pods: Vec<usize> = mesh.services[s]
            .pods
            .iter()
            .copied()
            .filter(|p| zt_by_pod.contains_key(p))
            .collect();
        for &d in &pods {
            let dp = mesh.pods[d].dataplane;
            if dp == Dataplane::None {
                routes.push(format!(
                    "every client of {} (not in the mesh)",
                    mesh.pod_key(d)
                ));
                continue;
            }
            let ps = &zt_by_pod[&d];
            let other = dp == Dataplane::Sidecar
                || !matches!(
                    verdict(ps, Some(Some(probe.clone()))),
                    Some(Verdict::Deny(_))
                );
            if other {
                if mesh.pods[d].binding.waypoint != Some(w) {
                    routes.push("ambient clients calling the pods by IP".into());
                }
                routes.push("sidecar clients".into());
                if !mesh.services[s].ingress_use_waypoint {
                    routes.push(
                        "ingress gateways (istio.io/ingress-use-waypoint is not true)".into(),
                    );
                }
            }
            let plaintext_denied = !mesh.pods[d].bypass_inbound
                && matches!(verdict(ps, Some(None)), Some(Verdict::Deny(_)));
            if dp == Dataplane::Ambient && !plaintext_denied {
                routes.push("plaintext clients outside the mesh".into());
            }
        }
        routes.sort();
        routes.dedup();
        if routes.is_empty() {
            continue;
        }
        let name = snap.services[s].metadata.name.clone();
        for p in policies {
            let key = (p, w);
            services_of
                .entry(key.clone())
                .or_default()
                .push(name.clone());
            let i = match by_policy.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    by_policy.push((key, Vec::new()));
                    by_policy.len() - 1
                }
            };
            for r in &routes {
                let entry = &mut by_policy[i].1;
                match entry.iter_mut().find(|(route, _)| route == r) {
                    Some((_, svcs)) => svcs.push(name.clone()),
                    None => entry.push((r.clone(), vec![name.clone()])),
                }
            }
        }
    }
    by_policy
        .into_iter()
        .map(|((policy, w), mut routes)| {
            let all = &services_of[&(policy.clone(), w)];
            routes.sort();
            let routes: Vec<String> = routes
                .into_iter()
                .map(|(r, svcs)| {
                    // Name the Services only where a route concerns some of them.
                    if svcs.len() == all.len() || all.len() == 1 {
                        r
                    } else {
                        format!("{r} (to {})", compact_list(&svcs))
                    }
                })
                .collect();
            let (noun, names) = if all.len() == 1 {
                ("Service", all[0].clone())
            } else {
                ("Services", compact_list(all))
            };
            let text = format!(
                "at waypoint {} this policy sees only traffic addressed to {noun} {names}; \
                 these reach the pods without crossing the waypoint: {}",
                ctx.waypoint_key(w),
                routes.join("; ")
            );
            Finding::new(&f::WAYPOINT_BYPASS, policy, text)
        })
        .collect()
}

/// `a, b, c, d, e and 3 more`: a list of names, cut to keep a finding short.
fn compact_list(names: &[String]) -> String {
    const SHOWN: usize = 5;
    if names.len() <= SHOWN + 1 {
        return names.join(", ");
    }
    format!(
        "{} and {} more",
        names[..SHOWN].join(", "),
        names.len() - SHOWN
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(action: Action, rules: Vec<ZRule>) -> ZtPolicy<'static> {
        ZtPolicy {
            label: "p".into(),
            key: format!("AuthorizationPolicy/ns/{}", action.as_str().to_lowercase()),
            action,
            rules: rules.into(),
        }
    }

    /// One rule of one clause of one match.
    fn rule(m: Match) -> ZRule {
        ZRule {
            clauses: vec![Clause { matches: vec![m] }],
        }
    }

    fn principals(p: &[&str]) -> Vec<StringMatch> {
        p.iter().map(|s| StringMatch::parse(s)).collect()
    }

    fn short(v: Option<Verdict>) -> &'static str {
        match v {
            Some(Verdict::Allow) => "allow",
            Some(Verdict::Deny(_)) => "deny",
            Some(Verdict::Depends) => "depends",
            None => "none",
        }
    }

    /// What the destination ztunnel decides for a client whose identity the path does not
    /// fix: decided unless the identity (or another unknown) decides.
    #[test]
    fn unknown_client_is_decided_when_no_identity_changes_it() {
        // `rules: [{}]`: a rule without clauses, which always matches.
        let allow_any = ZRule { clauses: vec![] };
        let from = |p: &[&str]| {
            rule(Match {
                principals: principals(p),
                ..Match::default()
            })
        };
        let not_from = |p: &[&str]| {
            rule(Match {
                not_principals: principals(p),
                ..Match::default()
            })
        };
        let port = rule(Match {
            destination_ports: vec![9080],
            ..Match::default()
        });
        let any_ns = rule(Match {
            namespaces: principals(&["*"]),
            ..Match::default()
        });
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<ZtPolicy>, &str)> = vec![
            ("no policy", vec![], "allow"),
            ("deny-all: ALLOW without rules", vec![policy(Action::Allow, vec![])], "deny"),
            ("allow-all: ALLOW rules [{}]", vec![policy(Action::Allow, vec![allow_any.clone()])], "allow"),
            ("ALLOW of one principal", vec![policy(Action::Allow, vec![from(&["td/ns/a/sa/b"])])], "depends"),
            ("ALLOW of any authenticated peer", vec![policy(Action::Allow, vec![from(&["*"])])], "allow"),
            ("ALLOW of any namespace", vec![policy(Action::Allow, vec![any_ns])], "allow"),
            ("ALLOW of no authenticated peer", vec![policy(Action::Allow, vec![not_from(&["*"])])], "deny"),
            ("DENY of any authenticated peer", vec![policy(Action::Deny, vec![from(&["*"])])], "deny"),
            ("DENY of plaintext only: no effect on mTLS", vec![policy(Action::Deny, vec![not_from(&["*"])])], "allow"),
            ("DENY of one principal", vec![policy(Action::Deny, vec![from(&["td/ns/a/sa/b"])])], "depends"),
            ("DENY of one principal beside a deny-all: denied either way",
                vec![policy(Action::Deny, vec![from(&["td/ns/a/sa/b"])]), policy(Action::Allow, vec![])], "deny"),
            ("DENY of one principal beside an allow-all",
                vec![policy(Action::Deny, vec![from(&["td/ns/a/sa/b"])]), policy(Action::Allow, vec![allow_any])], "depends"),
            ("ALLOW of a port: the port decides", vec![policy(Action::Allow, vec![port])], "depends"),
        ];
        for (what, ps, want) in cases {
            assert_eq!(short(verdict(&ps, None)), want, "{what}");
        }
        // A known identity or plaintext is decided as before.
        let ps = vec![policy(Action::Allow, vec![from(&["td/ns/a/sa/b"])])];
        assert_eq!(
            short(verdict(&ps, Some(Some("td/ns/a/sa/b".into())))),
            "allow"
        );
        assert_eq!(short(verdict(&ps, Some(None))), "deny");
    }
}
