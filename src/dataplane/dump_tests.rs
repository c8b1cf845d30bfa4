//! Each form of the dump reads to the same thing; a broken or hostile one is refused with one
//! line.

use super::*;

/// One workload, one service, one policy, as ztunnel's `/config_dump` writes them (keys
/// sorted, camelCase, lists).
const CURRENT: &str = r#"{
  "certificates": [],
  "policies": [
    {"action": "Allow", "dryRun": false, "name": "allow-frontend", "namespace": "shop",
     "rules": [[[{"principals": [{"Exact": "cluster.local/ns/shop/sa/frontend"}]}],
                [{"destinationPorts": [8080]}, {"notSourceIps": ["10.1.2.3/16"]}]]],
     "scope": "WorkloadSelector"}
  ],
  "services": [
    {"endpoints": {}, "hostname": "waypoint.shop.svc.cluster.local", "name": "waypoint",
     "namespace": "shop", "ports": {"15008": 15008}, "subjectAltNames": [],
     "vips": ["/10.96.0.9"]}
  ],
  "workloads": [
    {"authorizationPolicies": ["shop/allow-frontend"], "canonicalName": "api",
     "clusterId": "Kubernetes", "name": "api-7d4f-abcde", "namespace": "shop",
     "networkMode": "Standard", "protocol": "HBONE", "serviceAccount": "api",
     "services": ["shop/api.shop.svc.cluster.local"], "status": "Healthy",
     "trustDomain": "cluster.local", "uid": "Kubernetes//Pod/shop/api-7d4f-abcde",
     "waypoint": {"destination": "/10.96.0.9", "hboneMtlsPort": 15008},
     "workloadIps": ["10.244.0.7"], "workloadName": "api", "workloadType": "deployment"}
  ]
}"#;

/// The same, as older ztunnels and istioctl's testdata have it: maps keyed by address, UID
/// or `ns/name`, and no `dryRun`.
const MAPS: &str = r#"{
  "policies": {"shop/allow-frontend":
    {"action": "Allow", "name": "allow-frontend", "namespace": "shop",
     "rules": [[[{"principals": [{"Exact": "cluster.local/ns/shop/sa/frontend"}]}],
                [{"destinationPorts": [8080]}, {"notSourceIps": ["10.1.2.3/16"]}]]],
     "scope": "WorkloadSelector"}},
  "services": {"shop/waypoint.shop.svc.cluster.local":
    {"hostname": "waypoint.shop.svc.cluster.local", "name": "waypoint", "namespace": "shop",
     "vips": ["/10.96.0.9"]}},
  "workloads": {"/10.244.0.7":
    {"authorizationPolicies": ["shop/allow-frontend"], "name": "api-7d4f-abcde",
     "namespace": "shop", "networkMode": "Standard", "protocol": "HBONE",
     "serviceAccount": "api", "services": ["shop/api.shop.svc.cluster.local"],
     "trustDomain": "cluster.local", "uid": "Kubernetes//Pod/shop/api-7d4f-abcde",
     "waypoint": {"destination": "/10.96.0.9", "port": 15008},
     "workloadIps": ["10.244.0.7"], "workloadName": "api"}}
}"#;

/// Before istio/ztunnel#925: snake_case keys.
const SNAKE: &str = r#"{
  "policies": {"shop/allow-frontend":
    {"action": "Allow", "name": "allow-frontend", "namespace": "shop",
     "rules": [[[{"principals": [{"Exact": "cluster.local/ns/shop/sa/frontend"}]}],
                [{"destination_ports": [8080]}, {"not_source_ips": ["10.1.2.3/16"]}]]],
     "scope": "WorkloadSelector"}},
  "services": {"shop/waypoint.shop.svc.cluster.local":
    {"hostname": "waypoint.shop.svc.cluster.local", "name": "waypoint", "namespace": "shop",
     "vips": ["/10.96.0.9"]}},
  "workloads": {"10.244.0.7":
    {"authorization_policies": ["shop/allow-frontend"], "name": "api-7d4f-abcde",
     "namespace": "shop", "network_mode": "Standard", "protocol": "HBONE",
     "service_account": "api", "services": ["shop/api.shop.svc.cluster.local"],
     "trust_domain": "cluster.local", "uid": "Kubernetes//Pod/shop/api-7d4f-abcde",
     "waypoint": {"destination": "/10.96.0.9"},
     "workload_ip": "10.244.0.7", "workload_name": "api"}}
}"#;

