//! From a Snapshot to an Explanation: per-policy enforcement, inventory, paths, findings.
//! Pure: no I/O.

mod assumptions;
mod authz;
mod bindings;
mod bypass;
mod canary;
mod custom;
mod destination;
mod entries;
mod extensions;
mod identity;
mod inventory;
mod late;
mod netpol;
mod network;
mod paths;
pub use late::{Late, Workloads};
pub use paths::{ChainNames, PathPart, Paths};
mod peer;
pub mod report;
mod revision;

use crate::enforce::attach::{Chain, RefOutcome, RefResolution};
use crate::enforce::peerauth::MtlsOutcome;
use crate::enforce::Index;
use crate::findings::Finding;
use crate::mesh::{Mesh, Role};
use crate::model::resource_key;
use crate::selector::LabelSelector;
use crate::selector::Labels;
use crate::snapshot::Snapshot;
use report::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What to explain: one namespace or all, optionally narrowed to pods matching `-l`.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    pub selector: Option<LabelSelector>,
}

impl Scope {
    pub fn ns_in(&self, ns: &str) -> bool {
        self.namespace.as_deref().is_none_or(|n| n == ns)
    }
}

/// `Ctx::podless_ingresses`: none when a label selector narrows the scope to pods.
fn podless_ingresses(mesh: &Mesh, scope: &Scope) -> Vec<(usize, Labels)> {
    if scope.selector.is_some() {
        return vec![];
    }
    let mut with_pods = vec![false; mesh.waypoints.len()];
    for p in &mesh.pods {
        if let Role::Ingress(g) = p.role {
            with_pods[g] = true;
        }
    }
    (0..mesh.waypoints.len())
        .filter(|&g| {
            let w = &mesh.waypoints[g];
            !w.is_waypoint && !with_pods[g] && scope.ns_in(&w.namespace)
        })
        .map(|g| (g, mesh.waypoints[g].pod_labels()))
        .collect()
}

