//! The model's prediction against what each ztunnel holds: every disagreement named with
//! both sides and its most likely cause. One disagreement per thing that differs, so that one
//! change in the cluster shows as one line: a workload's attached-policy list is compared
//! only over the policies both sides hold, so a missing policy is not also a list difference.

use super::expect::{ExpPolicy, Expected, CONVERTED_PA, STATIC_STRICT};
use super::{address_ip, show, Dump, Form, Policy, Service, Workload};
use crate::findings::{self, Code};
use crate::mesh::Dataplane;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub kind: Kind,
    pub code: &'static str,
    /// `AuthorizationPolicy/ns/name`, `Pod/ns/name`, `Service/ns/name`, or the ztunnel entry.
    pub object: String,
    pub model: String,
    pub dataplane: String,
    pub cause: String,
    /// The ztunnels (nodes, or dump files) that hold this.
    pub nodes: Vec<String>,
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
    pub disagreements: Vec<Disagreement>,
}

/// What makes two nodes' disagreements one: (kind, object, model, dataplane).
type Same = (Kind, String, String, String);

/// Compares `dumps` (one per node) with the prediction, in namespace `ns` (all when `None`).
pub fn compare(exp: &Expected, dumps: &[Dump], ns: Option<&str>, root: &str) -> Verification {
    let mut found: BTreeMap<Same, (String, BTreeSet<String>)> = BTreeMap::new();
    let mut compared = BTreeSet::new();
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
            workloads(exp, ws, services, held.as_ref(), &mut out, &mut compared);
        }
        if let Some(ss) = &d.services {
            services(exp, ss, &mut out, &mut compared);
        }
        for x in out {
            let e = found
                .entry((x.kind, x.object, x.model, x.dataplane))
                .or_insert_with(|| (x.cause, BTreeSet::new()));
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
    let disagreements: Vec<Disagreement> = found
        .into_iter()
        .map(
            |((kind, object, model, dataplane), (cause, nodes))| Disagreement {
                kind,
                code: kind.code().code,
                object,
                model,
                dataplane,
                cause,
                nodes: nodes.into_iter().collect(),
            },
        )
        .collect();
    let differing: BTreeSet<&str> = disagreements.iter().map(|d| d.object.as_str()).collect();
    let agreed = compared
        .iter()
        .filter(|o| !differing.contains(o.as_str()))
        .count();
    Verification {
        nodes,
        agreed,
        disagreements,
    }
}

fn push(
    out: &mut Vec<Disagreement>,
    kind: Kind,
    object: &str,
    model: String,
    dataplane: String,
    cause: String,
) {
    out.push(Disagreement {
        kind,
        code: kind.code().code,
        object: object.into(),
        model,
        dataplane,
        cause,
        nodes: Vec::new(),
    });
}

fn policy_object(key: &str, e: Option<&ExpPolicy>) -> String {
    match e {
        Some(e) if e.origin.starts_with("AuthorizationPolicy/") => e.origin.clone(),
        _ => format!("ztunnel policy {key}"),
    }
}