fn parsed(text: &str) -> Dump {
    parse("dump.json", text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shape_reads_the_same() {
    let current = parsed(CURRENT);
    assert_eq!(current.form, Form::ConfigDump);
    assert!(current.lacks.is_empty(), "{:?}", current.lacks);
    let p = &current.policies.as_ref().unwrap()[0];
    assert_eq!(
        (p.scope, p.action, p.dry_run),
        (Scope::WorkloadSelector, Action::Allow, Some(false))
    );
    assert_eq!(p.rules[0].clauses.len(), 2);
    assert_eq!(
        p.rules[0].clauses[1].matches[0].destination_ports,
        vec![8080]
    );
    let w = &current.workloads.as_ref().unwrap()[0];
    assert!(w.captured && !w.host_network);
    assert_eq!(w.waypoint.as_deref(), Some("/10.96.0.9"));
    for other in [MAPS, SNAKE] {
        let d = parsed(other);
        assert_eq!(
            d.lacks,
            vec!["dryRun"],
            "an older dump says it has no dryRun"
        );
        let mut q = d.policies.unwrap()[0].clone();
        assert_eq!(q.dry_run, None);
        q.dry_run = Some(false);
        assert_eq!(&q, p);
        let v = &d.workloads.unwrap()[0];
        assert_eq!(
            (
                &v.name,
                &v.service_account,
                &v.waypoint,
                &v.authorization_policies,
                v.captured,
                &v.ips
            ),
            (
                &w.name,
                &w.service_account,
                &w.waypoint,
                &w.authorization_policies,
                w.captured,
                &w.ips
            )
        );
        assert_eq!(
            d.services.unwrap()[0].vips,
            current.services.as_ref().unwrap()[0].vips
        );
    }
}

#[test]
fn yaml_of_istioctl_reads_as_json() {
    let v: serde_json::Value = serde_json::from_str(CURRENT).unwrap();
    let yaml = serde_saphyr::to_string(&v).unwrap();
    let d = parsed(&yaml);
    assert_eq!(d.policies, parsed(CURRENT).policies);
    assert_eq!(d.workloads, parsed(CURRENT).workloads);
}

/// `istioctl ztunnel-config policy|workload|service -o json`: lists of one kind, and what
/// each lacks is said.
#[test]
fn istioctl_lists_say_what_they_lack() {
    let policies = r#"[{"name": "allow-frontend", "namespace": "shop", "scope": "WORKLOAD_SELECTOR",
        "action": "ALLOW", "rules": [[[{"principals": [{"Exact": "cluster.local/ns/shop/sa/frontend"}]}],
        [{"destinationPorts": [8080]}, {"notSourceIps": ["10.1.2.3/16"]}]]]}]"#;
    let d = parsed(policies);
    assert_eq!(d.form, Form::PolicyList);
    assert_eq!(d.lacks, vec!["dryRun", "workloads", "services"]);
    let mut p = d.policies.unwrap()[0].clone();
    p.dry_run = Some(false);
    assert_eq!(&p, &parsed(CURRENT).policies.unwrap()[0]);

    let workloads = r#"[{"uid": "Kubernetes//Pod/shop/api-7d4f-abcde", "name": "api-7d4f-abcde",
        "namespace": "shop", "workloadIps": ["10.244.0.7"], "protocol": "HBONE",
        "waypoint": {"destination": "/10.96.0.9"}, "serviceAccount": "api"}]"#;
    let d = parsed(workloads);
    assert_eq!(d.form, Form::WorkloadList);
    assert!(d.lacks.contains(&"workload services"), "{:?}", d.lacks);
    assert_eq!(d.workloads.unwrap()[0].services, None);

    let services = r#"[{"name": "waypoint", "namespace": "shop", "hostname": "waypoint.shop.svc.cluster.local", "vips": ["/10.96.0.9"]}]"#;
    assert_eq!(parsed(services).form, Form::ServiceList);
}

#[test]
fn broken_and_hostile_dumps_are_one_line_errors() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("not json at all: [", "not JSON, nor one YAML document"),
        ("{\"kind\": \"Pod\"}", "no workloads, services or policies"),
        ("[]", "an empty list"),
        ("[1, 2]", "not of ztunnel policies"),
        ("42", "neither an object nor a list"),
        (
            r#"{"policies": [{"name": "p", "scope": "Cluster", "action": "Allow"}]}"#,
            "unknown scope",
        ),
        (
            r#"{"policies": [{"name": "p", "scope": "Global", "action": "Audit"}]}"#,
            "unknown action",
        ),
        (
            r#"{"policies": [{"name": "p", "scope": "Global", "action": "Allow", "rules": [[[{"principals": [{"Exact": "a", "Prefix": "b"}]}]]]}]}"#,
            "exactly one of",
        ),
        (
            r#"{"policies": [{"name": "p", "scope": "Global", "action": "Allow", "rules": [[[{"destinationPorts": [70000]}]]]}]}"#,
            "not a ztunnel config dump",
        ),
        (
            r#"{"policies": [{"name": "p", "scope": "Global", "action": "Allow", "rules": [[[{"sourceIps": ["10.0.0.300"]}]]]}]}"#,
            "not an IP or CIDR",
        ),
        (r#"{"workloads": "everything"}"#, "a list or a map"),
        (&deep, "not a ztunnel config dump"),
    ];
    for (text, want) in cases {
        let e = parse("d.json", text).expect_err(want);
        assert!(e.contains(want), "{want}: {e}");
        assert!(e.starts_with("d.json"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}

#[test]
fn match_kinds_unknown_to_the_plugin_are_named() {
    let text = r#"{"policies": [{"name": "p", "namespace": "ns", "scope": "Namespace", "action": "Deny",
        "rules": [[[{"sourceLabels": ["x"], "destinationPorts": [80]}]]], "dryRun": false}]}"#;
    let p = &parsed(text).policies.unwrap()[0];
    assert_eq!(p.unknown_fields, vec!["sourceLabels"]);
    assert_eq!(p.rules[0].clauses[0].matches[0].destination_ports, vec![80]);
}
