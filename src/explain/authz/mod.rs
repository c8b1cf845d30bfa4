//! AuthorizationPolicy: where each one is enforced, and its findings.

use super::entries::Entries;
use super::report::{PolicyReport, ZtunnelDetail};
use super::{relevant, short_name, Ctx};
use crate::enforce::attach::Chain;
use crate::enforce::attach::{envoy_attaches, sidecar_attaches, ztunnel_attaches, RefOutcome};
use crate::enforce::ztunnel::{Action, Conversion, Scope};
use crate::findings::Finding;
use crate::mesh::ServiceInfo;
use crate::mesh::{Dataplane, Role};
use crate::model::AuthorizationPolicy;
use crate::parallel::{self, Split};
use serde::Serialize;
use std::convert::Infallible;

fn enum_name<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub fn attachment_name(p: &AuthorizationPolicy, root: &str) -> &'static str {
    let a = &p.spec.attachment;
    super::attachment_label(
        !a.target_refs().is_empty(),
        a.selector.is_some(),
        &p.metadata.namespace,
        root,
    )
}

/// Facts gathered while placing one policy, turned into findings afterwards.
#[derive(Default)]
struct Facts {
    ztunnel_pods: Vec<std::sync::Arc<str>>,
    out_of_mesh: Vec<std::sync::Arc<str>>,
    waypoint_pods: Vec<std::sync::Arc<str>>,
    not_sent_pods: Vec<std::sync::Arc<str>>,
    unbound_refs: Vec<String>,
    status_traps: Vec<String>,
    /// Pods whose own ztunnel or sidecar enforces the policy: they match target ports.
    port_enforced: Vec<usize>,
}

/// Policies placed per piece of work, so that a namespace's policies mostly go to one
/// thread: two threads placing policies of one namespace contend on the reference counts
/// of the same shared pod names (`Arc<str>`). Placing the live bench's 5,000 policies (50
/// to a namespace of 500 pods) took 65 ms with 16, 49 ms with 64, on two cores (issue 16).
/// A mesh of 64 policies or fewer is placed on one thread: at the bench's 20 µs of CPU a
/// policy (49 ms on two cores for 5,000), about a millisecond.
const PER_PIECE: usize = 64;

pub fn reports(ctx: &mut Ctx) -> Vec<PolicyReport> {
    let (mut out, mut found) = (Vec::new(), Vec::new());
    {
        // Each policy is placed on its own, on every core (`parallel`).
        let ctx: &Ctx = ctx;
        // The Services a canary splits, found once: per policy it was a scan of every Service.
        let split = super::canary::split(ctx);
        let policies: Vec<usize> = (0..ctx.snap.authorization_policies.len()).collect();
        let build = |_: &mut (), piece: &[usize]| {
            (piece.iter())
                .map(|&i| report(ctx, &split, i))
                .collect::<Vec<_>>()
        };
        let take = |done: Vec<(Option<PolicyReport>, Vec<Finding>)>| {
            for (report, findings) in done {
                out.extend(report);
                found.extend(findings);
            }
            Ok::<(), Infallible>(())
        };
        let Ok(()) =
            parallel::in_order(&policies, Split::for_machine(PER_PIECE), || (), build, take);
    }
    ctx.findings.extend(found);
    out
}

/// The report of policy `i`, unless it does not belong in this one, and its findings.
fn report(
    ctx: &Ctx,
    split: &[(String, &ServiceInfo, Chain)],
    i: usize,
) -> (Option<PolicyReport>, Vec<Finding>) {
    let p = &ctx.snap.authorization_policies[i];
    let mut found = Vec::new();
    let conv = ctx.ix.conversions[i].clone();
    let (entries, facts) = place(ctx, i, p, &conv);
    let enforcement = entries.finish();
    if !relevant(ctx, &p.metadata.namespace, &enforcement) && !meant_for_scope(ctx, p) {
        return (None, found);
    }
    policy_findings(ctx, &mut found, p, &conv, &facts, &enforcement);
    found.extend(super::canary::partial_policy(ctx, split, i, p));
    if let Some(u) = &ctx.ix.admitted[i].unknown {
        found.push(versioned::unknown_fields(&ctx.mesh.rules, u, &conv, p));
    }
    let report = PolicyReport {
        kind: "AuthorizationPolicy".into(),
        namespace: p.metadata.namespace.clone(),
        name: p.metadata.name.clone(),
        action: Some(conv.action.as_str().into()),
        attachment: attachment_name(p, ctx.root()).into(),
        enforcement,
        istiod_status: crate::model::conditions_of(
            &p.status.conditions,
            &["ZtunnelAccepted", "WaypointAccepted"],
        ),
        ztunnel: Some(ZtunnelDetail {
            scope: match conv.scope {
                Scope::WorkloadSelector => "WORKLOAD_SELECTOR",
                Scope::Namespace => "NAMESPACE",
                Scope::Global => "GLOBAL",
            }
            .into(),
            sent: conv.not_sent.is_none(),
            not_sent_reason: conv.not_sent.as_ref().map(enum_name),
            http_attributes: conv.http_fields.iter().cloned().collect(),
            ignored_attributes: conv.ignored_fields.iter().cloned().collect(),
            rules: conv.total_rules,
            dead_rules: conv.dead_rules.iter().map(|r| r + 1).collect(),
        }),
    };
    (Some(report), found)
}

