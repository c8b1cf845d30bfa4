//! Traffic paths: for each destination workload, one path per source class of SEMANTICS.md
//! 3.5, with the hops and, at each hop, the policies evaluated and the identity seen. Which
//! hops a class crosses is the engine's (`enforce::hops`), and so is the destination
//! ztunnel's verdict (`destination::verdict`).

use super::destination::{self, entries};
use super::report::{Hop, NetworkGate, PathReport, Section};
use super::Ctx;
use crate::enforce::attach::Chain;
use crate::enforce::evaluate::Peer;
use crate::enforce::hops::{self, Addressed, Enforcer, SourceClass};
use crate::enforce::netpol::{self, Endpoint, Gate, Wire};
use crate::mesh::{Dataplane, Role};
use crate::model::resource_key;
// foldhash: the group index is asked once per pod (issue 16).
use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

/// The policies of a hop that evaluates none.
fn no_policies() -> Arc<[String]> {
    Arc::new([])
}

fn client_hop(component: &'static str) -> Hop {
    Hop {
        component,
        name: None,
        source_identity: "client",
        spiffe: None,
        policies: no_policies(),
        verdict: None,
    }
}

/// Waypoint chains are shared by many pods: their policy lists are named once (per thread
/// building paths).
#[derive(Default, Clone)]
pub struct ChainNames {
    memo: HashMap<(usize, Option<Chain>), Arc<[String]>>,
}

impl ChainNames {
    /// The policies attached at waypoint `w` for `chain`, in input order:
    /// AuthorizationPolicies, then extensions.
    pub(super) fn policies(&mut self, ctx: &Ctx, w: usize, chain: Option<Chain>) -> &Arc<[String]> {
        self.memo.entry((w, chain)).or_insert_with(|| {
            let (ix, snap) = (ctx.ix, ctx.snap);
            let aps = ix.chain_policies(w, chain).into_iter().map(|i| {
                let m = &snap.authorization_policies[i].metadata;
                resource_key("AuthorizationPolicy", &m.namespace, &m.name)
            });
            let exts = ix.chain_extensions(w, chain).into_iter().map(|i| {
                let p = &snap.extensions[i];
                resource_key(&p.kind, &p.metadata.namespace, &p.metadata.name)
            });
            aps.chain(exts).collect()
        })
    }
}

fn waypoint_hop(ctx: &Ctx, names: &mut ChainNames, w: usize, chain: Option<Chain>) -> Hop {
    Hop {
        component: "waypoint",
        name: Some(ctx.waypoint_shared(w)),
        source_identity: "client",
        spiffe: None,
        policies: names.policies(ctx, w, chain).clone(),
        verdict: None,
    }
}

/// What the destination hop of a pod lists, computed once per pod: the entries its ztunnel
/// holds (as labels) and the policies its sidecar enforces.
struct Listed {
    ztunnel: Arc<[String]>,
    sidecar: Arc<[String]>,
}

fn listed(ctx: &Ctx, d: usize) -> Listed {
    let ix = ctx.ix;
    let ztunnel = entries(ix, d)
        .iter()
        .map(|h| destination::label(ix, d, h.origin))
        .collect();
    let sidecar = if ctx.mesh.pods[d].dataplane == Dataplane::Sidecar {
        ix.sidecar_policies(d)
            .into_iter()
            .map(|i| {
                let m = &ctx.snap.authorization_policies[i].metadata;
                resource_key("AuthorizationPolicy", &m.namespace, &m.name)
            })
            .collect()
    } else {
        no_policies()
    };
    Listed { ztunnel, sidecar }
}

/// The destination ztunnel's verdicts of one pod, by what it sees (the waypoint crossed, or
/// a client, in plaintext or not): several paths ask the same.
type Verdicts = HashMap<(Option<usize>, bool), super::report::Verdict>;

