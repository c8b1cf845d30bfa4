//! What the cluster would hold after `kubectl apply -f proposed/` (and `kubectl delete`): a
//! Snapshot with manifests laid over it. An object of the same kind, namespace and name
//! replaces, a new one adds, a `--delete`d one goes. Pure: both Snapshots are already read.

use crate::model::{resource_key, ObjectMeta, Pod, CONTROLLER_KINDS};
use crate::snapshot::{MeshSettings, Snapshot};
use std::collections::BTreeSet;

/// Kinds an overlay or `--delete` can name; `false`: cluster-scoped.
const KINDS: &[(&str, bool)] = &[
    ("Namespace", false),
    ("Pod", true),
    ("Service", true),
    ("ServiceEntry", true),
    ("Gateway", true),
    ("GatewayClass", false),
    ("AuthorizationPolicy", true),
    ("PeerAuthentication", true),
    ("RequestAuthentication", true),
    ("Telemetry", true),
    ("WasmPlugin", true),
    ("EnvoyFilter", true),
    ("HTTPRoute", true),
    ("GRPCRoute", true),
    ("TCPRoute", true),
    ("TLSRoute", true),
    // Workload controllers: deleting one deletes the live Pods it owns.
    ("Deployment", true),
    ("StatefulSet", true),
    ("DaemonSet", true),
    ("ReplicaSet", true),
    ("ReplicationController", true),
    ("Job", true),
    ("CronJob", true),
    ("Rollout", true),
];

/// Whether `pod` is a live Pod (not a controller's template) that one of `controllers`
/// (namespace, kind, name) owns, directly or through its ReplicaSet or Job.
fn owned_by(pod: &Pod, controllers: &BTreeSet<(String, String, String)>) -> bool {
    pod.kind.is_empty()
        && !controllers.is_empty()
        && crate::workloads::controller_chain(&pod.metadata)
            .iter()
            .any(|k| controllers.contains(k))
}

/// An object named on the command line: `Kind/namespace/name`, or `Kind/name` when the kind
/// is cluster-scoped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let kind = parts[0];
        let Some(&(kind, namespaced)) = KINDS.iter().find(|(k, _)| k.eq_ignore_ascii_case(kind))
        else {
            let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
            return Err(format!(
                "invalid --delete {s:?}: unknown kind {kind:?}; known: {}",
                known.join(", ")
            ));
        };
        let (namespace, name) = match (namespaced, &parts[1..]) {
            (true, [ns, name]) => (*ns, *name),
            (false, [name]) => ("", *name),
            (true, _) => {
                return Err(format!(
                    "invalid --delete {s:?}: want {kind}/NAMESPACE/NAME"
                ))
            }
            (false, _) => return Err(format!("invalid --delete {s:?}: want {kind}/NAME")),
        };
        if name.is_empty() || (namespaced && namespace.is_empty()) {
            return Err(format!("invalid --delete {s:?}: empty namespace or name"));
        }
        Ok(ObjectRef {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    fn matches(&self, kind: &str, m: &ObjectMeta) -> bool {
        self.kind == kind && self.namespace == m.namespace && self.name == m.name
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&resource_key(&self.kind, &self.namespace, &self.name))
    }
}

/// Replaces the objects of `base` that `top` redefines (same key) and adds the rest.
fn lay<T>(base: &mut Vec<T>, top: Vec<T>, key: impl Fn(&T) -> (String, String, String)) {
    let keys: std::collections::BTreeSet<_> = top.iter().map(&key).collect();
    base.retain(|o| !keys.contains(&key(o)));
    base.extend(top);
}

fn key_of(kind: &str, m: &ObjectMeta) -> (String, String, String) {
    (kind.to_string(), m.namespace.clone(), m.name.clone())
}

