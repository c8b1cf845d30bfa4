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
    /// The version row that says so.
    pub row: Row,
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

/// `source.serviceAccounts` / `notServiceAccounts` exist from 1.25 (istio/istio#54091).
pub fn admit(p: &AuthorizationPolicy, rules: &Rules) -> Admitted {
    let uses = |p: &AuthorizationPolicy| {
        p.spec
            .rules
            .iter()
            .flatten()
            .flat_map(|r| &r.from)
            .any(|f| {
                !f.source.service_accounts.is_empty() || !f.source.not_service_accounts.is_empty()
            })
    };
    if !uses(p) {
        return Admitted::default();
    }
    let Some(row) = rules.service_accounts_unknown() else {
        return Admitted::default();
    };
    let mut pruned = p.clone();
    let mut fields = Vec::new();
    let mut refused = None;
    for (i, rule) in pruned.spec.rules.iter_mut().flatten().enumerate() {
        for from in &mut rule.from {
            let s = &mut from.source;
            let mut had = false;
            for (name, v) in [
                ("serviceAccounts", &mut s.service_accounts),
                ("notServiceAccounts", &mut s.not_service_accounts),
            ] {
                if !v.is_empty() {
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
            row,
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
    fn service_accounts_before_and_from_1_25() {
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
                (Some(false), Some(v)) => assert!(v.spec.rules.as_deref().unwrap()[0].from[0]
                    .source
                    .service_accounts
                    .is_empty()),
                (None, Some(v)) => assert!(std::ptr::eq(v, &p)),
                other => panic!("{src} {ver}: {:?}", other.0),
            }
        }
    }
}
