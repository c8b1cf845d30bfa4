//! Which network each pod is on, as istiod decides it, and whether the mesh has several.
//!
//! istiod's own (local) network is the `topology.istio.io/network` label of its namespace
//! (`setNetworkFromNamespace` in pilot/pkg/serviceregistry/kube/controller/network.go at
//! 1.24.0; `SystemNamespaceNetwork` in AMB/networks.go at 1.25.0, `LocalSystemNamespaceNetwork`
//! at 1.28.0); unlabelled, it is Istio's unnamed default network (""). istiod's Deployment
//! carries no network of its own: the Helm value `global.network` reaches the injected
//! sidecars (`ISTIO_META_NETWORK`, which the injector also writes as the pod's label,
//! `applyMetadata` in pkg/kube/inject/webhook.go) and the waypoints, not istiod.
//!
//! A pod's network (`workload-network` in the rule table):
//! * read from the pod (1.24 for every pod, every release for a sidecar's endpoints):
//!   `Controller.Network` in pilot/pkg/serviceregistry/kube/controller/controller.go: the
//!   pod's label, else the local network, else `meshNetworks` (the network whose
//!   `fromRegistry` names istiod's cluster, `CLUSTER_ID`, else one whose `fromCidr` holds the
//!   pod's IP: `networkFromMeshNetworks` in network.go), else "";
//! * otherwise (1.25+, ambient and plain pods) the local network: the ambient index's
//!   `podWorkloadBuilder` takes `networkGetter(ctx)` for every pod (AMB/workloads.go at 1.28.0).

use super::enrollment::Dataplane;
use super::PodInfo;
use crate::model::{Cidr, MeshNetworks};
use crate::snapshot::{Snapshot, DEFAULT_ISTIO_NAMESPACE};
use crate::versions::{Row, Rules};
use std::collections::BTreeSet;

pub const NETWORK_LABEL: &str = "topology.istio.io/network";
/// istiod's `CLUSTER_ID` when unset (`features.ClusterName`).
pub const DEFAULT_CLUSTER_ID: &str = "Kubernetes";

#[derive(Debug, Clone, Default)]
pub struct Networks {
    /// The network of istiod's namespace ("" when unlabelled) and the namespace.
    pub local: String,
    pub istio_namespace: String,
    /// Where `local` was read, as the assumptions say it.
    pub local_source: String,
    /// Every network name met, `names[0]` the local one; pods point into it.
    names: Vec<String>,
    of_pod: Vec<u16>,
    /// Networks that `meshNetworks` declares.
    pub declared: BTreeSet<String>,
    /// The `workload-network` row, when a pod's label or `meshNetworks` named a network other
    /// than the local one (read, or ignored).
    pub row: Option<Row>,
    /// `all`, gathered once.
    all: BTreeSet<String>,
}

/// `network NAME`, or Istio's unnamed default network.
pub fn shown(name: &str) -> String {
    if name.is_empty() {
        "the default network (no topology.istio.io/network)".into()
    } else {
        format!("network {name}")
    }
}

/// Each pod's network as read from the pod (`Controller.Network`), before the version rules
/// say whether it counts: the pass over every pod's labels, which needs none of the pods'
/// facts and so is made on one core while another makes them (`Mesh::build`).
pub struct Read {
    networks: Networks,
    of_pod: Vec<u16>,
    differs: bool,
}

impl Networks {
    pub fn read(snap: &Snapshot) -> Read {
        let m = &snap.mesh;
        // istiod's namespace: the one ztunnel's istiod runs in, else the one of an istiod in
        // the input, else Istio's default.
        let istio_namespace = (m.ztunnel_istiod.as_ref())
            .map(|z| z.value.0.clone())
            .filter(|ns| !ns.is_empty())
            .or_else(|| {
                (m.revisions.first())
                    .and_then(|r| r.deployment.split_once('/'))
                    .map(|(ns, _)| ns.to_string())
            })
            .unwrap_or_else(|| DEFAULT_ISTIO_NAMESPACE.to_string());
        let labels = snap.namespace_labels(&istio_namespace);
        let local = labels
            .and_then(|l| l.get(NETWORK_LABEL))
            .map(str::to_string)
            .unwrap_or_default();
        let local_source = match labels {
            None => format!(
                "Namespace {istio_namespace} (istiod's) is not in the input: the default network assumed"
            ),
            Some(_) if local.is_empty() => format!(
                "Namespace {istio_namespace} (istiod's) has no {NETWORK_LABEL} label: the default network"
            ),
            Some(_) => format!("Namespace {istio_namespace} label {NETWORK_LABEL}: istiod's network"),
        };
        let cluster = m
            .cluster_id
            .as_ref()
            .map_or(DEFAULT_CLUSTER_ID, |c| &c.value);
        let mesh_networks = m.mesh_networks.as_ref().map(|s| &s.value);
        let mut n = Networks {
            names: vec![local.clone()],
            local,
            istio_namespace,
            local_source,
            declared: mesh_networks
                .map(|mn| mn.networks.keys().cloned().collect())
                .unwrap_or_default(),
            ..Default::default()
        };
        let local = n.local.clone();
        let of_pod = (snap.pods.iter())
            .map(|p| {
                n.index(from_pod(
                    p.metadata.label(NETWORK_LABEL),
                    &local,
                    mesh_networks,
                    cluster,
                    &p.status.pod_ip,
                ))
            })
            .collect::<Vec<_>>();
        // `names[0]` is the local network: another index is a pod read on another.
        let differs = of_pod.iter().any(|&i| i != 0);
        Read {
            networks: n,
            of_pod,
            differs,
        }
    }
}

