//! Which istiod revision deploys and programs a waypoint. The gateway deployment controller of
//! each istiod reconciles only the Gateways that are "its own" (`tagWatcher.IsMine` in
//! pkg/revisions/tag_watcher.go, asked by the Gateway reconcile in
//! pilot/pkg/config/kube/gateway/deploymentcontroller.go at 1.27.0, gatewaycommon/ at
//! 1.31.0-rc.0): the Gateway's `istio.io/rev` label, else its namespace's, names the revision
//! (or a revision tag); without either, the istiod that holds the `default` tag. That istiod
//! renders the waypoint's Deployment, whose proxy then takes its configuration from it (its
//! config store takes policies unlabelled or labelled for its revision). ztunnel's ambient
//! index, on the other hand, takes every waypoint Gateway whatever its label (the Gateways
//! informer has no revision filter: `filter`, not `configFilter`, in AMB/ambientindex.go at
//! 1.27.0 and pilot/pkg/serviceregistry/ambient/ambientindex.go at 1.31.0-rc.0).

use super::Mesh;
use crate::snapshot::REV_LABEL;
use serde::Serialize;

/// Where a waypoint's revision was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionFrom {
    /// The Gateway's `istio.io/rev` label.
    Gateway,
    /// Its namespace's `istio.io/rev` label (the Gateway has none).
    Namespace,
    /// Neither: the istiod holding the `default` tag (revision `default` when one is named so).
    Default,
}

/// The revision that deploys and programs waypoint `w`, and its istiod in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaypointRevision {
    /// The revision (or tag) named; `default` without a label.
    pub name: String,
    pub from: RevisionFrom,
    /// Index into `MeshSettings::revisions` of the istiod Deployment of that revision, when
    /// the input has one (compared exactly: a tag names no Deployment).
    pub istiod: Option<usize>,
}

impl Mesh<'_> {
    /// The istiod revision that deploys and programs waypoint `w`.
    pub fn waypoint_revision(&self, w: usize) -> WaypointRevision {
        let gw = &self.snap.gateways[w].metadata;
        let (name, from) = match gw.label(REV_LABEL) {
            Some(r) => (r.to_string(), RevisionFrom::Gateway),
            None => match self.ns_labels(&gw.namespace).and_then(|l| l.get(REV_LABEL)) {
                Some(r) => (r.to_string(), RevisionFrom::Namespace),
                None => ("default".to_string(), RevisionFrom::Default),
            },
        };
        // An empty label selects the `default` tag too (`selectedTag == ""`).
        let name = if name.is_empty() {
            "default".into()
        } else {
            name
        };
        let istiod = self.snap.mesh.revisions.iter().position(|r| r.name == name);
        WaypointRevision { name, from, istiod }
    }
}
