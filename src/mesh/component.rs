//! Istio's own pods: ztunnel, istiod, istio-cni and Istio's (non Gateway API) gateways. They
//! are the mesh's machinery, not its workloads: no policy is enforced *for* them by
//! ztunnel, so a policy that selects them (a root-namespace policy selects every pod) must not
//! be reported as unenforced there, and advice to enrol them would break the mesh. They are
//! left out of the workloads, paths and matrix, and named in the assumptions.

use crate::model::labels::GATEWAY_NAME;
use crate::model::Pod;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Component {
    /// `app: ztunnel`: istio-cni never adds a ztunnel pod to the mesh
    /// (`IsZtunnelPod`, cni/pkg/util/podutil.go; `InformerHandlers` skips them).
    Ztunnel,
    /// `app: istiod` (the istiod chart's pod label), the control plane.
    Istiod,
    /// `k8s-app: istio-cni-node` (the istio-cni chart's DaemonSet), a hostNetwork node agent.
    Cni,
    /// An Istio gateway deployed by the `gateway` chart or istioctl (`istio-ingressgateway`):
    /// a pod whose only container is the `istio-proxy` Envoy, not a Gateway API gateway. Its
    /// Envoy enforces the policies that select it; it is no ztunnel-captured workload.
    Gateway,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Ztunnel => "ztunnel",
            Component::Istiod => "istiod",
            Component::Cni => "istio-cni",
            Component::Gateway => "istio-gateway",
        }
    }
}

/// Which Istio component `p` is, if any. The labels are those of Istio's Helm charts (the
/// shapes `helm template`, `istioctl install` and a live cluster show); the namespace is not
/// required, since manifests of a component often come without istiod's.
pub fn component(p: &Pod) -> Option<Component> {
    let m = &p.metadata;
    if m.label("app") == Some("ztunnel") {
        return Some(Component::Ztunnel);
    }
    if m.label("app") == Some("istiod") || m.label("istio") == Some("pilot") {
        return Some(Component::Istiod);
    }
    if m.label("k8s-app") == Some("istio-cni-node") {
        return Some(Component::Cni);
    }
    let only_proxy = p.spec.only_proxy();
    let classic_label = m
        .label("istio")
        .is_some_and(|v| v.ends_with("gateway") && v != "gateway");
    if m.label(GATEWAY_NAME).is_none() && (only_proxy || classic_label) {
        return Some(Component::Gateway);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Container, ObjectMeta, PodSpec};

    fn pod(labels: &[(&str, &str)], containers: &[&str]) -> Pod {
        Pod {
            metadata: ObjectMeta {
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..ObjectMeta::default()
            },
            spec: PodSpec {
                containers: containers
                    .iter()
                    .map(|n| Container {
                        name: n.to_string(),
                        ..Container::default()
                    })
                    .collect(),
                ..PodSpec::default()
            },
            ..Pod::default()
        }
    }

    #[test]
    fn the_charts_labels_name_the_components() {
        let c = |l: &[(&str, &str)], cs: &[&str]| component(&pod(l, cs));
        assert_eq!(
            c(&[("app", "ztunnel")], &["istio-proxy"]),
            Some(Component::Ztunnel)
        );
        assert_eq!(
            c(&[("app", "istiod")], &["discovery"]),
            Some(Component::Istiod)
        );
        assert_eq!(
            c(&[("k8s-app", "istio-cni-node")], &["install-cni"]),
            Some(Component::Cni)
        );
        // istioctl's classic gateway, and the `gateway` chart's (no `istio` label needed).
        assert_eq!(
            c(&[("istio", "ingressgateway")], &["istio-proxy"]),
            Some(Component::Gateway)
        );
        assert_eq!(
            c(&[("app", "edge")], &["istio-proxy"]),
            Some(Component::Gateway)
        );
        // Once the containers are dropped (`slim_containers`, at expansion), as the Mesh
        // sees every pod.
        for (labels, containers, want) in [
            (
                &[("app", "edge")][..],
                &["istio-proxy"][..],
                Some(Component::Gateway),
            ),
            (&[("app", "web")], &["web", "istio-proxy"], None),
            (&[("app", "web")], &[], None),
        ] {
            let mut p = pod(labels, containers);
            p.spec.slim_containers();
            assert!(p.spec.containers.is_empty());
            assert_eq!(component(&p), want, "{labels:?} {containers:?}");
        }
    }

    #[test]
    fn applications_are_not_components() {
        let c = |l: &[(&str, &str)], cs: &[&str]| component(&pod(l, cs));
        // A sidecar-injected application has its own container beside istio-proxy.
        assert_eq!(c(&[("app", "web")], &["web", "istio-proxy"]), None);
        assert_eq!(c(&[("app", "ztunnel-docs")], &["web"]), None);
        // A Gateway API gateway's pod is a waypoint or an ingress of the Mesh, not this.
        assert_eq!(c(&[(GATEWAY_NAME, "waypoint")], &["istio-proxy"]), None);
        assert_eq!(c(&[("istio", "gateway")], &["web"]), None);
    }
}
