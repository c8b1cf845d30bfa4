//! How the text outputs name findings: a group of the same finding on several resources
//! (`3 AuthorizationPolicies: team/a, team/b, team/c`), folded after a few names, and counts
//! of resources by kind. Shared by the report's FINDINGS and diff's findings.

use crate::findings::Group;
use std::collections::BTreeMap;

/// Names listed before a folded list says "and N more".
pub const FOLD_NAMES: usize = 3;

/// `AuthorizationPolicy` -> `AuthorizationPolicies`, `Service` -> `Services`.
pub fn plural(kind: &str) -> String {
    if let Some(stem) = kind.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    if kind.ends_with('s') || kind.ends_with("sh") || kind.ends_with("ch") {
        return format!("{kind}es");
    }
    format!("{kind}s")
}

/// `1 Service`, `80 AuthorizationPolicies`.
pub fn count_of(n: usize, kind: &str) -> String {
    if n == 1 {
        format!("1 {kind}")
    } else {
        format!("{n} {}", plural(kind))
    }
}

/// Resources by kind, most first: `80 AuthorizationPolicies, 2 Services`.
pub fn kinds_text(kinds: &BTreeMap<String, usize>) -> String {
    let mut k: Vec<(&String, &usize)> = kinds.iter().collect();
    k.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    k.iter()
        .map(|(kind, n)| count_of(**n, kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A resource without its kind, when the kind is said once for a list: `team/web`.
pub fn without_kind(resource: &str) -> &str {
    resource.split_once('/').map_or(resource, |(_, rest)| rest)
}

/// `a, b, c and 77 more`, or every name when `fold` is `None`.
pub fn names(names: &[&str], fold: Option<usize>) -> String {
    folded(names, fold, ' ')
}

/// `names`, with `space` inside `and 77 more`.
fn folded(names: &[&str], fold: Option<usize>, space: char) -> String {
    match fold {
        Some(n) if names.len() > n + 1 => {
            let more = names.len() - n;
            format!("{} and{space}{more}{space}more", names[..n].join(", "))
        }
        _ => names.join(", "),
    }
}

/// The entries one code (at one severity) at a time: runs of the sorted groups.
pub fn per_code<'g, 'a>(groups: &'g [Group<'a>]) -> impl Iterator<Item = &'g [Group<'a>]> {
    groups.chunk_by(|a, b| (a.severity(), a.code()) == (b.severity(), b.code()))
}

/// What a report entry is about: its resource, or for a group `N Kinds: ns/a, ns/b, ...`.
pub fn subject(g: &Group, fold: Option<usize>) -> String {
    if g.len() == 1 {
        return g.first().resource.clone();
    }
    let list: Vec<&str> = g.resources().map(without_kind).collect();
    // Wrapped, `and 77 more` stays on one line.
    let list = folded(&list, fold, super::layout::GLUE);
    format!("{}: {list}", count_of(g.len(), g.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_in_the_plural() {
        #[rustfmt::skip]
        let cases = [
            ("AuthorizationPolicy", "AuthorizationPolicies"),
            ("Service", "Services"),
            ("ServiceEntry", "ServiceEntries"),
            ("Gateway", "Gateways"),
            ("Namespace", "Namespaces"),
            ("HTTPRoute", "HTTPRoutes"),
            ("Ingress", "Ingresses"),
        ];
        for (kind, want) in cases {
            assert_eq!(plural(kind), want);
        }
        assert_eq!(count_of(1, "AuthorizationPolicy"), "1 AuthorizationPolicy");
        let kinds = BTreeMap::from([("Pod".to_string(), 2), ("Service".to_string(), 5)]);
        assert_eq!(kinds_text(&kinds), "5 Services, 2 Pods");
    }

    #[test]
    fn lists_fold_after_a_few_names() {
        let n = ["a", "b", "c", "d", "e"];
        assert_eq!(names(&n, Some(3)), "a, b, c and 2 more");
        assert_eq!(names(&n, None), "a, b, c, d, e");
        // Folding one name would take as much room as naming it.
        assert_eq!(names(&n[..4], Some(3)), "a, b, c, d");
        assert_eq!(without_kind("Namespace/ns-1"), "ns-1");
        assert_eq!(without_kind("AuthorizationPolicy/a/b"), "a/b");
    }
}
