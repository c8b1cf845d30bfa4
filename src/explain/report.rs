//! The Explanation: the versioned output contract of DESIGN.md section 3. Field names here
//! are stable; add fields freely, never rename these.

use crate::findings::{by_code, CodeSummary, Filter, Filtered, Finding};
use crate::model::Condition;
use crate::snapshot::Incomplete;
use crate::versions::RuleRow;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use crate::contract::API_VERSION;

/// A destination ztunnel's decision on a path, as the Explanation prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict", content = "by")]
pub enum Verdict {
    Allow,
    /// Denied, by these policies (`ExplicitlyDenied` or `NotAllowed`).
    Deny(Arc<[String]>),
    /// Depends on attributes not known here (client identity, port, IP).
    Depends,
}

/// A section of the report built element by element, in parts that threads can build side
/// by side (`render::sections`, JSON written as it is built): each thread with its own
/// `State` (memos it would otherwise share), the elements of each part in order.
pub trait Section: Sync {
    type Part: Sync;
    type State;
    type Item: Serialize;
    /// The parts, in report order.
    fn parts(&self) -> Vec<Self::Part>;
    fn state(&self) -> Self::State;
    fn build(&self, state: &mut Self::State, part: &Self::Part, emit: &mut dyn FnMut(Self::Item));
    /// Called once every part is built.
    fn finish(&self) {}
}

/// `P` and `W`: the paths and the workloads, held (`Vec`s, the default) or still to be
/// built (`explain::Late`, written as they are built); `()` before they are added. On a
/// big mesh they are most of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation<P = Vec<PathReport>, W = Vec<WorkloadReport>> {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The namespace explained; `null` with `--all-namespaces`.
    pub namespace: Option<String>,
    pub assumptions: Vec<Assumption>,
    pub policies: Vec<PolicyReport>,
    pub findings: Vec<Finding>,
    /// Per code and severity, the count of `findings` (recounted whenever they are
    /// filtered: `filter_findings`).
    pub summary: Vec<CodeSummary>,
    pub workloads: W,
    pub services: Vec<ServiceReport>,
    pub waypoints: Vec<WaypointReport>,
    pub paths: P,
    /// Kinds in the input that are not modelled, with counts.
    pub skipped: BTreeMap<String, usize>,
    /// What could not be read (live cluster source).
    pub incomplete: Vec<Incomplete>,
    /// The version-dependent rules that decided something in this analysis, for the versions
    /// in `assumptions` (`istioVersion`, `ztunnelVersion`).
    pub version_rules: Vec<RuleRow>,
}

impl<P, W> Explanation<P, W> {
    /// The same report with these paths and workloads in place of its own.
    pub fn with<Q, V>(self, paths: Q, workloads: V) -> Explanation<Q, V> {
        Explanation {
            api_version: self.api_version,
            kind: self.kind,
            namespace: self.namespace,
            assumptions: self.assumptions,
            policies: self.policies,
            findings: self.findings,
            summary: self.summary,
            workloads,
            services: self.services,
            waypoints: self.waypoints,
            paths,
            skipped: self.skipped,
            incomplete: self.incomplete,
            version_rules: self.version_rules,
        }
    }

    /// A copy of the report without its paths and workloads (a renderer draws them from
    /// the original).
    pub fn head(&self) -> Explanation<(), ()> {
        Explanation {
            api_version: self.api_version,
            kind: self.kind,
            namespace: self.namespace.clone(),
            assumptions: self.assumptions.clone(),
            policies: self.policies.clone(),
            findings: self.findings.clone(),
            summary: self.summary.clone(),
            workloads: (),
            services: self.services.clone(),
            waypoints: self.waypoints.clone(),
            paths: (),
            skipped: self.skipped.clone(),
            incomplete: self.incomplete.clone(),
            version_rules: self.version_rules.clone(),
        }
    }

