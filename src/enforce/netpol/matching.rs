//! The parts of a NetworkPolicy rule: peers (pod and namespace selectors, ipBlock with
//! except) and ports (number, range, named container port, protocol).

use super::{NetworkPolicies, Subject};
use crate::enforce::ztunnel::Cidr;
use crate::model::{IpBlock, NetworkPolicyPeer, NetworkPolicyPort};
use std::net::IpAddr;

/// Whether one peer entry (`from` or `to` item) matches the peer: `pod` when it is one (or a
/// waypoint's pod), `address` its address when known. Selectors match pods only; an
/// `ipBlock` matches addresses, a pod's by its `status.podIP` (which CNIs may treat
/// differently: said as an assumption). `Err`: the address is unknown.
pub(super) fn peer_matches(
    np: &NetworkPolicies,
    entry: &NetworkPolicyPeer,
    policy_ns: &str,
    pod: Option<&Subject>,
    address: Option<IpAddr>,
) -> Result<bool, String> {
    if let Some(block) = &entry.ip_block {
        return match address {
            Some(ip) => Ok(ip_in_block(block, ip)),
            None => Err(format!("the source address, for ipBlock {}", block.cidr)),
        };
    }
    // Selectors select pods; nothing else matches them.
    let Some(pod) = pod else {
        return Ok(false);
    };
    let ns_ok = match &entry.namespace_selector {
        Some(sel) => sel.matches(&np.ns_labels(pod.ns)),
        // Without a namespaceSelector, the policy's own namespace.
        None => pod.ns == policy_ns,
    };
    let pod_ok = entry
        .pod_selector
        .as_ref()
        .is_none_or(|sel| sel.matches(&pod.labels));
    // An entry with neither selector nor ipBlock is invalid; the API server rejects it.
    let any = entry.namespace_selector.is_some() || entry.pod_selector.is_some();
    Ok(any && ns_ok && pod_ok)
}

/// `cidr` minus its `except` blocks; an unparsable block matches nothing (the API server
/// rejects it).
pub fn ip_in_block(b: &IpBlock, ip: IpAddr) -> bool {
    Cidr::parse(&b.cidr).is_some_and(|c| b.cidr.contains('/') && c.contains(ip))
        && !b
            .except
            .iter()
            .filter_map(|e| Cidr::parse(e))
            .any(|e| e.contains(ip))
}

/// Whether a port entry matches TCP `port` on the receiving pod: every port when absent, a
/// number (or the range up to `endPort`), or a name, which is the receiver's container port
/// of that name (`receiver`: its named ports; a name no container declares matches nothing).
pub fn port_matches(p: &NetworkPolicyPort, port: u16, receiver: Option<&[(String, u32)]>) -> bool {
    if !p
        .protocol
        .as_deref()
        .unwrap_or("TCP")
        .eq_ignore_ascii_case("TCP")
    {
        return false;
    }
    let port = u32::from(port);
    match &p.port {
        None => true,
        Some(serde_json::Value::Number(n)) => {
            let Some(start) = n.as_u64().and_then(|n| u32::try_from(n).ok()) else {
                return false;
            };
            match p.end_port {
                Some(end) => (start..=end).contains(&port),
                None => start == port,
            }
        }
        Some(serde_json::Value::String(name)) => {
            receiver.is_some_and(|ports| ports.iter().any(|(n, p)| n == name && *p == port))
        }
        Some(_) => false,
    }
}
