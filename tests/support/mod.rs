//! Builders for test worlds (in the style of linkerd2's policy-controller index tests): each
//! returns one YAML document, fed to the same file source the CLI uses.
#![allow(dead_code)]

pub mod apiserver;
pub mod cluster;
pub mod consistency;
pub mod helm;
pub mod portforward;
pub mod protobuf;

use ambient_policy::explain::report::{Enforcement, Explanation, PolicyReport};
use ambient_policy::explain::{explain, Scope};
use ambient_policy::snapshot::Snapshot;

fn labels_yaml(indent: &str, labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut s = format!("{indent}labels:\n");
    for (k, v) in labels {
        s.push_str(&format!("{indent}  {k}: \"{v}\"\n"));
    }
    s
}

pub fn ns(name: &str, labels: &[(&str, &str)]) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n{}",
        labels_yaml("  ", labels)
    )
}

pub fn pod(ns: &str, name: &str, labels: &[(&str, &str)], sa: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n{}spec:\n  serviceAccountName: {sa}\n",
        labels_yaml("  ", labels)
    )
}

pub fn pod_annotated(
    ns: &str,
    name: &str,
    labels: &[(&str, &str)],
    annotations: &[(&str, &str)],
) -> String {
    let mut a = String::from("  annotations:\n");
    for (k, v) in annotations {
        a.push_str(&format!("    {k}: \"{v}\"\n"));
    }
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n{}{a}spec:\n  serviceAccountName: {name}\n",
        labels_yaml("  ", labels)
    )
}

/// A Service selecting `app: <app>`.
pub fn svc(ns: &str, name: &str, app: &str, labels: &[(&str, &str)]) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n{}spec:\n  selector:\n    app: {app}\n  ports:\n  - port: 80\n    targetPort: 8080\n",
        labels_yaml("  ", labels)
    )
}

/// A waypoint Gateway (class istio-waypoint, HBONE listener) and, when ready, its pod.
/// Not ready: observed so (status `Programmed: False`, no addresses), as a live dump shows
/// it; a waypoint without status would be declared, and assumed ready.
/// `allowed`: the `allowedRoutes.namespaces` body, e.g. `from: All`.
pub fn waypoint(
    ns: &str,
    name: &str,
    for_: Option<&str>,
    ready: bool,
    allowed: Option<&str>,
) -> String {
    let labels: Vec<(&str, &str)> = for_
        .map(|f| vec![("istio.io/waypoint-for", f)])
        .unwrap_or_default();
    let allowed = allowed
        .map(|a| {
            format!(
                "    allowedRoutes:\n      namespaces:\n        {}\n",
                a.replace('\n', "\n        ")
            )
        })
        .unwrap_or_default();
    let status = if ready {
        "status:\n  addresses:\n  - type: IPAddress\n    value: 10.0.0.9\n"
    } else {
        "status:\n  conditions:\n  - type: Programmed\n    status: \"False\"\n    reason: NoResources\n    message: waiting for the deployment\n    lastTransitionTime: \"2026-11-01T10:00:00Z\"\n"
    };
    let mut s = format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: {ns}\n{}spec:\n  gatewayClassName: istio-waypoint\n  listeners:\n  - name: mesh\n    port: 15008\n    protocol: HBONE\n{allowed}{status}",
        labels_yaml("  ", &labels)
    );
    if ready {
        s.push_str("---\n");
        s.push_str(&pod(
            ns,
            &format!("{name}-pod"),
            &[
                ("gateway.networking.k8s.io/gateway-name", name),
                ("istio.io/dataplane-mode", "none"),
            ],
            name,
        ));
    }
    s
}

/// An AuthorizationPolicy with a raw YAML `spec` body (indented two spaces by the caller).
pub fn authz(ns: &str, name: &str, spec: &str) -> String {
    format!("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}")
}

pub fn peer_auth(ns: &str, name: &str, created: &str, spec: &str) -> String {
    format!("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: {name}\n  namespace: {ns}\n  creationTimestamp: \"{created}\"\nspec:\n{spec}")
}

pub fn snapshot(docs: &[String]) -> Snapshot {
    let text = docs.join("\n---\n");
    ambient_policy::source::files::from_texts(&[("test.yaml".into(), text)], "default")
        .expect("fixture parses")
}

pub fn explain_ns(docs: &[String], ns: &str) -> Explanation {
    explain(
        &snapshot(docs),
        &Scope {
            namespace: Some(ns.into()),
            selector: None,
        },
    )
}

pub fn policy<'a>(e: &'a Explanation, kind: &str, ns: &str, name: &str) -> &'a PolicyReport {
    e.policies
        .iter()
        .find(|p| p.kind == kind && p.namespace == ns && p.name == name)
        .unwrap_or_else(|| {
            panic!(
                "{kind} {ns}/{name} not in the explanation: {:#?}",
                e.policies
            )
        })
}

/// The enforcement entries as compact tuples: (enforcedBy, path, sourceIdentity, effect).
pub fn rows(p: &PolicyReport) -> Vec<(String, String, String, String)> {
    p.enforcement
        .iter()
        .map(|e: &Enforcement| {
            (
                e.enforced_by.clone(),
                e.path.clone(),
                e.source_identity.clone(),
                e.effect.clone(),
            )
        })
        .collect()
}

pub fn codes(e: &Explanation) -> Vec<(String, String)> {
    e.findings
        .iter()
        .map(|f| (f.code.clone(), f.resource.clone()))
        .collect()
}
