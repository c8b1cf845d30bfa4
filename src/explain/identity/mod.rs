//! The identities policies name, against the identities ztunnel really sees.
//!
//! Behind a waypoint the destination ztunnel sees the waypoint's identity, not the client's
//! (SEMANTICS.md 3.2, 3.5: "waypoint proxies do not impersonate src identity"). For every
//! in-scope ambient workload and every waypoint in front of it, each AuthorizationPolicy its
//! ztunnel enforces is classified by what its source conditions make of that identity:
//! * it denies all traffic through the waypoint (AMB027, error): the path is dead;
//! * it names clients that the waypoint hides (AMB006, warning): a DENY that never fires
//!   through the waypoint, or an ALLOW whose client checks do not apply there;
//! * it admits the waypoint and excludes other identities: the bypass guard of istio.io's
//!   migration page (AMB028, info), which must stay a selector policy: "Do not use
//!   targetRefs for this policy ... This would cause the waypoint to deny all client traffic"
//!   (`docs/ambient/migrate/migrate-policies`).
//!
//! It also checks the names themselves: principals and serviceAccounts that match no
//! workload identity of the input (AMB029, with the closest one), and source namespaces that
//! do not exist (AMB030, istioctl's IST0101).

use super::destination::{self, entries};
use super::report::Verdict;
use super::Ctx;
use crate::enforce::evaluate::l4::Conn;
use crate::enforce::evaluate::Peer;
use crate::enforce::index::Origin;
use crate::enforce::ztunnel::{Action, Match, ZRule};
use crate::findings::{self as f, Finding};
use crate::mesh::Dataplane;
use crate::model::{resource_key, AuthorizationPolicy};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

mod listing;
use listing::names;

/// An identity no workload has: what "any other client" looks like.
fn probe(td: &str) -> String {
    format!("{td}/ns/ambient-policy-probe/sa/probe")
}

/// The identity kinds of a match only (principals, namespaces, service accounts).
fn identity_view(m: &Match) -> Match {
    Match {
        principals: m.principals.clone(),
        not_principals: m.not_principals.clone(),
        namespaces: m.namespaces.clone(),
        not_namespaces: m.not_namespaces.clone(),
        service_accounts: m.service_accounts.clone(),
        not_service_accounts: m.not_service_accounts.clone(),
        ..Match::default()
    }
}

/// Whether the rule's source conditions let `id` through: some connection from `id` can
/// match it (ports and addresses are taken as matching).
fn rule_admits(rule: &ZRule, id: &str) -> bool {
    let conn = Conn::from(Peer::known(id));
    rule.can_fire()
        && rule.clauses.iter().all(|cl| {
            cl.matches.is_empty()
                || cl.matches.iter().filter(|m| !m.is_empty()).any(|m| {
                    let v = identity_view(m);
                    v.is_empty() || v.eval(&conn) == Some(true)
                })
        })
}