/// The destination hop of pod `d` for a request through `via` (the waypoint it crossed)
/// or straight from a client, in plaintext or not.
fn destination_hop(
    ctx: &Ctx,
    d: usize,
    listed: &Listed,
    verdicts: &mut Verdicts,
    via: Option<usize>,
    plaintext: bool,
) -> Hop {
    let (ix, mesh) = (ctx.ix, ctx.mesh);
    let (source_identity, spiffe) = match (via, plaintext) {
        (Some(w), _) => ("waypoint", Some(ctx.waypoint_identities[w].clone())),
        (None, true) => ("none", None),
        (None, false) => ("client", None),
    };
    let name = Some(mesh.pod_key(d));
    let hop = |component: &'static str, policies: Arc<[String]>, verdict| Hop {
        component,
        name: name.clone(),
        source_identity,
        spiffe: spiffe.clone(),
        policies,
        verdict,
    };
    match hops::destination(mesh, d, plaintext) {
        // SEMANTICS.md 2.1: plaintext inbound is not redirected, so no ztunnel policy applies.
        Enforcer::CaptureBypassed => Hop {
            component: "app (capture bypassed)",
            source_identity: "none",
            spiffe: None,
            ..hop("", no_policies(), Some(super::report::Verdict::Allow))
        },
        Enforcer::Ztunnel => {
            let verdict = verdicts.entry((via, plaintext)).or_insert_with(|| {
                let peer = match (&spiffe, plaintext) {
                    (Some(id), _) => Peer::known(id),
                    (None, true) => Peer::Plaintext,
                    (None, false) => Peer::Any {
                        trust_domain: ctx.snap.mesh.trust_domain().to_string(),
                    },
                };
                destination::verdict(ix, d, peer)
            });
            hop("ztunnel", listed.ztunnel.clone(), Some(verdict.clone()))
        }
        Enforcer::Sidecar => hop("sidecar", listed.sidecar.clone(), None),
        Enforcer::Nothing => hop("none", no_policies(), None),
    }
}

/// The paths of every destination in scope, still to be built: a big mesh's paths are most
/// of its report, so they are handed out one destination at a time (`each`, and JSON
/// written as they come) rather than held, unless a renderer needs them all (`collect`).
pub struct Paths<'a> {
    ctx: &'a Ctx<'a>,
    /// The chains named so far; each builder of paths starts from a copy (`state`).
    names: ChainNames,
    /// Built before the report: on a mesh of several networks, a path can be what asks the
    /// `multi-network-waypoint` rule, which the report's `versionRules` must list.
    early: Option<Vec<PathReport>>,
    /// How many version rules had decided something when the report was made: its
    /// `versionRules` are written before the paths are built, so building them must add none.
    rules_before: usize,
}

impl<'a> Paths<'a> {
    /// `names`: the waypoint chains already named (by the bypass findings), shared. Call
    /// it before reading the rules the report lists.
    pub(super) fn new(ctx: &'a Ctx<'a>, mut names: ChainNames) -> Self {
        let early = ctx.mesh.networks.several().then(|| {
            let mut out = Vec::new();
            build(ctx, &mut names, &mut |p| out.push(p));
            out
        });
        Paths {
            ctx,
            names,
            early,
            rules_before: ctx.mesh.rules.applied().len(),
        }
    }

    /// Builds the paths in report order, handing each to `emit` as soon as its destination
    /// is done.
    pub fn each(&self, emit: &mut dyn FnMut(PathReport)) {
        if let Some(early) = &self.early {
            return early.iter().cloned().for_each(emit);
        }
        build(self.ctx, &mut self.state(), emit);
        self.finish();
    }

    pub fn collect(&self) -> Vec<PathReport> {
        let mut out = Vec::new();
        self.each(&mut |p| out.push(p));
        out
    }
}

/// A part of the paths: a group of pods alike, or all of them when they were built early.
pub enum PathPart {
    Group(usize, Vec<usize>),
    Early,
}

