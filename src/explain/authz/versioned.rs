//! Findings that exist because of the Istio version running (docs/versions.md): what the
//! rule table says ztunnel or the Envoy-based proxies do with one AuthorizationPolicy.

use super::list;
use crate::enforce::admitted::Unknown;
use crate::enforce::evaluate::envoy;
use crate::enforce::ztunnel::{Action, Conversion};
use crate::findings::{self as f, Finding};
use crate::model::AuthorizationPolicy;
use crate::versions::{Row, Rules};
use std::collections::BTreeSet;

/// AMB014 for a dry-run policy, in the words of the version rule that keeps it from ztunnel.
pub(super) fn dry_run_not_sent(rules: &Rules, conv: &Conversion, res: &str) -> Finding {
    match conv.dry_run_at_ztunnel {
        Some((_, row @ Row::DryRunNotSent)) => Finding::new(
            &f::NOT_SENT,
            res,
            format!("dry-run policy: {}, istiod does not send dry-run policies to ztunnel (no ZtunnelAccepted status), so ambient workloads neither enforce nor log it", rules.versions_phrase(row)),
        )
        .with_resolution("Attach the policy to a waypoint with targetRefs, where dry-run is logged; ztunnel logs dry-run policies from Istio 1.29 with AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY on."),
        _ => Finding::new(
            &f::NOT_SENT,
            res,
            "dry-run policy: with AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY off (the default) istiod does not send it to ztunnel at all (status ZtunnelAccepted=False), so ambient workloads neither enforce nor log it",
        ),
    }
}

/// AMB040: the versions running make ztunnel enforce a policy its author marked dry-run.
pub(super) fn dry_run_enforced(rules: &Rules, row: Row, who: &str, res: &str) -> Finding {
    let fd = Finding::new(
        &f::DRY_RUN_ENFORCED,
        res,
        format!(
            "{}, ztunnel enforces this dry-run policy for {who} as if it were live: {}",
            rules.versions_phrase(row),
            row.info().applied
        ),
    );
    if row == Row::DryRunSkew {
        fd.with_resolution("Finish the upgrade of ztunnel to 1.29+ before relying on dry-run, or turn AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY off until it is done (dry-run policies are then not sent).")
    } else {
        fd
    }
}

/// AMB041: what dropping trustDomains really does at ztunnel, rule by rule (SEMANTICS.md 13):
/// a source entry left empty matches no client; one with other fields keeps them, for every
/// trust domain.
pub(super) fn trust_domains_dropped(
    rules: &Rules,
    row: Row,
    p: &AuthorizationPolicy,
    conv: &Conversion,
    who: &str,
    res: &str,
) -> Finding {
    let mut parts = Vec::new();
    for (i, rule) in p.spec.rules.as_deref().unwrap_or(&[]).iter().enumerate() {
        for from in &rule.from {
            let fields = from.source.populated();
            if !fields.iter().any(|f| f.ends_with("rustDomains")) {
                continue;
            }
            let kept: Vec<&str> = fields
                .into_iter()
                .filter(|f| !f.ends_with("rustDomains"))
                .collect();
            parts.push(if kept.is_empty() {
                format!(
                    "rule {} matches no client there (its source holds only trust domains)",
                    i + 1
                )
            } else {
                format!(
                    "rule {} keeps {} only, from every trust domain (broader than written)",
                    i + 1,
                    kept.join(" and ")
                )
            });
        }
    }
    let effect = match conv.action {
        Action::Deny => "in a DENY, a rule that matches no client never denies, and a broader one denies clients of every trust domain",
        _ => "in an ALLOW, a rule that matches no client admits no one, and a broader one admits clients of every trust domain",
    };
    Finding::new(
        &f::TRUST_DOMAINS_DROPPED,
        res,
        format!(
            "{}, ztunnel drops trustDomains from this policy for {who} with no status warning: {}; {effect}",
            rules.versions_phrase(row),
            parts.join("; ")
        ),
    )
}

