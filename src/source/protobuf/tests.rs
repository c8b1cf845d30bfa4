//! The slim decoder against the upstream-generated messages of k8s-pb: each kind written as
//! a user's object in JSON, encoded by the test API server's encoder, decodes to the same
//! model as the JSON form does.

#[path = "../../../tests/support/protobuf.rs"]
#[allow(dead_code)]
mod encode;

use super::*;
use serde_json::{json, Value};

/// The model of `o` read both ways, printed (the model types compare by their Debug form).
fn both<T: Listed + std::fmt::Debug>(
    o: Value,
    normalise: impl Fn(&mut T),
) -> (String, String, Option<String>) {
    let mut from_json: T = serde_json::from_value(o.clone()).unwrap();
    let item = encode::encode_object(&o).expect("a built-in kind");
    let page = encode::encode_list("v1", "List", Some("next-page"), Some(7), &[&item]);
    let raw = unwrap_envelope(Bytes::from(page)).unwrap();
    let head = list_head(&raw);
    assert_eq!(head.cont.as_deref(), Some("next-page"));
    assert_eq!(head.remaining, Some(7));
    let (mut items, cont) = decoded::<T>(raw).unwrap();
    assert_eq!(items.len(), 1);
    normalise(&mut from_json);
    normalise(&mut items[0]);
    (format!("{from_json:?}"), format!("{:?}", items[0]), cont)
}

/// A page's items, decoded into a new list, and its continue token.
fn decoded<T: Listed>(raw: Bytes) -> Result<(Vec<T>, Option<String>), String> {
    let mut items = Vec::new();
    let cont = T::decode_list(raw, &mut items)?;
    Ok((items, cont))
}

fn meta() -> Value {
    json!({
        "name": "reviews-v1-7c9f8d6b5-abcde", "namespace": "bookinfo", "uid": "u-1",
        "resourceVersion": "12345", "creationTimestamp": "2026-01-02T03:04:05Z",
        "generateName": "reviews-v1-7c9f8d6b5-",
        "labels": {"app": "reviews", "version": "v1", "istio.io/use-waypoint": "waypoint"},
        "annotations": {
            "ambient.istio.io/redirection": "enabled",
            "kubectl.kubernetes.io/last-applied-configuration": "{\"big\": true}",
            "istio.io/use-waypoint-canary-weight": "20"
        },
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "reviews-v1-7c9f8d6b5",
            "uid": "u-2", "controller": true, "blockOwnerDeletion": true}],
        "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
            "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]
    })
}

#[test]
fn a_pod_reads_the_same_as_json() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta(),
        "spec": {"serviceAccountName": "bookinfo-reviews", "serviceAccount": "bookinfo-reviews",
            "hostNetwork": true, "nodeName": "node-1",
            "containers": [
                {"name": "reviews", "image": "docker.io/istio/examples-bookinfo-reviews-v1:1.20.2",
                 "ports": [{"name": "http", "containerPort": 9080, "protocol": "TCP"},
                           {"name": "metrics", "containerPort": 9090},
                           {"name": "dns", "containerPort": 53, "protocol": "UDP"}],
                 "env": [{"name": "LOG_DIR", "value": "/tmp/logs"}],
                 "readinessProbe": {"exec": {"command": ["true"]}},
                 "livenessProbe": {"tcpSocket": {"port": 9080}, "periodSeconds": 5}},
                {"name": "sidecar", "image": "busybox", "startupProbe": {"grpc": {"port": 9090}}}],
            "volumes": [{"name": "tmp"}]},
        "status": {"phase": "Running", "podIP": "10.244.1.7", "hostIP": "172.18.0.2",
            "conditions": [{"type": "Ready", "status": "True"}]}});
    let (json, pb, cont) = both(pod, |p: &mut crate::model::Pod| p.spec.slim_containers());
    assert_eq!(pb, json);
    assert_eq!(cont.as_deref(), Some("next-page"));
    // The parts that matter, spelled out: a wrong field number would show here first.
    for part in [
        "bookinfo-reviews",
        "host_network: true",
        "10.244.1.7",
        "Running",
        "2026-01-02T03:04:05Z",
        "(\"http\", 9080)",
        "(\"metrics\", 9090)",
        "network_probes: true",
        "ReplicaSet",
        "ambient.istio.io/redirection",
        "istio.io/use-waypoint-canary-weight",
    ] {
        assert!(pb.contains(part), "{part} missing from {pb}");
    }
    assert!(!pb.contains("last-applied"), "{pb}");
    assert!(
        !pb.contains("dns"),
        "UDP ports are not named TCP ports: {pb}"
    );
}

