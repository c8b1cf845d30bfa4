//! `--from SOURCE` and `--to DEST`: their syntax, and what they name in the Snapshot.

use crate::enforce::hops::SourceClass;
use crate::error::{Error, Result};
use crate::mesh::{spiffe, Dataplane, Mesh, Role};
use crate::snapshot::Snapshot;
use std::net::IpAddr;

/// Istio's default ingress gateway identity, used when the input holds no ingress gateway.
pub const DEFAULT_INGRESS_NS: &str = "istio-system";
pub const DEFAULT_INGRESS_SA: &str = "istio-ingressgateway-service-account";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Pod {
        ns: String,
        name: String,
    },
    Workload {
        kind: &'static str,
        ns: String,
        name: String,
    },
    ServiceAccount {
        ns: String,
        name: String,
    },
    Ingress(Option<(String, String)>),
    External,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestSpec {
    Service {
        ns: String,
        name: String,
        port: Option<u16>,
    },
    Pod {
        ns: String,
        name: String,
        port: Option<u16>,
    },
    Workload {
        kind: &'static str,
        ns: String,
        name: String,
        port: Option<u16>,
    },
    Host {
        host: String,
        port: Option<u16>,
    },
}

fn usage(msg: String) -> Error {
    Error::Usage(msg)
}

/// `NS/NAME` or `NAME` (in `default_ns`).
fn ns_name(rest: &str, default_ns: &str, what: &str, forms: &str) -> Result<(String, String)> {
    let parts: Vec<&str> = rest.split('/').collect();
    let (ns, name) = match parts.as_slice() {
        [name] => (default_ns, *name),
        [ns, name] => (*ns, *name),
        _ => return Err(usage(format!("invalid {what} {rest:?}: want {forms}"))),
    };
    if ns.is_empty() || name.is_empty() {
        return Err(usage(format!(
            "invalid {what} {rest:?}: empty namespace or name"
        )));
    }
    Ok((ns.to_string(), name.to_string()))
}

use super::grammar::{described, names, short_kind, workload_kind};
pub use super::grammar::{kind_form, short_label};

pub fn parse_source(s: &str, default_ns: &str) -> Result<SourceSpec> {
    let forms = described(true);
    let bad = || usage(format!("unknown source {s:?}: want {forms}"));
    if s == "external" {
        return Ok(SourceSpec::External);
    }
    if s == "ingress" {
        return Ok(SourceSpec::Ingress(None));
    }
    let Some((head, rest)) = s.split_once('/') else {
        return Err(bad());
    };
    let nn = |rest: &str| ns_name(rest, default_ns, "source", &forms);
    Ok(match head {
        h if names(h, "Pod") => {
            let (ns, name) = nn(rest)?;
            SourceSpec::Pod { ns, name }
        }
        h if names(h, "ServiceAccount") => {
            let (ns, name) = nn(rest)?;
            SourceSpec::ServiceAccount { ns, name }
        }
        "ingress" => {
            let (ns, name) = nn(rest)?;
            SourceSpec::Ingress(Some((ns, name)))
        }
        k if workload_kind(k).is_some() => {
            let (ns, name) = nn(rest)?;
            SourceSpec::Workload {
                kind: workload_kind(k).unwrap_or_default(),
                ns,
                name,
            }
        }
        // `NS/NAME`: a pod.
        ns if !rest.contains('/') && !ns.is_empty() && !rest.is_empty() && !ns.contains(':') => {
            SourceSpec::Pod {
                ns: ns.to_string(),
                name: rest.to_string(),
            }
        }
        _ => return Err(bad()),
    })
}

fn split_port(s: &str, what: &str) -> Result<(String, Option<u16>)> {
    match s.rsplit_once(':') {
        Some((a, p)) => {
            let port = p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                usage(format!(
                    "invalid port {p:?} in {what} {s:?}: want a number from 1 to 65535"
                ))
            })?;
            Ok((a.to_string(), Some(port)))
        }
        None => Ok((s.to_string(), None)),
    }
}

pub fn parse_dest(s: &str, default_ns: &str) -> Result<DestSpec> {
    let forms = described(false);
    let bad = || usage(format!("unknown destination {s:?}: want {forms}"));
    let (addr, port) = split_port(s, "destination")?;
    let nn = |rest: &str| ns_name(rest, default_ns, "destination", &forms);
    let Some((head, rest)) = addr.split_once('/') else {
        // A hostname: at least `name.namespace`.
        if addr.contains('.') && !addr.starts_with('.') && !addr.ends_with('.') {
            return Ok(DestSpec::Host {
                host: addr.to_ascii_lowercase(),
                port,
            });
        }
        return Err(bad());
    };
    Ok(match head {
        h if names(h, "Service") => {
            let (ns, name) = nn(rest)?;
            DestSpec::Service { ns, name, port }
        }
        h if names(h, "Pod") => {
            let (ns, name) = nn(rest)?;
            DestSpec::Pod { ns, name, port }
        }
        k if workload_kind(k).is_some() => {
            let (ns, name) = nn(rest)?;
            DestSpec::Workload {
                kind: workload_kind(k).unwrap_or_default(),
                ns,
                name,
                port,
            }
        }
        _ => return Err(bad()),
    })
}

