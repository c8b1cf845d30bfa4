//! Ownership: the controllers a pod belongs to, through `ownerReferences` and the names
//! controllers give their children, and the workloads that stand for a controller.

use crate::model::{Controller, ObjectMeta, Pod};
use foldhash::HashSet;
use std::collections::BTreeMap;

/// `pod-template-hash` (Deployment) and `rollouts-pod-template-hash` (Argo Rollout): the
/// suffix a ReplicaSet name carries after its parent's name.
const TEMPLATE_HASH_LABELS: &[&str] = &["pod-template-hash", "rollouts-pod-template-hash"];

/// (namespace, kind, name), borrowed from the objects of the input: a big mesh's pods each
/// have a chain of two or three controllers, and owned keys made ten allocations per pod
/// (issue 16).
pub(super) type Key<'a> = (&'a str, &'a str, &'a str);

/// The controllers a live pod (or a controller) belongs to, walking up `ownerReferences`
/// through the controllers of the input, and through names where the owner is not in the
/// input (ReplicaSet `<deployment>-<pod-template-hash>`, Job `<cronjob>-<schedule time>`).
/// Added to `out` once each, in the order found.
pub(super) fn owners<'a>(
    meta: &'a ObjectMeta,
    by_key: &BTreeMap<Key<'a>, &'a Controller>,
    out: &mut Vec<Key<'a>>,
) {
    let ns = meta.namespace.as_str();
    // Hand-written or stripped pods: `<deployment>-<hash>-<suffix>` with the hash label.
    if meta.owner_references.is_empty() {
        for l in TEMPLATE_HASH_LABELS {
            if let Some(h) = meta.label(l).filter(|h| !h.is_empty()) {
                if let Some(i) = meta.name.find(&format!("-{h}-")) {
                    let rs = &meta.name[..i + 1 + h.len()];
                    owners_of(meta, ns, ("ReplicaSet", rs), by_key, out);
                }
            }
        }
    }
    for o in &meta.owner_references {
        owners_of(meta, ns, (&o.kind, &o.name), by_key, out);
    }
}

/// Adds `k` to `out` unless there: whether it was new.
fn add<'a>(out: &mut Vec<Key<'a>>, k: Key<'a>) -> bool {
    let new = !out.contains(&k);
    if new {
        out.push(k);
    }
    new
}

/// `owners` for one owner `(kind, name)` of `meta`.
fn owners_of<'a>(
    meta: &'a ObjectMeta,
    ns: &'a str,
    (kind, name): (&'a str, &'a str),
    by_key: &BTreeMap<Key<'a>, &'a Controller>,
    out: &mut Vec<Key<'a>>,
) {
    let k = (ns, kind, name);
    if !add(out, k) {
        return;
    }
    let declared = by_key.get(&k);
    if let Some(c) = declared {
        owners(&c.metadata, by_key, out);
    }
    match kind {
        "ReplicaSet" => {
            for l in TEMPLATE_HASH_LABELS {
                let hash = meta
                    .label(l)
                    .or_else(|| declared.and_then(|c| c.metadata.label(l)));
                // `<parent>-<hash>`.
                let parent = hash.and_then(|h| name.strip_suffix(h)?.strip_suffix('-'));
                if let Some(parent) = parent {
                    add(out, (ns, "Deployment", parent));
                    add(out, (ns, "Rollout", parent));
                }
            }
        }
        "Job" => {
            // CronJob jobs are named `<cronjob>-<minutes since epoch>`.
            if let Some((parent, t)) = name.rsplit_once('-') {
                if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                    add(out, (ns, "CronJob", parent));
                }
            }
        }
        _ => {}
    }
}

/// The workloads of an input, indexed as the analysis indexes them: a Snapshot's `pods`
/// (after it normalised), or such a list itself.
pub trait Workloads {
    fn workloads(&self) -> &[Pod];
}

impl Workloads for [Pod] {
    fn workloads(&self) -> &[Pod] {
        self
    }
}

impl Workloads for Vec<Pod> {
    fn workloads(&self) -> &[Pod] {
        self
    }
}

/// The workloads that stand for controller `kind` `ns/name`: the workload its pod template
/// became, or the live pods it owns (through ownerReferences, a ReplicaSet's
/// pod-template-hash, a CronJob's Job), sorted by name. Call after `expand`
/// (`Snapshot::normalise`).
pub fn of_controller(
    input: &(impl Workloads + ?Sized),
    kind: &str,
    ns: &str,
    name: &str,
) -> Vec<usize> {
    let pods = input.workloads();
    let mut out: Vec<usize> = (0..pods.len())
        .filter(|&i| {
            let p = &pods[i];
            p.metadata.namespace == ns
                && p.controllers
                    .iter()
                    .any(|(k, n)| k.eq_ignore_ascii_case(kind) && n == name)
        })
        .collect();
    by_pod_name(pods, &mut out);
    out
}

