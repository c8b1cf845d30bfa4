//! The comparisons behind `diff`: policies by kind/namespace/name, paths by destination pod
//! and client class, findings by what they are about (never by position or wording).

use super::*;
use crate::explain::report::{Hop, PathReport, PolicyReport};
use crate::model::resource_key;
use std::collections::{BTreeMap, BTreeSet};

/// Old resource key -> new resource key of renamed policies.
pub type Renames = BTreeMap<String, String>;

fn policy_key(p: &PolicyReport) -> (String, String, String) {
    (p.kind.clone(), p.namespace.clone(), p.name.clone())
}

fn sorted(e: &[Enforcement]) -> Vec<Enforcement> {
    let mut v = e.to_vec();
    v.sort();
    v
}

/// Everything the explanation says about a policy except its name: equal for a rename.
fn fingerprint(p: &PolicyReport) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("name");
        o.insert(
            "enforcement".into(),
            serde_json::to_value(sorted(&p.enforcement)).unwrap_or_default(),
        );
    }
    v
}

pub fn policies(before: &[PolicyReport], after: &[PolicyReport]) -> (Vec<PolicyChange>, Renames) {
    let old: BTreeMap<_, _> = before.iter().map(|p| (policy_key(p), p)).collect();
    let new: BTreeMap<_, _> = after.iter().map(|p| (policy_key(p), p)).collect();
    let mut out = Vec::new();
    for (k, a) in &new {
        if let Some(b) = old.get(k) {
            let fields = fields(b, a);
            let entries = entries(&b.enforcement, &a.enforcement);
            if !fields.is_empty() || !entries.is_empty() {
                out.push(change(
                    Change::Changed,
                    a,
                    Some(b),
                    Some(a),
                    fields,
                    entries,
                ));
            }
        }
    }
    let mut removed: Vec<&PolicyReport> = old
        .iter()
        .filter(|(k, _)| !new.contains_key(*k))
        .map(|(_, p)| *p)
        .collect();
    let mut renames = Renames::new();
    for (k, a) in new.iter().filter(|(k, _)| !old.contains_key(*k)) {
        let fp = fingerprint(a);
        if let Some(i) = removed.iter().position(|b| fingerprint(b) == fp) {
            let b = removed.remove(i);
            renames.insert(
                resource_key(&b.kind, &b.namespace, &b.name),
                resource_key(&k.0, &k.1, &k.2),
            );
            let mut c = change(Change::Changed, a, Some(b), Some(a), vec![], vec![]);
            c.renamed_from = Some(b.name.clone());
            out.push(c);
        } else {
            let entries = entries(&[], &a.enforcement);
            out.push(change(Change::Added, a, None, Some(a), vec![], entries));
        }
    }
    for b in removed {
        let entries = entries(&b.enforcement, &[]);
        out.push(change(Change::Removed, b, Some(b), None, vec![], entries));
    }
    out.sort_by(|x, y| (&x.kind, &x.namespace, &x.name).cmp(&(&y.kind, &y.namespace, &y.name)));
    (out, renames)
}

fn change(
    c: Change,
    p: &PolicyReport,
    before: Option<&PolicyReport>,
    after: Option<&PolicyReport>,
    fields: Vec<FieldChange>,
    entries: Vec<EntryChange>,
) -> PolicyChange {
    PolicyChange {
        kind: p.kind.clone(),
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        change: c,
        action: p.action.clone(),
        attachment: p.attachment.clone(),
        renamed_from: None,
        fields,
        before: before.map(|b| b.enforcement.clone()),
        after: after.map(|a| a.enforcement.clone()),
        entries,
    }
}

fn fields(b: &PolicyReport, a: &PolicyReport) -> Vec<FieldChange> {
    let mut out = Vec::new();
    if b.action != a.action {
        out.push(FieldChange {
            field: "action".into(),
            before: b.action.clone(),
            after: a.action.clone(),
        });
    }
    if b.attachment != a.attachment {
        out.push(FieldChange {
            field: "attachment".into(),
            before: Some(b.attachment.clone()),
            after: Some(a.attachment.clone()),
        });
    }
    out
}