impl Read {
    /// The networks, each pod on the one it is read on where the version rules read it
    /// there (`pod_network_from_labels`), else on the local one.
    pub fn finish(self, pods: &[PodInfo], rules: &Rules) -> Networks {
        let Read {
            networks: mut n,
            mut of_pod,
            differs,
        } = self;
        if differs {
            for (i, info) in of_pod.iter_mut().zip(pods) {
                if !rules.pod_network_from_labels(info.dataplane == Dataplane::Sidecar) {
                    *i = 0;
                }
            }
            n.row = Some(rules.workload_network_row());
        }
        n.of_pod = of_pod;
        let used: BTreeSet<u16> = n.of_pod.iter().copied().collect();
        let mut all: BTreeSet<String> = (used.iter())
            .map(|&i| n.names[i as usize].clone())
            .collect();
        all.extend(n.declared.iter().cloned());
        if all.is_empty() {
            all.insert(n.local.clone());
        }
        n.all = all;
        n
    }
}

impl Networks {
    fn index(&mut self, name: &str) -> u16 {
        match self.names.iter().position(|x| x == name) {
            Some(i) => i as u16,
            None => {
                self.names.push(name.to_string());
                (self.names.len() - 1) as u16
            }
        }
    }

    /// The network pod `p` is on.
    pub fn of(&self, p: usize) -> &str {
        self.of_pod
            .get(p)
            .map_or(self.local.as_str(), |&i| &self.names[i as usize])
    }

    /// Every network of the mesh: the pods' and those `meshNetworks` declares (istiod's own
    /// counts when a pod is on it or nothing else is known).
    pub fn all(&self) -> BTreeSet<&str> {
        self.all.iter().map(String::as_str).collect()
    }

    /// Whether the mesh spans two or more networks.
    pub fn several(&self) -> bool {
        self.all().len() > 1
    }
}

/// `Controller.Network`: the pod's label, the local network, then `meshNetworks`.
fn from_pod<'a>(
    label: Option<&'a str>,
    local: &'a str,
    mesh_networks: Option<&'a MeshNetworks>,
    cluster: &str,
    ip: &str,
) -> &'a str {
    if let Some(l) = label.filter(|l| !l.is_empty()) {
        return l;
    }
    if !local.is_empty() {
        return local;
    }
    let Some(mn) = mesh_networks else { return "" };
    let registry = mn.networks.iter().find(|(_, n)| {
        n.endpoints
            .iter()
            .any(|e| e.from_registry.as_deref() == Some(cluster))
    });
    if let Some((name, _)) = registry {
        return name;
    }
    let Ok(ip) = ip.parse() else { return "" };
    mn.networks
        .iter()
        .find(|(_, n)| {
            n.endpoints.iter().any(|e| {
                (e.from_cidr.as_deref())
                    .and_then(Cidr::parse)
                    .is_some_and(|c| c.contains(ip))
            })
        })
        .map_or("", |(name, _)| name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MeshNetwork, NetworkEndpoints};

    fn mn(nets: &[(&str, Option<&str>, Option<&str>)]) -> MeshNetworks {
        let mut out = MeshNetworks::default();
        for (name, cidr, registry) in nets {
            out.networks
                .entry(name.to_string())
                .or_insert_with(MeshNetwork::default)
                .endpoints
                .push(NetworkEndpoints {
                    from_cidr: cidr.map(str::to_string),
                    from_registry: registry.map(str::to_string),
                });
        }
        out
    }

    #[test]
    fn controller_network_order() {
        let nets = mn(&[
            ("east", Some("10.1.0.0/16"), None),
            ("west", None, Some("cluster-west")),
        ]);
        let cases = [
            // (pod label, local, meshNetworks, CLUSTER_ID, pod IP, network)
            (
                Some("pod-net"),
                "ns-net",
                Some(&nets),
                "cluster-west",
                "10.1.0.5",
                "pod-net",
            ),
            (
                None,
                "ns-net",
                Some(&nets),
                "cluster-west",
                "10.1.0.5",
                "ns-net",
            ),
            (Some(""), "ns-net", None, "Kubernetes", "", "ns-net"),
            (None, "", Some(&nets), "cluster-west", "10.1.0.5", "west"),
            (None, "", Some(&nets), "Kubernetes", "10.1.0.5", "east"),
            (None, "", Some(&nets), "Kubernetes", "10.2.0.5", ""),
            (None, "", Some(&nets), "Kubernetes", "", ""),
            (None, "", None, "Kubernetes", "10.1.0.5", ""),
        ];
        for (label, local, m, cluster, ip, want) in cases {
            assert_eq!(
                from_pod(label, local, m, cluster, ip),
                want,
                "{label:?} {local} {cluster} {ip}"
            );
        }
    }
}