/// The workloads of a controller: the one its pod template declares (manifests), or the
/// live pods it owns (`crate::workloads`, which follows ownerReferences and template hashes).
/// Pods that say nothing of an owner (hand-written, like the bundled example's) count when
/// named as the controller names its pods: `NAME-<hash>-<suffix>` for a Deployment,
/// `NAME-<ordinal>` for a StatefulSet, `NAME-<suffix>` otherwise.
pub fn workload_pods(snap: &Snapshot, kind: &str, ns: &str, name: &str) -> Vec<usize> {
    let owned = crate::workloads::of_controller(snap, kind, ns, name);
    if !owned.is_empty() {
        return owned;
    }
    let prefix = format!("{name}-");
    let mut out: Vec<usize> = snap
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.metadata.namespace == ns && p.kind() == "Pod" && p.controllers.is_empty()
        })
        .filter(|(_, p)| {
            let Some(rest) = p.metadata.name.strip_prefix(&prefix) else {
                return false;
            };
            let segs: Vec<&str> = rest.split('-').collect();
            match kind {
                "Deployment" | "Rollout" => segs.len() == 2,
                "StatefulSet" => segs.len() == 1 && segs[0].chars().all(|c| c.is_ascii_digit()),
                _ => segs.len() == 1,
            }
        })
        .map(|(i, _)| i)
        .collect();
    crate::workloads::by_pod_name(snap, &mut out);
    out
}

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

fn pod_ip(snap: &Snapshot, p: usize) -> Option<IpAddr> {
    snap.pods[p].status.pod_ip.parse().ok()
}

fn find_pod(snap: &Snapshot, ns: &str, name: &str) -> Option<usize> {
    snap.pods
        .iter()
        .position(|p| p.metadata.namespace == ns && p.metadata.name == name)
}

fn not_found(what: String) -> Error {
    usage(format!("{what} was not found in the input"))
}

fn controller_not_found(kind: &str, ns: &str, name: &str) -> Error {
    usage(format!(
        "{kind} {ns}/{name} was not found in the input: neither the {kind} nor a pod it owns"
    ))
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
        identity: (class != ClientClass::Plaintext).then(|| info.identity.clone()),
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
        c.identity = Some(mesh.pods[p].identity.clone());
        return Ok(c);
    }
    let gws = ingress_gateways(mesh);
    // Classic Istio ingress gateways (Helm `gateway` chart / istioctl): pods labelled
    // `istio=ingressgateway`, counted when no Gateway API ingress is in the input.
    let classic: Vec<usize> = (0..snap.pods.len())
        .filter(|&p| snap.pods[p].metadata.label("istio") == Some("ingressgateway"))
        .collect();
    let mut classic_ids: Vec<&str> = classic
        .iter()
        .map(|&p| mesh.pods[p].identity.as_str())
        .collect();
    classic_ids.dedup();
    match gws.as_slice() {
        [g] => Ok(gateway_client(mesh, *g)),
        [] if classic_ids.len() == 1 => {
            let p = classic[0];
            let m = &snap.pods[p].metadata;
            let mut c = pod_client(mesh, p, format!("ingress/{}/{}", m.namespace, m.name));
            c.class = ClientClass::Ingress(None);
            c.identity = Some(mesh.pods[p].identity.clone());
            Ok(c)
        }
        _ => {
            let many = gws.len() > 1;
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
                        gws.len()
                    )
                } else {
                    format!("no ingress gateway in the input: assumed Istio's default identity {DEFAULT_INGRESS_NS}/{DEFAULT_INGRESS_SA}")
                }),
            })
        }
    }
}

/// What the client addresses.
pub use crate::enforce::hops::Addressed;

#[derive(Debug, Clone)]
pub struct Target {
    pub label: String,
    pub addressed: Addressed,
    /// The port the client uses (Service port, or pod port).
    pub port: Option<u16>,
    /// The pod's (target) port: what ztunnel and sidecars match.
    pub target_port: Option<u16>,
    /// The `Host` the client would send, when the destination was given as a hostname.
    pub host: Option<String>,
    /// The pods that can receive the request, sorted.
    pub endpoints: Vec<usize>,
    pub assumption: Option<String>,
}

/// The Service port's target port: a number, a name (unknown here: container ports are
/// not read) or absent (the same as the port).
fn target_port(port: &crate::model::ServicePort) -> Option<u16> {
    match &port.target_port {
        None => u16::try_from(port.port).ok(),
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    }
}

