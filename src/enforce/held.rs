//! What a ztunnel really holds, as the engine decides on it (`check --ztunnel-dump`): the
//! policies of a config dump and, per workload, the selector-scoped keys istiod attached.
//! Filled by `dataplane` from a dump; `Index::with_dataplane` then takes each destination
//! ztunnel's policies from here instead of the model's conversion, so the same evaluation
//! decides on the real data.

use super::ztunnel::{Action, Scope, ZRule};
use std::collections::{HashMap, HashSet};

/// One policy ztunnel holds.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldPolicy {
    pub namespace: String,
    pub name: String,
    pub scope: Scope,
    pub action: Action,
    /// Logged only (`dryRun: true`): never decides.
    pub dry_run: bool,
    pub rules: Vec<ZRule>,
}

/// The policies of one ztunnel.
#[derive(Debug, Clone, Default)]
pub struct DataplanePolicies {
    /// The dump they come from, for reports.
    pub source: String,
    pub policies: Vec<HeldPolicy>,
    /// (namespace, pod name) and (namespace, workloadName) -> selector-scoped keys `ns/name`.
    /// `None`: the dump has no workloads (`istioctl ztunnel-config policy -o json`), so the
    /// model's attachment places the selector policies.
    pub workloads: Option<HashMap<(String, String), Vec<String>>>,
}

/// `istio_converted_static_strict` and `converted_peer_authentication_*`: the DENYs istiod
/// makes of PeerAuthentication.
pub fn is_peer_authentication(name: &str) -> bool {
    name == "istio_converted_static_strict" || name.starts_with("converted_peer_authentication_")
}

impl DataplanePolicies {
    /// Indices of the policies that decide for a workload in `ns`, named `names` (its pod
    /// name, then its controller's), whose selector keys are `model_keys` when the dump has
    /// no workloads. Dry-run policies are left out: ztunnel only logs them.
    pub fn for_workload(&self, ns: &str, names: &[&str], model_keys: &[String]) -> Vec<usize> {
        let attached: HashSet<&str> = match &self.workloads {
            Some(w) => names
                .iter()
                .find_map(|n| w.get(&(ns.to_string(), n.to_string())))
                .map(|keys| keys.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            None => model_keys.iter().map(String::as_str).collect(),
        };
        self.policies
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.dry_run)
            .filter(|(_, p)| match p.scope {
                Scope::Global => true,
                Scope::Namespace => p.namespace == ns,
                Scope::WorkloadSelector => {
                    attached.contains(format!("{}/{}", p.namespace, p.name).as_str())
                }
            })
            .map(|(k, _)| k)
            .collect()
    }
}