fn constrains_identity(rules: &[ZRule]) -> bool {
    rules.iter().any(|r| {
        r.can_fire()
            && r.clauses
                .iter()
                .any(|c| c.matches.iter().any(Match::constrains_identity))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Every client through the waypoint is denied because of this policy.
    DeniesWaypoint,
    /// Source conditions name clients the waypoint hides.
    ClientsHidden,
    /// Admits the waypoint, excludes others: guards against bypass.
    Guard,
}

/// The policies pod `d`'s ztunnel holds that constrain identities, by (key, class), with
/// their action, as seen through waypoint `w`; AMB049's canary denials left out.
fn classes(
    ctx: &Ctx,
    d: usize,
    w: usize,
    probe: &str,
    denied_canaries: &[super::canary::CanaryDenial],
) -> Vec<Classified> {
    let (ix, mesh) = (ctx.ix, ctx.mesh);
    let wid = mesh.waypoint_identity(w).trim_start_matches("spiffe://");
    let overall = destination::verdict(ix, d, Peer::known(wid));
    let mut out = Vec::new();
    for h in entries(ix, d)
        .iter()
        .filter(|h| matches!(h.origin, Origin::Policy(_)))
    {
        let key = destination::key(ix, h.origin);
        let rules = ix.held_rules(d, h.origin);
        let Some(class) = classify(&key, h.action, rules, wid, probe, &overall) else {
            continue;
        };
        let said = || {
            denied_canaries
                .iter()
                .any(|c| c.canary == ctx.waypoint_name(w) && c.policies.contains(&key))
        };
        if class == Class::DeniesWaypoint && said() {
            continue;
        }
        out.push(((key, class as u8), h.action));
    }
    out
}

/// What one policy at a ztunnel makes of traffic arriving from `waypoint`.
/// `overall`: the ztunnel's verdict for the waypoint's identity with all its policies.
fn classify(
    key: &str,
    action: Action,
    rules: &[ZRule],
    waypoint: &str,
    probe: &str,
    overall: &Verdict,
) -> Option<Class> {
    if !constrains_identity(rules) {
        return None;
    }
    let denied_by_it = matches!(overall, Verdict::Deny(by) if by.iter().any(|b| b == key));
    let admits_w = rules.iter().any(|r| rule_admits(r, waypoint));
    let admits_other = rules.iter().any(|r| rule_admits(r, probe));
    match action {
        Action::Allow if denied_by_it => Some(Class::DeniesWaypoint),
        Action::Allow if !admits_w => Some(Class::ClientsHidden),
        Action::Allow if !admits_other => Some(Class::Guard),
        Action::Deny if denied_by_it => Some(Class::DeniesWaypoint),
        Action::Deny if !admits_w && admits_other => Some(Class::Guard),
        Action::Deny if !admits_w => Some(Class::ClientsHidden),
        _ => None,
    }
}

/// A policy (key) classified (`Class as u8`) through a waypoint, with its action.
type Classified = ((String, u8), Action);

/// (destination pod, waypoint) per policy and class. Read only as sets (names are sorted
/// where they are written), so kept in the order met.
type Seen = BTreeMap<(String, u8), Vec<(usize, usize)>>;

/// `denied_canaries`: canary waypoints AMB049 reports denied at the destination ztunnel, by
/// the policies named there; AMB027 does not say it again for them.
pub fn findings(ctx: &Ctx, denied_canaries: &[super::canary::CanaryDenial]) -> Vec<Finding> {
    let (snap, mesh, ix) = (ctx.snap, ctx.mesh, ctx.ix);
    let td = snap.mesh.trust_domain();
    let probe = probe(td);
    let mut seen: Seen = BTreeMap::new();
    let mut actions: BTreeMap<String, Action> = BTreeMap::new();
    // Pods enforced alike (one signature) behind one waypoint are classified alike: once
    // per pair, not per pod, and the pair's pods are recorded per class at once. Groups in
    // the order met.
    let mut groups: Vec<(usize, Vec<Classified>, Vec<usize>)> = Vec::new();
    let mut group_of: HashMap<(u32, usize), usize> = HashMap::new();
    for &d in &ctx.pods {
        if mesh.pods[d].dataplane != Dataplane::Ambient {
            continue;
        }
        for &w in mesh.waypoints_in_front_of(d) {
            let g = *group_of.entry((ix.signature(d), w)).or_insert_with(|| {
                groups.push((w, classes(ctx, d, w, &probe, denied_canaries), Vec::new()));
                groups.len() - 1
            });
            groups[g].2.push(d);
        }
    }
    for (w, classes, pods) in groups {
        for (k, action) in classes {
            actions.entry(k.0.clone()).or_insert(action);
            (seen.entry(k).or_default()).extend(pods.iter().map(|&d| (d, w)));
        }
    }
    let mut out = Vec::new();
    let by_key = std::cell::OnceCell::new();
    let identity = |w: usize| mesh.waypoint_identity(w).trim_start_matches("spiffe://");
    for ((key, class), hits) in seen {
        let dests = names(hits.iter().map(|h| mesh.pod_key_str(h.0)), true);
        let waypoints: BTreeSet<usize> = hits.iter().map(|h| h.1).collect();
        // The waypoints' identities: of the few waypoints, not of the many hits.
        let ids: BTreeSet<&str> = waypoints.iter().map(|&w| identity(w)).collect();
        let wps = names(waypoints.into_iter().map(|w| ctx.waypoint_name(w)), false);
        let ids = ids.into_iter().collect::<Vec<_>>().join(", ");
        let allow = actions.get(&key) == Some(&Action::Allow);
        let (code, msg, fix) = match class {
            c if c == Class::DeniesWaypoint as u8 => (
                &f::WAYPOINT_NOT_ADMITTED,
                if allow {
                    format!("every client that reaches {dests} through waypoint {wps} is denied: ztunnel sees the waypoint's identity {ids}, which this ALLOW policy does not admit and no other ALLOW does; add a rule with from.source.principals [{ids}] and check the clients with a targetRefs policy at the waypoint")
                } else {
                    format!("every client that reaches {dests} through waypoint {wps} is denied: this DENY policy matches the waypoint's identity {ids}, which is all ztunnel sees there; exclude it (notPrincipals [{ids}]) and deny the clients with a targetRefs policy at the waypoint")
                },
                // In a DENY, a principals rule for the waypoint would deny it: the fix follows
                // the action.
                Some(if allow {
                    format!("Admit the waypoint's identity at ztunnel (a rule of this ALLOW with from.source.principals [{ids}]), and check the clients with a targetRefs policy at the waypoint.")
                } else {
                    format!("Exclude the waypoint's identity from this DENY (from.source.notPrincipals [{ids}]), and deny the clients with a targetRefs policy at the waypoint, which sees their identity.")
                }),
            ),
            c if c == Class::ClientsHidden as u8 => (
                &f::WAYPOINT_IDENTITY,
                if allow {
                    format!("traffic to {dests} through waypoint {wps} reaches ztunnel with the waypoint's identity {ids}: this policy's client conditions never match it, so the other ALLOW policies decide, and any client the waypoint lets through is admitted if they admit the waypoint")
                } else {
                    format!("this DENY never fires for traffic to {dests} through waypoint {wps}: ztunnel sees the waypoint's identity {ids}, not the clients the policy names, so they get through the waypoint")
                },
                None,
            ),
            _ => {
                // Each waypoint once, not once per pod behind it.
                let wids: Vec<&str> = hits
                    .iter()
                    .map(|h| h.1)
                    .collect::<BTreeSet<usize>>()
                    .into_iter()
                    .map(identity)
                    .collect();
                // The policies by key, made once for all the guards (a scan per finding
                // was quadratic in a namespace of thousands of policies).
                let by_key = by_key.get_or_init(|| {
                    let mut m = HashMap::new();
                    for (i, p) in snap.authorization_policies.iter().enumerate() {
                        let k = resource_key(
                            "AuthorizationPolicy",
                            &p.metadata.namespace,
                            &p.metadata.name,
                        );
                        m.entry(k).or_insert(i);
                    }
                    m
                });
                let policy = by_key.get(&key).map(|&i| &snap.authorization_policies[i]);
                let others = guard_exceptions(policy, allow, &wids);
                let (plus, bypass) = if others.is_empty() {
                    (String::new(), String::new())
                } else {
                    let o = others.join(", ");
                    (
                        format!(" and {o}"),
                        format!(", except {o}, which can reach it directly"),
                    )
                };
                if allow {
                    (
                        &f::BYPASS_GUARD,
                        format!("at the ztunnel of {dests} this ALLOW admits only waypoint {wps} ({ids}){plus}: other clients cannot bypass the waypoint{bypass}; keep it a selector policy (with targetRefs the waypoint would match it against the clients' own identities and deny them)"),
                        Some("Nothing to do for clients that use the waypoint. Those that do not (sidecars, ingress gateways without istio.io/ingress-use-waypoint, pod-IP callers) are denied: while they migrate, add their principals to this ALLOW.".to_string()),
                    )
                } else {
                    (
                        &f::BYPASS_GUARD,
                        format!("at the ztunnel of {dests} this DENY rejects every in-mesh identity but waypoint {wps} ({ids}){plus}: other clients cannot bypass the waypoint{bypass}; keep it a selector policy (a targetRefs DENY would deny every client at the waypoint)"),
                        Some("Nothing to do for clients that use the waypoint. Those that do not (sidecars, ingress gateways without istio.io/ingress-use-waypoint, pod-IP callers) are denied: while they migrate, add their principals to notPrincipals.".to_string()),
                    )
                }
            }
        };
        let fd = Finding::new(code, key, msg);
        out.push(match fix {
            Some(r) => fd.with_resolution(r),
            None => fd,
        });
    }
    out.extend(reference_findings(ctx));
    out
}

/// The source identities a bypass guard lets through besides the waypoint, as written: an
/// ALLOW's principals, namespaces and serviceAccounts; a DENY's not-forms.
fn guard_exceptions(
    p: Option<&AuthorizationPolicy>,
    allow: bool,
    waypoints: &[&str],
) -> Vec<String> {
    let Some(p) = p else {
        return vec![];
    };
    let is_waypoint = |pr: &str| {
        waypoints
            .iter()
            .any(|w| crate::enforce::ztunnel::StringMatch::parse(pr).matches(w))
    };
    let mut v: Vec<String> = Vec::new();
    for s in p
        .spec
        .rules
        .iter()
        .flatten()
        .flat_map(|r| &r.from)
        .map(|f| &f.source)
    {
        let (pr, ns, sa) = if allow {
            (&s.principals, &s.namespaces, &s.service_accounts)
        } else {
            (
                &s.not_principals,
                &s.not_namespaces,
                &s.not_service_accounts,
            )
        };
        v.extend(pr.iter().filter(|x| !is_waypoint(x)).cloned());
        v.extend(ns.iter().map(|n| format!("namespace {n}")));
        let pns = p.metadata.namespace.as_str();
        v.extend(
            sa.iter()
                .filter(|a| {
                    let (n, a) = a.split_once('/').unwrap_or((pns, a.as_str()));
                    let id = format!("/ns/{n}/sa/{a}");
                    !waypoints.iter().any(|w| w.ends_with(&id))
                })
                .map(|a| format!("service account {a}")),
        );
    }
    v.sort();
    v.dedup();
    v
}

/// Levenshtein distance, for "did you mean". Bytewise: Kubernetes names are ASCII.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `names` without the repeats of the name before: a big mesh's pods come sorted, so their
/// namespaces and identities come in runs, and a set would hash or compare each again.
fn new_runs<'a>(names: impl Iterator<Item = &'a str>) -> impl Iterator<Item = &'a str> {
    let mut last = None;
    names.filter(move |&n| last.replace(n) != Some(n))
}

