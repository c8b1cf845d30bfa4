//! Expansion: each controller that no live pod (or parent controller) of the input stands
//! for becomes one workload made from its pod template.

use super::owners::{owners, Key};
use crate::model::{Controller, ObjectMeta, Pod, PodStatus};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What `expand` did, for the report's assumptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ControllerCounts {
    /// Workloads made from pod templates, by controller kind.
    pub from_templates: BTreeMap<String, usize>,
    /// Controllers left out because live Pods (or a parent controller) of the input stand
    /// for them: counted once.
    pub covered: usize,
    /// Controllers without a pod template (an Argo Rollout with `workloadRef`).
    pub without_template: usize,
}

/// Helm test hooks (`helm.sh/hook: test`, Helm 2's `test-success`/`test-failure`) are
/// rendered by `helm template` but run only by `helm test`, never by `helm install`: from
/// manifests they are no workloads. Read from a cluster (no origin) they ran, and stay.
/// Returns how many were left out (pods and controllers), for the report's assumptions.
pub fn skip_helm_test_hooks(pods: &mut Vec<Pod>, controllers: &mut Vec<Controller>) -> usize {
    let hook = |m: &ObjectMeta| {
        m.origin.is_some()
            && m.annotation("helm.sh/hook")
                .is_some_and(|h| h.split(',').any(|h| h.trim().starts_with("test")))
    };
    let before = pods.len() + controllers.len();
    pods.retain(|p| !hook(&p.metadata));
    controllers.retain(|c| !hook(&c.metadata));
    before - pods.len() - controllers.len()
}

/// Turns `controllers` into workloads in `pods` (once: the list is drained), counting in
/// `counts` what became of them, and reads the deprecated `serviceAccount` alias where
/// `serviceAccountName` is unset. Helm test hooks are left out before
/// (`skip_helm_test_hooks`).
pub fn expand(
    pods: &mut Vec<Pod>,
    controllers: &mut Vec<Controller>,
    counts: &mut ControllerCounts,
) {
    let controllers = std::mem::take(controllers);
    let (covered, children) = cover(pods, &controllers);
    // Each controller is consumed: its template becomes the workload, moved, not copied.
    for ((c, covered), children) in controllers.into_iter().zip(covered).zip(children) {
        if covered {
            counts.covered += 1;
            continue;
        }
        let Controller {
            kind,
            metadata,
            spec,
        } = c;
        let Some(t) = spec
            .template
            .or_else(|| spec.job_template.and_then(|j| j.spec.template))
        else {
            counts.without_template += 1;
            continue;
        };
        *counts.from_templates.entry(kind.clone()).or_default() += 1;
        let mut stands_for = vec![(kind.clone(), metadata.name.clone())];
        stands_for.extend(children);
        pods.push(Pod {
            kind,
            controllers: stands_for.into(),
            metadata: ObjectMeta {
                name: metadata.name,
                namespace: metadata.namespace,
                labels: t.metadata.labels,
                annotations: t.metadata.annotations,
                creation_timestamp: metadata.creation_timestamp,
                owner_references: vec![],
                origin: metadata.origin,
            },
            spec: t.spec,
            // No phase: a declared workload, enrolled by the offline rule.
            status: PodStatus::default(),
        });
    }
    // Of a workload's containers only named ports and probes matter (NetworkPolicy): the
    // rest, and their env, would be held through the analysis for nothing.
    pods.iter_mut().for_each(Pod::slim);
}

/// A controller's (namespace, kind, name).
fn of(c: &Controller) -> Key<'_> {
    (&c.metadata.namespace, &c.kind, &c.metadata.name)
}

/// What a workload stands for: (kind, name) of controllers, sorted.
type Chain = Arc<[(String, String)]>;

