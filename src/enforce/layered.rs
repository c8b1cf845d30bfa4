//! `ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES` (docs/versions.md
//! `layered-waypoint-authorization`, 1.25+, off by default): a waypoint's HBONE termination
//! enforces the policies that select its own pods with the standard workload-selector
//! semantics (selector, namespace and root policies, as a sidecar's), and only their L4 rules
//! (`authz.NewWaypointTerminationBuilder` and `BuildTCPRulesAsHTTPFilter` in
//! `pilot/pkg/networking/core/listener_waypoint.go` at 1.25.0). One predicate places them for
//! `explain` and decides them for `check`.

use super::attach::sidecar_attaches;
use super::evaluate::l4::{self, Conn};
use super::evaluate::{HopDecision, Outcome};
use super::ztunnel::Action;
use super::Index;
use crate::versions::Row;

/// The port of the connection the termination sees: HBONE's, whatever the request's.
pub const HBONE_PORT: u16 = 15008;

impl Index<'_> {
    /// Whether policy `i` selects the waypoint pod `d` as a sidecar's policy would, and
    /// reaches the Envoy builder (not refused, not a CUSTOM or AUDIT kept from it).
    fn selects_waypoint_pod(&self, i: usize, d: usize) -> bool {
        let p = &self.snap.authorization_policies[i];
        p.spec.attachment.target_refs().is_empty()
            && self.conversions[i].not_sent.is_none()
            && self.admitted_policy(i).is_some()
            && sidecar_attaches(
                &p.metadata.namespace,
                p.spec.attachment.selector.as_ref(),
                &self.snap.pods[d],
                self.root(),
            )
    }

    /// Whether policy `i` is enforced at the HBONE termination of the waypoint whose pod is
    /// `d`. Asks the version rule last, so that it is recorded only where it decides.
    pub fn layered_at(&self, i: usize, d: usize) -> bool {
        self.selects_waypoint_pod(i, d) && self.mesh.rules.layered_waypoint_policies()
    }

    /// The policies waypoint `w`'s HBONE termination enforces, and the version row that
    /// decided it when the flag is on and a policy selects the waypoint's pod (`LayeredNone`
    /// with an empty list: the release does not know the flag). Nothing without a pod of the
    /// waypoint in the input.
    pub fn layered_policies(&self, w: usize) -> (Vec<usize>, Option<Row>) {
        let Some(d) = self.mesh.waypoint_pod(w) else {
            return (Vec::new(), None);
        };
        let ns = &self.snap.pods[d].metadata.namespace;
        let mut v: Vec<usize> = self
            .candidate_aps(ns)
            .filter(|&i| self.selects_waypoint_pod(i, d))
            .collect();
        if v.is_empty() {
            return (v, None);
        }
        match self.mesh.rules.layered_waypoint_row() {
            Some((true, row)) => {
                v.sort_unstable();
                (v, Some(row))
            }
            Some((false, row)) => (Vec::new(), Some(row)),
            None => (Vec::new(), None),
        }
    }

    /// The termination's decision over `policies` for connection `c` (the client's identity
    /// and address, HBONE's port): their L4 rules as the conversion keeps them; a dry-run
    /// policy is a shadow rule that never decides.
    pub fn decide_layered(&self, policies: &[usize], c: &Conn) -> (Vec<Outcome>, HopDecision) {
        let held: Vec<l4::Held> = policies
            .iter()
            .map(|&i| {
                let c = &self.conversions[i];
                let action = if c.dry_run { Action::Audit } else { c.action };
                (action, c.rules.as_slice())
            })
            .collect();
        l4::decide(&held, c)
    }
}
