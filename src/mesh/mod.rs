//! The Mesh: who is enrolled, which waypoint serves what, and under which identity.
//! A pure index over the Snapshot.

pub mod canary;
mod candidates;
pub mod component;
pub mod enrollment;
pub mod network;
pub mod revision;
pub mod waypoint;

pub use canary::{Canary, CanaryError, CanaryRequest};
pub use component::Component;
pub use enrollment::{spiffe, Dataplane};
pub use waypoint::{BindError, Binding, TrafficType, Waypoint};

use crate::interned::Interned;
use crate::model::labels::{parse_bool, BYPASS_INBOUND_CAPTURE, GATEWAY_MANAGED};
use crate::model::{resource_key, Pod};
use crate::selector::Labels;
use crate::snapshot::{MeshSettings, Snapshot, REV_LABEL};
use crate::versions::{Rules, Running};
pub use candidates::Candidates;
// foldhash: these maps are read once or more per pod (issue 16).
use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;
use waypoint::{ingress_use_waypoint, resolve, ReadyWaypoints, TargetKind, GATEWAY_NAME};

/// The versions running (or assumed) and the flags the version rules read.
pub fn rules(m: &MeshSettings) -> Rules {
    fn raw(s: &Option<crate::snapshot::Setting<String>>) -> Option<(&str, &str)> {
        s.as_ref().map(|s| (s.value.as_str(), s.source.as_str()))
    }
    let istiod = Running::detect(raw(&m.istio_version), None);
    let ztunnel = Running::detect(raw(&m.ztunnel_version), Some(&istiod));
    Rules::new(
        istiod,
        ztunnel,
        m.feature("AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY"),
        m.feature("ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES"),
    )
    .with_revision(m.ztunnel_revision().map(str::to_string))
    .with_multiple_custom_providers(m.feature("PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS"))
    .with_multi_network(m.feature("AMBIENT_ENABLE_MULTI_NETWORK"))
}

/// `meshConfig.serviceEntryVisibility` (1.31+, `fetchWaypointForService`): a ServiceEntry whose
/// namespace resolves to NAMESPACE visibility refuses a waypoint in another namespace.
/// Kubernetes Services never come here.
fn forbid_cross_namespace(
    b: &mut Binding,
    se: &crate::model::ObjectMeta,
    ns_labels: Option<&Labels>,
    waypoints: &[Waypoint],
    settings: &MeshSettings,
    rules: &Rules,
) {
    let (Some(w), Some(vis)) = (b.waypoint, &settings.service_entry_visibility) else {
        return;
    };
    if waypoints[w].namespace == se.namespace {
        return;
    }
    let empty = Labels::new();
    if vis.value.visibility_for(ns_labels.unwrap_or(&empty)) != "NAMESPACE" {
        return;
    }
    let (read, row) = rules.service_entry_visibility();
    b.rule = Some(row);
    if read {
        b.waypoint = None;
        b.error = Some(BindError::CrossNamespaceWaypointForbidden);
    }
}

/// What a pod is, beyond its dataplane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Workload,
    /// An instance of waypoint `Mesh::waypoints[i]`.
    Waypoint(usize),
    /// An instance of a Gateway API ingress gateway `Mesh::waypoints[i]`.
    Ingress(usize),
    /// One of Istio's own pods (`component`): not a workload of the mesh.
    Istio(Component),
}

#[derive(Debug, Clone)]
pub struct PodInfo {
    pub dataplane: Dataplane,
    pub reason: Arc<str>,
    /// `ambient.istio.io/bypass-inbound-capture`: plaintext inbound skips ztunnel.
    pub bypass_inbound: bool,
    pub identity: Arc<str>,
    pub role: Role,
    /// Waypoint for pod-IP-addressed traffic.
    pub binding: Binding,
    /// Indices of the Services that select this pod.
    pub services: Vec<usize>,
    /// Indices of the ServiceEntries whose workloadSelector selects this pod.
    pub service_entries: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub binding: Binding,
    /// The canary waypoint in effect beside `binding.waypoint` (1.31+): requests go to the
    /// primary (`100 - weight` %) and to the canary (`weight` %), ztunnel's
    /// `weightedWaypoints`.
    pub canary: Option<Canary>,
    /// The canary the labels declare beside a bound primary, read or not, with the reason the
    /// primary stays alone when it does.
    pub canary_request: Option<CanaryRequest>,
    pub ingress_use_waypoint: bool,
    /// Indices of the pods it selects.
    pub pods: Vec<usize>,
    /// A ServiceEntry labelled `istio.io/rev` for another revision than ztunnel's istiod:
    /// (label, ztunnel's revision, filtered out of its ambient index, row). Filtered, it is no
    /// ambient service: no waypoint, no canary.
    pub other_revision: Option<(String, String, bool, crate::versions::Row)>,
}

