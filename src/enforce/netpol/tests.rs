//! Kubernetes NetworkPolicy semantics, case by case as the upstream conformance suite and
//! cyclonus exercise them (kubernetes.io "Network Policies"; test/e2e/network/netpol):
//! isolation only for selected pods, additive rules, selectors alone and combined,
//! ipBlock with except, ports by number, range, name and protocol, and policy types.

use super::*;
use crate::source::files::from_texts;

/// Namespaces x (team=x) and edge (team=edge); pods x/web (app=web, port "http" 8080), x/db,
/// edge/client; an address outside the cluster. Policies are appended per case.
const WORLD: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {team: x}}
---
apiVersion: v1
kind: Namespace
metadata: {name: edge, labels: {team: edge}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: x, labels: {app: web}}
spec:
  containers:
  - name: web
    ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 5353, protocol: UDP}]
status: {phase: Running, podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: x, labels: {app: db}}
status: {phase: Running, podIP: 10.0.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: edge, labels: {app: client}}
status: {phase: Running, podIP: 10.0.2.1}
";

/// (policies, from, to, port, admitted?)
type WireCase<'a> = (Vec<String>, &'a str, &'a str, u16, Option<bool>);

fn np(ns: &str, name: &str, spec: &str) -> String {
    format!("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {spec}\n")
}

/// (from, to, port) -> admitted? under the given policies.
fn admits(policies: &[String], from: &str, to: &str, port: u16) -> Option<bool> {
    let text = format!("{WORLD}{}", policies.concat());
    let snap = from_texts(&[("t.yaml".into(), text)], "default").unwrap();
    let mesh = Mesh::build(&snap);
    let np = NetworkPolicies::new(&mesh);
    let end = |s: &str| match s {
        "outside" => Endpoint::Address(Some("203.0.113.9".parse().unwrap())),
        "unknown" => Endpoint::Address(None),
        name => Endpoint::Pod(
            snap.pods
                .iter()
                .position(|p| p.metadata.name == name)
                .unwrap(),
        ),
    };
    np.evaluate(&Wire {
        from: end(from),
        to: end(to),
        port,
    })
    .admits()
}

#[test]
fn isolation_and_additive_rules() {
    let deny_all = np("x", "deny-all", "{podSelector: {}, policyTypes: [Ingress]}");
    let web_only = np("x", "deny-web", "{podSelector: {matchLabels: {app: web}}}");
    let allow_all = np("x", "allow-all", "{podSelector: {}, ingress: [{}]}");
    #[rustfmt::skip]
    let cases: &[WireCase] = &[
        // No policy: not isolated.
        (vec![], "client", "web", 8080, Some(true)),
        // Default deny ingress isolates every pod of the namespace.
        (vec![deny_all.clone()], "client", "web", 8080, Some(false)),
        (vec![deny_all.clone()], "db", "web", 8080, Some(false)),
        // Isolation only for the selected pods.
        (vec![web_only.clone()], "client", "db", 8080, Some(true)),
        (vec![web_only.clone()], "client", "web", 8080, Some(false)),
        // Additive: another policy's empty rule admits everything.
        (vec![deny_all.clone(), allow_all.clone()], "client", "web", 8080, Some(true)),
        // Egress is not isolated by an Ingress-only policy.
        (vec![deny_all.clone()], "web", "client", 8080, Some(true)),
    ];
    for (i, (ps, from, to, port, want)) in cases.iter().enumerate() {
        assert_eq!(
            admits(ps, from, to, *port),
            *want,
            "case {i}: {from} -> {to}:{port}"
        );
    }
}

#[test]
fn peers_by_selector() {
    let same_ns = np("x", "p", "{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{podSelector: {matchLabels: {app: db}}}]}]}");
    let by_ns = np("x", "p", "{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: edge}}}]}]}");
    let by_name = np("x", "p", "{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: edge}}}]}]}");
    // Both selectors in one entry: pods with the label in the selected namespaces (AND).
    let and = np("x", "p", "{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: edge}}, podSelector: {matchLabels: {app: db}}}]}]}");
    // Two entries: either (OR).
    let or = np("x", "p", "{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: edge}}}, {podSelector: {matchLabels: {app: db}}}]}]}");
    let all_ns = np(
        "x",
        "p",
        "{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {}}]}]}",
    );
    let expr = np("x", "p", "{podSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}, ingress: [{from: [{podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}}]}]}");
    #[rustfmt::skip]
    let cases: &[(&String, &str, Option<bool>)] = &[
        (&same_ns, "db", Some(true)),
        // A podSelector alone is the policy's namespace only.
        (&same_ns, "client", Some(false)),
        (&by_ns, "client", Some(true)),
        (&by_ns, "db", Some(false)),
        (&by_name, "client", Some(true)),
        (&and, "client", Some(false)),
        (&and, "db", Some(false)),
        (&or, "client", Some(true)),
        (&or, "db", Some(true)),
        (&all_ns, "client", Some(true)),
        // Selectors never match addresses outside the cluster.
        (&all_ns, "outside", Some(false)),
        (&expr, "db", Some(false)),
        // NotIn matches a pod without the key, in the policy's namespace only.
        (&expr, "client", Some(false)),
    ];
    for (i, (p, from, want)) in cases.iter().enumerate() {
        assert_eq!(
            admits(&[(*p).clone()], from, "web", 8080),
            *want,
            "case {i}: {from}"
        );
    }
}

