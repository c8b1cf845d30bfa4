//! Kubernetes NetworkPolicy, the CNI's gate below Istio's (issue 15): for one connection on
//! the wire (sender, receiver, port), the sender's egress policies and the receiver's
//! ingress policies, with the Kubernetes semantics: a pod is isolated in a direction only
//! when a policy of its namespace selects it for that direction; then some rule of those
//! policies must admit the peer and the port (rules and policies add up).
//!
//! Three-valued where the input does not say: a pod without an address against an
//! `ipBlock`, a client whose address was not given.

mod matching;
#[cfg(test)]
mod tests;

pub use matching::{ip_in_block, port_matches};

use crate::mesh::Mesh;
use crate::model::{NetworkPolicy, NetworkPolicyRule, Pod};
use crate::snapshot::NAMESPACE_NAME_LABEL;
use matching::peer_matches;
use std::collections::HashMap;
use std::net::IpAddr;

/// One end of a connection as the CNI sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// A pod of the Snapshot (its address is `status.podIP`).
    Pod(usize),
    /// A pod of waypoint `Mesh::waypoints[w]` that the input does not hold (a waypoint as
    /// `istioctl waypoint generate` prints it): its namespace and the label istiod's
    /// Deployment gives it are known, its address is not.
    Waypoint(usize),
    /// Anything else: a client outside the cluster, kubelet's probes; the address if known.
    Address(Option<IpAddr>),
}

/// What a NetworkPolicy can see of a pod: namespace, labels, address, named ports.
pub(crate) struct Subject<'s> {
    pub ns: &'s str,
    pub labels: std::borrow::Cow<'s, crate::selector::Labels>,
    pub ip: Option<IpAddr>,
    pub named_ports: &'s [(String, u32)],
    pub host_network: bool,
}

/// A connection on the wire: what the CNI evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    pub from: Endpoint,
    pub to: Endpoint,
    /// The destination port the packets carry: 15008 for HBONE, else the pod's port.
    pub port: u16,
}

/// One direction's gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// The endpoint is no pod of the input: no NetworkPolicy applies to it.
    Outside,
    /// No NetworkPolicy selects the pod for this direction.
    NotIsolated,
    /// Rule `rule` (0-based, in `ingress` or `egress`) of policy `policy` admits it.
    Admitted { policy: usize, rule: usize },
    /// Isolated by these policies, and no rule of theirs admits it.
    Denied { policies: Vec<usize> },
    /// Isolated, and a rule may admit it: `needs` says what decides.
    Unknown {
        policy: usize,
        rule: usize,
        needs: String,
    },
}

impl Gate {
    /// true admitted, false denied, None unknown.
    pub fn admits(&self) -> Option<bool> {
        match self {
            Gate::Outside | Gate::NotIsolated | Gate::Admitted { .. } => Some(true),
            Gate::Denied { .. } => Some(false),
            Gate::Unknown { .. } => None,
        }
    }
}

/// The two gates of one wire: the sender's egress, then the receiver's ingress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireVerdict {
    pub egress: Gate,
    pub ingress: Gate,
}

impl WireVerdict {
    pub fn admits(&self) -> Option<bool> {
        match (self.egress.admits(), self.ingress.admits()) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// The NetworkPolicies of a Snapshot, by namespace.
pub struct NetworkPolicies<'a> {
    mesh: &'a Mesh<'a>,
    by_ns: HashMap<&'a str, Vec<usize>>,
}

impl<'a> NetworkPolicies<'a> {
    pub fn new(mesh: &'a Mesh<'a>) -> Self {
        let mut by_ns: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in mesh.snap.network_policies.iter().enumerate() {
            by_ns
                .entry(p.metadata.namespace.as_str())
                .or_default()
                .push(i);
        }
        NetworkPolicies { mesh, by_ns }
    }

    pub fn policy(&self, i: usize) -> &'a NetworkPolicy {
        &self.mesh.snap.network_policies[i]
    }

    /// Whether the input holds any NetworkPolicy.
    pub fn any(&self) -> bool {
        !self.mesh.snap.network_policies.is_empty()
    }

    /// The policies that select pod `d` for `dir`, in namespace then name order.
    pub fn selecting(&self, d: usize, dir: Direction) -> Vec<usize> {
        self.subject(Endpoint::Pod(d))
            .map_or_else(Vec::new, |s| self.selecting_subject(&s, dir))
    }

    fn selecting_subject(&self, s: &Subject, dir: Direction) -> Vec<usize> {
        let Some(ps) = self.by_ns.get(s.ns) else {
            return Vec::new();
        };
        ps.iter()
            .copied()
            .filter(|&i| {
                let spec = &self.policy(i).spec;
                let (ingress, egress) = spec.types();
                let typed = match dir {
                    Direction::Ingress => ingress,
                    Direction::Egress => egress,
                };
                typed && spec.selects(&s.labels)
            })
            .collect()
    }