/// AMB029 and AMB030: names in `from.source` that the input does not know. Only checked
/// where the input describes the namespace (it holds a workload), so that a partial input
/// does not flood the report.
fn reference_findings(ctx: &Ctx) -> Vec<Finding> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    // Known identities as `ns/<ns>/sa/<sa>` (trust domains vary; ztunnel's serviceAccounts
    // ignore them too).
    // Borrowed, and the namespace sets hashed: one entry per pod of the mesh, not sorted.
    let mut known: BTreeSet<&str> = new_runs(mesh.pods.iter().map(|p| p.identity.as_ref()))
        .chain(
            mesh.waypoints
                .iter()
                .flat_map(|w| w.identities.iter().map(String::as_str)),
        )
        .filter_map(|id| id.find("/ns/").map(|i| &id[i + 1..]))
        .collect();
    known.retain(|k| !k.is_empty());
    // Identities the input implies: a waypoint that a use-waypoint label names but the input
    // lacks runs as the Gateway's name (waypoint classes add no suffix; SEMANTICS.md 3.2).
    let present: HashSet<String> = mesh.waypoints.iter().map(|w| w.key()).collect();
    let implied: Vec<String> = mesh
        .services
        .iter()
        .map(|s| &s.binding)
        .chain(mesh.service_entries.iter().map(|s| &s.binding))
        .chain(mesh.pods.iter().map(|p| &p.binding))
        .filter_map(|b| b.requested.as_deref())
        .filter(|r| !present.contains(*r))
        .filter_map(|r| r.split_once('/'))
        .map(|(ns, name)| format!("ns/{ns}/sa/{name}"))
        .collect();
    known.extend(implied.iter().map(String::as_str));
    let described: HashSet<&str> =
        new_runs(snap.pods.iter().map(|p| p.metadata.namespace.as_str())).collect();
    // Namespaces the input shows to exist: Namespace objects, those of any namespaced object,
    // and the ones every Istio cluster has (root, kube-system, istio-cni's exclusions).
    let namespaces: HashSet<&str> = snap
        .namespaces
        .iter()
        .map(|n| n.metadata.name.as_str())
        .chain(new_runs(
            snap.pods.iter().map(|p| p.metadata.namespace.as_str()),
        ))
        .chain(new_runs(
            snap.services.iter().map(|s| s.metadata.namespace.as_str()),
        ))
        .chain(
            snap.service_entries
                .iter()
                .map(|s| s.metadata.namespace.as_str()),
        )
        .chain(snap.gateways.iter().map(|g| g.metadata.namespace.as_str()))
        .chain(snap.routes.iter().map(|r| r.metadata.namespace.as_str()))
        .chain(
            snap.extensions
                .iter()
                .map(|e| e.metadata.namespace.as_str()),
        )
        .chain(
            snap.peer_authentications
                .iter()
                .map(|p| p.metadata.namespace.as_str()),
        )
        .chain(
            snap.authorization_policies
                .iter()
                .map(|p| p.metadata.namespace.as_str()),
        )
        .chain([ctx.root(), "kube-system", "istio-system"])
        .chain(
            snap.mesh
                .cni_exclude_namespaces
                .value
                .iter()
                .map(String::as_str),
        )
        .collect();
    let namespaces_known = !snap.incomplete.iter().any(|i| i.kind == "Namespace");
    // Namespaces the input has nothing in: AMB029 and AMB030 both report names there.
    let absent = |ns: &str| namespaces_known && !namespaces.contains(ns);
    let root = ctx.root();
    let mut out = Vec::new();
    for p in &snap.authorization_policies {
        let pns = p.metadata.namespace.as_str();
        if !(ctx.scope.ns_in(pns) || pns == root) {
            continue;
        }
        let res = resource_key("AuthorizationPolicy", pns, &p.metadata.name);
        let mut unknown_ids: BTreeSet<(String, String)> = BTreeSet::new();
        let mut unknown_ns: BTreeSet<String> = BTreeSet::new();
        let mut prefixed: BTreeSet<&str> = BTreeSet::new();
        for rule in p.spec.rules.as_deref().unwrap_or(&[]) {
            // `source.principal` conditions compare the same strings as `principals`.
            let when_principals = rule
                .when
                .iter()
                .filter(|w| w.key == "source.principal")
                .flat_map(|w| w.values.iter().chain(&w.not_values));
            prefixed.extend(
                when_principals
                    .map(String::as_str)
                    .filter(|v| v.starts_with(SPIFFE)),
            );
            for from in &rule.from {
                let s = &from.source;
                let principals = s.principals.iter().chain(&s.not_principals);
                for pr in principals {
                    if pr.starts_with(SPIFFE) {
                        prefixed.insert(pr);
                        continue;
                    }
                    // `<td>/ns/<ns>/sa/<sa>`; wildcards and other forms are not checked.
                    let Some(i) = pr.find("/ns/") else { continue };
                    let id = &pr[i + 1..];
                    if pr.contains('*') {
                        continue;
                    }
                    let td = &pr[..i];
                    check_id(id, pr, &known, &described, &absent, &mut unknown_ids, |k| {
                        format!("{td}/{k}")
                    });
                }
                for sa in s.service_accounts.iter().chain(&s.not_service_accounts) {
                    if sa.contains('*') {
                        continue;
                    }
                    // `ns/sa`, or a bare `sa` in the policy's namespace.
                    let (ns, name) = sa.split_once('/').unwrap_or((pns, sa));
                    let id = format!("ns/{ns}/sa/{name}");
                    check_id(
                        &id,
                        sa,
                        &known,
                        &described,
                        &absent,
                        &mut unknown_ids,
                        |k| k.strip_prefix("ns/").unwrap_or(k).replacen("/sa/", "/", 1),
                    );
                }
                if namespaces_known {
                    for ns in s.namespaces.iter().chain(&s.not_namespaces) {
                        if !ns.contains('*') && !namespaces.contains(ns.as_str()) {
                            unknown_ns.insert(ns.clone());
                        }
                    }
                }
            }
        }
        if !prefixed.is_empty() {
            out.push(spiffe_prefix_finding(&res, &prefixed));
        }
        for (written, hint) in unknown_ids {
            out.push(Finding::new(
                &f::UNKNOWN_PRINCIPAL,
                &res,
                format!("{written:?} names an identity no workload of the input runs as{hint}"),
            ));
        }
        for ns in unknown_ns {
            out.push(Finding::new(
                &f::UNKNOWN_NAMESPACE,
                &res,
                if ns == "default" {
                    format!("source namespace {ns:?} has nothing in the input (every cluster has it; if no client runs there, the condition matches none)")
                } else {
                    format!("source namespace {ns:?} is not in the input (if it does not exist in the cluster either, the condition matches no client, as istioctl's IST0101 warns)")
                },
            ));
        }
    }
    out
}