/// Which `controllers` something else in the input stands for: live pods cover their
/// owners; a parent controller covers its children (a Deployment its ReplicaSets). And,
/// for each controller, the children (kind, name) it covers.
fn cover<'c>(
    pods: &mut [Pod],
    controllers: &'c [Controller],
) -> (Vec<bool>, Vec<Vec<(String, String)>>) {
    let by_key: BTreeMap<Key<'c>, &'c Controller> =
        controllers.iter().map(|c| (of(c), c)).collect();
    // Only a controller of the input can be covered: a set of every owner of every pod
    // would grow with the pods, and outgrow the caches, for nothing (issue 16).
    let mut covered: HashSet<Key<'c>> = HashSet::new();
    let chains = chains(pods, &by_key, &mut covered);
    for (p, chain) in pods.iter_mut().zip(chains) {
        if let Some(chain) = chain {
            p.controllers = chain;
        }
    }
    // A declared parent also stands for the children it covers (`rs/NS/NAME` finds the
    // Deployment's workload when only the Deployment and its ReplicaSet are in the input).
    let mut children: BTreeMap<Key<'c>, Vec<Key<'c>>> = BTreeMap::new();
    let mut parents = Vec::new();
    for c in controllers {
        parents.clear();
        owners(&c.metadata, &by_key, &mut parents);
        for parent in parents.iter().filter(|k| by_key.contains_key(*k)) {
            children.entry(*parent).or_default().push(of(c));
            covered.insert(of(c));
        }
    }
    let covers = (controllers.iter())
        .map(|c| covered.contains(&of(c)))
        .collect();
    let children = (controllers.iter())
        .map(|c| {
            (children.get(&of(c)).into_iter().flatten())
                .map(|&(_, kind, name)| (kind.to_string(), name.to_string()))
                .collect()
        })
        .collect();
    (covers, children)
}