    /// What policies see of an endpoint; `None` for an address (no policy selects it).
    pub(crate) fn subject(&self, e: Endpoint) -> Option<Subject<'a>> {
        match e {
            Endpoint::Pod(d) => {
                let pod = self.pod(d);
                Some(Subject {
                    ns: &pod.metadata.namespace,
                    labels: std::borrow::Cow::Borrowed(&pod.metadata.labels),
                    ip: pod.status.pod_ip.parse().ok(),
                    named_ports: &pod.spec.named_ports,
                    host_network: pod.spec.host_network,
                })
            }
            Endpoint::Waypoint(w) => {
                let wp = &self.mesh.waypoints[w];
                Some(Subject {
                    ns: &wp.namespace,
                    labels: std::borrow::Cow::Owned(wp.pod_labels()),
                    ip: None,
                    named_ports: &[],
                    host_network: false,
                })
            }
            Endpoint::Address(_) => None,
        }
    }

    /// The labels of a namespace, with the name label the API server always sets.
    pub(crate) fn ns_labels(&self, ns: &str) -> crate::selector::Labels {
        let mut l = self.mesh.ns_labels(ns).cloned().unwrap_or_default();
        if !l.contains_key(NAMESPACE_NAME_LABEL) {
            l.insert(NAMESPACE_NAME_LABEL.into(), ns.to_string());
        }
        l
    }

    pub(crate) fn pod(&self, d: usize) -> &'a Pod {
        &self.mesh.snap.pods[d]
    }

    /// Waypoint `w` as an end of a wire: its pod, else its pods as istiod labels them.
    pub fn waypoint_end(&self, w: usize) -> Endpoint {
        self.mesh
            .waypoint_pod(w)
            .map_or(Endpoint::Waypoint(w), Endpoint::Pod)
    }

    /// The gates of one wire.
    pub fn evaluate(&self, w: &Wire) -> WireVerdict {
        WireVerdict {
            egress: self.gate(w.from, w.to, w.port, Direction::Egress),
            ingress: self.gate(w.to, w.from, w.port, Direction::Ingress),
        }
    }

    /// What policies see of `e` and those that isolate it in `dir`; `Err`: the gate is open
    /// (no pod, a hostNetwork pod, which shares the node's network, or no policy selects it).
    fn isolating(&self, e: Endpoint, dir: Direction) -> Result<(Subject<'a>, Vec<usize>), Gate> {
        let me = self.subject(e).ok_or(Gate::Outside)?;
        if me.host_network {
            return Err(Gate::Outside);
        }
        let selecting = self.selecting_subject(&me, dir);
        if selecting.is_empty() {
            return Err(Gate::NotIsolated);
        }
        Ok((me, selecting))
    }

    /// The gate of `own` (the pod whose policies apply) for a connection with `peer` on
    /// `port` (always the receiver's port; a named port is the receiver's container port).
    fn gate(&self, own: Endpoint, peer: Endpoint, port: u16, dir: Direction) -> Gate {
        let (me, selecting) = match self.isolating(own, dir) {
            Ok(x) => x,
            Err(open) => return open,
        };
        let other = self.subject(peer);
        // A named port is the receiver's container port.
        let receiver_ports = match dir {
            Direction::Ingress => Some(me.named_ports),
            Direction::Egress => other.as_ref().map(|o| o.named_ports),
        };
        let address = match peer {
            Endpoint::Address(ip) => ip,
            _ => other.as_ref().and_then(|o| o.ip),
        };
        let mut unknown = None;
        for &i in &selecting {
            let p = self.policy(i);
            let rules: &[NetworkPolicyRule] = match dir {
                Direction::Ingress => &p.spec.ingress,
                Direction::Egress => &p.spec.egress,
            };
            for (r, rule) in rules.iter().enumerate() {
                let ports_ok = rule.ports.is_empty()
                    || rule
                        .ports
                        .iter()
                        .any(|p| port_matches(p, port, receiver_ports));
                if !ports_ok {
                    continue;
                }
                let verdict = if rule.from.is_empty() {
                    Ok(true)
                } else {
                    let mut needs = None;
                    let mut hit = false;
                    for entry in &rule.from {
                        match peer_matches(
                            self,
                            entry,
                            &p.metadata.namespace,
                            other.as_ref(),
                            address,
                        ) {
                            Ok(true) => {
                                hit = true;
                                break;
                            }
                            Ok(false) => {}
                            Err(n) => needs = Some(n),
                        }
                    }
                    if hit {
                        Ok(true)
                    } else {
                        needs.map_or(Ok(false), Err)
                    }
                };
                match verdict {
                    Ok(true) => return Gate::Admitted { policy: i, rule: r },
                    Ok(false) => {}
                    Err(needs) => {
                        unknown.get_or_insert(Gate::Unknown {
                            policy: i,
                            rule: r,
                            needs,
                        });
                    }
                }
            }
        }
        unknown.unwrap_or(Gate::Denied {
            policies: selecting,
        })
    }

    /// The gate of pod `d` in `dir` for a peer the question does not name (a class of
    /// clients, as explain's paths have them; any destination): admitted when a rule admits
    /// every peer on `port`, denied when no rule admits `port` at all, else it depends on the
    /// peer. `port: None`: any port.
    pub fn for_any(&self, d: usize, dir: Direction, port: Option<u16>) -> Gate {
        self.for_any_end(Endpoint::Pod(d), dir, port)
    }

    /// `for_any` for any endpoint (a waypoint's pods the input lacks too).
    pub fn for_any_end(&self, e: Endpoint, dir: Direction, port: Option<u16>) -> Gate {
        self.for_peers(e, dir, port, |entries| {
            if entries.is_empty() {
                Some(true)
            } else {
                None
            }
        })
    }

    /// The ingress gate of pod `d` for connections from address `ip` on any port (kubelet's
    /// probes from 169.254.7.127 under ambient): only an empty `from` or an `ipBlock` admits
    /// an address.
    pub fn ingress_from_address(&self, d: usize, ip: IpAddr) -> Gate {
        self.for_peers(Endpoint::Pod(d), Direction::Ingress, None, |entries| {
            Some(
                entries.is_empty()
                    || entries
                        .iter()
                        .filter_map(|e| e.ip_block.as_ref())
                        .any(|b| ip_in_block(b, ip)),
            )
        })
    }

    /// The rules of the policies isolating `d` in `dir` whose ports fit `port`, asked
    /// `peers` about their peer entries (true admits, false never, None depends).
    fn for_peers(
        &self,
        e: Endpoint,
        dir: Direction,
        port: Option<u16>,
        peers: impl Fn(&[crate::model::NetworkPolicyPeer]) -> Option<bool>,
    ) -> Gate {
        let (me, selecting) = match self.isolating(e, dir) {
            Ok(x) => x,
            Err(open) => return open,
        };
        let mut depends = None;
        for &i in &selecting {
            let spec = &self.policy(i).spec;
            let rules = match dir {
                Direction::Ingress => &spec.ingress,
                Direction::Egress => &spec.egress,
            };
            for (r, rule) in rules.iter().enumerate() {
                // A named port is the receiver's container port: known for ingress; for
                // egress to any destination it is some application port, never HBONE's, so
                // the callers (which ask about 15008) may count it out.
                let receiver = (dir == Direction::Ingress).then_some(me.named_ports);
                let port_ok = rule.ports.is_empty()
                    || port.is_none_or(|port| {
                        rule.ports.iter().any(|p| port_matches(p, port, receiver))
                    });
                if !port_ok {
                    continue;
                }
                match peers(&rule.from) {
                    Some(true) if port.is_some() || rule.ports.is_empty() => {
                        return Gate::Admitted { policy: i, rule: r }
                    }
                    Some(false) => {}
                    _ => {
                        depends.get_or_insert(Gate::Unknown {
                            policy: i,
                            rule: r,
                            needs: "the peer".into(),
                        });
                    }
                }
            }
        }
        depends.unwrap_or(Gate::Denied {
            policies: selecting,
        })
    }
}

/// HBONE's port: what the CNI sees of mesh traffic to a captured pod or a waypoint.
pub const HBONE_PORT: u16 = 15008;

/// The destination port on the wire: HBONE's when a mesh sender (ambient, sidecar, ingress
/// gateway, waypoint) reaches a captured pod or a waypoint (SEMANTICS.md 3.5), else the pod's
/// own port (a plaintext client keeps it).
pub fn port_on_wire(
    mesh: &Mesh,
    sender_in_mesh: bool,
    to: Endpoint,
    pod_port: Option<u16>,
) -> Option<u16> {
    use crate::mesh::{Dataplane, Role};
    let captured = match to {
        Endpoint::Pod(d) => {
            let p = &mesh.pods[d];
            matches!(p.role, Role::Waypoint(_)) || p.dataplane == Dataplane::Ambient
        }
        Endpoint::Waypoint(_) => true,
        Endpoint::Address(_) => false,
    };
    if sender_in_mesh && captured {
        Some(HBONE_PORT)
    } else {
        pod_port
    }
}
