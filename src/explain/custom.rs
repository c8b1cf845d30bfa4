//! AMB048: CUSTOM policies naming different providers where one proxy applies them (a
//! waypoint's Service chain, a sidecar's workload), which istiod refuses before 1.30 and from
//! 1.30 without `PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS` (`custom-providers`): their
//! rules become DENY rules (`Index::several_custom_providers`).

use super::Ctx;
use crate::enforce::attach::Chain;
use crate::findings::{self as f, Finding};
use crate::mesh::Dataplane;
use crate::model::resource_key;
use std::collections::BTreeSet;

pub fn findings(ctx: &mut Ctx) {
    let (ix, mesh, snap) = (ctx.ix, ctx.mesh, ctx.snap);
    // (enforcer's resource, where, the policies it applies)
    let mut places: Vec<(String, String, Vec<usize>)> = Vec::new();
    for &s in &ctx.services {
        let Some(w) = mesh.services[s].binding.waypoint else {
            continue;
        };
        let wp = &mesh.waypoints[w];
        let svc = &snap.services[s].metadata;
        places.push((
            resource_key("Gateway", &wp.namespace, &wp.name),
            format!(
                "waypoint {}/{} for Service {}/{}",
                wp.namespace, wp.name, svc.namespace, svc.name
            ),
            ix.chain_policies(w, Some(Chain::Service(s))),
        ));
    }
    for &d in &ctx.pods {
        if mesh.pods[d].dataplane == Dataplane::Sidecar {
            let pod = &snap.pods[d];
            let m = &pod.metadata;
            places.push((
                resource_key(pod.kind(), &m.namespace, &m.name),
                format!("the sidecar of {}/{}", m.namespace, m.name),
                ix.sidecar_policies(d),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (res, at, policies) in places {
        let Some(several) = ix.several_custom_providers(&policies) else {
            continue;
        };
        if several.allowed || !seen.insert((res.clone(), several.policies.clone())) {
            continue;
        }
        let named: Vec<String> = several
            .policies
            .iter()
            .map(|&i| {
                let p = &snap.authorization_policies[i];
                let provider = p.spec.provider.as_ref().map_or("", |x| x.name.as_str());
                format!("{}/{} ({provider})", p.metadata.namespace, p.metadata.name)
            })
            .collect();
        let without = if several.row == crate::versions::Row::CustomProvidersFlagOff {
            " without PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS"
        } else {
            " (\"only 1 provider can be used per workload\")"
        };
        ctx.findings.push(Finding::new(
            &f::CUSTOM_PROVIDERS,
            res,
            format!(
                "CUSTOM policies {} meet at {at}: {}, istiod allows one provider there{without} and turns every CUSTOM rule into a DENY rule: the requests they match are denied and no provider is asked",
                named.join(", "),
                mesh.rules.versions_phrase(several.row)
            ),
        ));
    }
}