fn service_target(
    mesh: &Mesh,
    s: usize,
    port: Option<u16>,
    host: Option<String>,
) -> Result<Target> {
    let svc = &mesh.snap.services[s];
    let m = &svc.metadata;
    let ports = &svc.spec.ports;
    let listed = || {
        ports
            .iter()
            .map(|p| p.port.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sp = match port {
        Some(p) => Some(
            ports
                .iter()
                .find(|sp| sp.port == u32::from(p))
                .ok_or_else(|| {
                    usage(format!(
                        "service {}/{} does not expose port {p} (ports: {})",
                        m.namespace,
                        m.name,
                        listed()
                    ))
                })?,
        ),
        // One port: the only one a client can use.
        None if ports.len() == 1 => Some(&ports[0]),
        None => None,
    };
    Ok(Target {
        label: format!(
            "svc/{}/{}{}",
            m.namespace,
            m.name,
            sp.map(|p| format!(":{}", p.port)).unwrap_or_default()
        ),
        addressed: Addressed::Service {
            entry: false,
            index: s,
        },
        port: sp.and_then(|p| u16::try_from(p.port).ok()),
        target_port: sp.and_then(target_port),
        host,
        endpoints: mesh.services[s].pods.clone(),
        assumption: (port.is_none() && ports.len() > 1).then(|| {
            format!(
                "no --port given and the Service has ports {}: the port is unknown",
                listed()
            )
        }),
    })
}

fn pod_target(mesh: &Mesh, pods: Vec<usize>, label: String, port: Option<u16>) -> Target {
    let p = pods[0];
    let assumption = (pods.len() > 1).then(|| {
        format!(
            "{label} has {} pods; evaluated by the IP of {}",
            pods.len(),
            mesh.snap.pods[p].metadata.name
        )
    });
    Target {
        label: format!(
            "{label}{}",
            port.map(|p| format!(":{p}")).unwrap_or_default()
        ),
        addressed: Addressed::PodIp(p),
        port,
        target_port: port,
        host: None,
        endpoints: vec![p],
        assumption,
    }
}

pub fn resolve_dest(mesh: &Mesh, spec: &DestSpec, flag_port: Option<u16>) -> Result<Target> {
    let snap = mesh.snap;
    let port = |p: &Option<u16>| -> Result<Option<u16>> {
        match (p, flag_port) {
            (Some(a), Some(b)) if *a != b => Err(usage(format!(
                "the destination says port {a} but --port says {b}"
            ))),
            (Some(a), _) => Ok(Some(*a)),
            (None, b) => Ok(b),
        }
    };
    match spec {
        DestSpec::Service { ns, name, port: p } => {
            let s = mesh
                .find_service(false, ns, name)
                .ok_or_else(|| not_found(format!("service {ns}/{name}")))?;
            service_target(mesh, s, port(p)?, None)
        }
        DestSpec::Pod { ns, name, port: p } => {
            let i =
                find_pod(snap, ns, name).ok_or_else(|| not_found(format!("pod {ns}/{name}")))?;
            Ok(pod_target(
                mesh,
                vec![i],
                format!("pod/{ns}/{name}"),
                port(p)?,
            ))
        }
        DestSpec::Workload {
            kind,
            ns,
            name,
            port: p,
        } => {
            let pods = workload_pods(snap, kind, ns, name);
            if pods.is_empty() {
                return Err(controller_not_found(kind, ns, name));
            }
            let label = format!("{}/{ns}/{name}", short_kind(kind));
            Ok(pod_target(mesh, pods, label, port(p)?))
        }
        DestSpec::Host { host, port: p } => {
            let port = port(p)?;
            // NAME.NS, NAME.NS.svc, NAME.NS.svc.<cluster domain>.
            let labels: Vec<&str> = host.split('.').collect();
            let svc = (labels.len() == 2 || labels.get(2) == Some(&"svc"))
                .then(|| mesh.find_service(false, labels[1], labels[0]))
                .flatten();
            if let Some(s) = svc {
                return service_target(mesh, s, port, Some(host.clone()));
            }
            let se = snap
                .service_entries
                .iter()
                .position(|se| se.spec.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)));
            let Some(e) = se else {
                return Err(not_found(format!(
                    "a Service or ServiceEntry for host {host}"
                )));
            };
            let m = &snap.service_entries[e].metadata;
            Ok(Target {
                label: format!(
                    "{host}{}",
                    port.map(|p| format!(":{p}")).unwrap_or_default()
                ),
                addressed: Addressed::Service {
                    entry: true,
                    index: e,
                },
                port,
                target_port: port,
                host: Some(host.clone()),
                endpoints: mesh.service_entries[e].pods.clone(),
                assumption: Some(format!(
                    "host {host} is ServiceEntry {}/{}",
                    m.namespace, m.name
                )),
            })
        }
    }
}

#[cfg(test)]
mod tests;