impl Snapshot {
    /// Lays `top` (manifests) over this Snapshot (the cluster).
    pub fn overlay(&mut self, top: Snapshot) {
        // Exhaustive on purpose: a new Snapshot field must say how it overlays.
        let Snapshot {
            namespaces,
            pods,
            services,
            service_entries,
            gateways,
            gateway_classes,
            authorization_policies,
            peer_authentications,
            extensions,
            routes,
            network_policies,
            network_policies_off: _, // set by the flags, after the overlay
            live: _,                 // the base side's source decides
            mesh,
            skipped,
            incomplete: _, // manifests are complete; what the cluster could not give stays
            controllers,
            controller_counts: _, // the overlaid Snapshot re-counts when it normalises
            namespace_labels_from_flag,
            non_kubernetes,
            ignored_kinds,
            input_notes,
        } = top;
        // Normally empty: `top` was normalised, which turns controllers into workloads.
        self.controllers.extend(controllers);
        self.namespace_labels_from_flag
            .extend(namespace_labels_from_flag);
        for (what, n) in non_kubernetes {
            *self.non_kubernetes.entry(what).or_default() += n;
        }
        for (kind, n) in ignored_kinds {
            *self.ignored_kinds.entry(kind).or_default() += n;
        }
        self.input_notes.extend(input_notes);
        lay(&mut self.namespaces, namespaces, |o| {
            key_of("Namespace", &o.metadata)
        });
        // Workloads: Pods and controllers' templates, each keyed by its own kind. A
        // controller the manifests redefine rolls out its new template: the live Pods of its
        // old one (Pod -> ReplicaSet -> Deployment) go, or both would count.
        let redefined: BTreeSet<(String, String, String)> = pods
            .iter()
            .filter(|p| !p.kind.is_empty())
            .map(|p| {
                let m = &p.metadata;
                (m.namespace.clone(), p.kind.clone(), m.name.clone())
            })
            .collect();
        self.pods.retain(|p| !owned_by(p, &redefined));
        lay(&mut self.pods, pods, |o| key_of(o.kind(), &o.metadata));
        lay(&mut self.services, services, |o| {
            key_of("Service", &o.metadata)
        });
        lay(&mut self.service_entries, service_entries, |o| {
            key_of("ServiceEntry", &o.metadata)
        });
        lay(&mut self.gateways, gateways, |o| {
            key_of("Gateway", &o.metadata)
        });
        lay(&mut self.gateway_classes, gateway_classes, |o| {
            key_of("GatewayClass", &o.metadata)
        });
        lay(
            &mut self.authorization_policies,
            authorization_policies,
            |o| key_of("AuthorizationPolicy", &o.metadata),
        );
        lay(&mut self.peer_authentications, peer_authentications, |o| {
            key_of("PeerAuthentication", &o.metadata)
        });
        lay(&mut self.extensions, extensions, |o| {
            key_of(&o.kind, &o.metadata)
        });
        lay(&mut self.routes, routes, |o| key_of(&o.kind, &o.metadata));
        lay(&mut self.network_policies, network_policies, |o| {
            key_of("NetworkPolicy", &o.metadata)
        });
        self.mesh.overlay(mesh);
        for (kind, n) in skipped {
            *self.skipped.entry(kind).or_default() += n;
        }
        self.normalise();
    }

    /// Removes the object `r` names; false when there is none. Deleting a Namespace deletes
    /// what it holds, and deleting a controller its live Pods, as Kubernetes does.
    pub fn delete(&mut self, r: &ObjectRef) -> bool {
        let k = r.kind.as_str();
        let gone = |kind: &str, m: &ObjectMeta| {
            r.matches(kind, m) || (k == "Namespace" && m.namespace == r.name)
        };
        let controller: BTreeSet<(String, String, String)> =
            if CONTROLLER_KINDS.iter().any(|(_, c)| *c == k) {
                BTreeSet::from([(r.namespace.clone(), r.kind.clone(), r.name.clone())])
            } else {
                BTreeSet::new()
            };
        let before = self.len();
        let had_it = self
            .namespaces
            .iter()
            .any(|o| r.matches("Namespace", &o.metadata));
        self.namespaces.retain(|o| !gone("Namespace", &o.metadata));
        self.pods
            .retain(|o| !gone(o.kind(), &o.metadata) && !owned_by(o, &controller));
        self.services.retain(|o| !gone("Service", &o.metadata));
        self.service_entries
            .retain(|o| !gone("ServiceEntry", &o.metadata));
        self.gateways.retain(|o| !gone("Gateway", &o.metadata));
        self.gateway_classes
            .retain(|o| !gone("GatewayClass", &o.metadata));
        self.authorization_policies
            .retain(|o| !gone("AuthorizationPolicy", &o.metadata));
        self.peer_authentications
            .retain(|o| !gone("PeerAuthentication", &o.metadata));
        self.extensions.retain(|o| !gone(&o.kind, &o.metadata));
        self.routes.retain(|o| !gone(&o.kind, &o.metadata));
        self.network_policies
            .retain(|o| !gone("NetworkPolicy", &o.metadata));
        had_it || self.len() < before
    }