/// Pairs two lists: equal items first (they cancel), then items with equal keys, one key
/// function after the other. Returns the unequal pairs and what is left on each side.
fn pair<T: PartialEq + Clone, K: PartialEq>(
    before: &[T],
    after: &[T],
    keys: &[&dyn Fn(&T) -> K],
) -> (Vec<(T, T)>, Vec<T>, Vec<T>) {
    let mut left: Vec<T> = Vec::new();
    let mut right: Vec<T> = after.to_vec();
    for b in before {
        match right.iter().position(|a| a == b) {
            Some(i) => {
                right.remove(i);
            }
            None => left.push(b.clone()),
        }
    }
    let mut pairs = Vec::new();
    for key in keys {
        let mut rest = Vec::new();
        for b in left {
            match right.iter().position(|a| key(a) == key(&b)) {
                Some(i) => pairs.push((b, right.remove(i))),
                None => rest.push(b),
            }
        }
        left = rest;
    }
    (pairs, left, right)
}

/// Where an entry enforces: the enforcer, the waypoint, the path and the identity it sees.
fn place(e: &Enforcement) -> (String, Option<String>, String, String) {
    (
        e.enforced_by.clone(),
        e.waypoint.clone(),
        e.path.clone(),
        e.source_identity.clone(),
    )
}

fn entries(before: &[Enforcement], after: &[Enforcement]) -> Vec<EntryChange> {
    let with_effect = |e: &Enforcement| (place(e), e.effect.clone());
    let by_place = |e: &Enforcement| (place(e), String::new());
    let (pairs, removed, added) = pair(before, after, &[&with_effect, &by_place]);
    let mut out: Vec<EntryChange> = pairs
        .into_iter()
        .map(|(b, a)| EntryChange {
            change: Change::Changed,
            before: Some(b),
            after: Some(a),
        })
        .chain(removed.into_iter().map(|b| EntryChange {
            change: Change::Removed,
            before: Some(b),
            after: None,
        }))
        .chain(added.into_iter().map(|a| EntryChange {
            change: Change::Added,
            before: None,
            after: Some(a),
        }))
        .collect();
    out.sort_by_key(|c| {
        let e = c.after.as_ref().or(c.before.as_ref()).map(place);
        (e, c.change)
    });
    out
}

/// The hops of a path without the policy names (a renamed policy changes no path).
fn route(hops: &[Hop]) -> String {
    hops.iter()
        .map(|h| {
            let mut s = h.component.to_string();
            if let (Some(n), "waypoint" | "ingress-gateway") = (&h.name, h.component) {
                s = format!("{s} {n}");
            }
            if matches!(h.component, "ztunnel" | "sidecar") {
                s = format!("{s} [{}]", h.source_identity);
            }
            s
        })
        .collect::<Vec<_>>()
        .join(" > ")
}

/// deny when a hop denies; allow when every hop that evaluates policies allows; else it
/// depends on what the explanation cannot know (the client's identity, the request).
fn verdict(hops: &[Hop]) -> String {
    use crate::explain::report::Verdict;
    if hops
        .iter()
        .any(|h| matches!(h.verdict, Some(Verdict::Deny(_))))
    {
        "deny"
    } else if hops
        .iter()
        .all(|h| h.policies.is_empty() || matches!(h.verdict, Some(Verdict::Allow)))
    {
        "allow"
    } else {
        "depends"
    }
    .into()
}

type PathKey = (String, String, Option<String>);

/// Every (pod, client class, Service) of the paths, with its state; grouped paths count
/// once per pod, so regrouping replicas is no difference.
fn expand(paths: &[PathReport]) -> BTreeMap<PathKey, PathState> {
    let mut out = BTreeMap::new();
    for p in paths {
        let state = PathState {
            route: route(&p.hops),
            // A path from another network is not analysed (`enforce::network`).
            verdict: match p.network {
                Some(_) => "not analysed".into(),
                None => verdict(&p.hops),
            },
            network_policy: p.network_policy.as_ref().map(|g| {
                let what = if g.verdict == "deny" {
                    "blocked"
                } else {
                    "depends on the client"
                };
                format!("{what} {} ({})", g.wire, g.policies.join(", "))
            }),
        };
        let pods: BTreeSet<&str> = std::iter::once(&p.destination)
            .chain(p.pods.iter())
            .map(|p| &**p)
            .collect();
        // Paths from other networks are one per network (`other-network:NAME`; Istio's
        // unnamed default network is `(default)`, as the assumptions show it).
        let source = match &p.network {
            Some(n) if n.is_empty() => format!("{}:(default)", p.source),
            Some(n) => format!("{}:{n}", p.source),
            None => p.source.to_string(),
        };
        let via = p.via.as_deref().map(str::to_string);
        for pod in pods {
            out.insert(
                (pod.to_string(), source.clone(), via.clone()),
                state.clone(),
            );
        }
    }
    out
}

