//! What the cluster admits of an AuthorizationPolicy on the Istio release that runs
//! (docs/versions.md): a field the release's CRD does not declare is pruned by the API server
//! and ignored by istiod (`ApplyJSON` drops unknown fields), and a policy it leaves invalid
//! is refused by istiod's validation. The ztunnel conversion and the Envoy decision both read
//! the admitted policy, so every consumer sees one answer.

use crate::model::AuthorizationPolicy;
use crate::versions::{Row, Rules};

/// Fields of a policy the release does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The version rows that say so (`source-service-accounts`, `source-trust-domains`).
    pub rows: Vec<Row>,
    /// `rule 1 serviceAccounts`, in rule order.
    pub fields: Vec<String>,
    /// The first rule (0-based) whose source entry holds nothing else: istiod's validation
    /// refuses the policy (`from.source` must not be empty), so it is not in effect.
    pub refused: Option<usize>,
}

/// A policy as the cluster holds it.
#[derive(Debug, Clone, Default)]
pub struct Admitted {
    /// The policy without the fields the release does not know (`None`: as written).
    pub pruned: Option<AuthorizationPolicy>,
    pub unknown: Option<Unknown>,
}

impl Admitted {
    /// The policy the enforcers receive, or `None` when it is refused.
    pub fn policy<'p>(
        &'p self,
        written: &'p AuthorizationPolicy,
    ) -> Option<&'p AuthorizationPolicy> {
        if self.refused() {
            return None;
        }
        Some(self.pruned.as_ref().unwrap_or(written))
    }

    pub fn refused(&self) -> bool {
        self.unknown.as_ref().is_some_and(|u| u.refused.is_some())
    }
}

/// Source fields added after 1.24, with the release that added them: `serviceAccounts` /
/// `notServiceAccounts` in 1.25 (istio/istio#54091), `trustDomains` / `notTrustDomains` in
/// 1.31 (istio/api#3665).
pub fn admit(p: &AuthorizationPolicy, rules: &Rules) -> Admitted {
    let sources = || {
        p.spec
            .rules
            .iter()
            .flatten()
            .flat_map(|r| &r.from)
            .map(|f| &f.source)
    };
    let service_accounts =
        sources().any(|s| !s.service_accounts.is_empty() || !s.not_service_accounts.is_empty());
    let trust_domains =
        sources().any(|s| !s.trust_domains.is_empty() || !s.not_trust_domains.is_empty());
    let rows: Vec<Row> = [
        service_accounts
            .then(|| rules.service_accounts_unknown())
            .flatten(),
        trust_domains
            .then(|| rules.trust_domains_unknown())
            .flatten(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if rows.is_empty() {
        return Admitted::default();
    }
    let prune_sa = rows.contains(&Row::ServiceAccountsUnknown);
    let prune_td = rows.contains(&Row::TrustDomainsUnknown);
    let mut pruned = p.clone();
    let mut fields = Vec::new();
    let mut refused = None;
    for (i, rule) in pruned.spec.rules.iter_mut().flatten().enumerate() {
        for from in &mut rule.from {
            let s = &mut from.source;
            let mut had = false;
            for (name, v, prune) in [
                ("serviceAccounts", &mut s.service_accounts, prune_sa),
                ("notServiceAccounts", &mut s.not_service_accounts, prune_sa),
                ("trustDomains", &mut s.trust_domains, prune_td),
                ("notTrustDomains", &mut s.not_trust_domains, prune_td),
            ] {
                if prune && !v.is_empty() {
                    fields.push(format!("rule {} {name}", i + 1));
                    v.clear();
                    had = true;
                }
            }
            if had && s.populated().is_empty() && refused.is_none() {
                refused = Some(i);
            }
        }
    }
    fields.dedup();
    Admitted {
        pruned: Some(pruned),
        unknown: Some(Unknown {
            rows,
            fields,
            refused,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::Running;

    fn policy(sources: &str) -> AuthorizationPolicy {
        let y = format!(
            "metadata: {{name: p, namespace: shop}}\nspec:\n  rules:\n  - from: [{sources}]\n"
        );
        serde_saphyr::from_str(&y).unwrap()
    }

    fn on(version: &str) -> Rules {
        let i = Running::detect(Some((version, "--istio-version")), None);
        Rules::new(i.clone(), i, false, false)
    }

    #[test]
    fn source_fields_before_their_release() {
        // (source entries, version, refused, pruned fields)
        let cases: &[(&str, &str, Option<bool>, &[&str])] = &[
            (
                "{source: {serviceAccounts: [curl]}}",
                "1.24.6",
                Some(true),
                &["rule 1 serviceAccounts"],
            ),
            (
                "{source: {serviceAccounts: [curl], ipBlocks: [10.0.0.0/8]}}",
                "1.24.6",
                Some(false),
                &["rule 1 serviceAccounts"],
            ),
            (
                "{source: {notServiceAccounts: [a/b], namespaces: [x]}}",
                "1.24.0",
                Some(false),
                &["rule 1 notServiceAccounts"],
            ),
            ("{source: {serviceAccounts: [curl]}}", "1.25.0", None, &[]),
            ("{source: {principals: [a]}}", "1.24.6", None, &[]),
            (
                "{source: {trustDomains: [corp.example]}}",
                "1.30.3",
                Some(true),
                &["rule 1 trustDomains"],
            ),
            (
                "{source: {notTrustDomains: [x], namespaces: [a]}}",
                "1.30.3",
                Some(false),
                &["rule 1 notTrustDomains"],
            ),
            (
                "{source: {serviceAccounts: [a], trustDomains: [b]}}",
                "1.24.6",
                Some(true),
                &["rule 1 serviceAccounts", "rule 1 trustDomains"],
            ),
            (
                "{source: {serviceAccounts: [a], trustDomains: [b]}}",
                "1.25.0",
                Some(false),
                &["rule 1 trustDomains"],
            ),
            (
                "{source: {trustDomains: [corp.example]}}",
                "1.31.0",
                None,
                &[],
            ),
        ];
        for &(src, ver, refused, fields) in cases {
            let a = admit(&policy(src), &on(ver));
            assert_eq!(
                a.unknown.as_ref().map(|u| u.refused.is_some()),
                refused,
                "{src} {ver}"
            );
            let got: Vec<&str> = a
                .unknown
                .iter()
                .flat_map(|u| &u.fields)
                .map(String::as_str)
                .collect();
            assert_eq!(got, fields, "{src} {ver}");
            let p = policy(src);
            match (refused, a.policy(&p)) {
                (Some(true), None) => {}
                (Some(false), Some(v)) => {
                    let left = v.spec.rules.as_deref().unwrap()[0].from[0]
                        .source
                        .populated();
                    for f in fields {
                        let name = f.trim_start_matches("rule 1 ");
                        assert!(!left.contains(&name), "{src} {ver}: {name} kept");
                    }
                    assert!(!left.is_empty(), "{src} {ver}");
                }
                (None, Some(v)) => assert!(std::ptr::eq(v, &p)),
                other => panic!("{src} {ver}: {:?}", other.0),
            }
        }
    }
}
