//! Weighted waypoint canaries (`istio.io/use-waypoint-canary`, Istio 1.31+) in the
//! explanation: each waypoint's share of a Service's requests, policies that only one of the
//! two applies (AMB046), canaries that istiod leaves out or does not read (AMB008), and
//! canaries whose identity the destination ztunnel refuses (AMB049).

use super::destination;
use super::report::Verdict;
use super::Ctx;
use crate::enforce::attach::{attaches_to_chain, Chain};
use crate::enforce::evaluate::Peer;
use crate::findings::{self as f, Finding, Severity};
use crate::mesh::{CanaryError, Dataplane, Mesh, ServiceInfo};
use crate::model::{resource_key, AuthorizationPolicy};

/// Waypoint `w`'s share (percent) of the requests to a Service whose canary splits them;
/// `None` without a canary (all of them go through its one waypoint).
pub(super) fn share(mesh: &Mesh, info: &ServiceInfo, w: usize) -> Option<u32> {
    info.canary?;
    mesh.weighted_waypoints(info)
        .into_iter()
        .find(|&(x, _)| x == w)
        .map(|(_, s)| s)
}

/// Whether waypoint `w` serves the Service: its primary, or its canary.
pub(super) fn serves(info: &ServiceInfo, w: usize) -> bool {
    info.binding.waypoint == Some(w) || info.canary.is_some_and(|c| c.waypoint == w)
}

/// The Services and ServiceEntries in scope that a canary shares with their primary:
/// (`Kind ns/name`, their info, chain).
pub(super) fn split<'c>(ctx: &Ctx<'c>) -> Vec<(String, &'c ServiceInfo, Chain)> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let named =
        |kind: &str, m: &crate::model::ObjectMeta| format!("{kind} {}/{}", m.namespace, m.name);
    // Only those with a canary are named (a string per Service would be paid by every mesh).
    let svcs = ctx
        .services
        .iter()
        .filter(|&&s| mesh.services[s].canary.is_some())
        .map(|&s| {
            (
                named("Service", &snap.services[s].metadata),
                &mesh.services[s],
                Chain::Service(s),
            )
        });
    let entries = ctx
        .service_entries
        .iter()
        .filter(|&&s| mesh.service_entries[s].canary.is_some())
        .map(|&s| {
            let m = &snap.service_entries[s].metadata;
            (
                named("ServiceEntry", m),
                &mesh.service_entries[s],
                Chain::ServiceEntry(s),
            )
        });
    svcs.chain(entries).collect()
}

/// AMB046: AuthorizationPolicy `i` attaches at the primary or at the canary of a Service,
/// not at both: it decides only that waypoint's share of the requests.
pub(super) fn partial_policy(
    ctx: &Ctx,
    split: &[(String, &ServiceInfo, Chain)],
    i: usize,
    p: &AuthorizationPolicy,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if split.is_empty()
        || p.spec.attachment.target_refs().is_empty()
        || ctx.ix.admitted[i].refused()
    {
        return out;
    }
    let mesh = ctx.mesh;
    let res = &ctx.ix.ap_refs[i];
    for (key, info, chain) in split {
        let (info, chain) = (*info, *chain);
        let weighted = mesh.weighted_waypoints(info);
        let on: Vec<bool> = weighted
            .iter()
            .map(|&(w, _)| attaches_to_chain(res, w, Some(chain)))
            .collect();
        let [(pw, ps), (cw, cs)] = weighted[..] else {
            continue;
        };
        let (at, share, missed, missed_share) = match on[..] {
            [true, false] => (pw, ps, cw, cs),
            [false, true] => (cw, cs, pw, ps),
            _ => continue,
        };
        if share == 100 {
            continue;
        }
        let role = |w: usize| if w == pw { "primary" } else { "canary" };
        out.push(Finding::new(
            &f::CANARY_PARTIAL_POLICY,
            resource_key("AuthorizationPolicy", &p.metadata.namespace, &p.metadata.name),
            format!(
                "applies to only {share}% of the requests to {key}: it attaches at its {} waypoint {} ({share}%) but not at its {} waypoint {} ({missed_share}%), which decides the other requests without it",
                role(at),
                ctx.waypoint_name(at),
                role(missed),
                ctx.waypoint_name(missed),
            ),
        ));
    }
    out
}