#[test]
fn a_pod_with_only_exec_probes_has_no_network_probes() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
        "spec": {"containers": [{"name": "c", "readinessProbe": {"exec": {"command": ["true"]}}}]}});
    let (json, pb, _) = both(pod, |p: &mut crate::model::Pod| p.spec.slim_containers());
    assert_eq!(pb, json);
    assert!(pb.contains("network_probes: false"), "{pb}");
}

#[test]
fn a_service_reads_the_same_as_json() {
    for spec in [
        json!({"selector": {"app": "reviews"}, "type": "ClusterIP", "clusterIP": "10.96.0.12",
            "clusterIPs": ["10.96.0.12", "fd00::12"],
            "ports": [{"name": "http", "port": 9080, "targetPort": 9080, "protocol": "TCP"},
                      {"name": "grpc", "port": 7070, "targetPort": "grpc-port", "appProtocol": "grpc"}]}),
        // No selector: endpoints managed elsewhere.
        json!({"type": "ExternalName", "externalName": "example.com"}),
    ] {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(), "spec": spec,
            "status": {"conditions": [{"type": "istio.io/WaypointBound", "status": "True",
                "reason": "Bound", "message": "bound to bookinfo/waypoint"}]}});
        let (json, pb, _) = both(svc, |_: &mut crate::model::Service| {});
        assert_eq!(pb, json);
    }
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(),
        "spec": {"selector": {"app": "reviews"}, "ports": [{"port": 7070, "targetPort": "grpc-port"}]}});
    let (_, pb, _) = both(svc, |_: &mut crate::model::Service| {});
    assert!(pb.contains("String(\"grpc-port\")"), "{pb}");
}

#[test]
fn a_namespace_reads_the_same_as_json() {
    let ns = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "bookinfo", "labels": {"istio.io/dataplane-mode": "ambient",
            "kubernetes.io/metadata.name": "bookinfo"}},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    let (json, pb, _) = both(ns, |_: &mut crate::model::Namespace| {});
    assert_eq!(pb, json);
    assert!(pb.contains("istio.io/dataplane-mode"), "{pb}");
}

#[test]
fn a_network_policy_reads_the_same_as_json() {
    let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "allow-hbone", "namespace": "bookinfo"},
        "spec": {"podSelector": {"matchLabels": {"app": "reviews"},
                "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]},
                                     {"key": "canary", "operator": "DoesNotExist"}]},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                                   "podSelector": {}},
                                  {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                         "ports": [{"protocol": "TCP", "port": 15008}, {"port": "http"},
                                   {"port": 30000, "endPort": 32767}]}],
            "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "ratings"}}}]}, {}]}});
    let (json, pb, _) = both(np, |_: &mut crate::model::NetworkPolicy| {});
    assert_eq!(pb, json);
    // An empty podSelector is there (it selects every pod), not absent.
    let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all", "namespace": "bookinfo"}, "spec": {"podSelector": {}}});
    let (json, pb, _) = both(np, |_: &mut crate::model::NetworkPolicy| {});
    assert_eq!(pb, json);
    assert!(pb.contains("pod_selector: Some"), "{pb}");
}

#[test]
fn an_unknown_selector_operator_is_an_error() {
    let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "x", "namespace": "a"},
        "spec": {"podSelector": {"matchExpressions": [{"key": "k", "operator": "Sometimes"}]}}});
    let item = encode::encode_object(&np).unwrap();
    let raw =
        unwrap_envelope(encode::encode_list("v1", "List", None, None, &[&item]).into()).unwrap();
    let e = decoded::<NetworkPolicy>(raw).unwrap_err();
    assert!(e.contains("Sometimes"), "{e}");
}

