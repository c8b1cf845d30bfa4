//! The same finding on many resources: one trap copied into 80 policies is one entry with
//! the list of its resources, not 80 entries that say the same thing.
//!
//! Two findings are the same when they have the same code, severity and fix, are about
//! resources of the same kind, and their messages are equal once each one's *own* name and
//! namespace (the parts of its `Kind/namespace/name`) are abstracted out. A name is
//! abstracted only where it stands as a whole name in the message: not inside a longer name
//! (`web` in `web-v2`, `local` in `cluster.local`), but between `/` (`ns/NS/sa/...`) and at
//! the end of a sentence. So two findings are merged only when their messages differ in
//! nothing but those names, at the same places; a message that names anything else that
//! differs (the pods a policy selects, a port, a principal) keeps its finding apart. A name
//! that happens to be a word of the message (a policy called `all`) may keep two findings
//! apart that could have been merged, never the reverse.

use super::{Finding, Severity};

/// One entry of the report: a finding, or the same finding on several resources.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// By resource: the order of the report.
    pub findings: Vec<&'a Finding>,
    shape: String,
}

// Where the resource's own name and namespace stood: characters no manifest name holds.
const NAME: char = '\u{E000}';
const NAMESPACE: char = '\u{E001}';

impl<'a> Group<'a> {
    pub fn first(&self) -> &'a Finding {
        self.findings[0]
    }
    pub fn severity(&self) -> Severity {
        self.first().severity
    }
    pub fn code(&self) -> &'a str {
        &self.first().code
    }
    pub fn resolution(&self) -> &'a str {
        &self.first().resolution
    }
    /// How many findings (one per resource) it stands for.
    pub fn len(&self) -> usize {
        self.findings.len()
    }
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }
    /// The kind of its resources (`AuthorizationPolicy`).
    pub fn kind(&self) -> &'a str {
        Key::of(&self.first().resource).kind
    }
    /// Its resources, `Kind/namespace/name`.
    pub fn resources(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.findings.iter().map(|f| f.resource.as_str())
    }
    /// The message: as written for one finding; for several, with `<name>` and
    /// `<namespace>` where each one's own name and namespace stand, unless they all share
    /// it (then each one's message is exactly what it shows).
    pub fn message(&self) -> String {
        if self.findings.len() == 1 {
            return self.first().message.clone();
        }
        let shared = |part: fn(&Key<'a>) -> &'a str, placeholder: &'static str| {
            let first = part(&Key::of(&self.first().resource));
            let all = self
                .findings
                .iter()
                .all(|f| part(&Key::of(&f.resource)) == first);
            if all {
                first
            } else {
                placeholder
            }
        };
        // A Namespace's name is a namespace.
        let name = if self.kind() == "Namespace" {
            "<namespace>"
        } else {
            "<name>"
        };
        self.shape
            .replace(NAME, shared(|k| k.name, name))
            .replace(NAMESPACE, shared(|k| k.namespace, "<namespace>"))
    }
}

/// The parts of a `Kind/namespace/name` (or `Kind/name` for cluster-scoped objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<'a> {
    pub kind: &'a str,
    /// Empty for cluster-scoped objects other than Namespaces; a Namespace's own name.
    pub namespace: &'a str,
    pub name: &'a str,
}

