//! The findings of one AuthorizationPolicy: where ztunnel drops or widens it (AMB001-AMB004),
//! what nothing enforces, status against behaviour, ports written as the Service's, and
//! principals of another trust domain.

use super::versioned::{
    dry_run_enforced, dry_run_not_sent, other_revision, trust_domains_dropped, unescaped_regex,
};
use super::{list_names, Facts};
use crate::enforce::ztunnel::{Action, Conversion, NotSent, Scope, ZtEffect, TRUST_DOMAIN_FIELDS};
use crate::explain::Ctx;
use crate::findings::{self as f, Finding, Severity};
use crate::model::{resource_key, AuthorizationPolicy};
use crate::versions::rules::DryRunAtZtunnel;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn policy_findings(
    ctx: &Ctx,
    found: &mut Vec<Finding>,
    p: &AuthorizationPolicy,
    conv: &Conversion,
    facts: &Facts,
    enforcement: &[crate::explain::report::Enforcement],
) {
    let res = resource_key(
        "AuthorizationPolicy",
        &p.metadata.namespace,
        &p.metadata.name,
    );
    let root = ctx.root().to_string();
    let ctx_snap_mesh = (ctx.snap, ctx.mesh);
    let rules = &ctx.mesh.rules;
    let mut add = |fd: Finding| found.push(fd);
    let http = conv
        .http_fields
        .iter()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let zt = &facts.ztunnel_pods;
    if !zt.is_empty() && !conv.ztunnel_logs_only() {
        let who = list_names(zt);
        match conv.effect {
            ZtEffect::DenyAll if !conv.http_fields.is_empty() => add(Finding::new(
                &f::L7_ALLOW_DENY_ALL,
                &res,
                format!("ztunnel denies all traffic to {who} because every rule of this ALLOW policy needs HTTP attributes ({http}); ztunnel enforces L4 only"),
            )),
            ZtEffect::DenyAll if conv.total_rules > 0 => add(Finding::new(
                &f::L7_ALLOW_DENY_ALL,
                &res,
                format!("ztunnel denies all traffic to {who}: no rule of this ALLOW policy can match at L4 (rules whose source entries hold only ignored attributes never match)"),
            )
            // No HTTP condition to remove: the attributes ztunnel drops are the cause.
            .with_resolution(format!(
                "Enforce the dropped attributes ({}) at a waypoint (targetRefs), or give each rule a condition ztunnel reads (principals, namespaces, ipBlocks, ports).",
                conv.ignored_fields.iter().cloned().collect::<Vec<_>>().join(", ")
            ))),
            ZtEffect::RulesDropped => add(Finding::new(
                &f::L7_ALLOW_RULES_DROPPED,
                &res,
                format!("ztunnel ignores rule(s) {} of this ALLOW policy for {who} because they {}; traffic those rules allow is denied unless another ALLOW matches",
                    conv.dead_rules.iter().map(|r| (r + 1).to_string()).collect::<Vec<_>>().join(", "),
                    if http.is_empty() {
                        "match nothing at L4 (their source entries hold only attributes ztunnel drops)".to_string()
                    } else {
                        format!("need HTTP attributes ({http}) or match nothing at L4")
                    }),
            )),
            ZtEffect::NoEffect => add(Finding::new(
                &f::L7_DENY_NO_EFFECT,
                &res,
                format!("this DENY policy never fires at ztunnel for {who}: after removing HTTP attributes ({http}) no rule can match, so the traffic it should deny is let through"),
            )),
            ZtEffect::L7Ignored => add(Finding::new(
                &f::L7_DENY_BROADER,
                &res,
                format!("ztunnel enforces this DENY policy for {who} without its HTTP attributes ({http}): it denies every connection that matches the remaining L4 conditions, not just the requests you described"),
            )),
            _ => {}
        }
        // From 1.31 trustDomains are part of the API and dropped for ztunnel alone (AMB041).
        let is_td = |f: &String| TRUST_DOMAIN_FIELDS.contains(&f.as_str());
        let dropped = conv
            .drops_trust_domains()
            .then(|| rules.trust_domains_dropped())
            .flatten();
        let ignored: Vec<String> = conv
            .ignored_fields
            .iter()
            .filter(|f| dropped.is_none() || !is_td(f))
            .cloned()
            .collect();
        if !ignored.is_empty() {
            add(Finding::new(
                &f::FIELD_IGNORED,
                &res,
                format!("ztunnel silently ignores {} for {who}; the policy is enforced as if those conditions were absent",
                    ignored.join(", ")),
            ));
        }
        if let Some(row) = dropped {
            add(trust_domains_dropped(rules, row, p, conv, &who, &res));
        }
    }
    if !conv.ztunnel_logs_only() {
        if let Some(fd) = service_port_finding(
            ctx_snap_mesh.0,
            ctx_snap_mesh.1,
            p,
            conv,
            &facts.port_enforced,
            &res,
        ) {
            add(fd);
        }
    }
    if !zt.is_empty() && !conv.ztunnel_logs_only() {
        if let Some(fd) =
            trust_domain_finding(ctx_snap_mesh.0.mesh.trust_domain(), p, conv, zt, &res)
        {
            add(fd);
        }
    }
    if let (Some((DryRunAtZtunnel::Enforced, row)), false) =
        (conv.dry_run_at_ztunnel, zt.is_empty())
    {
        add(dry_run_enforced(rules, row, &list_names(zt), &res));
    }
    // AMB006 (source conditions behind a waypoint) is decided per hop in `identity.rs`.
    if !facts.out_of_mesh.is_empty() {
        add(Finding::new(
            &f::OUT_OF_MESH,
            &res,
            format!(
                "{} {} not in the mesh: no ztunnel or sidecar enforces this policy for {}",
                list_names(&facts.out_of_mesh),
                if facts.out_of_mesh.len() == 1 {
                    "is"
                } else {
                    "are"
                },
                if facts.out_of_mesh.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
        ));
    }
    if !facts.waypoint_pods.is_empty() {
        add(Finding::new(
            &f::SELECTOR_ON_GATEWAY,
            &res,
            format!("the selector matches waypoint pod(s) {}; waypoints ignore selector policies, so nothing enforces it there", list_names(&facts.waypoint_pods)),
        ));
    }
    let revision_pods = if conv.not_sent.is_some() {
        &facts.not_sent_pods
    } else {
        &facts.ztunnel_pods
    };
    if let Some(fd) = other_revision(rules, conv, &list_names(revision_pods), &res) {
        add(fd);
    }
    match &conv.not_sent {
        Some(NotSent::UnsupportedAction(a)) if !facts.not_sent_pods.is_empty() => add(Finding::new(
            &f::NOT_SENT,
            &res,
            format!("ztunnel does not support the {a} action: istiod does not send this policy, so it is not enforced for {} (status ZtunnelAccepted=False)", list_names(&facts.not_sent_pods)),
        )),
        Some(NotSent::DryRun) => add(dry_run_not_sent(rules, conv, &res)),
        Some(NotSent::InvalidAction(a)) => add(Finding::new(
            &f::INVALID_POLICY,
            &res,
            format!("action {a:?} is not ALLOW, DENY, AUDIT or CUSTOM; no proxy enforces this policy"),
        )),
        _ => {}
    }
    let envoys: BTreeSet<&str> = enforcement
        .iter()
        .filter(|e| matches!(e.enforced_by.as_str(), "waypoint" | "sidecar" | "gateway"))
        .map(|e| e.enforced_by.as_str())
        .collect();
    if !envoys.is_empty() {
        if let Some(fd) = unescaped_regex(rules, p, &envoys, &res) {
            add(fd);
        }
    }
    let targeted = enforcement.iter().any(|e| e.enforced_by != "none");
    // A Gateway ref written in a Service's namespace for a waypoint kept elsewhere.
    let misplaced = p
        .spec
        .attachment
        .target_refs()
        .iter()
        .filter(|r| {
            r.kind == "Gateway" && (r.namespace.is_empty() || r.namespace == p.metadata.namespace)
        })
        .find_map(|r| {
            crate::enforce::attach::misplaced_gateway(
                ctx_snap_mesh.1,
                &p.metadata.namespace,
                &r.name,
            )
        })
        .map(|(w, _)| ctx_snap_mesh.1.waypoints[w].namespace.clone());
    if !facts.unbound_refs.is_empty() {
        let sev = if targeted {
            Severity::Warning
        } else {
            Severity::Error
        };
        add(Finding::new(
            &f::TARGET_NOT_BOUND,
            &res,
            format!(
                "{}: {}; ztunnel ignores targetRefs policies, so {}",
                if targeted {
                    "part of this policy is not enforced"
                } else {
                    "no proxy enforces this policy"
                },
                facts.unbound_refs.join("; "),
                if targeted {
                    "that target gets no enforcement"
                } else {
                    "this policy has no effect at all"
                }
            ),
        )
        .with_severity(sev)
        .with_resolution(match misplaced {
            Some(wns) => format!("Create the policy in namespace {wns}, the waypoint's (a Gateway targetRef only matches there), or keep it in {} and target the Services with kind Service.", p.metadata.namespace),
            // The release, not the binding, is what is missing (`targetRefs-gatewayclass`,
            // asked only for such a ref: asking records the row).
            None if super::targets_waypoint_class(p) && !ctx.mesh.rules.gateway_class_ref().0 => {
                "Upgrade istiod to 1.25 or later, or target each waypoint's Gateway (kind Gateway, in its namespace) instead of the GatewayClass.".to_string()
            }
            None => f::TARGET_NOT_BOUND.resolution.to_string(),
        }));
    }
    for t in &facts.status_traps {
        add(Finding::new(
            &f::STATUS_DISAGREES,
            &res,
            format!("istiod's WaypointAccepted status reports {t} as accepted, but no proxy applies the policy through it"),
        ));
    }
    status_findings(p, conv, targeted, &res, &mut add);
    // istiod's validation refuses an istio.io/dry-run value strconv.ParseBool rejects
    // (`checkDryRunAnnotation`, pkg/config/validation/validation.go), and where such a policy
    // is in the cluster anyway (webhook off) reads it as false (`isDryRun`,
    // pilot/pkg/security/authz/builder/builder.go; the ambient index likewise).
    if let Some(v) = p
        .metadata
        .annotation(crate::enforce::ztunnel::DRY_RUN)
        .filter(|v| crate::model::labels::parse_bool(v).is_none())
    {
        add(Finding::new(
            &f::INVALID_POLICY,
            &res,
            format!("annotation istio.io/dry-run: {v:?} is not a boolean: istiod's validation webhook refuses the policy (kubectl apply fails), and where it is in the cluster anyway istiod reads it as false: the policy is enforced, not dry-run"),
        )
        .with_resolution("Write istio.io/dry-run: \"true\" (a boolean: 1, t, T, TRUE, true, True), or remove the annotation."));
    }
    let a = &p.spec.attachment;
    if a.selector.is_some() && !a.target_refs().is_empty() {
        add(Finding::new(
            &f::INVALID_POLICY,
            &res,
            "both selector and targetRefs are set (rejected by validation); waypoints use only the targetRefs, ztunnel and sidecars ignore the whole policy",
        ));
    }
    if conv.scope == Scope::WorkloadSelector
        && a.selector
            .as_ref()
            .is_some_and(|s| s.match_labels.is_none())
        && a.target_refs().is_empty()
    {
        add(Finding::new(
            &f::EMPTY_SELECTOR,
            &res,
            "`selector: {}` has no matchLabels: ztunnel attaches this policy to no workload, while sidecars treat it as namespace-wide",
        ));
    }
    if p.metadata.namespace == root && a.target_refs().is_empty() {
        add(Finding::new(
            &f::MESH_WIDE,
            &res,
            format!(
                "this policy lives in the root namespace {}: it applies to {} in every namespace",
                p.metadata.namespace,
                if a.selector.is_some() {
                    "matching workloads"
                } else {
                    "all workloads"
                }
            ),
        ));
    }
    if conv.action == Action::Allow
        && p.spec
            .rules
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .any(|r| r.from.is_empty() && r.to.is_empty() && r.when.is_empty())
    {
        add(Finding::new(
            &f::BROAD_ALLOW,
            &res,
            "a rule with no from, to or when matches every connection: this ALLOW policy allows all traffic to what it selects, from anyone",
        ));
    }
    let nothing = !targeted
        && facts.out_of_mesh.is_empty()
        && facts.waypoint_pods.is_empty()
        && facts.not_sent_pods.is_empty()
        && conv.not_sent.is_none()
        && a.target_refs().is_empty();
    if nothing {
        // A selector on a waypoint's pods (the layered-authorization shape) where the input
        // holds the waypoint's Gateway but not the pods istiod deploys for it.
        let waypoint = (a.selector.as_ref())
            .and_then(|s| s.match_labels.as_ref())
            .and_then(|m| m.get(crate::model::labels::GATEWAY_NAME))
            .filter(|name| {
                ctx.mesh.waypoints.iter().any(|w| {
                    w.is_waypoint && w.name == *name && w.namespace == p.metadata.namespace
                })
            });
        let ns = &p.metadata.namespace;
        match waypoint {
            // Without the layered flag, waypoints ignore selector policies, pods or not.
            Some(name) if !ctx.mesh.rules.layered_waypoint_policies() => add(Finding::new(
                &f::SELECTOR_ON_GATEWAY,
                &res,
                format!("the selector matches the pods of waypoint {ns}/{name} (istiod deploys them; the input holds its Gateway only); waypoints ignore selector policies, so nothing enforces it there"),
            )),
            Some(name) => add(Finding::new(
                &f::SELECTS_NOTHING,
                &res,
                format!("no pod in scope matches this policy: it selects the pods of waypoint {ns}/{name}, which the input does not hold (istiod deploys them from the Gateway); add its Deployment (kubectl get deployment {name} -n {ns} -o yaml) or read the cluster to see where it applies"),
            )),
            None => add(Finding::new(
                &f::SELECTS_NOTHING,
                &res,
                "no pod in scope matches this policy",
            )),
        }
    }
}

/// Conditions istiod wrote on the object (when the input has them) versus the model.
fn status_findings(
    p: &AuthorizationPolicy,
    conv: &Conversion,
    targeted: bool,
    res: &str,
    add: &mut impl FnMut(Finding),
) {
    use crate::model::find_condition;
    let conds = &p.status.conditions;
    if let Some(c) = find_condition(conds, "ZtunnelAccepted") {
        let model = conv.not_sent.is_none();
        if (c.status == "True") != model {
            add(Finding::new(
                &f::STATUS_DISAGREES,
                res,
                format!(
                    "status ZtunnelAccepted={} ({}) but the model says ztunnel {} this policy",
                    c.status,
                    c.reason,
                    if model {
                        "receives"
                    } else {
                        "does not receive"
                    }
                ),
            ));
        }
    }
    if let Some(c) = find_condition(conds, "WaypointAccepted") {
        let model = targeted && !p.spec.attachment.target_refs().is_empty();
        if (c.status == "True") != model {
            add(Finding::new(
                &f::STATUS_DISAGREES,
                res,
                format!(
                    "status WaypointAccepted={} ({}) but the model says {}",
                    c.status,
                    c.reason,
                    if model {
                        "a waypoint enforces it"
                    } else {
                        "no waypoint enforces it"
                    }
                ),
            ));
        }
    }
}

/// A Service port's target, when it is a number: absent means the port itself; a name is
/// resolved against container ports, which the model does not read (`None`).
fn numeric_target(p: &crate::model::ServicePort) -> Option<u32> {
    match &p.target_port {
        None => Some(p.port),
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    }
}

/// AMB031: `to.operation.ports` / `notPorts` naming a Service port that is not a target port
/// of the pods' Services. ztunnel matches the port carried in the HBONE target, the pod's
/// (target) port (SEMANTICS.md 5.3, `ZT/proxy/inbound.rs#build_inbound_request`); istio/api
/// #3075 documents the same for sidecars. Waypoints are left alone: there the Service port is
/// probably what matches (SEMANTICS.md 12, not confirmed).
fn service_port_finding(
    snap: &crate::snapshot::Snapshot,
    mesh: &crate::mesh::Mesh,
    p: &AuthorizationPolicy,
    conv: &Conversion,
    pods: &[usize],
    res: &str,
) -> Option<Finding> {
    let rules = p.spec.rules.as_deref().unwrap_or(&[]);
    let written = |f: fn(&crate::model::Operation) -> &Vec<String>| -> Vec<u32> {
        rules
            .iter()
            .flat_map(|r| &r.to)
            .flat_map(|t| f(&t.operation))
            .filter_map(|s| s.parse().ok())
            .collect()
    };
    let (ports, not_ports) = (written(|o| &o.ports), written(|o| &o.not_ports));
    if pods.is_empty() || (ports.is_empty() && not_ports.is_empty()) {
        return None;
    }
    // The Services of the enforcing pods, in input order, found from the pods' side (a scan
    // of every Service per policy would grow as their product): (service name, port,
    // numeric target).
    let mut services: Vec<usize> = pods
        .iter()
        .flat_map(|&d| &mesh.pods[d].services)
        .copied()
        .collect();
    services.sort_unstable();
    services.dedup();
    let mut svc_ports: Vec<(&str, u32, Option<u32>)> = Vec::new();
    for svc in services.into_iter().map(|s| &snap.services[s]) {
        for sp in &svc.spec.ports {
            svc_ports.push((&svc.metadata.name, sp.port, numeric_target(sp)));
        }
    }
    // A named target port could be any number: say nothing then.
    if svc_ports.iter().any(|(_, _, t)| t.is_none()) {
        return None;
    }
    let targets: BTreeSet<u32> = svc_ports.iter().filter_map(|x| x.2).collect();
    // Service port -> (Service name, targetPort).
    let mut wrong: BTreeMap<u32, BTreeSet<(&str, u32)>> = BTreeMap::new();
    for &port in ports.iter().chain(&not_ports) {
        if targets.contains(&port) {
            continue;
        }
        for (name, sp, t) in &svc_ports {
            if *sp == port {
                wrong
                    .entry(port)
                    .or_default()
                    .insert((name, t.unwrap_or(port)));
            }
        }
    }
    if wrong.is_empty() {
        return None;
    }
    // Error when some `to` entry's ports are all wrong: that entry can never match (ALLOW:
    // its rule admits nothing; DENY: it never fires); a warning when right ones remain.
    let dead_entry = rules.iter().flat_map(|r| &r.to).any(|t| {
        let v: Vec<u32> = t
            .operation
            .ports
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        !v.is_empty() && v.iter().all(|x| wrong.contains_key(x))
    });
    let listed = wrong
        .iter()
        .map(|(p, t)| {
            let of = t
                .iter()
                .map(|(name, t)| format!("Service {name} port {p} -> targetPort {t}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{p} ({of})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let instead: BTreeSet<u32> = wrong.values().flatten().map(|x| x.1).collect();
    let instead = instead
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let field = match (
        ports.iter().any(|x| wrong.contains_key(x)),
        not_ports.iter().any(|x| wrong.contains_key(x)),
    ) {
        (true, true) => "to.operation.ports and notPorts name",
        (true, false) => "to.operation.ports names",
        _ => "to.operation.notPorts names",
    };
    let outcome = match (conv.action, not_ports.iter().any(|x| wrong.contains_key(x))) {
        (_, true) if !ports.iter().any(|x| wrong.contains_key(x)) => {
            "the exclusion never applies, so the policy also covers the traffic it meant to leave out"
        }
        (Action::Deny, _) => "the rule never matches on it, so this DENY does not fire for that traffic",
        _ => "the rule never matches on it, so this ALLOW does not admit that traffic (denied unless another ALLOW admits it)",
    };
    let fd = Finding::new(
        &f::SERVICE_PORT_IN_POLICY,
        res,
        format!("{field} {listed}, a Service port, but ztunnel and sidecars match the pod's target port: {outcome}; write {instead}"),
    );
    Some(if dead_entry {
        fd
    } else {
        fd.with_severity(Severity::Warning)
    })
}

/// AMB032: principals in the `cluster.local` trust domain when the mesh has another one.
/// Waypoints and sidecars read `cluster.local` as the mesh's own (istiod's
/// `MigrateTrustDomain`, see `enforce::evaluate::envoy`); ztunnel compares the string as
/// written and never expands trust-domain aliases (SEMANTICS.md 4.4), so such a principal
/// never matches there.
fn trust_domain_finding(
    td: &str,
    p: &AuthorizationPolicy,
    conv: &Conversion,
    at: &[std::sync::Arc<str>],
    res: &str,
) -> Option<Finding> {
    const LOCAL: &str = "cluster.local/";
    if td == "cluster.local" || !matches!(conv.action, Action::Allow | Action::Deny) {
        return None;
    }
    let rules = p.spec.rules.as_deref().unwrap_or(&[]);
    let mut positive = BTreeSet::new();
    let mut negative = BTreeSet::new();
    for r in rules {
        for s in r.from.iter().map(|f| &f.source) {
            positive.extend(s.principals.iter().filter(|x| x.starts_with(LOCAL)));
            negative.extend(s.not_principals.iter().filter(|x| x.starts_with(LOCAL)));
        }
        for w in r.when.iter().filter(|w| w.key == "source.principal") {
            positive.extend(w.values.iter().filter(|x| x.starts_with(LOCAL)));
            negative.extend(w.not_values.iter().filter(|x| x.starts_with(LOCAL)));
        }
    }
    if positive.is_empty() && negative.is_empty() {
        return None;
    }
    let quote = |v: &BTreeSet<&String>| {
        v.iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let deny = conv.action == Action::Deny;
    let mut effects = Vec::new();
    if !positive.is_empty() {
        effects.push(format!(
            "{} never {}, so {}",
            quote(&positive),
            if positive.len() == 1 {
                "matches"
            } else {
                "match"
            },
            if deny {
                "this DENY never fires for those clients"
            } else {
                "those clients are denied unless another ALLOW admits them"
            }
        ));
    }
    if !negative.is_empty() {
        effects.push(format!(
            "the exclusion of {} never applies, so this {} covers those clients too",
            quote(&negative),
            if deny { "DENY" } else { "ALLOW" }
        ));
    }
    let example = positive
        .iter()
        .chain(&negative)
        .next()
        .map(|x| x.trim_start_matches(LOCAL))
        .unwrap_or_default();
    let fd = Finding::new(
        &f::FOREIGN_TRUST_DOMAIN,
        res,
        format!(
            "at the ztunnel of {}, {} (the mesh's trust domain is {td}; waypoints and sidecars read cluster.local as the mesh's own, ztunnel compares principals as written); write \"{td}/{example}\" or \"*/{example}\"",
            list_names(at),
            effects.join("; ")
        ),
    );
    Some(if deny {
        fd
    } else {
        fd.with_severity(Severity::Warning)
    })
}
