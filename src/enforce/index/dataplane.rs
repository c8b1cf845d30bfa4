//! The Index deciding on what a ztunnel really holds (`check --ztunnel-dump`): each
//! destination ztunnel's entries come from a dump's policies (`enforce::held`) instead of the
//! model's conversion; the evaluation that follows is the same.

use super::{Held, Index, Origin};
use crate::enforce::held::{self, DataplanePolicies};
use crate::enforce::ztunnel::Action;
use std::sync::OnceLock;

impl<'a> Index<'a> {
    /// Destination ztunnels decide on the policies of `dp` (a config dump), not on the
    /// model's conversion; everything else stays the model's.
    pub fn with_dataplane(mut self, dp: DataplanePolicies) -> Self {
        self.dataplane = Some(dp);
        self.ztunnel = (0..self.snap.pods.len()).map(|_| OnceLock::new()).collect();
        self.decisions = Default::default();
        self
    }

    /// The dump the destination ztunnels decide on, if any.
    pub fn dataplane(&self) -> Option<&DataplanePolicies> {
        self.dataplane.as_ref()
    }

    /// Whether an entry is istiod's DENY of plaintext (from PeerAuthentication), in the model
    /// or in a dump.
    pub fn is_peer_authentication(&self, origin: Origin) -> bool {
        match origin {
            Origin::PeerAuthentication => true,
            Origin::Dataplane(k) => self
                .dataplane
                .as_ref()
                .is_some_and(|dp| held::is_peer_authentication(&dp.policies[k].name)),
            _ => false,
        }
    }

    /// Pod `d`'s entries in a dump (`with_dataplane`), in Istio's order.
    pub(super) fn dataplane_held(&self, dp: &DataplanePolicies, d: usize) -> Vec<Held> {
        let pod = &self.snap.pods[d];
        let mut names: Vec<&str> = vec![&pod.metadata.name];
        names.extend(pod.controllers.iter().map(|(_, n)| n.as_str()));
        let model_keys: Vec<String> = self.zt_attached()[d]
            .iter()
            .map(|&i| {
                let m = &self.snap.authorization_policies[i].metadata;
                format!("{}/{}", m.namespace, m.name)
            })
            .collect();
        let mut out: Vec<Held> = dp
            .for_workload(&pod.metadata.namespace, &names, &model_keys)
            .into_iter()
            .map(|k| Held {
                origin: Origin::Dataplane(k),
                action: dp.policies[k].action,
            })
            .collect();
        out.sort_by_cached_key(|h| {
            let Origin::Dataplane(k) = h.origin else {
                unreachable!()
            };
            let p = &dp.policies[k];
            (
                h.action != Action::Deny,
                !held::is_peer_authentication(&p.name),
                p.namespace.clone(),
                p.name.clone(),
            )
        });
        out
    }
}