pub fn paths(before: &[PathReport], after: &[PathReport]) -> Vec<PathChange> {
    // Client classes in the order the explanation lists them.
    let mut order: Vec<&str> = Vec::new();
    for p in after.iter().chain(before) {
        if !order.contains(&p.source.as_ref()) {
            order.push(&p.source);
        }
    }
    let (b, a) = (expand(before), expand(after));
    let keys: BTreeSet<&PathKey> = b.keys().chain(a.keys()).collect();
    // Pods with the same change, grouped under the first.
    type Group = (String, Option<String>, Option<PathState>, Option<PathState>);
    let mut groups: BTreeMap<Group, Vec<String>> = BTreeMap::new();
    for k in keys {
        let (x, y) = (b.get(k), a.get(k));
        if x != y {
            groups
                .entry((k.1.clone(), k.2.clone(), x.cloned(), y.cloned()))
                .or_default()
                .push(k.0.clone());
        }
    }
    let mut out: Vec<PathChange> = groups
        .into_iter()
        .map(|((source, via, before, after), mut pods)| PathChange {
            destination: pods.remove(0),
            pods,
            source,
            via,
            before,
            after,
        })
        .collect();
    let rank = |s: &str| order.iter().position(|o| *o == s);
    out.sort_by(|x, y| {
        (&x.destination, rank(&x.source), &x.via).cmp(&(&y.destination, rank(&y.source), &y.via))
    });
    out
}

