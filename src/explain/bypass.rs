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
use std::collections::HashMap;

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
    // (policy, waypoint) -> bypass route -> the Services it concerns, in input order.
    type Routes = Vec<(String, Vec<String>)>;
    let mut by_policy: Vec<((String, usize), Routes)> = Vec::new();
    let mut services_of: HashMap<(String, usize), Vec<String>> = HashMap::new();
    for &s in &ctx.services {
        let Some(w) = mesh.services[s].binding.waypoint else {
            continue;
        };
        let policies = names
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
            .filter(|p| ctx.pods.binary_search(p).is_ok())
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
            let other = dp == Dataplane::Sidecar
                || !matches!(
                    destination::verdict(ctx.ix, d, Peer::Known(probe.clone())),
                    Verdict::Deny(_)
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
