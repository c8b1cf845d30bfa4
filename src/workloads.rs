//! Workloads from controllers: manifests in git declare Deployments (StatefulSets, Jobs, ...)
//! rather than Pods. Each controller whose pod template no live Pod of the input stands for
//! becomes one workload: a `Pod` built from the template (labels, annotations,
//! serviceAccountName, hostNetwork) whose `kind` names the controller. Such a workload has no
//! `status.phase`, so enrollment follows the offline rule of SEMANTICS.md 2.1 (labels and the
//! injector's selectors), never the live annotations. Pure: no I/O, and no Snapshot: these
//! functions take the lists they work on, so the Snapshot (which calls `expand` when it
//! normalises) sits above them.

use crate::model::{Controller, ObjectMeta, Pod, PodStatus};
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

/// Adds `keys` to the controllers `p` stands for. A union: `expand` runs again after an
/// overlay, when the controllers that told a ReplicaSet's parent are gone.
fn remember<'a>(p: &mut Pod, keys: impl Iterator<Item = &'a Key>) {
    for (ns, kind, name) in keys {
        let k = (kind.clone(), name.clone());
        if *ns == p.metadata.namespace && !p.controllers.contains(&k) {
            p.controllers.push(k);
        }
    }
    p.controllers.sort();
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
    let mut out = HashSet::new();
    owners(meta, &BTreeMap::new(), &mut out);
    out
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
    // Controllers that something else in the input stands for: live pods cover their
    // owners; a parent controller covers its children (a Deployment its ReplicaSets).
    // Pods remember their controller chain even when no controller is in the input (live
    // pods: `check --from deploy/NS/NAME` finds them through it).
    let by_key: BTreeMap<Key, &Controller> = controllers
        .iter()
        .map(|c| (key(&c.metadata.namespace, &c.kind, &c.metadata.name), c))
        .collect();
    let mut covered: HashSet<Key> = HashSet::new();
    for p in pods.iter_mut() {
        let mut mine = HashSet::new();
        owners(&p.metadata, &by_key, &mut mine);
        remember(p, mine.iter());
        covered.extend(mine);
    }
    // A declared parent also stands for the children it covers (`rs/NS/NAME` finds the
    // Deployment's workload when only the Deployment and its ReplicaSet are in the input).
    let mut children: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
    for c in &controllers {
        let mut parents = HashSet::new();
        owners(&c.metadata, &by_key, &mut parents);
        let me = key(&c.metadata.namespace, &c.kind, &c.metadata.name);
        for parent in parents.iter().filter(|k| by_key.contains_key(*k)) {
            children.entry(parent.clone()).or_default().push(me.clone());
            covered.insert(me.clone());
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
        let me = key(&metadata.namespace, &kind, &metadata.name);
        let mut stands_for = vec![(kind.clone(), metadata.name.clone())];
        stands_for.extend(
            children
                .get(&me)
                .into_iter()
                .flatten()
                .map(|(_, kind, name)| (kind.clone(), name.clone())),
        );
        pods.push(Pod {
            kind,
            controllers: stands_for,
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
    for p in pods.iter_mut() {
        if p.spec.service_account_name.is_empty() && !p.spec.service_account.is_empty() {
            p.spec.service_account_name = p.spec.service_account.clone();
        }
        // Containers are read for istiod's Deployment only (its own list, not these): a
        // workload's containers and their env would be held through the analysis for nothing.
        p.spec.containers = Vec::new();
        // One or two entries each, in lists that grew to four: on a 10,000-pod mesh this
        // slack was a few percent of the peak memory.
        p.controllers.shrink_to_fit();
        p.metadata.owner_references.shrink_to_fit();
    }
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

    /// The workloads after expansion, and the counts.
    fn expanded(
        mut pods: Vec<Pod>,
        mut controllers: Vec<Controller>,
    ) -> (Vec<Pod>, ControllerCounts) {
        let mut counts = ControllerCounts::default();
        expand(&mut pods, &mut controllers, &mut counts);
        assert!(controllers.is_empty(), "drained");
        (pods, counts)
    }

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