/// Introduced and resolved findings. A finding is the same on both sides when its code,
/// resource (through renames) and severity are: a reworded message (say, one more pod
/// named) is no new finding, while a warning raised to an error is.
pub fn findings(before: &[Finding], after: &[Finding], renames: &Renames) -> FindingChanges {
    let renamed: Vec<Finding> = before
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if let Some(n) = renames.get(&f.resource) {
                f.resource = n.clone();
            }
            f
        })
        .collect();
    let same = |f: &Finding| (f.code.clone(), f.resource.clone(), f.severity);
    let (_, resolved, introduced) = pair(&renamed, after, &[&same]);
    // Report resolved findings under their own (old) names.
    let back: BTreeMap<&String, &String> = renames.iter().map(|(o, n)| (n, o)).collect();
    let mut resolved: Vec<Finding> = resolved
        .into_iter()
        .map(|mut f| {
            if let Some(o) = back.get(&f.resource) {
                f.resource = (*o).clone();
            }
            f
        })
        .collect();
    let mut introduced = introduced;
    resolved.sort();
    introduced.sort();
    FindingChanges {
        introduced,
        resolved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Finding, L7_ALLOW_DENY_ALL, WAYPOINT_IDENTITY};

    fn en(by: &str, path: &str, id: &str, effect: &str, targets: &[&str]) -> Enforcement {
        Enforcement {
            enforced_by: by.into(),
            waypoint: None,
            weight: None,
            path: path.into(),
            source_identity: id.into(),
            effect: effect.into(),
            targets: targets.iter().map(|&t| t.into()).collect(),
        }
    }

    #[test]
    fn entries_pair_by_place() {
        let zt = |effect, t: &[&str]| en("ztunnel", "direct", "client", effect, t);
        let none = en("none", "none", "none", "not-enforced", &[]);
        // (before, after, expected changes)
        let cases: Vec<(Vec<Enforcement>, Vec<Enforcement>, Vec<Change>)> = vec![
            (
                vec![zt("as-written", &["a"])],
                vec![zt("as-written", &["a"])],
                vec![],
            ),
            (
                vec![zt("as-written", &["a"])],
                vec![zt("deny-all", &["a"])],
                vec![Change::Changed],
            ),
            (
                vec![zt("as-written", &["a"])],
                vec![zt("as-written", &["a", "b"])],
                vec![Change::Changed],
            ),
            (
                vec![none.clone()],
                vec![zt("as-written", &["a"])],
                vec![Change::Added, Change::Removed],
            ),
            (vec![], vec![zt("as-written", &["a"])], vec![Change::Added]),
            (
                vec![zt("as-written", &["a"]), none.clone()],
                vec![none],
                vec![Change::Removed],
            ),
        ];
        for (b, a, want) in cases {
            let mut got: Vec<Change> = entries(&b, &a).iter().map(|c| c.change).collect();
            got.sort();
            assert_eq!(got, want, "{b:?} -> {a:?}");
        }
    }

    fn path(dest: &str, pods: &[&str], hops: Vec<Hop>) -> PathReport {
        PathReport {
            destination: dest.into(),
            pods: pods.iter().map(|&p| p.into()).collect(),
            source: "ambient-service".into(),
            via: Some("Service/default/web".into()),
            hops,
            note: None,
            network_policy: None,
            weight: None,
            network: None,
        }
    }

    fn hop(component: &'static str, policies: &[&str], verdict: Option<Verdict>) -> Hop {
        Hop {
            component,
            name: None,
            source_identity: "waypoint",
            spiffe: None,
            policies: policies.iter().map(|p| p.to_string()).collect(),
            verdict,
        }
    }

    use crate::explain::report::Verdict;

    #[test]
    fn paths_compare_per_pod() {
        let allow = || {
            vec![hop(
                "ztunnel",
                &["AuthorizationPolicy/default/a (as-written)"],
                Some(Verdict::Allow),
            )]
        };
        let deny = || {
            vec![hop(
                "ztunnel",
                &["AuthorizationPolicy/default/b (as-written)"],
                Some(Verdict::Deny(std::sync::Arc::new([]))),
            )]
        };
        let grouped = [path("p1", &["p1", "p2"], allow())];
        // Regrouping replicas, or renaming the policies at a hop, is no difference.
        let split = [path("p1", &[], allow()), path("p2", &[], allow())];
        assert_eq!(paths(&grouped, &split), vec![]);
        let renamed = [path(
            "p1",
            &["p1", "p2"],
            vec![hop(
                "ztunnel",
                &["AuthorizationPolicy/default/a2 (as-written)"],
                Some(Verdict::Allow),
            )],
        )];
        assert_eq!(paths(&grouped, &renamed), vec![]);
        // One replica denied now: one change, for that pod.
        let one = [path("p1", &[], allow()), path("p2", &[], deny())];
        let c = paths(&grouped, &one);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].destination, "p2");
        assert_eq!(c[0].before.as_ref().unwrap().verdict, "allow");
        assert_eq!(c[0].after.as_ref().unwrap().verdict, "deny");
        // Both: one change naming both pods.
        let c = paths(&grouped, &[path("p1", &["p1", "p2"], deny())]);
        assert_eq!((c.len(), c[0].pods.clone()), (1, vec!["p2".to_string()]));
        // A hop with policies and no verdict depends on the client; none at all allows.
        assert_eq!(verdict(&[hop("waypoint", &["x"], None)]), "depends");
        assert_eq!(verdict(&[hop("client-ztunnel", &[], None)]), "allow");
    }

    #[test]
    fn findings_by_code_resource_and_severity() {
        let f = |code: &crate::findings::Code, r: &str, m: &str| Finding::new(code, r, m);
        let ap = "AuthorizationPolicy/default/a";
        let before = vec![
            f(&L7_ALLOW_DENY_ALL, ap, "denies pod-1"),
            f(&WAYPOINT_IDENTITY, ap, "x"),
        ];
        // Reworded: same finding. Raised severity: introduced, and the old one resolved.
        let after = vec![
            f(&L7_ALLOW_DENY_ALL, ap, "denies pod-1 and pod-2"),
            f(&WAYPOINT_IDENTITY, ap, "x").with_severity(Severity::Error),
        ];
        let c = findings(&before, &after, &Renames::new());
        assert_eq!(c.introduced.len(), 1);
        assert_eq!(c.introduced[0].severity, Severity::Error);
        assert_eq!(c.resolved.len(), 1);
        assert_eq!(c.resolved[0].severity, Severity::Warning);
        // Through a rename nothing is new.
        let renamed = vec![f(&L7_ALLOW_DENY_ALL, "AuthorizationPolicy/default/b", "m")];
        let renames =
            Renames::from([(ap.to_string(), "AuthorizationPolicy/default/b".to_string())]);
        let c = findings(&before[..1], &renamed, &renames);
        assert!(c.introduced.is_empty() && c.resolved.is_empty(), "{c:?}");
    }
}