impl Section for Paths<'_> {
    type Part = PathPart;
    type State = ChainNames;
    type Item = PathReport;

    fn parts(&self) -> Vec<PathPart> {
        match self.early {
            Some(_) => vec![PathPart::Early],
            None => (groups(self.ctx).into_iter())
                .map(|(d, members)| PathPart::Group(d, members))
                .collect(),
        }
    }

    fn state(&self) -> ChainNames {
        self.names.clone()
    }

    fn build(&self, names: &mut ChainNames, part: &PathPart, emit: &mut dyn FnMut(PathReport)) {
        match part {
            PathPart::Group(d, members) => build_group(self.ctx, names, *d, members, emit),
            PathPart::Early => self.each(emit),
        }
    }

    fn finish(&self) {
        debug_assert_eq!(
            self.ctx.mesh.rules.applied().len(),
            self.rules_before,
            "a path asked a version rule the report did not"
        );
    }
}

/// What the paths of a pod depend on: its destination hop's signature, the Services and
/// ServiceEntries that front it, its network. Pods alike share their paths.
type Group<'a> = (u32, &'a [usize], &'a [usize], &'a str);

/// The paths of every destination in scope, handed to `emit` destination by destination.
fn build(ctx: &Ctx, names: &mut ChainNames, emit: &mut dyn FnMut(PathReport)) {
    for (d, members) in groups(ctx) {
        build_group(ctx, names, d, &members, emit);
    }
}

/// The in-scope workloads grouped by what their paths depend on, in report order: each
/// group's first pod, and all its pods.
fn groups(ctx: &Ctx) -> Vec<(usize, Vec<usize>)> {
    let mesh = ctx.mesh;
    // Pods enforced alike (replicas of one workload) share their paths: computed once per
    // group, so paths grow with workloads, not pods.
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut index: HashMap<Group, usize> = HashMap::new();
    for &d in &ctx.pods {
        if mesh.pods[d].role != Role::Workload {
            continue;
        }
        // What the destination hop depends on (the engine's signature), and the addresses
        // that front the pod, which give it its paths.
        let info = &mesh.pods[d];
        let sig = (
            ctx.ix.signature(d),
            info.services.as_slice(),
            info.service_entries.as_slice(),
            mesh.networks.of(d),
        );
        match index.get(&sig) {
            Some(&g) => groups[g].1.push(d),
            None => {
                index.insert(sig, groups.len());
                groups.push((d, vec![d]));
            }
        }
    }
    groups
}

