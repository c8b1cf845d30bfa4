//! Findings: stable `AMBnnn` codes with severity and resolution. docs/findings.md documents
//! each code and the README indexes them; `tests/cli.rs` checks that both do.

use serde::Serialize;

mod group;
mod summary;

pub use group::{group, Group, Key};
pub use summary::{by_code, by_namespace, CodeSummary, NamespaceCount};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
    /// Whether this severity is at or above `threshold` (`--fail-on`).
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

pub struct Code {
    pub code: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub resolution: &'static str,
}

macro_rules! codes {
    ($($name:ident = $code:literal, $sev:ident, $title:literal, $res:literal;)*) => {
        $(pub const $name: Code = Code {
            code: $code, severity: Severity::$sev, title: $title, resolution: $res,
        };)*
        pub const CATALOGUE: &[&Code] = &[$(&$name),*];
    };
}

codes! {
    L7_ALLOW_DENY_ALL = "AMB001", Error,
        "ALLOW policy with only HTTP rules makes ztunnel deny all traffic",
        "Attach the policy to a waypoint with targetRefs (kind Service or Gateway) and bind the destination with istio.io/use-waypoint, or remove the HTTP conditions.";
    L7_ALLOW_RULES_DROPPED = "AMB002", Warning,
        "ALLOW rules with HTTP attributes are dropped at ztunnel",
        "Move the HTTP rules to a policy attached to a waypoint with targetRefs; keep only L4 rules in selector or namespace policies.";
    L7_DENY_NO_EFFECT = "AMB003", Error,
        "DENY policy has no effect at ztunnel",
        "Enforce the HTTP conditions at a waypoint: attach the policy with targetRefs and bind the destination with istio.io/use-waypoint.";
    L7_DENY_BROADER = "AMB004", Warning,
        "DENY policy is enforced at ztunnel without its HTTP conditions (broader)",
        "Attach the policy to a waypoint with targetRefs so that the HTTP conditions are evaluated, or split it into an L4 DENY and an L7 DENY at the waypoint.";
    TARGET_NOT_BOUND = "AMB005", Error,
        "targetRefs policy is not enforced by any proxy",
        "Bind the target to a ready waypoint (istio.io/use-waypoint on the Service or its namespace) or fix the targetRef (group, kind, name).";
    WAYPOINT_IDENTITY = "AMB006", Warning,
        "source conditions at ztunnel see the waypoint's identity, not the client's",
        "Attach the policy to the waypoint with targetRefs so that it sees the client identity, and at ztunnel allow the waypoint's service account.";
    OUT_OF_MESH = "AMB007", Warning,
        "policy selects workloads outside the mesh: nothing enforces it there",
        "Enrol the workloads (label the namespace or pod istio.io/dataplane-mode=ambient) or inject a sidecar.";
    BINDING_BROKEN = "AMB008", Error,
        "istio.io/use-waypoint binds nothing (no fallback to the namespace waypoint)",
        "Point the label at a ready waypoint that admits this namespace and serves this traffic type (istio.io/waypoint-for), or remove the label.";
    WAYPOINT_BYPASS = "AMB009", Warning,
        "waypoint policies can be bypassed",
        "Add an ALLOW policy at the destination ztunnel that admits only the waypoint's identity (or enable PILOT_AUTO_ALLOW_WAYPOINT_POLICY), and set istio.io/ingress-use-waypoint=true for ingress traffic.";
    PLAINTEXT_ACCEPTED = "AMB010", Warning,
        "PeerAuthentication lets plaintext in (PERMISSIVE or DISABLE)",
        "Use mtls.mode STRICT once every client is in the mesh; limit exceptions to the ports that need them.";
    MESH_WIDE = "AMB011", Info,
        "mesh-wide policy (root namespace): applies to every namespace",
        "Check the blast radius before changing it; prefer namespace or workload scope for exceptions.";
    BROAD_ALLOW = "AMB012", Warning,
        "ALLOW policy allows all traffic",
        "Constrain the rule with from.source principals, namespaces or serviceAccounts.";
    NOT_CONSUMED = "AMB013", Warning,
        "policy is not consumed by any proxy for ambient workloads",
        "In ambient mode attach RequestAuthentication, WasmPlugin and EnvoyFilter to a waypoint with targetRefs; ztunnel never consumes them.";
    NOT_SENT = "AMB014", Warning,
        "policy is not sent to ztunnel (AUDIT, CUSTOM or dry-run)",
        "Use ALLOW or DENY for ztunnel; for AUDIT, CUSTOM or dry-run attach the policy to a waypoint with targetRefs, or enable AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY for dry-run.";
    STATUS_DISAGREES = "AMB015", Warning,
        "istiod's status disagrees with the actual enforcement",
        "Trust the enforcement shown here; fix the reference so that status and behaviour agree.";
    FIELD_IGNORED = "AMB016", Warning,
        "attribute silently ignored by ztunnel",
        "Use numeric ports and valid IPs or CIDRs, or enforce the condition at a waypoint (targetRefs).";
    SELECTS_NOTHING = "AMB017", Info,
        "policy selects no workload",
        "Check the selector labels and the namespace.";
    SELECTOR_ON_GATEWAY = "AMB018", Warning,
        "selector policy selects waypoint pods: waypoints ignore it",
        "Use targetRefs with kind Gateway to attach policy to a waypoint.";
    PEERAUTH_QUIRK = "AMB019", Warning,
        "Istio's port-level mTLS result differs from the PeerAuthentication",
        "Set the workload mtls.mode explicitly (STRICT or PERMISSIVE) instead of relying on inheritance, and re-check the port-level settings.";
    ROUTE_IGNORED = "AMB020", Warning,
        "route on a Service that no waypoint serves: ambient clients ignore it",
        "Bind the parent Service to a waypoint with istio.io/use-waypoint; only sidecar clients apply mesh routes without one.";
    EMPTY_SELECTOR = "AMB021", Warning,
        "`selector: {}` attaches to no workload at ztunnel",
        "Remove the selector for a namespace-wide policy, or give it matchLabels.";
    SIDECAR_WINS = "AMB022", Info,
        "sidecar injection takes precedence over ambient for these pods",
        "Remove the injection label (istio-injection / istio.io/rev) to move the pods to ambient, or remove the ambient label.";
    ROOT_SELECTOR_PEERAUTH = "AMB023", Warning,
        "root-namespace PeerAuthentication with a selector is ignored",
        "Move the policy to the workloads' namespace, or remove the selector to make it mesh-wide.";
    INVALID_POLICY = "AMB024", Error,
        "policy is invalid and would be rejected or ignored",
        "Fix the field named in the message.";
    NO_PEERAUTH = "AMB025", Info,
        "no PeerAuthentication applies: ambient workloads accept plaintext",
        "Apply a STRICT PeerAuthentication in the root namespace (mesh) or this namespace once all clients are in the mesh.";
    NAMESPACE_MISSING = "AMB026", Warning,
        "namespace is not in the input: its labels are unknown",
        "Add the Namespace manifest to the input, or give its labels with --namespace-labels NS=KEY=VALUE,...";
    WAYPOINT_NOT_ADMITTED = "AMB027", Error,
        "ztunnel denies every client that comes through the waypoint",
        "Let the waypoint's identity through at ztunnel (in an ALLOW, a rule with from.source.principals of the waypoint's service account; in a DENY, exclude it with notPrincipals), and check the clients with a targetRefs policy at the waypoint.";
    BYPASS_GUARD = "AMB028", Info,
        "policy guards the waypoint against bypass",
        "Nothing to do for clients that use the waypoint. Those that do not (sidecars, ingress gateways without istio.io/ingress-use-waypoint, pod-IP callers) are rejected: while they migrate, add their principals to the exceptions.";
    UNKNOWN_PRINCIPAL = "AMB029", Warning,
        "principal or service account matches no workload in the input",
        "Fix the name (the message suggests the closest identity in the input), or add the workload that runs under it to the input.";
    UNKNOWN_NAMESPACE = "AMB030", Warning,
        "source namespace is not in the input",
        "Fix the namespace name in from.source.namespaces or notNamespaces, or add the namespace to the input.";
    SERVICE_PORT_IN_POLICY = "AMB031", Error,
        "policy port is a Service port: ztunnel and sidecars match the pod's target port",
        "Write the Service's targetPort (the container port) in to.operation.ports / notPorts: ztunnel and sidecars see the port the pod listens on, not the Service port.";
    FOREIGN_TRUST_DOMAIN = "AMB032", Error,
        "cluster.local principal never matches at ztunnel when the mesh has another trust domain",
        "Write the mesh's trust domain in the principal, or `*/ns/NS/sa/SA` to match any trust domain; waypoints and sidecars read cluster.local as the mesh's own, ztunnel does not.";
    // AMB033-AMB039: traps from users' reports.
    SPIFFE_PREFIX = "AMB033", Error,
        "principal written with spiffe:// never matches",
        "Write principals as TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE_ACCOUNT, without spiffe://.";
    MULTI_NETWORK = "AMB034", Warning,
        "namespace on a multi-network mesh: requests from the other networks to its workloads are not analysed",
        "Run explain and check against each other network's cluster too (--context), keep the same policies on every network, and from Istio 1.28 set AMBIENT_ENABLE_MULTI_NETWORK=true on istiod so that the waypoint on the client's network applies the Service's L7 policy.";
    // AMB040-AMB049: findings that exist because of the Istio version running.
    DRY_RUN_ENFORCED = "AMB040", Error,
        "dry-run policy is enforced by ztunnel on the Istio version running",
        "Upgrade istiod to 1.25.2+ (dry-run policies are then not sent to ztunnel) or to 1.29+ with ztunnel 1.29+ and AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY (logged only), or delete the policy until it should be live.";
    TRUST_DOMAINS_DROPPED = "AMB041", Error,
        "trustDomains are dropped at ztunnel: the rule matches no one or every trust domain",
        "Enforce trust domains at a waypoint (targetRefs), or at ztunnel write them into principals (TRUST_DOMAIN/ns/NS/sa/SA) instead of trustDomains.";
    REGEX_UNESCAPED = "AMB042", Warning,
        "waypoints and sidecars match this value as an unescaped regex on the Istio release running",
        "Upgrade istiod to 1.28.7+, 1.29.3+ or 1.30+ (1.27.9 escapes serviceAccounts only), or write values without regex metacharacters (list exact service accounts and namespaces).";
    SERVICE_ACCOUNTS_UNKNOWN = "AMB043", Error,
        "a source field the Istio release does not know (serviceAccounts before 1.25, trustDomains before 1.31): pruned, or the policy refused",
        "Upgrade istiod and its CRDs to the release that added the field (1.25 for serviceAccounts, 1.31 for trustDomains), or write the service accounts as principals (TRUST_DOMAIN/ns/NS/sa/SA) and the trust domains as principals' prefixes (TD/*).";
    SKEW_UNSUPPORTED = "AMB044", Warning,
        "istiod and ztunnel versions are outside Istio's supported skew",
        "Upgrade istiod before ztunnel, one minor release at a time: ztunnel at istiod's minor release or one behind.";
    HOST_NETWORK_ELIGIBLE = "AMB045", Warning,
        "istio-cni 1.27 to 1.30 considers this hostNetwork pod eligible for ambient enrollment",
        "Label the pod istio.io/dataplane-mode: none (istio-cni's selectors then skip it), or upgrade istio-cni to 1.31+.";
    CANARY_PARTIAL_POLICY = "AMB046", Warning,
        "policy applies at only one of a Service's weighted waypoints: to a share of its requests",
        "Attach the policy at both waypoints: target the Service (kind Service, which both apply), or target both Gateways, each from its own namespace.";
    OTHER_REVISION = "AMB047", Warning,
        "policy or ServiceEntry labelled for another istiod revision than the one ztunnel connects to",
        "Label the object istio.io/rev with the revision ztunnel's istiod runs (the exact revision name, not a tag), or remove the label so that every revision takes it.";
    CUSTOM_PROVIDERS = "AMB048", Error,
        "CUSTOM policies name several providers at one proxy: istiod denies the requests they match",
        "Use one CUSTOM provider per workload and per waypoint Service, or on Istio 1.30+ set PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS=true on istiod.";
    CANARY_DENIED = "AMB049", Warning,
        "destination ztunnel admits the primary waypoint but denies the canary waypoint's share of the requests",
        "Let the canary waypoint's identity through at the destination ztunnel where the primary's is (the principals of the ALLOW that admits the primary; with PILOT_AUTO_ALLOW_WAYPOINT_POLICY's implicit ALLOW, which names the primary only, a selector or namespace ALLOW of it), or set istio.io/use-waypoint-canary-weight to 0 until it is admitted. The fix line names the identity and the policies.";
    // AMB050-AMB059: Kubernetes NetworkPolicy under ambient.
    NETPOL_NO_HBONE_INGRESS = "AMB050", Error,
        "NetworkPolicy admits the application port but not 15008 (HBONE) into an ambient pod",
        "Add port 15008 (TCP) to the ports of the ingress rule that admits the clients.";
    NETPOL_WAYPOINT_NOT_ADMITTED = "AMB051", Error,
        "NetworkPolicy admits the clients but not the waypoint's pods they come through",
        "Add the waypoint's pods (podSelector gateway.networking.k8s.io/gateway-name: WAYPOINT) to the from of the ingress rule.";
    NETPOL_NO_HBONE_EGRESS = "AMB052", Error,
        "NetworkPolicy egress of an ambient client omits 15008 (HBONE)",
        "Add port 15008 (TCP) to the ports of the egress rule that admits the destinations.";
    NETPOL_PROBES_BLOCKED = "AMB053", Warning,
        "NetworkPolicy blocks kubelet's probes of an ambient pod (169.254.7.127)",
        "Add an ingress rule from ipBlock 169.254.7.127/32.";
    NETPOL_MESH_CUT = "AMB054", Error,
        "NetworkPolicy cuts the mesh's own pods off (waypoint or ztunnel)",
        "Admit port 15008 into waypoint pods and port 15012 from ztunnel to istiod, or leave those pods out of the policy's podSelector.";
    // AMB055: the istiod revision of a waypoint (AMB040-AMB049, the version findings, are
    // taken).
    WAYPOINT_REVISION = "AMB055", Warning,
        "waypoint is deployed and configured by another istiod revision than ztunnel's, or by none in the input",
        "Label the waypoint's Gateway istio.io/rev with the revision ztunnel's istiod runs (or the revision meant to program it, with an istiod of that revision running), and label the policies that target it for that revision or not at all.";
    // AMB060-AMB069: `verify`, the model against what ztunnel really holds.
    DP_POLICY_MISSING = "AMB060", Error,
        "ztunnel lacks a policy the model says istiod sends it",
        "Check the policy's status (ZtunnelAccepted) and istiod's logs (for istio_converted_static_strict and converted_peer_authentication_*, the PeerAuthentications); if the versions running differ from those assumed, give --istio-version and --ztunnel-version.";
    DP_POLICY_UNEXPECTED = "AMB061", Error,
        "ztunnel holds a policy the model does not expect",
        "Delete the policy from the cluster if it is stale, or add it to the manifests; if istiod's flags or version differ from those assumed, give --feature or --istio-version.";
    DP_POLICY_DIFFERS = "AMB062", Error,
        "ztunnel holds a policy whose scope, action, dryRun or rules differ from the model's conversion",
        "Compare the policy in the cluster with the manifests (kubectl get authorizationpolicy -o yaml) and give the running versions with --istio-version and --ztunnel-version.";
    DP_CAPTURE = "AMB063", Error,
        "A workload's capture by ztunnel differs from the model",
        "Compare the istio.io/dataplane-mode labels of the pod and its namespace in the cluster with the input's, and check istio-cni's node agent on the pod's node.";
    DP_WAYPOINT = "AMB064", Error,
        "A workload's or Service's waypoint in ztunnel differs from the model",
        "Check istio.io/use-waypoint on the object and its namespace, and that the waypoint is Programmed with an address.";
    DP_WORKLOAD_POLICIES = "AMB065", Error,
        "The selector policies attached to a workload in ztunnel differ from the model",
        "Compare the pod's labels in the cluster with the input's (kubectl get pod --show-labels).";
    DP_IDENTITY = "AMB066", Error,
        "A workload's identity in ztunnel differs from the model",
        "Check the pod's serviceAccountName and the mesh's trustDomain (meshConfig).";
    DP_WORKLOAD_MISSING = "AMB067", Warning,
        "A workload of the input is not in ztunnel, or is there with another address",
        "Check that the workload is running (kubectl get pods); a controller scaled to zero has no workload.";
    DP_SERVICE = "AMB068", Warning,
        "A Service is missing from ztunnel, has other addresses, or selects other workloads",
        "Compare the Service in the cluster with the input (kubectl get service -o yaml).";
    DP_NODE_UNREAD = "AMB069", Warning,
        "A ztunnel could not be read: the comparison leaves its node out",
        "Check that the ztunnel pod is ready and its admin port (--proxy-admin-port) answers, then run verify again.";
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub severity: Severity,
    pub code: String,
    pub resource: String,
    pub message: String,
    pub resolution: String,
}

