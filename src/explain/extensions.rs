//! RequestAuthentication, Telemetry, WasmPlugin, EnvoyFilter (SEMANTICS.md 8) and mesh routes
//! with Service parents (section 9): consumed only by Envoy-based proxies.

use super::entries::Entries;
use super::report::PolicyReport;
use super::{attachment_label, relevant, short_names, Ctx};
use crate::enforce::attach::sidecar_attaches;
use crate::enforce::attach::{Chain, GATEWAY_GROUP, ISTIO_NETWORKING_GROUP};
use crate::findings::{self as f, Finding};
use crate::mesh::{Dataplane, Role};
use crate::model::resource_key;

pub fn reports(ctx: &mut Ctx) -> Vec<PolicyReport> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let root = ctx.root().to_string();
    let gateway_selector = snap
        .mesh
        .feature("ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY");
    let mut out = Vec::new();
    for (i, p) in snap.extensions.iter().enumerate() {
        let m = &p.metadata;
        let res = resource_key(&p.kind, &m.namespace, &m.name);
        let refs = p.spec.attachment.target_refs();
        let sel = p.selector();
        let mut e = Entries::default();
        let mut unbound = Vec::new();
        let mut ambient = Vec::new();
        if !refs.is_empty() {
            unbound = ctx.place_refs(&mut e, &ctx.ix.ext_refs[i], "as-written");
        } else {
            for &d in ctx.candidate_pods(&m.namespace) {
                let pod = &snap.pods[d];
                let info = &mesh.pods[d];
                if !sidecar_attaches(&m.namespace, sel.as_ref(), pod, &root) {
                    continue;
                }
                let key = mesh.pod_key(d);
                match (info.role, info.dataplane) {
                    (Role::Ingress(g), _) if gateway_selector => {
                        e.at_gateway(ctx.waypoint_name(g), "as-written", [key]);
                    }
                    (Role::Workload, Dataplane::Sidecar) => {
                        e.add("sidecar", None, "direct", "client", "as-written", [key])
                    }
                    (Role::Workload, Dataplane::Ambient) => ambient.push(key),
                    _ => {}
                }
            }
            // Namespace-wide and root Telemetry do apply at waypoints (`applicableTelemetries`):
            // root everywhere, otherwise the waypoint's namespace or its services' namespace.
            if p.kind == "Telemetry" && sel.is_none() {
                for (w, wp) in mesh
                    .waypoints
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.is_waypoint && w.ready)
                {
                    let serves_ns = ctx.services.iter().any(|&s| {
                        mesh.services[s].binding.waypoint == Some(w)
                            && snap.services[s].metadata.namespace == m.namespace
                    });
                    if m.namespace == root || wp.namespace == m.namespace || serves_ns {
                        let t = ctx.chain_targets(w, Chain::All);
                        if !t.is_empty() {
                            e.at_waypoint(&wp.key(), "as-written", t);
                        }
                    }
                }
            }
        }
        let enforced = !e.is_empty();
        let enforcement = e.finish();
        if !relevant(ctx, &m.namespace, &enforcement) {
            continue;
        }
        if !unbound.is_empty() {
            ctx.findings.push(
                Finding::new(
                    &f::TARGET_NOT_BOUND,
                    &res,
                    format!(
                        "{}: {}",
                        if enforced {
                            "part of this policy is not applied"
                        } else {
                            "no proxy applies this policy"
                        },
                        unbound.join("; ")
                    ),
                )
                .with_severity(if enforced {
                    f::Severity::Warning
                } else {
                    f::Severity::Error
                }),
            );
        }
        let applies_at_waypoints = p.kind == "Telemetry" && sel.is_none();
        if !ambient.is_empty() && !applies_at_waypoints {
            let names = short_names(&ambient);
            ctx.findings.push(Finding::new(
                &f::NOT_CONSUMED,
                &res,
                format!("{} selects ambient workload(s) {}: ztunnel does not consume {} and waypoints ignore selector-based ones, so nothing applies it to them",
                    p.kind, names.join(", "), p.kind),
            ));
        }
        out.push(PolicyReport {
            kind: p.kind.clone(),
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            action: None,
            attachment: attachment_label(!refs.is_empty(), sel.is_some(), &m.namespace, &root)
                .into(),
            enforcement,
            istiod_status: vec![],
            ztunnel: None,
        });
    }
    out
}

/// Mesh routes: a parentRef to a Service or ServiceEntry is applied by the waypoint serving it
/// (when the route is in the waypoint's or the service's namespace) and by sidecar clients;
/// ztunnel never applies routes.
pub fn route_reports(ctx: &mut Ctx) -> Vec<PolicyReport> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let mut out = Vec::new();
    for r in &snap.routes {
        let m = &r.metadata;
        let res = resource_key(&r.kind, &m.namespace, &m.name);
        let mut e = Entries::default();
        let mut ignored = Vec::new();
        let mut mesh_parent = false;
        for pr in &r.spec.parent_refs {
            let group = pr.group.as_deref().unwrap_or(GATEWAY_GROUP);
            let kind = pr.kind.as_deref().unwrap_or("Gateway");
            let ns = pr.namespace.clone().unwrap_or_else(|| m.namespace.clone());
            let entry = match (group, kind) {
                ("" | "core", "Service") => false,
                (ISTIO_NETWORKING_GROUP, "ServiceEntry") => true,
                _ => continue, // an ingress parent: not a mesh route
            };
            let found = mesh.find_service(entry, &ns, &pr.name).map(|i| {
                if entry {
                    let s = (
                        mesh.service_entries[i].binding.waypoint,
                        ctx.service_entries.contains(&i),
                    );
                    (s.0, s.1, Chain::ServiceEntry(i))
                } else {
                    (
                        mesh.services[i].binding.waypoint,
                        ctx.services.contains(&i),
                        Chain::Service(i),
                    )
                }
            });
            mesh_parent = true;
            let target = format!("{kind}/{ns}/{}", pr.name);
            match found {
                None => ignored.push(format!("parent {target} was not found")),
                Some((Some(w), in_scope, chain)) => {
                    let wp = &mesh.waypoints[w];
                    if m.namespace != wp.namespace && m.namespace != ns {
                        ignored.push(format!(
                            "waypoint {} only reads routes from its own namespace or {ns}",
                            wp.key()
                        ));
                    } else if in_scope {
                        e.at_waypoint(&wp.key(), "as-written", ctx.chain_targets(w, chain));
                    }
                }
                Some((None, _, _)) => ignored.push(format!("{target} is not bound to a waypoint")),
            }
        }
        if !mesh_parent {
            continue;
        }
        let enforced = !e.is_empty();
        let enforcement = e.finish();
        if !relevant(ctx, &m.namespace, &enforcement) {
            continue;
        }
        if !ignored.is_empty() {
            ctx.findings.push(Finding::new(
                &f::ROUTE_IGNORED,
                &res,
                format!(
                    "{}: {}; ztunnel never applies routes, only sidecar clients would",
                    if enforced {
                        "partly ignored by ambient clients"
                    } else {
                        "ambient clients ignore this route"
                    },
                    ignored.join("; ")
                ),
            ));
        }
        out.push(PolicyReport {
            kind: r.kind.clone(),
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            action: None,
            attachment: "parentRefs".into(),
            enforcement,
            istiod_status: vec![],
            ztunnel: None,
        });
    }
    out
}