pub struct Mesh<'a> {
    pub snap: &'a Snapshot,
    /// The version rules of the Istio that runs, recording the rows they apply.
    pub rules: Rules,
    pub pods: Vec<PodInfo>,
    /// One per Gateway, waypoint or not, in Snapshot order.
    pub waypoints: Vec<Waypoint>,
    pub services: Vec<ServiceInfo>,
    pub service_entries: Vec<ServiceInfo>,
    /// The network of every pod, and istiod's (`network`).
    pub networks: network::Networks,
    /// `Pod/ns/name` (or `Deployment/ns/name`, ...) of every workload, formatted once and
    /// shared by every report that names it.
    pub pod_keys: Vec<Arc<str>>,
    /// Per waypoint: its first pod in the input, for `waypoint_pod`.
    waypoint_pods: Vec<Option<usize>>,
    /// Services and ServiceEntries by (namespace, name), for `find_service`.
    by_name: HashMap<(bool, &'a str, &'a str), usize>,
    /// The labels of each Namespace object (the first of duplicates), for `ns_labels`.
    ns_labels: HashMap<&'a str, &'a Labels>,
    /// The pods a selector can match, by namespace and label.
    pub candidates: Candidates<'a>,
    /// `waypoints_in_front_of` every pod: pod `i`'s are `in_front.1[in_front.0[i]..
    /// in_front.0[i + 1]]`, made once (placement asks per (policy, pod) pair).
    in_front: (Vec<usize>, Vec<usize>),
}

/// The waypoints requests to a Service or ServiceEntry go through: its primary and, with
/// a canary that takes requests, the canary too (at weight 0 it takes none: nothing
/// reaches the pods through it).
fn fronting(info: &ServiceInfo) -> impl Iterator<Item = usize> {
    (info.binding.waypoint.into_iter())
        .chain(info.canary.filter(|c| c.weight > 0).map(|c| c.waypoint))
}

/// The waypoints in front of each pod (`Mesh::waypoints_in_front_of`), as `Mesh::in_front`
/// holds them: as `service_waypoints_of_pod`, without naming the Services.
fn in_front(
    pods: &[PodInfo],
    services: &[ServiceInfo],
    entries: &[ServiceInfo],
) -> (Vec<usize>, Vec<usize>) {
    let (mut starts, mut all, mut ws) = (Vec::with_capacity(pods.len() + 1), vec![], vec![]);
    starts.push(0);
    for pi in pods {
        ws.clear();
        ws.extend(
            (pi.services.iter())
                .flat_map(|&s| fronting(&services[s]))
                .chain((pi.service_entries.iter()).flat_map(|&s| fronting(&entries[s])))
                .chain(pi.binding.waypoint),
        );
        ws.sort_unstable();
        ws.dedup();
        all.extend_from_slice(&ws);
        starts.push(all.len());
    }
    (starts, all)
}