impl Finding {
    pub fn new(code: &Code, resource: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            severity: code.severity,
            code: code.code.to_string(),
            resource: resource.into(),
            message: message.into(),
            resolution: code.resolution.to_string(),
        }
    }
    pub fn with_severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    /// A resolution fitted to this finding (e.g. to the policy's action).
    pub fn with_resolution(mut self, r: impl Into<String>) -> Self {
        self.resolution = r.into();
        self
    }
}

/// A pattern over findings, `CODE` or `CODE=Kind/ns/name` with `*` wildcards in either part:
/// what `--suppress` silences and what `--only` keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    code: String,
    resource: String,
}

/// `--suppress`'s patterns, by their older name.
pub type Suppression = Pattern;

impl Pattern {
    /// A `--suppress` pattern.
    pub fn parse(s: &str) -> Result<Self, String> {
        Pattern::parse_for("--suppress", s)
    }

    /// A pattern given to `flag`, named in the error: the code part must match a code of
    /// the catalogue (a typo would otherwise silence, or keep, nothing without a word).
    pub fn parse_for(flag: &str, s: &str) -> Result<Self, String> {
        let (code, resource) = s.split_once('=').unwrap_or((s, "*"));
        let code = code.trim();
        let known = CATALOGUE.iter().any(|c| glob(code, c.code));
        if code.is_empty() || !known {
            return Err(format!(
                "invalid {flag} {s:?}: {code:?} matches no finding code (AMB001..{})",
                CATALOGUE.last().map_or("", |c| c.code)
            ));
        }
        Ok(Pattern {
            code: code.into(),
            resource: resource.trim().into(),
        })
    }

