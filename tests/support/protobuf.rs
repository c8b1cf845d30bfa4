//! The test API server's protobuf answers: JSON objects turned into the upstream-generated
//! messages of `k8s-pb` and encoded in the API server's envelope (`k8s\0` + runtime.Unknown).
//! The plugin declares its own slim messages and field numbers; encoding with k8s-pb's keeps
//! the two independent, so a wrong field number in the plugin shows as a wrong verdict.
//! Every field the plugin reads is carried, and the bulk a real pod has (managed fields,
//! volumes, container statuses) too, so that the decoder has to skip it.

use k8s_pb::api::core::v1 as core;
use k8s_pb::api::networking::v1 as net;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use serde_json::Value;
use std::collections::BTreeMap;

pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Whether the API server has a protobuf form for this API group (built-in groups only).
pub fn served_for(group: &str) -> bool {
    matches!(group, "" | "apps" | "networking.k8s.io")
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}
fn i32_(v: &Value) -> Option<i32> {
    v.as_i64().map(|n| n as i32)
}
fn map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}
fn each<T>(v: &Value, f: impl Fn(&Value) -> T) -> Vec<T> {
    v.as_array()
        .map(|a| a.iter().map(f).collect())
        .unwrap_or_default()
}
fn strings(v: &Value) -> Vec<String> {
    each(v, |x| x.as_str().unwrap_or_default().to_string())
}
fn opt<T>(v: &Value, f: impl Fn(&Value) -> T) -> Option<T> {
    (!v.is_null()).then(|| f(v))
}

/// RFC 3339 (`2026-01-01T00:00:00Z`) to whole seconds, as `metav1.Time` carries them.
fn time(v: &Value) -> Option<meta::Time> {
    let t: jiff::Timestamp = v.as_str()?.parse().ok()?;
    Some(meta::Time {
        seconds: Some(t.as_second()),
        nanos: None,
    })
}

fn int_or_string(v: &Value) -> IntOrString {
    match v {
        Value::String(x) => IntOrString {
            r#type: Some(1),
            int_val: None,
            str_val: Some(x.clone()),
        },
        _ => IntOrString {
            r#type: Some(0),
            int_val: i32_(v),
            str_val: None,
        },
    }
}

