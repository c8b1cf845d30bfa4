//! PeerAuthentication (SEMANTICS.md 7): mesh/namespace/workload/port combinations, DISABLE as
//! PERMISSIVE, oldest wins, and Istio's port-level quirks (reproduced and flagged).

mod support;
use ambient_policy::explain::report::Verdict;
use support::*;

const T0: &str = "2024-01-01T00:00:00Z";
const T1: &str = "2024-06-01T00:00:00Z";

fn mode(m: &str) -> String {
    format!("  mtls:\n    mode: {m}\n")
}

fn wl(m: Option<&str>, ports: &[(u16, &str)]) -> String {
    let mut s = String::from("  selector:\n    matchLabels:\n      app: p\n");
    if let Some(m) = m {
        s.push_str(&mode(m));
    }
    if !ports.is_empty() {
        s.push_str("  portLevelMtls:\n");
        for (p, m) in ports {
            s.push_str(&format!("    {p}:\n      mode: {m}\n"));
        }
    }
    s
}

/// Effective mTLS of pod `p` in namespace `app`, plus the finding codes.
fn run(policies: Vec<String>) -> (String, Vec<String>) {
    let mut docs = vec![
        ns("app", &[("istio.io/dataplane-mode", "ambient")]),
        ns("istio-system", &[]),
        pod("app", "p", &[("app", "p")], "p"),
    ];
    docs.extend(policies);
    let e = explain_ns(&docs, "app");
    let w = e.workloads.iter().find(|w| w.name == "p").unwrap();
    (
        w.mtls.clone().unwrap(),
        e.findings.iter().map(|f| f.code.clone()).collect(),
    )
}

fn mesh(m: &str) -> String {
    peer_auth("istio-system", "mesh", T0, &mode(m))
}
fn nspa(m: Option<&str>) -> String {
    peer_auth(
        "app",
        "ns",
        T0,
        &m.map(mode)
            .unwrap_or_else(|| "  {}\n".replace("  {}\n", "  selector: null\n")),
    )
}
fn wlpa(m: Option<&str>, ports: &[(u16, &str)]) -> String {
    peer_auth("app", "wl", T0, &wl(m, ports))
}

