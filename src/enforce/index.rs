//! The one index of a Snapshot's policies, built once and shared by every consumer (the
//! role of linkerd2's policy-controller `index`): each AuthorizationPolicy's ztunnel
//! conversion and resolved targetRefs, the policies per namespace and per waypoint chain,
//! the mTLS mode per pod, what each destination ztunnel holds (with the synthesized
//! PeerAuthentication and implicit waypoint entries), and the decision of each enforcer kind
//! over them. `explain`, `check`, the matrix and `diff` ask here; no rule lives in them.

use super::admitted::{self, Admitted};
use super::attach::{envoy_attaches, resolve_ref, sidecar_attaches, ztunnel_attaches};
use super::attach::{Chain, Consumer};
use super::attach::{RefOutcome, RefResolution};
use super::evaluate::envoy::{self, Request};
use super::evaluate::l4::{self, Conn};
use super::evaluate::peer::Peer;
use super::evaluate::{HopDecision, Outcome};
use super::held::DataplanePolicies;
use super::netpol::NetworkPolicies;
use super::peerauth::{self, MtlsOutcome};
use super::revision::drop_other_revision;
use super::ztunnel::{self, Action, Clause, Conversion, Match, Scope, StringMatch, ZRule};
use crate::interned::Interned;
use crate::mesh::{Dataplane, Mesh};
use crate::parallel::lock;
use crate::snapshot::Snapshot;
use crate::versions::Row;
use std::borrow::Cow;
// Sync: the report's paths and workloads are built on every core (`render::sections`).
use std::sync::{Mutex, OnceLock};
// foldhash: these maps are read once or more per pod (issue 16).
use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

/// Where an entry of a ztunnel's policy list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// istiod's static DENY for the pod's PeerAuthentication (plaintext where STRICT).
    PeerAuthentication,
    /// `Snapshot::authorization_policies[i]`, as converted for ztunnel.
    Policy(usize),
    /// `PILOT_AUTO_ALLOW_WAYPOINT_POLICY`: the ALLOW for waypoint `Mesh::waypoints[w]`
    /// (SEMANTICS.md 5.4).
    ImplicitWaypoint(usize),
    /// The `k`th policy of a ztunnel's dump (`Index::with_dataplane`).
    Dataplane(usize),
}

/// One policy a destination ztunnel holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Held {
    pub origin: Origin,
    pub action: Action,
}

/// A pod's effective PeerAuthentication and the DENY rules ztunnel receives for it.
#[derive(Debug, Clone)]
pub struct PodMtls {
    pub outcome: MtlsOutcome,
    pub deny_rules: Vec<ZRule>,
}

pub struct Index<'a> {
    pub mesh: &'a Mesh<'a>,
    pub snap: &'a Snapshot,
    /// Per AuthorizationPolicy: what the cluster admits of it on the release that runs.
    pub admitted: Vec<Admitted>,
    /// Per AuthorizationPolicy: what ztunnel makes of it.
    pub conversions: Vec<Conversion>,
    /// Per AuthorizationPolicy and per extension: its targetRefs, resolved.
    pub ap_refs: Vec<Vec<RefResolution>>,
    /// Per AuthorizationPolicy: the waypoints its targetRefs reach whose istiod revision
    /// ignores it (`revision::drop_other_revision`), already left out of `ap_refs`.
    pub ap_other_revision: Vec<Vec<usize>>,
    pub ext_refs: Vec<Vec<RefResolution>>,
    aps_by_ns: HashMap<&'a str, Vec<usize>>,
    /// (waypoint, chain) -> AuthorizationPolicy indices, and the same for extensions.
    chain_aps: HashMap<(usize, Chain), Vec<usize>>,
    chain_exts: HashMap<(usize, Chain), Vec<usize>>,
    /// Per waypoint: the rules of its implicit ALLOW.
    implicit: Vec<Vec<ZRule>>,
    /// Per PeerAuthentication labelled `istio.io/rev` for another revision than ztunnel's
    /// istiod: (label, ztunnel's revision, filtered out of its ambient index, row).
    pub pa_revision: Vec<Option<(String, String, bool, Row)>>,
    /// Per PeerAuthentication: whether ztunnel's istiod takes it.
    pa_taken: Vec<bool>,
    /// Per pod, computed on first use: the policies attached at its ztunnel, and what it
    /// holds. Lists shared by the pods that have the same (replicas), each stored once.
    zt_attached: OnceLock<Vec<Arc<[usize]>>>,
    ztunnel: Vec<OnceLock<Arc<[Held]>>>,
    held_lists: Interned<[Held]>,
    /// Per AuthorizationPolicy: its place in (namespace, name) order, equal for equal names.
    name_rank: Vec<u32>,
    mtls: Vec<OnceLock<PodMtls>>,
    /// The NetworkPolicies, indexed on first use.
    netpol: OnceLock<NetworkPolicies<'a>>,
    /// Per pod, its signature's number (`signature`); the signatures, each stored once.
    sigs: Vec<OnceLock<u32>>,
    sig_ids: Mutex<HashMap<String, u32>>,
    /// The destination ztunnel's decisions for a peer, by held list (its interned address):
    /// many pods hold the same list (a namespace's policies).
    decisions: Mutex<HashMap<(usize, Peer), HopDecision>>,
    /// What ztunnel really holds, when deciding on a dump rather than on the model.
    dataplane: Option<DataplanePolicies>,
}

