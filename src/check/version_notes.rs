//! What the Istio version rules decided on one request's path, each said in a note, with the
//! rows for `versionRules`: CUSTOM providers, version skew, ServiceEntry visibility, canary
//! labels, fields the release does not know, revision labels, dry-run and trustDomains at
//! ztunnel.

use super::report::*;
use super::resolve::Target;
use crate::enforce::Index;
use crate::versions::rules::DryRunAtZtunnel;
use crate::versions::{Row, RuleRow};

/// The version rules that decide how a ztunnel on the path holds its policies (a dry-run
/// policy enforced there), and what the cluster admits of the policies on the path (fields
/// the release does not know: pruned, or the policy refused), each said in a note; `rows`:
/// those the hops' lines already say (values matched as unescaped regexes).
pub(super) fn version_notes(
    ix: &Index,
    target: &Target,
    hops: &[HopReport],
    mut rows: Vec<Row>,
    notes: &mut Vec<String>,
) -> Vec<RuleRow> {
    let on_path = |i: usize| {
        let m = &ix.snap.authorization_policies[i].metadata;
        hops.iter()
            .flat_map(|h| &h.policies)
            .any(|l| l.namespace == m.namespace && l.name == m.name)
    };
    let dest_ns: Vec<&str> = target
        .endpoints
        .iter()
        .map(|&d| ix.snap.pods[d].metadata.namespace.as_str())
        .collect();
    // CUSTOM policies naming several providers at one proxy (`custom-providers`).
    for h in hops {
        let custom: Vec<String> = (h.policies.iter())
            .filter(|l| l.action == super::hop::CUSTOM_AS_DENY)
            .map(|l| format!("{}/{}", l.namespace, l.name))
            .collect();
        let row = rows
            .iter()
            .copied()
            .find(|r| matches!(r, Row::CustomProvidersOne | Row::CustomProvidersFlagOff));
        if let (false, Some(row)) = (custom.is_empty(), row) {
            notes.push(format!(
                "CUSTOM policies {} at {} name different providers: {}, istiod refuses them and turns their rules into DENY rules: a request they match is denied, no provider is asked",
                custom.join(", "),
                h.name.as_deref().unwrap_or(h.component.as_str()),
                ix.mesh.rules.versions_phrase(row)
            ));
        }
    }
    if let Some((row, why)) = ix.mesh.rules.unsupported_skew() {
        notes.push(format!(
            "{}: {why}, outside Istio's supported skew; the verdict assumes each runs its own release's rules",
            ix.mesh.rules.versions_phrase(row)
        ));
        rows.push(row);
    }
    if let crate::enforce::hops::Addressed::Service { entry: true, index } = target.addressed {
        if let Some(row) = ix.mesh.service_entries[index].binding.rule {
            let m = &ix.snap.service_entries[index].metadata;
            notes.push(format!(
                "ServiceEntry {}/{}, {}: {}",
                m.namespace,
                m.name,
                ix.mesh.rules.versions_phrase(row),
                row.info().applied
            ));
            rows.push(row);
        }
    }
    if let crate::enforce::hops::Addressed::Service { entry, index } = target.addressed {
        let info = match entry {
            true => &ix.mesh.service_entries[index],
            false => &ix.mesh.services[index],
        };
        if let Some(req) = &info.canary_request {
            let said = match (req.read, req.error) {
                (false, _) => Some(format!(
                    "{}, istiod does not read istio.io/use-waypoint-canary (canary {}): every request goes to the primary waypoint",
                    ix.mesh.rules.versions_phrase(req.rule),
                    req.requested
                )),
                (true, Some(e)) => Some(format!(
                    "canary waypoint {} is not used ({}): every request goes to the primary waypoint",
                    req.requested,
                    e.as_str()
                )),
                (true, None) => None,
            };
            notes.extend(said);
            rows.push(req.rule);
        }
    }
    // Dry-run policies the destination ztunnel would hold (`dry-run-at-ztunnel`): what the
    // release does with them decides whether they count, are logged or are not there.
    if hops.last().is_some_and(|h| h.component == "ztunnel") {
        let mut said = std::collections::BTreeSet::new();
        for &d in &target.endpoints {
            let pod = &ix.snap.pods[d];
            for i in ix.candidate_aps(&pod.metadata.namespace) {
                let (c, p) = (&ix.conversions[i], &ix.snap.authorization_policies[i]);
                // Enforced: said below, with the policy's line at the hop.
                let Some((what, row)) = c
                    .dry_run_at_ztunnel
                    .filter(|(w, _)| *w != DryRunAtZtunnel::Enforced)
                else {
                    continue;
                };
                if !crate::enforce::attach::ztunnel_attaches(p, c.scope, pod, ix.root())
                    || !said.insert(i)
                {
                    continue;
                }
                let effect = match what {
                    DryRunAtZtunnel::NotSent => "it is not sent to ztunnel: no effect there",
                    _ => "ztunnel only logs what it matches",
                };
                notes.push(format!(
                    "AuthorizationPolicy {}/{} is dry-run (istio.io/dry-run): {}, {effect}",
                    p.metadata.namespace,
                    p.metadata.name,
                    ix.mesh.rules.versions_phrase(row)
                ));
                rows.push(row);
            }
        }
    }
    for (i, a) in ix.admitted.iter().enumerate() {
        let Some(u) = &a.unknown else { continue };
        let m = &ix.snap.authorization_policies[i].metadata;
        let near = dest_ns
            .iter()
            .any(|ns| ix.candidate_aps(ns).any(|j| j == i));
        let said = match u.refused {
            Some(r) if near => format!(
                "AuthorizationPolicy {}/{} is not in effect: {}, istiod ignores {} and refuses rule {}'s empty source",
                m.namespace, m.name, ix.mesh.rules.versions_phrase(u.rows[0]), u.fields.join(", "), r + 1
            ),
            None if on_path(i) => format!(
                "AuthorizationPolicy {}/{} is evaluated without {}: {}, istiod does not know them",
                m.namespace, m.name, u.fields.join(", "), ix.mesh.rules.versions_phrase(u.rows[0])
            ),
            _ => continue,
        };
        notes.push(said);
        rows.extend(u.rows.iter().copied());
    }
    // Labelled for another revision than ztunnel's istiod (`revision-filter-at-ztunnel`).
    for (i, c) in ix.conversions.iter().enumerate() {
        let Some((label, rev, filtered, row)) = &c.other_revision else {
            continue;
        };
        let near = dest_ns
            .iter()
            .any(|ns| ix.candidate_aps(ns).any(|j| j == i));
        let m = &ix.snap.authorization_policies[i].metadata;
        let said = if *filtered && near {
            "istiod does not send it to ztunnel"
        } else if !filtered && on_path(i) {
            "istiod sends it to ztunnel all the same, which enforces it"
        } else {
            continue;
        };
        notes.push(other_revision(
            ix,
            "AuthorizationPolicy",
            m,
            label,
            rev,
            *row,
            said,
        ));
        rows.push(*row);
    }
    // PeerAuthentications of the destination's namespace or the root namespace, labelled for
    // another revision: filtered, ztunnel's mTLS mode ignores them (`configFilter` on the
    // PeerAuthentication informer, AMB/ambientindex.go at 1.27.0).
    let root = ix.root();
    for (i, o) in ix.pa_revision.iter().enumerate() {
        let Some((label, rev, filtered, row)) = o else {
            continue;
        };
        let m = &ix.snap.peer_authentications[i].metadata;
        if m.namespace != root && !dest_ns.contains(&m.namespace.as_str()) {
            continue;
        }
        let said = if *filtered {
            "istiod does not take it: the destination ztunnel's mTLS mode ignores it"
        } else {
            "istiod takes it all the same: the destination ztunnel applies its mTLS mode"
        };
        notes.push(other_revision(
            ix,
            "PeerAuthentication",
            m,
            label,
            rev,
            *row,
            said,
        ));
        rows.push(*row);
    }
    if let crate::enforce::hops::Addressed::Service { entry: true, index } = target.addressed {
        if let Some((label, rev, true, row)) = &ix.mesh.service_entries[index].other_revision {
            let m = &ix.snap.service_entries[index].metadata;
            let said = "istiod does not take it: it is no ambient service and its traffic crosses no waypoint";
            notes.push(other_revision(
                ix,
                "ServiceEntry",
                m,
                label,
                rev,
                *row,
                said,
            ));
            rows.push(*row);
        }
    }
    let at_ztunnel = hops.iter().filter(|h| h.component == "ztunnel");
    for line in at_ztunnel.flat_map(|h| &h.policies) {
        let Some(i) =
            ix.snap.authorization_policies.iter().position(|p| {
                p.metadata.namespace == line.namespace && p.metadata.name == line.name
            })
        else {
            continue;
        };
        // trustDomains (1.31+): the conversion for ztunnel drops them (`trust-domains-at-ztunnel`).
        let td = ix.conversions[i].drops_trust_domains();
        if let Some(row) = td.then(|| ix.mesh.rules.trust_domains_dropped()).flatten() {
            notes.push(format!(
                "AuthorizationPolicy {}/{} holds trustDomains: {}, {}",
                line.namespace,
                line.name,
                ix.mesh.rules.versions_phrase(row),
                row.info().applied
            ));
            rows.push(row);
        }
        if let Some((DryRunAtZtunnel::Enforced, row)) = ix.conversions[i].dry_run_at_ztunnel {
            notes.push(format!(
                "AuthorizationPolicy {}/{} is dry-run, but {}, ztunnel enforces it: {}",
                line.namespace,
                line.name,
                ix.mesh.rules.versions_phrase(row),
                row.info().applied
            ));
            rows.push(row);
        }
    }
    rows.sort_unstable();
    rows.dedup();
    rows.into_iter().map(|r| *r.info()).collect()
}

/// The note of an object labelled `istio.io/rev=label` while ztunnel is served by revision
/// `rev`, with what the release makes of it (`row`) and what follows (`said`).
fn other_revision(
    ix: &Index,
    kind: &str,
    m: &crate::model::ObjectMeta,
    label: &str,
    rev: &str,
    row: Row,
    said: &str,
) -> String {
    format!(
        "{kind} {}/{} is labelled istio.io/rev={label} and ztunnel is served by revision {rev}: {}, {said}",
        m.namespace,
        m.name,
        ix.mesh.rules.versions_phrase(row)
    )
}
