//! The rule table: every behaviour of Istio that changed between 1.24 and 1.31 and that the
//! analysis models, one row per version range, with its source (SEMANTICS.md 13). The code
//! that depends on a version asks `Rules`, which picks the row for the versions running and
//! remembers it, so a report can list the rows that decided something in this run.

use super::{Running, Version};
use serde::Serialize;
// Atomic: asked on every thread building a report's paths, read far more than written.
use std::sync::atomic::{AtomicBool, Ordering};

mod network;

/// One row: a behaviour in a version range, and where it is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleRow {
    pub rule: &'static str,
    pub range: &'static str,
    pub applied: &'static str,
    pub source: &'static str,
}

macro_rules! rows {
    ($($name:ident: $rule:literal, $range:literal, $applied:literal, $source:literal;)*) => {
        /// A row of `TABLE`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Row { $($name),* }
        impl Row {
            /// Every row, in table order.
            pub const ALL: &[Row] = &[$(Row::$name),*];
        }
        /// Every version-dependent rule, in one place.
        pub const TABLE: &[RuleRow] = &[
            $(RuleRow { rule: $rule, range: $range, applied: $applied, source: $source }),*
        ];
    };
}

// "AMB" below is istio/istio `pilot/pkg/serviceregistry/kube/controller/ambient/`.
rows! {
    DryRunEnforced: "dry-run-at-ztunnel", "istiod <= 1.25.1",
        "istio.io/dry-run is not read for ztunnel: the policy is sent and enforced",
        "AMB/authorization.go at 1.25.0 (no dry-run handling); istio/istio#55414";
    DryRunNotSent: "dry-run-at-ztunnel", "istiod 1.25.2 - 1.28",
        "a dry-run policy is not sent to ztunnel: ambient workloads neither enforce nor log it",
        "AMB/policies.go PolicyCollections at 1.25.2 (`if dryRun { return nil }`); istio/istio#55709";
    DryRunFlagOff: "dry-run-at-ztunnel", "istiod >= 1.29, AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY off",
        "a dry-run policy is not sent to ztunnel: ambient workloads neither enforce nor log it",
        "AMB/authorization.go at 1.29.0; features.EnableWdsDryRunAuthzPol (read with PILOT_ENABLE_AMBIENT=true)";
    DryRunLogged: "dry-run-at-ztunnel", "istiod and ztunnel >= 1.29, AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY on",
        "a dry-run policy is sent with dryRun: ztunnel logs its matches and never enforces it",
        "AMB/authorization.go at 1.29.0; istio/ztunnel#1659";
    DryRunSkew: "dry-run-at-ztunnel", "istiod >= 1.29 with AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY on, ztunnel < 1.29",
        "a dry-run policy is sent with dryRun, a field the older ztunnel does not know: it enforces the policy",
        "Istio 1.29 upgrade notes (\"older ztunnels will fully enforce these policies\"); ztunnel ignores unknown proto fields";
    IngressWaypointService: "ingress-use-waypoint", "istiod 1.24",
        "istio.io/ingress-use-waypoint is read on the Service only, and only the exact value `true` counts",
        "AMB/services.go at 1.24.0; pilot/pkg/xds/endpoints/endpoint_builder.go";
    IngressWaypointFold: "ingress-use-waypoint", "istiod 1.25 - 1.29",
        "istio.io/ingress-use-waypoint: the Service's label, else the namespace's; `true` in any letter case counts",
        "ingressUseWaypoint in AMB/sidecar_interop.go at 1.25.0; istio/istio#54483";
    IngressWaypointBool: "ingress-use-waypoint", "istiod >= 1.30",
        "istio.io/ingress-use-waypoint: the Service's label, else the namespace's; parsed as a Go boolean (1, t, TRUE, True, true)",
        "ingressUseWaypointFromLabels at 1.30.0; istio/istio#59147, #59671";
    GatewayClassRefNone: "targetRefs-gatewayclass", "istiod < 1.25",
        "a targetRef to GatewayClass istio-waypoint attaches to nothing",
        "istio/istio#54780 (added in 1.25)";
    GatewayClassRef: "targetRefs-gatewayclass", "istiod >= 1.25",
        "a targetRef to GatewayClass istio-waypoint applies at every waypoint of the class (policy in the root namespace)",
        "istio/istio#54780, backport #54910";
    ServiceAccountsUnknown: "source-service-accounts", "istiod < 1.25",
        "source.serviceAccounts and notServiceAccounts are not fields of AuthorizationPolicy: the API server prunes them (kubectl's strict validation refuses them) and istiod ignores them; a source left empty is refused by istiod's validation, so the policy is not in effect",
        "manifests/charts/base/files/crd-all.gen.yaml, pkg/config/validation/validation.go (`from.source` must not be empty) and pilot/pkg/config/kube/crd/conversion.go (ApplyJSON ignores unknown fields) at 1.24.0; istio/istio#54091 (added in 1.25)";
    LayeredNone: "layered-waypoint-authorization", "istiod < 1.25",
        "ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES does not exist: waypoints ignore selector policies",
        "istio/istio#54833 (added in 1.25)";
    Layered: "layered-waypoint-authorization", "istiod >= 1.25",
        "ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES on: selector policies that select a waypoint's pods apply at that waypoint as L4 policy",
        "istio/istio#54833; pilot/pkg/features/ambient.go, buildHCMConnectTerminateChain (NewWaypointTerminationBuilder, BuildTCPRulesAsHTTPFilter) in pilot/pkg/networking/core/listener_waypoint.go at 1.25.0";
    TrustDomainsUnknown: "source-trust-domains", "istiod < 1.31",
        "source.trustDomains and notTrustDomains are not fields of AuthorizationPolicy: the API server prunes them (kubectl's strict validation refuses them) and istiod ignores them; a source left empty is refused by istiod's validation, so the policy is not in effect",
        "Istio 1.31.0 release announcement (\"New trustDomains and notTrustDomains fields on Source\"); istio/api#3665, istio/istio#59358; `from.source` must not be empty in pkg/config/validation/validation.go";
    TrustDomainsDropped: "trust-domains-at-ztunnel", "istiod >= 1.31",
        "source.trustDomains and notTrustDomains are honoured by waypoints and sidecars but dropped by the conversion for ztunnel, without a status warning",
        "pilot/pkg/security/authz/model/model.go; handleRule in AMB/authorization.go at 1.31.0-rc.0; istio/api#3665, istio/istio#59358";
    ServiceEntryVisibilityUnread: "serviceentry-visibility", "istiod < 1.31",
        "meshConfig.serviceEntryVisibility is not read: a ServiceEntry binds to a waypoint in any namespace that admits it",
        "istio/istio#60870 (added in 1.31)";
    ServiceEntryVisibility: "serviceentry-visibility", "istiod >= 1.31",
        "meshConfig.serviceEntryVisibility: a ServiceEntry whose namespace resolves to NAMESPACE visibility refuses a waypoint in another namespace (CrossNamespaceWaypointForbidden); Kubernetes Services are unaffected",
        "fetchWaypointForService in pilot/pkg/serviceregistry/ambient/waypoints.go and VisibilityFor in pilot/pkg/model/serviceentry_visibility.go at 1.31.0-rc.0; istio/istio#60870";
    WaypointCanaryIgnored: "waypoint-canary", "istiod < 1.31",
        "istio.io/use-waypoint-canary, istio.io/use-waypoint-canary-namespace and the annotation istio.io/use-waypoint-canary-weight are not read: every request goes to the primary waypoint",
        "istio/istio#60805 (added in 1.31.0-alpha.0; absent from 1.30.3)";
    WaypointCanary: "waypoint-canary", "istiod >= 1.31",
        "istio.io/use-waypoint-canary (with -namespace) and the annotation istio.io/use-waypoint-canary-weight (0-100, missing = 0), read from the Service or ServiceEntry, else its namespace when it sets no istio.io/use-waypoint of its own: requests go to the primary waypoint (100 - weight %) and the canary (weight %); a canary equal to the primary, an invalid weight, or a canary not ready, not admitting the namespace or not serving Service traffic leaves the primary alone (status says why)",
        "getUseWaypointCanary, getCanaryWeight, ResolveUseWaypointCanary, buildWeightedWaypoints in pilot/pkg/serviceregistry/ambient/waypoints.go, services.go (Services and ServiceEntries) and status.go at 1.31.0-rc.0; istio/istio#60805";
    CanaryImplicitAllowPrimary: "implicit-waypoint-allow-canary", "istiod >= 1.31, PILOT_AUTO_ALLOW_WAYPOINT_POLICY on",
        "a workload's ztunnel gets the implicit ALLOW of its own waypoint and of its Services' primary waypoints, never of a canary: the canary waypoint's identity is denied there unless another ALLOW admits it",
        "implicitWaypointPolicies in AMB/workloads.go (ServiceInfo.Waypoint.ResourceName, the primary) and buildWeightedWaypoints in AMB/waypoints.go at 1.31.0-rc.0 (pilot/pkg/serviceregistry/ambient/); istio/istio#60805";
    EnvoyRegexServiceAccounts: "envoy-regex-escaping", "istiod < 1.27.9, 1.28.0 - 1.28.5, 1.29.0 - 1.29.1",
        "waypoints and sidecars match serviceAccounts (and `when` source.serviceAccount) as the regex `spiffe://.+/ns/NS/(.+/|)sa/SA(/.+)?` with NS and SA unescaped: a metacharacter such as '.' matches more identities than written",
        "serviceAccountRegex in pilot/pkg/security/authz/model/generator.go at 1.29.0; quoted by istio/istio#59700 (1.30.0), backports #59716 (1.27.9), #59718 (1.28.6), #59720 (1.29.2); CVE-2026-39350";
    EnvoyRegexNamespacesPrincipals: "envoy-regex-escaping", "istiod < 1.28.7, 1.29.0 - 1.29.2",
        "waypoints and sidecars match namespaces as the regex `.*/ns/NS/.*` (`*` read as `.*`) and suffix principals (`*X`) as `spiffe://.*X`, with the value unescaped: a metacharacter such as '.' matches more identities than written",
        "srcNamespaceGenerator in pilot/pkg/security/authz/model/generator.go and StringMatcherWithPrefix in pilot/pkg/security/authz/matcher/string.go at 1.29.0; quoted by istio/istio#59992 (1.30.0 #60055), backports #60056 (1.28.7), #60054 (1.29.3); CVE-2026-39350";
    HostNetworkEligible: "hostnetwork-enrollment", "istio-cni 1.27 - 1.30 (istiod's release assumed)",
        "istio-cni's enablement selectors no longer exclude hostNetwork pods: one they match is considered eligible for ambient enrollment, although it has no network namespace of its own to capture (it is still no ambient workload)",
        "PodRedirectionEnabled in cni/pkg/util/podutil.go at 1.26.0 (hostNetwork excluded); CompiledEnablementSelectors.Matches in cni/pkg/util/enablement_selector.go at 1.27.0 and 1.30.0 (no hostNetwork check, istio/istio#56048); restored at 1.31.0-beta.0 by istio/istio#61168 (#61187)";
    SkewUnsupported: "istiod-ztunnel-skew", "all",
        "ztunnel 1.x is supported with istiod 1.x and 1.x+1 only: a ztunnel newer than istiod, or two or more minor releases behind it, runs unsupported (verdicts assume each follows its own release)",
        "istio.io docs/ambient/upgrade/helm (\"The ztunnel at version 1.x is generally compatible with the control plane at version 1.x+1 and 1.x\"; upgrade istiod before ztunnel)";
    RevisionUnfiltered: "revision-filter-at-ztunnel", "istiod < 1.25.4, 1.26.0 - 1.26.2",
        "the ambient index does not filter by istio.io/rev: the istiod ztunnel connects to takes AuthorizationPolicies, PeerAuthentications and ServiceEntries labelled for another revision, and ztunnel enforces them (that revision's waypoints and sidecars ignore them: their config store filters by revision)",
        "ambientindex.go New at 1.26.0 (AuthorizationPolicy, PeerAuthentication, ServiceEntry and WorkloadEntry informers with the namespace filter only); pilot/pkg/config/kube/crdclient/client.go (LabelsInRevision) at 1.24.0; inRevision added by istio/istio#56477 (1.27.0), backports #56689 (1.26.3), #56713 (1.25.4)";
    RevisionFiltered: "revision-filter-at-ztunnel", "istiod 1.25.4 - 1.25.x, >= 1.26.3",
        "the ambient index takes an AuthorizationPolicy, PeerAuthentication or ServiceEntry labelled istio.io/rev only when the label equals istiod's revision (exactly: a revision tag is no match); unlabelled ones are taken by every revision: a policy labelled for another revision is not sent to ztunnel, and such a ServiceEntry is no ambient service (no waypoint, no canary); Services, Gateways and namespaces are not filtered",
        "inRevision and the configFilter of the AuthorizationPolicy, PeerAuthentication, ServiceEntry and WorkloadEntry informers in AMB/ambientindex.go New, and LabelsInRevision in pkg/config/model.go, at 1.25.4, 1.26.3, 1.27.0 and 1.30.0 (pilot/pkg/serviceregistry/ambient/); istio/istio#56477, backports #56689 (1.26.3), #56713 (1.25.4)";
    WaypointRevision: "waypoint-revision", "all",
        "a waypoint is deployed and configured by the istiod whose revision (or revision tag) the Gateway's istio.io/rev label names, else its namespace's, else the one holding the default tag; it applies the policies that istiod takes (unlabelled, or labelled for its revision), while ztunnel's ambient index takes every waypoint Gateway whatever its label",
        "tagWatcher.IsMine in pkg/revisions/tag_watcher.go and the Gateway reconcile in pilot/pkg/config/kube/gateway/deploymentcontroller.go at 1.27.0 (gatewaycommon/deploymentcontroller.go at 1.31.0-rc.0); the Gateways informer without inRevision in AMB/ambientindex.go at 1.27.0";
    CustomProvidersOne: "custom-providers", "istiod < 1.30",
        "CUSTOM policies naming different providers where one proxy applies them (a sidecar's workload, a waypoint's Service): istiod refuses them (\"only 1 provider can be used per workload\") and turns every CUSTOM rule there into a DENY: the requests they match are denied, no provider is asked",
        "getExtAuthz in pilot/pkg/security/authz/builder/extauthz.go and buildHTTP, buildTCP, getBadCustomDenyRules in builder.go at 1.29.0";
    CustomProvidersFlagOff: "custom-providers", "istiod >= 1.30, PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS off",
        "CUSTOM policies naming different providers where one proxy applies them: still refused without the flag (off by default): every CUSTOM rule there becomes a DENY",
        "buildHTTP, buildTCP in pilot/pkg/security/authz/builder/builder.go (\"requires PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS\") and EnableMultipleCustomAuthzProviders in pilot/pkg/features/security.go at 1.30.0; istio/istio#58082";
    CustomProvidersMany: "custom-providers", "istiod >= 1.30, PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS on",
        "CUSTOM policies naming different providers where one proxy applies them: each provider has its own ext_authz filter and is asked for the requests its policies match",
        "buildHTTP, buildTCP in pilot/pkg/security/authz/builder/builder.go at 1.30.0; istio/istio#58082 (1.30 release notes: multiple CUSTOM providers per workload)";
    CustomAuditNotSent: "custom-audit-at-ztunnel", "all",
        "CUSTOM and AUDIT policies are never sent to ztunnel (ZtunnelAccepted=False)",
        "AMB/authorization.go (\"ztunnel does not support the %s action\")";
    NetworkFromPodLabel: "workload-network", "istiod 1.24",
        "a pod is on the network of its topology.istio.io/network label, else of istiod's namespace's label, else the meshNetworks network of istiod's registry (fromRegistry: CLUSTER_ID) or of a fromCidr holding its IP",
        "Controller.Network in pilot/pkg/serviceregistry/kube/controller/controller.go and its call in AMB/workloads.go (a.Network(p.Status.PodIP, p.Labels)) at 1.24.0";
    NetworkFromSystemNamespace: "workload-network", "istiod >= 1.25",
        "ambient and plain pods are on the network of istiod's namespace's topology.istio.io/network label, whatever their own label; a sidecar's endpoint keeps the 1.24 reading (its label, that namespace's, meshNetworks)",
        "SystemNamespaceNetwork in AMB/networks.go at 1.25.0; LocalSystemNamespaceNetwork and podWorkloadBuilder (networkGetter) at 1.28.0; Controller.Network for sidecar endpoints";
    MultiNetworkWaypointNone: "multi-network-waypoint", "istiod < 1.28",
        "waypoints do not route to another network: which waypoint applies L7 policy to a request between networks is not modelled",
        "istio/istio#57963 (routing to remote networks, 1.28 backport #58092)";
    MultiNetworkWaypointOff: "multi-network-waypoint", "istiod >= 1.28, AMBIENT_ENABLE_MULTI_NETWORK off",
        "ambient multi-network is off (the default): waypoints keep requests on their own network",
        "EnableAmbientMultiNetwork and EnableAmbientWaypointMultiNetwork in pilot/pkg/features/ambient.go at 1.28.0";
    MultiNetworkWaypoint: "multi-network-waypoint", "istiod >= 1.28, AMBIENT_ENABLE_MULTI_NETWORK on",
        "for a destination on another network, the source-side waypoint of the Service applies its L7 policy and marks the request (istio-l7-policies-applied); the east-west gateway then skips the remote waypoint (AMBIENT_ENABLE_MULTI_NETWORK_WAYPOINT, on by default)",
        "istio/istio#57537, #57963 (backport #58092), #58065 (backport #58107); RequestSourceFilter in pilot/pkg/xds/filters/filters.go and pilot/pkg/features/ambient.go at 1.28.0";
}

