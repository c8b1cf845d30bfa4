//! `k8s.io.api.core.v1` and `k8s.io.api.networking.v1` messages, slimmed to what the model
//! reads. Field numbers are those of `core/v1/generated.proto` and
//! `networking/v1/generated.proto` in kubernetes/api.

use super::meta::{ConditionPb, IntOrString, LabelSelectorPb, ObjectMetaPb};
use crate::model::{
    ConditionsStatus, Container, ContainerPort, IpBlock, Namespace, NetworkPolicy,
    NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, NetworkPolicySpec, Pod, PodSpec,
    PodStatus, Probe, Service, ServicePort, ServiceSpec,
};
use prost::Message;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;

fn meta(m: Option<ObjectMetaPb>) -> Result<crate::model::ObjectMeta, String> {
    m.unwrap_or_default().into_model()
}

#[derive(Clone, PartialEq, Message)]
pub struct NamespacePb {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ObjectMetaPb>,
}

impl NamespacePb {
    pub fn into_model(self) -> Result<Namespace, String> {
        Ok(Namespace {
            metadata: meta(self.metadata)?,
        })
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct PodPb {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ObjectMetaPb>,
    #[prost(message, optional, tag = "2")]
    pub spec: Option<PodSpecPb>,
    #[prost(message, optional, tag = "3")]
    pub status: Option<PodStatusPb>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PodSpecPb {
    #[prost(message, repeated, tag = "2")]
    pub containers: Vec<ContainerPb>,
    #[prost(string, tag = "8")]
    pub service_account_name: String,
    #[prost(string, tag = "9")]
    pub service_account: String,
    #[prost(bool, tag = "11")]
    pub host_network: bool,
}

/// A pod's container: its ports and probes only (a workload keeps nothing else of it; the
/// image and environment are read from istiod's Deployment, which stays JSON).
#[derive(Clone, PartialEq, Message)]
pub struct ContainerPb {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "6")]
    pub ports: Vec<ContainerPortPb>,
    #[prost(message, optional, tag = "10")]
    pub liveness_probe: Option<ProbePb>,
    #[prost(message, optional, tag = "11")]
    pub readiness_probe: Option<ProbePb>,
    #[prost(message, optional, tag = "22")]
    pub startup_probe: Option<ProbePb>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ContainerPortPb {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(int32, tag = "3")]
    pub container_port: i32,
    #[prost(string, optional, tag = "4")]
    pub protocol: Option<String>,
}

/// `Probe`: its handler (1, inlined in JSON) says which kind of check kubelet makes.
#[derive(Clone, PartialEq, Message)]
pub struct ProbePb {
    #[prost(message, optional, tag = "1")]
    pub handler: Option<ProbeHandlerPb>,
}

/// `ProbeHandler`: only whether each network kind is present (exec = 1 is local).
#[derive(Clone, PartialEq, Message)]
pub struct ProbeHandlerPb {
    #[prost(message, optional, tag = "2")]
    pub http_get: Option<Present>,
    #[prost(message, optional, tag = "3")]
    pub tcp_socket: Option<Present>,
    #[prost(message, optional, tag = "4")]
    pub grpc: Option<Present>,
}

/// A message whose presence is all that counts; its fields are skipped.
#[derive(Clone, PartialEq, Message)]
pub struct Present {}

#[derive(Clone, PartialEq, Message)]
pub struct PodStatusPb {
    #[prost(string, tag = "1")]
    pub phase: String,
    #[prost(string, tag = "6")]
    pub pod_ip: String,
}

impl PodPb {
    pub fn into_model(self) -> Result<Pod, String> {
        let spec = self.spec.unwrap_or_default();
        let status = self.status.unwrap_or_default();
        let mut pod = Pod {
            metadata: meta(self.metadata)?,
            spec: PodSpec {
                service_account_name: spec.service_account_name,
                service_account: spec.service_account,
                host_network: spec.host_network,
                containers: spec.containers.into_iter().map(container).collect(),
                ..PodSpec::default()
            },
            status: PodStatus {
                phase: status.phase,
                pod_ip: status.pod_ip,
            },
            ..Pod::default()
        };
        // Here, while the next page is in flight, rather than after the last (issue 16).
        pod.slim();
        Ok(pod)
    }
}

fn container(c: ContainerPb) -> Container {
    let probe = |p: Option<ProbePb>| {
        p.map(|p| {
            let h = p.handler.unwrap_or_default();
            Probe {
                http_get: h.http_get.map(|_| IgnoredAny),
                tcp_socket: h.tcp_socket.map(|_| IgnoredAny),
                grpc: h.grpc.map(|_| IgnoredAny),
            }
        })
    };
    Container {
        name: c.name,
        ports: c
            .ports
            .into_iter()
            .map(|p| ContainerPort {
                name: p.name,
                container_port: p.container_port.max(0) as u32,
                protocol: p.protocol,
            })
            .collect(),
        liveness_probe: probe(c.liveness_probe),
        readiness_probe: probe(c.readiness_probe),
        startup_probe: probe(c.startup_probe),
        ..Container::default()
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct ServicePb {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ObjectMetaPb>,
    #[prost(message, optional, tag = "2")]
    pub spec: Option<ServiceSpecPb>,
    #[prost(message, optional, tag = "3")]
    pub status: Option<ServiceStatusPb>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ServiceSpecPb {
    #[prost(message, repeated, tag = "1")]
    pub ports: Vec<ServicePortPb>,
    #[prost(btree_map = "string, string", tag = "2")]
    pub selector: BTreeMap<String, String>,
    #[prost(string, tag = "3")]
    pub cluster_ip: String,
    #[prost(string, tag = "4")]
    pub type_: String,
    #[prost(string, repeated, tag = "18")]
    pub cluster_ips: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ServicePortPb {
    #[prost(int32, tag = "3")]
    pub port: i32,
    #[prost(message, optional, tag = "4")]
    pub target_port: Option<IntOrString>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ServiceStatusPb {
    #[prost(message, repeated, tag = "2")]
    pub conditions: Vec<ConditionPb>,
}

impl ServicePb {
    pub fn into_model(self) -> Result<Service, String> {
        let spec = self.spec.unwrap_or_default();
        Ok(Service {
            metadata: meta(self.metadata)?,
            spec: ServiceSpec {
                // An empty map and no map are the same on the wire, and the JSON form
                // omits an empty selector too (`omitempty`): both select no pod.
                selector: (!spec.selector.is_empty()).then(|| spec.selector.into_iter().collect()),
                type_: spec.type_,
                ports: spec
                    .ports
                    .into_iter()
                    .map(|p| ServicePort {
                        port: p.port.max(0) as u32,
                        target_port: p.target_port.map(IntOrString::into_json),
                    })
                    .collect(),
                cluster_ip: spec.cluster_ip,
                cluster_ips_: spec.cluster_ips,
            },
            status: ConditionsStatus {
                conditions: self
                    .status
                    .unwrap_or_default()
                    .conditions
                    .into_iter()
                    .map(ConditionPb::into_model)
                    .collect(),
            },
        })
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct NetworkPolicyPb {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ObjectMetaPb>,
    #[prost(message, optional, tag = "2")]
    pub spec: Option<NetworkPolicySpecPb>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NetworkPolicySpecPb {
    #[prost(message, optional, tag = "1")]
    pub pod_selector: Option<LabelSelectorPb>,
    #[prost(message, repeated, tag = "2")]
    pub ingress: Vec<NetworkPolicyRulePb>,
    #[prost(message, repeated, tag = "3")]
    pub egress: Vec<NetworkPolicyRulePb>,
    #[prost(string, repeated, tag = "4")]
    pub policy_types: Vec<String>,
}

/// `NetworkPolicyIngressRule` (`from` = 2) and `NetworkPolicyEgressRule` (`to` = 2) have
/// the same shape on the wire.
#[derive(Clone, PartialEq, Message)]
pub struct NetworkPolicyRulePb {
    #[prost(message, repeated, tag = "1")]
    pub ports: Vec<NetworkPolicyPortPb>,
    #[prost(message, repeated, tag = "2")]
    pub peers: Vec<NetworkPolicyPeerPb>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NetworkPolicyPeerPb {
    #[prost(message, optional, tag = "1")]
    pub pod_selector: Option<LabelSelectorPb>,
    #[prost(message, optional, tag = "2")]
    pub namespace_selector: Option<LabelSelectorPb>,
    #[prost(message, optional, tag = "3")]
    pub ip_block: Option<IpBlockPb>,
}

#[derive(Clone, PartialEq, Message)]
pub struct IpBlockPb {
    #[prost(string, tag = "1")]
    pub cidr: String,
    #[prost(string, repeated, tag = "2")]
    pub except: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NetworkPolicyPortPb {
    #[prost(string, optional, tag = "1")]
    pub protocol: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub port: Option<IntOrString>,
    #[prost(int32, optional, tag = "3")]
    pub end_port: Option<i32>,
}

impl NetworkPolicyPb {
    pub fn into_model(self) -> Result<NetworkPolicy, String> {
        let spec = self.spec.unwrap_or_default();
        let selector = |s: Option<LabelSelectorPb>| s.map(LabelSelectorPb::into_model).transpose();
        let rules = |rules: Vec<NetworkPolicyRulePb>| -> Result<Vec<NetworkPolicyRule>, String> {
            rules
                .into_iter()
                .map(|r| {
                    Ok(NetworkPolicyRule {
                        from: r
                            .peers
                            .into_iter()
                            .map(|p| {
                                Ok(NetworkPolicyPeer {
                                    pod_selector: selector(p.pod_selector)?,
                                    namespace_selector: selector(p.namespace_selector)?,
                                    ip_block: p.ip_block.map(|b| IpBlock {
                                        cidr: b.cidr,
                                        except: b.except,
                                    }),
                                })
                            })
                            .collect::<Result<_, String>>()?,
                        ports: r
                            .ports
                            .into_iter()
                            .map(|p| NetworkPolicyPort {
                                protocol: p.protocol,
                                port: p.port.map(IntOrString::into_json),
                                end_port: p.end_port.map(|e| e.max(0) as u32),
                            })
                            .collect(),
                    })
                })
                .collect()
        };
        Ok(NetworkPolicy {
            metadata: meta(self.metadata)?,
            spec: NetworkPolicySpec {
                pod_selector: selector(spec.pod_selector)?,
                policy_types: (!spec.policy_types.is_empty()).then_some(spec.policy_types),
                ingress: rules(spec.ingress)?,
                egress: rules(spec.egress)?,
            },
        })
    }
}