impl<'a> Key<'a> {
    pub fn of(resource: &'a str) -> Key<'a> {
        let mut parts = resource.splitn(3, '/');
        let kind = parts.next().unwrap_or_default();
        match (parts.next(), parts.next()) {
            (Some(ns), Some(name)) => Key {
                kind,
                namespace: ns,
                name,
            },
            (Some(name), None) => Key {
                kind,
                namespace: if kind == "Namespace" { name } else { "" },
                name,
            },
            _ => Key {
                kind,
                namespace: "",
                name: "",
            },
        }
    }
}

/// The message with `resource`'s own name and namespace replaced by placeholders.
pub fn shape(message: &str, resource: &str) -> String {
    let key = Key::of(resource);
    let s = replace_names(message, key.name, NAME);
    if key.namespace == key.name {
        return s;
    }
    replace_names(&s, key.namespace, NAMESPACE)
}

/// A character that continues a Kubernetes name (DNS labels and subdomains, `_` for keys).
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// `text` with every whole-name occurrence of `name` replaced by `by`. A `.` after it ends
/// the name only when no name character follows (the end of a sentence).
fn replace_names(text: &str, name: &str, by: char) -> String {
    if name.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().next_back().or(prev);
        let after = &rest[i + name.len()..];
        let mut next = after.chars();
        let ends = match next.next() {
            None => true,
            Some('.') => !next.next().is_some_and(name_char),
            Some(c) => !name_char(c),
        };
        let whole = !before.is_some_and(name_char) && ends;
        out.push_str(&rest[..i]);
        if whole {
            out.push(by);
            prev = Some(by);
        } else {
            out.push_str(name);
            prev = name.chars().next_back();
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The findings as report entries, in the report's order (severity, code, then resource):
/// each entry the findings that are the same on resources of one kind (see the module's
/// comment), or one finding.
pub fn group<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<Group<'a>> {
    use std::collections::HashMap;
    let mut sorted: Vec<&Finding> = findings.into_iter().collect();
    sorted.sort();
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(Severity, &str, &str, &str, String), usize> = HashMap::new();
    for f in sorted {
        let shape = shape(&f.message, &f.resource);
        let key = (
            f.severity,
            f.code.as_str(),
            Key::of(&f.resource).kind,
            f.resolution.as_str(),
            shape.clone(),
        );
        match index.get(&key) {
            Some(&i) => groups[i].findings.push(f),
            None => {
                index.insert(key, groups.len());
                groups.push(Group {
                    findings: vec![f],
                    shape,
                });
            }
        }
    }
    // Sorted findings, grouped in order of their first: already by severity, code and first
    // resource.
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{L7_ALLOW_DENY_ALL, NO_PEERAUTH, UNKNOWN_NAMESPACE};

    #[test]
    fn own_names_are_abstracted_where_they_stand_whole() {
        // (message, resource, shape with N for the name and S for the namespace)
        #[rustfmt::skip]
        let cases = [
            ("ambient workloads in ns-1 accept plaintext", "Namespace/ns-1", "ambient workloads in N accept plaintext"),
            ("policy web in team denies web-v2", "AuthorizationPolicy/team/web", "policy N in S denies web-v2"),
            ("sees cluster.local/ns/team/sa/waypoint", "AuthorizationPolicy/team/p", "sees cluster.local/ns/S/sa/waypoint"),
            ("through waypoint team/waypoint.", "AuthorizationPolicy/team/waypoint", "through N S/N."),
            ("not local in cluster.local or team.local", "AuthorizationPolicy/team/local", "not N in cluster.local or team.local"),
            ("mywebapp and web_x and webs", "AuthorizationPolicy/a/web", "mywebapp and web_x and webs"),
            ("web web, (web)", "AuthorizationPolicy/a/web", "N N, (N)"),
            ("nothing of its own", "GatewayClass/istio", "nothing of its own"),
        ];
        for (message, resource, want) in cases {
            let got = shape(message, resource)
                .replace(NAME, "N")
                .replace(NAMESPACE, "S");
            assert_eq!(got, want, "{message} / {resource}");
        }
    }

    #[test]
    fn same_trap_on_many_resources_is_one_group() {
        let ns = |n: &str| {
            Finding::new(
                &NO_PEERAUTH,
                format!("Namespace/{n}"),
                format!("ambient workloads in {n} accept plaintext"),
            )
        };
        let ap = |ns: &str, name: &str, msg: &str| {
            Finding::new(
                &UNKNOWN_NAMESPACE,
                format!("AuthorizationPolicy/{ns}/{name}"),
                msg,
            )
        };
        let l7 = |name: &str, pods: &str| {
            Finding::new(
                &L7_ALLOW_DENY_ALL,
                format!("AuthorizationPolicy/a/{name}"),
                format!("ztunnel denies all traffic to {pods}"),
            )
        };
        let findings = vec![
            ns("b"),
            ns("a"),
            ap(
                "a",
                "p1",
                "source namespace \"untrusted\" is not in the input",
            ),
            ap(
                "b",
                "p2",
                "source namespace \"untrusted\" is not in the input",
            ),
            // The same in one namespace: its name is shown.
            ap("c", "p5", "denied in c"),
            ap("c", "p6", "denied in c"),
            // Another namespace named: another finding.
            ap("a", "p3", "source namespace \"legacy\" is not in the input"),
            // The pods differ: kept apart.
            l7("x", "x-1"),
            l7("y", "y-1"),
            // The same message on another kind: kept apart.
            Finding::new(
                &UNKNOWN_NAMESPACE,
                "Service/a/p4",
                "source namespace \"untrusted\" is not in the input",
            ),
        ];
        let groups = group(&findings);
        let seen: Vec<(String, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.message(), g.resources().collect()))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "ztunnel denies all traffic to x-1".to_string(),
                    vec!["AuthorizationPolicy/a/x"]
                ),
                (
                    "ztunnel denies all traffic to y-1".into(),
                    vec!["AuthorizationPolicy/a/y"]
                ),
                (
                    "source namespace \"untrusted\" is not in the input".into(),
                    vec!["AuthorizationPolicy/a/p1", "AuthorizationPolicy/b/p2"]
                ),
                (
                    "source namespace \"legacy\" is not in the input".into(),
                    vec!["AuthorizationPolicy/a/p3"]
                ),
                (
                    "denied in c".into(),
                    vec!["AuthorizationPolicy/c/p5", "AuthorizationPolicy/c/p6"]
                ),
                (
                    "source namespace \"untrusted\" is not in the input".into(),
                    vec!["Service/a/p4"]
                ),
                (
                    "ambient workloads in <namespace> accept plaintext".into(),
                    vec!["Namespace/a", "Namespace/b"]
                ),
            ]
        );
        // Every finding is in exactly one group.
        assert_eq!(groups.iter().map(Group::len).sum::<usize>(), findings.len());
    }

    #[test]
    fn a_different_fix_or_severity_keeps_findings_apart() {
        let f = |name: &str| {
            Finding::new(
                &UNKNOWN_NAMESPACE,
                format!("AuthorizationPolicy/a/{name}"),
                "m",
            )
        };
        let findings = vec![
            f("p1"),
            f("p2").with_resolution("another fix"),
            f("p3").with_severity(Severity::Error),
            f("p4"),
        ];
        let sizes: Vec<usize> = group(&findings).iter().map(Group::len).collect();
        assert_eq!(sizes, [1, 2, 1]);
    }
}