impl Row {
    pub fn info(self) -> &'static RuleRow {
        &TABLE[self as usize]
    }
}

/// What ztunnel does with a policy annotated `istio.io/dry-run: "true"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRunAtZtunnel {
    /// Sent and enforced as if it were not dry-run.
    Enforced,
    /// Not sent: no effect, nothing logged.
    NotSent,
    /// Sent with `dryRun`: matches are logged only.
    Logged,
}

/// How istiod reads `istio.io/ingress-use-waypoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngressLabelReading {
    /// The Service's label only, exact `true`.
    ServiceExactTrue,
    /// The Service's, else the namespace's; `true` ignoring case.
    FallbackTrueAnyCase,
    /// The Service's, else the namespace's; Go's `strconv.ParseBool`.
    FallbackGoBool,
}

/// Which identity values istiod writes into Envoy's RBAC regexes without escaping them
/// (CVE-2026-39350): `serviceAccounts`, and `namespaces` with suffix `principals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unescaped {
    pub service_accounts: bool,
    pub namespaces_principals: bool,
}

impl Unescaped {
    pub fn any(self) -> bool {
        self.service_accounts || self.namespaces_principals
    }
}

/// The versions running, the flags that version rules read, and the rows applied so far.
#[derive(Debug)]
pub struct Rules {
    pub istiod: Running,
    pub ztunnel: Running,
    dry_run_flag: bool,
    layered_flag: bool,
    /// The istiod revision ztunnel connects to, when known (`with_revision`).
    revision: Option<String>,
    /// PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS.
    multiple_custom_flag: bool,
    /// AMBIENT_ENABLE_MULTI_NETWORK (`network`).
    multi_network_flag: bool,
    /// Per row of `TABLE`: whether it decided something.
    used: [AtomicBool; TABLE.len()],
}

