//! One engine, one truth (issue 12): `explain`, `check` and the matrix agree
//! (`support::consistency`) on every input the suite has: fixtures, scenarios, the bundled
//! example, synthetic meshes, and worlds written for the traps (random worlds are in
//! tests/properties.rs).

mod support;
#[path = "support/synthetic.rs"]
mod synthetic;

use ambient_policy::explain::{explain, Scope};
use std::path::{Path, PathBuf};
use support::consistency::{all_agree, decision_of, report, Tally};

/// Every manifest input of the suite that loads: fixture files and directories.
fn inputs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![root.join("examples/bookinfo")];
    for dir in ["tests/fixtures", "tests/scenarios"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            // A directory is one input; so is each YAML file beside them.
            out.push(e.clone());
            if e.is_dir() {
                let mut inner: Vec<PathBuf> = std::fs::read_dir(&e)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|x| x.path())
                    .collect();
                inner.sort();
                out.extend(inner.into_iter().filter(|p| p.is_dir()));
            }
        }
    }
    out
}

#[test]
fn explain_check_and_the_matrix_agree_on_every_fixture() {
    let mut total = Tally::default();
    let mut loaded = 0;
    for input in inputs() {
        let arg = input.display().to_string();
        // Some fixtures are deliberately broken or are kustomize bases: skip what fails.
        let Ok(snap) = ambient_policy::source::files::load(std::slice::from_ref(&arg), "default")
        else {
            continue;
        };
        if snap.pods.is_empty() {
            continue;
        }
        loaded += 1;
        let t = all_agree(&snap, &arg);
        total.compared += t.compared;
        total.decided += t.decided;
        total.failures.extend(t.failures);
    }
    eprintln!(
        "fixtures: {loaded} inputs, {} compared, {} decided",
        total.compared, total.decided
    );
    report(&total, "the fixtures");
    // The comparison really ran: enough inputs, questions and decided answers.
    assert!(loaded >= 8, "only {loaded} fixture inputs loaded");
    assert!(
        total.decided >= 200,
        "only {} decided comparisons",
        total.decided
    );
}

#[test]
fn explain_check_and_the_matrix_agree_on_synthetic_meshes() {
    use synthetic::{Shape, Workloads};
    for (pods, workloads, shape) in [
        (120, Workloads::Pods, Shape::Apps),
        (120, Workloads::Deployments, Shape::Apps),
        (600, Workloads::Pods, Shape::BigNamespaces),
    ] {
        let mut text = Vec::new();
        synthetic::write_shaped(pods, workloads, shape, &mut text).unwrap();
        let snap = ambient_policy::source::files::from_texts(
            &[("mesh.json".into(), String::from_utf8(text).unwrap())],
            "default",
        )
        .unwrap();
        let t = all_agree(&snap, &format!("synthetic {workloads:?} {shape:?}"));
        eprintln!("synthetic: {} compared, {} decided", t.compared, t.decided);
        report(&t, "a synthetic mesh");
        assert!(t.decided >= 100, "only {} decided comparisons", t.decided);
    }
}

/// The three cases where `explain` said "depends on the client" and `check` gave every
/// client the same answer (issue 12); now `explain` decides them, as `check` does.
#[test]
fn explain_decides_where_no_client_identity_changes_the_answer() {
    use support::*;
    let world = |td: &str, policy: &str| {
        let mut docs = vec![
            ns("shop", &[("istio.io/dataplane-mode", "ambient")]),
            pod("shop", "web", &[("app", "web")], "web"),
            pod("shop", "api", &[("app", "api")], "api"),
            svc("shop", "api", "api", &[]),
            authz("shop", "p", policy),
        ];
        if td != "cluster.local" {
            docs.push(format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    trustDomain: {td}\n"));
        }
        docs
    };
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, Vec<String>, &str)] = &[
        ("DENY of all but the waypoint beside an ALLOW of another identity: nobody gets through",
            "cluster.local", "", vec![
                "  selector: {matchLabels: {app: api}}\n  action: DENY\n  rules: [{from: [{source: {notPrincipals: [cluster.local/ns/shop/sa/waypoint]}}]}]\n".into(),
                "  selector: {matchLabels: {app: api}}\n  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]\n".into(),
            ], "deny"),
        ("ALLOW of cluster.local principals in a mesh of another trust domain: never matches at ztunnel",
            "corp.example", "  selector: {matchLabels: {app: api}}\n  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]\n", vec![], "deny"),
        ("when source.principal [*]: any authenticated client",
            "cluster.local", "  selector: {matchLabels: {app: api}}\n  rules: [{when: [{key: source.principal, values: [\"*\"]}]}]\n", vec![], "allow"),
        ("when source.namespace [*]: any authenticated client",
            "cluster.local", "  selector: {matchLabels: {app: api}}\n  rules: [{when: [{key: source.namespace, values: [\"*\"]}]}]\n", vec![], "allow"),
    ];
    for (what, td, policy, extra, want) in cases {
        let mut docs = world(td, if policy.is_empty() { &extra[0] } else { policy });
        for (i, p) in extra.iter().enumerate().skip(1) {
            docs.push(authz("shop", &format!("p{i}"), p));
        }
        let snap = snapshot(&docs);
        let e = explain(&snap, &Scope::default());
        let path = e
            .paths
            .iter()
            .find(|p| &*p.destination == "Pod/shop/api" && p.source == "ambient-pod-ip")
            .unwrap_or_else(|| panic!("{what}: no path"));
        let got = path.hops.last().and_then(|h| h.verdict.as_ref());
        assert_eq!(got.and_then(decision_of), Some(*want), "{what}: {got:?}");
        let t = all_agree(&snap, what);
        report(&t, what);
        assert!(t.decided > 0, "{what}: nothing compared");
    }
}
