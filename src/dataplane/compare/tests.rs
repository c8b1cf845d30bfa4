//! The comparison on hand-made sides, for what the captured dumps do not hold: a canary pair
//! of waypoints (`weightedWaypoints`, ztunnel 1.31).

use super::*;
use crate::dataplane::expect::{ExpService, Expected};
use crate::dataplane::{Dump, Service};

fn expected(weighted: &[(&str, u32)]) -> Expected {
    Expected {
        workloads: Vec::new(),
        services: vec![ExpService {
            namespace: "shop".into(),
            name: "api".into(),
            waypoint: Some(("shop".into(), "waypoint".into())),
            weighted: weighted.iter().map(|(w, n)| (w.to_string(), *n)).collect(),
            cluster_ips: Vec::new(),
        }],
        policies: BTreeMap::new(),
        trust_domain: "cluster.local".into(),
        unplaced_port_level: BTreeSet::new(),
        not_sent: BTreeMap::new(),
        selecting_services: BTreeSet::new(),
    }
}

fn service(name: &str, vip: &str, waypoint: Option<&str>, weighted: &[(&str, u32)]) -> Service {
    Service {
        name: name.into(),
        namespace: "shop".into(),
        hostname: format!("{name}.shop.svc.cluster.local"),
        vips: vec![format!("/{vip}")],
        waypoint: waypoint.map(str::to_string),
        weighted_waypoints: weighted.iter().map(|(d, n)| (d.to_string(), *n)).collect(),
    }
}

fn dump(weighted: &[(&str, u32)]) -> Dump {
    Dump {
        source: "node".into(),
        form: Form::ConfigDump,
        workloads: None,
        policies: None,
        services: Some(vec![
            service("api", "10.96.0.1", Some("/10.96.0.9"), weighted),
            service("waypoint", "10.96.0.9", None, &[]),
            service("waypoint-canary", "10.96.0.10", None, &[]),
        ]),
        lacks: Vec::new(),
    }
}

fn codes(v: &Verification) -> Vec<(&str, &str)> {
    v.disagreements
        .iter()
        .map(|d| (d.code, d.object.as_str()))
        .collect()
}

#[test]
fn weighted_waypoints_are_compared_by_waypoint_and_share() {
    let pair = [("shop/waypoint", 90), ("shop/waypoint-canary", 10)];
    // ztunnel names them by address (or by hostname); either resolves through its Services.
    let held = [
        ("/10.96.0.9", 90),
        ("shop/waypoint-canary.shop.svc.cluster.local", 10),
    ];
    let v = compare(&expected(&pair), &[dump(&held)], None, "istio-system");
    assert_eq!(codes(&v), vec![], "{v:#?}");

    let other_share = [("/10.96.0.9", 50), ("/10.96.0.10", 50)];
    let v = compare(
        &expected(&pair),
        &[dump(&other_share)],
        None,
        "istio-system",
    );
    assert_eq!(codes(&v), vec![("AMB064", "Service/shop/api")]);
    let d = &v.disagreements[0];
    assert_eq!(
        d.model,
        "weighted waypoints shop/waypoint 90%, shop/waypoint-canary 10%"
    );
    assert_eq!(
        d.dataplane,
        "weighted waypoints shop/waypoint 50%, shop/waypoint-canary 50%"
    );

    // A canary the model has but ztunnel does not (istiod fell back, or is older than 1.31).
    let v = compare(&expected(&pair), &[dump(&[])], None, "istio-system");
    assert_eq!(codes(&v), vec![("AMB064", "Service/shop/api")]);
    assert_eq!(v.disagreements[0].dataplane, "no weighted waypoints");

    // No canary on either side.
    let v = compare(&expected(&[]), &[dump(&[])], None, "istio-system");
    assert_eq!(codes(&v), vec![]);
}
