//! The ambient traps of Kubernetes NetworkPolicy (AMB050-AMB054), each with the exact
//! port, peer or ipBlock to add: mesh traffic arrives on 15008 (HBONE), through a waypoint
//! from the waypoint's pod, kubelet's probes from 169.254.7.127, and the mesh's own pods
//! must keep their connections (istio.io "Ambient and Kubernetes NetworkPolicy").

use super::Ctx;
use crate::enforce::netpol::{Direction, Endpoint, Gate, NetworkPolicies, Wire, HBONE_PORT};
use crate::findings::{self as f, Finding};
use crate::mesh::{Dataplane, Role};
use crate::model::labels::GATEWAY_NAME;
use crate::model::{resource_key, NetworkPolicy};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// Where istio-cni makes kubelet's probes come from, so that ztunnel lets them through.
const PROBE_SOURCE: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 7, 127));
/// istiod's xDS port, which ztunnel must reach.
const ISTIOD_XDS_PORT: u16 = 15012;

/// (code, policy, rule, what, fix): one finding, whatever pods it hits.
type HitKey = (&'static str, usize, Option<usize>, String, String);

/// One trap on one policy rule, and the pods (or waypoints) it hits.
struct Hit {
    code: &'static f::Code,
    policy: usize,
    /// 0-based rule in the direction's list; `None`: the policy as a whole.
    rule: Option<usize>,
    what: String,
    fix: String,
}

pub(super) fn findings(ctx: &Ctx) -> Vec<Finding> {
    let np = ctx.ix.network_policies();
    if !np.any() {
        return Vec::new();
    }
    let mesh = ctx.mesh;
    // (code, policy, rule, what, fix) -> the pods it hits, so that replicas fold.
    let mut hits: BTreeMap<HitKey, (&f::Code, Vec<String>)> = BTreeMap::new();
    let mut add = |h: Hit, who: String| {
        hits.entry((h.code.code, h.policy, h.rule, h.what, h.fix))
            .or_insert((h.code, vec![]))
            .1
            .push(who);
    };
    for &d in &ctx.pods {
        let info = &mesh.pods[d];
        let who = mesh.pod_key(d).to_string();
        match info.role {
            Role::Waypoint(w) => {
                for h in infrastructure(np, Endpoint::Pod(d), w, ctx) {
                    add(h, who.clone());
                }
                continue;
            }
            Role::Workload if info.dataplane == Dataplane::Ambient => {}
            _ => {
                if is_ztunnel(ctx, d) {
                    add_all(&mut add, ztunnel_egress(np, d), &who);
                }
                continue;
            }
        }
        add_all(&mut add, ingress_without_hbone(np, d), &who);
        for &w in mesh.waypoints_in_front_of(d) {
            add_all(&mut add, waypoint_not_admitted(ctx, np, d, w), &who);
        }
        add_all(&mut add, egress_without_hbone(np, d), &who);
        if ctx.snap.pods[d].spec.network_probes {
            add_all(&mut add, probes_blocked(np, d), &who);
        }
    }
    // Declared waypoints (no pods in the input) in scope: seen by their pods' label.
    for (w, wp) in mesh.waypoints.iter().enumerate() {
        if wp.is_waypoint && mesh.waypoint_pod(w).is_none() && ctx.scope.ns_in(&wp.namespace) {
            for h in infrastructure(np, Endpoint::Waypoint(w), w, ctx) {
                add(h, format!("waypoint {}", wp.key()));
            }
        }
    }
    hits.into_iter()
        .map(|((_, policy, _, what, fix), (code, mut pods))| {
            pods.sort();
            pods.dedup();
            let p = np.policy(policy);
            let res = resource_key("NetworkPolicy", &p.metadata.namespace, &p.metadata.name);
            Finding::new(code, res, format!("{}: {what}", names(&pods))).with_resolution(fix)
        })
        .collect()
}

fn add_all(add: &mut impl FnMut(Hit, String), hits: Option<Hit>, who: &str) {
    if let Some(h) = hits {
        add(h, who.to_string());
    }
}

/// Up to three short names, then how many more.
fn names(keys: &[String]) -> String {
    // Pods by their names; a waypoint without pods as `waypoint ns/name`.
    let short: Vec<&str> = keys
        .iter()
        .map(|k| {
            if k.starts_with("waypoint ") {
                k.as_str()
            } else {
                k.rsplit('/').next().unwrap_or(k)
            }
        })
        .collect();
    match short.len() {
        0..=3 => short.join(", "),
        n => format!("{} and {} more", short[..3].join(", "), n - 3),
    }
}

fn key(p: &NetworkPolicy) -> String {
    format!("{}/{}", p.metadata.namespace, p.metadata.name)
}

fn keys(np: &NetworkPolicies, policies: &[usize]) -> String {
    policies
        .iter()
        .map(|&p| key(np.policy(p)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first rule of the policies isolating `e` in `dir` that admits some port but not
/// 15008: the rule the user wrote for the clients, which the fix extends.
fn rule_for_other_ports(
    np: &NetworkPolicies,
    dir: Direction,
    policies: &[usize],
) -> Option<(usize, usize)> {
    policies.iter().find_map(|&i| {
        let spec = &np.policy(i).spec;
        let rules = match dir {
            Direction::Ingress => &spec.ingress,
            Direction::Egress => &spec.egress,
        };
        rules
            .iter()
            .position(|r| {
                !r.ports.is_empty()
                    && r.ports.iter().any(|p| {
                        let dns = matches!(&p.port, Some(serde_json::Value::Number(n)) if n.as_u64() == Some(53));
                        !dns && p.protocol.as_deref().unwrap_or("TCP").eq_ignore_ascii_case("TCP")
                    })
            })
            .map(|r| (i, r))
    })
}

/// AMB050: an ambient pod isolated for ingress whose rules admit its application ports but
/// never 15008, where every mesh client arrives.
fn ingress_without_hbone(np: &NetworkPolicies, d: usize) -> Option<Hit> {
    let Gate::Denied { policies } = np.for_any(d, Direction::Ingress, Some(HBONE_PORT)) else {
        return None;
    };
    let (i, r) = rule_for_other_ports(np, Direction::Ingress, &policies)?;
    Some(Hit {
        code: &f::NETPOL_NO_HBONE_INGRESS,
        policy: i,
        rule: Some(r),
        what: format!(
            "in the ambient mesh, clients reach it on port 15008 (HBONE), which no ingress rule of {} admits; ingress rule {} of {} admits application ports, which only clients outside the mesh use",
            keys(np, &policies), r + 1, key(np.policy(i))
        ),
        fix: format!(
            "Add `- port: 15008` (protocol TCP) to the ports of ingress rule {} of this NetworkPolicy.",
            r + 1
        ),
    })
}

/// AMB051: behind a waypoint the destination sees the waypoint's pod; a rule that admits
/// 15008 from the clients only drops it.
fn waypoint_not_admitted(ctx: &Ctx, np: &NetworkPolicies, d: usize, w: usize) -> Option<Hit> {
    let mesh = ctx.mesh;
    let v = np.evaluate(&Wire {
        from: np.waypoint_end(w),
        to: Endpoint::Pod(d),
        port: HBONE_PORT,
    });
    let Gate::Denied { .. } = v.ingress else {
        return None;
    };
    // Some rule admits 15008 from someone: the clients, not the waypoint.
    let Gate::Unknown { policy, rule, .. } = np.for_any(d, Direction::Ingress, Some(HBONE_PORT))
    else {
        return None;
    };
    let wp = &mesh.waypoints[w];
    let pod_ns = &ctx.snap.pods[d].metadata.namespace;
    let peer = if &wp.namespace == pod_ns {
        format!(
            "{{podSelector: {{matchLabels: {{{GATEWAY_NAME}: {}}}}}}}",
            wp.name
        )
    } else {
        format!(
            "{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {}}}}}, podSelector: {{matchLabels: {{{GATEWAY_NAME}: {}}}}}}}",
            wp.namespace, wp.name
        )
    };
    Some(Hit {
        code: &f::NETPOL_WAYPOINT_NOT_ADMITTED,
        policy,
        rule: Some(rule),
        what: format!(
            "traffic through waypoint {} arrives from the waypoint's pods, not from the clients; ingress rule {} of {} admits port 15008 from the clients only",
            wp.key(), rule + 1, key(np.policy(policy))
        ),
        fix: format!(
            "Add `- {peer}` to the from of ingress rule {} of this NetworkPolicy.",
            rule + 1
        ),
    })
}

/// AMB052: an ambient client isolated for egress whose rules admit application ports but not
/// 15008, on which it reaches captured pods and waypoints.
fn egress_without_hbone(np: &NetworkPolicies, c: usize) -> Option<Hit> {
    let Gate::Denied { policies } = np.for_any(c, Direction::Egress, Some(HBONE_PORT)) else {
        return None;
    };
    let (i, r) = rule_for_other_ports(np, Direction::Egress, &policies)?;
    Some(Hit {
        code: &f::NETPOL_NO_HBONE_EGRESS,
        policy: i,
        rule: Some(r),
        what: format!(
            "connections to captured pods and waypoints leave on port 15008 (HBONE), which no egress rule of {} admits; egress rule {} of {} admits application ports only",
            keys(np, &policies),
            r + 1,
            key(np.policy(i))
        ),
        fix: format!(
            "Add `- port: 15008` (protocol TCP) to the ports of egress rule {} of this NetworkPolicy.",
            r + 1
        ),
    })
}

/// AMB053: kubelet's probes of an ambient pod come from 169.254.7.127; an ingress policy that
/// does not admit it fails them.
fn probes_blocked(np: &NetworkPolicies, d: usize) -> Option<Hit> {
    let Gate::Denied { policies } = np.ingress_from_address(d, PROBE_SOURCE) else {
        return None;
    };
    let i = *policies.first()?;
    Some(Hit {
        code: &f::NETPOL_PROBES_BLOCKED,
        policy: i,
        rule: None,
        what: format!(
            "kubelet's HTTP, TCP or gRPC probes come from 169.254.7.127 under ambient (istio-cni rewrites them), which no ingress rule of {} admits: the probes fail",
            keys(np, &policies)
        ),
        fix: "Add an ingress rule `- from: [{ipBlock: {cidr: 169.254.7.127/32}}]` to this NetworkPolicy.".into(),
    })
}

/// AMB054 for a waypoint's pods: isolated for ingress without 15008, every request through
/// the waypoint fails.
fn infrastructure(np: &NetworkPolicies, e: Endpoint, w: usize, ctx: &Ctx) -> Vec<Hit> {
    let Gate::Denied { policies } = np.for_any_end(e, Direction::Ingress, Some(HBONE_PORT)) else {
        return vec![];
    };
    let wp = &ctx.mesh.waypoints[w];
    let i = policies[0];
    vec![Hit {
        code: &f::NETPOL_MESH_CUT,
        policy: i,
        rule: None,
        what: format!(
            "no ingress rule of {} admits port 15008 (HBONE) into the pods of waypoint {}: every request through it fails",
            keys(np, &policies),
            wp.key()
        ),
        fix: format!(
            "Admit port 15008 into the waypoint's pods: add to this NetworkPolicy an ingress rule with `ports: [{{port: 15008}}]` for podSelector {{matchLabels: {{{GATEWAY_NAME}: {}}}}}, or exclude them from its podSelector.",
            wp.name
        ),
    }]
}

fn is_ztunnel(ctx: &Ctx, d: usize) -> bool {
    let p = &ctx.snap.pods[d];
    p.metadata.label("app") == Some("ztunnel")
}

/// AMB054 for ztunnel: isolated for egress without istiod's port 15012, it loses its
/// configuration and certificates.
fn ztunnel_egress(np: &NetworkPolicies, z: usize) -> Option<Hit> {
    let Gate::Denied { policies } = np.for_any(z, Direction::Egress, Some(ISTIOD_XDS_PORT)) else {
        return None;
    };
    let i = policies[0];
    Some(Hit {
        code: &f::NETPOL_MESH_CUT,
        policy: i,
        rule: None,
        what: format!(
            "no egress rule of {} admits port 15012 to istiod, where ztunnel gets its configuration and certificates: the mesh is cut off on this node",
            keys(np, &policies)
        ),
        fix: "Add to this NetworkPolicy an egress rule with `ports: [{port: 15012}]` to istiod (podSelector {matchLabels: {app: istiod}}).".into(),
    })
}