#[test]
fn ip_blocks_with_except() {
    let p = np("x", "p", "{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.2.0/24]}}, {ipBlock: {cidr: 203.0.113.0/24}}]}]}");
    #[rustfmt::skip]
    let cases = [
        ("db", Some(true)),        // 10.0.1.2 in 10.0.0.0/16
        ("client", Some(false)),   // 10.0.2.1 is excepted
        ("outside", Some(true)),   // 203.0.113.9
        ("unknown", None),         // no address given: cannot tell
    ];
    for (from, want) in cases {
        assert_eq!(
            admits(std::slice::from_ref(&p), from, "web", 8080),
            want,
            "{from}"
        );
    }
}

#[test]
fn ports_by_number_range_name_and_protocol() {
    let rule = |ports: &str| {
        np(
            "x",
            "p",
            &format!(
                "{{podSelector: {{matchLabels: {{app: web}}}}, ingress: [{{ports: {ports}}}]}}"
            ),
        )
    };
    #[rustfmt::skip]
    let cases: &[(&str, u16, bool)] = &[
        ("[{port: 8080}]", 8080, true),
        ("[{port: 8080}]", 15008, false),
        ("[{port: 8080, protocol: TCP}]", 8080, true),
        ("[{port: 8080, protocol: UDP}]", 8080, false),
        ("[{port: 8000, endPort: 9000}]", 8080, true),
        ("[{port: 8000, endPort: 9000}]", 9001, false),
        // Named: the receiver's container port of that name.
        ("[{port: http}]", 8080, true),
        // A named port is never HBONE's 15008: the ambient trap.
        ("[{port: http}]", 15008, false),
        // The name exists, but for UDP.
        ("[{port: dns}]", 5353, false),
        ("[{port: nope}]", 8080, false),
        // Protocol only: every TCP port.
        ("[{protocol: TCP}]", 15008, true),
        ("[{port: 8080}, {port: 15008}]", 15008, true),
    ];
    for (ports, port, want) in cases {
        assert_eq!(
            admits(&[rule(ports)], "client", "web", *port),
            Some(*want),
            "{ports} on {port}"
        );
    }
}

#[test]
fn policy_types_and_egress() {
    // Egress rules without policyTypes imply Egress (and Ingress).
    let egress_dns = np(
        "edge",
        "e",
        "{podSelector: {}, egress: [{ports: [{port: 53, protocol: UDP}]}]}",
    );
    let egress_web = np("edge", "e2", "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {team: x}}, podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]}");
    let egress_only = np("x", "eo", "{podSelector: {}, policyTypes: [Egress]}");
    #[rustfmt::skip]
    let cases: &[WireCase] = &[
        (vec![egress_dns.clone()], "client", "web", 8080, Some(false)),
        // ... and Ingress isolation too (types default to Ingress).
        (vec![egress_dns.clone()], "web", "client", 8080, Some(false)),
        (vec![egress_dns.clone(), egress_web.clone()], "client", "web", 8080, Some(true)),
        // The named port of an egress rule is the destination's.
        (vec![egress_web.clone()], "client", "web", 15008, Some(false)),
        (vec![egress_web.clone()], "client", "db", 8080, Some(false)),
        (vec![egress_web.clone()], "client", "outside", 8080, Some(false)),
        // An Egress-only policy does not isolate ingress.
        (vec![egress_only.clone()], "client", "web", 8080, Some(true)),
        (vec![egress_only.clone()], "web", "db", 8080, Some(false)),
    ];
    for (i, (ps, from, to, port, want)) in cases.iter().enumerate() {
        assert_eq!(
            admits(ps, from, to, *port),
            *want,
            "case {i}: {from} -> {to}:{port}"
        );
    }
}

#[test]
fn the_gate_names_what_decided() {
    let text = format!(
        "{WORLD}{}{}",
        np("x", "deny-all", "{podSelector: {}, policyTypes: [Ingress]}"),
        np("x", "from-y", "{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: z}}}]}, {from: [{namespaceSelector: {matchLabels: {team: edge}}}], ports: [{port: 8080}]}]}")
    );
    let snap = from_texts(&[("t.yaml".into(), text)], "default").unwrap();
    let mesh = Mesh::build(&snap);
    let np = NetworkPolicies::new(&mesh);
    let pod = |n: &str| Endpoint::Pod(snap.pods.iter().position(|p| p.metadata.name == n).unwrap());
    let idx = |n: &str| {
        snap.network_policies
            .iter()
            .position(|p| p.metadata.name == n)
            .unwrap()
    };
    let v = np.evaluate(&Wire {
        from: pod("client"),
        to: pod("web"),
        port: 8080,
    });
    assert_eq!(v.egress, Gate::NotIsolated);
    assert_eq!(
        v.ingress,
        Gate::Admitted {
            policy: idx("from-y"),
            rule: 1
        }
    );
    let v = np.evaluate(&Wire {
        from: pod("client"),
        to: pod("web"),
        port: 15008,
    });
    let mut both = vec![idx("deny-all"), idx("from-y")];
    both.sort_unstable();
    assert_eq!(v.ingress, Gate::Denied { policies: both });
    let v = np.evaluate(&Wire {
        from: Endpoint::Address(None),
        to: pod("db"),
        port: 8080,
    });
    assert_eq!(v.egress, Gate::Outside);
    assert_eq!(
        v.ingress,
        Gate::Denied {
            policies: vec![idx("deny-all")]
        }
    );
}
