//! The Snapshot: every object one analysis needs, plus the mesh settings and what could not
//! be read. Both sources (files, cluster) produce it; nothing after it does I/O.

use crate::model::labels::parse_bool;
use crate::model::*;
use crate::workloads::{self, ControllerCounts};
use serde::Serialize;
use std::collections::BTreeMap;

mod order;
mod revisions;
pub use revisions::{IstiodRevision, REV_LABEL};

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub namespaces: Vec<Namespace>,
    /// Pods, and (after `normalise`) the workloads that controllers' pod templates declare,
    /// with `Pod::kind` set to the controller kind.
    pub pods: Vec<Pod>,
    /// Workload controllers read from manifests; `normalise` turns them into workloads.
    pub controllers: Vec<Controller>,
    /// How controllers became workloads, for the assumptions.
    pub controller_counts: ControllerCounts,
    pub services: Vec<Service>,
    pub service_entries: Vec<ServiceEntry>,
    pub gateways: Vec<Gateway>,
    pub gateway_classes: Vec<GatewayClass>,
    pub authorization_policies: Vec<AuthorizationPolicy>,
    pub peer_authentications: Vec<PeerAuthentication>,
    /// RequestAuthentication, Telemetry, WasmPlugin, EnvoyFilter.
    pub extensions: Vec<ExtensionPolicy>,
    /// HTTPRoute, GRPCRoute, TCPRoute, TLSRoute.
    pub routes: Vec<Route>,
    /// Kubernetes NetworkPolicies: the CNI's gate below Istio's.
    pub network_policies: Vec<NetworkPolicy>,
    /// `--no-network-policy`: the layer is left out (the list above is then empty).
    pub network_policies_off: bool,
    /// Read from a cluster (an empty list then means none exist), not from manifests.
    pub live: bool,
    pub mesh: MeshSettings,
    /// Kinds read but not modelled, with their count.
    pub skipped: BTreeMap<String, usize>,
    /// What could not be read (cluster source), reported in the output.
    pub incomplete: Vec<Incomplete>,
    /// Namespaces whose labels `--namespace-labels` gave.
    pub namespace_labels_from_flag: std::collections::BTreeSet<String>,
    /// Inputs in `-f` directories that are not Kubernetes objects (kustomization.yaml, Helm
    /// charts, documents without apiVersion/kind), skipped, with their count.
    pub non_kubernetes: BTreeMap<String, usize>,
    /// Kinds Istio installs but ambient mode never reads (IstioOperator, Sidecar), skipped.
    pub ignored_kinds: BTreeMap<String, usize>,
    /// What the file source decided about its input, stated with the report's assumptions:
    /// duplicate objects (the last wins), `istio` ConfigMaps outside istiod's namespace.
    pub input_notes: Vec<InputNote>,
}

/// One decision about the input, in the shape of an assumption (setting, value, why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputNote {
    pub setting: String,
    pub value: String,
    pub source: String,
}

/// A YAML error of a value embedded in an object (a ConfigMap's `mesh`): its first line
/// (`line 3 column 18: unclosed bracket '{'`), without the snippet that follows.
pub fn yaml_error(e: &serde_saphyr::Error) -> String {
    let s = e.to_string();
    let line = s.lines().next().unwrap_or_default();
    line.strip_prefix("error: ")
        .unwrap_or(line)
        .trim()
        .to_string()
}

/// `kubernetes.io/metadata.name`: every Namespace of a Snapshot carries it.
pub use crate::model::labels::NAMESPACE_NAME_LABEL;

/// Where istiod runs unless the input or `--istio-namespace` says otherwise.
pub const DEFAULT_ISTIO_NAMESPACE: &str = "istio-system";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Incomplete {
    pub kind: String,
    pub namespace: Option<String>,
    pub reason: String,
}

/// A setting with where its value came from, so the report can state its assumptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting<T> {
    pub value: T,
    pub source: String,
}

impl<T> Setting<T> {
    pub fn new(value: T, source: &str) -> Self {
        Setting {
            value,
            source: source.to_string(),
        }
    }
}

