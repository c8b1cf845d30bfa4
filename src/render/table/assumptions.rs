//! ASSUMPTIONS: the settings the analysis took (root namespace, trust domain, Istio version,
//! feature flags) and where each came from, what was not modelled, and what could not be read.

use super::Page;
use crate::render::layout;
use std::fmt::Write;

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { e, o, p, width, .. } = *page;
    let _ = writeln!(out, "{}", p.heading("ASSUMPTIONS"));
    let rows = e
        .assumptions
        .iter()
        .filter(|a| {
            o.wide
                || !a
                    .setting
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
                || a.source != "Istio default"
        })
        .map(|a| vec![a.setting.clone(), a.value.clone(), p.dim(&a.source)])
        .collect();
    out.push_str(&layout::table(&["SETTING", "VALUE", "SOURCE"], rows, width));
    if !o.wide {
        // Flags (upper-case settings) not at their default are listed above.
        let some_set = e.assumptions.iter().any(|a| {
            a.setting
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
                && a.source != "Istio default"
        });
        let _ = writeln!(
            out,
            "{}",
            p.dim(if some_set {
                "other istiod feature flags at Istio defaults (-o wide lists them)"
            } else {
                "istiod feature flags at Istio defaults (-o wide lists them)"
            })
        );
    }
    version_rules(out, page);
    // Kinds every application manifest carries that cannot change where or how a policy is
    // enforced (identities come from the pods' serviceAccountName, not from ServiceAccount
    // objects): listed with -o wide and in JSON, not on every default run.
    const NO_BEARING: &[&str] = &[
        "ServiceAccount",
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "PodDisruptionBudget.policy",
        "HorizontalPodAutoscaler.autoscaling",
        "Role.rbac.authorization.k8s.io",
        "RoleBinding.rbac.authorization.k8s.io",
        "ClusterRole.rbac.authorization.k8s.io",
        "ClusterRoleBinding.rbac.authorization.k8s.io",
    ];
    let skipped: Vec<String> = e
        .skipped
        .iter()
        .filter(|(k, _)| o.wide || !NO_BEARING.contains(&k.as_str()))
        .map(|(k, n)| format!("{k} ({n})"))
        .collect();
    if !skipped.is_empty() {
        let s = skipped.join(", ");
        let _ = writeln!(out, "{}", p.dim(&format!("not modelled: {s}")));
    }
    for i in &e.incomplete {
        let _ = writeln!(
            out,
            "{}",
            p.warn(&format!(
                "could not read {} in {}: {}",
                i.kind,
                i.namespace.as_deref().unwrap_or("all namespaces"),
                i.reason
            ))
        );
    }
    let _ = writeln!(out);
}

/// The version-dependent rules that decided something: named by default, with their
/// behaviour and source under -o wide.
fn version_rules(out: &mut String, page: &Page) {
    let Page { e, o, p, width, .. } = *page;
    if e.version_rules.is_empty() {
        return;
    }
    if o.wide {
        let rows = e
            .version_rules
            .iter()
            .map(|r| {
                vec![
                    r.rule.to_string(),
                    r.range.to_string(),
                    r.applied.to_string(),
                    p.dim(r.source),
                ]
            })
            .collect();
        out.push_str(&layout::table(
            &["VERSION RULE", "RANGE", "APPLIED", "SOURCE"],
            rows,
            width,
        ));
    } else {
        let named = e
            .version_rules
            .iter()
            .map(|r| format!("{} ({})", r.rule, r.range))
            .collect::<Vec<_>>()
            .join("; ");
        let line = format!("version rules applied: {named} (-o wide shows what each decided)");
        let _ = writeln!(out, "{}", p.dim(&line));
    }
}