fn policies(
    exp: &Expected,
    held: &[&Policy],
    out: &mut Vec<Disagreement>,
    compared: &mut BTreeSet<String>,
) {
    let by_key: HashMap<String, &Policy> = held.iter().map(|p| (p.key(), *p)).collect();
    for (key, e) in &exp.policies {
        let object = policy_object(key, Some(e));
        compared.insert(object.clone());
        let Some(p) = by_key.get(key) else {
            push(
                out,
                Kind::PolicyMissing,
                &object,
                format!(
                    "sent to ztunnel as {} {:?}{}",
                    e.action.as_str(),
                    e.scope,
                    dry(e.dry_run)
                ),
                "not held".into(),
                missing_cause(e),
            );
            continue;
        };
        if p.scope != e.scope || p.action != e.action {
            push(
                out,
                Kind::PolicyDiffers,
                &object,
                format!("{} {:?}", e.action.as_str(), e.scope),
                format!("{} {:?}", p.action.as_str(), p.scope),
                "istiod converted it differently: the policy changed (selector or action) after istiod's last push, or a revision or version other than the one assumed processes it".into(),
            );
        }
        if let Some(dr) = p.dry_run {
            if dr != e.dry_run {
                let rule = e
                    .version_rule
                    .as_deref()
                    .map(|r| format!(" (the model applied: {r})"))
                    .unwrap_or_default();
                push(
                    out,
                    Kind::PolicyDiffers,
                    &object,
                    format!("dryRun: {}", e.dry_run),
                    format!("dryRun: {dr}"),
                    format!("the istio.io/dry-run annotation, AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY or the versions running differ from the input's{rule}: state them with --istio-version, --ztunnel-version and --feature"),
                );
            }
        }
        let (m, h) = (show::canonical(&e.rules), show::canonical(&p.rules));
        if m != h || !p.unknown_fields.is_empty() {
            let unknown = if p.unknown_fields.is_empty() {
                String::new()
            } else {
                format!(
                    "; match fields this plugin does not know: {}",
                    p.unknown_fields.join(", ")
                )
            };
            push(
                out,
                Kind::PolicyDiffers,
                &object,
                format!("rules {}", show::rules(&e.rules)),
                format!("rules {}{unknown}", show::rules(&p.rules)),
                if unknown.is_empty() {
                    "the conversion differs: the policy changed after istiod's last push, or an istiod of another version converts it (state it with --istio-version); a model error if neither".into()
                } else {
                    "a newer ztunnel holds match kinds the model does not know: upgrade the plugin"
                        .into()
                },
            );
        }
    }
    for p in held {
        let key = p.key();
        if exp.policies.contains_key(&key) {
            continue;
        }
        if let Some(pa) = p.name.strip_prefix(CONVERTED_PA) {
            if exp
                .unplaced_port_level
                .contains(&format!("{}/{pa}", p.namespace))
            {
                continue;
            }
        }
        let object = match exp.not_sent.get(&key) {
            Some(_) => format!("AuthorizationPolicy/{key}"),
            None => format!("ztunnel policy {key}"),
        };
        let cause = if let Some(why) = exp.not_sent.get(&key) {
            format!("the model says istiod does not send it ({why}); the istiod running does: its version or flags differ from those assumed (--istio-version, --feature)")
        } else if p.name == STATIC_STRICT {
            "a PeerAuthentication exists in the cluster that the input lacks".into()
        } else if p.name.starts_with("istio_allow_waypoint_") {
            "istiod runs with PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true, which the input does not say (--feature PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true)".into()
        } else {
            "the cluster has a policy the input lacks: deleted from the manifests but not from the cluster, or not exported".into()
        };
        compared.insert(object.clone());
        push(
            out,
            Kind::PolicyUnexpected,
            &object,
            "not in the input, or not sent to ztunnel".into(),
            format!(
                "held as {} {:?}{}",
                p.action.as_str(),
                p.scope,
                dry(p.dry_run.unwrap_or(false))
            ),
            cause,
        );
    }
}

fn dry(d: bool) -> &'static str {
    if d {
        " (dry-run)"
    } else {
        ""
    }
}

fn missing_cause(e: &ExpPolicy) -> String {
    if let Some(r) = &e.version_rule {
        return format!("a dry-run policy: the model applied {r}; the istiod or ztunnel running differs (state them with --istio-version and --ztunnel-version), or AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY is set differently");
    }
    if e.name == STATIC_STRICT {
        return "istiod holds no PeerAuthentication: the input's PeerAuthentications are not in the cluster".into();
    }
    if e.name.starts_with(CONVERTED_PA) {
        return "istiod did not convert this PeerAuthentication: it is not in the cluster, or its portLevelMtls differs".into();
    }
    if e.name.starts_with("istio_allow_waypoint_") {
        return "PILOT_AUTO_ALLOW_WAYPOINT_POLICY is off in the running istiod, or the waypoint has no pods".into();
    }
    "istiod did not send it: the policy is not applied in the cluster, istiod rejected it (see its status condition ZtunnelAccepted), another istiod revision owns it (istio.io/rev), or istiod has not pushed yet".into()
}

