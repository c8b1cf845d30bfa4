//! Where each resource of a Snapshot was read from, for output that points at a file and
//! line (SARIF, GitHub annotations). Findings name their resource as `Kind/ns/name`; this
//! maps that key back to the manifest document. Objects from the cluster have no origin.

use crate::model::{resource_key, ObjectMeta, Origin};
use crate::snapshot::Snapshot;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Origins(BTreeMap<String, Arc<Origin>>);

impl Origins {
    pub fn of(snap: &Snapshot) -> Self {
        let mut m = BTreeMap::new();
        let mut add = |kind: &str, meta: &ObjectMeta| {
            if let Some(o) = &meta.origin {
                m.insert(resource_key(kind, &meta.namespace, &meta.name), o.clone());
            }
        };
        snap.namespaces
            .iter()
            .for_each(|o| add("Namespace", &o.metadata));
        snap.pods.iter().for_each(|o| add("Pod", &o.metadata));
        snap.services
            .iter()
            .for_each(|o| add("Service", &o.metadata));
        snap.service_entries
            .iter()
            .for_each(|o| add("ServiceEntry", &o.metadata));
        snap.gateways
            .iter()
            .for_each(|o| add("Gateway", &o.metadata));
        snap.gateway_classes
            .iter()
            .for_each(|o| add("GatewayClass", &o.metadata));
        snap.authorization_policies
            .iter()
            .for_each(|o| add("AuthorizationPolicy", &o.metadata));
        snap.peer_authentications
            .iter()
            .for_each(|o| add("PeerAuthentication", &o.metadata));
        snap.extensions
            .iter()
            .for_each(|o| add(&o.kind, &o.metadata));
        snap.routes.iter().for_each(|o| add(&o.kind, &o.metadata));
        snap.network_policies
            .iter()
            .for_each(|o| add("NetworkPolicy", &o.metadata));
        Origins(m)
    }

    /// The origin of a finding's resource, when it was read from a file (not stdin).
    pub fn get(&self, resource: &str) -> Option<&Origin> {
        self.0
            .get(resource)
            .map(|o| &**o)
            .filter(|o| o.file != "<stdin>")
    }
}