fn reason(err: CanaryError, req: &str, weight: Option<&str>, ns: &str) -> String {
    match err {
        CanaryError::CanarySameAsPrimary => format!("{req} is the primary waypoint itself"),
        CanaryError::CanaryInvalidWeight => format!(
            "istio.io/use-waypoint-canary-weight {:?} is not an integer from 0 to 100",
            weight.unwrap_or("")
        ),
        CanaryError::WaypointIsNotReady => {
            format!("waypoint {req} does not exist or has no status.addresses (not ready)")
        }
        CanaryError::AttachmentDenied => format!(
            "waypoint {req} does not admit namespace {ns} (allowedRoutes of its HBONE listener)"
        ),
        CanaryError::UnsupportedTrafficType => {
            format!("waypoint {req} does not serve service traffic (istio.io/waypoint-for)")
        }
    }
}

/// AMB008 (a warning here): a canary istiod leaves out, whose requests go to the primary
/// alone, or canary labels the release does not read.
pub(super) fn binding_findings(ctx: &mut Ctx) {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let mut out = Vec::new();
    let services = ctx
        .services
        .iter()
        .map(|&s| ("Service", &snap.services[s].metadata, &mesh.services[s]));
    let entries = ctx.service_entries.iter().map(|&s| {
        let m = &snap.service_entries[s].metadata;
        ("ServiceEntry", m, &mesh.service_entries[s])
    });
    for (kind, m, info) in services.chain(entries) {
        let (Some(req), Some(p)) = (&info.canary_request, info.binding.waypoint) else {
            continue;
        };
        let primary = ctx.waypoint_name(p);
        let from = match req.source {
            crate::mesh::waypoint::BindingSource::Object => format!("the {kind}'s"),
            crate::mesh::waypoint::BindingSource::Namespace => "its namespace's".into(),
        };
        let res = resource_key(kind, &m.namespace, &m.name);
        if !req.read {
            out.push(
                Finding::new(
                    &f::BINDING_BROKEN,
                    res,
                    format!(
                        "{from} istio.io/use-waypoint-canary names waypoint {}, but {}, istiod does not read the canary labels (weighted waypoints came in Istio 1.31): every request to {kind} {} goes to the primary waypoint {primary}",
                        req.requested,
                        mesh.rules.versions_phrase(req.rule),
                        m.name
                    ),
                )
                .with_severity(Severity::Warning)
                .with_resolution("Upgrade istiod to 1.31+ for weighted waypoints, or remove the istio.io/use-waypoint-canary labels and the weight annotation."),
            );
            continue;
        }
        let Some(err) = req.error else { continue };
        out.push(
            Finding::new(
                &f::BINDING_BROKEN,
                res,
                format!(
                    "every request to {kind} {} goes to the primary waypoint {primary}: {from} canary waypoint {} fails with {} because {}; istiod keeps the primary alone (status: Canary waypoint not attached)",
                    m.name,
                    req.requested,
                    err.as_str(),
                    reason(err, &req.requested, req.weight_written.as_deref(), &m.namespace)
                ),
            )
            .with_severity(Severity::Warning)
            .with_resolution(match err {
                CanaryError::CanaryInvalidWeight => "Set the annotation istio.io/use-waypoint-canary-weight to an integer from 0 to 100 (the share of the requests the canary takes).",
                _ => "Point istio.io/use-waypoint-canary at a ready waypoint other than the primary that admits this namespace and serves Service traffic, with istio.io/use-waypoint-canary-weight an integer from 0 to 100, or remove the canary labels.",
            }),
        );
    }
    ctx.findings.extend(out);
}