/// Everything the per-kind analyses share.
pub(crate) struct Ctx<'a> {
    /// The engine's index: conversions, targetRefs, what each enforcer holds.
    pub ix: &'a Index<'a>,
    pub mesh: &'a Mesh<'a>,
    pub snap: &'a Snapshot,
    pub scope: &'a Scope,
    /// In-scope pods (destinations).
    pub pods: Vec<usize>,
    /// The same, by namespace.
    pub pods_by_ns: BTreeMap<&'a str, Vec<usize>>,
    pub services: BTreeSet<usize>,
    pub service_entries: BTreeSet<usize>,
    /// Effective mTLS of every in-scope pod in the mesh.
    pub mtls: BTreeMap<usize, &'a MtlsOutcome>,
    /// In-scope pods of Istio gateways (`mesh::component`): no destinations, but their Envoy
    /// enforces the policies that select them and the root namespace's (istio/istio#58838).
    pub istio_gateways: Vec<usize>,
    /// In-scope Gateway API ingress gateways whose pods the input lacks (manifests declare
    /// the Gateway; istiod deploys the pods): their Envoy enforces the selector policies
    /// that match the pods as istiod labels them (`Waypoint::pod_labels`), given here.
    pub podless_ingresses: Vec<(usize, Labels)>,
    /// Each waypoint's `ns/name`, made once: placement names one per (policy, pod) pair.
    pub waypoint_keys: Vec<Arc<str>>,
    /// Each waypoint's SPIFFE identity (`Mesh::waypoint_identity`), shared by the paths
    /// that cross it.
    pub waypoint_identities: Vec<Arc<str>>,
    pub findings: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    pub fn root(&self) -> &str {
        self.snap.mesh.root()
    }

    /// In-scope pods a policy in `ns` can select: those of `ns`, or all for the root
    /// namespace. Keeps placement linear in the mesh size.
    pub fn candidate_pods(&self, ns: &str) -> &[usize] {
        if ns == self.root() {
            &self.pods
        } else {
            self.pods_by_ns.get(ns).map_or(&[], Vec::as_slice)
        }
    }

    /// The in-scope pods a selector requiring `labels` (non-empty) can select in `ns` (all
    /// namespaces for the root): those carrying its rarest label, in index order. Placing N
    /// selector policies then costs what they select, not N scans of the namespace.
    pub fn candidate_pods_with(&self, ns: &str, labels: &Labels) -> Vec<usize> {
        // `pods` is ascending (a filter of 0..n): membership by binary search.
        self.ix
            .candidate_pods(ns, Some(labels))
            .into_iter()
            .filter(|d| self.pods.binary_search(d).is_ok())
            .collect()
    }

    pub fn waypoint_key(&self, w: usize) -> String {
        self.waypoint_keys[w].to_string()
    }

    /// `waypoint_key`, shared.
    pub fn waypoint_shared(&self, w: usize) -> Arc<str> {
        self.waypoint_keys[w].clone()
    }

    /// `waypoint_key`, borrowed.
    pub fn waypoint_name(&self, w: usize) -> &str {
        &self.waypoint_keys[w]
    }

    /// Gateway `g`'s ingress Envoy enforces, on the requests it receives from its clients.
    pub fn at_ingress(&self, e: &mut entries::Entries, g: usize, effect: &str) {
        let w = &self.mesh.waypoints[g];
        let t = resource_key("Gateway", &w.namespace, &w.name);
        e.at_gateway(self.waypoint_name(g), effect, [t.into()]);
    }

    /// Adds the in-scope places where resolved targetRefs attach; returns why the others
    /// enforce nothing.
    pub fn place_refs(
        &self,
        e: &mut entries::Entries,
        res: &[RefResolution],
        effect: &str,
    ) -> Vec<String> {
        let mut not_enforced = Vec::new();
        for o in res.iter().flat_map(|r| &r.outcomes) {
            match o {
                RefOutcome::Waypoint { waypoint, chain } => {
                    // Beside a canary, a waypoint enforces for its share of the requests.
                    let mut by_share: BTreeMap<Option<u32>, Vec<Arc<str>>> = BTreeMap::new();
                    for (t, share) in self.weighted_chain_targets(*waypoint, *chain) {
                        by_share.entry(share).or_default().push(t);
                    }
                    for (share, t) in by_share {
                        e.at_waypoint_share(self.waypoint_name(*waypoint), share, effect, t);
                    }
                }
                RefOutcome::Ingress { gateway } => {
                    if self.scope.ns_in(&self.mesh.waypoints[*gateway].namespace) {
                        self.at_ingress(e, *gateway, effect);
                    }
                }
                RefOutcome::NotEnforced { reason } => not_enforced.push(reason.clone()),
            }
        }
        not_enforced
    }

    /// Targets of a waypoint attachment that lie in scope (empty: out of scope).
    pub fn chain_targets(&self, w: usize, chain: Chain) -> Vec<Arc<str>> {
        self.weighted_chain_targets(w, chain)
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    /// The same, each with waypoint `w`'s share of its requests when a canary splits them
    /// (`canary::share`).
    pub fn weighted_chain_targets(&self, w: usize, chain: Chain) -> Vec<(Arc<str>, Option<u32>)> {
        let (mesh, entries) = (self.mesh, &self.service_entries);
        let svc = |s: usize| {
            (
                mesh.service_key(s).into(),
                canary::share(mesh, &mesh.services[s], w),
            )
        };
        let entry = |s: usize| {
            (
                mesh.service_entry_key(s).into(),
                canary::share(mesh, &mesh.service_entries[s], w),
            )
        };
        match chain {
            Chain::Service(s) if self.services.contains(&s) => vec![svc(s)],
            Chain::ServiceEntry(s) if entries.contains(&s) => vec![entry(s)],
            Chain::All => {
                let wp = &mesh.waypoints[w];
                let mut t: Vec<(Arc<str>, Option<u32>)> = self
                    .services
                    .iter()
                    .filter(|&&s| canary::serves(&mesh.services[s], w))
                    .map(|&s| svc(s))
                    .chain(
                        entries
                            .iter()
                            .filter(|&&s| canary::serves(&mesh.service_entries[s], w))
                            .map(|&s| entry(s)),
                    )
                    .chain(
                        self.pods
                            .iter()
                            .filter(|&&p| mesh.pods[p].binding.waypoint == Some(w))
                            .map(|&p| (mesh.pod_key(p), None)),
                    )
                    .collect();
                if !t.is_empty() || self.scope.ns_in(&wp.namespace) {
                    t.insert(
                        0,
                        (
                            resource_key("Gateway", &wp.namespace, &wp.name).into(),
                            None,
                        ),
                    );
                }
                t
            }
            _ => vec![],
        }
    }
}

pub fn explain(snap: &Snapshot, scope: &Scope) -> Explanation {
    explain_then(snap, scope, |e, late| late.held(e))
}