    /// Keeps the findings `filter` keeps (`--only`, `--suppress`) and counts the summary
    /// again; says how many went.
    pub fn filter_findings(&mut self, filter: &Filter) -> Filtered {
        let gone = filter.apply(&mut self.findings);
        self.summary = by_code(&self.findings);
        gone
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Assumption {
    pub setting: String,
    pub value: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyReport {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// AuthorizationPolicy action; PeerAuthentication mode; null for other kinds.
    pub action: Option<String>,
    /// selector | namespace | mesh | targetRefs
    pub attachment: String,
    pub enforcement: Vec<Enforcement>,
    /// Conditions istiod wrote on the object (ZtunnelAccepted, WaypointAccepted), when read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub istiod_status: Vec<Condition>,
    /// Rule-level detail of the ztunnel conversion (AuthorizationPolicy only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ztunnel: Option<ZtunnelDetail>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct Enforcement {
    /// ztunnel | waypoint | sidecar | gateway | none
    pub enforced_by: String,
    /// `ns/name` of the waypoint (or ingress gateway) when one enforces or fronts it.
    pub waypoint: Option<String>,
    /// The waypoint's share of the requests to the targets, in percent, when a canary
    /// waypoint splits them with another (`istio.io/use-waypoint-canary`, Istio 1.31+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// direct | waypoint | ingress
    pub path: String,
    /// client | waypoint | none
    pub source_identity: String,
    /// as-written | deny-all | rules-dropped | l7-ignored | no-effect | not-enforced, and
    /// fields-ignored | dry-run | as-permissive
    pub effect: String,
    pub targets: Vec<Arc<str>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZtunnelDetail {
    /// WORKLOAD_SELECTOR | NAMESPACE | GLOBAL
    pub scope: String,
    pub sent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_sent_reason: Option<String>,
    pub http_attributes: Vec<String>,
    pub ignored_attributes: Vec<String>,
    pub rules: usize,
    /// 1-based numbers of the rules that can never match at ztunnel.
    pub dead_rules: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadReport {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub identity: String,
    pub dataplane: String,
    pub dataplane_reason: String,
    /// waypoint | ingress-gateway | workload
    pub role: String,
    pub waypoint: Option<String>,
    pub waypoint_error: Option<String>,
    /// Effective plaintext policy at its ztunnel or sidecar.
    pub mtls: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceReport {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub waypoint: Option<String>,
    pub waypoint_error: Option<String>,
    /// The `ns/name` the use-waypoint labels asked for.
    pub requested_waypoint: Option<String>,
    pub ingress_use_waypoint: bool,
    /// The canary waypoint that takes a share of the requests (`istio.io/use-waypoint-canary`,
    /// Istio 1.31+); the primary `waypoint` takes the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryReport>,
    /// Why istiod leaves the declared canary out (`CanarySameAsPrimary`, ...), or
    /// `NotRead` on a release before 1.31.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_error: Option<String>,
    /// Labelled `istio.io/use-waypoint: none`: kept off any waypoint on purpose. Only
    /// present (`true`) for such Services.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub opted_out: bool,
    /// istiod's `istio.io/WaypointBound` condition, when read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub istiod_status: Vec<Condition>,
}

/// A Service's canary waypoint and its share of the requests, in percent.
#[derive(Debug, Clone, Serialize)]
pub struct CanaryReport {
    pub waypoint: String,
    pub weight: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaypointReport {
    pub namespace: String,
    pub name: String,
    pub class: String,
    #[serde(rename = "for")]
    pub for_: String,
    pub ready: bool,
    /// Declared in the input without status: assumed ready once deployed. Only present
    /// (`true`) for such waypoints.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub declared: bool,
    pub identity: String,
    pub allowed_namespaces: String,
    /// The Gateway's `Accepted` and `Programmed` conditions, when read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub istiod_status: Vec<Condition>,
    /// The istiod revision that deploys and configures it; present when the input runs
    /// several revisions, a label names it, or it is not ztunnel's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<WaypointRevisionReport>,
}

/// A waypoint's istiod revision (`istio.io/rev` on the Gateway, else on its namespace).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaypointRevisionReport {
    /// The revision (or tag) named; `default` without a label.
    pub name: String,
    /// gateway | namespace | default: where it was read.
    pub from: crate::mesh::revision::RevisionFrom,
    /// `ns/name` of that revision's istiod Deployment in the input, when there is one.
    pub istiod: Option<String>,
    /// Its version (image tag), when there is one.
    pub version: Option<String>,
}

/// A path's text is shared, not copied: a big mesh's paths are most of its report, built
/// and freed as they are written, and each repeats its group's destination and pods, its
/// Services' keys and its hops' policy lists (issue 16).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathReport {
    pub destination: Arc<str>,
    /// Every pod these paths stand for, when several pods are enforced alike (replicas of one
    /// workload); empty when the destination is the only one. Shared by the group's paths.
    #[serde(skip_serializing_if = "is_empty")]
    pub pods: Arc<[Arc<str>]>,
    /// ambient-service | ambient-pod-ip | sidecar | ingress | out-of-mesh, and
    /// ambient-service-canary | ingress-canary through a Service's canary waypoint
    pub source: Cow<'static, str>,
    /// The Service the client addresses, for service-addressed classes.
    pub via: Option<Arc<str>>,
    pub hops: Vec<Hop>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where Kubernetes NetworkPolicy blocks this path, or may: absent when it admits it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<NetworkGate>,
    /// The share of the requests (percent) that take this path, when a canary waypoint splits
    /// them with the primary: one path through each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// The clients' network, for a path from another network than the destination's
    /// (`source: other-network`), which is not analysed ("" is Istio's unnamed default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

fn is_empty<T>(list: &Arc<[T]>) -> bool {
    list.is_empty()
}

/// The NetworkPolicy gate of a path, when it is not simply open.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NetworkGate {
    /// deny | depends (on which client)
    pub verdict: String,
    /// `ns/name` of the NetworkPolicies that isolate the receiver.
    pub policies: Vec<String>,
    /// The wire: `into Deployment/shop/httpbin on port 15008 (HBONE)`.
    pub wire: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    /// client-ztunnel | sidecar-client | ingress-gateway | waypoint | ztunnel | sidecar | none
    pub component: &'static str,
    pub name: Option<Arc<str>>,
    /// client | waypoint | none: whose identity this hop sees.
    pub source_identity: &'static str,
    /// The SPIFFE id seen, when it is known from the input.
    pub spiffe: Option<Arc<str>>,
    /// Policies evaluated here, as `Kind/ns/name (effect)`: the same list at every hop of the
    /// kind (a pod's ztunnel, a waypoint's chain), shared.
    pub policies: Arc<[String]>,
    /// ztunnel's decision at this hop. For a client the path does not name, decided when no
    /// client identity could change it, else `depends`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}
