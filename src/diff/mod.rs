//! What a change does: two Explanations in, their differences out (`kind: Diff`). Pure: it
//! never learns where either explanation came from (two manifest sets, or the cluster and
//! the cluster with manifests applied), so both modes compare alike.

mod compare;

use crate::contract::API_VERSION;
use crate::explain::report::{Enforcement, Explanation};
use crate::findings::{Finding, Severity};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The namespace explained on both sides; `null` with `--all-namespaces`.
    pub namespace: Option<String>,
    /// `istioVersion` and `ztunnelVersion` when the two sides run different versions (an
    /// upgrade preview), with the version rules that decided something on either side.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<FieldChange>,
    pub policies: Vec<PolicyChange>,
    pub paths: Vec<PathChange>,
    pub findings: FindingChanges,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyChange {
    pub kind: String,
    pub namespace: String,
    /// The name after the change (before it, for a removed policy).
    pub name: String,
    pub change: Change,
    /// AuthorizationPolicy action or PeerAuthentication mode, and how it attaches, as in
    /// explain: after the change (before it, for a removed policy).
    pub action: Option<String>,
    pub attachment: String,
    /// A rename: the same kind, namespace, action, attachment and enforcement under a new
    /// name. Shown as one changed policy; its findings carry over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// `action` and `attachment` when they changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The enforcement entries before and after (`null`: the policy is absent on that side).
    pub before: Option<Vec<Enforcement>>,
    pub after: Option<Vec<Enforcement>>,
    /// Entry by entry: places enforcement was added, removed, or changed (effect, targets).
    pub entries: Vec<EntryChange>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryChange {
    pub change: Change,
    pub before: Option<Enforcement>,
    pub after: Option<Enforcement>,
}

/// One path (destination pod, client class, addressed Service) whose route or verdict changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PathChange {
    pub destination: String,
    /// Other pods with the same change (replicas), when there are some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<String>,
    pub source: String,
    pub via: Option<String>,
    pub before: Option<PathState>,
    pub after: Option<PathState>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathState {
    /// The hops, e.g. `client-ztunnel > waypoint default/waypoint > ztunnel [waypoint]`.
    pub route: String,
    /// allow | deny | depends (on the client's identity or the request)
    pub verdict: String,
    /// Where Kubernetes NetworkPolicy blocks the path (or may), as explain says it.
    #[serde(rename = "networkPolicy", skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FindingChanges {
    /// Findings the change brings (new, or raised to a higher severity).
    pub introduced: Vec<Finding>,
    /// Findings the change removes.
    pub resolved: Vec<Finding>,
}

impl Diff {
    /// Whether the two sides differ at all (exit code 1, as `kubectl diff`).
    pub fn differs(&self) -> bool {
        !self.versions.is_empty()
            || !self.policies.is_empty()
            || !self.paths.is_empty()
            || !self.findings.introduced.is_empty()
            || !self.findings.resolved.is_empty()
    }

    /// Whether the change introduces a finding at or above `threshold` (`--fail-on`).
    pub fn introduces(&self, threshold: Severity) -> bool {
        self.findings
            .introduced
            .iter()
            .any(|f| f.severity.at_least(threshold))
    }
}

/// Compares what `after` says with what `before` says.
pub fn diff(before: &Explanation, after: &Explanation) -> Diff {
    let (policies, renames) = compare::policies(&before.policies, &after.policies);
    Diff {
        api_version: API_VERSION,
        kind: "Diff",
        namespace: after.namespace.clone(),
        versions: versions(before, after),
        policies,
        paths: compare::paths(&before.paths, &after.paths),
        findings: compare::findings(&before.findings, &after.findings, &renames),
    }
}

/// The versions of the two sides, when they differ (the rules then differ too).
fn versions(before: &Explanation, after: &Explanation) -> Vec<FieldChange> {
    let value = |e: &Explanation, setting: &str| {
        e.assumptions
            .iter()
            .find(|a| a.setting == setting)
            .map(|a| a.value.clone())
    };
    let mut out: Vec<FieldChange> = ["istioVersion", "ztunnelVersion"]
        .iter()
        .map(|s| FieldChange {
            field: s.to_string(),
            before: value(before, s),
            after: value(after, s),
        })
        .filter(|c| c.before != c.after)
        .collect();
    if !out.is_empty() {
        let rules = |e: &Explanation| {
            let v: Vec<String> = e
                .version_rules
                .iter()
                .map(|r| format!("{} ({})", r.rule, r.range))
                .collect();
            Some(v.join("; ")).filter(|s| !s.is_empty())
        };
        let (b, a) = (rules(before), rules(after));
        if b != a {
            out.push(FieldChange {
                field: "versionRules".into(),
                before: b,
                after: a,
            });
        }
    }
    out
}
