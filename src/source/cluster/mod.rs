//! The live cluster through the kubeconfig context: every kind listed concurrently with
//! pagination, decoded straight into the slim model types. Only GET requests; never Secrets.
//! What cannot be read (403, CRD not installed) is recorded and the analysis goes on; any
//! other failure ends the read with one error, so no partial verdict looks complete.
//! Versions come from API discovery (`discovery`), requests are bounded (`request`), and
//! credentials never appear in a message (`secrets`).
//!
//! `connection` builds the client from the kubeconfig; `lists` reads one kind page by page;
//! `fetch` runs rounds of lists into the Snapshot and decides which failures end the read.

mod connection;
mod fetch;
mod lists;
pub mod ztunnel;

pub use connection::{connect, Connection, Options};
pub use lists::MAX_PAGES;

use super::discovery::{self, NoApi};
use super::kinds::{KindSpec, CONFIGMAP, DAEMONSET, DEPLOYMENT, KINDS, SECURITY};
use crate::error::{Error, Result};
use crate::model::labels::USE_WAYPOINT_NS;
use crate::model::{ConfigMap, Controller, Deployment, MeshConfig};
use crate::snapshot::Snapshot;
use fetch::{get_one, no_kubernetes, Fetcher};
use std::collections::BTreeSet;

/// Reads what one analysis needs. `namespace: None` reads every namespace.
/// `root_override`: an explicit `--root-namespace`, which beats the mesh config.
pub async fn load(
    conn: &Connection,
    namespace: Option<&str>,
    root_override: Option<&str>,
    istio_ns: &str,
) -> Result<Snapshot> {
    let started = std::time::Instant::now();
    // Keeps one page's buffers for the next; the analysis after the read returns what it
    // frees at once, as before.
    let _reused = crate::allocator::KeepFreed::while_reading();
    let ctx = &conn.context;
    let r = &conn.requester;
    // With every namespace asked for, the kinds whose versions never come from discovery
    // (the core ones) are listed with discovery rather than after it: a big cluster's Pods
    // are its longest list (issue 16). A failure that ends the read after discovery ends it
    // as before, and drops these lists.
    let (early, later): (Vec<&'static KindSpec>, Vec<&'static KindSpec>) = KINDS
        .iter()
        .partition(|k| namespace.is_none() && !discovery::discovered(k));
    let jobs = (early.iter())
        .map(|s| (*s, discovery::table_versions(s), None))
        .collect();
    let (early, (mut f, later)) = tokio::try_join!(
        async { Ok(fetch::lists(r, jobs).await) },
        settings_then_lists(conn, namespace, root_override, istio_ns, &later),
    )?;
    // In the kind table's order, as one round would have recorded them: the first failure
    // is the one reported.
    f.record(early);
    f.record(later);
    f.stop_early(None)?;
    if f.fetched == 0 && f.forbidden == 0 {
        return Err(no_kubernetes(conn, "every list answered 404 Not Found"));
    }
    if f.fetched == 0 {
        return Err(Error::Cluster(format!(
            "context {ctx:?} may not list anything this plugin reads (403 on every kind); see examples/clusterrole.yaml for the permissions it needs"
        )));
    }
    let istio_kinds = [
        "AuthorizationPolicy",
        "PeerAuthentication",
        "RequestAuthentication",
    ];
    if istio_kinds.iter().all(|k| f.not_installed.contains(k)) {
        return Err(Error::Cluster(format!(
            "Istio is not installed in the cluster of context {ctx:?}: the {SECURITY} API is not served"
        )));
    }
    let mut snap = f.snap;
    snap.live = true;
    snap.incomplete
        .sort_by(|a, b| (&a.kind, &a.namespace).cmp(&(&b.kind, &b.namespace)));
    snap.normalise();
    if r.verbose {
        eprintln!(
            "debug: read {} namespaces, {} pods, {} services, {} policies in {} ms",
            snap.namespaces.len(),
            snap.pods.len(),
            snap.services.len(),
            snap.authorization_policies.len(),
            started.elapsed().as_millis()
        );
    }
    Ok(snap)
}

