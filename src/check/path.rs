//! One request along its path (SEMANTICS.md 3.5): the hops for the source class and the
//! address (`enforce::hops`), and at each hop the identity seen, the mTLS requirement and
//! every policy evaluated there (`enforce::Index`). Pure: Snapshot and Mesh in, report out.

use super::hop::{self, Hop, Seen};
use super::netpol as np_hop;
use super::report::*;
use super::resolve::{Client, ClientClass, Target};
use super::verdict::verdict;
use crate::enforce::evaluate::envoy::Request;
use crate::enforce::evaluate::l4::Conn;
use crate::enforce::evaluate::Peer;
use crate::enforce::hops;
use crate::enforce::netpol::{self, Endpoint};
use crate::enforce::Index;
use crate::versions::Row;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Attributes the user gave; nothing else is assumed.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub method: Option<String>,
    pub path: Option<String>,
    /// Names lowercased.
    pub headers: BTreeMap<String, String>,
    pub request_principal: Option<String>,
    pub source_ip: Option<IpAddr>,
}

/// The hops for one endpoint pod (or none: a ServiceEntry without workloads).
fn hops_for(
    ix: &Index,
    client: &Client,
    target: &Target,
    q: &Query,
    endpoint: Option<usize>,
    canary: bool,
) -> (Vec<Hop>, Vec<String>) {
    let mesh = ix.mesh;
    let mut notes = Vec::new();
    let base = Request {
        peer: Peer::Plaintext,
        source_ip: q.source_ip.or(client.ip),
        remote_ip: q.source_ip.or(client.ip),
        destination_ip: None,
        port: target.port,
        host: target.host.clone(),
        method: q.method.clone(),
        path: q.path.clone(),
        headers: q.headers.clone(),
        request_principal: q.request_principal.clone(),
        trust_domain: Some(ix.snap.mesh.trust_domain().to_string()),
        unescaped: ix.mesh.rules.envoy_unescaped(),
    };
    let client_id = client.identity.as_deref();
    let client_peer = Peer::from_identity(client_id);
    let mut hops = Vec::new();
    // Client-side hops are named by the pod, when the source is one.
    let client_name = Some(
        client
            .pod
            .map_or_else(|| client.label.clone(), |p| mesh.pod_key(p).to_string()),
    );
    match client.class {
        ClientClass::Ambient => {
            let mut r = hop::report("client-ztunnel", client_name, client_id, "mtls");
            r.note = Some("the source ztunnel enforces no AuthorizationPolicy".into());
            hops.push(Hop::passive(r));
        }
        ClientClass::Sidecar => {
            let mut r = hop::report("sidecar", client_name, client_id, "mtls");
            r.note = Some("client sidecar: outbound, no policy; sidecars bypass waypoints".into());
            hops.push(Hop::passive(r));
        }
        ClientClass::Ingress(g) => {
            let name = match g {
                Some(g) => Some(mesh.waypoints[g].key()),
                None => Some(client.label.trim_start_matches("ingress/").to_string()),
            };
            // The request arrives from outside the mesh: no peer identity, listener port
            // unknown, and the addresses are the outside client's (`--source-ip`), not the
            // gateway pod's own.
            let req = Request {
                peer: Peer::Plaintext,
                port: None,
                source_ip: q.source_ip,
                remote_ip: q.source_ip,
                ..base.clone()
            };
            let ps = ix.ingress_policies(g, client.pod);
            let r = hop::report("ingress-gateway", name, None, "plaintext");
            hops.push(hop::envoy(ix, &ps, &req, r));
        }
        ClientClass::Plaintext => {}
    }
    // Through the canary waypoint, when asked for the requests it takes.
    let class = client.class.source_class();
    let route = match canary {
        true => hops::canary_route(mesh, target.addressed, class)
            .map_or_else(|| hops::route(mesh, target.addressed, class), |(r, _)| r),
        false => hops::route(mesh, target.addressed, class),
    };
    let mut label_rows = Vec::new();
    if let Some(w) = route.skipped {
        // An ingress request skips it unless istio.io/ingress-use-waypoint reads true, as
        // the release reads it: name the value written and the rule.
        let written = ingress_label(ix, target.addressed);
        let why = match written {
            Some(v) if class == hops::SourceClass::Ingress => {
                let (_, row) = mesh.rules.ingress_label_rule();
                label_rows.push(row);
                format!(
                    " (istio.io/ingress-use-waypoint={v:?} does not read true {}: {})",
                    mesh.rules.versions_phrase(row),
                    row.info().applied
                )
            }
            _ => String::new(),
        };
        notes.push(format!(
            "this request does not cross waypoint {}{why}: its policies do not apply",
            mesh.waypoints[w].key()
        ));
    } else if let (Some((w, _)), hops::SourceClass::Ingress) = (route.waypoint, class) {
        // Crossed because the label reads true: a value other than `true` does only on
        // some releases.
        if let Some(v) = ingress_label(ix, target.addressed) {
            let (_, row) = mesh.rules.ingress_label_rule();
            label_rows.push(row);
            if v != "true" {
                notes.push(format!(
                    "this request crosses waypoint {}: istio.io/ingress-use-waypoint={v:?} reads true {}: {}",
                    mesh.waypoints[w].key(),
                    mesh.rules.versions_phrase(row),
                    row.info().applied
                ));
            }
        }
    }
    // The wires the CNI sees: the client to the waypoint (or the destination), then the
    // waypoint to the destination, each through NetworkPolicy (`netpol`).
    let sender = match client.pod {
        Some(p) => Endpoint::Pod(p),
        None => Endpoint::Address(q.source_ip.or(client.ip)),
    };
    let in_mesh = !matches!(client.class, ClientClass::Plaintext);
    // A waypoint whose pods the input lacks is seen as istiod's Deployment labels them.
    let waypoint_end = route
        .waypoint
        .map(|(w, _)| ix.network_policies().waypoint_end(w));
    let first = waypoint_end.or(endpoint.map(Endpoint::Pod));
    if let Some(to) = first {
        let port = netpol::port_on_wire(mesh, in_mesh, to, target.target_port);
        hops.extend(np_hop::hop(ix, sender, to, port));
    }
    if let Some((w, chain)) = route.waypoint {
        let mut ignored = None;
        match ix.layered_policies(w) {
            (ps, Some(row)) if !ps.is_empty() => {
                let conn = Conn {
                    peer: client_peer.clone(),
                    src_ip: base.source_ip,
                    dst_ip: mesh
                        .waypoint_pod(w)
                        .and_then(|p| ix.snap.pods[p].status.pod_ip.parse().ok()),
                    dst_port: Some(crate::enforce::layered::HBONE_PORT),
                };
                hops.push(hop::layered(ix, w, &ps, row, &conn));
            }
            (_, Some(row)) => {
                notes.push(format!(
                    "waypoint {}: ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES is set, but {}, istiod does not know it: the policies selecting the waypoint's pods do not apply",
                    mesh.waypoints[w].key(),
                    ix.mesh.rules.versions_phrase(row)
                ));
                ignored = Some(row);
            }
            _ => {}
        }
        let ps = ix.chain_policies(w, chain);
        let req = Request {
            peer: client_peer.clone(),
            // Pod-IP traffic keeps the pod's port; Service traffic the Service port.
            port: if chain.is_some() {
                target.port
            } else {
                target.target_port
            },
            ..base.clone()
        };
        let r = hop::report("waypoint", Some(mesh.waypoints[w].key()), client_id, "mtls");
        let mut hop = hop::envoy(ix, &ps, &req, r);
        hop.rows.extend(ignored);
        hops.push(hop);
    }
    if let (Some(wp), Some(d)) = (waypoint_end, endpoint) {
        let to = Endpoint::Pod(d);
        let port = netpol::port_on_wire(mesh, true, to, target.target_port);
        hops.extend(np_hop::hop(ix, wp, to, port));
    }
    if let Some(d) = endpoint {
        let seen = match route.waypoint {
            Some((w, _)) => Seen {
                peer: Peer::known(mesh.waypoint_identity(w)),
                src_ip: mesh
                    .waypoint_pod(w)
                    .and_then(|p| ix.snap.pods[p].status.pod_ip.parse().ok()),
            },
            None => Seen {
                peer: client_peer,
                src_ip: base.source_ip,
            },
        };
        hops.push(hop::destination(ix, d, target.target_port, seen, &base));
    } else {
        notes.push(
            "no endpoint pod in the input: only the hops before the destination are shown".into(),
        );
    }
    if let Some(h) = hops.first_mut() {
        h.rows.extend(label_rows);
    }
    (hops, notes)
}