/// The Explanation, handed to `then` with its paths still to be built: a renderer that
/// writes them as they come (JSON) or needs none (SARIF) never holds them all.
pub fn explain_then<R>(
    snap: &Snapshot,
    scope: &Scope,
    then: impl FnOnce(Explanation<(), ()>, &Late) -> R,
) -> R {
    let mesh = Mesh::build(snap);
    // Istio's own pods are in scope but no destinations: named in the assumptions only.
    let (components, pods): (Vec<usize>, Vec<usize>) = (0..snap.pods.len())
        .filter(|&i| {
            let m = &snap.pods[i].metadata;
            scope.ns_in(&m.namespace)
                && scope.selector.as_ref().is_none_or(|s| s.matches(&m.labels))
        })
        .partition(|&i| matches!(mesh.pods[i].role, Role::Istio(_)));
    let narrowed = scope.selector.is_some();
    // `pods` is ascending (a filter of 0..n): membership by binary search.
    let services = (0..snap.services.len())
        .filter(|&s| {
            scope.ns_in(&snap.services[s].metadata.namespace)
                && (!narrowed
                    || mesh.services[s]
                        .pods
                        .iter()
                        .any(|p| pods.binary_search(p).is_ok()))
        })
        .collect();
    let service_entries = (0..snap.service_entries.len())
        .filter(|&s| {
            scope.ns_in(&snap.service_entries[s].metadata.namespace)
                && (!narrowed
                    || mesh.service_entries[s]
                        .pods
                        .iter()
                        .any(|p| pods.binary_search(p).is_ok()))
        })
        .collect();
    let ix = Index::new(&mesh);
    // What every analysis below asks of a workload, asked at once on every core: the paths
    // group exactly these pods by it.
    ix.warm(
        &(pods.iter().copied())
            .filter(|&p| mesh.pods[p].role == Role::Workload)
            .collect::<Vec<_>>(),
    );
    let mtls = pods
        .iter()
        .filter(|&&p| {
            mesh.pods[p].dataplane != crate::mesh::Dataplane::None
                && matches!(mesh.pods[p].role, Role::Workload | Role::Ingress(_))
        })
        .map(|&p| (p, &ix.mtls(p).outcome))
        .collect();
    let mut pods_by_ns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &p in &pods {
        pods_by_ns
            .entry(snap.pods[p].metadata.namespace.as_str())
            .or_default()
            .push(p);
    }
    let mut ctx = Ctx {
        ix: &ix,
        mesh: &mesh,
        snap,
        scope,
        pods,
        pods_by_ns,
        services,
        service_entries,
        mtls,
        istio_gateways: components
            .iter()
            .copied()
            .filter(|&p| {
                mesh.pods[p].role == Role::Istio(crate::mesh::component::Component::Gateway)
            })
            .collect(),
        podless_ingresses: podless_ingresses(&mesh, scope),
        waypoint_keys: mesh.waypoints.iter().map(|w| w.key().into()).collect(),
        waypoint_identities: (0..mesh.waypoints.len())
            .map(|w| mesh.waypoint_identity(w).into())
            .collect(),
        findings: vec![],
    };

    let mut policies = authz::reports(&mut ctx);
    policies.extend(peer::reports(&mut ctx));
    policies.extend(extensions::reports(&mut ctx));
    policies.extend(extensions::route_reports(&mut ctx));
    bindings::findings(&mut ctx);
    canary::binding_findings(&mut ctx);
    revision::findings(&mut ctx);
    revision::service_entries(&mut ctx);
    let input_assumptions = assumptions::input_state(&mut ctx);
    assumptions::version_skew(&mut ctx);
    assumptions::host_network_eligible(&mut ctx);
    network::findings(&mut ctx, &policies);
    custom::findings(&mut ctx);
    let mut chains = paths::ChainNames::default();
    let bypass = bypass::findings(&ctx, &mut chains);
    let denials = canary::denied_at_destination(&mut ctx);
    ctx.findings.extend(bypass);
    let mut by_identity = identity::findings(&ctx, &denials);
    canary::amend_guards(&mut by_identity, &denials);
    ctx.findings.extend(by_identity);
    ctx.findings.extend(netpol::findings(&ctx));

    let mut findings = std::mem::take(&mut ctx.findings);
    findings.sort();
    findings.dedup();
    let paths = Paths::new(&ctx, chains);
    let explanation = Explanation {
        api_version: API_VERSION,
        kind: "Explanation",
        namespace: scope.namespace.clone(),
        assumptions: {
            let mut a = assumptions::assumptions(snap, &mesh.rules);
            a.extend(network::assumptions(&mesh));
            a.extend(input_assumptions);
            a.extend(assumptions::istio_components(&mesh, &components));
            a
        },
        policies,
        summary: crate::findings::by_code(&findings),
        findings,
        workloads: (),
        services: inventory::services(&ctx),
        waypoints: inventory::waypoints(&ctx),
        paths: (),
        skipped: snap.skipped.clone(),
        incomplete: snap.incomplete.clone(),
        version_rules: mesh.rules.applied().iter().map(|r| *r.info()).collect(),
    };
    let late = Late {
        paths,
        workloads: Workloads { ctx: &ctx },
    };
    then(explanation, &late)
}

/// `Kind/ns/name` keys shortened to their names, for messages.
pub(crate) fn short_names<K: AsRef<str>>(keys: &[K]) -> Vec<String> {
    keys.iter()
        .map(|k| short_name(k.as_ref()).to_string())
        .collect()
}

/// A `Kind/ns/name` key's name.
pub(crate) fn short_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// How a policy is attached, in the words of the output contract.
pub(crate) fn attachment_label(
    has_refs: bool,
    has_selector: bool,
    ns: &str,
    root: &str,
) -> &'static str {
    if has_refs {
        "targetRefs"
    } else if has_selector {
        "selector"
    } else if ns == root {
        "mesh"
    } else {
        "namespace"
    }
}

/// Whether a policy found outside the explained namespace belongs in the report: only when
/// it is enforced on something in scope.
pub(crate) fn relevant(ctx: &Ctx, ns: &str, enforcement: &[Enforcement]) -> bool {
    let has_targets = enforcement.iter().any(|e| !e.targets.is_empty());
    has_targets || (ctx.scope.ns_in(ns) && ctx.scope.selector.is_none())
}