    pub fn matches(&self, f: &Finding) -> bool {
        glob(&self.code, &f.code) && glob(&self.resource, &f.resource)
    }
}

/// What `--only` and `--suppress` leave of the findings: those matching an `--only` pattern
/// (every finding when none is given) and no `--suppress` pattern.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub only: Vec<Pattern>,
    pub suppress: Vec<Pattern>,
}

/// How many findings a `Filter` took out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filtered {
    /// Outside every `--only` pattern.
    pub not_only: usize,
    /// Kept by `--only` but silenced by `--suppress`.
    pub suppressed: usize,
}

impl Filter {
    pub fn in_only(&self, f: &Finding) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p.matches(f))
    }
    pub fn suppressed(&self, f: &Finding) -> bool {
        self.suppress.iter().any(|p| p.matches(f))
    }
    pub fn keeps(&self, f: &Finding) -> bool {
        self.in_only(f) && !self.suppressed(f)
    }
    /// Keeps what the filter keeps; says how many went, and why.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> Filtered {
        let mut out = Filtered::default();
        findings.retain(|f| {
            if !self.in_only(f) {
                out.not_only += 1;
                false
            } else if self.suppressed(f) {
                out.suppressed += 1;
                false
            } else {
                true
            }
        });
        out
    }
}

/// `*` matches any run of characters (including `/`).
fn glob(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_ascending() {
        // Ranges are reserved per feature, so there may be gaps; never a reuse.
        assert_eq!(CATALOGUE[0].code, "AMB001");
        for w in CATALOGUE.windows(2) {
            assert!(w[0].code < w[1].code, "{} then {}", w[0].code, w[1].code);
        }
        for c in CATALOGUE {
            assert!(c.code.len() == 6 && c.code[3..].bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn suppression_globs() {
        let f = Finding::new(
            &L7_ALLOW_DENY_ALL,
            "AuthorizationPolicy/default/viewer",
            "m",
        );
        let cases = [
            ("AMB001=AuthorizationPolicy/default/viewer", true),
            ("AMB001=AuthorizationPolicy/*/viewer", true),
            ("AMB001=*/default/*", true),
            ("AMB001", true),
            ("AMB00*=*", true),
            ("AMB002=*", false),
            ("AMB001=AuthorizationPolicy/other/*", false),
        ];
        for (s, want) in cases {
            assert_eq!(Suppression::parse(s).unwrap().matches(&f), want, "{s}");
        }
        assert!(Suppression::parse("XYZ=foo").is_err());
        assert!(Suppression::parse("=foo").is_err());
    }
}