fn place(ctx: &Ctx, i: usize, p: &AuthorizationPolicy, conv: &Conversion) -> (Entries, Facts) {
    let (mesh, snap, root) = (ctx.mesh, ctx.snap, ctx.root());
    let mut e = Entries::default();
    let mut facts = Facts::default();
    // Refused by the cluster on the release that runs: nothing enforces it (AMB043).
    if ctx.ix.admitted[i].refused() {
        return (e, facts);
    }
    // Fields the release does not know are pruned before any enforcer sees the policy
    // (AMB043): it is enforced without them, at every enforcer.
    let pruned = ctx.ix.admitted[i].unknown.is_some();
    // Envoy-based enforcers honour dry-run themselves.
    let envoy_effect = if conv.dry_run {
        "dry-run"
    } else if pruned {
        "fields-ignored"
    } else {
        "as-written"
    };
    if !p.spec.attachment.target_refs().is_empty() {
        for res in &ctx.ix.ap_refs[i] {
            if res.status_accepted
                && res
                    .outcomes
                    .iter()
                    .all(|o| matches!(o, RefOutcome::NotEnforced { .. }))
            {
                facts.status_traps.push(res.target.clone());
            }
        }
        facts.unbound_refs = ctx.place_refs(&mut e, &ctx.ix.ap_refs[i], envoy_effect);
        return (e, facts);
    }
    let zt_effect = if conv.ztunnel_logs_only() {
        "dry-run".to_string()
    } else if pruned && conv.effect == crate::enforce::ztunnel::ZtEffect::AsWritten {
        "fields-ignored".to_string()
    } else {
        conv.effect.as_str().to_string()
    };
    let gateway_selector = snap
        .mesh
        .feature("ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY");
    let sel = p.spec.attachment.selector.as_ref();
    // A selector with labels attaches (for ztunnel and sidecars alike) only to pods that
    // carry them all: look only at those.
    let with_labels = match sel.and_then(|s| s.match_labels.as_ref()) {
        Some(m) if !m.is_empty() && conv.scope == Scope::WorkloadSelector => {
            Some(ctx.candidate_pods_with(&p.metadata.namespace, m))
        }
        _ => None,
    };
    let candidates = with_labels
        .as_deref()
        .unwrap_or_else(|| ctx.candidate_pods(&p.metadata.namespace));
    for &d in candidates {
        let pod = &snap.pods[d];
        let info = &mesh.pods[d];
        let by_zt = ztunnel_attaches(p, conv.scope, pod, root);
        let by_sidecar = sidecar_attaches(&p.metadata.namespace, sel, pod, root);
        if !by_zt && !by_sidecar {
            continue;
        }
        let key = mesh.pod_key(d);
        match info.role {
            Role::Waypoint(w) => {
                // ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES: the waypoint's HBONE
                // termination enforces the L4 parts of policies selecting its own pods.
                if by_sidecar && ctx.ix.layered_at(i, d) {
                    e.at_waypoint(ctx.waypoint_name(w), &zt_effect, [key]);
                } else if by_sidecar && sel.is_some() {
                    facts.waypoint_pods.push(key);
                }
                continue;
            }
            Role::Ingress(g) if gateway_selector && by_sidecar => {
                e.at_gateway(ctx.waypoint_name(g), envoy_effect, [key.clone()]);
            }
            _ => {}
        }
        match info.dataplane {
            Dataplane::Ambient if by_zt => {
                if conv.not_sent.is_some() {
                    facts.not_sent_pods.push(key);
                    continue;
                }
                facts.ztunnel_pods.push(key.clone());
                facts.port_enforced.push(d);
                e.add(
                    "ztunnel",
                    None,
                    "direct",
                    "client",
                    &zt_effect,
                    [key.clone()],
                );
                for &w in mesh.waypoints_in_front_of(d) {
                    e.add(
                        "ztunnel",
                        Some(ctx.waypoint_name(w)),
                        "waypoint",
                        "waypoint",
                        &zt_effect,
                        [key.clone()],
                    );
                }
            }
            Dataplane::Sidecar if by_sidecar && conv.action != Action::Invalid => {
                facts.port_enforced.push(d);
                e.add(
                    "sidecar",
                    None,
                    "direct",
                    "client",
                    envoy_effect,
                    [key.clone()],
                );
                for &w in mesh.waypoints_in_front_of(d) {
                    e.add(
                        "sidecar",
                        Some(ctx.waypoint_name(w)),
                        "waypoint",
                        "waypoint",
                        envoy_effect,
                        [key.clone()],
                    );
                }
            }
            Dataplane::None if (by_zt || by_sidecar) && info.role == Role::Workload => {
                facts.out_of_mesh.push(key)
            }
            _ => {}
        }
    }
    // An Istio gateway's Envoy enforces the policies that select it, and the root
    // namespace's, on the requests it receives (istio/istio#58838), whatever its dataplane.
    if conv.action != Action::Invalid {
        for &d in &ctx.istio_gateways {
            let pod = &snap.pods[d];
            if !sidecar_attaches(&p.metadata.namespace, sel, pod, root) {
                continue;
            }
            let key = mesh.pod_key(d);
            let name = key.split_once('/').map_or(&*key, |(_, n)| n);
            e.at_gateway(name, envoy_effect, [key.clone()]);
        }
    }
    // A Gateway API ingress declared without its pods: as `Role::Ingress` pods above.
    if gateway_selector && conv.action != Action::Invalid {
        for (g, labels) in &ctx.podless_ingresses {
            let gw_ns = &mesh.waypoints[*g].namespace;
            if envoy_attaches(&p.metadata.namespace, sel, gw_ns, labels, root) {
                ctx.at_ingress(&mut e, *g, envoy_effect);
            }
        }
    }
    (e, facts)
}