/// Each pod's controller chain, where it changes (`None`: it does not): pods remember their
/// chain even when no controller is in the input (live pods: `check --from deploy/NS/NAME`
/// finds them through it). The replicas of one controller share one list. Adds to
/// `covered` the controllers of the input the pods belong to.
///
/// Worked on borrowed names, and allocated only for a chain not seen before: a big mesh's
/// pods each have two or three controllers (issue 16).
fn chains<'c>(
    pods: &[Pod],
    by_key: &BTreeMap<Key<'c>, &'c Controller>,
    covered: &mut HashSet<Key<'c>>,
) -> Vec<Option<Chain>> {
    let mut seen: HashMap<Vec<(&str, &str)>, Chain> = HashMap::new();
    let (mut mine, mut before, mut all) = (Vec::new(), Vec::new(), Vec::new());
    let mut out: Vec<Option<Chain>> = Vec::with_capacity(pods.len());
    for (i, p) in pods.iter().enumerate() {
        std::mem::swap(&mut mine, &mut before);
        mine.clear();
        owners(&p.metadata, by_key, &mut mine);
        // Replicas come one after the other (a list is sorted by name): the same owners,
        // controllers and namespace as the pod before make the same chain, already counted.
        if let Some(q) = i.checked_sub(1).map(|q| &pods[q]) {
            if mine == before
                && p.controllers == q.controllers
                && p.metadata.namespace == q.metadata.namespace
            {
                out.push(out[i - 1].clone());
                continue;
            }
        }
        covered.extend(mine.iter().filter_map(|k| by_key.get(k)).map(|c| of(c)));
        // A union: `expand` runs again after an overlay, when the controllers that told a
        // ReplicaSet's parent are gone.
        all.clear();
        all.extend(p.controllers.iter().map(|(k, n)| (k.as_str(), n.as_str())));
        for &(ns, kind, name) in &mine {
            if ns == p.metadata.namespace && !all.contains(&(kind, name)) {
                all.push((kind, name));
            }
        }
        all.sort_unstable();
        out.push(match seen.get(all.as_slice()) {
            Some(chain) => Some(chain.clone()),
            None if all.is_empty() => None,
            None => {
                let chain: Chain = if (p.controllers.iter())
                    .map(|(k, n)| (k.as_str(), n.as_str()))
                    .eq(all.iter().copied())
                {
                    p.controllers.clone()
                } else {
                    (all.iter())
                        .map(|&(k, n)| (k.to_string(), n.to_string()))
                        .collect()
                };
                seen.insert(all.clone(), chain.clone());
                Some(chain)
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ctrl, expanded, live};
    use super::*;

    /// (kind, name) of every workload after expansion.
    fn workloads(
        pods: Vec<Pod>,
        controllers: Vec<Controller>,
    ) -> (Vec<(String, String)>, ControllerCounts) {
        let (pods, counts) = expanded(pods, controllers);
        let mut v: Vec<_> = pods
            .iter()
            .map(|p| (p.kind().to_string(), p.metadata.name.clone()))
            .collect();
        v.sort();
        (v, counts)
    }

    fn names(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, n)| (k.to_string(), n.to_string()))
            .collect()
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn controllers_and_their_live_pods_count_once() {
        let rs = || {
            ctrl(
                "ReplicaSet",
                "web-5f7d",
                Some(("Deployment", "web")),
                Some("5f7d"),
            )
        };
        let cases: Vec<(&str, Vec<Pod>, Vec<Controller>, Vec<(&str, &str)>)> = vec![
            (
                "deployment alone",
                vec![],
                vec![ctrl("Deployment", "web", None, None)],
                vec![("Deployment", "web")],
            ),
            (
                "pod owned by a ReplicaSet not in the input: name minus hash is the Deployment",
                vec![live(
                    "web-5f7d-abcde",
                    &[("pod-template-hash", "5f7d")],
                    Some(("ReplicaSet", "web-5f7d")),
                )],
                vec![ctrl("Deployment", "web", None, None)],
                vec![("Pod", "web-5f7d-abcde")],
            ),
            (
                "kubectl get dump: Deployment, ReplicaSet, Pod",
                vec![live(
                    "web-5f7d-abcde",
                    &[("pod-template-hash", "5f7d")],
                    Some(("ReplicaSet", "web-5f7d")),
                )],
                vec![ctrl("Deployment", "web", None, None), rs()],
                vec![("Pod", "web-5f7d-abcde")],
            ),
            (
                "Deployment and its ReplicaSet, no pod: the Deployment stands for both",
                vec![],
                vec![ctrl("Deployment", "web", None, None), rs()],
                vec![("Deployment", "web")],
            ),
            (
                "hand-written pod without ownerReferences, with the hash label",
                vec![live(
                    "web-5f7d-abcde",
                    &[("pod-template-hash", "5f7d")],
                    None,
                )],
                vec![ctrl("Deployment", "web", None, None)],
                vec![("Pod", "web-5f7d-abcde")],
            ),
            (
                "another Deployment's pod does not cover it",
                vec![live(
                    "api-1a2b-abcde",
                    &[("pod-template-hash", "1a2b")],
                    Some(("ReplicaSet", "api-1a2b")),
                )],
                vec![ctrl("Deployment", "web", None, None)],
                vec![("Deployment", "web"), ("Pod", "api-1a2b-abcde")],
            ),
            (
                "StatefulSet pod",
                vec![live("db-0", &[], Some(("StatefulSet", "db")))],
                vec![
                    ctrl("StatefulSet", "db", None, None),
                    ctrl("DaemonSet", "agent", None, None),
                ],
                vec![("DaemonSet", "agent"), ("Pod", "db-0")],
            ),
            (
                "CronJob's Job pod",
                vec![live(
                    "backup-28012345-xyz",
                    &[],
                    Some(("Job", "backup-28012345")),
                )],
                vec![
                    ctrl("CronJob", "backup", None, None),
                    ctrl("Job", "once", None, None),
                ],
                vec![("Job", "once"), ("Pod", "backup-28012345-xyz")],
            ),
            (
                "Argo Rollout through its ReplicaSet",
                vec![live(
                    "canary-77aa-abcde",
                    &[("rollouts-pod-template-hash", "77aa")],
                    Some(("ReplicaSet", "canary-77aa")),
                )],
                vec![
                    ctrl("Rollout", "canary", None, None),
                    ctrl("ReplicationController", "old", None, None),
                ],
                vec![
                    ("Pod", "canary-77aa-abcde"),
                    ("ReplicationController", "old"),
                ],
            ),
        ];
        for (what, pods, ctrls, want) in cases {
            assert_eq!(workloads(pods, ctrls).0, names(&want), "{what}");
        }
    }

    #[test]
    fn template_fields_and_counts() {
        let mut no_template = ctrl("Rollout", "ref", None, None);
        no_template.spec.template = None;
        let (mut pods, mut controllers, mut counts) = (
            vec![],
            vec![ctrl("CronJob", "backup", None, None), no_template],
            ControllerCounts::default(),
        );
        expand(&mut pods, &mut controllers, &mut counts);
        assert_eq!(pods.len(), 1);
        let w = &pods[0];
        assert_eq!(
            (w.kind(), w.metadata.label("app")),
            ("CronJob", Some("backup"))
        );
        assert_eq!(
            w.spec.service_account_name, "legacy-sa",
            "serviceAccount alias"
        );
        assert!(w.status.phase.is_empty(), "declared, not live");
        assert_eq!(counts.without_template, 1);
        assert_eq!(counts.from_templates["CronJob"], 1);
        // Idempotent: the controllers were drained.
        expand(&mut pods, &mut controllers, &mut counts);
        assert_eq!(pods.len(), 1);
    }
}
