//! PeerAuthentication: which workloads each one decides the mTLS mode for.

use super::entries::Entries;
use super::report::PolicyReport;
use super::{attachment_label, relevant, short_names, Ctx};
use crate::enforce::peerauth::Mode;
use crate::findings::{self as f, Finding};
use crate::mesh::Dataplane;
use crate::model::resource_key;
use std::collections::BTreeSet;
use std::sync::Arc;

pub fn reports(ctx: &mut Ctx) -> Vec<PolicyReport> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let root = ctx.root().to_string();
    let mut out = Vec::new();
    for (i, pa) in snap.peer_authentications.iter().enumerate() {
        let m = &pa.metadata;
        let res = resource_key("PeerAuthentication", &m.namespace, &m.name);
        let mode = Mode::parse(pa.spec.mtls.as_ref().map_or("", |x| x.mode.as_str()));
        let selector = pa
            .spec
            .selector
            .as_ref()
            .and_then(|s| s.match_labels.as_ref())
            .filter(|l| !l.is_empty());
        let mut e = Entries::default();
        let mut overridden = Vec::new();
        let mut quirks = BTreeSet::new();
        let mut open = Vec::new();
        for (&d, outcome) in &ctx.mtls {
            let Some(&(_, _, decides)) = outcome.consulted.iter().find(|c| c.0 == i) else {
                continue;
            };
            let key = mesh.pod_key(d);
            if !decides {
                overridden.push(key);
                continue;
            }
            let dp = mesh.pods[d].dataplane;
            let by = if dp == Dataplane::Sidecar {
                "sidecar"
            } else {
                "ztunnel"
            };
            let effect = if mode == Mode::Disable && dp == Dataplane::Ambient {
                "as-permissive"
            } else {
                "as-written"
            };
            e.add(by, None, "direct", "client", effect, [key.clone()]);
            if let Some(q) = &outcome.quirk {
                quirks.insert(q.clone());
            }
            if !outcome.strict {
                open.push((key, dp, outcome.disabled));
            }
        }
        let enforced = !e.is_empty();
        let enforcement = e.finish();
        if m.namespace == root || ctx.scope.ns_in(&m.namespace) {
            if let Some(fd) = other_revision(ctx, i, &res) {
                ctx.findings.push(fd);
            }
        }
        // A root-namespace selector policy is ignored, but it is meant for matching pods here.
        let meant_here = m.namespace == root
            && selector.is_some_and(|sel| {
                ctx.pods.iter().any(|&d| {
                    sel.iter()
                        .all(|(k, v)| snap.pods[d].metadata.labels.get(k) == Some(v))
                })
            });
        if !meant_here && !relevant(ctx, &m.namespace, &enforcement) {
            continue;
        }
        let names = |v: &[Arc<str>]| short_names(v).join(", ");
        if m.namespace == root && selector.is_some() {
            ctx.findings.push(Finding::new(
                &f::ROOT_SELECTOR_PEERAUTH,
                &res,
                "PeerAuthentication in the root namespace with a selector is ignored in ambient: it changes nothing",
            ));
        } else if m.namespace == root {
            ctx.findings.push(Finding::new(&f::MESH_WIDE, &res, format!("mesh-wide PeerAuthentication ({}): changing it changes mTLS for every namespace", pa_mode(mode))));
        }
        if matches!(mode, Mode::Permissive | Mode::Disable) && enforced && !open.is_empty() {
            let keys = |f: &dyn Fn(Dataplane, bool) -> bool| -> Vec<Arc<str>> {
                open.iter()
                    .filter(|(_, dp, off)| f(*dp, *off))
                    .map(|(k, _, _)| k.clone())
                    .collect()
            };
            let ambient = keys(&|dp, _| dp != Dataplane::Sidecar);
            let sidecar_open = keys(&|dp, off| dp == Dataplane::Sidecar && !off);
            let sidecar_off = keys(&|dp, off| dp == Dataplane::Sidecar && off);
            let mut parts = Vec::new();
            if !ambient.is_empty() {
                let extra = if mode == Mode::Disable {
                    " (DISABLE acts as PERMISSIVE at ztunnel)"
                } else {
                    ""
                };
                parts.push(format!(
                    "{} accept(s) plaintext from clients outside the mesh{extra}",
                    names(&ambient)
                ));
            }
            if !sidecar_open.is_empty() {
                parts.push(format!(
                    "{} accept(s) plaintext from clients outside the mesh (at their sidecar)",
                    names(&sidecar_open)
                ));
            }
            if !sidecar_off.is_empty() {
                parts.push(format!(
                    "the sidecar of {} applies DISABLE as written: mTLS is off, so it accepts plaintext from any client and no peer identity reaches its authorization policies",
                    names(&sidecar_off)
                ));
            }
            ctx.findings
                .push(Finding::new(&f::PLAINTEXT_ACCEPTED, &res, parts.join("; ")));
        }
        for q in quirks {
            ctx.findings.push(Finding::new(&f::PEERAUTH_QUIRK, &res, q));
        }
        if !enforced && !overridden.is_empty() {
            ctx.findings.push(Finding::new(
                &f::SELECTS_NOTHING,
                &res,
                format!("overridden for every workload it covers ({}) by a more specific or older PeerAuthentication", names(&overridden)),
            ));
        }
        out.push(PolicyReport {
            kind: "PeerAuthentication".into(),
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            action: Some(pa_mode(mode).into()),
            attachment: attachment_label(false, selector.is_some(), &m.namespace, &root).into(),
            enforcement,
            istiod_status: vec![],
            ztunnel: None,
        });
    }
    if snap.peer_authentications.is_empty() {
        let mut namespaces: Vec<&str> = ctx
            .mtls
            .keys()
            .filter(|&&d| mesh.pods[d].dataplane == Dataplane::Ambient)
            .map(|&d| snap.pods[d].metadata.namespace.as_str())
            .collect();
        namespaces.dedup();
        for ns in namespaces {
            ctx.findings.push(Finding::new(
                &f::NO_PEERAUTH,
                resource_key("Namespace", "", ns),
                format!("no PeerAuthentication exists: ambient workloads in {ns} accept plaintext from clients outside the mesh"),
            ));
        }
    }
    out
}