/// `in_effect`: whether policy `i` is held by istiod at all (a refused one attaches nowhere).
fn by_chain(
    refs: &[Vec<RefResolution>],
    in_effect: impl Fn(usize) -> bool,
) -> HashMap<(usize, Chain), Vec<usize>> {
    let mut m: HashMap<(usize, Chain), Vec<usize>> = HashMap::new();
    for (i, res) in refs.iter().enumerate().filter(|(i, _)| in_effect(*i)) {
        for o in res.iter().flat_map(|r| &r.outcomes) {
            if let RefOutcome::Waypoint { waypoint, chain } = o {
                let v = m.entry((*waypoint, *chain)).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
    }
    m
}

impl<'a> Index<'a> {
    pub fn new(mesh: &'a Mesh<'a>) -> Self {
        let snap = mesh.snap;
        let root = snap.mesh.root();
        let admitted: Vec<Admitted> = snap
            .authorization_policies
            .iter()
            .map(|p| admitted::admit(p, &mesh.rules))
            .collect();
        let conversions = snap
            .authorization_policies
            .iter()
            .zip(&admitted)
            .map(|(p, a)| {
                let mut c = ztunnel::convert(a.policy(p).unwrap_or(p), root, &mesh.rules);
                if a.refused() {
                    c.not_sent = Some(ztunnel::NotSent::Refused);
                }
                c
            })
            .collect();
        let resolve_all = |ns: &str, refs: Vec<crate::model::PolicyTargetRef>, c: Consumer| {
            refs.iter()
                .map(|r| resolve_ref(mesh, ns, r, c))
                .collect::<Vec<_>>()
        };
        let mut ap_other_revision = Vec::with_capacity(snap.authorization_policies.len());
        let ap_refs: Vec<Vec<RefResolution>> = snap
            .authorization_policies
            .iter()
            .map(|p| {
                let mut refs = resolve_all(
                    &p.metadata.namespace,
                    p.spec.attachment.target_refs(),
                    Consumer::Standard,
                );
                ap_other_revision.push(drop_other_revision(mesh, &p.metadata, &mut refs));
                refs
            })
            .collect();
        let ext_refs: Vec<Vec<RefResolution>> = snap
            .extensions
            .iter()
            .map(|p| {
                let c = if p.kind == "EnvoyFilter" {
                    Consumer::EnvoyFilter
                } else {
                    Consumer::Standard
                };
                let mut refs =
                    resolve_all(&p.metadata.namespace, p.spec.attachment.target_refs(), c);
                drop_other_revision(mesh, &p.metadata, &mut refs);
                refs
            })
            .collect();
        let mut aps_by_ns: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in snap.authorization_policies.iter().enumerate() {
            aps_by_ns
                .entry(p.metadata.namespace.as_str())
                .or_default()
                .push(i);
        }
        let implicit = mesh
            .waypoints
            .iter()
            .map(|wp| {
                let principals = wp
                    .identities
                    .iter()
                    .map(|i| StringMatch::Exact(i.trim_start_matches("spiffe://").to_string()))
                    .collect();
                vec![ZRule {
                    clauses: vec![Clause {
                        matches: vec![Match {
                            principals,
                            ..Match::default()
                        }],
                    }],
                }]
            })
            .collect();
        // The revision filter of the ambient index (`configFilter` on the PeerAuthentication
        // informer, AMB/ambientindex.go at 1.27.0): ztunnel's mTLS ignores those filtered out.
        let pa_revision: Vec<_> = snap
            .peer_authentications
            .iter()
            .map(|pa| {
                mesh.rules
                    .labelled_for_other(pa.metadata.label(crate::snapshot::REV_LABEL))
            })
            .collect();
        let pa_taken = pa_revision
            .iter()
            .map(|r| !r.as_ref().is_some_and(|r| r.2))
            .collect();
        let n = snap.pods.len();
        let chain_aps = by_chain(&ap_refs, |i| !admitted[i].refused());
        Index {
            pa_revision,
            pa_taken,
            mesh,
            snap,
            admitted,
            conversions,
            chain_aps,
            chain_exts: by_chain(&ext_refs, |_| true),
            ap_refs,
            ap_other_revision,
            ext_refs,
            aps_by_ns,
            implicit,
            zt_attached: OnceLock::new(),
            held_lists: Interned::default(),
            name_rank: name_ranks(&snap.authorization_policies),
            ztunnel: (0..n).map(|_| OnceLock::new()).collect(),
            mtls: (0..n).map(|_| OnceLock::new()).collect(),
            sigs: (0..n).map(|_| OnceLock::new()).collect(),
            sig_ids: Mutex::default(),
            decisions: Mutex::default(),
            netpol: OnceLock::new(),
            dataplane: None,
        }
    }

    /// The Kubernetes NetworkPolicies, the gate below Istio's on every wire.
    pub fn network_policies(&self) -> &NetworkPolicies<'a> {
        self.netpol.get_or_init(|| NetworkPolicies::new(self.mesh))
    }

    pub fn root(&self) -> &str {
        self.snap.mesh.root()
    }

    /// AuthorizationPolicies that can apply to a pod in `ns`: its namespace's and the root's.
    pub fn candidate_aps(&self, ns: &str) -> impl Iterator<Item = usize> + '_ {
        let root = self.root();
        let own = self.aps_by_ns.get(ns).map_or(&[][..], Vec::as_slice);
        let global = if ns == root {
            &[][..]
        } else {
            self.aps_by_ns.get(root).map_or(&[][..], Vec::as_slice)
        };
        own.iter().chain(global).copied()
    }

    /// Pods a policy in `ns` can select: those of `ns`, or every pod for the root namespace;
    /// with `labels`, only those carrying its rarest label there (in index order). The index
    /// is per namespace, so that a label common across namespaces (`app: web` in each team's)
    /// costs nothing outside the policy's own.
    pub fn candidate_pods(&self, ns: &str, labels: Option<&crate::selector::Labels>) -> Vec<usize> {
        let all = ns == self.root();
        match labels.filter(|l| !l.is_empty()) {
            Some(labels) if all => {
                let pods = &self.mesh.candidates;
                let mut v: Vec<usize> = (pods.namespaces())
                    .flat_map(|ns| pods.rarest(ns, labels))
                    .copied()
                    .collect();
                v.sort_unstable();
                v
            }
            Some(labels) => self.mesh.candidates.rarest(ns, labels).to_vec(),
            None if all => (0..self.snap.pods.len()).collect(),
            None => self.mesh.candidates.in_ns(ns).to_vec(),
        }
    }

    /// The AuthorizationPolicies istiod sends to each pod's ztunnel (SEMANTICS.md 4.1),
    /// found from the policies' side: each looks only at the pods its selector can match
    /// (asking every pod about every policy of its namespace would grow as their product).
    fn zt_attached(&self) -> &[Arc<[usize]>] {
        self.zt_attached.get_or_init(|| {
            let snap = self.snap;
            let mut out = vec![Vec::new(); snap.pods.len()];
            for (i, p) in snap.authorization_policies.iter().enumerate() {
                let c = &self.conversions[i];
                if c.not_sent.is_some() || c.ztunnel_logs_only() {
                    continue;
                }
                let labels = match c.scope {
                    Scope::WorkloadSelector => p
                        .spec
                        .attachment
                        .selector
                        .as_ref()
                        .and_then(|s| s.match_labels.as_ref()),
                    _ => None,
                };
                for d in self.candidate_pods(&p.metadata.namespace, labels) {
                    if ztunnel_attaches(p, c.scope, &snap.pods[d], self.root()) {
                        out[d].push(i);
                    }
                }
            }
            let lists: Interned<[usize]> = Interned::default();
            out.into_iter().map(|l| lists.get(l)).collect()
        })
    }

    /// The effective mTLS of pod `d`: a sidecar pod applies PeerAuthentication with sidecar
    /// semantics (DISABLE stays DISABLE), any other as its ztunnel does (SEMANTICS.md 7).
    pub fn mtls(&self, d: usize) -> &PodMtls {
        self.mtls[d].get_or_init(|| {
            let (pod, pas) = (&self.snap.pods[d], &self.snap.peer_authentications);
            let outcome = if self.mesh.pods[d].dataplane == Dataplane::Sidecar {
                peerauth::sidecar_effective(pod, pas, self.root())
            } else {
                peerauth::effective(pod, pas, self.root(), Some(&self.pa_taken))
            };
            let deny_rules = outcome.deny_rules();
            PodMtls {
                outcome,
                deny_rules,
            }
        })
    }

    /// Whether ztunnel's istiod takes any PeerAuthentication (then it also sends its static
    /// STRICT DENY, `DefaultPolicy` in AMB/policies.go).
    pub fn any_peer_authentication_taken(&self) -> bool {
        self.pa_taken.iter().any(|&t| t)
    }

    /// Whether plaintext is rejected on `port` of pod `d` (`None`: depends on the port).
    pub fn plaintext_rejected(&self, d: usize, port: Option<u16>) -> Option<bool> {
        let m = &self.mtls(d).outcome;
        match port {
            Some(p) => Some(m.strict != m.exceptions.contains(&p)),
            None if m.exceptions.is_empty() => Some(m.strict),
            None => None,
        }
    }

    /// What the destination ztunnel of pod `d` holds, in Istio's order (DENY before ALLOW,
    /// then by namespace and name): the AuthorizationPolicies it is sent, the DENY of its
    /// PeerAuthentication, and the implicit ALLOW of each waypoint in front of it when
    /// `PILOT_AUTO_ALLOW_WAYPOINT_POLICY` is on. Empty for a pod outside ambient.
    pub fn ztunnel(&self, d: usize) -> &[Held] {
        self.ztunnel[d].get_or_init(|| self.held_lists.get(self.held_of(d)))
    }

    fn held_of(&self, d: usize) -> Vec<Held> {
        if self.mesh.pods[d].dataplane != Dataplane::Ambient {
            return Vec::new();
        }
        if let Some(dp) = &self.dataplane {
            return self.dataplane_held(dp, d);
        }
        let mut out: Vec<Held> = self.zt_attached()[d]
            .iter()
            .map(|&i| Held {
                origin: Origin::Policy(i),
                action: self.conversions[i].action,
            })
            .collect();
        if !self.mtls(d).deny_rules.is_empty() {
            out.push(Held {
                origin: Origin::PeerAuthentication,
                action: Action::Deny,
            });
        }
        if self.snap.mesh.feature("PILOT_AUTO_ALLOW_WAYPOINT_POLICY") {
            out.extend(
                self.mesh
                    .implicit_allow_waypoints(d)
                    .into_iter()
                    .map(|w| Held {
                        origin: Origin::ImplicitWaypoint(w),
                        action: Action::Allow,
                    }),
            );
        }
        // Istio's order: DENY (the PeerAuthentication first) before ALLOW, then by name.
        // This runs for every pod: policies' names compare by their ranks, and others'
        // borrowed, not copied.
        let ranked = |h: &Held| match h.origin {
            Origin::Policy(i) => Some(self.name_rank[i]),
            Origin::PeerAuthentication => Some(0),
            _ => None,
        };
        if out.iter().all(|h| ranked(h).is_some()) {
            out.sort_by_key(|h| {
                let pa = h.origin == Origin::PeerAuthentication;
                (h.action != Action::Deny, !pa, ranked(h))
            });
            return out;
        }
        let order = |h: &Held| {
            let (ns, name) = self.held_name(h.origin);
            (
                h.action != Action::Deny,
                h.origin != Origin::PeerAuthentication,
                ns,
                name,
            )
        };
        out.sort_by(|a, b| order(a).cmp(&order(b)));
        out
    }

    /// Which list pod `d`'s ztunnel holds: the interned list's address, equal for equal
    /// lists (`held_lists` keeps each distinct list once, for the Index's life).
    fn held_list_id(&self, d: usize) -> usize {
        self.ztunnel(d).as_ptr() as usize
    }

    /// The rules of one entry of pod `d`'s ztunnel.
    pub fn held_rules(&self, d: usize, origin: Origin) -> &[ZRule] {
        match origin {
            Origin::Policy(i) => &self.conversions[i].rules,
            Origin::PeerAuthentication => &self.mtls(d).deny_rules,
            Origin::ImplicitWaypoint(w) => &self.implicit[w],
            Origin::Dataplane(k) => self
                .dataplane
                .as_ref()
                .map_or(&[][..], |dp| &dp.policies[k].rules),
        }
    }

    /// (namespace, name) of an entry, as ztunnel names it.
    pub fn held_name(&self, origin: Origin) -> (&str, Cow<'_, str>) {
        match origin {
            Origin::Policy(i) => {
                let m = &self.snap.authorization_policies[i].metadata;
                (&m.namespace, Cow::Borrowed(&m.name))
            }
            Origin::PeerAuthentication => ("", Cow::Borrowed("PeerAuthentication")),
            Origin::ImplicitWaypoint(w) => {
                let wp = &self.mesh.waypoints[w];
                (
                    &wp.namespace,
                    format!("istio_allow_waypoint_{}_{}", wp.namespace, wp.name).into(),
                )
            }
            Origin::Dataplane(k) => match &self.dataplane {
                Some(dp) => (
                    &dp.policies[k].namespace,
                    Cow::Borrowed(&dp.policies[k].name),
                ),
                None => ("", Cow::Borrowed("")),
            },
        }
    }

    /// The destination ztunnel's decision for a connection to pod `d`, with each held
    /// policy's outcome (in `ztunnel(d)` order).
    pub fn decide_ztunnel(&self, d: usize, c: &Conn) -> (Vec<Outcome>, HopDecision) {
        let held: Vec<l4::Held> = self
            .ztunnel(d)
            .iter()
            .map(|h| (h.action, self.held_rules(d, h.origin)))
            .collect();
        l4::decide(&held, c)
    }

    /// The destination ztunnel's decision for a connection to pod `d` from `peer`, nothing
    /// else known. The rules of an entry do not depend on the pod, except those of its
    /// PeerAuthentication: pods holding the same list (interned, so the same address) decide
    /// alike, and the question is asked once per list.
    pub fn ztunnel_decision(&self, d: usize, peer: &Peer) -> HopDecision {
        let held = self.ztunnel(d);
        let shared = !held.iter().any(|h| h.origin == Origin::PeerAuthentication);
        let key = (self.held_list_id(d), peer.clone());
        if shared {
            if let Some(dec) = lock(&self.decisions).get(&key) {
                return dec.clone();
            }
        }
        let (_, dec) = self.decide_ztunnel(d, &Conn::from(peer.clone()));
        if shared {
            lock(&self.decisions).insert(key, dec.clone());
        }
        dec
    }

    /// The action with which an Envoy-based proxy applies policy `i`: a dry-run policy is a
    /// shadow rule, logged, never deciding (`AUDIT`).
    pub fn envoy_action(&self, i: usize) -> Action {
        let c = &self.conversions[i];
        if c.dry_run {
            Action::Audit
        } else {
            c.action
        }
    }

    /// Policy `i` as the enforcers receive it (without the fields its release does not
    /// know), or `None` when the cluster refuses it.
    pub fn admitted_policy(&self, i: usize) -> Option<&crate::model::AuthorizationPolicy> {
        self.admitted[i].policy(&self.snap.authorization_policies[i])
    }

    /// An Envoy-based proxy's decision over AuthorizationPolicies `policies` (those the
    /// cluster refuses are not there).
    pub fn decide_envoy(&self, policies: &[usize], r: &Request) -> (Vec<Outcome>, HopDecision) {
        let acts = self.envoy_actions(policies); // CUSTOM may deny (`custom-providers`)
        let ps: Vec<_> = (policies.iter().zip(acts))
            .filter_map(|(&i, a)| Some((self.admitted_policy(i)?, a)))
            .collect();
        // The release's regex escaping (`envoy-regex-escaping`) decides how identities match.
        let u = self.mesh.rules.envoy_unescaped();
        if r.unescaped != u {
            return envoy::decide(
                &ps,
                &Request {
                    unescaped: u,
                    ..r.clone()
                },
            );
        }
        envoy::decide(&ps, r)
    }

    /// The AuthorizationPolicies a sidecar-injected pod `d` enforces itself (sidecar
    /// semantics: selector, namespace and root policies; targetRefs ignored).
    pub fn sidecar_policies(&self, d: usize) -> Vec<usize> {
        let pod = &self.snap.pods[d];
        self.candidate_aps(&pod.metadata.namespace)
            .filter(|&i| {
                let p = &self.snap.authorization_policies[i];
                p.spec.attachment.target_refs().is_empty()
                    && sidecar_attaches(
                        &p.metadata.namespace,
                        p.spec.attachment.selector.as_ref(),
                        pod,
                        self.root(),
                    )
            })
            .collect()
    }

    /// Policies at ingress gateway `g` (a Gateway API Gateway): Gateway targetRefs, and
    /// selector policies on its pod (`ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY`, on by
    /// default; always for a classic gateway, `g` unknown).
    pub fn ingress_policies(&self, g: Option<usize>, pod: Option<usize>) -> Vec<usize> {
        let snap = self.snap;
        let selector_ok = g.is_none()
            || snap
                .mesh
                .feature("ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY");
        // A Gateway whose pods the input lacks: seen as istiod labels them.
        let predicted = g
            .filter(|_| pod.is_none())
            .map(|g| (&self.mesh.waypoints[g], self.mesh.waypoints[g].pod_labels()));
        (0..snap.authorization_policies.len())
            .filter(|&i| {
                let p = &snap.authorization_policies[i];
                let by_ref = g.is_some_and(|g| {
                    self.ap_refs[i]
                        .iter()
                        .flat_map(|r| &r.outcomes)
                        .any(|o| *o == RefOutcome::Ingress { gateway: g })
                });
                let sel = p.spec.attachment.selector.as_ref();
                let attaches = match (pod, &predicted) {
                    (Some(d), _) => {
                        sidecar_attaches(&p.metadata.namespace, sel, &snap.pods[d], self.root())
                    }
                    (None, Some((w, labels))) => envoy_attaches(
                        &p.metadata.namespace,
                        sel,
                        &w.namespace,
                        labels,
                        self.root(),
                    ),
                    (None, None) => false,
                };
                let by_selector =
                    selector_ok && p.spec.attachment.target_refs().is_empty() && attaches;
                by_ref || by_selector
            })
            .collect()
    }

    fn at_chain(
        m: &HashMap<(usize, Chain), Vec<usize>>,
        w: usize,
        chain: Option<Chain>,
    ) -> Vec<usize> {
        let mut v: Vec<usize> = m.get(&(w, Chain::All)).cloned().unwrap_or_default();
        if let Some(c) = chain {
            v.extend(m.get(&(w, c)).into_iter().flatten());
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// AuthorizationPolicies attached at waypoint `w` for `chain` (a Service, a
    /// ServiceEntry, or `None` for pod-IP traffic), in input order (SEMANTICS.md 6.3).
    pub fn chain_policies(&self, w: usize, chain: Option<Chain>) -> Vec<usize> {
        Self::at_chain(&self.chain_aps, w, chain)
    }

    /// The extensions (RequestAuthentication, Telemetry, WasmPlugin, EnvoyFilter) attached
    /// at waypoint `w` for `chain`.
    pub fn chain_extensions(&self, w: usize, chain: Option<Chain>) -> Vec<usize> {
        Self::at_chain(&self.chain_exts, w, chain)
    }
}

mod dataplane;
mod signature;

/// Each policy's place in (namespace, name) order, the same for equal names (a stable sort
/// by rank then orders as one by name).
fn name_ranks(policies: &[crate::model::AuthorizationPolicy]) -> Vec<u32> {
    let name = |i: usize| {
        let m = &policies[i].metadata;
        (m.namespace.as_str(), m.name.as_str())
    };
    let mut order: Vec<usize> = (0..policies.len()).collect();
    order.sort_by(|&a, &b| name(a).cmp(&name(b)));
    let mut ranks = vec![0; policies.len()];
    for (k, w) in order.windows(2).enumerate() {
        let same = name(w[0]) == name(w[1]);
        ranks[w[1]] = if same { ranks[w[0]] } else { k as u32 + 1 };
    }
    ranks
}