    /// How many objects the overlayable lists hold.
    fn len(&self) -> usize {
        self.namespaces.len()
            + self.pods.len()
            + self.services.len()
            + self.service_entries.len()
            + self.gateways.len()
            + self.gateway_classes.len()
            + self.authorization_policies.len()
            + self.peer_authentications.len()
            + self.extensions.len()
            + self.routes.len()
            + self.network_policies.len()
    }
}

impl MeshSettings {
    /// Settings the manifests state (an `istio` ConfigMap, an istiod Deployment) win; the
    /// ones they leave at Istio's defaults keep the cluster's value.
    fn overlay(&mut self, top: MeshSettings) {
        let d = MeshSettings::default();
        let MeshSettings {
            root_namespace,
            trust_domain,
            istio_version,
            ztunnel_version,
            features,
            cni_exclude_namespaces,
            service_entry_visibility,
            revisions,
            ztunnel_istiod,
            revision,
            mesh_networks,
            cluster_id,
        } = top;
        if root_namespace != d.root_namespace {
            self.root_namespace = root_namespace;
        }
        if trust_domain != d.trust_domain {
            self.trust_domain = trust_domain;
        }
        if istio_version.is_some() {
            self.istio_version = istio_version;
        }
        if ztunnel_version.is_some() {
            self.ztunnel_version = ztunnel_version;
        }
        for (k, v) in features {
            if d.features.get(&k) != Some(&v) {
                self.features.insert(k, v);
            }
        }
        if cni_exclude_namespaces != d.cni_exclude_namespaces {
            self.cni_exclude_namespaces = cni_exclude_namespaces;
        }
        if service_entry_visibility.is_some() {
            self.service_entry_visibility = service_entry_visibility;
        }
        if !revisions.is_empty() {
            self.revisions = revisions;
        }
        if ztunnel_istiod.is_some() {
            self.ztunnel_istiod = ztunnel_istiod;
        }
        if mesh_networks.is_some() {
            self.mesh_networks = mesh_networks;
        }
        if cluster_id.is_some() {
            self.cluster_id = cluster_id;
        }
        if revision.is_some() {
            self.revision = revision;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::files::from_texts;

    fn snap(text: &str) -> Snapshot {
        from_texts(&[("t.yaml".into(), text.into())], "default").unwrap()
    }

    const AP: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: NAME\nspec:\n  action: ACTION\n";

    fn ap(name: &str, action: &str) -> String {
        AP.replace("NAME", name).replace("ACTION", action)
    }

    #[test]
    fn same_key_replaces_new_adds() {
        let mut base = snap(&format!("{}---\n{}", ap("a", "ALLOW"), ap("b", "ALLOW")));
        base.overlay(snap(&format!(
            "{}---\n{}",
            ap("b", "DENY"),
            ap("c", "ALLOW")
        )));
        let got: Vec<(&str, &str)> = base
            .authorization_policies
            .iter()
            .map(|p| (p.metadata.name.as_str(), p.spec.action.as_str()))
            .collect();
        assert_eq!(got, [("a", "ALLOW"), ("b", "DENY"), ("c", "ALLOW")]);
    }

    #[test]
    fn delete_by_reference() {
        let mut base = snap(&format!("{}---\n{}", ap("a", "ALLOW"), ap("b", "ALLOW")));
        let r = ObjectRef::parse("authorizationpolicy/default/a").unwrap();
        assert!(base.delete(&r));
        assert!(!base.delete(&r), "already gone");
        assert_eq!(base.authorization_policies.len(), 1);
        assert!(!base.delete(&ObjectRef::parse("Pod/default/b").unwrap()));
        // A namespace takes its objects with it.
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n---\n";
        let mut base = snap(&format!("{ns}{}", ap("a", "ALLOW")));
        assert!(base.delete(&ObjectRef::parse("Namespace/default").unwrap()));
        assert!(base.namespaces.is_empty() && base.authorization_policies.is_empty());
    }

    /// A live Pod as `kubectl get pod -o yaml` prints it: owned by its ReplicaSet, with the
    /// template hash label.
    fn live_pod(name: &str, rs: &str, hash: &str, app: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: default\n  labels:\n    app: {app}\n    pod-template-hash: {hash}\n  ownerReferences:\n  - apiVersion: apps/v1\n    kind: ReplicaSet\n    name: {rs}\n    controller: true\n    uid: 0b0e\nspec:\n  serviceAccountName: {app}\nstatus:\n  phase: Running\n  podIP: 10.0.0.1\n---\n")
    }

    fn deployment(name: &str, sa: &str) -> String {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      serviceAccountName: {sa}\n")
    }

    fn workloads(s: &Snapshot) -> Vec<String> {
        s.pods
            .iter()
            .map(|p| resource_key(p.kind(), &p.metadata.namespace, &p.metadata.name))
            .collect()
    }

    #[test]
    fn redefined_or_deleted_controllers_take_their_live_pods() {
        let live = || {
            snap(&format!(
                "{}{}{}",
                live_pod("web-5f7d9-abcde", "web-5f7d9", "5f7d9", "web"),
                live_pod("web-5f7d9-fghij", "web-5f7d9", "5f7d9", "web"),
                live_pod("api-77c4d-klmno", "api-77c4d", "77c4d", "api"),
            ))
        };
        // The proposal redefines web: its new template replaces both old pods.
        let mut after = live();
        after.overlay(snap(&deployment("web", "web-v2")));
        assert_eq!(
            workloads(&after),
            ["Pod/default/api-77c4d-klmno", "Deployment/default/web"]
        );
        assert_eq!(after.pods[1].spec.service_account_name, "web-v2");
        // Deleting a Deployment deletes its pods; a Pod named like a Deployment is not one.
        let mut after = live();
        assert!(after.delete(&ObjectRef::parse("Deployment/default/web").unwrap()));
        assert_eq!(workloads(&after), ["Pod/default/api-77c4d-klmno"]);
        assert!(!after.delete(&ObjectRef::parse("Deployment/default/web").unwrap()));
        assert!(!after.delete(&ObjectRef::parse("Pod/default/api").unwrap()));
        // A template workload from files is deleted by its own kind, not as a Pod.
        let mut files = snap(&deployment("web", "web"));
        assert!(!files.delete(&ObjectRef::parse("Pod/default/web").unwrap()));
        assert!(files.delete(&ObjectRef::parse("deployment/default/web").unwrap()));
        assert!(files.pods.is_empty());
    }

    #[test]
    fn references_parse_or_say_why() {
        let ok = ObjectRef::parse("Namespace/bookinfo").unwrap();
        assert_eq!((ok.kind.as_str(), ok.namespace.as_str()), ("Namespace", ""));
        assert_eq!(
            ObjectRef::parse("httproute/ns/r").unwrap().to_string(),
            "HTTPRoute/ns/r"
        );
        for bad in ["Secret/ns/x", "Pod/x", "Namespace/a/b", "Pod//x", "Pod/ns/"] {
            assert!(ObjectRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stated_mesh_settings_win() {
        let mut base = Snapshot::default();
        base.mesh.trust_domain = crate::snapshot::Setting::new("corp.example".into(), "cluster");
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    rootNamespace: mesh-root\n";
        base.overlay(snap(cm));
        assert_eq!(base.mesh.root(), "mesh-root");
        assert_eq!(
            base.mesh.trust_domain(),
            "corp.example",
            "left at the default: kept"
        );
    }
}