/// istiod feature flags from SEMANTICS.md that change where policy is enforced.
pub const FEATURE_FLAGS: &[(&str, bool)] = &[
    ("PILOT_AUTO_ALLOW_WAYPOINT_POLICY", false),
    ("AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY", false),
    ("ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES", false),
    ("ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY", true),
    ("PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS", false),
    ("AMBIENT_ENABLE_MULTI_NETWORK", false),
];

#[derive(Debug, Clone)]
pub struct MeshSettings {
    pub root_namespace: Setting<String>,
    pub trust_domain: Setting<String>,
    /// istiod's version as read (an image tag, or `--istio-version`).
    pub istio_version: Option<Setting<String>>,
    /// ztunnel's version as read (the `ztunnel` DaemonSet's image tag, or `--ztunnel-version`).
    pub ztunnel_version: Option<Setting<String>>,
    pub features: BTreeMap<String, Setting<bool>>,
    /// istio-cni `excludeNamespaces`.
    pub cni_exclude_namespaces: Setting<Vec<String>>,
    /// `meshConfig.serviceEntryVisibility`, when the mesh config sets it.
    pub service_entry_visibility: Option<Setting<crate::model::ServiceEntryVisibility>>,
    /// Every istiod Deployment read (`revisions`).
    pub revisions: Vec<IstiodRevision>,
    /// The istiod ztunnel connects to: (namespace, Service/Deployment name), with how it was read.
    pub ztunnel_istiod: Option<Setting<(String, String)>>,
    /// The revision whose configuration ztunnel receives, when known.
    pub revision: Option<Setting<String>>,
    /// `meshNetworks` of the `istio` ConfigMap, when it declares networks.
    pub mesh_networks: Option<Setting<crate::model::MeshNetworks>>,
    /// istiod's `CLUSTER_ID` env (its registry's name for `meshNetworks` `fromRegistry`;
    /// `Kubernetes` when unset, `pilot/pkg/features`' default).
    pub cluster_id: Option<Setting<String>>,
}

impl Default for MeshSettings {
    fn default() -> Self {
        const DEFAULT: &str = "Istio default";
        MeshSettings {
            root_namespace: Setting::new("istio-system".into(), DEFAULT),
            trust_domain: Setting::new("cluster.local".into(), DEFAULT),
            istio_version: None,
            ztunnel_version: None,
            features: FEATURE_FLAGS
                .iter()
                .map(|(k, v)| (k.to_string(), Setting::new(*v, DEFAULT)))
                .collect(),
            cni_exclude_namespaces: Setting::new(vec!["kube-system".into()], DEFAULT),
            service_entry_visibility: None,
            revisions: Vec::new(),
            ztunnel_istiod: None,
            revision: None,
            mesh_networks: None,
            cluster_id: None,
        }
    }
}

