//! The model's prediction against what each ztunnel holds: every disagreement named with
//! both sides and its most likely cause. One disagreement per thing that differs, so that one
//! change in the cluster shows as one line: a workload's attached-policy list is compared
//! only over the policies both sides hold, so a missing policy is not also a list difference.

use super::expect::Expected;
use super::{Dump, Form, Policy};
use crate::findings::{self, Code};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod policies;
mod workloads;

use policies::policies;
use workloads::{services, workloads};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    PolicyMissing,
    PolicyUnexpected,
    PolicyDiffers,
    WorkloadCapture,
    Waypoint,
    WorkloadPolicies,
    Identity,
    WorkloadMissing,
    Service,
}

impl Kind {
    pub fn code(self) -> &'static Code {
        use findings::*;
        match self {
            Kind::PolicyMissing => &DP_POLICY_MISSING,
            Kind::PolicyUnexpected => &DP_POLICY_UNEXPECTED,
            Kind::PolicyDiffers => &DP_POLICY_DIFFERS,
            Kind::WorkloadCapture => &DP_CAPTURE,
            Kind::Waypoint => &DP_WAYPOINT,
            Kind::WorkloadPolicies => &DP_WORKLOAD_POLICIES,
            Kind::Identity => &DP_IDENTITY,
            Kind::WorkloadMissing => &DP_WORKLOAD_MISSING,
            Kind::Service => &DP_SERVICE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Disagreement {
    pub kind: Kind,
    pub code: &'static str,
    /// `AuthorizationPolicy/ns/name`, `Pod/ns/name`, `Service/ns/name`, or the ztunnel entry.
    pub object: String,
    pub model: String,
    pub dataplane: String,
    /// Where two rule sets differ, pointed at (rule, clause, field, values on each side).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Both rule sets in the dump's shape, for scripts (rule differences only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_rules: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataplane_rules: Option<serde_json::Value>,
    pub cause: String,
    /// The ztunnels (nodes, or dump files) that hold this.
    pub nodes: Vec<String>,
}

impl Disagreement {
    pub fn new(kind: Kind, object: &str, model: String, dataplane: String, cause: String) -> Self {
        Disagreement {
            kind,
            code: kind.code().code,
            object: object.into(),
            model,
            dataplane,
            detail: None,
            model_rules: None,
            dataplane_rules: None,
            cause,
            nodes: Vec::new(),
        }
    }
}

/// One ztunnel read, or that could not be read.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub node: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<Form>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub workloads: usize,
    pub services: usize,
    pub policies: usize,
    /// What this dump does not carry (a lossy istioctl form, an older ztunnel).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<String>,
}

impl Node {
    pub fn unread(node: &str, error: String) -> Self {
        Node {
            node: node.into(),
            form: None,
            error: Some(error),
            workloads: 0,
            services: 0,
            policies: 0,
            lacks: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub nodes: Vec<Node>,
    /// Objects compared that agree on every node read.
    pub agreed: usize,
    /// Of those, how many of each kind: `workloads`, `services`, `policies`.
    pub agreed_by_kind: BTreeMap<&'static str, usize>,
    pub disagreements: Vec<Disagreement>,
    /// What the comparison as a whole suggests (a dump of another cluster, an empty scope).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The objects compared, each with its kind (`workloads`, `services`, `policies`).
pub(super) type Compared = BTreeMap<String, &'static str>;

/// What makes two nodes' disagreements one: (kind, object, model, dataplane).
type Same = (Kind, String, String, String);

/// Compares `dumps` (one per node) with the prediction, in namespace `ns` (all when `None`).
pub fn compare(exp: &Expected, dumps: &[Dump], ns: Option<&str>, root: &str) -> Verification {
    let mut found: BTreeMap<Same, (Disagreement, BTreeSet<String>)> = BTreeMap::new();
    let mut compared = Compared::new();
    let mut nodes = Vec::new();
    for d in dumps {
        let mut out = Vec::new();
        let in_scope = |n: &str| ns.is_none_or(|s| s == n);
        if let Some(ps) = &d.policies {
            let ps: Vec<&Policy> = ps
                .iter()
                .filter(|p| in_scope(&p.namespace) || p.namespace == root || p.namespace.is_empty())
                .collect();
            policies(exp, &ps, &mut out, &mut compared);
        }
        if let Some(ws) = &d.workloads {
            let held: Option<BTreeSet<String>> = d
                .policies
                .as_ref()
                .map(|ps| ps.iter().map(Policy::key).collect());
            let services = d.services.as_deref().unwrap_or(&[]);
            let mut wl = Vec::new();
            let by_ns = workloads(exp, ws, services, held.as_ref(), &mut wl, &mut compared);
            out.extend(per_namespace(wl, &by_ns));
        }
        if let Some(ss) = &d.services {
            services(exp, ss, &mut out, &mut compared);
        }
        for x in out {
            let key = (
                x.kind,
                x.object.clone(),
                x.model.clone(),
                x.dataplane.clone(),
            );
            let e = found.entry(key).or_insert_with(|| (x, BTreeSet::new()));
            e.1.insert(d.source.clone());
        }
        nodes.push(Node {
            node: d.source.clone(),
            form: Some(d.form),
            error: None,
            workloads: d.workloads.as_ref().map_or(0, Vec::len),
            services: d.services.as_ref().map_or(0, Vec::len),
            policies: d.policies.as_ref().map_or(0, Vec::len),
            lacks: d.lacks.iter().map(|s| s.to_string()).collect(),
        });
    }
    let read = dumps.len();
    let disagreements: Vec<Disagreement> = found
        .into_values()
        .map(|(mut d, on)| {
            d.nodes = on.into_iter().collect();
            if read > 1 && d.nodes.len() < read {
                // The other ztunnels agree with the model: these ones are behind istiod.
                d.cause = format!(
                    "only {} of the {read} ztunnels read hold this; the others agree with the model: these have not received istiod's latest push (check their connection to istiod: `istioctl proxy-status`, their logs). Otherwise: {}",
                    d.nodes.len(),
                    d.cause
                );
            }
            d
        })
        .collect();
    let differing: BTreeSet<&str> = disagreements.iter().map(|d| d.object.as_str()).collect();
    let mut agreed_by_kind = BTreeMap::new();
    for (o, kind) in &compared {
        if !differing.contains(o.as_str()) {
            *agreed_by_kind.entry(*kind).or_insert(0) += 1;
        }
    }
    let agreed = agreed_by_kind.values().sum();
    let mut notes = Vec::new();
    if let Some(n) = ns.filter(|_| exp.workloads.is_empty() && exp.services.is_empty()) {
        if !exp.policies.values().any(|p| p.namespace == n) {
            notes.push(format!(
                "namespace {n} holds no workload, Service or policy in the input: only the root namespace's policies were compared (is the namespace right?)"
            ));
        }
    }
    if agreed == 0 && !disagreements.is_empty() {
        notes.push("nothing the model predicts was found as predicted: is this dump from the cluster of the input, and is this ztunnel connected to istiod?".into());
    }
    Verification {
        nodes,
        agreed,
        agreed_by_kind,
        disagreements,
        notes,
    }
}

/// Every workload of a namespace that the model says is captured and is not (or the reverse)
/// is one cause, the namespace's enrolment, not one per pod: folded into one entry.
fn per_namespace(
    wl: Vec<Disagreement>,
    by_ns: &BTreeMap<(String, bool), usize>,
) -> Vec<Disagreement> {
    let key_of = |d: &Disagreement| {
        (
            namespace_of(&d.object).to_string(),
            d.model.starts_with("captured"),
        )
    };
    let mut capture: BTreeMap<(String, bool), usize> = BTreeMap::new();
    for d in wl.iter().filter(|d| d.kind == Kind::WorkloadCapture) {
        *capture.entry(key_of(d)).or_default() += 1;
    }
    let folded: BTreeSet<(String, bool)> = capture
        .into_iter()
        .filter(|(k, n)| *n >= 2 && by_ns.get(k) == Some(n))
        .map(|(k, _)| k)
        .collect();
    let mut out: Vec<Disagreement> = Vec::new();
    for d in wl {
        let key = key_of(&d);
        if d.kind != Kind::WorkloadCapture || !folded.contains(&key) {
            out.push(d);
            continue;
        }
        let object = format!("Namespace/{}", key.0);
        if out.iter().any(|x| x.object == object) {
            continue;
        }
        let captured = key.1;
        let protocol = d.dataplane.split(" (pod").next().unwrap_or_default();
        out.push(Disagreement::new(
            Kind::WorkloadCapture,
            &object,
            format!(
                "its {} workloads {}",
                by_ns[&key],
                if captured { "captured by ztunnel" } else { "not captured" }
            ),
            format!("every one of them with {protocol}"),
            if captured {
                "the namespace is not enrolled in the cluster as in the input: its istio.io/dataplane-mode label differs, or istio-cni's node agent is not running (kubectl -n istio-system get ds istio-cni-node)".into()
            } else {
                "the namespace is enrolled in the cluster (istio.io/dataplane-mode=ambient) but not in the input".into()
            },
        ));
    }
    out
}

/// `Kind/ns/name` -> `ns`.
fn namespace_of(object: &str) -> &str {
    object.split('/').nth(1).unwrap_or_default()
}

pub(super) fn push(
    out: &mut Vec<Disagreement>,
    kind: Kind,
    object: &str,
    model: String,
    dataplane: String,
    cause: String,
) {
    out.push(Disagreement::new(kind, object, model, dataplane, cause));
}

#[cfg(test)]
mod tests;
