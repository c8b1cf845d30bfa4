//! The inventory of the explanation: workloads, services and waypoints, with their bindings.

use super::report::*;
use super::Ctx;
use crate::mesh::waypoint::AllowedNamespaces;
use crate::mesh::{Binding, Role};

fn waypoint_of(ctx: &Ctx, b: &Binding) -> (Option<String>, Option<String>) {
    (
        b.waypoint.map(|w| ctx.waypoint_key(w)),
        b.error.map(|e| e.as_str().to_string()),
    )
}

/// The report of in-scope pod `d` (`Ctx::pods`, in that order).
pub fn workload(ctx: &Ctx, d: usize) -> WorkloadReport {
    let (pod, info) = (&ctx.snap.pods[d], &ctx.mesh.pods[d]);
    let (waypoint, waypoint_error) = waypoint_of(ctx, &info.binding);
    WorkloadReport {
        kind: pod.kind().into(),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        identity: info.identity.to_string(),
        dataplane: info.dataplane.as_str().into(),
        dataplane_reason: info.reason.to_string(),
        role: match info.role {
            Role::Workload => "workload",
            Role::Waypoint(_) => "waypoint",
            Role::Ingress(_) => "ingress-gateway",
            Role::Istio(c) => c.as_str(),
        }
        .into(),
        waypoint,
        waypoint_error,
        mtls: ctx.mtls.get(&d).map(|o| o.describe()),
    }
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
            canary: info.canary.map(|c| CanaryReport {
                waypoint: ctx.waypoint_key(c.waypoint),
                weight: c.weight,
            }),
            canary_error: info.canary_request.as_ref().and_then(|r| match r.error {
                Some(e) => Some(e.as_str().to_string()),
                None if !r.read => Some("NotRead".into()),
                None => None,
            }),
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
                || bindings.iter().any(|b| {
                    // Its key borrowed, not made again for each binding compared with it.
                    b.waypoint == Some(*i) || b.requested.as_deref() == Some(ctx.waypoint_name(*i))
                })
        })
        .map(|(i, w)| WaypointReport {
            revision: super::revision::report(ctx, i),
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
