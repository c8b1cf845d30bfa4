//! Synthetic meshes for the scale benchmark (issue 9): N pods, N/5 Services, N/10
//! AuthorizationPolicies, 20 waypoints in 10 namespaces, written as `kubectl get -o json`
//! prints a List. Pods are shaped as the API server returns them (managed fields, env,
//! volumes, status), about 2.5 KB each. With `Workloads::Deployments` each pod is instead a
//! Deployment of one replica (as manifests in git declare them, with no live pods), so that
//! the analysis makes its workloads from pod templates. Used by `benches/scale.rs` and
//! `examples/gen_mesh.rs`; deterministic, so runs compare.

use serde_json::{json, Value};
use std::io::{self, Write};

pub const NAMESPACES: usize = 10;
/// Two per namespace.
pub const WAYPOINTS: usize = 20;

/// What stands for each of the mesh's workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workloads {
    /// Live pods, as `kubectl get pods -o json` prints them.
    Pods,
    /// Deployments, as `kubectl get deployments -o json` prints them: no pods in the input.
    Deployments,
}

fn ns(i: usize) -> String {
    format!("ns-{}", i % NAMESPACES)
}

/// Services per namespace; each selects five pods.
fn apps_per_ns(pods: usize) -> usize {
    (pods / 5 / NAMESPACES).max(1)
}

fn pod(pods: usize, i: usize) -> Value {
    pod_of(i, &format!("app-{}", (i / NAMESPACES) % apps_per_ns(pods)))
}

/// Pod `i` (in namespace `ns(i)`) of application `app`.
fn pod_of(i: usize, app: &str) -> Value {
    let ns = ns(i);
    let hash = format!(
        "{:010x}",
        (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 24
    );
    let name = format!("{app}-{}-{:05x}", &hash[..9], i % 0xfffff);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": format!("{app}-{}-", &hash[..9]),
            "namespace": ns,
            "uid": format!("6f1c2a3b-{:04x}-4c5d-8e9f-{i:012}", i % 0xffff),
            "resourceVersion": format!("{}", 1_000_000 + i),
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": app, "version": "v1", "pod-template-hash": &hash[..9]},
            "annotations": {
                "ambient.istio.io/redirection": "enabled",
                "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"
            },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-{}", &hash[..9]),
                "uid": "0b6f4d1e-2c3a-4b5d-9e8f-7a6b5c4d3e2f", "controller": true, "blockOwnerDeletion": true
            }],
            "managedFields": [{
                "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}, "f:version": {}},
                        "f:ownerReferences": {".": {}, "k:{\"uid\":\"0b6f4d1e-2c3a-4b5d-9e8f-7a6b5c4d3e2f\"}": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:env": {}, "f:image": {}, "f:ports": {}}},
                        "f:serviceAccountName": {}, "f:volumes": {}}
                }
            }, {
                "manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "2026-01-01T00:00:05Z",
                "fieldsType": "FieldsV1", "subresource": "status",
                "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:podIP": {}, "f:phase": {}}}
            }]
        },
        "spec": {
            "serviceAccountName": format!("sa-{app}"),
            "nodeName": format!("node-{}", i % 20),
            "restartPolicy": "Always",
            "containers": [{
                "name": "app",
                "image": format!("registry.example.com/{app}:1.2.3"),
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "env": [
                    {"name": "LOG_LEVEL", "value": "info"},
                    {"name": "PORT", "value": "8080"},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}
                ],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "volumeMounts": [
                    {"name": "config", "mountPath": "/etc/app"},
                    {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}
                ]
            }],
            "volumes": [
                {"name": "config", "configMap": {"name": format!("{app}-config"), "defaultMode": 420}},
                {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}
                ]}}
            ]
        },
        "status": {
            "phase": "Running",
            "podIP": format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            "hostIP": "172.18.0.2",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:05Z"}],
            "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "started": true,
                "image": format!("registry.example.com/{app}:1.2.3"),
                "state": {"running": {"startedAt": "2026-01-01T00:00:04Z"}}}]
        }
    })
}

