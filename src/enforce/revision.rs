//! A waypoint's proxy takes its configuration from the istiod revision that programs it
//! (`Mesh::waypoint_revision`), whose config store takes only policies unlabelled or labelled
//! for that revision (`LabelsInRevision`, pkg/config/model.go, used by the crdclient at
//! 1.27.0). A targetRefs policy labelled `istio.io/rev` for another revision is therefore not
//! applied by that waypoint, whatever its target: the engine drops that attachment here, once,
//! for explain, check and diff alike.

use super::attach::{RefOutcome, RefResolution};
use crate::mesh::revision::RevisionFrom;
use crate::mesh::Mesh;
use crate::model::ObjectMeta;
use crate::snapshot::REV_LABEL;

/// Removes from `refs` the waypoints whose revision ignores a policy labelled as `policy`
/// is, and returns them. Only a waypoint whose revision is named by a label and run by an
/// istiod of the input is decided: an unlabelled one goes to whichever istiod holds the
/// `default` tag, which the input does not say (AMB055 is silent there too).
pub fn drop_other_revision(
    mesh: &Mesh,
    policy: &ObjectMeta,
    refs: &mut [RefResolution],
) -> Vec<usize> {
    let Some(label) = policy.label(REV_LABEL).filter(|l| !l.is_empty()) else {
        return vec![];
    };
    let mut ignored: Vec<usize> = Vec::new();
    for r in refs.iter_mut() {
        let before = r.outcomes.len();
        r.outcomes.retain(|o| {
            let RefOutcome::Waypoint { waypoint, .. } = o else {
                return true;
            };
            let rev = mesh.waypoint_revision(*waypoint);
            let ignores =
                rev.from != RevisionFrom::Default && rev.istiod.is_some() && rev.name != label;
            if ignores && !ignored.contains(waypoint) {
                ignored.push(*waypoint);
            }
            !ignores
        });
        if before > 0 && r.outcomes.is_empty() {
            let programmed = ignored
                .iter()
                .map(|&w| {
                    let rev = mesh.waypoint_revision(w);
                    format!(
                        "waypoint {} is programmed by istiod revision {}",
                        mesh.waypoints[w].key(),
                        rev.name
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            r.outcomes.push(RefOutcome::NotEnforced {
                reason: format!(
                    "the policy is labelled istio.io/rev={label}, but {programmed}, which takes only policies unlabelled or labelled for its own revision"
                ),
            });
        }
    }
    ignored
}
