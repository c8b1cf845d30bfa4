//! The data plane as ztunnel really holds it, against the model (`verify`, `check
//! --ztunnel-dump`). `dump` reads ztunnel's config dump in each of its forms into the types
//! here, `expect` says what the model predicts each ztunnel holds (from the engine's own
//! conversion, the one `explain` reports under `ztunnel`), `compare` names each disagreement
//! with its likely cause. Pure: the live read is `source::cluster::ztunnel`.

pub mod compare;
pub mod dump;
pub mod expect;
pub mod report;
pub mod show;

pub use compare::{compare, Disagreement, Kind};
pub use expect::{expect, Expected};

use crate::enforce::ztunnel::{Action, Scope, ZRule};

/// Which form a dump came in; the lossy forms lack fields (`Dump::lacks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// ztunnel's `/config_dump`, or `istioctl ztunnel-config all -o json|yaml`.
    ConfigDump,
    /// `istioctl ztunnel-config policy -o json`.
    PolicyList,
    /// `istioctl ztunnel-config workload -o json`.
    WorkloadList,
    /// `istioctl ztunnel-config service -o json`.
    ServiceList,
}

/// One ztunnel's configuration (one node).
#[derive(Debug, Clone)]
pub struct Dump {
    /// The file, or the ztunnel pod it was read from.
    pub source: String,
    pub form: Form,
    /// `None`: the form does not carry this collection.
    pub workloads: Option<Vec<Workload>>,
    pub services: Option<Vec<Service>>,
    pub policies: Option<Vec<Policy>>,
    /// What the comparison would use but this form or version does not carry.
    pub lacks: Vec<&'static str>,
}

/// A Workload as ztunnel holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub uid: String,
    pub name: String,
    pub namespace: String,
    pub ips: Vec<String>,
    pub protocol: String,
    /// `protocol: HBONE`: ztunnel proxies it (captured by istio-cni).
    pub captured: bool,
    pub host_network: bool,
    pub trust_domain: Option<String>,
    pub service_account: Option<String>,
    /// `waypoint.destination`: `<network>/<ip>` or `<ns>/<hostname>`.
    pub waypoint: Option<String>,
    pub workload_name: Option<String>,
    pub node: Option<String>,
    /// Selector-scoped policy keys (`ns/name`) istiod attached.
    pub authorization_policies: Vec<String>,
    /// `ns/hostname` of its Services (`None` where the form drops them).
    pub services: Option<Vec<String>>,
}

/// A Service as ztunnel holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub namespace: String,
    pub hostname: String,
    /// `<network>/<ip>`.
    pub vips: Vec<String>,
    pub waypoint: Option<String>,
    /// (destination, weight) of a canary waypoint pair (1.31).
    pub weighted_waypoints: Vec<(String, u32)>,
}

/// An Authorization as ztunnel holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub namespace: String,
    pub scope: Scope,
    pub action: Action,
    pub rules: Vec<ZRule>,
    /// `None`: ztunnel before 1.29, or `istioctl ztunnel-config policy -o json`, which drops it.
    pub dry_run: Option<bool>,
    /// Match kinds this plugin does not know.
    pub unknown_fields: Vec<String>,
}

impl Policy {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The IP of `<network>/<ip>` or of a bare IP; `None` for `<ns>/<hostname>`.
pub fn address_ip(dest: &str) -> Option<&str> {
    let ip = dest.rsplit_once('/').map_or(dest, |(_, ip)| ip);
    ip.parse::<std::net::IpAddr>().is_ok().then_some(ip)
}

/// What the engine decides on when `check` is given a dump: its policies, and each
/// workload's selector keys by pod name and by `workloadName`.
pub fn held(d: &Dump) -> crate::enforce::held::DataplanePolicies {
    use crate::enforce::held::{DataplanePolicies, HeldPolicy};
    let workloads = d.workloads.as_ref().map(|ws| {
        let mut m = std::collections::HashMap::new();
        for w in ws {
            m.insert(
                (w.namespace.clone(), w.name.clone()),
                w.authorization_policies.clone(),
            );
            if let Some(owner) = &w.workload_name {
                m.entry((w.namespace.clone(), owner.clone()))
                    .or_insert_with(|| w.authorization_policies.clone());
            }
        }
        m
    });
    DataplanePolicies {
        source: d.source.clone(),
        policies: d
            .policies
            .iter()
            .flatten()
            .map(|p| HeldPolicy {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
                scope: p.scope,
                action: p.action,
                dry_run: p.dry_run.unwrap_or(false),
                rules: p.rules.clone(),
            })
            .collect(),
        workloads,
    }
}
