//! Counts over the findings, for a reader who meets hundreds of them: per code, how many and
//! on how many resources (of which kinds, in how many namespaces), with the resources that
//! hold the most; per namespace, its errors, warnings and info, worst first. Pure counts:
//! the JSON's `summary` is one per code and severity, and always the count of its
//! `findings`.

use super::group::Key;
use super::{Finding, Severity, CATALOGUE};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many resources with the most findings of a code `top` keeps.
const TOP: usize = 5;

/// The findings of one code (at one severity: a code's severity can be fitted to a finding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeSummary {
    pub code: String,
    pub severity: Severity,
    pub title: String,
    /// Findings of this code.
    pub count: usize,
    /// Distinct resources they are about.
    pub resources: usize,
    /// Those resources per kind.
    pub kinds: BTreeMap<String, usize>,
    /// Distinct namespaces of those resources.
    pub namespaces: usize,
    /// The resources with the most findings of this code (most first, then by name), with
    /// their counts; at most five. For the table, not the JSON.
    #[serde(skip)]
    pub top: Vec<(String, usize)>,
}

/// The findings of one namespace, by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespaceCount {
    /// Empty for findings about cluster-scoped objects.
    pub namespace: String,
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
}

/// One entry per code and severity, in the report's order: severity, then code.
pub fn by_code(findings: &[Finding]) -> Vec<CodeSummary> {
    let mut by: BTreeMap<(Severity, &str), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by.entry((f.severity, &f.code)).or_default().push(f);
    }
    by.into_iter()
        .map(|((severity, code), fs)| {
            let mut per_resource: BTreeMap<&str, usize> = BTreeMap::new();
            for f in &fs {
                *per_resource.entry(&f.resource).or_default() += 1;
            }
            let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
            let mut namespaces = BTreeSet::new();
            for r in per_resource.keys() {
                let k = Key::of(r);
                *kinds.entry(k.kind.to_string()).or_default() += 1;
                if !k.namespace.is_empty() {
                    namespaces.insert(k.namespace);
                }
            }
            let mut top: Vec<(String, usize)> = per_resource
                .iter()
                .map(|(r, n)| (r.to_string(), *n))
                .collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(TOP);
            CodeSummary {
                code: code.to_string(),
                severity,
                title: CATALOGUE
                    .iter()
                    .find(|c| c.code == code)
                    .map_or("", |c| c.title)
                    .to_string(),
                count: fs.len(),
                resources: per_resource.len(),
                kinds,
                namespaces: namespaces.len(),
                top,
            }
        })
        .collect()
}

/// Per namespace of the findings' resources, worst first: most errors, then most warnings,
/// then most info, then by name.
pub fn by_namespace(findings: &[Finding]) -> Vec<NamespaceCount> {
    let mut by: BTreeMap<&str, NamespaceCount> = BTreeMap::new();
    for f in findings {
        let ns = Key::of(&f.resource).namespace;
        let c = by.entry(ns).or_insert_with(|| NamespaceCount {
            namespace: ns.to_string(),
            ..NamespaceCount::default()
        });
        match f.severity {
            Severity::Error => c.errors += 1,
            Severity::Warning => c.warnings += 1,
            Severity::Info => c.info += 1,
        }
    }
    let mut out: Vec<NamespaceCount> = by.into_values().collect();
    out.sort_by(|a, b| {
        (b.errors, b.warnings, b.info)
            .cmp(&(a.errors, a.warnings, a.info))
            .then_with(|| a.namespace.cmp(&b.namespace))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{BROAD_ALLOW, L7_ALLOW_DENY_ALL, NO_PEERAUTH};

    fn findings() -> Vec<Finding> {
        let f = |c, r: &str, m: &str| Finding::new(c, r, m);
        vec![
            f(&L7_ALLOW_DENY_ALL, "AuthorizationPolicy/a/p1", "to x"),
            f(&L7_ALLOW_DENY_ALL, "AuthorizationPolicy/a/p1", "to y"),
            f(&L7_ALLOW_DENY_ALL, "AuthorizationPolicy/b/p2", "to z"),
            f(&BROAD_ALLOW, "AuthorizationPolicy/b/p2", "all"),
            f(&BROAD_ALLOW, "AuthorizationPolicy/c/p3", "all"),
            f(&BROAD_ALLOW, "AuthorizationPolicy/c/p4", "all").with_severity(Severity::Error),
            f(&NO_PEERAUTH, "Namespace/c", "plaintext"),
            f(&NO_PEERAUTH, "GatewayClass/x", "cluster-scoped"),
        ]
    }

    #[test]
    fn per_code_and_severity() {
        let s = by_code(&findings());
        let rows: Vec<(&str, Severity, usize, usize, usize)> = s
            .iter()
            .map(|c| {
                (
                    c.code.as_str(),
                    c.severity,
                    c.count,
                    c.resources,
                    c.namespaces,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("AMB001", Severity::Error, 3, 2, 2),
                ("AMB012", Severity::Error, 1, 1, 1),
                ("AMB012", Severity::Warning, 2, 2, 2),
                ("AMB025", Severity::Info, 2, 2, 1),
            ]
        );
        assert_eq!(s[0].title, L7_ALLOW_DENY_ALL.title);
        assert_eq!(
            s[0].top,
            [
                ("AuthorizationPolicy/a/p1".to_string(), 2),
                ("AuthorizationPolicy/b/p2".to_string(), 1)
            ]
        );
        let kinds: Vec<(&String, &usize)> = s[3].kinds.iter().collect();
        assert_eq!(
            kinds,
            [
                (&"GatewayClass".to_string(), &1),
                (&"Namespace".to_string(), &1)
            ]
        );
        assert_eq!(s.iter().map(|c| c.count).sum::<usize>(), findings().len());
    }

    #[test]
    fn per_namespace_worst_first() {
        let rows: Vec<(String, usize, usize, usize)> = by_namespace(&findings())
            .into_iter()
            .map(|n| (n.namespace, n.errors, n.warnings, n.info))
            .collect();
        assert_eq!(
            rows,
            [
                ("a".to_string(), 2, 0, 0),
                ("c".into(), 1, 1, 1),
                ("b".into(), 1, 1, 0),
                ("".into(), 0, 0, 1),
            ]
        );
    }
}
