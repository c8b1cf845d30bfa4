//! Which pods ztunnel captures (SEMANTICS.md 2.1): istio-cni's enablement selectors, the
//! sidecar exclusion, and the live annotation when the pod came from a cluster.

use crate::model::labels::{INJECT, INJECTION, REV};
use crate::model::Pod;
use crate::selector::Labels;
use crate::snapshot::MeshSettings;
use serde::Serialize;

pub use crate::model::labels::{DATAPLANE_MODE, REDIRECTION, SIDECAR_STATUS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dataplane {
    Ambient,
    Sidecar,
    None,
}

impl Dataplane {
    pub fn as_str(self) -> &'static str {
        match self {
            Dataplane::Ambient => "ambient",
            Dataplane::Sidecar => "sidecar",
            Dataplane::None => "none",
        }
    }
}

/// The dataplane of a pod and the reason, in the user's terms.
pub fn enrollment(
    pod: &Pod,
    ns_labels: Option<&Labels>,
    mesh: &MeshSettings,
) -> (Dataplane, String) {
    let m = &pod.metadata;
    let empty = Labels::new();
    let ns_labels = ns_labels.unwrap_or(&empty);
    // A pod read from a cluster has a phase; its annotations are then ground truth.
    let live = !pod.status.phase.is_empty();
    if matches!(pod.status.phase.as_str(), "Succeeded" | "Failed") {
        return (Dataplane::None, format!("pod is {}", pod.status.phase));
    }
    if m.annotation(SIDECAR_STATUS).is_some() {
        return (
            Dataplane::Sidecar,
            format!("sidecar injected ({SIDECAR_STATUS})"),
        );
    }
    if pod.spec.host_network {
        return (
            Dataplane::None,
            "hostNetwork pods are never captured".into(),
        );
    }
    match m.annotation(REDIRECTION) {
        Some("enabled") => return (Dataplane::Ambient, format!("{REDIRECTION}=enabled")),
        Some("pending") => {
            return (
                Dataplane::Ambient,
                format!("{REDIRECTION}=pending (capture not complete)"),
            )
        }
        _ => {}
    }
    if mesh.cni_exclude_namespaces.value.contains(&m.namespace) {
        return (
            Dataplane::None,
            format!("namespace {} is excluded by istio-cni", m.namespace),
        );
    }
    if m.namespace == mesh.root() && m.label("app") == Some("ztunnel") {
        return (Dataplane::None, "ztunnel itself".into());
    }
    if !live {
        if let Some(why) = predicted_injection(pod, ns_labels) {
            return (
                Dataplane::Sidecar,
                format!("sidecar injection predicted: {why}"),
            );
        }
    }
    let pod_mode = m.label(DATAPLANE_MODE);
    let ns_mode = ns_labels.get(DATAPLANE_MODE);
    let (dp, why) = match (pod_mode, ns_mode) {
        (Some("ambient"), _) => (
            Dataplane::Ambient,
            format!("pod label {DATAPLANE_MODE}=ambient"),
        ),
        (Some("none"), _) => (
            Dataplane::None,
            format!("pod label {DATAPLANE_MODE}=none opts out"),
        ),
        (_, Some("ambient")) => (
            Dataplane::Ambient,
            format!("namespace label {DATAPLANE_MODE}=ambient"),
        ),
        _ => (
            Dataplane::None,
            format!("no {DATAPLANE_MODE}=ambient label on pod or namespace"),
        ),
    };
    if live && dp == Dataplane::Ambient {
        // Live pod that the selector rule would capture but CNI has not annotated.
        return (
            Dataplane::None,
            format!("{why}, but {REDIRECTION} is not set: not captured"),
        );
    }
    (dp, why)
}

/// The injector webhook's decision (SEMANTICS.md 2.1), for pods written by hand.
fn predicted_injection(pod: &Pod, ns: &Labels) -> Option<String> {
    let m = &pod.metadata;
    let inject_label = m.label(INJECT);
    if inject_label == Some("false") {
        return None;
    }
    let ns_injection = ns.get(INJECTION);
    let ns_rev = ns.get(REV).filter(|r| !r.is_empty());
    match (ns_injection, ns_rev) {
        (Some("enabled"), _) => Some(format!("namespace label {INJECTION}=enabled")),
        (Some(_), _) => None,
        (None, Some(rev)) => Some(format!("namespace label {REV}={rev}")),
        (None, None) => match (m.label(REV), inject_label) {
            (Some(rev), _) if !rev.is_empty() => Some(format!("pod label {REV}={rev}")),
            (_, Some("true")) => Some(format!("pod label {INJECT}=true")),
            _ => None,
        },
    }
}

/// SPIFFE identity of a pod: `spiffe://<td>/ns/<ns>/sa/<sa>` (`pkg/spiffe`).
pub fn spiffe(trust_domain: &str, ns: &str, sa: &str) -> String {
    let sa = if sa.is_empty() { "default" } else { sa };
    // By hand at its exact size, as `resource_key`.
    let mut id = String::with_capacity(9 + trust_domain.len() + 4 + ns.len() + 4 + sa.len());
    for part in ["spiffe://", trust_domain, "/ns/", ns, "/sa/", sa] {
        id.push_str(part);
    }
    id
}
