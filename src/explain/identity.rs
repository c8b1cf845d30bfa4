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

use super::paths::{verdict, ZtByPod};
use super::Ctx;
use crate::enforce::ztunnel::{Action, Conn, Match, Verdict, ZRule};
use crate::findings::{self as f, Finding};
use crate::mesh::Dataplane;
use crate::model::resource_key;
use std::collections::{BTreeMap, BTreeSet, HashSet};

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
    let conn = Conn {
        identity: Some(Some(id.to_string())),
        ..Conn::default()
    };
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

/// What one policy at a ztunnel makes of traffic arriving from `waypoint`.
/// `overall`: the ztunnel's verdict for the waypoint's identity with all its policies.
fn classify(
    key: &str,
    action: Action,
    rules: &[ZRule],
    waypoint: &str,
    probe: &str,
    overall: &Option<Verdict>,
) -> Option<Class> {
    if !constrains_identity(rules) {
        return None;
    }
    let denied_by_it = matches!(overall, Some(Verdict::Deny(by)) if by.iter().any(|b| b == key));
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

/// (destination key, waypoint key, waypoint identity) per policy and class.
type Seen = BTreeMap<(String, u8), BTreeSet<(String, String, String)>>;

pub fn findings(ctx: &Ctx, zt_by_pod: &ZtByPod) -> Vec<Finding> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    let td = snap.mesh.trust_domain();
    let probe = probe(td);
    let mut seen: Seen = BTreeMap::new();
    let mut actions: BTreeMap<String, Action> = BTreeMap::new();
    for &d in &ctx.pods {
        if mesh.pods[d].dataplane != Dataplane::Ambient {
            continue;
        }
        let Some(zt) = zt_by_pod.get(&d) else {
            continue;
        };
        for w in mesh.waypoints_in_front_of(d) {
            let wid = mesh.waypoint_identity(w).trim_start_matches("spiffe://");
            let overall = verdict(zt, Some(Some(wid.to_string())));
            for p in zt
                .iter()
                .filter(|p| p.key.starts_with("AuthorizationPolicy/"))
            {
                let Some(class) = classify(&p.key, p.action, &p.rules, wid, &probe, &overall)
                else {
                    continue;
                };
                actions.insert(p.key.clone(), p.action);
                seen.entry((p.key.clone(), class as u8))
                    .or_default()
                    .insert((mesh.pod_key(d), ctx.waypoint_key(w), wid.to_string()));
            }
        }
    }
    let mut out = Vec::new();
    for ((key, class), hits) in seen {
        let dests = names(hits.iter().map(|h| &h.0), true);
        let wps = names(hits.iter().map(|h| &h.1), false);
        let ids: BTreeSet<&str> = hits.iter().map(|h| h.2.as_str()).collect();
        let ids = ids.into_iter().collect::<Vec<_>>().join(", ");
        let allow = actions.get(&key) == Some(&Action::Allow);
        let (code, msg) = match class {
            c if c == Class::DeniesWaypoint as u8 => (
                &f::WAYPOINT_NOT_ADMITTED,
                if allow {
                    format!("every client that reaches {dests} through waypoint {wps} is denied: ztunnel sees the waypoint's identity {ids}, which this ALLOW policy does not admit and no other ALLOW does; add a rule with from.source.principals [{ids}] and check the clients with a targetRefs policy at the waypoint")
                } else {
                    format!("every client that reaches {dests} through waypoint {wps} is denied: this DENY policy matches the waypoint's identity {ids}, which is all ztunnel sees there; exclude it (notPrincipals [{ids}]) and deny the clients with a targetRefs policy at the waypoint")
                },
            ),
            c if c == Class::ClientsHidden as u8 => (
                &f::WAYPOINT_IDENTITY,
                if allow {
                    format!("traffic to {dests} through waypoint {wps} reaches ztunnel with the waypoint's identity {ids}: this policy's client conditions never match it, so the other ALLOW policies decide, and any client the waypoint lets through is admitted if they admit the waypoint")
                } else {
                    format!("this DENY never fires for traffic to {dests} through waypoint {wps}: ztunnel sees the waypoint's identity {ids}, not the clients the policy names, so they get through the waypoint")
                },
            ),
            _ => (
                &f::BYPASS_GUARD,
                format!("at the ztunnel of {dests} this policy admits traffic from waypoint {wps} ({ids}) and rejects other in-mesh identities (except any it names): clients cannot bypass the waypoint; it must stay a selector policy (a targetRefs DENY would deny every client at the waypoint)"),
            ),
        };
        out.push(Finding::new(code, key, msg));
    }
    out.extend(reference_findings(ctx));
    out
}

