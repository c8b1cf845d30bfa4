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
    let explain_in = |snap: &Snapshot, namespace: Option<String>| {
        let scope = Scope {
            namespace,
            selector: selector.clone(),
        };
        explain(snap, &scope)
    };
    let whole = snaps.map(|s| explain_in(s, None));
    let namespaces: BTreeSet<&str> = snaps
        .iter()
        .zip(&whole)
        .flat_map(|(s, e)| own_namespaces(e, s.mesh.root()))
        .collect();
    let [ns] = namespaces.into_iter().collect::<Vec<_>>()[..] else {
        return whole;
    };
    let one = snaps.map(|s| explain_in(s, Some(ns.to_string())));
    if one.iter().zip(&whole).all(|(o, w)| covers(o, w)) {
        one
    } else {
        whole
    }
}

/// The namespaces of what the report is about: workloads, services, and policies except the
/// root namespace's (mesh-wide: a namespace's report shows those that reach it).
fn own_namespaces<'a>(e: &'a Explanation, root: &'a str) -> impl Iterator<Item = &'a str> {
    let workloads = e.workloads.iter().map(|w| w.namespace.as_str());
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