/// The hops, notes and verdict of one request over every endpoint pod (through the canary
/// waypoint with `canary`). With several endpoint pods, each is evaluated; when they disagree
/// the verdict is unknown and says which pod decides what.
fn decide(
    ix: &Index,
    client: &Client,
    target: &Target,
    q: &Query,
    canary: bool,
) -> (Vec<Hop>, Vec<String>, Verdict, DecidedBy) {
    let endpoints: Vec<Option<usize>> = if target.endpoints.is_empty() {
        vec![None]
    } else {
        target.endpoints.iter().map(|&d| Some(d)).collect()
    };
    let mut results = Vec::new();
    let mut seen_sig: Vec<String> = Vec::new();
    for e in &endpoints {
        // Replicas enforced alike give the same answer: evaluate each distinct pod once.
        // Replicas on different networks differ (`enforce::network`).
        let sig = e
            .map(|d| format!("{}|{}", ix.signature(d), ix.mesh.networks.of(d)))
            .unwrap_or_default();
        if seen_sig.contains(&sig) {
            continue;
        }
        seen_sig.push(sig);
        let (hops, notes) = hops_for(ix, client, target, q, *e, canary);
        let (v, by) = verdict(&hops);
        results.push((*e, hops, notes, v, by));
    }
    let (_, hops, mut notes, mut v, mut by) = results.remove(0);
    let differ: Vec<String> = results
        .iter()
        .filter(|r| r.3 != v)
        .map(|r| {
            format!(
                "{} is {}",
                r.0.map(|d| ix.mesh.pod_key(d)).unwrap_or_default(),
                r.3.as_str()
            )
        })
        .collect();
    if !differ.is_empty() {
        let first = format!(
            "{} is {}",
            endpoints[0].map(|d| ix.mesh.pod_key(d)).unwrap_or_default(),
            v.as_str()
        );
        notes.push(format!(
            "endpoints disagree: {first}; {}",
            differ.join("; ")
        ));
        v = Verdict::Unknown;
        by = DecidedBy {
            hop: None,
            policy: None,
            reason: "endpoints-differ".into(),
            needs: vec!["the endpoint pod that receives the request".into()],
            allow_policies: vec![],
        };
    }
    (hops, notes, v, by)
}