const fn v(minor: u32, patch: u32) -> Version {
    Version::new(1, minor, patch)
}

impl Rules {
    /// `dry_run_flag`: AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY; `layered_flag`:
    /// ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES.
    pub fn new(istiod: Running, ztunnel: Running, dry_run_flag: bool, layered_flag: bool) -> Self {
        Rules {
            istiod,
            ztunnel,
            dry_run_flag,
            layered_flag,
            revision: None,
            multiple_custom_flag: false,
            multi_network_flag: false,
            used: [const { AtomicBool::new(false) }; TABLE.len()],
        }
    }

    /// The istiod revision ztunnel connects to (`istio.io/rev`), when known.
    pub fn with_revision(mut self, revision: Option<String>) -> Self {
        self.revision = revision;
        self
    }

    /// PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS.
    pub fn with_multiple_custom_providers(mut self, on: bool) -> Self {
        self.multiple_custom_flag = on;
        self
    }

    /// Asked where one proxy applies CUSTOM policies naming two or more providers: whether
    /// istiod builds one ext_authz per provider (1.30+ with the flag), else it turns their
    /// rules into DENY rules; and the row.
    pub fn several_custom_providers(&self) -> (bool, Row) {
        if self.istiod.version < v(30, 0) {
            (false, self.apply(Row::CustomProvidersOne))
        } else if !self.multiple_custom_flag {
            (false, self.apply(Row::CustomProvidersFlagOff))
        } else {
            (true, self.apply(Row::CustomProvidersMany))
        }
    }

    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// Asked for a policy labelled `istio.io/rev`: `None` when ztunnel's revision is unknown
    /// or the label names it; else whether the release filters the policy out (not sent to
    /// ztunnel) and the row that says so.
    pub fn other_revision(&self, label: &str) -> Option<(bool, Row)> {
        let rev = self.revision.as_deref()?;
        if rev.is_empty() || rev == label {
            return None;
        }
        Some(if self.filters_revisions() {
            (true, self.apply(Row::RevisionFiltered))
        } else {
            (false, self.apply(Row::RevisionUnfiltered))
        })
    }

