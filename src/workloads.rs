//! Workloads from controllers: manifests in git declare Deployments (StatefulSets, Jobs, ...)
//! rather than Pods. Each controller whose pod template no live Pod of the input stands for
//! becomes one workload: a `Pod` built from the template (labels, annotations,
//! serviceAccountName, hostNetwork) whose `kind` names the controller. Such a workload has no
//! `status.phase`, so enrollment follows the offline rule of SEMANTICS.md 2.1 (labels and the
//! injector's selectors), never the live annotations. Pure: no I/O.

use crate::model::{Controller, ObjectMeta, Pod, PodStatus};
use crate::snapshot::Snapshot;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

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

/// `pod-template-hash` (Deployment) and `rollouts-pod-template-hash` (Argo Rollout): the
/// suffix a ReplicaSet name carries after its parent's name.
const TEMPLATE_HASH_LABELS: &[&str] = &["pod-template-hash", "rollouts-pod-template-hash"];

type Key = (String, String, String); // (namespace, kind, name)

fn key(ns: &str, kind: &str, name: &str) -> Key {
    (ns.to_string(), kind.to_string(), name.to_string())
}

/// The controllers a live pod (or a controller) belongs to, walking up `ownerReferences`
/// through the controllers of the input, and through names where the owner is not in the
/// input (ReplicaSet `<deployment>-<pod-template-hash>`, Job `<cronjob>-<schedule time>`).
fn owners(meta: &ObjectMeta, by_key: &BTreeMap<Key, &Controller>, out: &mut HashSet<Key>) {
    let ns = meta.namespace.as_str();
    let mut refs: Vec<(String, String)> = meta
        .owner_references
        .iter()
        .map(|o| (o.kind.clone(), o.name.clone()))
        .collect();
    // Hand-written or stripped pods: `<deployment>-<hash>-<suffix>` with the hash label.
    if refs.is_empty() {
        for l in TEMPLATE_HASH_LABELS {
            if let Some(h) = meta.label(l).filter(|h| !h.is_empty()) {
                if let Some(i) = meta.name.find(&format!("-{h}-")) {
                    refs.push((
                        "ReplicaSet".into(),
                        meta.name[..i + 1 + h.len()].to_string(),
                    ));
                }
            }
        }
    }
    for (kind, name) in refs {
        let k = key(ns, &kind, &name);
        if !out.insert(k.clone()) {
            continue;
        }
        if let Some(c) = by_key.get(&k) {
            owners(&c.metadata, by_key, out);
        }
        match kind.as_str() {
            "ReplicaSet" => {
                for l in TEMPLATE_HASH_LABELS {
                    let hash = meta
                        .label(l)
                        .or_else(|| by_key.get(&k).and_then(|c| c.metadata.label(l)));
                    if let Some(parent) = hash.and_then(|h| name.strip_suffix(&format!("-{h}"))) {
                        out.insert(key(ns, "Deployment", parent));
                        out.insert(key(ns, "Rollout", parent));
                    }
                }
            }
            "Job" => {
                // CronJob jobs are named `<cronjob>-<minutes since epoch>`.
                if let Some((parent, t)) = name.rsplit_once('-') {
                    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                        out.insert(key(ns, "CronJob", parent));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Turns `snap.controllers` into workloads in `snap.pods` (once: the list is drained), and
/// reads the deprecated `serviceAccount` alias where `serviceAccountName` is unset.
pub fn expand(snap: &mut Snapshot) {
    let controllers = std::mem::take(&mut snap.controllers);
    let mut counts = std::mem::take(&mut snap.controller_counts);
    // Controllers that something else in the input stands for: live pods cover their
    // owners; a parent controller covers its children (a Deployment its ReplicaSets).
    // Nothing to cover without controllers (a live cluster's pods, `kubectl get pods`).
    let mut covered: HashSet<Key> = HashSet::new();
    if !controllers.is_empty() {
        let by_key: BTreeMap<Key, &Controller> = controllers
            .iter()
            .map(|c| (key(&c.metadata.namespace, &c.kind, &c.metadata.name), c))
            .collect();
        for p in &snap.pods {
            owners(&p.metadata, &by_key, &mut covered);
        }
        for c in &controllers {
            let mut parents = HashSet::new();
            owners(&c.metadata, &by_key, &mut parents);
            if parents.iter().any(|k| by_key.contains_key(k)) {
                covered.insert(key(&c.metadata.namespace, &c.kind, &c.metadata.name));
            }
        }
    }
    // Each controller is consumed: its template becomes the workload, moved, not copied.
    for c in controllers {
        if covered.contains(&key(&c.metadata.namespace, &c.kind, &c.metadata.name)) {
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
        snap.pods.push(Pod {
            kind,
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
    for p in &mut snap.pods {
        if p.spec.service_account_name.is_empty() && !p.spec.service_account.is_empty() {
            p.spec.service_account_name = p.spec.service_account.clone();
        }
    }
    snap.controller_counts = counts;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OwnerReference, PodTemplate};

    fn meta(
        ns: &str,
        name: &str,
        labels: &[(&str, &str)],
        owner: Option<(&str, &str)>,
    ) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            namespace: ns.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            owner_references: owner
                .map(|(k, n)| {
                    vec![OwnerReference {
                        kind: k.into(),
                        name: n.into(),
                    }]
                })
                .unwrap_or_default(),
            ..ObjectMeta::default()
        }
    }

    fn ctrl(kind: &str, name: &str, owner: Option<(&str, &str)>, hash: Option<&str>) -> Controller {
        let labels: Vec<(&str, &str)> = hash
            .map(|h| vec![("pod-template-hash", h)])
            .unwrap_or_default();
        let mut c = Controller {
            kind: kind.into(),
            metadata: meta("default", name, &labels, owner),
            ..Controller::default()
        };
        let mut t = PodTemplate::default();
        t.metadata.labels.insert("app".into(), name.into());
        t.spec.service_account = "legacy-sa".into();
        if kind == "CronJob" {
            c.spec.job_template = Some(crate::model::JobTemplate {
                spec: crate::model::JobTemplateSpec { template: Some(t) },
            });
        } else {
            c.spec.template = Some(t);
        }
        c
    }

    fn live(name: &str, labels: &[(&str, &str)], owner: Option<(&str, &str)>) -> Pod {
        Pod {
            metadata: meta("default", name, labels, owner),
            status: PodStatus {
                phase: "Running".into(),
                ..PodStatus::default()
            },
            ..Pod::default()
        }
    }

    /// (kind, name) of every workload after expansion.
    fn workloads(
        pods: Vec<Pod>,
        controllers: Vec<Controller>,
    ) -> (Vec<(String, String)>, ControllerCounts) {
        let mut s = Snapshot {
            pods,
            controllers,
            ..Snapshot::default()
        };
        expand(&mut s);
        let mut v: Vec<_> = s
            .pods
            .iter()
            .map(|p| (p.kind().to_string(), p.metadata.name.clone()))
            .collect();
        v.sort();
        (v, s.controller_counts)
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
        let mut s = Snapshot {
            controllers: vec![ctrl("CronJob", "backup", None, None), no_template],
            ..Snapshot::default()
        };
        expand(&mut s);
        assert_eq!(s.pods.len(), 1);
        let w = &s.pods[0];
        assert_eq!(
            (w.kind(), w.metadata.label("app")),
            ("CronJob", Some("backup"))
        );
        assert_eq!(
            w.spec.service_account_name, "legacy-sa",
            "serviceAccount alias"
        );
        assert!(w.status.phase.is_empty(), "declared, not live");
        assert_eq!(s.controller_counts.without_template, 1);
        assert_eq!(s.controller_counts.from_templates["CronJob"], 1);
        // Idempotent: the controllers were drained.
        expand(&mut s);
        assert_eq!(s.pods.len(), 1);
    }
}
