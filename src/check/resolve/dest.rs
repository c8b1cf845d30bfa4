//! `--to`: the address a destination names, its ports and the pods that can receive it.

use super::*;
use crate::mesh::{Component, Mesh, Role};

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

/// The Service port's target port: a number, a name (the container port of that name on
/// the endpoint pods, when one declares it) or absent (the same as the port).
fn target_port(mesh: &Mesh, s: usize, port: &crate::model::ServicePort) -> Option<u16> {
    match &port.target_port {
        None => u16::try_from(port.port).ok(),
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Some(serde_json::Value::String(name)) => name.parse().ok().or_else(|| {
            mesh.services[s].pods.iter().find_map(|&p| {
                mesh.snap.pods[p]
                    .spec
                    .named_ports
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, port)| u16::try_from(*port).ok())
            })
        }),
        Some(_) => None,
    }
}

/// `NS/NAME` of the ingress gateway whose pods are all Service `s` selects: an Istio gateway
/// (its Deployment) or a Gateway API one.
fn fronted_gateway(mesh: &Mesh, s: usize) -> Option<String> {
    let pods = &mesh.services[s].pods;
    let name = |p: usize| match mesh.pods[p].role {
        Role::Ingress(g) => Some(mesh.waypoints[g].key()),
        Role::Istio(Component::Gateway) => Some(istio_gateway(mesh.snap, p)),
        _ => None,
    };
    let first = name(*pods.first()?)?;
    pods.iter()
        .all(|&p| name(p).as_ref() == Some(&first))
        .then_some(first)
}

fn service_target(
    mesh: &Mesh,
    s: usize,
    port: Option<u16>,
    host: Option<String>,
) -> Result<Target> {
    let svc = &mesh.snap.services[s];
    let m = &svc.metadata;
    if let Some(gateway) = fronted_gateway(mesh, s) {
        return Err(usage(format!(
            "service {}/{} fronts ingress gateway {gateway}, whose Envoy takes requests from outside the mesh: check what it lets through with --from ingress/{gateway} --to a Service behind it",
            m.namespace, m.name
        )));
    }
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
        target_port: sp.and_then(|p| target_port(mesh, s, p)),
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