    /// `other_revision` for an object's `istio.io/rev` label, when it has one: (the label,
    /// ztunnel's revision, whether the release filters the object out, the row).
    pub fn labelled_for_other(&self, label: Option<&str>) -> Option<(String, String, bool, Row)> {
        let l = label?;
        let (filtered, row) = self.other_revision(l)?;
        Some((l.to_string(), self.revision()?.to_string(), filtered, row))
    }

    fn apply(&self, row: Row) -> Row {
        let used = &self.used[row as usize];
        // Written once: a row asked on every path keeps its cache line shared.
        if !used.load(Ordering::Relaxed) {
            used.store(true, Ordering::Relaxed);
        }
        row
    }

    /// The rows that decided something so far, in table order.
    pub fn applied(&self) -> Vec<Row> {
        (Row::ALL.iter().copied())
            .filter(|&r| self.used[r as usize].load(Ordering::Relaxed))
            .collect()
    }

    /// `on Istio 1.25.1` / `with istiod 1.29.0 and ztunnel 1.28.3`: the versions a row
    /// depends on, for a finding's message.
    pub fn versions_phrase(&self, row: Row) -> String {
        let zt = matches!(
            row,
            Row::DryRunLogged | Row::DryRunSkew | Row::SkewUnsupported
        );
        if zt && self.ztunnel.version != self.istiod.version {
            format!(
                "with istiod {} and ztunnel {}",
                self.istiod.shown(),
                self.ztunnel.shown()
            )
        } else {
            format!("on Istio {}", self.istiod.shown())
        }
    }

