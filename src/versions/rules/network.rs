//! The rules of a multi-network mesh: which network istiod puts a pod on, and which waypoint
//! applies L7 policy to a request between networks (SEMANTICS.md 13, "multi-network
//! waypoints").

use super::{v, Row, Rules};

impl Rules {
    /// AMBIENT_ENABLE_MULTI_NETWORK (read only with PILOT_ENABLE_AMBIENT, `registerAmbient`).
    pub fn with_multi_network(mut self, on: bool) -> Self {
        self.multi_network_flag = on;
        self
    }

    /// Whether a pod's own `topology.istio.io/network` label and `meshNetworks` decide its
    /// network: for every pod on 1.24 (`Controller.Network`, called by the ambient index), for
    /// a sidecar's endpoints on every release; from 1.25 the ambient index puts every pod on
    /// the network of istiod's namespace (`SystemNamespaceNetwork`). Records nothing.
    pub fn pod_network_from_labels(&self, sidecar: bool) -> bool {
        sidecar || self.istiod.version < v(25, 0)
    }

    /// The `workload-network` row in force, recorded: asked where a pod's label or
    /// `meshNetworks` names another network than istiod's namespace.
    pub fn workload_network_row(&self) -> Row {
        self.apply(if self.istiod.version < v(25, 0) {
            Row::NetworkFromPodLabel
        } else {
            Row::NetworkFromSystemNamespace
        })
    }

    /// Asked for a request whose source and destination are on different networks: whether
    /// the source-side waypoint of the Service applies its L7 policy (1.28+ with
    /// AMBIENT_ENABLE_MULTI_NETWORK), and the row.
    pub fn multi_network_waypoint(&self) -> (bool, Row) {
        if self.istiod.version < v(28, 0) {
            (false, self.apply(Row::MultiNetworkWaypointNone))
        } else if !self.multi_network_flag {
            (false, self.apply(Row::MultiNetworkWaypointOff))
        } else {
            (true, self.apply(Row::MultiNetworkWaypoint))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::Running;

    fn rules(ver: &str, flag: bool) -> Rules {
        let i = Running::detect(Some((ver, "--istio-version")), None);
        Rules::new(i.clone(), i, false, false).with_multi_network(flag)
    }

    #[test]
    fn source_side_waypoint_from_1_28_with_the_flag() {
        for (ver, flag, applies, row) in [
            ("1.24.6", true, false, Row::MultiNetworkWaypointNone),
            ("1.27.9", true, false, Row::MultiNetworkWaypointNone),
            ("1.28.0", false, false, Row::MultiNetworkWaypointOff),
            ("1.28.0", true, true, Row::MultiNetworkWaypoint),
            ("1.28.0-rc.1", true, true, Row::MultiNetworkWaypoint),
            ("1.31.0", true, true, Row::MultiNetworkWaypoint),
        ] {
            let r = rules(ver, flag);
            assert!(r.applied().is_empty());
            assert_eq!(r.multi_network_waypoint(), (applies, row), "{ver} {flag}");
            assert_eq!(r.applied(), vec![row]);
        }
    }

    #[test]
    fn pod_labels_decide_the_network_on_1_24_and_for_sidecars() {
        for (ver, sidecar, labels, row) in [
            ("1.24.6", false, true, Row::NetworkFromPodLabel),
            ("1.24.6", true, true, Row::NetworkFromPodLabel),
            ("1.25.0", false, false, Row::NetworkFromSystemNamespace),
            ("1.25.0", true, true, Row::NetworkFromSystemNamespace),
            ("1.30.1", false, false, Row::NetworkFromSystemNamespace),
        ] {
            let r = rules(ver, false);
            assert_eq!(
                r.pod_network_from_labels(sidecar),
                labels,
                "{ver} {sidecar}"
            );
            assert!(r.applied().is_empty(), "asking records nothing");
            assert_eq!(r.workload_network_row(), row);
        }
    }
}
