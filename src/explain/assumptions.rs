//! The assumptions of the explanation: mesh settings and where they come from, inputs
//! skipped, and declared versus observed state (AMB026).

use super::inventory::waypoints;
use super::report::*;
use super::Ctx;
use crate::findings::{self as f, Finding};
use crate::mesh::Role;
use crate::model::resource_key;
use crate::snapshot::Snapshot;
use crate::versions::Rules;

pub fn assumptions(snap: &Snapshot, rules: &Rules) -> Vec<Assumption> {
    let m = &snap.mesh;
    let mut v = vec![
        Assumption {
            setting: "rootNamespace".into(),
            value: m.root_namespace.value.clone(),
            source: m.root_namespace.source.clone(),
        },
        Assumption {
            setting: "trustDomain".into(),
            value: m.trust_domain.value.clone(),
            source: m.trust_domain.source.clone(),
        },
    ];
    for (setting, r) in [
        ("istioVersion", &rules.istiod),
        ("ztunnelVersion", &rules.ztunnel),
    ] {
        v.push(Assumption {
            setting: setting.into(),
            value: r.shown(),
            source: r.source.clone(),
        });
    }
    if m.revisions.len() > 1 {
        v.push(Assumption {
            setting: "istiodRevisions".into(),
            value: m
                .revisions
                .iter()
                .map(|r| {
                    // The flag states the version of the istiod ztunnel follows: that
                    // revision's rules are the flag's, whatever its image tag says.
                    let flagged = rules.istiod.source.starts_with("--istio-version")
                        && m.ztunnel_revision() == Some(r.name.as_str());
                    if flagged && rules.istiod.text != r.version {
                        format!(
                            "{} ({}; --istio-version {} applies)",
                            r.name, r.version, rules.istiod.text
                        )
                    } else {
                        format!("{} ({})", r.name, r.version)
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            source: format!(
                "Deployments {}; ztunnel takes the configuration of {}",
                m.revisions
                    .iter()
                    .map(|r| r.deployment.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                m.revision.as_ref().map_or_else(
                    || "an unknown revision (ztunnel's DaemonSet is not in the input)".into(),
                    |r| format!("revision {} ({})", r.value, r.source)
                )
            ),
        });
    }
    v.push(network_policies(snap));
    v.extend(cni_differences(snap));
    for (k, s) in &m.features {
        v.push(Assumption {
            setting: k.clone(),
            value: s.value.to_string(),
            source: s.source.clone(),
        });
    }
    let c = &snap.controller_counts;
    if !c.from_templates.is_empty() || c.covered > 0 {
        let kinds = c
            .from_templates
            .iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        v.push(Assumption {
            setting: "workloadsFromControllers".into(),
            value: if kinds.is_empty() {
                "none".into()
            } else {
                kinds
            },
            source: format!(
                "pod templates, enrolled by labels (no live status){}",
                if c.covered > 0 {
                    format!(
                        "; {} controller(s) counted through their live pods or parent",
                        c.covered
                    )
                } else {
                    String::new()
                }
            ),
        });
    }
    v.push(Assumption {
        setting: "cniExcludeNamespaces".into(),
        value: m.cni_exclude_namespaces.value.join(","),
        source: m.cni_exclude_namespaces.source.clone(),
    });
    v.extend(skipped_inputs(snap));
    v
}

/// What the file source skipped without modelling it, said up front so nothing is silently
/// missing: inputs that are not Kubernetes objects, and kinds ambient mode never reads.
fn skipped_inputs(snap: &Snapshot) -> Vec<Assumption> {
    let counts = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut v = Vec::new();
    if !snap.non_kubernetes.is_empty() {
        v.push(Assumption {
            setting: "skippedInputs".into(),
            value: counts(&snap.non_kubernetes),
            source: "-f directories: not Kubernetes objects".into(),
        });
    }
    if !snap.ignored_kinds.is_empty() {
        v.push(Assumption {
            setting: "ignoredKinds".into(),
            value: counts(&snap.ignored_kinds),
            source: "installed with Istio, never read by ambient mode".into(),
        });
    }
    v.extend(snap.input_notes.iter().map(|n| Assumption {
        setting: n.setting.clone(),
        value: n.value.clone(),
        source: n.source.clone(),
    }));
    v
}

/// Declared versus observed state: waypoints assumed ready because the input declares them
/// without status, namespaces the input references but does not contain (AMB026), and
/// namespace labels given on the command line. Returns the assumptions; pushes the findings.
pub fn input_state(ctx: &mut Ctx) -> Vec<Assumption> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let mut out = Vec::new();
    for w in waypoints(ctx).iter().filter(|w| w.declared) {
        out.push(Assumption {
            setting: format!("waypoint {}/{}", w.namespace, w.name),
            value: "ready (assumed)".into(),
            source:
                "declared in the input without status: istiod deploys it and gives it addresses"
                    .into(),
        });
    }
    for ns in &snap.namespace_labels_from_flag {
        let labels = snap
            .namespace_labels(ns)
            .map(|l| {
                l.iter()
                    // As the user gave them: without the name label the API server adds.
                    .filter(|(k, _)| *k != crate::snapshot::NAMESPACE_NAME_LABEL)
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        out.push(Assumption {
            setting: format!("namespace {ns}"),
            value: if labels.is_empty() {
                "no labels".into()
            } else {
                labels
            },
            source: "command-line flag --namespace-labels".into(),
        });
    }
    // A live cluster lists namespaces; only when it could not, or for manifests, can one be
    // missing.
    if snap.incomplete.iter().any(|i| i.kind == "Namespace") {
        return out;
    }
    // Namespaces whose labels decide something: they hold a workload whose enrollment
    // follows the namespace label (not one that decides for itself: its own
    // dataplane-mode label, hostNetwork, ztunnel, an istio-cni-excluded namespace), so that
    // rendered Istio installs (istiod, ztunnel, gateways) do not raise it.
    let excluded = &snap.mesh.cni_exclude_namespaces.value;
    let mut holders: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for &p in &ctx.pods {
        let pod = &snap.pods[p];
        let m = &pod.metadata;
        let self_decided = m.label(crate::mesh::enrollment::DATAPLANE_MODE).is_some()
            || pod.spec.host_network
            || excluded.contains(&m.namespace)
            || !pod.status.phase.is_empty();
        if !self_decided && mesh.pods[p].role == Role::Workload {
            holders
                .entry(m.namespace.as_str())
                .or_default()
                .push(format!("{} {}", pod.kind(), m.name));
        }
    }
    for &s in &ctx.services {
        let m = &snap.services[s].metadata;
        if let Some(h) = holders.get_mut(m.namespace.as_str()) {
            h.push(format!("Service {}", m.name));
        }
    }
    for (ns, what) in holders {
        if snap.namespace_labels(ns).is_some() {
            continue;
        }
        out.push(Assumption {
            setting: format!("namespace {ns}"),
            value: "no labels (assumed)".into(),
            source: "not in the input; give its labels with --namespace-labels".into(),
        });
        let list = what.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        let more = if what.len() > 3 {
            format!(" and {} more", what.len() - 3)
        } else {
            String::new()
        };
        ctx.findings.push(Finding::new(
            &f::NAMESPACE_MISSING,
            resource_key("Namespace", "", ns),
            format!("namespace {ns} holds {list}{more} but is not in the input: it is analysed as unlabelled (no istio.io/dataplane-mode, no istio.io/use-waypoint), so its workloads count as outside the mesh unless their own labels enrol them"),
        ));
    }
    out
}

/// Istio's own pods in scope (`mesh::component`), by component: not analysed as workloads.
pub fn istio_components(mesh: &crate::mesh::Mesh, pods: &[usize]) -> Option<Assumption> {
    let mut by: std::collections::BTreeMap<crate::mesh::Component, Vec<String>> =
        Default::default();
    for &p in pods {
        if let Role::Istio(c) = mesh.pods[p].role {
            by.entry(c).or_default().push(mesh.pod_key(p).to_string());
        }
    }
    if by.is_empty() {
        return None;
    }
    let value = by
        .iter()
        .map(|(c, keys)| {
            let shown = keys.iter().take(2).cloned().collect::<Vec<_>>().join(", ");
            match keys.len() {
                n if n > 2 => format!("{}: {shown} and {} more", c.as_str(), n - 2),
                _ => format!("{}: {shown}", c.as_str()),
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    Some(Assumption {
        setting: "istioComponents".into(),
        value,
        source: "Istio's own pods (by the labels of its charts): not workloads, left out of paths and matrix; an Istio gateway enforces the policies that select it (see POLICIES)".into(),
    })
}

/// AMB044: istiod and ztunnel outside the skew Istio supports (both versions read).
pub fn version_skew(ctx: &mut Ctx) {
    let rules = &ctx.mesh.rules;
    let Some((row, why)) = rules.unsupported_skew() else {
        return;
    };
    // Named by the object ztunnel's version came from, when it came from one.
    let resource = match rules.ztunnel.source.split_once(' ') {
        Some(("DaemonSet", rest)) => {
            let name = rest.split(' ').next().unwrap_or(rest);
            format!("DaemonSet/{name}")
        }
        _ => resource_key("DaemonSet", ctx.snap.mesh.root(), "ztunnel"),
    };
    let fd = Finding::new(
        &f::SKEW_UNSUPPORTED,
        resource,
        format!(
            "{}{}: {why}; {}",
            rules.versions_phrase(row),
            ctx.snap
                .mesh
                .ztunnel_istiod_missing()
                .map(|m| format!(
                    " (the version of another istiod: ztunnel's own, {m}, is not in the input and may differ)"
                ))
                .unwrap_or_default(),
            row.info().applied
        ),
    );
    ctx.findings.push(fd);
}

/// AMB045: hostNetwork pods istio-cni's default enablement selectors match (the pod's
/// `istio.io/dataplane-mode: ambient`, or its namespace's without the pod's `none`), which
/// istio-cni 1.27 - 1.30 considers eligible for enrollment (`hostnetwork-enrollment`).
pub fn host_network_eligible(ctx: &mut Ctx) {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let mode = crate::mesh::enrollment::DATAPLANE_MODE;
    for &p in &ctx.pods {
        let pod = &snap.pods[p];
        let m = &pod.metadata;
        if !pod.spec.host_network
            || mesh.pods[p].role != Role::Workload
            || mesh.pods[p].dataplane != crate::mesh::Dataplane::None
            || matches!(pod.status.phase.as_str(), "Succeeded" | "Failed")
            || snap
                .mesh
                .cni_exclude_namespaces
                .value
                .contains(&m.namespace)
        {
            continue;
        }
        let ns_ambient = snap
            .namespace_labels(&m.namespace)
            .and_then(|l| l.get(mode))
            .is_some_and(|v| v == "ambient");
        let selected = match m.label(mode) {
            Some("ambient") => format!("its label {mode}=ambient"),
            Some("none") => continue,
            _ if ns_ambient => format!("its namespace's label {mode}=ambient"),
            _ => continue,
        };
        let Some(row) = mesh.rules.host_network_eligible() else {
            return;
        };
        ctx.findings.push(Finding::new(
            &f::HOST_NETWORK_ELIGIBLE,
            resource_key(pod.kind(), &m.namespace, &m.name),
            format!(
                "{}, istio-cni's enablement selectors match this hostNetwork pod ({selected}) and no longer exclude hostNetwork: the node agent considers it eligible and tries to enrol it, although it has no network namespace of its own (istio/istio#61168, fixed in 1.31); it is still no ambient workload",
                mesh.rules.versions_phrase(row)
            ),
        ));
    }
}

/// Whether the NetworkPolicy gate is in the verdicts, and what an empty input means.
fn network_policies(snap: &Snapshot) -> Assumption {
    let n = snap.network_policies.len();
    let (value, source) = if snap.network_policies_off {
        (
            "left out".to_string(),
            "--no-network-policy: verdicts cover Istio's policies only",
        )
    } else if n > 0 {
        (
            format!("{n}"),
            "read with the input; every path passes their gate",
        )
    } else if snap.live {
        (
            "none".to_string(),
            "none exist in the namespaces read: the CNI admits every path",
        )
    } else {
        (
            "none in the input".to_string(),
            "offline: none given, or not exported (add `kubectl get networkpolicies -A -o yaml`)",
        )
    };
    Assumption {
        setting: "networkPolicies".into(),
        value,
        source: source.into(),
    }
}

/// Where CNIs read NetworkPolicy differently, as far as the input uses it: ipBlocks against
/// pod addresses (Calico matches them, Cilium matches pods by identity only) and named ports
/// (resolved on the pod's container ports, which some CNIs do only for ingress).
fn cni_differences(snap: &Snapshot) -> Vec<Assumption> {
    let rules = || {
        snap.network_policies
            .iter()
            .flat_map(|p| p.spec.ingress.iter().chain(&p.spec.egress))
    };
    let mut v = Vec::new();
    if rules()
        .flat_map(|r| &r.from)
        .any(|peer| peer.ip_block.is_some())
    {
        v.push(Assumption {
            setting: "networkPolicyIpBlocks".into(),
            value: "pod addresses too".into(),
            source: "Kubernetes leaves ipBlock on pod IPs to the CNI (Calico matches them; Cilium does not)".into(),
        });
    }
    let named = rules()
        .flat_map(|r| &r.ports)
        .any(|p| matches!(p.port, Some(serde_json::Value::String(_))));
    if named {
        v.push(Assumption {
            setting: "networkPolicyNamedPorts".into(),
            value: "container ports".into(),
            source: "as Kubernetes defines it; a name never matches 15008 (HBONE)".into(),
        });
    }
    v
}
