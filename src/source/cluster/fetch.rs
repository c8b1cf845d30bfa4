//! Rounds of lists into the Snapshot: every kind (in every namespace asked for) listed
//! concurrently; what a forbidden or missing kind means for the analysis is recorded, and
//! the failures that must end the read (401, unreachable, anything unexpected) are kept
//! for `stop_early`.

use super::connection::Connection;
use super::lists::{list_all, what};
use crate::error::{Error, Result};
use crate::model::*;
use crate::snapshot::{add, Incomplete, Snapshot};
use crate::source::discovery::Served;
use crate::source::kinds::KindSpec;
use crate::source::request::{Fail, Requester};
use crate::source::secrets;
use futures::future::join_all;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;

type Apply = Box<dyn FnOnce(&mut Snapshot) + Send>;
/// A kind to list, the versions to try, and the namespace (`None`: cluster-wide).
pub(super) type Job = (&'static KindSpec, Vec<String>, Option<String>);
/// A job and what it read.
pub(super) type Listed = (Job, std::result::Result<Apply, Fail>);

/// Lists every job concurrently.
pub(super) async fn lists(r: &Requester, jobs: Vec<Job>) -> Vec<Listed> {
    let results = join_all(
        jobs.iter()
            .map(|(s, versions, n)| fetch(r, s, versions, n.as_deref())),
    )
    .await;
    jobs.into_iter().zip(results).collect()
}

/// Lists one kind and returns how to add it to the Snapshot.
async fn fetch(
    r: &Requester,
    spec: &'static KindSpec,
    versions: &[String],
    ns: Option<&str>,
) -> std::result::Result<Apply, Fail> {
    macro_rules! get {
        ($ty:ty, $field:ident) => {{
            let v: Vec<$ty> = list_all(r, spec, versions, ns).await?;
            Box::new(move |s: &mut Snapshot| add(&mut s.$field, v)) as Apply
        }};
        ($ty:ty, $field:ident, kind) => {{
            let mut v: Vec<$ty> = list_all(r, spec, versions, ns).await?;
            v.iter_mut().for_each(|o| o.kind = spec.kind.to_string());
            Box::new(move |s: &mut Snapshot| add(&mut s.$field, v)) as Apply
        }};
    }
    Ok(match spec.kind {
        "Namespace" => get!(Namespace, namespaces),
        "Pod" => get!(Pod, pods),
        "Service" => get!(Service, services),
        "ServiceEntry" => get!(ServiceEntry, service_entries),
        "Gateway" => get!(Gateway, gateways),
        "GatewayClass" => get!(GatewayClass, gateway_classes),
        "AuthorizationPolicy" => get!(AuthorizationPolicy, authorization_policies),
        "PeerAuthentication" => get!(PeerAuthentication, peer_authentications),
        "NetworkPolicy" => get!(NetworkPolicy, network_policies),
        "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute" => get!(Route, routes, kind),
        _ => get!(ExtensionPolicy, extensions, kind),
    })
}

/// What a missing kind means for the analysis.
fn consequence(kind: &str) -> &'static str {
    match kind {
        "Namespace" => "namespace labels (enrollment, waypoint bindings) are unknown",
        "Pod" => "workloads, enrollment and paths are missing",
        "Service" | "ServiceEntry" => "service bindings and Service targetRefs cannot be resolved",
        "Gateway" | "GatewayClass" => "waypoints are unknown: every binding looks broken",
        "AuthorizationPolicy" | "PeerAuthentication" => "those policies are not explained",
        _ => "those objects are not explained",
    }
}

pub(super) struct Fetcher<'a> {
    conn: &'a Connection,
    pub(super) served: Served,
    pub(super) snap: Snapshot,
    unauthorized: bool,
    unreachable: Option<String>,
    pub(super) fetched: usize,
    pub(super) forbidden: usize,
    pub(super) not_installed: BTreeSet<&'static str>,
    errors: Vec<String>,
}

impl<'a> Fetcher<'a> {
    pub(super) fn new(conn: &'a Connection) -> Self {
        Fetcher {
            conn,
            served: Served::default(),
            snap: Snapshot::default(),
            unauthorized: false,
            unreachable: None,
            fetched: 0,
            forbidden: 0,
            not_installed: BTreeSet::new(),
            errors: vec![],
        }
    }