/// Checks one request through the primary waypoint, and through the canary waypoint that
/// takes a share of the requests when the Service has one (`canary`, said in a note).
pub fn check(ix: &Index, client: &Client, target: &Target, q: &Query) -> CheckReport {
    let (mut hops, mut notes, mut v, mut by) = decide(ix, client, target, q, false);
    let class = client.class.source_class();
    // A canary takes `weight` % of the requests; the verdict is that of the waypoint that
    // takes them: the canary's when it takes them all (weight 100), else the primary's, the
    // canary's said beside it.
    let canary = hops::canary_route(ix.mesh, target.addressed, class).map(|(r, weight)| {
        let (mut chops, _, mut cv, mut cby) = decide(ix, client, target, q, true);
        let w = r.waypoint.map(|(w, _)| ix.mesh.waypoints[w].key()).unwrap_or_default();
        let primary = hops::route(ix.mesh, target.addressed, class)
            .waypoint
            .map(|(p, _)| ix.mesh.waypoints[p].key())
            .unwrap_or_default();
        let reports: Vec<HopReport> = chops.iter().map(|h| h.report.clone()).collect();
        let canary = CanaryCheck {
            waypoint: w.clone(),
            weight,
            verdict: cv,
            decided_by: cby.clone(),
            hops: reports,
        };
        let label = "istio.io/use-waypoint-canary";
        notes.push(match weight {
            100 => {
                let through_primary = if cv == v {
                    String::new()
                } else {
                    format!(" (through it they would be {})", v.as_str())
                };
                // The canary's hops and verdict become the request's.
                std::mem::swap(&mut hops, &mut chops);
                std::mem::swap(&mut v, &mut cv);
                std::mem::swap(&mut by, &mut cby);
                format!(
                    "every request goes through canary waypoint {w} ({label}, weight 100), none through {primary}{through_primary}: the hops and verdict shown are the canary's"
                )
            }
            0 => format!(
                "canary waypoint {w} ({label}) has weight 0: it takes no requests, all go through {primary}{}",
                if cv == v {
                    String::new()
                } else {
                    format!(" (through the canary they would be {})", cv.as_str())
                }
            ),
            _ if cv == v => format!(
                "{weight}% of the requests go through canary waypoint {w} ({label}), the others through {primary}: {} there too",
                cv.as_str()
            ),
            _ => format!(
                "{weight}% of the requests go through canary waypoint {w} ({label}), where they are {}, unlike the {}% through {primary} ({}): the verdict shown is the primary's",
                cv.as_str(),
                100 - weight,
                v.as_str()
            ),
        });
        canary
    });
    let cross = cross_network(ix, client, target);
    if let Some(x) = &cross {
        // Never allowed or denied: the path through the east-west gateway is not modelled.
        v = Verdict::Unknown;
        by = DecidedBy {
            hop: None,
            policy: None,
            reason: "cross-network".into(),
            needs: vec![],
            allow_policies: vec![],
        };
        notes.insert(
            0,
            format!(
                "{}; the hops shown are those within one network",
                x.reason()
            ),
        );
        notes.insert(1, x.l7(ix.mesh));
        if x.skipped_waypoint.is_some() {
            // Said by the line above, with the networks.
            notes.retain(|n| !n.starts_with("this request does not cross waypoint"));
        }
    }
    let assumptions: Vec<String> = (client.assumption.iter().chain(&target.assumption))
        .cloned()
        .chain(super::version_assumptions(ix))
        .collect();
    let mut hop_rows: Vec<Row> = hops.iter().flat_map(|h| h.rows.iter().copied()).collect();
    if let Some(x) = &cross {
        hop_rows.extend(x.row);
        hop_rows.extend(ix.mesh.networks.row);
    }
    let hops: Vec<HopReport> = hops.into_iter().map(|h| h.report).collect();
    let version_rules =
        super::version_notes::version_notes(ix, target, &hops, hop_rows, &mut notes);
    CheckReport {
        api_version: crate::contract::API_VERSION,
        kind: KIND,
        request: RequestReport {
            source: client.label.clone(),
            source_identity: client.identity.clone(),
            destination: target.label.clone(),
            port: target.port,
            target_port: target.target_port,
            method: q.method.clone(),
            path: q.path.clone(),
            headers: q.headers.clone(),
            request_principal: q.request_principal.clone(),
            plaintext: client.identity.is_none(),
        },
        verdict: v,
        decided_by: by,
        hops,
        assumptions,
        notes,
        version_rules,
        canary,
        dataplane: None,
    }
}

