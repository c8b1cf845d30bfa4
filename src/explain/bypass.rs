//! AMB009: policies at a waypoint that other routes to the same pods skip (SEMANTICS.md
//! 3.5: pod-IP callers, sidecars, ingress gateways without `istio.io/ingress-use-waypoint`,
//! plaintext clients), unless the destination ztunnel admits only the waypoint.

use super::destination;
use super::paths::ChainNames;
use super::Ctx;
use crate::enforce::attach::Chain;
use crate::enforce::evaluate::Peer;
use crate::explain::report::Verdict;
use crate::findings::{self as f, Finding};
use crate::mesh::Dataplane;
use std::collections::{HashMap, HashSet};

/// AMB009: targetRef policies at a waypoint that other paths skip, when the destination
/// ztunnel does not restrict sources to the waypoint. One finding per policy and waypoint:
/// a Gateway-targeted policy covers every Service bound to it, and one warning per Service
/// would repeat the same advice.
pub(super) fn findings(ctx: &Ctx, names: &mut ChainNames) -> Vec<Finding> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let probe = format!(
        "{}/ns/ambient-policy-probe/sa/probe",
        snap.mesh.trust_domain()
    );
    // (policy, waypoint) -> bypass route -> the Services it concerns, in input order, with
    // every Service the key concerns; found by key through `place` (a scan of `by_policy`
    // per Service was quadratic in the targetRefs policies).
    type Routes = Vec<(String, Vec<String>)>;
    let mut by_policy: Vec<((String, usize), Routes, Vec<String>)> = Vec::new();
    let mut place: HashMap<(String, usize), usize> = HashMap::new();
    // Keys whose policy also attaches at the Service's canary waypoint (with the same
    // routes), and keys at a waypoint that is the canary of the Services concerned.
    let mut with_canary: HashMap<(String, usize), usize> = HashMap::new();
    let mut as_canary: HashSet<(String, usize)> = HashSet::new();
    for &s in &ctx.services {
        let info = &mesh.services[s];
        let Some(w) = info.binding.waypoint else {
            continue;
        };
        let mut at = |wp: usize| {
            names
                .policies(ctx, wp, Some(Chain::Service(s)))
                .iter()
                .filter(|p| p.starts_with("AuthorizationPolicy/"))
                .cloned()
                .collect::<Vec<_>>()
        };
        // A canary waypoint (Istio 1.31+) decides its share of the requests with the policies
        // attached there; the routes that skip the primary skip it too (same pods, same
        // destination ztunnel), so the same condition is evaluated for it. A canary of weight
        // 0 takes no request.
        let canary = info.canary.filter(|c| c.weight > 0).map(|c| c.waypoint);
        let primary_ps = at(w);
        let canary_ps = canary.map(|c| (c, at(c)));
        let mut keyed: Vec<((String, usize), Vec<String>)> = Vec::new();
        let pods: Vec<usize> = info
            .pods
            .iter()
            .copied()
            .filter(|p| ctx.pods.binary_search(p).is_ok())
            .collect();
        if !primary_ps.is_empty() {
            let routes = routes_to(ctx, &probe, s, w, &pods);
            for p in &primary_ps {
                keyed.push(((p.clone(), w), routes.clone()));
            }
        }
        if let Some((c, ps)) = canary_ps {
            let mut routes = None;
            for p in ps {
                if primary_ps.contains(&p) {
                    with_canary.insert((p, w), c);
                } else {
                    let r = routes.get_or_insert_with(|| routes_to(ctx, &probe, s, c, &pods));
                    as_canary.insert((p.clone(), c));
                    keyed.push(((p, c), r.clone()));
                }
            }
        }
        let name = snap.services[s].metadata.name.clone();
        for (key, routes) in keyed {
            if routes.is_empty() {
                continue;
            }
            let i = *place.entry(key).or_insert_with_key(|key| {
                by_policy.push((key.clone(), Vec::new(), Vec::new()));
                by_policy.len() - 1
            });
            by_policy[i].2.push(name.clone());
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
        .map(|((policy, w), mut routes, all)| {
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
                ("Services", compact_list(&all))
            };
            let key = (policy.clone(), w);
            let at = match with_canary.get(&key) {
                Some(&c) => format!(
                    "waypoint {} and its canary {}",
                    ctx.waypoint_name(w),
                    ctx.waypoint_name(c)
                ),
                None if as_canary.contains(&key) => format!(
                    "canary waypoint {} (istio.io/use-waypoint-canary)",
                    ctx.waypoint_name(w)
                ),
                None => format!("waypoint {}", ctx.waypoint_name(w)),
            };
            let text = format!(
                "at {at} this policy sees only traffic addressed to {noun} {names}; \
                 these reach the pods without crossing the waypoint: {}",
                routes.join("; ")
            );
            Finding::new(&f::WAYPOINT_BYPASS, policy, text)
        })
        .collect()
}

/// The routes to Service `s`'s `pods` that skip waypoint `w` (one of its waypoints), when
/// the destination ztunnel does not restrict sources to the waypoint (`probe`: an identity
/// no policy names).
fn routes_to(ctx: &Ctx, probe: &str, s: usize, w: usize, pods: &[usize]) -> Vec<String> {
    let mesh = ctx.mesh;
    let mut routes = Vec::new();
    // Pods enforced alike (one signature: dataplane, binding, capture, what ztunnel holds)
    // have the same routes: asked once.
    let mut asked = std::collections::HashSet::new();
    for &d in pods {
        let dp = mesh.pods[d].dataplane;
        if dp == Dataplane::None {
            routes.push(format!(
                "every client of {} (not in the mesh)",
                mesh.pod_key(d)
            ));
            continue;
        }
        if !asked.insert(ctx.ix.signature(d)) {
            continue;
        }
        let other = dp == Dataplane::Sidecar
            || !matches!(
                destination::verdict(ctx.ix, d, Peer::Known(probe.to_string())),
                Verdict::Deny(_)
            );
        if other {
            if mesh.pods[d].binding.waypoint != Some(w) {
                routes.push("ambient clients calling the pods by IP".into());
            }
            routes.push("sidecar clients".into());
            if !mesh.services[s].ingress_use_waypoint {
                routes.push("ingress gateways (istio.io/ingress-use-waypoint is not true)".into());
            }
        }
        let plaintext_denied = !mesh.pods[d].bypass_inbound
            && matches!(
                destination::verdict(ctx.ix, d, Peer::Plaintext),
                Verdict::Deny(_)
            );
        if dp == Dataplane::Ambient && !plaintext_denied {
            routes.push("plaintext clients outside the mesh".into());
        }
    }
    routes.sort();
    routes.dedup();
    routes
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