fn pa_mode(m: Mode) -> &'static str {
    match m {
        Mode::Unset => "UNSET",
        Mode::Strict => "STRICT",
        Mode::Permissive => "PERMISSIVE",
        Mode::Disable => "DISABLE",
    }
}

/// AMB047 for a PeerAuthentication labelled `istio.io/rev` for another revision than
/// ztunnel's istiod (`revision-filter-at-ztunnel`): from 1.25.4 and 1.26.3 its ambient index
/// does not take it (`configFilter` on the PeerAuthentication informer, AMB/ambientindex.go at
/// 1.27.0), so ztunnel does not apply its mode; before, ztunnel applies it anyway.
fn other_revision(ctx: &Ctx, i: usize, res: &str) -> Option<Finding> {
    let (label, rev, filtered, row) = ctx.ix.pa_revision[i].as_ref()?;
    let rules = &ctx.mesh.rules;
    let head = format!(
        "PeerAuthentication labelled istio.io/rev={label} but ztunnel is served by istiod revision {rev}"
    );
    let text = if *filtered {
        format!(
            "{head}: {}, its ambient index takes only its own revision's PeerAuthentications and unlabelled ones: ztunnel does not apply this mTLS mode to ambient workloads (the mode it applies comes from the others, else PERMISSIVE)",
            rules.versions_phrase(*row)
        )
    } else {
        format!(
            "{head}: {}, its ambient index does not filter by revision, so ztunnel applies this mTLS mode anyway, while that revision's sidecars ignore it; from 1.25.4, 1.26.3 and 1.27 it is not sent to ztunnel",
            rules.versions_phrase(*row)
        )
    };
    Some(Finding::new(&f::OTHER_REVISION, res, text))
}