#[test]
fn an_error_status_gives_its_message_and_retry() {
    let body = encode::encode_status(429, "TooManyRequests", "slow down", Some(7));
    assert_eq!(status(body.into()), Some(("slow down".to_string(), 7)));
    assert_eq!(status(Bytes::from_static(b"{\"kind\":\"Status\"}")), None);
}

#[test]
fn broken_answers_are_errors_not_panics() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta()});
    let item = encode::encode_object(&pod).unwrap();
    let page = encode::encode_list("v1", "PodList", None, None, &[&item, &item]);
    // JSON, or anything without the magic.
    assert!(unwrap_envelope(Bytes::from_static(b"{\"items\": []}")).is_err());
    // Cut anywhere: the envelope or the list is incomplete.
    for cut in [5, 10, page.len() / 2, page.len() - 1] {
        let r = unwrap_envelope(Bytes::copy_from_slice(&page[..cut]))
            .and_then(|raw| decoded::<Pod>(raw).map(|_| ()));
        assert!(r.is_err(), "cut at {cut} of {}", page.len());
    }
    // A compressed payload is not guessed at.
    let mut u = encode::envelope("v1", "PodList", vec![]);
    u.extend([0x1a, 4]);
    u.extend(b"gzip");
    assert!(unwrap_envelope(u.into()).unwrap_err().contains("gzip"));
    // An item whose length runs past the end.
    let mut raw = vec![0x12, 0x7f];
    raw.extend([0u8; 4]);
    assert!(decoded::<Pod>(raw.into()).is_err());
    // A custom resource has no protobuf form.
    assert!(decoded::<AuthorizationPolicy>(Bytes::new()).is_err());
}

/// A page's head is read from its first bytes as they come: not yet until its list's
/// metadata is whole, then the same head as the whole page's, whatever follows.
#[test]
fn the_head_is_read_from_the_first_bytes() {
    let pod = encode::encode_object(&json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": meta(), "spec": {}
    }))
    .unwrap();
    let page = encode::encode_list("v1", "PodList", Some("o500"), Some(49_500), &[&pod, &pod]);
    let whole = list_head(&unwrap_envelope(Bytes::from(page.clone())).unwrap());
    assert_eq!(whole.cont.as_deref(), Some("o500"));
    let first = (0..=page.len())
        .find(|&n| early_head(&page[..n]) != Early::More)
        .unwrap();
    assert!(first < 64, "the head is whole after {first} bytes");
    for n in first..=page.len() {
        assert_eq!(
            early_head(&page[..n]),
            Early::Head(whole.clone()),
            "cut at {n}"
        );
    }
    // The last page: no token.
    let last = encode::encode_list("v1", "PodList", None, None, &[&pod]);
    assert_eq!(early_head(&last), Early::Head(Head::default()));
    // Items before the metadata, JSON, or no head in the first 64 KiB: the whole page decides.
    let mut items_first = encode::envelope("v1", "PodList", vec![0x12, 0]);
    items_first.extend([0u8; 8]);
    assert_eq!(early_head(&items_first), Early::Never);
    assert_eq!(early_head(b"{\"kind\""), Early::Never);
    assert_eq!(early_head(b"k8"), Early::More);
    let mut long = b"k8s\0".to_vec();
    long.extend([0x0a, 0xff, 0xff, 0x04]);
    assert_eq!(early_head(&long), Early::More);
    long.resize(EARLY_BYTES, b'x');
    assert_eq!(early_head(&long), Early::Never);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
    #[test]
    fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let mut with_magic = b"k8s\0".to_vec();
        with_magic.extend(&bytes);
        let _ = early_head(&with_magic);
        if let Ok(raw) = unwrap_envelope(with_magic.into()) {
            let _ = list_head(&raw);
            let _ = decoded::<Pod>(raw.clone());
            let _ = decoded::<Service>(raw.clone());
            let _ = decoded::<NetworkPolicy>(raw);
        }
        let _ = decoded::<Pod>(bytes.clone().into());
        let _ = decoded::<NetworkPolicy>(bytes.into());
    }
}
