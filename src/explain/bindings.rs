//! Findings about waypoint bindings and enrollment: broken `use-waypoint` labels,
//! cross-namespace slips, workloads outside the mesh.

use super::Ctx;
use crate::findings::{self as f, Finding};
use crate::mesh::waypoint::{BindingSource, TargetKind};
use crate::mesh::{BindError, Binding, Dataplane};
use crate::model::resource_key;
use std::collections::BTreeMap;

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
        BindError::CrossNamespaceWaypointForbidden => format!(
            "meshConfig.serviceEntryVisibility makes this ServiceEntry NAMESPACE-visible (Istio 1.31+), so it refuses waypoint {req} in another namespace"
        ),
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
    // Only a label that names a waypoint and fails makes a finding: the rest, nearly every
    // pod of a big mesh, are passed over before any name is built for them.
    let fails = |b: &Binding| b.error.is_some() && b.requested.is_some();
    let meant = |m: &crate::model::ObjectMeta, b: &Binding| {
        crate::mesh::waypoint::meant_namespace(
            m,
            snap.namespace_labels(&m.namespace),
            &mesh.waypoints,
            b,
        )
    };
    for &s in ctx
        .services
        .iter()
        .filter(|&&s| fails(&mesh.services[s].binding))
    {
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
    for &s in (ctx.service_entries.iter()).filter(|&&s| fails(&mesh.service_entries[s].binding)) {
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
    for &p in ctx.pods.iter().filter(|&&p| fails(&mesh.pods[p].binding)) {
        let m = &snap.pods[p].metadata;
        check(
            ctx.mesh.pod_key(p).to_string(),
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
                    || nsl.and_then(|l| l.get(crate::mesh::enrollment::DATAPLANE_MODE))
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