/// The paths of group `members`, built for its first pod `d`.
fn build_group(
    ctx: &Ctx,
    names: &mut ChainNames,
    d: usize,
    members: &[usize],
    emit: &mut dyn FnMut(PathReport),
) {
    let mesh = ctx.mesh;
    let listed = listed(ctx, d);
    let mut out = Vec::new();
    let mut verdicts = Verdicts::new();
    let info = &mesh.pods[d];
    let dest = mesh.pod_key(d);
    let pods: Arc<[Arc<str>]> = if members.len() > 1 {
        members.iter().map(|&m| mesh.pod_key(m)).collect()
    } else {
        Arc::new([])
    };
    let path = |source: &'static str,
                via: Option<Arc<str>>,
                (hops, gate): (Vec<Hop>, Option<NetworkGate>),
                note: Option<String>| PathReport {
        destination: dest.clone(),
        pods: pods.clone(),
        source: source.into(),
        via,
        hops,
        note,
        network_policy: gate,
        weight: None,
        network: None,
    };
    let not_in_mesh = (info.dataplane == Dataplane::None).then(|| {
        format!(
            "destination is not in the mesh ({}): no policy is enforced",
            info.reason
        )
    });
    // The hops of a class towards one address (`None`: a Service that does not exist):
    // its client hop, the waypoint it crosses (if any), and the destination.
    // `canary`: through the canary waypoint that takes a share of the requests.
    let mut hops_to = |client: Hop, to: Option<Addressed>, class: SourceClass, canary: bool| {
        let route = match to {
            Some(to) if canary => hops::canary_route(mesh, to, class)
                .map_or_else(|| hops::route(mesh, to, class), |(r, _)| r),
            Some(to) => hops::route(mesh, to, class),
            None => hops::Route::default(),
        };
        let mut hops = vec![client];
        if let Some((w, chain)) = route.waypoint {
            hops.push(waypoint_hop(ctx, names, w, chain));
        }
        let plaintext = class == SourceClass::Plaintext;
        let via = route.waypoint.map(|(w, _)| w);
        hops.push(destination_hop(
            ctx,
            d,
            &listed,
            &mut verdicts,
            via,
            plaintext,
        ));
        let gate = network_gate(ctx, d, class, &route);
        ((hops, gate), route)
    };
    // Services and ServiceEntries that address this pod.
    let fronts: Vec<(Arc<str>, Addressed)> = info
        .services
        .iter()
        .map(|&s| {
            (
                mesh.service_key(s).into(),
                Addressed::Service {
                    entry: false,
                    index: s,
                },
            )
        })
        .chain(info.service_entries.iter().map(|&s| {
            (
                mesh.service_entry_key(s).into(),
                Addressed::Service {
                    entry: true,
                    index: s,
                },
            )
        }))
        .collect();
    if fronts.is_empty() {
        // No Service: the paths a Service would have, with no waypoint and a note.
        let note = Some("no Service selects this pod".to_string());
        let (hops, _) = hops_to(
            client_hop("client-ztunnel"),
            None,
            SourceClass::Ambient,
            false,
        );
        out.push(path("ambient-service", None, hops, note));
        let (hops, _) = hops_to(
            client_hop("ingress-gateway"),
            None,
            SourceClass::Ingress,
            false,
        );
        out.push(path("ingress", None, hops, not_in_mesh.clone()));
    }
    for (svc, to) in &fronts {
        let via = Some(svc.clone());
        let (hops, _) = hops_to(
            client_hop("client-ztunnel"),
            Some(*to),
            SourceClass::Ambient,
            false,
        );
        out.push(path(
            "ambient-service",
            via.clone(),
            hops,
            not_in_mesh.clone(),
        ));
        canary_path(mesh, &mut out, *to, SourceClass::Ambient, &mut |c| {
            let (hops, _) = hops_to(client_hop("client-ztunnel"), Some(*to), c, true);
            path("ambient-service", via.clone(), hops, not_in_mesh.clone())
        });

        let (hops, route) = hops_to(
            client_hop("ingress-gateway"),
            Some(*to),
            SourceClass::Ingress,
            false,
        );
        let note = match route.skipped {
            Some(w) => Some(format!(
                "ingress traffic skips waypoint {} (istio.io/ingress-use-waypoint is not true)",
                ctx.waypoint_name(w)
            )),
            None => not_in_mesh.clone(),
        };
        out.push(path("ingress", via.clone(), hops, note));
        canary_path(mesh, &mut out, *to, SourceClass::Ingress, &mut |c| {
            let (hops, _) = hops_to(client_hop("ingress-gateway"), Some(*to), c, true);
            path("ingress", via.clone(), hops, not_in_mesh.clone())
        });
    }
    let (hops, _) = hops_to(
        client_hop("client-ztunnel"),
        Some(Addressed::PodIp(d)),
        SourceClass::Ambient,
        false,
    );
    out.push(path("ambient-pod-ip", None, hops, not_in_mesh.clone()));

    let any_waypoint = !mesh.waypoints_in_front_of(d).is_empty();
    let note = if any_waypoint {
        Some("sidecar clients bypass waypoints".to_string())
    } else {
        not_in_mesh.clone()
    };
    let (hops, _) = hops_to(
        client_hop("sidecar-client"),
        Some(Addressed::PodIp(d)),
        SourceClass::Sidecar,
        false,
    );
    out.push(path("sidecar", None, hops, note));

    let mut hop = client_hop("out-of-mesh-client");
    hop.source_identity = "none";
    let (hops, _) = hops_to(
        hop,
        Some(Addressed::PodIp(d)),
        SourceClass::Plaintext,
        false,
    );
    out.push(path("out-of-mesh", None, hops, not_in_mesh));
    super::network::crossing(ctx, d, &fronts, &mut out);
    out.extend(super::network::paths(ctx, d, &dest, &pods, &fronts));
    out.into_iter().for_each(&mut *emit);
}

