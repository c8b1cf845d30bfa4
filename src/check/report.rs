//! The `check` output contract (`-o json|yaml`): stable field names, as in DESIGN.md 3.

use crate::versions::RuleRow;
use serde::Serialize;

pub const KIND: &str = "Check";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub request: RequestReport,
    /// allowed | denied | unknown
    pub verdict: Verdict,
    pub decided_by: DecidedBy,
    pub hops: Vec<HopReport>,
    /// Guesses made on the way (ingress identity, one pod of many, ...).
    pub assumptions: Vec<String>,
    /// What else the path shows (a waypoint this request skips, endpoints that disagree).
    pub notes: Vec<String>,
    /// The version-dependent rules that decided something on this path (SEMANTICS.md 13).
    pub version_rules: Vec<RuleRow>,
    /// The same request through the canary waypoint that takes a share of the Service's
    /// requests (`istio.io/use-waypoint-canary`, Istio 1.31+); `verdict` above is the
    /// primary's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryCheck>,
    /// Decided on a ztunnel dump (`--ztunnel-dump`): the source, and the model's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataplane: Option<DataplaneCheck>,
}

/// A request through a Service's canary waypoint.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryCheck {
    /// `ns/name` of the canary waypoint.
    pub waypoint: String,
    /// Its share of the requests, in percent.
    pub weight: u32,
    pub verdict: Verdict,
    pub decided_by: DecidedBy,
    pub hops: Vec<HopReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Unknown => "unknown",
        }
    }
    /// Exit codes like `kubectl auth can-i`, plus one for "cannot tell".
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Allowed => 0,
            Verdict::Denied => 1,
            Verdict::Unknown => 4,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestReport {
    pub source: String,
    pub source_identity: Option<String>,
    pub destination: String,
    pub port: Option<u16>,
    pub target_port: Option<u16>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: std::collections::BTreeMap<String, String>,
    pub request_principal: Option<String>,
    pub plaintext: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PolicyRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecidedBy {
    /// Index into `hops`; null when no hop decided (allowed with no policy in the way).
    pub hop: Option<usize>,
    pub policy: Option<PolicyRef>,
    /// deny-matched | no-allow-matched | mtls-required | network-policy | allow-matched |
    /// no-policy-denies | needs-attributes | ext-authz | endpoints-differ
    pub reason: String,
    /// What would decide an `unknown` verdict, e.g. `request.headers[x-user]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// With `no-allow-matched`: the ALLOW policies that were there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_policies: Vec<PolicyRef>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HopReport {
    /// client-ztunnel | ztunnel | waypoint | sidecar | ingress-gateway | network-policy | none
    pub component: String,
    /// The waypoint `ns/name`, or the pod.
    pub name: Option<String>,
    /// The SPIFFE identity this hop sees; null for plaintext.
    pub source_identity: Option<String>,
    pub mtls: Mtls,
    /// allow | deny | unknown | not-evaluated
    pub decision: String,
    pub policies: Vec<PolicyResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mtls {
    /// The connection arriving here: mtls | plaintext
    pub connection: String,
    /// Plaintext required to be rejected here (STRICT) for this port; null where it does not
    /// apply (waypoints, client side) or the port is unknown.
    pub required: Option<bool>,
    /// The PeerAuthentication that decides `required`, when one does.
    pub policy: Option<PolicyRef>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResult {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub action: String,
    /// match | no-match | unknown
    pub result: String,
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// What ztunnel made of it (as-written, deny-all, ...); ztunnel hops only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

impl PolicyResult {
    pub fn policy_ref(&self) -> PolicyRef {
        PolicyRef {
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// What a check on a dump adds to its report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataplaneCheck {
    /// The dump the ztunnel hops decided on.
    pub source: String,
    /// The verdict on the model's own conversion.
    pub model_verdict: Verdict,
    pub agrees: bool,
}

/// Cells whose verdict on the model differs from the one on the dump.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixDataplane {
    pub source: String,
    pub differing: Vec<DifferingCell>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DifferingCell {
    pub source: String,
    pub destination: String,
    pub verdict: Verdict,
    pub model_verdict: Verdict,
}