/// `(ns, name)` of the waypoint a `waypoint.destination` names, through the dump's Services.
fn waypoint_of(dest: &str, services: &[Service]) -> String {
    if let Some(ip) = address_ip(dest) {
        if let Some(s) = services
            .iter()
            .find(|s| s.vips.iter().any(|v| address_ip(v) == Some(ip)))
        {
            return format!("{}/{}", s.namespace, s.name);
        }
        return dest.to_string();
    }
    match dest.split_once('/') {
        Some((ns, host)) => format!("{ns}/{}", host.split('.').next().unwrap_or(host)),
        None => dest.to_string(),
    }
}

fn show_waypoint(w: &Option<String>) -> String {
    w.clone().unwrap_or_else(|| "no waypoint".into())
}

fn workloads(
    exp: &Expected,
    held: &[Workload],
    services: &[Service],
    policies: Option<&BTreeSet<String>>,
    out: &mut Vec<Disagreement>,
    compared: &mut BTreeSet<String>,
) {
    let mut by_name: HashMap<(&str, &str), Vec<&Workload>> = HashMap::new();
    let mut by_owner: HashMap<(&str, &str), Vec<&Workload>> = HashMap::new();
    for w in held {
        by_name.entry((&w.namespace, &w.name)).or_default().push(w);
        if let Some(o) = &w.workload_name {
            by_owner.entry((&w.namespace, o)).or_default().push(w);
        }
    }
    for e in &exp.workloads {
        let key = (e.namespace.as_str(), e.name.as_str());
        let found = if e.declared {
            by_owner.get(&key)
        } else {
            by_name.get(&key)
        };
        compared.insert(e.key.clone());
        let Some(found) = found else {
            push(
                out,
                Kind::WorkloadMissing,
                &e.key,
                "a workload of the input".into(),
                "no workload".into(),
                if e.declared {
                    "no pod of this controller is running (scaled to zero, pending, or not applied)"
                        .into()
                } else {
                    "the pod is not running, has no IP yet, or was replaced (the input is older than the cluster)".into()
                },
            );
            continue;
        };
        for w in found {
            one_workload(exp, e, w, services, policies, out);
        }
    }
}