impl MeshSettings {
    pub fn root(&self) -> &str {
        &self.root_namespace.value
    }
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain.value
    }
    pub fn feature(&self, name: &str) -> bool {
        self.features.get(name).is_some_and(|s| s.value)
    }

    /// Applies an istiod Deployment found in the input: version from the image tag, flags
    /// from the container env. Explicit command-line settings are applied later and win.
    pub fn apply_istiod(&mut self, d: &Deployment) {
        let source = format!("Deployment {}/{}", d.metadata.namespace, d.metadata.name);
        let containers = d
            .template()
            .map_or(&[][..], |t| t.spec.containers.as_slice());
        for c in containers {
            if c.name != "discovery" && !c.image.contains("pilot") {
                continue;
            }
            self.istio_version = Some(Setting::new(image_version(&c.image), &source));
            // istiod reads the dry-run flag only with its ambient index on
            // (`features.EnableWdsDryRunAuthzPol` is registered with `registerAmbient`, read
            // only when PILOT_ENABLE_AMBIENT=true; SEMANTICS.md 13): without it, it is off.
            let ambient = c.env.iter().any(|e| {
                e.name == "PILOT_ENABLE_AMBIENT"
                    && e.value.as_deref().and_then(parse_bool) == Some(true)
            });
            for e in &c.env {
                if let (true, Some(v)) = (e.name == "CLUSTER_ID", &e.value) {
                    self.cluster_id = Some(Setting::new(v.clone(), &source));
                }
                if let (Some(s), Some(v)) = (self.features.get_mut(&e.name), &e.value) {
                    // istiod parses booleans with strconv.ParseBool.
                    *s = match parse_bool(v) {
                        Some(true)
                            if !ambient
                                && e.name == "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY" =>
                        {
                            Setting::new(
                                false,
                                &format!("{source}: set, but istiod reads it only with PILOT_ENABLE_AMBIENT=true"),
                            )
                        }
                        Some(b) => Setting::new(b, &source),
                        None => continue,
                    };
                }
            }
        }
    }

    /// Applies ztunnel's DaemonSet found in the input: its version from the image tag.
    pub fn apply_ztunnel(&mut self, ds: &Controller) {
        let source = format!("DaemonSet {}/{}", ds.metadata.namespace, ds.metadata.name);
        let containers = ds
            .template()
            .map_or(&[][..], |t| t.spec.containers.as_slice());
        if let Some(c) = containers
            .iter()
            .find(|c| c.image.contains("ztunnel"))
            .or(containers.first())
        {
            self.ztunnel_version = Some(Setting::new(image_version(&c.image), &source));
        }
        let (istiod, how) = revisions::ztunnel_istiod(ds);
        self.ztunnel_istiod = Some(Setting::new(istiod, &how));
    }

    /// Applies `data.mesh` of the `istio` ConfigMap.
    pub fn apply_mesh_config(&mut self, mc: &MeshConfig, source: &str) {
        if let Some(r) = mc.root_namespace.as_ref().filter(|r| !r.is_empty()) {
            self.root_namespace = Setting::new(r.clone(), source);
        }
        if let Some(t) = mc.trust_domain.as_ref().filter(|t| !t.is_empty()) {
            self.trust_domain = Setting::new(t.clone(), source);
        }
        if let Some(v) = &mc.service_entry_visibility {
            self.service_entry_visibility = Some(Setting::new(v.clone(), source));
        }
    }

    /// Applies `data.meshNetworks` of the `istio` ConfigMap (YAML); an empty `networks` (the
    /// Helm chart's default) leaves it unset. `Ok(Some(why))`: the text holds no `networks`
    /// key but other keys (networks written one level too high), so nothing was read.
    /// `Err`: the text is not MeshNetworks (the YAML error's first line).
    pub fn apply_mesh_networks(
        &mut self,
        yaml: &str,
        source: &str,
    ) -> Result<Option<String>, String> {
        let mn: crate::model::MeshNetworks =
            serde_saphyr::from_str(yaml).map_err(|e| yaml_error(&e))?;
        if !mn.networks.is_empty() {
            self.mesh_networks = Some(Setting::new(mn, source));
            return Ok(None);
        }
        // MeshNetworks has one field; other top-level keys are most likely network names.
        let keys: Vec<String> = serde_saphyr::from_str::<BTreeMap<String, serde_json::Value>>(yaml)
            .map(|m| m.into_keys().filter(|k| k != "networks").collect())
            .unwrap_or_default();
        Ok((!keys.is_empty()).then(|| {
            format!(
                "no networks read: the networks go under a top-level `networks:` key, found {}",
                keys.join(", ")
            )
        }))
    }
}

/// What an image says of its version: the tag, or the whole reference when it has none (a
/// digest), so the report can say what it could not read.
fn image_version(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    match crate::versions::image_tag(image) {
        Some(tag) => tag.to_string(),
        // No tag and no digest: the container runtime pulls `latest`.
        None if !last.contains(['@', ':']) => format!("{last} (no tag: latest)"),
        None => last.to_string(),
    }
}

/// Whether a controller is ztunnel's DaemonSet (read for its version).
pub fn is_ztunnel_daemonset(c: &Controller) -> bool {
    c.kind == "DaemonSet"
        && (c.metadata.name == "ztunnel" || c.metadata.label("app") == Some("ztunnel"))
}