    /// Asked only for a policy whose dry-run annotation parses true.
    pub fn dry_run_at_ztunnel(&self) -> (DryRunAtZtunnel, Row) {
        let (out, row) = if self.istiod.version < v(25, 2) {
            (DryRunAtZtunnel::Enforced, Row::DryRunEnforced)
        } else if self.istiod.version < v(29, 0) {
            (DryRunAtZtunnel::NotSent, Row::DryRunNotSent)
        } else if !self.dry_run_flag {
            (DryRunAtZtunnel::NotSent, Row::DryRunFlagOff)
        } else if self.ztunnel.version >= v(29, 0) {
            (DryRunAtZtunnel::Logged, Row::DryRunLogged)
        } else {
            (DryRunAtZtunnel::Enforced, Row::DryRunSkew)
        };
        (out, self.apply(row))
    }

    /// Asked only where a Service or its namespace carries the label.
    pub fn ingress_label_reading(&self) -> IngressLabelReading {
        self.ingress_label_rule().0
    }

    /// `ingress_label_reading` with the row that decides it (recorded).
    pub fn ingress_label_rule(&self) -> (IngressLabelReading, Row) {
        let (out, row) = if self.istiod.version < v(25, 0) {
            (
                IngressLabelReading::ServiceExactTrue,
                Row::IngressWaypointService,
            )
        } else if self.istiod.version < v(30, 0) {
            (
                IngressLabelReading::FallbackTrueAnyCase,
                Row::IngressWaypointFold,
            )
        } else {
            (
                IngressLabelReading::FallbackGoBool,
                Row::IngressWaypointBool,
            )
        };
        (out, self.apply(row))
    }