fn one_workload(
    exp: &Expected,
    e: &super::expect::ExpWorkload,
    w: &Workload,
    services: &[Service],
    policies: Option<&BTreeSet<String>>,
    out: &mut Vec<Disagreement>,
) {
    let captured = e.dataplane == Dataplane::Ambient;
    if e.dataplane != Dataplane::Sidecar && captured != w.captured {
        let (model, cause) = if captured {
            (
                format!("captured by ztunnel ({})", e.reason),
                "istio-cni has not captured the pod: it started before the label was set (restart it), istio-cni is not running on its node, or it is hostNetwork".to_string(),
            )
        } else {
            (
                format!("not captured ({})", e.reason),
                "the cluster captures the pod although the input does not enrol it: a label the input lacks, or a pod captured before its label was removed (istio-cni keeps it until it restarts)".to_string(),
            )
        };
        push(
            out,
            Kind::WorkloadCapture,
            &e.key,
            model,
            format!("protocol {}", w.protocol),
            cause,
        );
    }
    let sa = w.service_account.as_deref().unwrap_or("default");
    let td = w.trust_domain.as_deref().unwrap_or(&exp.trust_domain);
    if sa != e.service_account || td != exp.trust_domain {
        push(
            out,
            Kind::Identity,
            &e.key,
            format!("{}/ns/{}/sa/{}", exp.trust_domain, e.namespace, e.service_account),
            format!("{td}/ns/{}/sa/{sa}", w.namespace),
            "the pod runs under another service account, or the mesh's trustDomain differs from the input's (meshConfig)".into(),
        );
    }
    let model_wp = e.waypoint.as_ref().map(|(ns, n)| format!("{ns}/{n}"));
    let dp_wp = w.waypoint.as_deref().map(|d| waypoint_of(d, services));
    if model_wp != dp_wp {
        push(
            out,
            Kind::Waypoint,
            &e.key,
            show_waypoint(&model_wp),
            show_waypoint(&dp_wp),
            "istiod bound the workload differently: istio.io/use-waypoint changed after its last push, the waypoint is not ready (no address) or does not take workload traffic (istio.io/waypoint-for), or the input's labels differ from the cluster's".into(),
        );
    }
    // `services` is omitted when empty, and istioctl's workload list and ztunnels fed from a
    // local config never carry it: compared only when the dump lists some.
    if let Some(held) = w.services.as_ref().filter(|s| !s.is_empty()) {
        let dp: BTreeSet<String> = held
            .iter()
            .map(|k| match k.split_once('/') {
                Some((ns, host)) => format!("{ns}/{}", host.split('.').next().unwrap_or(host)),
                None => k.clone(),
            })
            .collect();
        if dp != e.services {
            let list = |s: &BTreeSet<String>| {
                if s.is_empty() {
                    "none".to_string()
                } else {
                    s.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            };
            push(
                out,
                Kind::Service,
                &e.key,
                format!("selected by Services {}", list(&e.services)),
                format!("selected by Services {}", list(&dp)),
                "the Services' selectors match other labels in the cluster, or a Service exists only on one side".into(),
            );
        }
    }
    if captured && w.captured {
        let common = |k: &String| {
            exp.policies.contains_key(k) && policies.is_none_or(|held| held.contains(k))
        };
        let model: BTreeSet<&String> = e.policies.iter().filter(|k| common(k)).collect();
        let dp: BTreeSet<&String> = w
            .authorization_policies
            .iter()
            .filter(|k| common(k))
            .collect();
        if model != dp {
            let list = |s: &BTreeSet<&String>| {
                if s.is_empty() {
                    "none".to_string()
                } else {
                    s.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                }
            };
            push(
                out,
                Kind::WorkloadPolicies,
                &e.key,
                format!("selector policies {}", list(&model)),
                format!("selector policies {}", list(&dp)),
                "the policies' selectors match other labels in the cluster (the pod's labels differ from the input's), or istiod has not recomputed the workload since a label change".into(),
            );
        }
    }
}

fn services(
    exp: &Expected,
    held: &[Service],
    out: &mut Vec<Disagreement>,
    compared: &mut BTreeSet<String>,
) {
    let by_name: HashMap<(&str, &str), &Service> = held
        .iter()
        .map(|s| ((s.namespace.as_str(), s.name.as_str()), s))
        .collect();
    for e in &exp.services {
        let object = format!("Service/{}/{}", e.namespace, e.name);
        compared.insert(object.clone());
        let Some(s) = by_name.get(&(e.namespace.as_str(), e.name.as_str())) else {
            push(
                out,
                Kind::Service,
                &object,
                "a Service of the input".into(),
                "not held".into(),
                "the Service is not in the cluster, or istiod has not pushed it yet".into(),
            );
            continue;
        };
        let model_wp = e.waypoint.as_ref().map(|(ns, n)| format!("{ns}/{n}"));
        let dp_wp = s.waypoint.as_deref().map(|d| waypoint_of(d, held));
        if model_wp != dp_wp {
            push(
                out,
                Kind::Waypoint,
                &object,
                show_waypoint(&model_wp),
                show_waypoint(&dp_wp),
                "istiod bound the Service differently: istio.io/use-waypoint changed after its last push, or the waypoint is not ready (no address), refuses the namespace (allowedRoutes) or does not take service traffic (istio.io/waypoint-for)".into(),
            );
        }
        if !e.cluster_ips.is_empty() {
            let m: BTreeSet<&str> = e.cluster_ips.iter().map(String::as_str).collect();
            let d: BTreeSet<&str> = s.vips.iter().filter_map(|v| address_ip(v)).collect();
            if m != d {
                push(
                    out,
                    Kind::Service,
                    &object,
                    format!("VIPs {}", m.into_iter().collect::<Vec<_>>().join(", ")),
                    format!("VIPs {}", d.into_iter().collect::<Vec<_>>().join(", ")),
                    "the Service was recreated with a new ClusterIP since the input was taken"
                        .into(),
                );
            }
        }
    }
}
