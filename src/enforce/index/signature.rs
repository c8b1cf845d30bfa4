//! Pods enforced alike: the signature of what a destination hop depends on.

use super::{Index, Origin};
use crate::mesh::Dataplane;
use crate::parallel::{self, Split};
use foldhash::HashMap;
use std::convert::Infallible;
use std::fmt::Write;

/// Pods whose signatures one thread asks at a time (`warm`).
const PER_PIECE: usize = 256;

impl Index<'_> {
    /// Everything the destination hop of pod `d` depends on, numbered: pods with equal
    /// signatures are enforced alike (replicas of one workload), so a question is asked once
    /// per group. The text is kept once per distinct signature, not per pod.
    pub fn signature(&self, d: usize) -> u32 {
        *self.sigs[d].get_or_init(|| {
            let mut text = String::new();
            self.signature_text(d, &mut text);
            number(&mut parallel::lock(&self.sig_ids), &text)
        })
    }

    /// Asks the signature of each of `pods` on every core, and with it what it depends on
    /// (the pod's held list and mTLS), before the analyses ask them pod by pod.
    pub fn warm(&self, pods: &[usize]) {
        // A piece's texts are made first and numbered under one lock: a lock per pod, taken
        // by every thread in turn, cost more than the numbering.
        // They are written one after the other into one buffer, kept for the thread's next
        // piece: a text is copied only when it is new.
        let build = |(texts, ends): &mut (String, Vec<(usize, usize)>), piece: &[usize]| {
            for &d in piece.iter().filter(|&&d| self.sigs[d].get().is_none()) {
                self.signature_text(d, texts);
                ends.push((d, texts.len()));
            }
            let mut ids = parallel::lock(&self.sig_ids);
            let mut start = 0;
            for (d, end) in ends.drain(..) {
                let id = number(&mut ids, &texts[start..end]);
                start = end;
                // Pieces are disjoint: no other thread sets this pod's.
                let _ = self.sigs[d].set(id);
            }
            texts.clear();
        };
        let split = Split::for_machine(PER_PIECE);
        let state = || (String::new(), Vec::new());
        let Ok(()) = parallel::in_order(pods, split, state, build, |()| Ok::<_, Infallible>(()));
    }

    /// Appends pod `d`'s signature to `out`.
    fn signature_text(&self, d: usize, out: &mut String) {
        let (snap, info) = (self.snap, &self.mesh.pods[d]);
        let pod = &snap.pods[d];
        let held = self.ztunnel(d);
        let sidecar = if info.dataplane == Dataplane::Sidecar {
            self.sidecar_policies(d)
        } else {
            vec![]
        };
        let m = &self.mtls(d).outcome;
        // The pod's own IP matters only to a `destination.ip` condition.
        let by_ip = held
            .iter()
            .filter_map(|h| match h.origin {
                Origin::Policy(i) => Some(i),
                _ => None,
            })
            .chain(sidecar.iter().copied())
            .any(|i| {
                snap.authorization_policies[i]
                    .spec
                    .rules
                    .as_deref()
                    .unwrap_or(&[])
                    .iter()
                    .any(|r| r.when.iter().any(|w| w.key == "destination.ip"))
            });
        // The CNI's gate in front of it: the NetworkPolicies isolating it for ingress, and
        // its named ports they may name.
        let np = self.network_policies();
        let netpol = if np.any() {
            format!(
                "{:?}{:?}",
                np.selecting(d, crate::enforce::netpol::Direction::Ingress),
                pod.spec.named_ports
            )
        } else {
            String::new()
        };
        // Writing to a String does not fail.
        let _ = write!(
            out,
            "{}|{:?}|{}|{:?}|{:x}|{:?}|{}|{}|{:?}|{}|{netpol}",
            pod.metadata.namespace,
            info.dataplane,
            info.reason,
            info.binding.waypoint,
            self.held_list_id(d),
            sidecar,
            info.bypass_inbound,
            m.describe(),
            m.consulted,
            if by_ip {
                pod.status.pod_ip.as_str()
            } else {
                ""
            },
        );
    }
}

/// The number of signature `text` in `ids`: stored (and copied) only the first time.
fn number(ids: &mut HashMap<String, u32>, text: &str) -> u32 {
    if let Some(&id) = ids.get(text) {
        return id;
    }
    let next = ids.len() as u32;
    ids.insert(text.to_string(), next);
    next
}
