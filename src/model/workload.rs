//! Controllers whose pod template declares workloads (Deployment, StatefulSet, DaemonSet,
//! ReplicaSet, ReplicationController, Job, CronJob, Argo Rollout), as manifests in git hold
//! them instead of Pods. Only what the analysis reads of the template is decoded.

use super::{null_default, ObjectMeta, PodSpec};
use serde::Deserialize;

/// A workload controller. `kind` is set by the source; `spec.template` (or, for a CronJob,
/// `spec.jobTemplate.spec.template`) is the pod template.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Controller {
    #[serde(skip)]
    pub kind: String,
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: ControllerSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerSpec {
    /// Absent on an Argo Rollout that uses `workloadRef` instead of a template.
    #[serde(default)]
    pub template: Option<PodTemplate>,
    #[serde(default)]
    pub job_template: Option<JobTemplate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct JobTemplate {
    #[serde(default, deserialize_with = "null_default")]
    pub spec: JobTemplateSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct JobTemplateSpec {
    #[serde(default)]
    pub template: Option<PodTemplate>,
}

/// A pod template: the labels, annotations and pod spec every pod of the controller gets.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PodTemplate {
    #[serde(default, deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: PodSpec,
}

impl Controller {
    /// The pod template, wherever the kind keeps it.
    pub fn template(&self) -> Option<&PodTemplate> {
        self.spec.template.as_ref().or_else(|| {
            self.spec
                .job_template
                .as_ref()
                .and_then(|j| j.spec.template.as_ref())
        })
    }
}

/// `metadata.ownerReferences[]`: who created an object (a Pod's ReplicaSet, a ReplicaSet's
/// Deployment, a Job's CronJob).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct OwnerReference {
    #[serde(default, deserialize_with = "null_default")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
}

/// The controller kinds read as workloads, by (API group, kind).
pub const CONTROLLER_KINDS: &[(&str, &str)] = &[
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("", "ReplicationController"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("argoproj.io", "Rollout"),
];