/// Workload `i` as a Deployment of one replica whose template is pod `i`'s (without the
/// pod-template-hash a ReplicaSet adds), with the metadata the API server adds.
fn deployment(pod: Value, i: usize) -> Value {
    let ns = ns(i);
    let app = pod["metadata"]["labels"]["app"]
        .as_str()
        .unwrap()
        .to_string();
    let name = format!("{app}-{i}");
    let mut labels = pod["metadata"]["labels"].clone();
    labels.as_object_mut().unwrap().remove("pod-template-hash");
    labels["workload"] = json!(name);
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": format!("7a2d3b4c-{:04x}-4d5e-8f90-{i:012}", i % 0xffff),
            "resourceVersion": format!("{}", 3_000_000 + i),
            "generation": 1,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": app},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "managedFields": [{
                "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "apps/v1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                    "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {"f:metadata": {"f:labels": {}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:env": {}, "f:image": {}, "f:ports": {}}},
                            "f:serviceAccountName": {}, "f:volumes": {}}}}}
            }, {
                "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                "time": "2026-01-01T00:00:05Z", "fieldsType": "FieldsV1", "subresource": "status",
                "fieldsV1": {"f:status": {"f:availableReplicas": {}, "f:conditions": {}, "f:readyReplicas": {}, "f:replicas": {}}}
            }]
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": app, "workload": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": labels, "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}},
                "spec": pod["spec"].clone()
            }
        },
        "status": {
            "observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "availableReplicas": 1, "updatedReplicas": 1,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                "lastTransitionTime": "2026-01-01T00:00:05Z"}]
        }
    })
}

fn service(pods: usize, s: usize) -> Value {
    let ns = ns(s);
    let app = format!("app-{}", (s / NAMESPACES) % apps_per_ns(pods));
    let mut labels = json!({"app": app});
    // A quarter of the services use their namespace's second waypoint.
    if s % 4 == 1 {
        labels["istio.io/use-waypoint"] = json!("waypoint-b");
    }
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": app, "namespace": ns, "labels": labels,
            "resourceVersion": format!("{}", 2_000_000 + s), "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"selector": {"app": app}, "type": "ClusterIP", "clusterIP": format!("10.96.{}.{}", (s >> 8) & 255, s & 255),
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]}
    })
}

fn policy(pods: usize, p: usize) -> Value {
    let ns = ns(p);
    let app = format!("app-{}", (p / NAMESPACES) % apps_per_ns(pods));
    // One namespace-wide DENY per namespace, as teams write them; the rest per application,
    // so that what each policy covers stays constant as the mesh grows.
    let spec = if p < NAMESPACES {
        json!({"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["untrusted"]}}]}]})
    } else {
        match p % 4 {
            0 => json!({"selector": {"matchLabels": {"app": app}}, "action": "ALLOW",
                "rules": [{"from": [{"source": {"principals": [format!("cluster.local/ns/{ns}/sa/sa-{app}")]}}]}]}),
            1 => json!({"selector": {"matchLabels": {"app": app}},
                "rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]}),
            2 => json!({"targetRefs": [{"kind": "Service", "group": "", "name": app}],
                "rules": [{"to": [{"operation": {"paths": ["/api/*"]}}]}]}),
            _ => {
                json!({"selector": {"matchLabels": {"app": app, "version": "v1"}}, "action": "DENY",
                "rules": [{"from": [{"source": {"notPrincipals": [format!("cluster.local/ns/{ns}/sa/waypoint")]}}]}]})
            }
        }
    };
    json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
        "metadata": {"name": format!("policy-{p}"), "namespace": ns}, "spec": spec})
}

fn waypoint(w: usize) -> Value {
    let ns = ns(w);
    let name = if w < NAMESPACES {
        "waypoint"
    } else {
        "waypoint-b"
    };
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns, "labels": {"istio.io/waypoint-for": "service"}},
        "spec": {"gatewayClassName": "istio-waypoint",
            "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]},
        "status": {"addresses": [{"type": "IPAddress", "value": format!("10.96.255.{w}")}],
            "conditions": [{"type": "Programmed", "status": "True", "reason": "Programmed"}]}
    })
}