/// With a canary waypoint on the route of `class` to `to`: the last path pushed (through the
/// primary) gets the primary's share of the requests, and the path through the canary
/// (built by `through`) follows it with the canary's.
fn canary_path(
    mesh: &crate::mesh::Mesh,
    out: &mut Vec<PathReport>,
    to: Addressed,
    class: SourceClass,
    through: &mut dyn FnMut(SourceClass) -> PathReport,
) {
    let Some((r, weight)) = hops::canary_route(mesh, to, class) else {
        return;
    };
    let w = r
        .waypoint
        .map(|(w, _)| mesh.waypoints[w].key())
        .unwrap_or_default();
    let add = |p: &mut PathReport, share: u32, said: String| {
        p.weight = Some(share);
        p.note = Some(match p.note.take() {
            Some(n) => format!("{said}; {n}"),
            None => said,
        });
    };
    if let Some(last) = out.last_mut() {
        let said = format!(
            "{}% of the requests; the other {weight}% go through canary waypoint {w} (next path)",
            100 - weight
        );
        add(last, 100 - weight, said);
    }
    let mut p = through(class);
    // Its own class of path: the primary's keeps its name.
    p.source = format!("{}-canary", p.source).into();
    let said = format!(
        "{weight}% of the requests go through canary waypoint {w} (istio.io/use-waypoint-canary)"
    );
    add(&mut p, weight, said);
    out.push(p);
}

/// The NetworkPolicy gate of a path for a class of clients: into the waypoint (or the
/// destination) on the port the CNI sees, then from the waypoint's pod into the destination.
fn network_gate(
    ctx: &Ctx,
    d: usize,
    class: SourceClass,
    route: &hops::Route,
) -> Option<NetworkGate> {
    let np = ctx.ix.network_policies();
    if !np.any() {
        return None;
    }
    let mesh = ctx.mesh;
    let in_mesh = class != SourceClass::Plaintext;
    let shown = |port: Option<u16>| match port {
        Some(netpol::HBONE_PORT) => format!("port {} (HBONE)", netpol::HBONE_PORT),
        Some(p) => format!("port {p}"),
        None => "its ports".into(),
    };
    let names = |ps: &[usize]| -> Vec<String> {
        ps.iter()
            .map(|&i| {
                let m = &np.policy(i).metadata;
                format!("{}/{}", m.namespace, m.name)
            })
            .collect()
    };
    let mut depends = None;
    // Into the first receiver, from a client the path does not name.
    let waypoint_end = route.waypoint.map(|(w, _)| np.waypoint_end(w));
    let first = waypoint_end.unwrap_or(Endpoint::Pod(d));
    let name = |e: Endpoint| match e {
        Endpoint::Pod(p) => mesh.pod_key(p).to_string(),
        Endpoint::Waypoint(w) => format!("the pods of waypoint {}", ctx.waypoint_name(w)),
        Endpoint::Address(_) => String::new(),
    };
    {
        let port = netpol::port_on_wire(mesh, in_mesh, first, None);
        let wire = format!("into {} on {}", name(first), shown(port));
        match np.for_any_end(first, netpol::Direction::Ingress, port) {
            Gate::Denied { policies } => {
                return Some(NetworkGate {
                    verdict: "deny".into(),
                    policies: names(&policies),
                    wire,
                })
            }
            Gate::Unknown { policy, .. } => {
                depends = Some(NetworkGate {
                    verdict: "depends".into(),
                    policies: names(&[policy]),
                    wire,
                })
            }
            _ => {}
        }
    }
    // From the waypoint's pod into the destination: both ends known.
    if let Some(wp) = waypoint_end {
        let to = Endpoint::Pod(d);
        if let Some(port) = netpol::port_on_wire(mesh, true, to, None) {
            let v = np.evaluate(&Wire { from: wp, to, port });
            for g in [v.egress, v.ingress] {
                if let Gate::Denied { policies } = g {
                    return Some(NetworkGate {
                        verdict: "deny".into(),
                        policies: names(&policies),
                        wire: format!(
                            "from {} into {} on {}",
                            name(wp),
                            mesh.pod_key(d),
                            shown(Some(port))
                        ),
                    });
                }
            }
        }
    }
    depends
}
