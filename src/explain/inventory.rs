//! Assumptions, workloads, services and waypoints of the explanation, and the findings about
//! bindings and enrollment.

use super::report::*;
use super::Ctx;
use crate::findings::{self as f, Finding};
use crate::mesh::waypoint::AllowedNamespaces;
use crate::mesh::waypoint::{BindingSource, TargetKind};
use crate::mesh::{BindError, Binding, Dataplane, Role};
use crate::model::resource_key;
use crate::snapshot::Snapshot;
use std::collections::BTreeMap;

pub fn assumptions(snap: &Snapshot) -> Vec<Assumption> {
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
    v.push(match &m.istio_version {
        Some(s) => Assumption {
            setting: "istioVersion".into(),
            value: s.value.clone(),
            source: s.source.clone(),
        },
        None => Assumption {
            setting: "istioVersion".into(),
            value: "unknown".into(),
            source: "not in the input; semantics of Istio 1.28+ assumed".into(),
        },
    });
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

fn waypoint_of(ctx: &Ctx, b: &Binding) -> (Option<String>, Option<String>) {
    (
        b.waypoint.map(|w| ctx.waypoint_key(w)),
        b.error.map(|e| e.as_str().to_string()),
    )
}

pub fn workloads(ctx: &Ctx) -> Vec<WorkloadReport> {
    ctx.pods
        .iter()
        .map(|&d| {
            let (pod, info) = (&ctx.snap.pods[d], &ctx.mesh.pods[d]);
            let (waypoint, waypoint_error) = waypoint_of(ctx, &info.binding);
            WorkloadReport {
                kind: pod.kind().into(),
                namespace: pod.metadata.namespace.clone(),
                name: pod.metadata.name.clone(),
                identity: info.identity.clone(),
                dataplane: info.dataplane.as_str().into(),
                dataplane_reason: info.reason.clone(),
                role: match info.role {
                    Role::Workload => "workload",
                    Role::Waypoint(_) => "waypoint",
                    Role::Ingress(_) => "ingress-gateway",
                }
                .into(),
                waypoint,
                waypoint_error,
                mtls: ctx.mtls.get(&d).map(|o| o.describe()),
            }
        })
        .collect()
}

pub fn services(ctx: &Ctx) -> Vec<ServiceReport> {
    let report = |kind: &str,
                  m: &crate::model::ObjectMeta,
                  conds: &[crate::model::Condition],
                  info: &crate::mesh::ServiceInfo| {
        let (waypoint, waypoint_error) = waypoint_of(ctx, &info.binding);
        ServiceReport {
            kind: kind.into(),
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            waypoint,
            waypoint_error,
            requested_waypoint: info.binding.requested.clone(),
            ingress_use_waypoint: info.binding.waypoint.is_some() && info.ingress_use_waypoint,
            opted_out: info.binding.opted_out,
            istiod_status: crate::model::conditions_of(conds, &["istio.io/WaypointBound"]),
        }
    };
    ctx.services
        .iter()
        .map(|&s| {
            let svc = &ctx.snap.services[s];
            report(
                "Service",
                &svc.metadata,
                &svc.status.conditions,
                &ctx.mesh.services[s],
            )
        })
        .chain(ctx.service_entries.iter().map(|&s| {
            let se = &ctx.snap.service_entries[s];
            report(
                "ServiceEntry",
                &se.metadata,
                &se.status.conditions,
                &ctx.mesh.service_entries[s],
            )
        }))
        .collect()
}

/// Waypoints in the explained namespaces, and those anything in scope binds to or asks for.
pub fn waypoints(ctx: &Ctx) -> Vec<WaypointReport> {
    let mesh = ctx.mesh;
    let bindings = ctx
        .services
        .iter()
        .map(|&s| &mesh.services[s].binding)
        .chain(
            ctx.service_entries
                .iter()
                .map(|&s| &mesh.service_entries[s].binding),
        )
        .chain(ctx.pods.iter().map(|&p| &mesh.pods[p].binding))
        .collect::<Vec<_>>();
    mesh.waypoints
        .iter()
        .enumerate()
        .filter(|(i, w)| {
            (w.is_waypoint && ctx.scope.ns_in(&w.namespace))
                || bindings
                    .iter()
                    .any(|b| b.waypoint == Some(*i) || b.requested.as_deref() == Some(&w.key()))
        })
        .map(|(i, w)| WaypointReport {
            istiod_status: crate::model::conditions_of(
                &ctx.snap.gateways[i].status.conditions,
                &["Accepted", "Programmed"],
            ),
            namespace: w.namespace.clone(),
            name: w.name.clone(),
            class: w.class.clone(),
            for_: w.traffic_type_raw.clone(),
            ready: w.ready,
            declared: w.declared,
            identity: w.identities[0].clone(),
            allowed_namespaces: match &w.allowed {
                AllowedNamespaces::Same => "Same".into(),
                AllowedNamespaces::All => "All".into(),
                AllowedNamespaces::Selector(_) => "Selector".into(),
            },
        })
        .collect()
}

/// Why a binding to `req` fails, for messages.
fn bind_error_reason(err: BindError, req: &str, traffic: &str) -> String {
    match err {
        BindError::WaypointIsNotReady => {
            format!("waypoint {req} does not exist or has no status.addresses (not ready)")
        }
        BindError::AttachmentDenied => format!(
            "waypoint {req} does not admit this namespace (allowedRoutes of its HBONE listener)"
        ),
        BindError::UnsupportedTrafficType => {
            format!("waypoint {req} does not serve {traffic} traffic (istio.io/waypoint-for)")
        }
    }
}

/// What a broken namespace `istio.io/use-waypoint` label leaves unbound: one finding on the
/// Namespace instead of one per Service and pod.
#[derive(Default)]
struct NamespaceBreak {
    services: Vec<String>,
    entries: Vec<String>,
    pods: Vec<String>,
    /// The named waypoint is not in the input: whether it would bind pods is unknown.
    waypoint_unknown: bool,
}

fn names_list(v: &[String]) -> String {
    const MAX: usize = 4;
    let mut s = v.iter().take(MAX).cloned().collect::<Vec<_>>().join(", ");
    if v.len() > MAX {
        s.push_str(&format!(" and {} more", v.len() - MAX));
    }
    s
}

/// Broken bindings (AMB008) and pods where sidecar injection beats the ambient label (AMB022).
pub fn findings(ctx: &mut Ctx) {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let mut out = Vec::new();
    let mut by_ns: BTreeMap<(String, &'static str, String), (BindError, NamespaceBreak)> =
        BTreeMap::new();
    // A pod inherits the namespace label only onto a waypoint that serves workload traffic
    // (`fetchWaypointForWorkload`; SEMANTICS.md 3.3 and 12.5): the default `service` waypoint
    // leaves pods unbound by design, so their pod-IP traffic loses nothing. Unknown when the
    // waypoint is not in the input; Istio's default is `service`.
    let serves_workloads = |req: &str| {
        mesh.waypoints
            .iter()
            .find(|w| w.key() == req)
            .map(|w| w.traffic_type.serves_workloads())
    };
    let mut check = |res: String,
                     name: &str,
                     ns: &str,
                     b: &Binding,
                     target: TargetKind,
                     meant: Option<(String, bool)>,
                     kind: &str| {
        let (Some(err), Some(req)) = (b.error, &b.requested) else {
            return;
        };
        let traffic = match target {
            TargetKind::Service => "service",
            TargetKind::Workload => "workload",
        };
        if b.source == Some(BindingSource::Namespace) {
            let serves = serves_workloads(req);
            let (_, g) = by_ns
                .entry((ns.to_string(), err.as_str(), req.clone()))
                .or_insert_with(|| (err, NamespaceBreak::default()));
            g.waypoint_unknown = serves.is_none();
            match target {
                TargetKind::Service => match name.split_once(' ') {
                    Some(("ServiceEntry", n)) => g.entries.push(n.to_string()),
                    Some((_, n)) => g.services.push(n.to_string()),
                    None => g.services.push(name.to_string()),
                },
                TargetKind::Workload if serves == Some(true) => g.pods.push(name.to_string()),
                TargetKind::Workload => {}
            }
            return;
        }
        let what = match target {
            TargetKind::Service => format!("traffic to {name}"),
            TargetKind::Workload => format!("pod-IP traffic to {name}"),
        };
        let mut finding = Finding::new(
            &f::BINDING_BROKEN,
            res,
            format!("{what} goes through no waypoint: its istio.io/use-waypoint label fails with {} because {}; there is no fallback, so waypoint policies do not apply to it", err.as_str(), bind_error_reason(err, req, traffic)),
        );
        // A waypoint in another namespace: say which label is missing, and where.
        if let Some((wns, from_ns)) = meant {
            let why = if from_ns {
                format!(". The Namespace's istio.io/use-waypoint-namespace: {wns} does not apply: istiod reads it only from the object that carries istio.io/use-waypoint, here the {kind}")
            } else {
                format!(
                    ". The waypoint {} is in namespace {wns}",
                    req.rsplit('/').next().unwrap_or(req)
                )
            };
            finding.message.push_str(&why);
            finding = finding.with_resolution(format!(
                "Label the {kind} istio.io/use-waypoint-namespace: {wns} beside its istio.io/use-waypoint{}.",
                if from_ns { " (or move istio.io/use-waypoint to the Namespace, so that both labels are on one object)" } else { "" }
            ));
        }
        out.push(finding);
    };
    let meant = |m: &crate::model::ObjectMeta, b: &Binding| {
        crate::mesh::waypoint::meant_namespace(
            m,
            snap.namespace_labels(&m.namespace),
            &mesh.waypoints,
            b,
        )
    };
    for &s in &ctx.services {
        let m = &snap.services[s].metadata;
        check(
            resource_key("Service", &m.namespace, &m.name),
            &format!("Service {}", m.name),
            &m.namespace,
            &mesh.services[s].binding,
            TargetKind::Service,
            meant(m, &mesh.services[s].binding),
            "Service",
        );
    }
    for &s in &ctx.service_entries {
        let m = &snap.service_entries[s].metadata;
        check(
            resource_key("ServiceEntry", &m.namespace, &m.name),
            &format!("ServiceEntry {}", m.name),
            &m.namespace,
            &mesh.service_entries[s].binding,
            TargetKind::Service,
            meant(m, &mesh.service_entries[s].binding),
            "ServiceEntry",
        );
    }
    for &p in &ctx.pods {
        let m = &snap.pods[p].metadata;
        check(
            ctx.mesh.pod_key(p),
            &m.name,
            &m.namespace,
            &mesh.pods[p].binding,
            TargetKind::Workload,
            meant(m, &mesh.pods[p].binding),
            &match ctx.mesh.pod_key(p).split('/').next() {
                Some(k) if k != "Pod" => format!("{k}'s pod template"),
                _ => "Pod".to_string(),
            },
        );
    }
    for ((ns, _, req), (err, g)) in by_ns {
        let plural = |n: usize, one: &str, many: &str| if n == 1 { one } else { many }.to_string();
        let mut lost = Vec::new();
        if !g.services.is_empty() {
            lost.push(format!(
                "{} {}",
                plural(g.services.len(), "Service", "Services"),
                names_list(&g.services)
            ));
        }
        if !g.entries.is_empty() {
            lost.push(format!(
                "{} {}",
                plural(g.entries.len(), "ServiceEntry", "ServiceEntries"),
                names_list(&g.entries)
            ));
        }
        let service_traffic = !lost.is_empty();
        if !g.pods.is_empty() {
            lost.push(format!("pod-IP traffic to {}", names_list(&g.pods)));
        }
        if lost.is_empty() {
            continue;
        }
        let traffic = if service_traffic {
            "service"
        } else {
            "workload"
        };
        let pods_note = if g.waypoint_unknown && service_traffic {
            ". Pod-IP traffic is unaffected unless that waypoint serves workload traffic (istio.io/waypoint-for workload or all)"
        } else {
            ""
        };
        let lost = if service_traffic {
            format!("traffic to {}", lost.join(", "))
        } else {
            lost.join(", ")
        };
        out.push(Finding::new(
            &f::BINDING_BROKEN,
            resource_key("Namespace", "", &ns),
            format!("the namespace's istio.io/use-waypoint label fails with {} because {}: {lost} goes through no waypoint, with no fallback, so waypoint policies do not apply to it{pods_note}", err.as_str(), bind_error_reason(err, &req, traffic)),
        ));
    }
    // A waypoint is ready for istiod once it has addresses; its Programmed condition should agree.
    for (w, gw) in mesh.waypoints.iter().zip(&snap.gateways) {
        let in_scope = ctx.scope.ns_in(&w.namespace)
            || ctx
                .services
                .iter()
                .any(|&s| mesh.services[s].binding.requested.as_deref() == Some(&w.key()));
        if let (true, false, Some(c)) = (
            in_scope,
            w.declared,
            crate::model::find_condition(&gw.status.conditions, "Programmed"),
        ) {
            if (c.status == "True") != w.ready {
                out.push(Finding::new(
                    &f::STATUS_DISAGREES,
                    resource_key("Gateway", &w.namespace, &w.name),
                    format!(
                        "status Programmed={} ({}) but the Gateway {} status.addresses, so istiod treats the waypoint as {}",
                        c.status,
                        c.reason,
                        if w.ready { "has" } else { "has no" },
                        if w.ready { "ready" } else { "not ready: bindings to it fail with WaypointIsNotReady" }
                    ),
                ));
            }
        }
    }
    // Ground truth written by istiod, when the input has it.
    for &s in &ctx.services {
        let m = &snap.services[s].metadata;
        if let Some(c) = crate::model::find_condition(
            &snap.services[s].status.conditions,
            "istio.io/WaypointBound",
        ) {
            let bound = mesh.services[s].binding.waypoint.is_some();
            if (c.status == "True") != bound {
                out.push(Finding::new(
                    &f::STATUS_DISAGREES,
                    resource_key("Service", &m.namespace, &m.name),
                    format!(
                        "status istio.io/WaypointBound={} ({}) but the model says the Service is {}",
                        c.status,
                        c.reason,
                        if bound { "bound to a waypoint" } else { "not bound to a waypoint" }
                    ),
                ));
            }
        }
    }
    let mut sidecar_wins: Vec<(String, String)> = ctx
        .pods
        .iter()
        .filter(|&&p| {
            let info = &mesh.pods[p];
            let nsl = mesh.ns_labels(&snap.pods[p].metadata.namespace);
            info.dataplane == Dataplane::Sidecar
                && (snap.pods[p]
                    .metadata
                    .label(crate::mesh::enrollment::DATAPLANE_MODE)
                    == Some("ambient")
                    || nsl
                        .and_then(|l| l.get(crate::mesh::enrollment::DATAPLANE_MODE))
                        .map(String::as_str)
                        == Some("ambient"))
        })
        .map(|&p| {
            (
                snap.pods[p].metadata.namespace.clone(),
                snap.pods[p].metadata.name.clone(),
            )
        })
        .collect();
    sidecar_wins.sort();
    let mut namespaces: Vec<&String> = sidecar_wins.iter().map(|(ns, _)| ns).collect();
    namespaces.dedup();
    for ns in namespaces {
        let pods: Vec<&str> = sidecar_wins
            .iter()
            .filter(|(n, _)| n == ns)
            .map(|(_, p)| p.as_str())
            .collect();
        out.push(Finding::new(
            &f::SIDECAR_WINS,
            resource_key("Namespace", "", ns),
            format!("{} {} labelled for ambient but sidecar-injected: the sidecar enforces policy for them, with sidecar semantics", pods.join(", "), if pods.len() == 1 { "is" } else { "are" }),
        ));
    }
    ctx.findings.extend(out);
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
            || (m.namespace == snap.mesh.root() && m.label("app") == Some("ztunnel"))
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