/// The shape of a mesh; both have 10 namespaces whose pods grow with N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Applications of five pods, one Service per application and per waypoint binding,
    /// N/10 policies of one application each (issue 9's mesh).
    Apps,
    /// Few big namespaces (issue 16): applications of 20 replicas that share their
    /// namespace's labels (`app.kubernetes.io/part-of`, a `tier`), two Services each, and
    /// N/10 policies, most of them on one application (its `app` with a common label
    /// beside it, or its Services), a few per namespace over the whole namespace or a tier.
    BigNamespaces,
}

/// Replicas per application in `Shape::BigNamespaces`.
const REPLICAS: usize = 20;
const TIERS: [&str; 3] = ["frontend", "backend", "data"];

fn big_apps_per_ns(pods: usize) -> usize {
    (pods / REPLICAS / NAMESPACES).max(1)
}

/// Application `a` of a big namespace: its name and tier.
fn big_app(a: usize) -> (String, &'static str) {
    (format!("svc-{a}"), TIERS[a % TIERS.len()])
}

/// Pod `i` of a big namespace: the replicas of one application are spread over the list,
/// as the API server returns pods sorted by name.
fn big_pod(pods: usize, i: usize) -> Value {
    let (app, tier) = big_app((i / NAMESPACES) % big_apps_per_ns(pods));
    let mut pod = pod_of(i, &app);
    let labels = &mut pod["metadata"]["labels"];
    labels["app.kubernetes.io/part-of"] = json!("shop");
    labels["tier"] = json!(tier);
    if i % 10 == 9 {
        labels["version"] = json!("v2");
    }
    pod
}

fn big_service(pods: usize, s: usize) -> Value {
    let (app, tier) = big_app((s / NAMESPACES / 2) % big_apps_per_ns(pods));
    let mut svc = service(pods, s);
    let name = if s.is_multiple_of(2) {
        app.clone()
    } else {
        format!("{app}-grpc")
    };
    svc["metadata"]["name"] = json!(name);
    svc["metadata"]["labels"]["app"] = json!(app);
    svc["metadata"]["labels"]["tier"] = json!(tier);
    svc["spec"]["selector"] = json!({"app": app, "app.kubernetes.io/part-of": "shop"});
    svc
}