/// The mesh settings (after discovery), then the lists of `later` in the namespaces asked
/// for (and those of the waypoints they name). With every namespace asked for, what they
/// read is returned to be recorded after the early lists; else it is recorded here (the
/// second round depends on the first).
async fn settings_then_lists<'a>(
    conn: &'a Connection,
    namespace: Option<&str>,
    root_override: Option<&str>,
    istio_ns: &str,
    later: &[&'static KindSpec],
) -> Result<(Fetcher<'a>, Vec<fetch::Listed>)> {
    let r = &conn.requester;
    let all: Vec<&'static KindSpec> = KINDS.iter().collect();
    // Discovery and the mesh settings first, concurrently: the served versions and the
    // root namespace decide what else to read. An unreachable server, or one that is no
    // Kubernetes API, shows here already: stop before issuing the other lists.
    let (served, cm, istiod, ztunnel) = tokio::join!(
        discovery::discover(r, &all),
        get_one::<ConfigMap>(r, &CONFIGMAP, istio_ns, "istio"),
        get_one::<Deployment>(r, &DEPLOYMENT, istio_ns, "istiod"),
        get_one::<Controller>(r, &DAEMONSET, istio_ns, "ztunnel"),
    );
    let mut f = Fetcher::new(conn);
    let mut no_api = None;
    match served {
        Ok(s) => {
            if conn.requester.verbose {
                for k in &all {
                    eprintln!("debug: {} versions to try: {:?}", k.kind, s.versions(k));
                }
            }
            f.served = s;
        }
        Err(NoApi::NotKubernetes(m)) => no_api = Some(m),
        Err(NoApi::Request(e)) => f.fail(e, || "discovery".into()),
    }
    let cm = cm.unwrap_or_else(|e| {
        f.fail(e, || format!("reading ConfigMap {istio_ns}/istio"));
        None
    });
    let istiod = istiod.unwrap_or_else(|e| {
        f.fail(e, || format!("reading Deployment {istio_ns}/istiod"));
        None
    });
    if let Some(cm) = cm {
        // Like the `mesh` key: a value istiod could not read either leaves the defaults.
        if let Some(networks) = cm.data.get("meshNetworks") {
            let why = match (f.snap.mesh)
                .apply_mesh_networks(networks, &format!("ConfigMap {istio_ns}/istio"))
            {
                Ok(ignored) => ignored,
                Err(e) => Some(format!("not valid MeshNetworks YAML: {e}")),
            };
            if let Some(why) = why {
                f.snap.input_notes.push(crate::snapshot::InputNote {
                    setting: format!("ConfigMap {istio_ns}/istio meshNetworks"),
                    value: "ignored".into(),
                    source: why,
                });
            }
        }
        if let Some(mesh) = cm.data.get("mesh") {
            if let Ok(mc) = serde_saphyr::from_str::<MeshConfig>(mesh) {
                f.snap
                    .mesh
                    .apply_mesh_config(&mc, &format!("ConfigMap {istio_ns}/istio"));
            }
        }
    }
    // ztunnel's version, and the istiod it connects to; a 403 or 404 leaves them unknown
    // (ztunnel's version is then assumed istiod's).
    let ztunnel = ztunnel.unwrap_or_else(|e| {
        f.fail(e, || format!("reading DaemonSet {istio_ns}/ztunnel"));
        None
    });
    if let Some(mut z) = ztunnel {
        z.metadata.namespace = istio_ns.to_string();
        z.metadata.name = "ztunnel".into();
        f.snap.mesh.apply_ztunnel(&z);
    }
    let mut istiods: Vec<Deployment> = istiod.into_iter().collect();
    // A ztunnel of another revision connects to `istiod-<revision>`: read that one too.
    if let Some(z) = f.snap.mesh.ztunnel_istiod.clone() {
        let (ns, name) = &z.value;
        if name != "istiod" && !name.is_empty() && !ns.is_empty() {
            match get_one::<Deployment>(r, &DEPLOYMENT, ns, name).await {
                Ok(d) => istiods.extend(d),
                Err(e) => f.fail(e, || format!("reading Deployment {ns}/{name}")),
            }
        }
    }
    for d in &mut istiods {
        if d.metadata.namespace.is_empty() {
            d.metadata.namespace = istio_ns.to_string();
        }
    }
    f.snap.mesh.apply_istiods(&istiods);
    f.stop_early(no_api.as_deref())?;
    let root_ns = root_override.unwrap_or(f.snap.mesh.root()).to_string();
    let root_ns = root_ns.as_str();
    let mut read: BTreeSet<String> = BTreeSet::new();
    match namespace {
        None => {
            let jobs = f.jobs(later, &[None]);
            return Ok((f, fetch::lists(r, jobs).await));
        }
        Some(ns) => {
            read.insert(ns.to_string());
            read.insert(root_ns.to_string());
            let first: Vec<Option<String>> = read.iter().cloned().map(Some).collect();
            f.round(later, &first).await;
            // Second round: namespaces of waypoints the first round's bindings refer to.
            let extra: Vec<Option<String>> = waypoint_namespaces(&f.snap)
                .into_iter()
                .filter(|n| read.insert(n.clone()))
                .map(Some)
                .collect();
            if !extra.is_empty() {
                let namespaced: Vec<&'static KindSpec> =
                    KINDS.iter().filter(|k| k.namespaced).collect();
                f.round(&namespaced, &extra).await;
            }
        }
    }
    Ok((f, vec![]))
}

/// Labels naming a waypoint in another namespace.
fn waypoint_namespaces(snap: &Snapshot) -> BTreeSet<String> {
    let metas = snap
        .namespaces
        .iter()
        .map(|n| &n.metadata)
        .chain(snap.services.iter().map(|s| &s.metadata))
        .chain(snap.service_entries.iter().map(|s| &s.metadata))
        .chain(snap.pods.iter().map(|p| &p.metadata));
    metas
        .filter_map(|m| m.label(USE_WAYPOINT_NS).map(str::to_string))
        .collect()
}
