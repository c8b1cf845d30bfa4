//! `--from`: the client a source names, and how it reaches the mesh.

use super::*;
use crate::enforce::hops::SourceClass;
use crate::mesh::{spiffe, Component, Dataplane, Mesh, Role};
use std::net::IpAddr;

/// How the client reaches the mesh (SEMANTICS.md 3.5 source classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClass {
    /// A captured pod: its ztunnel sends HBONE with its identity.
    Ambient,
    /// A sidecar-injected pod: straight to the destination, bypassing waypoints.
    Sidecar,
    /// An ingress gateway (`Mesh::waypoints[i]` when it is a Gateway in the input).
    Ingress(Option<usize>),
    /// Plaintext from outside the mesh (an external client or an uncaptured pod).
    Plaintext,
}

impl ClientClass {
    /// The engine's source class (`enforce::hops`).
    pub fn source_class(self) -> SourceClass {
        match self {
            ClientClass::Ambient => SourceClass::Ambient,
            ClientClass::Sidecar => SourceClass::Sidecar,
            ClientClass::Ingress(_) => SourceClass::Ingress,
            ClientClass::Plaintext => SourceClass::Plaintext,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    /// What the user named, normalised (`pod/default/x`).
    pub label: String,
    pub class: ClientClass,
    /// The SPIFFE identity it presents; `None` for plaintext.
    pub identity: Option<String>,
    pub ip: Option<IpAddr>,
    /// The pod it stands for, if any.
    pub pod: Option<usize>,
    /// Where this came from when it is a guess (said in the output).
    pub assumption: Option<String>,
}

/// A client standing for pod `p`, by its dataplane.
fn pod_client(mesh: &Mesh, p: usize, label: String) -> Client {
    let info = &mesh.pods[p];
    let class = match (info.role, info.dataplane) {
        (Role::Ingress(g), _) => ClientClass::Ingress(Some(g)),
        (_, Dataplane::Ambient) => ClientClass::Ambient,
        (_, Dataplane::Sidecar) => ClientClass::Sidecar,
        (_, Dataplane::None) => ClientClass::Plaintext,
    };
    Client {
        label,
        class,
        identity: (class != ClientClass::Plaintext).then(|| info.identity.to_string()),
        ip: pod_ip(mesh.snap, p),
        pod: Some(p),
        assumption: None,
    }
}

pub fn resolve_source(mesh: &Mesh, spec: &SourceSpec) -> Result<Client> {
    let snap = mesh.snap;
    let td = snap.mesh.trust_domain();
    match spec {
        SourceSpec::Pod { ns, name } => {
            let p =
                find_pod(snap, ns, name).ok_or_else(|| not_found(format!("pod {ns}/{name}")))?;
            Ok(pod_client(mesh, p, format!("pod/{ns}/{name}")))
        }
        SourceSpec::Workload { kind, ns, name } => {
            let pods = workload_pods(snap, kind, ns, name);
            let p = *pods
                .first()
                .ok_or_else(|| controller_not_found(kind, ns, name))?;
            let mut c = pod_client(mesh, p, format!("{}/{ns}/{name}", short_kind(kind)));
            if pods.len() > 1 {
                c.assumption = Some(format!(
                    "{kind} {ns}/{name} has {} pods; evaluated as {}",
                    pods.len(),
                    snap.pods[p].metadata.name
                ));
            }
            Ok(c)
        }
        SourceSpec::ServiceAccount { ns, name } => {
            let pod = snap
                .pods
                .iter()
                .position(|p| p.metadata.namespace == *ns && p.spec.service_account_name == *name);
            let label = format!("sa/{ns}/{name}");
            match pod {
                Some(p) => {
                    let mut c = pod_client(mesh, p, label);
                    c.ip = None;
                    c.pod = None;
                    Ok(c)
                }
                None => Ok(Client {
                    label,
                    class: ClientClass::Ambient,
                    identity: Some(spiffe(td, ns, name)),
                    ip: None,
                    pod: None,
                    assumption: Some(format!(
                        "no pod runs as {ns}/{name} in the input: assumed an ambient client"
                    )),
                }),
            }
        }
        SourceSpec::Ingress(named) => resolve_ingress(mesh, named.as_ref()),
        SourceSpec::External => Ok(Client {
            label: "external".into(),
            class: ClientClass::Plaintext,
            identity: None,
            ip: None,
            pod: None,
            assumption: None,
        }),
    }
}

/// Ingress gateways in the input: Gateways that are not waypoints.
fn ingress_gateways(mesh: &Mesh) -> Vec<usize> {
    (0..mesh.waypoints.len())
        .filter(|&g| !mesh.waypoints[g].is_waypoint)
        .collect()
}

fn gateway_client(mesh: &Mesh, g: usize) -> Client {
    let w = &mesh.waypoints[g];
    let pod = mesh.pods.iter().position(|p| p.role == Role::Ingress(g));
    Client {
        label: format!("ingress/{}/{}", w.namespace, w.name),
        class: ClientClass::Ingress(Some(g)),
        // `NAME-istio` (or the annotation), or the SA its pods actually run as.
        identity: Some(w.identities[0].clone()),
        ip: pod.and_then(|p| pod_ip(mesh.snap, p)),
        pod,
        assumption: None,
    }
}

fn resolve_ingress(mesh: &Mesh, named: Option<&(String, String)>) -> Result<Client> {
    let snap = mesh.snap;
    if let Some((ns, name)) = named {
        if let Some(g) = mesh
            .waypoints
            .iter()
            .position(|w| w.namespace == *ns && w.name == *name)
        {
            return Ok(gateway_client(mesh, g));
        }
        // An ingress gateway Deployment (Istio's classic `istio-ingressgateway`).
        let pods = workload_pods(snap, "Deployment", ns, name);
        let p = *pods.first().ok_or_else(|| {
            not_found(format!(
                "ingress gateway {ns}/{name} (no Gateway and no Deployment pod)"
            ))
        })?;
        let mut c = pod_client(mesh, p, format!("ingress/{ns}/{name}"));
        c.class = ClientClass::Ingress(None);
        c.identity = Some(mesh.pods[p].identity.to_string());
        return Ok(c);
    }
    let gws = ingress_gateways(mesh);
    // Istio's own ingress gateways (the `gateway` chart, istioctl's `istio-ingressgateway`):
    // one per identity, egress gateways left out.
    let mut classic: Vec<usize> = (0..snap.pods.len())
        .filter(|&p| {
            mesh.pods[p].role == Role::Istio(Component::Gateway)
                && !(snap.pods[p].metadata.label("istio")).is_some_and(|v| v.contains("egress"))
        })
        .collect();
    classic.sort_by_key(|&p| &mesh.pods[p].identity);
    classic.dedup_by_key(|p| &mesh.pods[*p].identity);
    match (gws.as_slice(), classic.as_slice()) {
        ([g], []) => Ok(gateway_client(mesh, *g)),
        ([], [p]) => {
            let mut c = pod_client(mesh, *p, format!("ingress/{}", istio_gateway(snap, *p)));
            c.class = ClientClass::Ingress(None);
            c.identity = Some(mesh.pods[*p].identity.to_string());
            Ok(c)
        }
        _ => {
            let many = gws.len() + classic.len() > 1;
            Ok(Client {
                label: "ingress".into(),
                class: ClientClass::Ingress(None),
                identity: Some(spiffe(
                    snap.mesh.trust_domain(),
                    DEFAULT_INGRESS_NS,
                    DEFAULT_INGRESS_SA,
                )),
                ip: None,
                pod: None,
                assumption: Some(if many {
                    format!(
                        "{} ingress gateways in the input; name one with ingress/NS/NAME. Assumed Istio's default {DEFAULT_INGRESS_NS}/{DEFAULT_INGRESS_SA}",
                        gws.len() + classic.len()
                    )
                } else {
                    format!("no ingress gateway in the input: assumed Istio's default identity {DEFAULT_INGRESS_NS}/{DEFAULT_INGRESS_SA}")
                }),
            })
        }
    }
}