    /// Asked only for a targetRef to GatewayClass `istio-waypoint`: whether it attaches.
    pub fn gateway_class_ref(&self) -> (bool, Row) {
        if self.istiod.version < v(25, 0) {
            (false, self.apply(Row::GatewayClassRefNone))
        } else {
            (true, self.apply(Row::GatewayClassRef))
        }
    }

    /// Whether selector policies that select a waypoint's pods apply at that waypoint.
    /// Recorded only when it changes something: the flag is on.
    pub fn layered_waypoint_policies(&self) -> bool {
        self.layered_waypoint_row().is_some_and(|(on, _)| on)
    }

    /// With ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES on: whether the release honours it
    /// (1.25+), and the row that says so (recorded); `None` with the flag off.
    pub fn layered_waypoint_row(&self) -> Option<(bool, Row)> {
        if !self.layered_flag {
            return None;
        }
        Some(if self.istiod.version < v(25, 0) {
            (false, self.apply(Row::LayeredNone))
        } else {
            (true, self.apply(Row::Layered))
        })
    }

    /// Asked for a policy with `trustDomains` that reaches ztunnel: whether the release knows
    /// the field (1.31+), whose conversion then drops it silently. Before, the plugin keeps
    /// its general reading of fields ztunnel ignores (AMB016).
    pub fn trust_domains_dropped(&self) -> Option<Row> {
        (self.istiod.version >= v(31, 0)).then(|| self.apply(Row::TrustDomainsDropped))
    }