/// AMB042: values the Envoy-based proxies match through a regex istiod leaves unescaped on
/// the release that runs (CVE-2026-39350, `Rules::envoy_unescaped`): `serviceAccounts`,
/// `namespaces` and suffix forms of `principals`, in `from` and in `when`.
pub(super) fn unescaped_regex(
    rules: &Rules,
    p: &AuthorizationPolicy,
    envoys: &BTreeSet<&str>,
    res: &str,
) -> Option<Finding> {
    let (hits, kinds) = envoy::unescaped_values(p, rules.envoy_unescaped());
    let row = *rules.envoy_regex_rows(kinds).first()?;
    let at = envoys.iter().copied().collect::<Vec<_>>().join(" and ");
    Some(Finding::new(
        &f::REGEX_UNESCAPED,
        res,
        format!(
            "{}, the {at} proxies match {} through a regex without escaping it: a metacharacter such as '.' matches any character, so the rule may match more identities than written",
            rules.versions_phrase(row),
            list(&hits)
        ),
    ))
}

/// AMB043: fields of the policy the Istio release does not know (`enforce::admitted`): pruned
/// and ignored, and a source left empty makes istiod refuse the whole policy.
pub(super) fn unknown_fields(
    rules: &Rules,
    u: &Unknown,
    conv: &Conversion,
    p: &AuthorizationPolicy,
) -> Finding {
    let res = crate::model::resource_key(
        "AuthorizationPolicy",
        &p.metadata.namespace,
        &p.metadata.name,
    );
    let missing: Vec<&str> = u
        .rows
        .iter()
        .map(|r| match r {
            Row::TrustDomainsUnknown => "source.trustDomains or notTrustDomains (added in 1.31)",
            _ => "source.serviceAccounts or notServiceAccounts (added in 1.25)",
        })
        .collect();
    let what = format!(
        "{}, AuthorizationPolicy has no {}: the API server prunes {} (kubectl apply refuses them under strict field validation) and istiod ignores them",
        rules.versions_phrase(u.rows[0]),
        missing.join(", nor "),
        list(&u.fields)
    );
    let effect = match u.refused {
        Some(r) => format!(
            "rule {}'s source is then empty, which istiod's validation refuses (`from.source` must not be empty): the policy is not in effect anywhere",
            r + 1
        ),
        None if conv.action == Action::Deny => {
            "each source entry keeps its other fields only: this DENY denies more clients than written".into()
        }
        None => {
            "each source entry keeps its other fields only: this ALLOW admits more clients than written".into()
        }
    };
    Finding::new(
        &f::SERVICE_ACCOUNTS_UNKNOWN,
        &res,
        format!("{what}; {effect}"),
    )
}

/// AMB047: a policy labelled `istio.io/rev` for another revision than the istiod ztunnel
/// connects to (`revision-filter-at-ztunnel`). `pods`: the ambient pods it selects, not sent
/// to (filtered) or enforced by (older releases) ztunnel.
pub(super) fn other_revision(
    rules: &Rules,
    conv: &Conversion,
    pods: &str,
    res: &str,
) -> Option<Finding> {
    let (label, rev, filtered, row) = conv.other_revision.as_ref()?;
    let head = format!(
        "policy labelled istio.io/rev={label} but ztunnel is served by istiod revision {rev}"
    );
    let for_pods = if pods.is_empty() {
        String::new()
    } else {
        format!(" for {pods}")
    };
    let text = if *filtered {
        format!("{head}: it is not enforced there{for_pods} ({}, its ambient index takes only its own revision's policies and unlabelled ones: not sent to ztunnel)", rules.versions_phrase(*row))
    } else {
        format!("{head}: {}, its ambient index does not filter by revision, so ztunnel enforces it{for_pods} anyway, while that revision's waypoints and sidecars ignore it; from 1.25.4, 1.26.3 and 1.27 it is not sent to ztunnel", rules.versions_phrase(*row))
    };
    Some(Finding::new(&f::OTHER_REVISION, res, text))
}
