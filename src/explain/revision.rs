//! The istiod revision of each waypoint (`mesh::revision`): shown beside the waypoint when the
//! input names revisions, and AMB055 when it is not ztunnel's revision or no istiod of the input
//! runs it. A waypoint of another revision than ztunnel's takes its configuration from that
//! revision's istiod, whose config store takes only policies unlabelled or labelled for it
//! (`LabelsInRevision` in pkg/config/model.go, used by pilot/pkg/config/kube/crdclient at
//! 1.27.0): a targetRefs policy labelled for ztunnel's revision is not applied there.

use super::report::WaypointRevisionReport;
use super::Ctx;
use crate::findings::{self as f, Finding};
use crate::mesh::revision::{RevisionFrom, WaypointRevision};
use crate::model::resource_key;

/// Waypoint `w`'s revision for its report: present when the input runs several istiod
/// revisions, when a label names the revision, or when it is not ztunnel's.
pub(super) fn report(ctx: &Ctx, w: usize) -> Option<WaypointRevisionReport> {
    let m = &ctx.snap.mesh;
    let r = ctx.mesh.waypoint_revision(w);
    let ztunnel = ctx.mesh.rules.revision();
    let shown = m.revisions.len() > 1
        || r.from != RevisionFrom::Default
        || ztunnel.is_some_and(|z| z != r.name);
    if !shown {
        return None;
    }
    let istiod = r.istiod.map(|i| &m.revisions[i]);
    Some(WaypointRevisionReport {
        name: r.name,
        from: r.from,
        istiod: istiod.map(|i| i.deployment.clone()),
        version: istiod.map(|i| i.version.clone()),
    })
}

fn from_words(r: &WaypointRevision) -> &'static str {
    match r.from {
        RevisionFrom::Gateway => "its istio.io/rev label",
        RevisionFrom::Namespace => "its namespace's istio.io/rev label",
        RevisionFrom::Default => "no istio.io/rev label: the istiod holding the default tag",
    }
}

/// AMB055: waypoints in scope labelled (or in a namespace labelled) for a revision that no
/// istiod of the input runs, or whose istiod is not the one ztunnel connects to. An
/// unlabelled one goes to whichever istiod holds the `default` tag, which the input does not
/// say: it is shown, never reported.
pub(super) fn findings(ctx: &mut Ctx) {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let revisions = &snap.mesh.revisions;
    if revisions.is_empty() {
        return;
    }
    let ztunnel = mesh.rules.revision().filter(|z| !z.is_empty());
    let mut out = Vec::new();
    for (w, wp) in mesh.waypoints.iter().enumerate() {
        if !wp.is_waypoint || !ctx.scope.ns_in(&wp.namespace) {
            continue;
        }
        let r = mesh.waypoint_revision(w);
        let res = resource_key("Gateway", &wp.namespace, &wp.name);
        // Without a label the istiod holding the `default` tag takes it: a tag lives in the
        // injector's webhook configurations, which the input does not hold, so nothing is said.
        if r.from == RevisionFrom::Default {
            continue;
        }
        let Some(i) = r.istiod else {
            mesh.rules.waypoint_revision();
            let names: Vec<&str> = revisions.iter().map(|x| x.name.as_str()).collect();
            out.push(Finding::new(
                &f::WAYPOINT_REVISION,
                res,
                format!(
                    "waypoint {} is for istiod revision {} ({}), but no istiod Deployment of the input has that revision (revisions: {}): no istiod deploys or configures it, unless {} is a revision tag of one of them",
                    wp.key(),
                    r.name,
                    from_words(&r),
                    names.join(", "),
                    r.name
                ),
            ));
            continue;
        };
        let Some(z) = ztunnel.filter(|z| *z != r.name) else {
            continue;
        };
        mesh.rules.waypoint_revision();
        let istiod = &revisions[i];
        // targetRefs policies at this waypoint that its istiod does not take (the engine
        // leaves them out: `enforce::revision`).
        let ignored: Vec<String> = snap
            .authorization_policies
            .iter()
            .enumerate()
            .filter(|(p, _)| ctx.ix.ap_other_revision[*p].contains(&w))
            .map(|(_, ap)| format!("{}/{}", ap.metadata.namespace, ap.metadata.name))
            .collect();
        let consequence = if ignored.is_empty() {
            format!(
                "it applies only the policies revision {} takes (unlabelled, or labelled istio.io/rev: {}), while ztunnel takes those of revision {z}",
                r.name, r.name
            )
        } else {
            format!(
                "it ignores the policies that target it labelled for another revision ({}): they are not enforced there",
                ignored.join(", ")
            )
        };
        out.push(Finding::new(
            &f::WAYPOINT_REVISION,
            res,
            format!(
                "waypoint {} is deployed and configured by istiod revision {} (Deployment {}, {}; from {}), not by revision {z}, whose istiod ztunnel connects to: {consequence}",
                wp.key(),
                r.name,
                istiod.deployment,
                istiod.version,
                from_words(&r),
            ),
        ));
    }
    ctx.findings.extend(out);
}

/// AMB047 for a ServiceEntry labelled `istio.io/rev` for another revision than ztunnel's
/// istiod (`revision-filter-at-ztunnel`): from 1.25.4 and 1.26.3 its ambient index does not
/// take it (`configFilter` on the ServiceEntry informer, AMB/ambientindex.go at 1.27.0), so it
/// is no ambient service: ztunnel sends its traffic to no waypoint. Before, it is taken.
pub(super) fn service_entries(ctx: &mut Ctx) {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let mut out = Vec::new();
    for &s in &ctx.service_entries {
        let Some((label, rev, filtered, row)) = &mesh.service_entries[s].other_revision else {
            continue;
        };
        let m = &snap.service_entries[s].metadata;
        let asked = m
            .label(crate::mesh::waypoint::USE_WAYPOINT)
            .map(|w| format!(" (its istio.io/use-waypoint {w} is not applied)"))
            .unwrap_or_default();
        let head = format!(
            "ServiceEntry labelled istio.io/rev={label} but ztunnel is served by istiod revision {rev}"
        );
        let text = if *filtered {
            format!(
                "{head}: {}, its ambient index takes only its own revision's ServiceEntries and unlabelled ones: for ambient clients it is no ambient service, so its traffic goes to no waypoint{asked} and policies that target it are not enforced",
                mesh.rules.versions_phrase(*row)
            )
        } else {
            format!(
                "{head}: {}, its ambient index does not filter by revision, so ztunnel takes it anyway, while that revision's sidecars and waypoints ignore it; from 1.25.4, 1.26.3 and 1.27 ztunnel's istiod ignores it",
                mesh.rules.versions_phrase(*row)
            )
        };
        out.push(Finding::new(
            &f::OTHER_REVISION,
            resource_key("ServiceEntry", &m.namespace, &m.name),
            text,
        ));
    }
    ctx.findings.extend(out);
}