/// `--namespace-labels NS=k=v,k2=v2` (or `NS=` for a namespace without labels).
pub fn parse_namespace_labels(s: &str) -> Result<(String, crate::selector::Labels), String> {
    let bad =
        |why: &str| format!("invalid --namespace-labels {s:?}: {why} (want NS=KEY=VALUE,...)");
    let (ns, rest) = s
        .split_once('=')
        .ok_or_else(|| bad("no '=' after the namespace"))?;
    if !is_dns_label(ns) {
        return Err(bad(&format!("{ns:?} is not a namespace name")));
    }
    let mut labels = crate::selector::Labels::new();
    for item in rest
        .split(',')
        .filter(|i| !rest.is_empty() || !i.is_empty())
    {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| bad(&format!("label {item:?} has no '='")))?;
        if !is_label_key(k) {
            return Err(bad(&format!("{k:?} is not a label key")));
        }
        if !(v.is_empty() || is_label_name(v)) {
            return Err(bad(&format!("{v:?} is not a label value")));
        }
        labels.insert(k.to_string(), v.to_string());
    }
    Ok((ns.to_string(), labels))
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A label name or value: up to 63 of `[A-Za-z0-9-_.]`, alphanumeric at both ends.
fn is_label_name(s: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    s.len() <= 63
        && alnum(s.chars().next())
        && alnum(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// `[prefix/]name`, the prefix a DNS subdomain.
fn is_label_key(s: &str) -> bool {
    match s.rsplit_once('/') {
        Some((prefix, name)) => {
            !prefix.is_empty()
                && prefix.len() <= 253
                && prefix.split('.').all(is_dns_label)
                && is_label_name(name)
        }
        None => is_label_name(s),
    }
}

/// Adds a source's objects of one kind to a Snapshot's list: moved in whole when the list
/// is empty (50,000 pods are 17 MB that a copy would hold twice), else after what is there.
pub(crate) fn add<T>(to: &mut Vec<T>, objects: Vec<T>) {
    if to.is_empty() {
        *to = objects;
    } else {
        to.extend(objects);
    }
}

impl Snapshot {
    /// Labels given on the command line for a namespace: they replace those of the input
    /// (the API server's own name label stays).
    pub fn set_namespace_labels(&mut self, ns: &str, mut labels: crate::selector::Labels) {
        labels.insert(NAMESPACE_NAME_LABEL.into(), ns.to_string());
        match self.namespaces.iter_mut().find(|n| n.metadata.name == ns) {
            Some(n) => n.metadata.labels = labels,
            None => {
                let mut n = Namespace::default();
                n.metadata.name = ns.to_string();
                n.metadata.labels = labels;
                self.namespaces.push(n);
                self.namespaces
                    .sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
            }
        }
        self.namespace_labels_from_flag.insert(ns.to_string());
    }

    /// Adds the objects and counts the file source read into `other` (a streamed List),
    /// in order, after this one's. Every field is named, so that a new one is not forgotten.
    pub fn append(&mut self, other: Snapshot) {
        let Snapshot {
            namespaces,
            pods,
            controllers,
            controller_counts: _,
            services,
            service_entries,
            gateways,
            gateway_classes,
            authorization_policies,
            peer_authentications,
            extensions,
            routes,
            network_policies,
            network_policies_off: _,
            live: _,
            mesh: _,
            skipped,
            incomplete,
            namespace_labels_from_flag: _,
            non_kubernetes,
            ignored_kinds,
            input_notes,
        } = other;
        add(&mut self.namespaces, namespaces);
        add(&mut self.pods, pods);
        add(&mut self.controllers, controllers);
        add(&mut self.services, services);
        add(&mut self.service_entries, service_entries);
        add(&mut self.gateways, gateways);
        add(&mut self.gateway_classes, gateway_classes);
        add(&mut self.authorization_policies, authorization_policies);
        add(&mut self.peer_authentications, peer_authentications);
        add(&mut self.extensions, extensions);
        add(&mut self.routes, routes);
        add(&mut self.network_policies, network_policies);
        add(&mut self.incomplete, incomplete);
        add(&mut self.input_notes, input_notes);
        for (into, from) in [
            (&mut self.skipped, skipped),
            (&mut self.non_kubernetes, non_kubernetes),
            (&mut self.ignored_kinds, ignored_kinds),
        ] {
            for (k, n) in from {
                *into.entry(k).or_default() += n;
            }
        }
    }

    pub fn namespace_labels(&self, ns: &str) -> Option<&crate::selector::Labels> {
        self.namespaces
            .iter()
            .find(|n| n.metadata.name == ns)
            .map(|n| &n.metadata.labels)
    }

    /// Turns controllers into workloads (`crate::workloads`), then sorts every list by
    /// namespace and name so that output is deterministic whatever the order of the input.
    pub fn normalise(&mut self) {
        let hooks = workloads::skip_helm_test_hooks(&mut self.pods, &mut self.controllers);
        if hooks > 0 {
            self.input_notes.push(InputNote {
                setting: "helmTestHooks".into(),
                value: format!("skipped ({hooks})"),
                source: "helm.sh/hook: test: run by `helm test`, not created by `helm install`"
                    .into(),
            });
        }
        workloads::expand(
            &mut self.pods,
            &mut self.controllers,
            &mut self.controller_counts,
        );
        order::by_name(&mut self.namespaces, |x| &x.metadata);
        order::sort(&mut self.pods, |x| &x.metadata, |a, b| a.kind.cmp(&b.kind));
        order::by_name(&mut self.services, |x| &x.metadata);
        order::by_name(&mut self.service_entries, |x| &x.metadata);
        order::by_name(&mut self.gateways, |x| &x.metadata);
        order::by_name(&mut self.gateway_classes, |x| &x.metadata);
        order::by_name(&mut self.authorization_policies, |x| &x.metadata);
        order::by_name(&mut self.peer_authentications, |x| &x.metadata);
        order::by_name(&mut self.network_policies, |x| &x.metadata);
        fn key(m: &ObjectMeta) -> (&str, &str) {
            (&m.namespace, &m.name)
        }
        self.extensions
            .sort_by(|a, b| (&a.kind, key(&a.metadata)).cmp(&(&b.kind, key(&b.metadata))));
        self.routes
            .sort_by(|a, b| (&a.kind, key(&a.metadata)).cmp(&(&b.kind, key(&b.metadata))));
        // The lists grew by doubling while they were read; the analysis holds them to the end,
        // so their slack would count in the peak memory of a big mesh.
        self.pods.shrink_to_fit();
        self.services.shrink_to_fit();
        self.authorization_policies.shrink_to_fit();
        self.namespaces.shrink_to_fit();
    }
}

/// The analysis indexes workloads by their place in `pods`.
impl workloads::Workloads for Snapshot {
    fn workloads(&self) -> &[Pod] {
        &self.pods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appending into an empty Snapshot takes the lists as they are (moved, not copied);
    /// into a filled one it adds them after what is there, in order.
    #[test]
    fn append_keeps_the_order_of_the_inputs() {
        let pods = |names: &[&str]| -> Vec<Pod> {
            (names.iter())
                .map(|n| {
                    let mut p = Pod::default();
                    p.metadata.name = n.to_string();
                    p
                })
                .collect()
        };
        let names = |s: &Snapshot| -> Vec<String> {
            s.pods.iter().map(|p| p.metadata.name.clone()).collect()
        };
        let first = Snapshot {
            pods: pods(&["a", "b"]),
            ..Snapshot::default()
        };
        let moved = first.pods.as_ptr();
        let mut all = Snapshot::default();
        all.append(first);
        assert_eq!(all.pods.as_ptr(), moved);
        all.append(Snapshot {
            pods: pods(&["c"]),
            ..Snapshot::default()
        });
        all.append(Snapshot::default());
        assert_eq!(names(&all), ["a", "b", "c"]);
    }

    #[test]
    fn namespace_labels_flag() {
        let ok = |s: &str| {
            parse_namespace_labels(s).map(|(n, l)| {
                let l = l.iter().map(|(k, v)| (k.to_string(), v.to_string()));
                (n, l.collect::<Vec<_>>())
            })
        };
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            ok("bookinfo=istio.io/dataplane-mode=ambient,team=a").unwrap(),
            (
                "bookinfo".into(),
                vec![
                    pair("istio.io/dataplane-mode", "ambient"),
                    pair("team", "a")
                ]
            )
        );
        assert_eq!(ok("legacy=").unwrap(), ("legacy".into(), vec![]));
        assert_eq!(ok("a=k=").unwrap(), ("a".into(), vec![pair("k", "")]));
        for bad in [
            "bookinfo",
            "=k=v",
            "Bad=k=v",
            "ns=k",
            "ns=k=v,,x=y",
            "ns=/k=v",
            "ns=k=v v",
            "ns=k=-v",
        ] {
            let e = parse_namespace_labels(bad).unwrap_err();
            assert!(
                e.starts_with("invalid --namespace-labels") && !e.contains('\n'),
                "{bad}: {e}"
            );
        }
    }
}