/// `istio.io/ingress-use-waypoint` as written on the Service (or ServiceEntry), else on its
/// namespace.
fn ingress_label(ix: &Index, to: hops::Addressed) -> Option<String> {
    let hops::Addressed::Service { entry, index } = to else {
        return None;
    };
    let m = match entry {
        true => &ix.snap.service_entries[index].metadata,
        false => &ix.snap.services[index].metadata,
    };
    let ns = ix.snap.namespace_labels(&m.namespace);
    crate::mesh::waypoint::ingress_label_written(m, ns).map(str::to_string)
}

/// The request between two networks, when the client and some endpoint are on different
/// ones (`enforce::network`). A client that is no pod of the input (an ingress gateway
/// without pods, a service account, outside the mesh) counts as on istiod's network.
fn cross_network(
    ix: &Index,
    client: &Client,
    target: &Target,
) -> Option<crate::enforce::network::CrossNetwork> {
    let mesh = ix.mesh;
    let from = match (client.pod, client.class) {
        (Some(p), _) => mesh.networks.of(p),
        (None, ClientClass::Ingress(Some(g))) => crate::enforce::network::waypoint_network(mesh, g),
        _ => mesh.networks.local.as_str(),
    };
    crate::enforce::network::between(
        mesh,
        from,
        &target.endpoints,
        target.addressed,
        client.class.source_class(),
    )
}