/// Sorts pod indexes by pod name (deterministic "any of its pods" choices).
pub fn by_pod_name(input: &(impl Workloads + ?Sized), indexes: &mut [usize]) {
    let pods = input.workloads();
    indexes.sort_by(|a, b| pods[*a].metadata.name.cmp(&pods[*b].metadata.name));
}

/// The controllers (namespace, kind, name) a live Pod belongs to, followed through
/// `ownerReferences` and the names they imply (Pod -> ReplicaSet -> Deployment by
/// `pod-template-hash`, Job -> CronJob): what `diff` drops when a proposal replaces or
/// deletes one of them.
pub fn controller_chain(meta: &ObjectMeta) -> HashSet<(String, String, String)> {
    let mut out = Vec::new();
    owners(meta, &BTreeMap::new(), &mut out);
    (out.into_iter())
        .map(|(ns, kind, name)| (ns.to_string(), kind.to_string(), name.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ctrl, expanded, live};
    use super::*;

    /// `KIND/NS/NAME` finds the workload its pod template declared, or the live pods it owns
    /// however they were created, and nothing of another controller.
    #[test]
    #[allow(clippy::type_complexity)]
    fn controllers_find_their_workloads() {
        let rs = ctrl(
            "ReplicaSet",
            "web-5f7d",
            Some(("Deployment", "web")),
            Some("5f7d"),
        );
        let web_pod = || {
            live(
                "web-5f7d-abcde",
                &[("pod-template-hash", "5f7d")],
                Some(("ReplicaSet", "web-5f7d")),
            )
        };
        let cases: Vec<(&str, Vec<Pod>, Vec<Controller>, (&str, &str), Vec<&str>)> = vec![
            (
                "a manifest with only the Deployment",
                vec![],
                vec![ctrl("Deployment", "web", None, None)],
                ("Deployment", "web"),
                vec!["web"],
            ),
            (
                "only the Deployment and its ReplicaSet: the ReplicaSet finds the Deployment's",
                vec![],
                vec![ctrl("Deployment", "web", None, None), rs.clone()],
                ("ReplicaSet", "web-5f7d"),
                vec!["web"],
            ),
            (
                "live pod through a ReplicaSet that is not in the input",
                vec![web_pod()],
                vec![],
                ("Deployment", "web"),
                vec!["web-5f7d-abcde"],
            ),
            (
                "kubectl get dump: Deployment, ReplicaSet, Pod",
                vec![web_pod()],
                vec![ctrl("Deployment", "web", None, None), rs.clone()],
                ("Deployment", "web"),
                vec!["web-5f7d-abcde"],
            ),
            (
                "the ReplicaSet of that dump",
                vec![web_pod()],
                vec![ctrl("Deployment", "web", None, None), rs],
                ("ReplicaSet", "web-5f7d"),
                vec!["web-5f7d-abcde"],
            ),
            (
                "a ReplicaSet named freely, owned through ownerReferences",
                vec![live("p-1", &[], Some(("ReplicaSet", "custom")))],
                vec![ctrl(
                    "ReplicaSet",
                    "custom",
                    Some(("Deployment", "web")),
                    None,
                )],
                ("Deployment", "web"),
                vec!["p-1"],
            ),
            (
                "StatefulSet pods by owner",
                vec![
                    live("db-1", &[], Some(("StatefulSet", "db"))),
                    live("db-0", &[], Some(("StatefulSet", "db"))),
                ],
                vec![],
                ("StatefulSet", "db"),
                vec!["db-0", "db-1"],
            ),
            (
                "CronJob through its Job",
                vec![live(
                    "backup-28012345-xyz",
                    &[],
                    Some(("Job", "backup-28012345")),
                )],
                vec![],
                ("CronJob", "backup"),
                vec!["backup-28012345-xyz"],
            ),
            (
                "another Deployment's pod is not web's",
                vec![live(
                    "web-canary-1a2b-abcde",
                    &[("pod-template-hash", "1a2b")],
                    Some(("ReplicaSet", "web-canary-1a2b")),
                )],
                vec![],
                ("Deployment", "web"),
                vec![],
            ),
        ];
        for (what, pods, controllers, (kind, name), want) in cases {
            let (pods, _) = expanded(pods, controllers);
            let got: Vec<&str> = of_controller(&pods, kind, "default", name)
                .into_iter()
                .map(|i| pods[i].metadata.name.as_str())
                .collect();
            assert_eq!(got, want, "{what}");
        }
    }

    /// A second expansion (after an overlay) keeps what the first learnt from controllers
    /// that are gone by then.
    #[test]
    fn ownership_survives_a_second_expansion() {
        let (pods, counts) = expanded(
            vec![live("p-1", &[], Some(("ReplicaSet", "custom")))],
            vec![ctrl(
                "ReplicaSet",
                "custom",
                Some(("Deployment", "web")),
                None,
            )],
        );
        assert_eq!(counts.covered, 1);
        let (pods, _) = expanded(pods, vec![]);
        assert_eq!(
            of_controller(&pods, "Deployment", "default", "web"),
            vec![0]
        );
    }
}