impl<'a> Mesh<'a> {
    pub fn build(snap: &'a Snapshot) -> Self {
        let mesh = &snap.mesh;
        let td = mesh.trust_domain();
        let rules = rules(mesh);
        let mut waypoints: Vec<Waypoint> = snap
            .gateways
            .iter()
            .map(|g| Waypoint::from_gateway(g, &snap.gateway_classes))
            .collect();
        // Waypoint identities come from the actual pods (`gatewayToWaypointTransform`),
        // found through an index of the gateway pods by (namespace, gateway name).
        let mut gateway_pods: HashMap<(&str, &str), Vec<&Pod>> = HashMap::new();
        for p in &snap.pods {
            if let Some(gw) = p.metadata.label(GATEWAY_NAME) {
                gateway_pods
                    .entry((p.metadata.namespace.as_str(), gw))
                    .or_default()
                    .push(p);
            }
        }
        for (w, gw) in waypoints.iter_mut().zip(&snap.gateways) {
            let mut ids: Vec<String> = gateway_pods
                .get(&(w.namespace.as_str(), w.name.as_str()))
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|p| spiffe(td, &w.namespace, &p.spec.service_account_name))
                .collect();
            if ids.is_empty() {
                ids.push(spiffe(
                    td,
                    &w.namespace,
                    &Waypoint::predicted_service_account(gw),
                ));
            }
            ids.sort();
            ids.dedup();
            w.identities = ids;
        }
        // Namespace labels by name, and waypoints by (namespace, name), built once: every pod
        // and Service looks them up.
        let mut ns_index: HashMap<&str, &Labels> = HashMap::new();
        for n in &snap.namespaces {
            ns_index
                .entry(n.metadata.name.as_str())
                .or_insert(&n.metadata.labels);
        }
        let ns_labels = |ns: &str| ns_index.get(ns).copied();
        let mut ns_metas: HashMap<&str, &crate::model::ObjectMeta> = HashMap::new();
        for n in &snap.namespaces {
            ns_metas
                .entry(n.metadata.name.as_str())
                .or_insert(&n.metadata);
        }
        let ns_meta = |ns: &str| ns_metas.get(ns).copied();
        let mut gateway_by_name: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, w) in waypoints.iter().enumerate() {
            gateway_by_name
                .entry((w.namespace.as_str(), w.name.as_str()))
                .or_insert(i);
        }
        let ready = ReadyWaypoints::new(&waypoints);
        // The pods' own facts are made on another core while the Services select their pods
        // and the pods' keys and networks are read: neither reads the other (issue 16).
        let own = || pod_infos(snap, &ns_index, &waypoints, &gateway_by_name, &ready);
        let cores = crate::parallel::Split::for_machine(1).threads;
        let built = std::thread::scope(|s| {
            // On one core, or where no thread can be started, made in turn.
            let infos = (cores > 1)
                .then(|| std::thread::Builder::new().spawn_scoped(s, own).ok())
                .flatten();
            // Services select only pods of their own namespace, through the pods carrying a
            // selector's rarest label there: N services do not each scan the namespace (N^2).
            let candidates = Candidates::new(&snap.pods);

            // Services and ServiceEntries bind the same way; only how they select pods differs.
            let service_info = |m: &crate::model::ObjectMeta, pods: Vec<usize>| {
                let nsl = ns_labels(&m.namespace);
                let binding = if is_gateway_managed_service(&m.labels) {
                    Binding::default()
                } else {
                    resolve(m, nsl, &ready, TargetKind::Service)
                };
                let iuw = ingress_use_waypoint(m, nsl, &rules);
                ServiceInfo {
                    binding,
                    canary: None,
                    canary_request: None,
                    ingress_use_waypoint: iuw,
                    pods,
                    other_revision: None,
                }
            };
            let services: Vec<ServiceInfo> = snap
                .services
                .iter()
                .map(|s| {
                    let sel = s.spec.selector.as_ref();
                    let pods = sel
                        .map_or(&[][..], |sel| {
                            candidates.selected_by(&s.metadata.namespace, sel)
                        })
                        .iter()
                        .copied()
                        .filter(|&i| s.selects(&snap.pods[i]))
                        .collect();
                    let mut info = service_info(&s.metadata, pods);
                    (info.canary, info.canary_request) = canary::resolve(
                        &s.metadata,
                        ns_meta(&s.metadata.namespace),
                        &info.binding,
                        &ready,
                        &rules,
                    );
                    info
                })
                .collect();
            let service_entries: Vec<ServiceInfo> = snap
                .service_entries
                .iter()
                .map(|se| {
                    let m = &se.metadata;
                    let pods = match &se.spec.workload_selector {
                        Some(ws) if !ws.labels.is_empty() => (candidates
                            .rarest(&m.namespace, &ws.labels))
                        .iter()
                        .copied()
                        .filter(|&i| {
                            let p = &snap.pods[i].metadata;
                            ws.labels.iter().all(|(k, v)| p.labels.get(k) == Some(v))
                        })
                        .collect(),
                        _ => vec![],
                    };
                    let mut info = service_info(m, pods);
                    // The revision filter (`configFilter` on the ServiceEntry informer,
                    // AMB/ambientindex.go at 1.27.0): ztunnel's istiod never sees a ServiceEntry
                    // labelled for another revision, so ztunnel sends its traffic to no waypoint.
                    info.other_revision = rules.labelled_for_other(m.label(REV_LABEL));
                    if info.other_revision.as_ref().is_some_and(|o| o.2) {
                        info.binding = Binding::default();
                        return info;
                    }
                    forbid_cross_namespace(
                        &mut info.binding,
                        m,
                        ns_labels(&m.namespace),
                        &waypoints,
                        mesh,
                        &rules,
                    );
                    (info.canary, info.canary_request) =
                        canary::resolve(m, ns_meta(&m.namespace), &info.binding, &ready, &rules);
                    info
                })
                .collect();
            let keys = pod_keys(snap);
            let networks = network::Networks::read(snap);
            let pods = match infos {
                Some(infos) => infos
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                None => own(),
            };
            (pods, keys, candidates, services, service_entries, networks)
        });
        let (mut pods, pod_keys, candidates, services, service_entries, networks) = built;

        for (s, info) in services.iter().enumerate() {
            for &p in &info.pods {
                pods[p].services.push(s);
            }
        }
        for (s, info) in service_entries.iter().enumerate() {
            for &p in &info.pods {
                pods[p].service_entries.push(s);
            }
        }
        // The first of duplicates wins, as a scan would find it.
        let mut by_name = HashMap::new();
        let metas = (snap
            .services
            .iter()
            .map(|s| (false, &s.metadata))
            .enumerate())
        .chain(
            snap.service_entries
                .iter()
                .map(|s| (true, &s.metadata))
                .enumerate(),
        );
        for (i, (entry, m)) in metas {
            by_name
                .entry((entry, m.namespace.as_str(), m.name.as_str()))
                .or_insert(i);
        }
        let mut waypoint_pods = vec![None; waypoints.len()];
        for (i, p) in pods.iter().enumerate() {
            if let Role::Waypoint(w) = p.role {
                waypoint_pods[w].get_or_insert(i);
            }
        }
        let networks = networks.finish(&pods, &rules);
        let in_front = in_front(&pods, &services, &service_entries);
        Mesh {
            in_front,
            networks,
            rules,
            snap,
            waypoint_pods,
            by_name,
            ns_labels: ns_index,
            candidates,
            pods,
            waypoints,
            services,
            service_entries,
            pod_keys,
        }
    }

    pub fn ns_labels(&self, ns: &str) -> Option<&Labels> {
        self.ns_labels.get(ns).copied()
    }

    /// Index of the Service (`entry: false`) or ServiceEntry (`entry: true`) `ns/name`.
    pub fn find_service(&self, entry: bool, ns: &str, name: &str) -> Option<usize> {
        self.by_name.get(&(entry, ns, name)).copied()
    }

    pub fn pod_key(&self, i: usize) -> Arc<str> {
        self.pod_keys[i].clone()
    }

    /// The key of pod `i`, borrowed.
    pub fn pod_key_str(&self, i: usize) -> &str {
        &self.pod_keys[i]
    }

    pub fn service_key(&self, i: usize) -> String {
        let m = &self.snap.services[i].metadata;
        resource_key("Service", &m.namespace, &m.name)
    }

    pub fn service_entry_key(&self, i: usize) -> String {
        let m = &self.snap.service_entries[i].metadata;
        resource_key("ServiceEntry", &m.namespace, &m.name)
    }

    /// Waypoints that service-addressed traffic to pod `i` can cross (one per bound Service
    /// or ServiceEntry), with the Service keys that lead there.
    pub fn service_waypoints_of_pod(&self, i: usize) -> Vec<(usize, Vec<String>)> {
        let mut out: Vec<(usize, Vec<String>)> = Vec::new();
        let pi = &self.pods[i];
        let bound = pi
            .services
            .iter()
            .flat_map(|&s| fronting(&self.services[s]).map(move |w| (w, self.service_key(s))))
            .chain(pi.service_entries.iter().flat_map(|&s| {
                fronting(&self.service_entries[s]).map(move |w| (w, self.service_entry_key(s)))
            }));
        for (w, key) in bound {
            match out.iter_mut().find(|(x, _)| *x == w) {
                Some((_, keys)) => keys.push(key),
                None => out.push((w, vec![key])),
            }
        }
        out
    }

    /// The waypoints whose implicit ALLOW (`PILOT_AUTO_ALLOW_WAYPOINT_POLICY`) pod `i`'s
    /// ztunnel holds: its own and the primary waypoints of its Services. A canary gets none:
    /// `implicitWaypointPolicies` (AMB/workloads.go at 1.31) reads only each Service's primary
    /// (`Waypoint.ResourceName`), so requests through the canary need an ALLOW of their own.
    pub fn implicit_allow_waypoints(&self, i: usize) -> Vec<usize> {
        let pi = &self.pods[i];
        let mut ws: Vec<usize> = pi
            .services
            .iter()
            .filter_map(|&s| self.services[s].binding.waypoint)
            .chain(
                pi.service_entries
                    .iter()
                    .filter_map(|&s| self.service_entries[s].binding.waypoint),
            )
            .chain(pi.binding.waypoint)
            .collect();
        ws.sort();
        ws.dedup();
        ws
    }

    /// Every waypoint that any traffic to pod `i` can cross: service waypoints (canaries
    /// included) and its own.
    pub fn waypoints_in_front_of(&self, i: usize) -> &[usize] {
        let (starts, all) = &self.in_front;
        &all[starts[i]..starts[i + 1]]
    }

    /// The primary identity of a waypoint, as the destination ztunnel sees it.
    /// The first pod of waypoint `w` in the input; `None` for a waypoint declared without
    /// pods (as `istioctl waypoint generate` prints it).
    pub fn waypoint_pod(&self, w: usize) -> Option<usize> {
        self.waypoint_pods[w]
    }

    /// The waypoints requests to a Service or ServiceEntry are shared between, with each
    /// one's share in percent: the primary alone at 100, or the primary and its canary.
    pub fn weighted_waypoints(&self, info: &ServiceInfo) -> Vec<(usize, u32)> {
        match (info.binding.waypoint, info.canary) {
            (Some(p), Some(c)) => vec![(p, 100 - c.weight), (c.waypoint, c.weight)],
            (Some(p), None) => vec![(p, 100)],
            _ => vec![],
        }
    }

    pub fn waypoint_identity(&self, w: usize) -> &str {
        &self.waypoints[w].identities[0]
    }
}