    /// Which identity values the Envoy-based proxies match through a regex that istiod leaves
    /// unescaped on the release that runs (nothing is recorded: `envoy_regex_rows` records
    /// the rows once a value was read that way).
    pub fn envoy_unescaped(&self) -> Unescaped {
        let i = self.istiod.version;
        let minor = |m: u32| i >= v(m, 0) && i < v(m + 1, 0);
        Unescaped {
            service_accounts: i < v(27, 9)
                || (minor(28) && i < v(28, 6))
                || (minor(29) && i < v(29, 2)),
            namespaces_principals: i < v(28, 7) || (minor(29) && i < v(29, 3)),
        }
    }

    /// The rows under which values were matched as unescaped regexes: `service_accounts`,
    /// `namespaces_principals` say which kinds of value were.
    pub fn envoy_regex_rows(&self, read: Unescaped) -> Vec<Row> {
        let u = self.envoy_unescaped();
        let mut rows = Vec::new();
        if read.service_accounts && u.service_accounts {
            rows.push(self.apply(Row::EnvoyRegexServiceAccounts));
        }
        if read.namespaces_principals && u.namespaces_principals {
            rows.push(self.apply(Row::EnvoyRegexNamespacesPrincipals));
        }
        rows
    }

    /// Asked for a policy that uses `source.serviceAccounts` or `notServiceAccounts`: the
    /// row that says istiod does not know them (before 1.25), or `None` when it does.
    pub fn service_accounts_unknown(&self) -> Option<Row> {
        (self.istiod.version < v(25, 0)).then(|| self.apply(Row::ServiceAccountsUnknown))
    }