/// AMB049: the destination ztunnel admits the primary waypoint's identity and denies the
/// canary's, so the canary's share of the requests is refused after the canary decided
/// them. With `PILOT_AUTO_ALLOW_WAYPOINT_POLICY` this is the default: the implicit ALLOW
/// names the primary alone (`implicitWaypointPolicies` in AMB/workloads.go at 1.31.0-rc.0
/// reads each Service's `Waypoint.ResourceName`, the primary; `buildWeightedWaypoints` puts
/// the canary in `weightedWaypoints` only), and an ALLOW written to admit only the primary
/// (AMB009's advice) does the same. A canary running as the primary's identity, or of
/// weight 0, is not concerned.
pub(super) fn denied_at_destination(ctx: &mut Ctx) -> Vec<CanaryDenial> {
    let (mesh, ix) = (ctx.mesh, ctx.ix);
    let auto = ctx.snap.mesh.feature("PILOT_AUTO_ALLOW_WAYPOINT_POLICY");
    let mut out = Vec::new();
    let mut denials = Vec::new();
    for (key, info, _) in split(ctx) {
        let (Some(p), Some(c)) = (info.binding.waypoint, info.canary) else {
            continue;
        };
        let (pid, cid) = (
            mesh.waypoint_identity(p),
            mesh.waypoint_identity(c.waypoint),
        );
        if c.weight == 0 || pid == cid {
            continue;
        }
        let mut pods = Vec::new();
        let mut by: Vec<String> = Vec::new();
        let mut implicit = false;
        for &d in &info.pods {
            if ctx.pods.binary_search(&d).is_err() || mesh.pods[d].dataplane != Dataplane::Ambient {
                continue;
            }
            if matches!(
                destination::verdict(ix, d, Peer::known(pid)),
                Verdict::Deny(_)
            ) {
                continue;
            }
            if let Verdict::Deny(ps) = destination::verdict(ix, d, Peer::known(cid)) {
                pods.push(mesh.pod_key(d));
                implicit |= auto && mesh.implicit_allow_waypoints(d).contains(&p);
                by.extend(ps.iter().cloned());
            }
        }
        if pods.is_empty() {
            continue;
        }
        by.sort();
        by.dedup();
        let canary_id = cid.trim_start_matches("spiffe://");
        let why = if implicit {
            let row = mesh.rules.implicit_allow_primary_only();
            format!(
                "{}, with PILOT_AUTO_ALLOW_WAYPOINT_POLICY istiod attaches the implicit ALLOW of the Service's primary waypoint only, never its canary's, and no ALLOW there admits {canary_id}",
                mesh.rules.versions_phrase(row),
            )
        } else {
            format!("its policies let the primary's identity through but not {canary_id}")
        };
        let (kind, rest) = key.split_once(' ').unwrap_or(("Service", &key));
        let (ns, name) = rest.split_once('/').unwrap_or(("", rest));
        // Written policies are named by their resource key; istiod's implicit ALLOW is not.
        let written: Vec<&str> = by
            .iter()
            .filter_map(|k| k.strip_prefix("AuthorizationPolicy/"))
            .collect();
        let weight0 = format!(
            "or set istio.io/use-waypoint-canary-weight to \"0\" on {key} until it is admitted"
        );
        let fix = if written.is_empty() {
            format!("Add a selector or namespace ALLOW at the destination ztunnel with from.source.principals [{canary_id}], {weight0}: PILOT_AUTO_ALLOW_WAYPOINT_POLICY allows the primary waypoint only.")
        } else {
            format!(
                "Let the canary waypoint's identity {canary_id} through where the primary's is (AuthorizationPolicy {}: principals of an ALLOW, notPrincipals of a DENY), {weight0}.",
                written.join(", ")
            )
        };
        out.push(
            Finding::new(
                &f::CANARY_DENIED,
                resource_key(kind, ns, name),
                format!(
                    "the {}% of the requests to {key} that go through canary waypoint {} are denied by the destination ztunnel of {}: {why} (denied by {})",
                    c.weight,
                    ctx.waypoint_name(c.waypoint),
                    super::short_names(&pods).join(", "),
                    by.join(", ")
                ),
            )
            .with_resolution(fix),
        );
        denials.push(CanaryDenial {
            policies: by,
            canary: ctx.waypoint_key(c.waypoint),
            identity: canary_id.to_string(),
            service: key.clone(),
            weight: c.weight,
        });
    }
    ctx.findings.extend(out);
    denials
}

/// A canary waypoint's share denied at the destination ztunnel (AMB049), kept so that the
/// policies denying it are not called harmless (AMB028) nor said again (AMB027) elsewhere.
pub(super) struct CanaryDenial {
    /// Resource keys of the policies that deny it (`AuthorizationPolicy/ns/name`).
    pub policies: Vec<String>,
    pub canary: String,
    pub identity: String,
    pub service: String,
    pub weight: u32,
}

/// AMB028 calls a guard that admits only the primary waypoint harmless; where that guard
/// also denies a canary waypoint's share (AMB049), say so and fit the fix to it.
pub(super) fn amend_guards(findings: &mut [Finding], denials: &[CanaryDenial]) {
    for fd in findings
        .iter_mut()
        .filter(|f| f.code == f::BYPASS_GUARD.code)
    {
        let Some(d) = denials.iter().find(|d| d.policies.contains(&fd.resource)) else {
            continue;
        };
        fd.message.push_str(&format!(
            "; but it also denies canary waypoint {} ({}), which takes {}% of the requests to {} (AMB049)",
            d.canary, d.identity, d.weight, d.service
        ));
        fd.resolution = format!(
            "Let the canary waypoint's identity {} through too (principals of an ALLOW, notPrincipals of a DENY), so its share of the requests is not denied.",
            d.identity
        );
    }
}