/// A short list of keys, by name only when `short` (workloads; waypoints keep `ns/name`).
fn names<'a>(keys: impl Iterator<Item = &'a String>, short: bool) -> String {
    let mut v: Vec<&str> = keys
        .map(|k| {
            if short {
                k.rsplit('/').next().unwrap_or(k)
            } else {
                k
            }
        })
        .collect();
    v.sort();
    v.dedup();
    const MAX: usize = 4;
    let mut s = v.iter().take(MAX).copied().collect::<Vec<_>>().join(", ");
    if v.len() > MAX {
        s.push_str(&format!(" and {} more", v.len() - MAX));
    }
    s
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

/// AMB029 and AMB030: names in `from.source` that the input does not know. Only checked
/// where the input describes the namespace (it holds a workload), so that a partial input
/// does not flood the report.
fn reference_findings(ctx: &Ctx) -> Vec<Finding> {
    let (snap, mesh) = (ctx.snap, ctx.mesh);
    // Known identities as `ns/<ns>/sa/<sa>` (trust domains vary; ztunnel's serviceAccounts
    // ignore them too).
    // Borrowed, and the namespace sets hashed: one entry per pod of the mesh, not sorted.
    let mut known: BTreeSet<&str> = mesh
        .pods
        .iter()
        .map(|p| p.identity.as_str())
        .chain(
            mesh.waypoints
                .iter()
                .flat_map(|w| w.identities.iter().map(String::as_str)),
        )
        .filter_map(|id| id.find("/ns/").map(|i| &id[i + 1..]))
        .collect();
    known.retain(|k| !k.is_empty());
    let described: HashSet<&str> = snap
        .pods
        .iter()
        .map(|p| p.metadata.namespace.as_str())
        .collect();
    // Namespaces the input shows to exist: Namespace objects, those of any namespaced object,
    // and the ones every Istio cluster has (root, kube-system, istio-cni's exclusions).
    let namespaces: HashSet<&str> = snap
        .namespaces
        .iter()
        .map(|n| n.metadata.name.as_str())
        .chain(snap.pods.iter().map(|p| p.metadata.namespace.as_str()))
        .chain(snap.services.iter().map(|s| s.metadata.namespace.as_str()))
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
        for rule in p.spec.rules.as_deref().unwrap_or(&[]) {
            for from in &rule.from {
                let s = &from.source;
                let principals = s.principals.iter().chain(&s.not_principals);
                for pr in principals {
                    // `<td>/ns/<ns>/sa/<sa>`; wildcards and other forms are not checked.
                    let Some(i) = pr.find("/ns/") else { continue };
                    let id = &pr[i + 1..];
                    if pr.contains('*') {
                        continue;
                    }
                    let td = &pr[..i];
                    check_id(id, pr, &known, &described, &mut unknown_ids, |k| {
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
                    check_id(&id, sa, &known, &described, &mut unknown_ids, |k| {
                        k.strip_prefix("ns/").unwrap_or(k).replacen("/sa/", "/", 1)
                    });
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
                format!("source namespace {ns:?} does not exist in the input (istioctl IST0101): the condition matches no client"),
            ));
        }
    }
    out
}

/// Records `written` (as the user wrote it) when `id` (`ns/<ns>/sa/<sa>`) is in a described
/// namespace but no workload runs as it, with the closest known identity written back in
/// the user's form by `form`.
fn check_id(
    id: &str,
    written: &str,
    known: &BTreeSet<&str>,
    described: &HashSet<&str>,
    out: &mut BTreeSet<(String, String)>,
    form: impl Fn(&str) -> String,
) {
    let Some(ns) = id.strip_prefix("ns/").and_then(|r| r.split('/').next()) else {
        return;
    };
    if !described.contains(ns) || known.contains(id) {
        return;
    }
    // Candidates from the same namespace only (a contiguous range of the sorted set), compared
    // by service account name, skipping those whose length alone puts them out of reach:
    // cheap even with thousands of identities in one namespace.
    let prefix = format!("ns/{ns}/sa/");
    let sa = &id[prefix.len().min(id.len())..];
    let reach = sa.chars().count() / 2 + 2;
    let closest = known
        .range(prefix.as_str()..)
        .take_while(|k| k.starts_with(&prefix))
        .map(|k| (&k[prefix.len()..], k))
        // A name within a few edits, or one that contains the other (bookinfo's
        // `productpage` runs as `bookinfo-productpage`).
        .filter(|(name, _)| {
            name.len().abs_diff(sa.len()) <= reach || name.contains(sa) || sa.contains(name)
        })
        .map(|(name, k)| {
            (
                distance(name, sa),
                name.contains(sa) || sa.contains(name),
                k,
            )
        })
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
mod tests {
    use super::*;
    use crate::enforce::ztunnel::{Clause, StringMatch};

    const W: &str = "cluster.local/ns/app/sa/waypoint";
    const C: &str = "cluster.local/ns/app/sa/curl";
    const P: &str = "cluster.local/ns/ambient-policy-probe/sa/probe";

    fn rule(m: Match) -> ZRule {
        ZRule {
            clauses: vec![Clause { matches: vec![m] }],
        }
    }
    fn principals(v: &[&str]) -> Match {
        Match {
            principals: v
                .iter()
                .map(|s| StringMatch::Exact(s.to_string()))
                .collect(),
            ..Match::default()
        }
    }
    fn not_principals(v: &[&str]) -> Match {
        Match {
            not_principals: v
                .iter()
                .map(|s| StringMatch::Exact(s.to_string()))
                .collect(),
            ..Match::default()
        }
    }
    fn ports(p: u16) -> Match {
        Match {
            destination_ports: vec![p],
            ..Match::default()
        }
    }

    /// One line per case: action, rules, the ztunnel's overall verdict for the waypoint.
    #[test]
    #[allow(clippy::type_complexity)]
    fn classification() {
        let deny_by = |k: &str| Some(Verdict::Deny(vec![k.to_string()]));
        let k = "AuthorizationPolicy/app/p";
        let cases: Vec<(&str, Action, Vec<ZRule>, Option<Verdict>, Option<Class>)> = vec![
            (
                "allow client only, nothing else admits W",
                Action::Allow,
                vec![rule(principals(&[C]))],
                deny_by(k),
                Some(Class::DeniesWaypoint),
            ),
            (
                "allow client only, another ALLOW admits W",
                Action::Allow,
                vec![rule(principals(&[C]))],
                Some(Verdict::Allow),
                Some(Class::ClientsHidden),
            ),
            (
                "allow client and waypoint: guard with an exception",
                Action::Allow,
                vec![rule(principals(&[C, W]))],
                Some(Verdict::Allow),
                Some(Class::Guard),
            ),
            (
                "allow anyone and waypoint (docs' step)",
                Action::Allow,
                vec![rule(principals(&[C])), ZRule::default()],
                Some(Verdict::Allow),
                None,
            ),
            (
                "allow only the waypoint: guard",
                Action::Allow,
                vec![rule(principals(&[W]))],
                Some(Verdict::Allow),
                Some(Class::Guard),
            ),
            (
                "deny notPrincipals waypoint: guard",
                Action::Deny,
                vec![rule(not_principals(&[W]))],
                Some(Verdict::Allow),
                Some(Class::Guard),
            ),
            (
                "guard with a sidecar exception",
                Action::Deny,
                vec![rule(not_principals(&[W, C]))],
                Some(Verdict::Allow),
                Some(Class::Guard),
            ),
            (
                "deny a client: never fires via waypoint",
                Action::Deny,
                vec![rule(principals(&[C]))],
                Some(Verdict::Allow),
                Some(Class::ClientsHidden),
            ),
            (
                "deny all but a client: denies the waypoint",
                Action::Deny,
                vec![rule(not_principals(&[C]))],
                deny_by(k),
                Some(Class::DeniesWaypoint),
            ),
            (
                "port-only allow: no source condition",
                Action::Allow,
                vec![rule(ports(8080))],
                Some(Verdict::Allow),
                None,
            ),
        ];
        for (what, action, rules, overall, want) in cases {
            assert_eq!(classify(k, action, &rules, W, P, &overall), want, "{what}");
        }
    }

    #[test]
    fn edit_distance() {
        assert_eq!(
            distance(
                "ns/bookinfo/sa/productpage",
                "ns/bookinfo/sa/bookinfo-productpage"
            ),
            9
        );
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("", "ab"), 2);
    }
}