    /// Asked for a policy with `trustDomains`: the row saying the release does not know the
    /// field (before 1.31), recorded; `None` from 1.31.
    pub fn trust_domains_unknown(&self) -> Option<Row> {
        (self.istiod.version < v(31, 0)).then(|| self.apply(Row::TrustDomainsUnknown))
    }

    /// Asked for a ServiceEntry bound to a waypoint in another namespace while the mesh config
    /// sets `serviceEntryVisibility`: whether istiod reads it (1.31+).
    pub fn service_entry_visibility(&self) -> (bool, Row) {
        if self.istiod.version < v(31, 0) {
            (false, self.apply(Row::ServiceEntryVisibilityUnread))
        } else {
            (true, self.apply(Row::ServiceEntryVisibility))
        }
    }

    /// Asked for a Service or ServiceEntry bound to a waypoint that declares a canary: whether
    /// istiod reads the canary labels (1.31+).
    pub fn waypoint_canary(&self) -> (bool, Row) {
        if self.istiod.version < v(31, 0) {
            (false, self.apply(Row::WaypointCanaryIgnored))
        } else {
            (true, self.apply(Row::WaypointCanary))
        }
    }

    /// Asked where a ztunnel holding the implicit ALLOW of a Service's primary waypoint denies
    /// the Service's canary waypoint (the canary exists: 1.31+).
    pub fn implicit_allow_primary_only(&self) -> Row {
        self.apply(Row::CanaryImplicitAllowPrimary)
    }

    /// Asked where a waypoint's revision decides something (another revision than ztunnel's,
    /// or one no istiod of the input runs).
    pub fn waypoint_revision(&self) -> Row {
        self.apply(Row::WaypointRevision)
    }

    /// Whether the release filters configuration labelled for another revision out of the
    /// ambient index (1.25.4 - 1.25.x, 1.26.3+; not recorded).
    pub fn filters_revisions(&self) -> bool {
        let i = self.istiod.version;
        i >= v(26, 3) || (i >= v(25, 4) && i < v(26, 0))
    }

    /// When both versions are known and ztunnel is newer than istiod (by minor release) or two
    /// or more minor releases behind it: the row, and which way.
    pub fn unsupported_skew(&self) -> Option<(Row, &'static str)> {
        if !(self.istiod.known && self.ztunnel.known) {
            return None;
        }
        let (i, z) = (self.istiod.version, self.ztunnel.version);
        let (im, zm) = ((i.major, i.minor), (z.major, z.minor));
        let why = if zm > im {
            "ztunnel is newer than istiod"
        } else if i.major != z.major || i.minor > z.minor + 1 {
            "ztunnel is more than one minor release behind istiod"
        } else {
            return None;
        };
        Some((self.apply(Row::SkewUnsupported), why))
    }

    /// Asked for a hostNetwork pod that istio-cni's default enablement selectors match:
    /// whether istio-cni (assumed at istiod's release) considers it eligible (1.27 - 1.30).
    pub fn host_network_eligible(&self) -> Option<Row> {
        let i = self.istiod.version;
        (i >= v(27, 0) && i < v(31, 0)).then(|| self.apply(Row::HostNetworkEligible))
    }

    /// Asked for a CUSTOM or AUDIT policy that would otherwise reach ztunnel.
    pub fn custom_audit_not_sent(&self) -> Row {
        self.apply(Row::CustomAuditNotSent)
    }
}

#[cfg(test)]
mod tests;
