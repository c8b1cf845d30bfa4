//! What `verify` reports: the comparison, and a finding per disagreement (AMB060-AMB068) and
//! per ztunnel that could not be read (AMB069), so `--fail-on` and the finding catalogue work
//! as for `explain`.

use super::compare::{Disagreement, Verification};
use crate::findings::{Finding, DP_NODE_UNREAD};
use serde::Serialize;

/// `verify -o json|yaml` (schema/verification.schema.json).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The namespace compared; `None`: every namespace.
    pub namespace: Option<String>,
    pub verification: Verification,
    pub findings: Vec<Finding>,
}

/// The finding of one disagreement.
pub fn finding_of(d: &Disagreement) -> Finding {
    let c = d.kind.code();
    let detail = d
        .detail
        .as_deref()
        .map(|x| format!(" ({x})"))
        .unwrap_or_default();
    Finding {
        severity: c.severity,
        code: c.code.into(),
        resource: d.object.clone(),
        message: format!(
            "{}: the model says {}; ztunnel holds {}{detail}. Likely cause: {}",
            c.title, d.model, d.dataplane, d.cause
        ),
        resolution: c.resolution.into(),
    }
}

/// One finding per disagreement, then one per ztunnel that could not be read.
pub fn findings_of(v: &Verification) -> Vec<Finding> {
    let mut out: Vec<Finding> = v.disagreements.iter().map(finding_of).collect();
    for n in &v.nodes {
        if let Some(e) = &n.error {
            out.push(Finding {
                severity: DP_NODE_UNREAD.severity,
                code: DP_NODE_UNREAD.code.into(),
                resource: format!("ztunnel {}", n.node),
                message: format!("{}: {e}", DP_NODE_UNREAD.title),
                resolution: DP_NODE_UNREAD.resolution.into(),
            });
        }
    }
    out
}
