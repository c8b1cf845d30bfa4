//! The mesh settings the input declares: ztunnel's DaemonSet in istiod's namespace (version,
//! the istiod it connects to), istiod's Deployments (revisions; the one ztunnel connects to
//! gives the version and feature flags), then
//! the `istio` ConfigMap (`data.mesh`) of istiod's namespace: the one of the istiod
//! Deployments in the input, else `--istio-namespace` (as the cluster source reads it).
//! istiod reads the mesh config of its own namespace only (`pilot/pkg/bootstrap/mesh.go`:
//! the `istio` ConfigMap in its pod's namespace); one elsewhere is inert, and the report
//! says so.

use crate::error::{Error, Result};
use crate::model::{ConfigMap, Deployment, MeshConfig};
use crate::snapshot::{is_ztunnel_daemonset, InputNote, Snapshot};
use crate::source::documents::one_line;

/// Applies `istiods`, then the `istio` ConfigMaps (each with the file it came from), to the
/// Snapshot's mesh settings.
pub(super) fn apply(
    snap: &mut Snapshot,
    istiods: &[Deployment],
    configmaps: &[(String, ConfigMap)],
    istio_namespace: &str,
) -> Result<()> {
    let mut istio_namespaces: Vec<&str> = istiods
        .iter()
        .map(|d| d.metadata.namespace.as_str())
        .collect();
    if istio_namespaces.is_empty() {
        istio_namespaces.push(istio_namespace);
    }
    istio_namespaces.sort_unstable();
    istio_namespaces.dedup();
    // ztunnel's DaemonSet stays a workload (its pods are, live) and gives ztunnel's version.
    let ztunnels: Vec<_> = snap
        .controllers
        .iter()
        .filter(|c| {
            is_ztunnel_daemonset(c) && istio_namespaces.contains(&c.metadata.namespace.as_str())
        })
        .cloned()
        .collect();
    for z in &ztunnels {
        snap.mesh.apply_ztunnel(z);
    }
    // Every istiod is a revision; the one ztunnel connects to gives the version and flags.
    snap.mesh.apply_istiods(istiods);
    for (file, cm) in configmaps {
        let ns = cm.metadata.namespace.as_str();
        if !istio_namespaces.contains(&ns) {
            snap.input_notes.push(InputNote {
                setting: format!("ConfigMap {ns}/istio"),
                value: "ignored".into(),
                source: format!(
                    "{file}: not in istiod's namespace ({}), whose istio ConfigMap alone is mesh config",
                    istio_namespaces.join(", ")
                ),
            });
            continue;
        }
        if let Some(networks) = cm.data.get("meshNetworks") {
            let source = format!("ConfigMap {ns}/istio");
            let ignored = snap
                .mesh
                .apply_mesh_networks(networks, &source)
                .map_err(|e| {
                    Error::Input(format!(
                        "{file}: ConfigMap {ns}/istio: data.meshNetworks is not valid MeshNetworks YAML: {}",
                        one_line(&e)
                    ))
                })?;
            if let Some(why) = ignored {
                snap.input_notes.push(InputNote {
                    setting: format!("ConfigMap {ns}/istio meshNetworks"),
                    value: "ignored".into(),
                    source: format!("{file}: {why}"),
                });
            }
        }
        if let Some(mesh) = cm.data.get("mesh") {
            let mc: MeshConfig = serde_saphyr::from_str(mesh).map_err(|e| {
                Error::Input(format!(
                    "{file}: ConfigMap {ns}/istio: data.mesh is not valid MeshConfig YAML: {}",
                    one_line(&crate::snapshot::yaml_error(&e))
                ))
            })?;
            let source = format!("ConfigMap {ns}/istio");
            snap.mesh.apply_mesh_config(&mc, &source);
        }
    }
    Ok(())
}
