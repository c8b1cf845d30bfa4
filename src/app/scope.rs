//! What a report of manifests covers without -n: every namespace the input holds objects in,
//! as `kubectl get -f` and `kubectl diff -f` show every object of their files. Explaining
//! only "default" would skip the rest without a word and let `--fail-on` pass.
//!
//! A one-namespace application usually comes with mesh-wide objects in the root namespace
//! (the istio ConfigMap, a STRICT PeerAuthentication), which `-n NS` shows as well. So when
//! the one namespace's report holds everything the whole input's does, it is the one shown:
//! short names, and `namespace: NS` in JSON, as with `-n NS`.

use crate::explain::report::Explanation;
use crate::explain::{explain, Scope};
use crate::selector::LabelSelector;
use crate::snapshot::Snapshot;
use std::collections::BTreeSet;

/// Explains each snapshot (the two sides of a diff, or one) over every namespace, or over
/// the input's one namespace when that loses nothing on any side.
pub(super) fn explain_input<const N: usize>(
    snaps: [&Snapshot; N],
    selector: Option<LabelSelector>,
) -> [Explanation; N] {
    let whole = snaps.map(|s| explain(s, &whole(selector.clone())));
    narrow(snaps, whole, selector)
}

/// The scope of a whole input: every namespace.
pub(super) fn whole(selector: Option<LabelSelector>) -> Scope {
    Scope {
        namespace: None,
        selector,
    }
}

/// The whole input's reports (`whole`), or the reports of its one namespace when those
/// lose nothing on any side.
pub(super) fn narrow<const N: usize>(
    snaps: [&Snapshot; N],
    whole: [Explanation; N],
    selector: Option<LabelSelector>,
) -> [Explanation; N] {
    let namespaces: BTreeSet<&str> = snaps
        .iter()
        .zip(&whole)
        .flat_map(|(s, e)| own_namespaces(e, workload_namespaces(e), s.mesh.root()))
        .collect();
    let [ns] = namespaces.into_iter().collect::<Vec<_>>()[..] else {
        return whole;
    };
    let one = snaps.map(|s| {
        let scope = Scope {
            namespace: Some(ns.to_string()),
            selector: selector.clone(),
        };
        explain(s, &scope)
    });
    if one.iter().zip(&whole).all(|(o, w)| covers(o, w)) {
        one
    } else {
        whole
    }
}

/// Whether a whole input's report (its workloads' namespaces given apart, as they may not
/// be built yet) is about more than one namespace: then it is the report shown, whole,
/// and it can be written as it is built.
pub(super) fn spans_namespaces<'w, P, W>(
    e: &Explanation<P, W>,
    mut workloads: impl Iterator<Item = &'w str>,
    root: &str,
) -> bool {
    fn another<'s>(first: &mut Option<&'s str>, ns: &'s str) -> bool {
        *first.get_or_insert(ns) != ns
    }
    let mut first = None;
    workloads.any(|ns| another(&mut first, ns))
        || own_namespaces(e, std::iter::empty(), root).any(|ns| another(&mut first, ns))
}

fn workload_namespaces(e: &Explanation) -> impl Iterator<Item = &str> {
    e.workloads.iter().map(|w| w.namespace.as_str())
}

/// The namespaces of what the report is about: workloads, services, and policies except the
/// root namespace's (mesh-wide: a namespace's report shows those that reach it).
fn own_namespaces<'a, P, W>(
    e: &'a Explanation<P, W>,
    workloads: impl Iterator<Item = &'a str> + 'a,
    root: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    let services = e.services.iter().map(|s| s.namespace.as_str());
    let policies = e
        .policies
        .iter()
        .map(|p| p.namespace.as_str())
        .filter(move |ns| *ns != root);
    workloads.chain(services).chain(policies)
}

/// `part` reports every finding, policy, workload, service and waypoint `whole` does.
fn covers(part: &Explanation, whole: &Explanation) -> bool {
    fn keys<T>(items: &[T], key: impl Fn(&T) -> String) -> BTreeSet<String> {
        items.iter().map(key).collect()
    }
    let policies = |e: &Explanation| {
        keys(&e.policies, |p| {
            format!("{}/{}/{}", p.kind, p.namespace, p.name)
        })
    };
    let workloads = |e: &Explanation| {
        keys(&e.workloads, |w| {
            format!("{}/{}/{}", w.kind, w.namespace, w.name)
        })
    };
    let services = |e: &Explanation| {
        keys(&e.services, |s| {
            format!("{}/{}/{}", s.kind, s.namespace, s.name)
        })
    };
    let waypoints = |e: &Explanation| keys(&e.waypoints, |w| format!("{}/{}", w.namespace, w.name));
    part.findings == whole.findings
        && policies(part) == policies(whole)
        && workloads(part) == workloads(whole)
        && services(part) == services(whole)
        && waypoints(part) == waypoints(whole)
}
