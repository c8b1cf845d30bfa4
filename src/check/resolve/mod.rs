//! `--from SOURCE` and `--to DEST`: their syntax, and what they name in the Snapshot.

use crate::error::{Error, Result};
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

pub(super) fn usage(msg: String) -> Error {
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

pub(super) fn pod_ip(snap: &Snapshot, p: usize) -> Option<IpAddr> {
    snap.pods[p].status.pod_ip.parse().ok()
}

pub(super) fn find_pod(snap: &Snapshot, ns: &str, name: &str) -> Option<usize> {
    snap.pods
        .iter()
        .position(|p| p.metadata.namespace == ns && p.metadata.name == name)
}

/// `NS/NAME` of the Deployment that runs Istio gateway pod `p` (the pod's name without one).
pub(super) fn istio_gateway(snap: &Snapshot, p: usize) -> String {
    let pod = &snap.pods[p];
    let deployment = (pod.controllers.iter())
        .find(|(kind, _)| kind == "Deployment")
        .map_or(&pod.metadata.name, |(_, name)| name);
    format!("{}/{deployment}", pod.metadata.namespace)
}

pub(super) fn not_found(what: String) -> Error {
    usage(format!("{what} was not found in the input"))
}

pub(super) fn controller_not_found(kind: &str, ns: &str, name: &str) -> Error {
    usage(format!(
        "{kind} {ns}/{name} was not found in the input: neither the {kind} nor a pod it owns"
    ))
}

mod dest;
mod source;
pub use dest::*;
pub use source::*;

#[cfg(test)]
mod tests;