/// A waypoint's (or east-west gateway's) own Service never gets a waypoint.
fn is_gateway_managed_service(labels: &Labels) -> bool {
    matches!(
        labels.get(GATEWAY_MANAGED),
        Some("istio.io-mesh-controller" | "istio.io-eastwest-controller")
    )
}

/// `by_name`: the first of `waypoints` of each (namespace, name).
fn pod_role(p: &Pod, waypoints: &[Waypoint], by_name: &HashMap<(&str, &str), usize>) -> Role {
    let Some(gw) = p.metadata.label(GATEWAY_NAME) else {
        return component::component(p).map_or(Role::Workload, Role::Istio);
    };
    match by_name.get(&(p.metadata.namespace.as_str(), gw)).copied() {
        Some(i) if waypoints[i].is_waypoint => Role::Waypoint(i),
        Some(i) => Role::Ingress(i),
        None => Role::Workload,
    }
}

/// Each pod's `Kind/namespace/name`.
fn pod_keys(snap: &Snapshot) -> Vec<Arc<str>> {
    (snap.pods.iter())
        .map(|p| resource_key(p.kind(), &p.metadata.namespace, &p.metadata.name).into())
        .collect()
}

/// Each pod's own facts: its dataplane and why, its role, its waypoint binding and its
/// identity (its Services are added after).
fn pod_infos(
    snap: &Snapshot,
    ns_index: &HashMap<&str, &Labels>,
    waypoints: &[Waypoint],
    gateway_by_name: &HashMap<(&str, &str), usize>,
    ready: &ReadyWaypoints,
) -> Vec<PodInfo> {
    let (mesh, td) = (&snap.mesh, snap.mesh.trust_domain());
    let ns_labels = |ns: &str| ns_index.get(ns).copied();
    // A namespace's pods share their reasons and a service account's their identity.
    let shared: Interned<str> = Interned::default();
    // A service account's identity, written once rather than once per pod.
    let mut identities: HashMap<(&str, &str), Arc<str>> = HashMap::new();
    snap.pods
        .iter()
        .map(|p| {
            let nsl = ns_labels(&p.metadata.namespace);
            let (dataplane, reason) = enrollment::enrollment(p, nsl, mesh);
            let reason = shared.get(reason);
            let role = pod_role(p, waypoints, gateway_by_name);
            // A waypoint's own pods never get a waypoint.
            let binding = match role {
                Role::Waypoint(_) => Binding::default(),
                _ => resolve(&p.metadata, nsl, ready, TargetKind::Workload),
            };
            PodInfo {
                dataplane,
                reason,
                bypass_inbound: p
                    .metadata
                    .annotation(BYPASS_INBOUND_CAPTURE)
                    .and_then(parse_bool)
                    .unwrap_or(false),
                identity: (identities.entry((
                    p.metadata.namespace.as_str(),
                    p.spec.service_account_name.as_str(),
                )))
                .or_insert_with(|| {
                    shared.get(spiffe(
                        td,
                        &p.metadata.namespace,
                        &p.spec.service_account_name,
                    ))
                })
                .clone(),
                role,
                binding,
                services: vec![],
                service_entries: vec![],
            }
        })
        .collect()
}
