//! Workloads from controllers: manifests in git declare Deployments (StatefulSets, Jobs, ...)
//! rather than Pods. Each controller whose pod template no live Pod of the input stands for
//! becomes one workload: a `Pod` built from the template (labels, annotations,
//! serviceAccountName, hostNetwork) whose `kind` names the controller. Such a workload has no
//! `status.phase`, so enrollment follows the offline rule of SEMANTICS.md 2.1 (labels and the
//! injector's selectors), never the live annotations. Pure: no I/O, and no Snapshot: these
//! functions take the lists they work on, so the Snapshot (which calls `expand` when it
//! normalises) sits above them.
//!
//! `owners`: which controllers a pod (or a controller) belongs to, and which workloads stand
//! for a controller; `expand`: pod templates into workloads.

mod expand;
mod owners;

pub use expand::{expand, skip_helm_test_hooks, ControllerCounts};
pub use owners::{by_pod_name, controller_chain, of_controller, Workloads};

/// Objects for the tests of both halves.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Controller, ObjectMeta, OwnerReference, Pod, PodStatus, PodTemplate};

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

    pub(super) fn ctrl(
        kind: &str,
        name: &str,
        owner: Option<(&str, &str)>,
        hash: Option<&str>,
    ) -> Controller {
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

    pub(super) fn live(name: &str, labels: &[(&str, &str)], owner: Option<(&str, &str)>) -> Pod {
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
    pub(super) fn expanded(
        mut pods: Vec<Pod>,
        mut controllers: Vec<Controller>,
    ) -> (Vec<Pod>, ControllerCounts) {
        let mut counts = ControllerCounts::default();
        expand(&mut pods, &mut controllers, &mut counts);
        assert!(controllers.is_empty(), "drained");
        (pods, counts)
    }
}