fn big_policy(pods: usize, p: usize) -> Value {
    let ns = ns(p);
    let k = p / NAMESPACES;
    let (app, tier) = big_app((k / 2) % big_apps_per_ns(pods));
    let principal = |sa: &str| format!("cluster.local/ns/{ns}/sa/{sa}");
    let spec = match k {
        // The namespace's own: a DENY of another namespace, an ALLOW of the monitoring
        // agent on every pod of the application suite, a tier-wide pair.
        0 => {
            json!({"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["untrusted"]}}]}]})
        }
        1 => {
            json!({"selector": {"matchLabels": {"app.kubernetes.io/part-of": "shop"}}, "action": "ALLOW",
            "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/monitoring/sa/prometheus"]}}],
                "to": [{"operation": {"ports": ["9090"]}}]}]})
        }
        2 => json!({"selector": {"matchLabels": {"tier": "frontend"}}, "action": "ALLOW",
            "rules": [{"from": [{"source": {"namespaces": ["istio-system"]}}]}]}),
        3 => {
            json!({"selector": {"matchLabels": {"tier": "data", "app.kubernetes.io/part-of": "shop"}}, "action": "DENY",
            "rules": [{"from": [{"source": {"notNamespaces": [ns.clone()]}}]}]})
        }
        _ => match k % 8 {
            0 => {
                json!({"selector": {"matchLabels": {"app": app, "app.kubernetes.io/part-of": "shop"}}, "action": "ALLOW",
                "rules": [{"from": [{"source": {"principals": [principal(&format!("sa-{app}"))]}}]}]})
            }
            1 => json!({"selector": {"matchLabels": {"app": app, "tier": tier}},
                "rules": [{"to": [{"operation": {"methods": ["GET"], "ports": ["8080"]}}]}]}),
            2 => json!({"targetRefs": [{"kind": "Service", "group": "", "name": app}],
                "rules": [{"to": [{"operation": {"paths": ["/api/*"]}}]}]}),
            3 => {
                json!({"selector": {"matchLabels": {"app": app, "version": "v1"}}, "action": "DENY",
                "rules": [{"from": [{"source": {"notPrincipals": [principal("waypoint")]}}]}]})
            }
            4 => {
                json!({"targetRefs": [{"kind": "Service", "group": "", "name": format!("{app}-grpc")}],
                "action": "DENY", "rules": [{"to": [{"operation": {"methods": ["DELETE"]}}]}]})
            }
            5 => {
                json!({"selector": {"matchLabels": {"app": app, "version": "v2"}}, "action": "ALLOW",
                "rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]}]})
            }
            6 => json!({"selector": {"matchLabels": {"app": app}}, "action": "AUDIT",
                "rules": [{"to": [{"operation": {"ports": ["8080"]}}]}]}),
            _ => {
                json!({"selector": {"matchLabels": {"app": app, "tier": tier, "app.kubernetes.io/part-of": "shop"}},
                "action": "ALLOW", "rules": [{"from": [{"source": {"principals": [principal("waypoint")]}}]}]})
            }
        },
    };
    json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
        "metadata": {"name": format!("policy-{p}"), "namespace": ns}, "spec": spec})
}

/// Every object of a mesh of `pods` workloads and shape `shape`, in the order `kubectl get`
/// would list them.
pub fn objects(pods: usize, workloads: Workloads, shape: Shape) -> impl Iterator<Item = Value> {
    let namespaces = (0..NAMESPACES).map(|n| {
        let mut labels = json!({"istio.io/dataplane-mode": "ambient"});
        if n % 2 == 0 {
            labels["istio.io/use-waypoint"] = json!("waypoint");
        }
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("ns-{n}"), "labels": labels}})
    });
    let root = std::iter::once(json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "istio-system"}}));
    let big = shape == Shape::BigNamespaces;
    let services = if big { pods / REPLICAS * 2 } else { pods / 5 };
    root.chain(namespaces)
        .chain((0..WAYPOINTS).map(waypoint))
        .chain((0..pods).map(move |i| {
            let pod = if big { big_pod(pods, i) } else { pod(pods, i) };
            match workloads {
                Workloads::Pods => pod,
                Workloads::Deployments => deployment(pod, i),
            }
        }))
        .chain((0..services).map(move |s| {
            if big {
                big_service(pods, s)
            } else {
                service(pods, s)
            }
        }))
        .chain((0..pods / 10).map(move |p| {
            if big {
                big_policy(pods, p)
            } else {
                policy(pods, p)
            }
        }))
}

/// Writes the mesh as one `kind: List` with the keys in `kubectl get -o json`'s order, one
/// compact item per line (about 2.6 KB per pod, as in the measurements).
#[allow(dead_code)] // the benchmark and gen_mesh choose a shape
pub fn write_list(pods: usize, workloads: Workloads, w: impl Write) -> io::Result<()> {
    write_shaped(pods, workloads, Shape::Apps, w)
}

/// `write_list` of a mesh of shape `shape`.
pub fn write_shaped(
    pods: usize,
    workloads: Workloads,
    shape: Shape,
    w: impl Write,
) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 20, w);
    w.write_all(b"{\"apiVersion\": \"v1\", \"items\": [\n")?;
    for (i, o) in objects(pods, workloads, shape).enumerate() {
        if i > 0 {
            w.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut w, &o)?;
    }
    w.write_all(b"\n], \"kind\": \"List\", \"metadata\": {\"resourceVersion\": \"\"}}\n")?;
    w.flush()
}