fn object_meta(m: &Value) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: s(&m["name"]),
        generate_name: s(&m["generateName"]),
        namespace: s(&m["namespace"]),
        uid: s(&m["uid"]),
        resource_version: s(&m["resourceVersion"]),
        creation_timestamp: time(&m["creationTimestamp"]),
        labels: map(&m["labels"]),
        annotations: map(&m["annotations"]),
        owner_references: each(&m["ownerReferences"], |o| meta::OwnerReference {
            api_version: s(&o["apiVersion"]),
            kind: s(&o["kind"]),
            name: s(&o["name"]),
            uid: s(&o["uid"]),
            controller: o["controller"].as_bool(),
            block_owner_deletion: o["blockOwnerDeletion"].as_bool(),
        }),
        managed_fields: each(&m["managedFields"], |f| meta::ManagedFieldsEntry {
            manager: s(&f["manager"]),
            operation: s(&f["operation"]),
            api_version: s(&f["apiVersion"]),
            time: time(&f["time"]),
            fields_type: s(&f["fieldsType"]),
            fields_v1: opt(&f["fieldsV1"], |x| meta::FieldsV1 {
                raw: Some(serde_json::to_vec(x).unwrap()),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn label_selector(v: &Value) -> meta::LabelSelector {
    meta::LabelSelector {
        match_labels: map(&v["matchLabels"]),
        match_expressions: each(&v["matchExpressions"], |r| meta::LabelSelectorRequirement {
            key: s(&r["key"]),
            operator: s(&r["operator"]),
            values: strings(&r["values"]),
        }),
    }
}

fn probe(p: &Value) -> core::Probe {
    core::Probe {
        handler: Some(core::ProbeHandler {
            exec: opt(&p["exec"], |e| core::ExecAction {
                command: strings(&e["command"]),
            }),
            http_get: opt(&p["httpGet"], |h| core::HttpGetAction {
                path: s(&h["path"]),
                port: Some(int_or_string(&h["port"])),
                ..Default::default()
            }),
            tcp_socket: opt(&p["tcpSocket"], |t| core::TcpSocketAction {
                port: Some(int_or_string(&t["port"])),
                ..Default::default()
            }),
            grpc: opt(&p["grpc"], |g| core::GrpcAction {
                port: i32_(&g["port"]),
                service: s(&g["service"]),
            }),
        }),
        period_seconds: i32_(&p["periodSeconds"]),
        ..Default::default()
    }
}

fn container(c: &Value) -> core::Container {
    let quantities =
        |v: &Value| -> BTreeMap<String, k8s_pb::apimachinery::pkg::api::resource::Quantity> {
            v.as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, q)| {
                            (
                                k.clone(),
                                k8s_pb::apimachinery::pkg::api::resource::Quantity { string: s(q) },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
    core::Container {
        name: s(&c["name"]),
        image: s(&c["image"]),
        command: strings(&c["command"]),
        args: strings(&c["args"]),
        ports: each(&c["ports"], |p| core::ContainerPort {
            name: s(&p["name"]),
            container_port: i32_(&p["containerPort"]),
            protocol: s(&p["protocol"]),
            ..Default::default()
        }),
        env: each(&c["env"], |e| core::EnvVar {
            name: s(&e["name"]),
            value: s(&e["value"]),
            ..Default::default()
        }),
        resources: opt(&c["resources"], |r| core::ResourceRequirements {
            requests: quantities(&r["requests"]),
            limits: quantities(&r["limits"]),
            ..Default::default()
        }),
        liveness_probe: opt(&c["livenessProbe"], probe),
        readiness_probe: opt(&c["readinessProbe"], probe),
        startup_probe: opt(&c["startupProbe"], probe),
        volume_mounts: each(&c["volumeMounts"], |m| core::VolumeMount {
            name: s(&m["name"]),
            mount_path: s(&m["mountPath"]),
            read_only: m["readOnly"].as_bool(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pod(o: &Value) -> core::Pod {
    let (sp, st) = (&o["spec"], &o["status"]);
    core::Pod {
        metadata: Some(object_meta(&o["metadata"])),
        spec: Some(core::PodSpec {
            service_account_name: s(&sp["serviceAccountName"]),
            service_account: s(&sp["serviceAccount"]),
            node_name: s(&sp["nodeName"]),
            restart_policy: s(&sp["restartPolicy"]),
            host_network: sp["hostNetwork"].as_bool(),
            containers: each(&sp["containers"], container),
            init_containers: each(&sp["initContainers"], container),
            volumes: each(&sp["volumes"], |v| core::Volume {
                name: s(&v["name"]),
                ..Default::default()
            }),
            tolerations: each(&sp["tolerations"], |t| core::Toleration {
                key: s(&t["key"]),
                operator: s(&t["operator"]),
                effect: s(&t["effect"]),
                toleration_seconds: t["tolerationSeconds"].as_i64(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: opt(st, |st| core::PodStatus {
            phase: s(&st["phase"]),
            pod_ip: s(&st["podIP"]),
            host_ip: s(&st["hostIP"]),
            qos_class: s(&st["qosClass"]),
            conditions: each(&st["conditions"], |c| core::PodCondition {
                r#type: s(&c["type"]),
                status: s(&c["status"]),
                last_transition_time: time(&c["lastTransitionTime"]),
                ..Default::default()
            }),
            container_statuses: each(&st["containerStatuses"], |c| core::ContainerStatus {
                name: s(&c["name"]),
                ready: c["ready"].as_bool(),
                restart_count: i32_(&c["restartCount"]),
                image: s(&c["image"]),
                image_id: s(&c["imageID"]),
                container_id: s(&c["containerID"]),
                started: c["started"].as_bool(),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

fn service(o: &Value) -> core::Service {
    let sp = &o["spec"];
    core::Service {
        metadata: Some(object_meta(&o["metadata"])),
        spec: Some(core::ServiceSpec {
            ports: each(&sp["ports"], |p| core::ServicePort {
                name: s(&p["name"]),
                protocol: s(&p["protocol"]),
                app_protocol: s(&p["appProtocol"]),
                port: i32_(&p["port"]),
                target_port: opt(&p["targetPort"], int_or_string),
                ..Default::default()
            }),
            selector: map(&sp["selector"]),
            cluster_ip: s(&sp["clusterIP"]),
            cluster_ips: strings(&sp["clusterIPs"]),
            r#type: s(&sp["type"]),
            ..Default::default()
        }),
        status: opt(&o["status"], |st| core::ServiceStatus {
            conditions: each(&st["conditions"], |c| meta::Condition {
                r#type: s(&c["type"]),
                status: s(&c["status"]),
                reason: s(&c["reason"]),
                message: s(&c["message"]),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

fn network_policy(o: &Value) -> net::NetworkPolicy {
    let sp = &o["spec"];
    let ports = |r: &Value| {
        each(&r["ports"], |p| net::NetworkPolicyPort {
            protocol: s(&p["protocol"]),
            port: opt(&p["port"], int_or_string),
            end_port: i32_(&p["endPort"]),
        })
    };
    let peers = |v: &Value| {
        each(v, |p| net::NetworkPolicyPeer {
            pod_selector: opt(&p["podSelector"], label_selector),
            namespace_selector: opt(&p["namespaceSelector"], label_selector),
            ip_block: opt(&p["ipBlock"], |b| net::IpBlock {
                cidr: s(&b["cidr"]),
                except: strings(&b["except"]),
            }),
        })
    };
    net::NetworkPolicy {
        metadata: Some(object_meta(&o["metadata"])),
        spec: Some(net::NetworkPolicySpec {
            pod_selector: opt(&sp["podSelector"], label_selector),
            ingress: each(&sp["ingress"], |r| net::NetworkPolicyIngressRule {
                ports: ports(r),
                from: peers(&r["from"]),
            }),
            egress: each(&sp["egress"], |r| net::NetworkPolicyEgressRule {
                ports: ports(r),
                to: peers(&r["to"]),
            }),
            policy_types: strings(&sp["policyTypes"]),
        }),
    }
}

/// One object of a built-in kind, encoded; `None` for a kind without a protobuf form here.
pub fn encode_object(o: &Value) -> Option<Vec<u8>> {
    Some(match o["kind"].as_str()? {
        "Namespace" => core::Namespace {
            metadata: Some(object_meta(&o["metadata"])),
            ..Default::default()
        }
        .encode_to_vec(),
        "Pod" => pod(o).encode_to_vec(),
        "Service" => service(o).encode_to_vec(),
        "NetworkPolicy" => network_policy(o).encode_to_vec(),
        _ => return None,
    })
}

/// A list page from encoded items: `metadata` (ListMeta) = 1, `items` = 2, as every
/// `*List` message has them (checked against k8s-pb's `PodList` in the tests).
pub fn encode_list(
    api_version: &str,
    kind: &str,
    cont: Option<&str>,
    remaining: Option<i64>,
    items: &[&[u8]],
) -> Vec<u8> {
    let list_meta = meta::ListMeta {
        resource_version: Some("1".into()),
        r#continue: cont.map(str::to_string),
        remaining_item_count: remaining,
        ..Default::default()
    };
    let mut raw = Vec::new();
    prost::encoding::message::encode(1, &list_meta, &mut raw);
    for item in items {
        prost::encoding::encode_key(2, prost::encoding::WireType::LengthDelimited, &mut raw);
        prost::encoding::encode_varint(item.len() as u64, &mut raw);
        raw.extend_from_slice(item);
    }
    envelope(api_version, kind, raw)
}

/// `metav1.Status` for an error answer.
pub fn encode_status(code: u16, reason: &str, message: &str, retry_after: Option<i32>) -> Vec<u8> {
    let st = meta::Status {
        status: Some("Failure".into()),
        message: Some(message.into()),
        reason: Some(reason.into()),
        code: Some(code as i32),
        details: retry_after.map(|r| meta::StatusDetails {
            retry_after_seconds: Some(r),
            ..Default::default()
        }),
        ..Default::default()
    };
    envelope("v1", "Status", st.encode_to_vec())
}

/// `k8s\0` + runtime.Unknown{typeMeta, raw}, as apimachinery's protobuf serializer writes.
pub fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let u = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut out = b"k8s\0".to_vec();
    out.extend(u.encode_to_vec());
    out
}