    /// Records a failed request that stops the read (401, unreachable, anything unexpected).
    pub(super) fn fail(&mut self, f: Fail, what: impl FnOnce() -> String) {
        match f {
            Fail::Unauthorized => self.unauthorized = true,
            Fail::Unreachable(m) => self.unreachable = Some(m),
            Fail::Other(m) => self.errors.push(format!("{}: {m}", what())),
            Fail::Gone => self.errors.push(format!("{}: 410 Gone", what())),
            Fail::Forbidden | Fail::NotFound => {}
        }
    }

    /// Lists `specs` in each of `namespaces` (`None` = cluster-wide), all concurrently, and
    /// records what they read.
    pub(super) async fn round(
        &mut self,
        specs: &[&'static KindSpec],
        namespaces: &[Option<String>],
    ) {
        let listed = lists(&self.conn.requester, self.jobs(specs, namespaces)).await;
        self.record(listed);
    }

    /// The lists of `specs` in each of `namespaces`, at the versions discovery found.
    pub(super) fn jobs(
        &self,
        specs: &[&'static KindSpec],
        namespaces: &[Option<String>],
    ) -> Vec<Job> {
        specs
            .iter()
            .flat_map(|s| {
                let nss: Vec<Option<String>> = if s.namespaced {
                    namespaces.to_vec()
                } else {
                    vec![None]
                };
                let versions = self.served.versions(s);
                nss.into_iter().map(move |n| (*s, versions.clone(), n))
            })
            .collect()
    }

    /// Adds what `lists` read to the Snapshot, and records what it could not read.
    pub(super) fn record(&mut self, listed: Vec<Listed>) {
        for ((spec, _, ns), r) in listed {
            match r {
                Ok(apply) => {
                    apply(&mut self.snap);
                    self.fetched += 1;
                }
                Err(Fail::Forbidden) => {
                    self.forbidden += 1;
                    self.snap.incomplete.push(Incomplete {
                        kind: spec.kind.into(),
                        namespace: ns,
                        reason: format!("forbidden (403): {}", consequence(spec.kind)),
                    });
                }
                Err(Fail::NotFound) => {
                    if self.not_installed.insert(spec.kind) {
                        self.snap.incomplete.push(Incomplete {
                            kind: spec.kind.into(),
                            namespace: None,
                            reason: format!("not installed (404): {}", consequence(spec.kind)),
                        });
                    }
                }
                Err(Fail::Other(m)) => self.errors.push(m),
                Err(f) => self.fail(f, || format!("listing {}", what(spec, ns.as_deref()))),
            }
        }
    }

    /// The failures that end the read, most fundamental first.
    pub(super) fn stop_early(&self, no_api: Option<&str>) -> Result<()> {
        let ctx = &self.conn.context;
        if self.unauthorized {
            return Err(Error::Cluster(format!(
                "the API server rejected the credentials of context {ctx:?} (401 Unauthorized); log in again or refresh the token"
            )));
        }
        if let Some(m) = &self.unreachable {
            return Err(Error::Cluster(format!(
                "cannot reach the API server of context {ctx:?} at {}: {}",
                self.conn.server,
                secrets::scrub(m)
            )));
        }
        if let Some(m) = no_api {
            return Err(no_kubernetes(self.conn, m));
        }
        if let Some(e) = self.errors.first() {
            return Err(Error::Cluster(format!(
                "context {ctx:?} ({}): {}",
                self.conn.server,
                secrets::scrub(e)
            )));
        }
        Ok(())
    }
}

/// `GET` of one object for the mesh settings; `Ok(None)` when it is absent or forbidden.
pub(super) async fn get_one<T: DeserializeOwned>(
    r: &Requester,
    spec: &KindSpec,
    ns: &str,
    name: &str,
) -> std::result::Result<Option<T>, Fail> {
    let url = format!("{}/{name}", spec.list_path(spec.versions[0], Some(ns)));
    match r.get(&url).await {
        Ok(t) => Ok(serde_json::from_slice(&t).ok()),
        Err(Fail::NotFound | Fail::Forbidden) => Ok(None),
        Err(f) => Err(f),
    }
}

pub(super) fn no_kubernetes(conn: &Connection, answered: &str) -> Error {
    Error::Cluster(format!(
        "no Kubernetes API at {} (context {:?}): {answered}; check the server URL in the kubeconfig",
        conn.server, conn.context
    ))
}