/// Principals are compared without the scheme: ztunnel strips `spiffe://` from the peer's
/// identity (`StringMatch::matches_principal`, ztunnel `src/rbac.rs`) and Envoy enforcers
/// add it to the value they match (SEMANTICS.md 13), so a value written with it never matches.
const SPIFFE: &str = "spiffe://";

/// AMB033: principals written with `spiffe://`.
fn spiffe_prefix_finding(res: &str, values: &BTreeSet<&str>) -> Finding {
    let shown: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    let fixed: Vec<String> = values
        .iter()
        .map(|v| format!("{:?}", &v[SPIFFE.len()..]))
        .collect();
    Finding::new(
        &f::SPIFFE_PREFIX,
        res,
        format!(
            "principal {} is written with spiffe://, which neither ztunnel nor a waypoint or sidecar ever matches: in principals or an ALLOW it admits no one, in notPrincipals or a DENY it excludes or denies no one",
            shown.join(", ")
        ),
    )
    .with_resolution(format!(
        "Write the principal without the scheme: {}.",
        fixed.join(", ")
    ))
}

/// One name holds the other, and the shorter is a real name (4 characters or more).
fn contains(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 4 && long.contains(short)
}

/// Records `written` (as the user wrote it) when `id` (`ns/<ns>/sa/<sa>`) is in a described
/// namespace but no workload runs as it, with the closest known identity written back in
/// the user's form by `form`.
fn check_id(
    id: &str,
    written: &str,
    known: &BTreeSet<&str>,
    described: &HashSet<&str>,
    absent: &dyn Fn(&str) -> bool,
    out: &mut BTreeSet<(String, String)>,
    form: impl Fn(&str) -> String,
) {
    let Some(ns) = id.strip_prefix("ns/").and_then(|r| r.split('/').next()) else {
        return;
    };
    if known.contains(id) {
        return;
    }
    let sa = id.rsplit_once("/sa/").map_or("", |x| x.1);
    // Like AMB030: a namespace the input has nothing in. The same service account elsewhere
    // is the likely meaning (e.g. a kustomize overlay that moved the workloads).
    if !described.contains(ns) {
        if absent(ns) {
            let same = known
                .iter()
                .find(|k| k.rsplit_once("/sa/").is_some_and(|x| x.1 == sa));
            let hint = match same {
                Some(k) => format!(
                    " (namespace {ns} is not in the input); did you mean {:?}?",
                    form(k)
                ),
                None => format!(" (namespace {ns} is not in the input)"),
            };
            out.insert((written.to_string(), hint));
        }
        return;
    }
    // `<gateway>-istio`: the identity of a Gateway-API ingress gateway of class istio
    // (SEMANTICS.md 3.2) whose Gateway is not in the input; no near name is meant.
    if let Some(gw) = sa.strip_suffix("-istio").filter(|g| !g.is_empty()) {
        out.insert((
            written.to_string(),
            format!("; it looks like the identity of the ingress gateway for Gateway {gw} (class istio names it <gateway>-istio), and the input has no such Gateway in {ns}"),
        ));
        return;
    }
    // Candidates from the same namespace only (a contiguous range of the sorted set), compared
    // by service account name, skipping those whose length alone puts them out of reach:
    // cheap even with thousands of identities in one namespace.
    let prefix = format!("ns/{ns}/sa/");
    // Suggest only a near name: a few edits for the name's length, or one that contains the
    // other.
    let reach = (sa.chars().count() / 4).max(2);
    let closest = known
        .range(prefix.as_str()..)
        .take_while(|k| k.starts_with(&prefix))
        .map(|k| (&k[prefix.len()..], k))
        // A name within a few edits, or one that contains the other (bookinfo's
        // `productpage` runs as `bookinfo-productpage`).
        .filter(|(name, _)| name.len().abs_diff(sa.len()) <= reach || contains(name, sa))
        .map(|(name, k)| (distance(name, sa), contains(name, sa), k))
        .filter(|(d, contains, _)| *d <= reach || *contains)
        .min_by_key(|(d, _, k)| (*d, *k))
        .map(|(d, _, k)| (d, k));
    let hint = match closest {
        Some((_, k)) => format!("; did you mean {:?}?", form(k)),
        None => String::new(),
    };
    out.insert((written.to_string(), hint));
}

#[cfg(test)]
mod tests;