/// A root-namespace policy that targets GatewayClass `istio-waypoint` is meant for every
/// waypoint of the class: in scope wherever one is, enforced there or not (before 1.25 it
/// attaches to nothing, and the namespace's view must say so, so that `diff` across an
/// upgrade shows it changed, not added).
fn meant_for_scope(ctx: &Ctx, p: &AuthorizationPolicy) -> bool {
    p.metadata.namespace == ctx.root()
        && targets_waypoint_class(p)
        && ctx.mesh.waypoints.iter().any(|w| {
            w.is_waypoint
                && w.class == crate::model::labels::WAYPOINT_CLASS
                && ctx.scope.ns_in(&w.namespace)
        })
}

/// Whether a targetRef names GatewayClass `istio-waypoint` (every waypoint of the class).
fn targets_waypoint_class(p: &AuthorizationPolicy) -> bool {
    p.spec
        .attachment
        .target_refs()
        .iter()
        .any(|r| r.kind == "GatewayClass" && r.name == crate::model::labels::WAYPOINT_CLASS)
}

/// Up to four names, then how many more.
fn list(v: &[String]) -> String {
    first_few(v.iter().map(String::as_str), v.len())
}

/// `Kind/ns/name` keys by their names, as `list`: only those shown are shortened (a policy
/// of a namespace may be enforced at thousands of pods).
fn list_names<K: AsRef<str>>(keys: &[K]) -> String {
    first_few(keys.iter().map(|k| short_name(k.as_ref())), keys.len())
}

fn first_few<'a>(items: impl Iterator<Item = &'a str>, n: usize) -> String {
    const MAX: usize = 4;
    let mut s = items.take(MAX).collect::<Vec<_>>().join(", ");
    if n > MAX {
        s.push_str(&format!(" and {} more", n - MAX));
    }
    s
}

mod findings;
mod versioned;
use findings::policy_findings;
