//! Policies: each one the model says istiod sends against what ztunnel holds, and each one
//! ztunnel holds that the model does not expect.

use super::{push, Compared, Disagreement, Kind};
use crate::dataplane::expect::{ExpPolicy, Expected, CONVERTED_PA, STATIC_STRICT};
use crate::dataplane::{show, Policy};
use std::collections::HashMap;

fn policy_object(key: &str, e: Option<&ExpPolicy>) -> String {
    match e {
        Some(e) if e.origin.starts_with("AuthorizationPolicy/") => e.origin.clone(),
        _ => format!("ztunnel policy {key}"),
    }
}

pub(super) fn policies(
    exp: &Expected,
    held: &[&Policy],
    out: &mut Vec<Disagreement>,
    compared: &mut Compared,
) {
    let by_key: HashMap<String, &Policy> = held.iter().map(|p| (p.key(), *p)).collect();
    for (key, e) in &exp.policies {
        let object = policy_object(key, Some(e));
        compared.insert(object.clone(), "policies");
        let Some(p) = by_key.get(key) else {
            push(
                out,
                Kind::PolicyMissing,
                &object,
                format!(
                    "sent to ztunnel as {} {:?}{}",
                    e.action.as_str(),
                    e.scope,
                    dry(e.dry_run)
                ),
                "not held".into(),
                missing_cause(e),
            );
            continue;
        };
        if p.scope != e.scope || p.action != e.action {
            push(
                out,
                Kind::PolicyDiffers,
                &object,
                format!("{} {:?}", e.action.as_str(), e.scope),
                format!("{} {:?}", p.action.as_str(), p.scope),
                "the policy in the cluster differs from the input (selector or action; the manifests and the cluster have drifted), istiod has not pushed a change yet, or a revision or version other than the one assumed processes it".into(),
            );
        }
        if let Some(dr) = p.dry_run {
            if dr != e.dry_run {
                let rule = e
                    .version_rule
                    .as_deref()
                    .map(|r| format!(" (the model applied: {r})"))
                    .unwrap_or_default();
                push(
                    out,
                    Kind::PolicyDiffers,
                    &object,
                    format!("dryRun: {}", e.dry_run),
                    format!("dryRun: {dr}"),
                    format!("the istio.io/dry-run annotation, AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY or the versions running differ from the input's{rule}: state them with --istio-version, --ztunnel-version and --feature"),
                );
            }
        }
        let (m, h) = (show::canonical(&e.rules), show::canonical(&p.rules));
        if m != h || !p.unknown_fields.is_empty() {
            let unknown = if p.unknown_fields.is_empty() {
                String::new()
            } else {
                format!(
                    "; match fields this plugin does not know: {}",
                    p.unknown_fields.join(", ")
                )
            };
            let mut d = Disagreement::new(
                Kind::PolicyDiffers,
                &object,
                format!("rules {}", show::rules(&e.rules)),
                format!("rules {}{unknown}", show::rules(&p.rules)),
                if unknown.is_empty() {
                    "the policy in the cluster differs from the input (the manifests and the cluster have drifted), istiod has not pushed a change yet, or an istiod of another version converts it (state it with --istio-version); a model error if none of these".into()
                } else {
                    "a newer ztunnel holds match kinds the model does not know: upgrade the plugin"
                        .into()
                },
            );
            d.detail = show::difference(&e.rules, &p.rules);
            d.model_rules = Some(show::rules(&e.rules));
            d.dataplane_rules = Some(show::rules(&p.rules));
            out.push(d);
        }
    }
    for p in held {
        let key = p.key();
        if exp.policies.contains_key(&key) {
            continue;
        }
        if let Some(pa) = p.name.strip_prefix(CONVERTED_PA) {
            if exp
                .unplaced_port_level
                .contains(&format!("{}/{pa}", p.namespace))
            {
                continue;
            }
        }
        let object = match exp.not_sent.get(&key) {
            Some(_) => format!("AuthorizationPolicy/{key}"),
            None => format!("ztunnel policy {key}"),
        };
        let cause = if let Some(why) = exp.not_sent.get(&key) {
            format!("the model says istiod does not send it ({why}); the istiod running does: its version or flags differ from those assumed (--istio-version, --feature)")
        } else if p.name == STATIC_STRICT {
            "a PeerAuthentication exists in the cluster that the input lacks".into()
        } else if p.name.starts_with("istio_allow_waypoint_") {
            "istiod runs with PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true, which the input does not say (--feature PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true)".into()
        } else {
            "the cluster has a policy the input lacks: deleted from the manifests but not from the cluster, or not exported".into()
        };
        compared.insert(object.clone(), "policies");
        let model = match exp.not_sent.get(&key) {
            Some(why) => format!("in the input, but not sent to ztunnel ({why})"),
            None => "not in the input".into(),
        };
        push(
            out,
            Kind::PolicyUnexpected,
            &object,
            model,
            format!(
                "held as {} {:?}{}",
                p.action.as_str(),
                p.scope,
                dry(p.dry_run.unwrap_or(false))
            ),
            cause,
        );
    }
}

fn dry(d: bool) -> &'static str {
    if d {
        " (dry-run)"
    } else {
        ""
    }
}

fn missing_cause(e: &ExpPolicy) -> String {
    if let Some(r) = &e.version_rule {
        return format!("a dry-run policy: the model applied {r}; the istiod or ztunnel running differs (state them with --istio-version and --ztunnel-version), or AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY is set differently");
    }
    if e.name == STATIC_STRICT {
        return "istiod holds no PeerAuthentication: the input's PeerAuthentications are not in the cluster".into();
    }
    if e.name.starts_with(CONVERTED_PA) {
        return "istiod did not convert this PeerAuthentication: it is not in the cluster, or its portLevelMtls differs".into();
    }
    if e.name.starts_with("istio_allow_waypoint_") {
        return "PILOT_AUTO_ALLOW_WAYPOINT_POLICY is off in the running istiod, or the waypoint has no pods".into();
    }
    "istiod did not send it: the policy is not applied in the cluster, istiod rejected it (see its status condition ZtunnelAccepted), another istiod revision owns it (istio.io/rev), or istiod has not pushed yet".into()
}
