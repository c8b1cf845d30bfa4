//! Workloads and Services: capture, identity, waypoint, attached policies, Services.

use super::{push, Compared, Disagreement, Kind};
use crate::dataplane::expect::{ExpWorkload, Expected};
use crate::dataplane::{address_ip, Service, Workload};
use crate::mesh::Dataplane;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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

pub(super) fn workloads(
    exp: &Expected,
    held: &[Workload],
    services: &[Service],
    policies: Option<&BTreeSet<String>>,
    out: &mut Vec<Disagreement>,
    compared: &mut Compared,
) -> BTreeMap<(String, bool), usize> {
    // Per namespace and expected capture, the workloads found whose capture is compared.
    let mut by_ns: BTreeMap<(String, bool), usize> = BTreeMap::new();
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
        compared.insert(e.key.clone(), "workloads");
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
        if e.dataplane != Dataplane::Sidecar {
            let captured = e.dataplane == Dataplane::Ambient;
            *by_ns.entry((e.namespace.clone(), captured)).or_default() += 1;
        }
        for w in found {
            one_workload(exp, e, w, services, policies, out);
        }
    }
    by_ns
}

fn one_workload(
    exp: &Expected,
    e: &ExpWorkload,
    w: &Workload,
    services: &[Service],
    policies: Option<&BTreeSet<String>>,
    out: &mut Vec<Disagreement>,
) {
    let captured = e.dataplane == Dataplane::Ambient;
    // A controller's workload stands for its pods: say which one.
    let pod = if e.declared {
        format!(" (pod {})", w.name)
    } else {
        String::new()
    };
    if e.dataplane != Dataplane::Sidecar && captured != w.captured {
        // istio-cni's node agent captures running pods when their namespace or pod is
        // labelled, and releases them when the label goes: no restart either way.
        let (model, cause) = if captured {
            (
                format!("captured by ztunnel ({})", e.reason),
                "the pod is not enrolled in the cluster as in the input: the istio.io/dataplane-mode label of the pod or its namespace differs there, istio-cni's node agent on its node is not ready (the pod's events, kubectl -n istio-system logs ds/istio-cni-node), or the pod uses hostNetwork".to_string(),
            )
        } else {
            (
                format!("not captured ({})", e.reason),
                "the cluster enrols the pod although the input does not: the istio.io/dataplane-mode label of the pod or its namespace differs there, or the input was read before istio-cni captured the pod (a captured pod carries ambient.istio.io/redirection=enabled)".to_string(),
            )
        };
        push(
            out,
            Kind::WorkloadCapture,
            &e.key,
            model,
            format!("protocol {}{pod}", w.protocol),
            cause,
        );
    }
    if let Some(ip) = &e.ip {
        if !w.ips.is_empty() && !w.ips.contains(ip) {
            push(
                out,
                Kind::WorkloadMissing,
                &e.key,
                format!("address {ip}"),
                format!("addresses {}", w.ips.join(", ")),
                "the pod was recreated with the same name since the input was taken (a StatefulSet's pod): read the input again".into(),
            );
        }
    }
    let sa = w.service_account.as_deref().unwrap_or("default");
    let td = w.trust_domain.as_deref().unwrap_or(&exp.trust_domain);
    if sa != e.service_account || td != exp.trust_domain {
        push(
            out,
            Kind::Identity,
            &e.key,
            format!("{}/ns/{}/sa/{}", exp.trust_domain, e.namespace, e.service_account),
            format!("{td}/ns/{}/sa/{sa}{pod}", w.namespace),
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
            format!("{}{pod}", show_waypoint(&dp_wp)),
            "istiod bound the workload differently: the istio.io/use-waypoint labels of the pod or its namespace differ in the cluster (the manifests and the cluster have drifted), the waypoint is not ready (no address) or does not take workload traffic (istio.io/waypoint-for), or istiod has not pushed a change yet".into(),
        );
    }
    // `services` is omitted when empty, and istioctl's workload list and ztunnels fed from a
    // local config never carry it: compared only when the dump lists some.
    if let Some(held) = w.services.as_ref().filter(|s| !s.is_empty()) {
        // Only Services the input has with a selector say which pods they select.
        let dp: BTreeSet<String> = held
            .iter()
            .map(|k| match k.split_once('/') {
                Some((ns, host)) => format!("{ns}/{}", host.split('.').next().unwrap_or(host)),
                None => k.clone(),
            })
            .filter(|k| exp.selecting_services.contains(k))
            .collect();
        if dp != e.services {
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

pub(super) fn services(
    exp: &Expected,
    held: &[Service],
    out: &mut Vec<Disagreement>,
    compared: &mut Compared,
) {
    let by_name: HashMap<(&str, &str), &Service> = held
        .iter()
        .map(|s| ((s.namespace.as_str(), s.name.as_str()), s))
        .collect();
    for e in &exp.services {
        let object = format!("Service/{}/{}", e.namespace, e.name);
        compared.insert(object.clone(), "services");
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
                "istiod bound the Service differently: the istio.io/use-waypoint labels of the Service or its namespace differ in the cluster (the manifests and the cluster have drifted), the waypoint is not ready (no address), refuses the namespace (allowedRoutes) or does not take service traffic (istio.io/waypoint-for), or istiod has not pushed a change yet".into(),
            );
        }
        let shares = |v: &[(String, u32)]| {
            let mut v: Vec<String> = v.iter().map(|(w, n)| format!("{w} {n}%")).collect();
            v.sort();
            v
        };
        let held_weighted: Vec<(String, u32)> = s
            .weighted_waypoints
            .iter()
            .map(|(d, n)| (waypoint_of(d, held), *n))
            .collect();
        let (m, d) = (shares(&e.weighted), shares(&held_weighted));
        if m != d {
            let text = |v: &[String]| {
                if v.is_empty() {
                    "no weighted waypoints".to_string()
                } else {
                    format!("weighted waypoints {}", v.join(", "))
                }
            };
            push(
                out,
                Kind::Waypoint,
                &object,
                text(&m),
                text(&d),
                "istiod splits the Service's traffic otherwise: the istio.io/use-waypoint-canary labels or the istio.io/use-waypoint-canary-weight annotation differ in the cluster, the canary fell back to the primary (see the Service's WaypointBound condition), or istiod is older than 1.31 (--istio-version)".into(),
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

/// Keys, comma-separated, or `none`.
fn list<S: AsRef<str>>(keys: impl IntoIterator<Item = S>) -> String {
    let v: Vec<String> = keys.into_iter().map(|k| k.as_ref().to_string()).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