#[test]
fn levels_and_precedence() {
    // (case, PeerAuthentications, the workload's mode)
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("none: PERMISSIVE",                  vec![], "PERMISSIVE"),
        ("mesh STRICT",                       vec![mesh("STRICT")], "STRICT"),
        ("mesh PERMISSIVE",                   vec![mesh("PERMISSIVE")], "PERMISSIVE"),
        ("namespace beats mesh (PERMISSIVE)", vec![mesh("STRICT"), nspa(Some("PERMISSIVE"))], "PERMISSIVE"),
        ("namespace beats mesh (STRICT)",     vec![mesh("PERMISSIVE"), nspa(Some("STRICT"))], "STRICT"),
        ("namespace UNSET inherits",          vec![mesh("STRICT"), nspa(None)], "STRICT"),
        ("workload beats mesh",               vec![mesh("STRICT"), wlpa(Some("PERMISSIVE"), &[])], "PERMISSIVE"),
        ("workload beats namespace",          vec![nspa(Some("PERMISSIVE")), wlpa(Some("STRICT"), &[])], "STRICT"),
        ("workload UNSET inherits",           vec![nspa(Some("STRICT")), wlpa(None, &[])], "STRICT"),
        // DISABLE acts as PERMISSIVE.
        ("workload DISABLE",                  vec![mesh("STRICT"), wlpa(Some("DISABLE"), &[])], "PERMISSIVE"),
        ("namespace DISABLE",                 vec![mesh("STRICT"), nspa(Some("DISABLE"))], "PERMISSIVE"),
        // Port level.
        ("port PERMISSIVE in STRICT",         vec![wlpa(Some("STRICT"), &[(9090, "PERMISSIVE")])], "STRICT except port 9090"),
        ("port DISABLE in STRICT",            vec![wlpa(Some("STRICT"), &[(9090, "DISABLE")])], "STRICT except port 9090"),
        ("port STRICT in STRICT",             vec![wlpa(Some("STRICT"), &[(9090, "STRICT")])], "STRICT"),
        ("port STRICT in PERMISSIVE",         vec![wlpa(Some("PERMISSIVE"), &[(9090, "STRICT")])], "PERMISSIVE, STRICT on port 9090"),
        ("port STRICT, workload PERMISSIVE over namespace STRICT", vec![nspa(Some("STRICT")), wlpa(Some("PERMISSIVE"), &[(9090, "STRICT")])], "PERMISSIVE, STRICT on port 9090"),
        ("port PERMISSIVE, workload UNSET, namespace STRICT", vec![nspa(Some("STRICT")), wlpa(None, &[(9090, "PERMISSIVE")])], "STRICT except port 9090"),
        ("port STRICT, workload UNSET, namespace PERMISSIVE", vec![nspa(Some("PERMISSIVE")), wlpa(None, &[(9090, "STRICT")])], "PERMISSIVE, STRICT on port 9090"),
    ];
    for (case, docs, want) in cases {
        let names: Vec<String> = docs
            .iter()
            .map(|d| {
                d.lines()
                    .find(|l| l.contains("mode"))
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .collect();
        assert_eq!(run(docs).0, want, "{case}: {names:?}");
    }
}

#[test]
fn oldest_policy_wins_at_a_level() {
    let older = peer_auth("app", "b-older", T0, &mode("STRICT"));
    let newer = peer_auth("app", "a-newer", T1, &mode("PERMISSIVE"));
    assert_eq!(run(vec![newer.clone(), older.clone()]).0, "STRICT");
    let e = explain_ns(
        &[
            ns("app", &[("istio.io/dataplane-mode", "ambient")]),
            pod("app", "p", &[("app", "p")], "p"),
            older,
            newer,
        ],
        "app",
    );
    let loser = policy(&e, "PeerAuthentication", "app", "a-newer");
    assert_eq!(loser.enforcement[0].effect, "not-enforced");
    let winner = policy(&e, "PeerAuthentication", "app", "b-older");
    assert_eq!(winner.enforcement[0].targets, vec!["Pod/app/p".into()]);
}

#[test]
fn root_selector_policies_are_ignored() {
    let pa = peer_auth("istio-system", "sel", T0, &wl(Some("STRICT"), &[]));
    let (m, codes) = run(vec![pa]);
    assert_eq!(m, "PERMISSIVE");
    assert!(codes.contains(&"AMB023".to_string()), "{codes:?}");
}

/// The three outcomes of SEMANTICS.md 7.3 that differ from sidecar semantics.
#[test]
fn istio_port_level_quirks_are_reproduced_and_flagged() {
    // Root STRICT + workload PERMISSIVE + STRICT port: the port accepts plaintext.
    let (m, c) = run(vec![
        mesh("STRICT"),
        wlpa(Some("PERMISSIVE"), &[(9090, "STRICT")]),
    ]);
    assert_eq!(m, "PERMISSIVE");
    assert!(c.contains(&"AMB019".to_string()), "{c:?}");
    // Root STRICT + namespace UNSET + workload UNSET with a PERMISSIVE port: all plaintext.
    let (m, c) = run(vec![
        mesh("STRICT"),
        nspa(None),
        wlpa(None, &[(9090, "PERMISSIVE")]),
    ]);
    assert_eq!(m, "PERMISSIVE");
    assert!(c.contains(&"AMB019".to_string()), "{c:?}");
    // Namespace STRICT + workload UNSET with a DISABLE port: the port stays STRICT.
    let (m, c) = run(vec![nspa(Some("STRICT")), wlpa(None, &[(9090, "DISABLE")])]);
    assert_eq!(m, "STRICT");
    assert!(c.contains(&"AMB019".to_string()), "{c:?}");
    // No quirk in ordinary cases.
    let (_, c) = run(vec![
        nspa(Some("STRICT")),
        wlpa(None, &[(9090, "PERMISSIVE")]),
    ]);
    assert!(!c.contains(&"AMB019".to_string()), "{c:?}");
}

#[test]
fn strict_denies_plaintext_on_the_out_of_mesh_path() {
    // (case, PeerAuthentications, plaintext denied)
    #[rustfmt::skip]
    let cases = [
        ("mesh STRICT",     vec![mesh("STRICT")], true),
        ("mesh PERMISSIVE", vec![mesh("PERMISSIVE")], false),
        ("none",            vec![], false),
    ];
    for (case, docs, denied) in cases {
        let mut all = vec![
            ns("app", &[("istio.io/dataplane-mode", "ambient")]),
            pod("app", "p", &[("app", "p")], "p"),
        ];
        all.extend(docs);
        let e = explain_ns(&all, "app");
        let path = e.paths.iter().find(|p| p.source == "out-of-mesh").unwrap();
        let v = path.hops.last().unwrap().verdict.clone().unwrap();
        assert_eq!(matches!(v, Verdict::Deny(_)), denied, "{case}: {v:?}");
    }
}

#[test]
fn disable_and_permissive_are_reported() {
    let e = explain_ns(
        &[
            ns("app", &[("istio.io/dataplane-mode", "ambient")]),
            pod("app", "p", &[("app", "p")], "p"),
            wlpa(Some("DISABLE"), &[]),
        ],
        "app",
    );
    let p = policy(&e, "PeerAuthentication", "app", "wl");
    assert_eq!(
        rows(p),
        vec![(
            "ztunnel".into(),
            "direct".into(),
            "client".into(),
            "as-permissive".into()
        )]
    );
    assert!(codes(&e).contains(&("AMB010".into(), "PeerAuthentication/app/wl".into())));
    // No PeerAuthentication at all: ambient accepts plaintext.
    let e = explain_ns(
        &[
            ns("app", &[("istio.io/dataplane-mode", "ambient")]),
            pod("app", "p", &[("app", "p")], "p"),
        ],
        "app",
    );
    assert!(codes(&e).contains(&("AMB025".into(), "Namespace/app".into())));
}

/// `ambient.istio.io/bypass-inbound-capture`: plaintext skips ztunnel, STRICT included.
#[test]
fn bypass_inbound_capture_skips_strict() {
    let e = explain_ns(
        &[
            ns("app", &[("istio.io/dataplane-mode", "ambient")]),
            pod_annotated(
                "app",
                "p",
                &[("app", "p")],
                &[("ambient.istio.io/bypass-inbound-capture", "true")],
            ),
            mesh("STRICT"),
        ],
        "app",
    );
    let path = e.paths.iter().find(|p| p.source == "out-of-mesh").unwrap();
    let hop = path.hops.last().unwrap();
    assert_eq!(hop.component, "app (capture bypassed)");
    assert_eq!(hop.verdict, Some(Verdict::Allow));
    // In-mesh traffic still goes through ztunnel.
    let ambient = e
        .paths
        .iter()
        .find(|p| p.source == "ambient-pod-ip")
        .unwrap();
    assert_eq!(ambient.hops.last().unwrap().component, "ztunnel");
}

/// A sidecar-injected pod is not captured by ztunnel: its sidecar applies the
/// PeerAuthentication with sidecar semantics (`ComposePeerAuthentication`). DISABLE stays
/// DISABLE, and ambient's port-level quirks do not apply.
#[test]
fn sidecar_pods_apply_sidecar_semantics() {
    let run_sidecar = |policies: Vec<String>| {
        let mut docs = vec![
            ns(
                "app",
                &[
                    ("istio.io/dataplane-mode", "ambient"),
                    ("istio-injection", "enabled"),
                ],
            ),
            ns("istio-system", &[]),
            pod("app", "p", &[("app", "p")], "p"),
        ];
        docs.extend(policies);
        let e = explain_ns(&docs, "app");
        let w = e.workloads.iter().find(|w| w.name == "p").unwrap();
        assert_eq!(w.dataplane, "sidecar");
        let amb010: Vec<String> = e
            .findings
            .iter()
            .filter(|f| f.code == "AMB010")
            .map(|f| f.message.clone())
            .collect();
        (
            w.mtls.clone().unwrap(),
            e.findings
                .iter()
                .map(|f| f.code.clone())
                .collect::<Vec<_>>(),
            amb010,
        )
    };
    let (m, codes, amb010) = run_sidecar(vec![nspa(Some("DISABLE"))]);
    assert_eq!(m, "DISABLE");
    assert!(codes.contains(&"AMB010".to_string()));
    assert!(
        amb010[0].contains("applies DISABLE as written") && !amb010[0].contains("PERMISSIVE"),
        "{amb010:?}"
    );
    // The same in ambient: DISABLE acts as PERMISSIVE at ztunnel.
    let (m, _) = run(vec![nspa(Some("DISABLE"))]);
    assert_eq!(m, "PERMISSIVE");

    // Ambient drops the STRICT port here (AMB019); a sidecar applies it.
    let quirk = || {
        vec![
            mesh("STRICT"),
            wlpa(Some("PERMISSIVE"), &[(9090, "STRICT")]),
        ]
    };
    let (m, codes) = run(quirk());
    assert_eq!(m, "PERMISSIVE");
    assert!(codes.contains(&"AMB019".to_string()));
    let (m, codes, _) = run_sidecar(quirk());
    assert_eq!(m, "PERMISSIVE, STRICT on port 9090");
    assert!(!codes.contains(&"AMB019".to_string()), "{codes:?}");
    // Port-level UNSET inherits the workload mode; STRICT everywhere.
    let (m, _, _) = run_sidecar(vec![mesh("STRICT"), wlpa(None, &[(9090, "UNSET")])]);
    assert_eq!(m, "STRICT");
}
