//! Property tests of the model's invariants on generated meshes (issue 9):
//! the order of input documents never changes the output; a policy in another namespace that
//! selects nothing here changes nothing here; adding a waypoint binding never makes a
//! `targetRefs` policy less enforced; and every JSON output validates against
//! `schema/explanation.schema.json` and round-trips through `-o json` and `-o yaml`.
//!
//! Case counts are small so the suite stays fast; `PROPTEST_CASES=5000 cargo test --test
//! properties` runs more. Failing cases are persisted under `proptest-regressions/`.

mod support;

use ambient_policy::explain::report::Explanation;
use ambient_policy::explain::{explain, explain_then, Scope};
use ambient_policy::render;
use ambient_policy::source::files::from_texts;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use support::*;

const ROOT: &str = "istio-system";
const APP_NS: [&str; 3] = ["a", "b", "c"];
// Not `y`, `n` or `on`: YAML 1.1 reads those unquoted as booleans.
const APPS: [&str; 3] = ["web", "api", "db"];
const DM: &str = "istio.io/dataplane-mode";
const UW: &str = "istio.io/use-waypoint";
const UWNS: &str = "istio.io/use-waypoint-namespace";

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(32);
    ProptestConfig {
        cases,
        // Generated worlds are small; shrinking stays quick.
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    }
}

// ---- The generated world: a few namespaces, waypoints, pods, services and policies. ----

#[derive(Debug, Clone)]
struct NsSpec {
    dataplane: Option<&'static str>,
    /// Index of a waypoint named by the namespace's use-waypoint label.
    use_waypoint: Option<usize>,
}

#[derive(Debug, Clone)]
struct WaypointSpec {
    ns: usize,
    for_: Option<&'static str>,
    ready: bool,
    from_all: bool,
}

#[derive(Debug, Clone)]
struct PodSpec {
    ns: usize,
    app: usize,
    dataplane: Option<&'static str>,
    sa: &'static str,
}

#[derive(Debug, Clone)]
struct ServiceSpec {
    ns: usize,
    app: usize,
    use_waypoint: Option<usize>,
    ingress_use_waypoint: bool,
}

#[derive(Debug, Clone)]
enum Attach {
    Selector(usize),
    Namespace,
    TargetService(usize),
    TargetGateway(usize),
}

#[derive(Debug, Clone)]
struct PolicySpec {
    /// 0 is the root namespace, 1.. the app namespaces. A targetRefs policy mostly lives
    /// beside its target instead (see `PolicySpec::namespace`).
    ns: usize,
    /// Put a targetRefs policy in its target's namespace (else in `ns`).
    beside_target: bool,
    deny: bool,
    attach: Attach,
    rules: Vec<&'static str>,
}

#[derive(Debug, Clone)]
struct PeerSpec {
    ns: usize,
    mode: &'static str,
    selector: Option<usize>,
}

#[derive(Debug, Clone)]
struct World {
    namespaces: Vec<NsSpec>,
    waypoints: Vec<WaypointSpec>,
    pods: Vec<PodSpec>,
    services: Vec<ServiceSpec>,
    policies: Vec<PolicySpec>,
    peers: Vec<PeerSpec>,
    with_class: bool,
}

/// Rule bodies, from L4-only to HTTP-only, as one flow-style YAML rule each.
const RULES: &[&str] = &[
    "{}",
    "{from: [{source: {principals: [\"cluster.local/ns/a/sa/s1\"]}}]}",
    "{from: [{source: {namespaces: [b]}}]}",
    "{from: [{source: {notPrincipals: [\"cluster.local/ns/c/sa/s2\"]}}]}",
    "{to: [{operation: {ports: [\"8080\"]}}]}",
    "{to: [{operation: {methods: [GET]}}]}",
    "{to: [{operation: {paths: [\"/admin\"]}}]}",
    "{from: [{source: {requestPrincipals: [\"*\"]}}]}",
    "{when: [{key: \"request.headers[x-debug]\", values: [\"1\"]}]}",
    "{from: [{source: {ipBlocks: [\"10.0.0.0/8\"]}}], to: [{operation: {methods: [POST]}}]}",
];

fn opt<T: Clone + std::fmt::Debug + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![Just(None), s.prop_map(Some)]
}

fn world() -> impl Strategy<Value = World> {
    let ns = (
        opt(prop_oneof![Just("ambient"), Just("none")]),
        opt(0..3usize),
    )
        .prop_map(|(dataplane, use_waypoint)| NsSpec {
            dataplane,
            use_waypoint,
        });
    let wp = (
        0..3usize,
        opt(prop_oneof![
            Just("service"),
            Just("workload"),
            Just("all"),
            Just("none")
        ]),
        prop::bool::weighted(0.8),
        any::<bool>(),
    )
        .prop_map(|(ns, for_, ready, from_all)| WaypointSpec {
            ns,
            for_,
            ready,
            from_all,
        });
    let pod = (
        0..3usize,
        0..3usize,
        opt(prop_oneof![Just("ambient"), Just("none")]),
        prop_oneof![Just("s1"), Just("s2")],
    )
        .prop_map(|(ns, app, dataplane, sa)| PodSpec {
            ns,
            app,
            dataplane,
            sa,
        });
    let svc = (
        0..3usize,
        0..3usize,
        opt(0..3usize),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(ns, app, use_waypoint, ingress_use_waypoint)| ServiceSpec {
                ns,
                app,
                use_waypoint,
                ingress_use_waypoint,
            },
        );
    let attach = prop_oneof![
        (0..3usize).prop_map(Attach::Selector),
        Just(Attach::Namespace),
        (0..4usize).prop_map(Attach::TargetService),
        (0..3usize).prop_map(Attach::TargetGateway),
    ];
    let policy = (
        0..4usize,
        prop::bool::weighted(0.8),
        any::<bool>(),
        attach,
        prop::collection::vec(prop::sample::select(RULES), 0..3),
    )
        .prop_map(|(ns, beside_target, deny, attach, rules)| PolicySpec {
            ns,
            beside_target,
            deny,
            attach,
            rules,
        });
    let peer = (
        0..4usize,
        prop_oneof![Just("STRICT"), Just("PERMISSIVE"), Just("DISABLE")],
        opt(0..3usize),
    )
        .prop_map(|(ns, mode, selector)| PeerSpec { ns, mode, selector });
    (
        prop::collection::vec(ns, 3),
        prop::collection::vec(wp, 0..4),
        prop::collection::vec(pod, 0..7),
        prop::collection::vec(svc, 0..5),
        prop::collection::vec(policy, 0..6),
        prop::collection::vec(peer, 0..3),
        any::<bool>(),
    )
        .prop_map(
            |(namespaces, waypoints, pods, services, policies, peers, with_class)| World {
                namespaces,
                waypoints,
                pods,
                services,
                policies,
                peers,
                with_class,
            },
        )
}

impl World {
    fn waypoint_ref(&self, w: usize) -> Option<(&'static str, String)> {
        self.waypoints
            .get(w)
            .map(|s| (APP_NS[s.ns], format!("wp{w}")))
    }

    /// use-waypoint labels naming waypoint `w` from namespace `here`.
    fn use_waypoint_labels(&self, w: Option<usize>, here: &str) -> Vec<(String, String)> {
        let Some(w) = w else { return vec![] };
        // A label may name a waypoint that does not exist (istiod: WaypointNotFound).
        let (ns, name) = self
            .waypoint_ref(w)
            .unwrap_or((here_static(here), format!("wp{w}")));
        let mut l = vec![(UW.to_string(), name)];
        if ns != here {
            l.push((UWNS.to_string(), ns.to_string()));
        }
        l
    }

    fn docs(&self) -> Vec<String> {
        let mut docs = vec![ns(ROOT, &[])];
        if self.with_class {
            docs.push("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: istio-waypoint\nspec:\n  controllerName: istio.io/mesh-controller\n".into());
        }
        for (i, n) in self.namespaces.iter().enumerate() {
            let mut l: Vec<(String, String)> = n
                .dataplane
                .map(|d| (DM.to_string(), d.to_string()))
                .into_iter()
                .collect();
            l.extend(self.use_waypoint_labels(n.use_waypoint, APP_NS[i]));
            docs.push(ns(APP_NS[i], &borrow(&l)));
        }
        for (i, w) in self.waypoints.iter().enumerate() {
            docs.extend(
                waypoint(
                    APP_NS[w.ns],
                    &format!("wp{i}"),
                    w.for_,
                    w.ready,
                    w.from_all.then_some("from: All"),
                )
                .split("\n---\n")
                .map(String::from),
            );
        }
        for (i, p) in self.pods.iter().enumerate() {
            let mut l = vec![("app", APPS[p.app])];
            if let Some(d) = p.dataplane {
                l.push((DM, d));
            }
            docs.push(pod(APP_NS[p.ns], &format!("p{i}"), &l, p.sa));
        }
        for (i, s) in self.services.iter().enumerate() {
            let mut l = self.use_waypoint_labels(s.use_waypoint, APP_NS[s.ns]);
            if s.ingress_use_waypoint {
                l.push(("istio.io/ingress-use-waypoint".into(), "true".into()));
            }
            docs.push(svc(
                APP_NS[s.ns],
                &format!("svc{i}"),
                APPS[s.app],
                &borrow(&l),
            ));
        }
        for (i, p) in self.policies.iter().enumerate() {
            docs.push(self.policy_doc(p, &format!("ap{i}")));
        }
        for (i, p) in self.peers.iter().enumerate() {
            let sel = p
                .selector
                .map(|a| format!("  selector:\n    matchLabels:\n      app: {}\n", APPS[a]))
                .unwrap_or_default();
            docs.push(peer_auth(
                policy_ns(p.ns),
                &format!("pa{i}"),
                &format!("2024-01-0{}T00:00:00Z", i + 1),
                &format!("{sel}  mtls:\n    mode: {}\n", p.mode),
            ));
        }
        docs
    }

    fn policy_namespace(&self, p: &PolicySpec) -> &'static str {
        let target_ns = match p.attach {
            Attach::TargetService(s) => self.services.get(s).map(|s| APP_NS[s.ns]),
            Attach::TargetGateway(w) => self.waypoints.get(w).map(|w| APP_NS[w.ns]),
            _ => None,
        };
        match target_ns {
            Some(ns) if p.beside_target => ns,
            _ => policy_ns(p.ns),
        }
    }

    fn policy_doc(&self, p: &PolicySpec, name: &str) -> String {
        let mut spec = String::new();
        match &p.attach {
            Attach::Selector(a) => {
                spec += &format!("  selector:\n    matchLabels:\n      app: {}\n", APPS[*a])
            }
            Attach::Namespace => {}
            Attach::TargetService(s) => {
                spec += &format!("  targetRefs:\n  - kind: Service\n    group: \"\"\n    name: svc{s}\n")
            }
            Attach::TargetGateway(w) => {
                spec += &format!("  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: wp{w}\n")
            }
        }
        if p.deny {
            spec += "  action: DENY\n";
        }
        if !p.rules.is_empty() || p.deny {
            spec += "  rules:\n";
            for r in &p.rules {
                spec += &format!("  - {r}\n");
            }
            if p.rules.is_empty() {
                spec += "  - {}\n";
            }
        }
        if spec.is_empty() {
            // An empty spec (allow nothing); a bare `spec:` would be null.
            spec += "  {}\n";
        }
        authz(self.policy_namespace(p), name, &spec)
    }
}

fn here_static(ns: &str) -> &'static str {
    APP_NS.into_iter().find(|n| *n == ns).unwrap_or(ROOT)
}

fn policy_ns(i: usize) -> &'static str {
    if i == 0 {
        ROOT
    } else {
        APP_NS[i - 1]
    }
}

fn borrow(l: &[(String, String)]) -> Vec<(&str, &str)> {
    l.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

// ---- Running the pipeline ----

fn scope(ns: Option<&str>) -> Scope {
    Scope {
        namespace: ns.map(String::from),
        selector: None,
    }
}

/// Loads (file name, text) pairs and explains them.
fn run(files: &[(String, String)], ns: Option<&str>) -> Explanation {
    let snap = from_texts(files, "default").expect("generated manifests load");
    explain(&snap, &scope(ns))
}

fn one_file(docs: &[String]) -> Vec<(String, String)> {
    vec![("world.yaml".into(), docs.join("\n---\n"))]
}

fn json(e: &Explanation) -> Value {
    serde_json::to_value(e).expect("explanation serialises")
}

fn schema() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = include_str!("../schema/explanation.schema.json");
        let schema: Value = serde_json::from_str(text).expect("schema is JSON");
        jsonschema::draft202012::new(&schema).expect("schema is a valid draft 2020-12 schema")
    })
}

/// Every violation, one per line, with where it is in the instance.
fn violations(v: &Value) -> String {
    schema()
        .iter_errors(v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Targets of a policy's enforcement entries that someone enforces.
fn enforced_targets(e: &Explanation, ns: &str, name: &str) -> BTreeSet<String> {
    e.policies
        .iter()
        .filter(|p| p.kind == "AuthorizationPolicy" && p.namespace == ns && p.name == name)
        .flat_map(|p| &p.enforcement)
        .filter(|en| en.enforced_by != "none")
        .flat_map(|en| en.targets.iter().map(|t| t.to_string()))
        .collect()
}

/// The explanation as JSON without any mention of one policy: its report and its findings.
fn without_policy(e: &Explanation, ns: &str, name: &str) -> Value {
    let mut v = json(e);
    let key = format!("AuthorizationPolicy/{ns}/{name}");
    let obj = v.as_object_mut().unwrap();
    obj["policies"].as_array_mut().unwrap().retain(|p| {
        !(p["kind"] == "AuthorizationPolicy" && p["namespace"] == ns && p["name"] == name)
    });
    obj["findings"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["resource"] != key.as_str());
    v
}

const SCOPES: [Option<&str>; 3] = [Some("a"), Some("b"), None];

proptest! {
    #![proptest_config(config())]

    /// Shuffling the documents, or spreading them over several files in any order, changes
    /// nothing in any output. The objects are distinct (kind, namespace, name), as in a
    /// cluster: the same object given twice is today kept twice, in input order.
    #[test]
    fn document_order_never_changes_the_output(
        (w, perm, cuts) in world().prop_flat_map(|w| {
            let n = w.docs().len();
            (
                Just(w),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                prop::collection::vec(any::<bool>(), n),
            )
        })
    ) {
        let docs = w.docs();
        let shuffled: Vec<String> = perm.iter().map(|&i| docs[i].clone()).collect();
        // Split the shuffled documents into files wherever `cuts` says.
        let mut files: Vec<(String, String)> = vec![];
        let mut current: Vec<String> = vec![];
        for (d, cut) in shuffled.into_iter().zip(cuts) {
            current.push(d);
            if cut {
                files.push((format!("f{}.yaml", files.len()), current.join("\n---\n")));
                current.clear();
            }
        }
        if !current.is_empty() {
            files.push((format!("f{}.yaml", files.len()), current.join("\n---\n")));
        }
        for ns in SCOPES {
            let a = run(&one_file(&docs), ns);
            let b = run(&files, ns);
            prop_assert_eq!(json(&a), json(&b), "scope {:?}", ns);
            let opts = render::table::Options {
                wide: true,
                findings: render::table::Listing::All,
                ..Default::default()
            };
            prop_assert_eq!(render::table::render(&a, &opts), render::table::render(&b, &opts));
        }
    }

    /// A policy in another (non-root) namespace that selects pods there, or targets a Service
    /// there, selects nothing here: nothing explained here changes when it is added, even when
    /// both namespaces share a waypoint. (A targetRefs to that shared waypoint itself would
    /// change things here, rightly, so it is not generated.)
    #[test]
    fn a_policy_elsewhere_that_selects_nothing_here_changes_nothing_here(
        w in world(),
        here in 0..3usize,
        elsewhere in 1..3usize,
        attach in prop_oneof![
            (0..3usize).prop_map(Attach::Selector),
            (0..5usize).prop_map(Attach::TargetService),
        ],
        deny in any::<bool>(),
        rules in prop::collection::vec(prop::sample::select(RULES), 0..3),
        share in any::<bool>(),
    ) {
        let there = (here + elsewhere) % 3;
        let mut w = w;
        if share {
            // Services here use a ready waypoint in `there` that accepts them.
            let wp = WaypointSpec { ns: there, for_: None, ready: true, from_all: true };
            match w.waypoints.first_mut() {
                Some(first) => *first = wp,
                None => w.waypoints.push(wp),
            }
            for s in w.services.iter_mut().filter(|s| s.ns == here) {
                s.use_waypoint = Some(0);
            }
        }
        // Not beside its target: a targetRefs names a Service of `there`, whatever exists.
        let extra = PolicySpec { ns: there + 1, beside_target: false, deny, attach, rules };
        let mut docs = w.docs();
        let before = run(&one_file(&docs), Some(APP_NS[here]));
        docs.push(w.policy_doc(&extra, "extra"));
        let after = run(&one_file(&docs), Some(APP_NS[here]));
        prop_assert_eq!(
            without_policy(&before, APP_NS[there], "extra"),
            without_policy(&after, APP_NS[there], "extra")
        );
    }

    /// Binding an unbound Service or namespace to a waypoint (adding a use-waypoint label)
    /// never removes a target where a targetRefs policy was enforced.
    #[test]
    fn adding_a_waypoint_binding_never_weakens_a_target_refs_policy(
        w in world(),
        pick in any::<prop::sample::Index>(),
        wp in any::<prop::sample::Index>(),
    ) {
        // Mostly an existing waypoint; with none, a label naming a missing one.
        let wp = if w.waypoints.is_empty() { 0 } else { wp.index(w.waypoints.len()) };
        // Label one of the unbound Services (Some) or unlabelled namespaces (None). A label
        // on a Service whose namespace binds it already would rebind it, not add a binding.
        let unlabelled: Vec<(Option<usize>, usize)> = w
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| s.use_waypoint.is_none() && w.namespaces[s.ns].use_waypoint.is_none())
            .map(|(i, _)| (Some(i), i))
            .chain(
                w.namespaces
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.use_waypoint.is_none())
                    .map(|(i, _)| (None, i)),
            )
            .collect();
        prop_assume!(!unlabelled.is_empty());
        let mut bound = w.clone();
        match *pick.get(&unlabelled) {
            (Some(_), i) => bound.services[i].use_waypoint = Some(wp),
            (None, i) => bound.namespaces[i].use_waypoint = Some(wp),
        }
        for ns in SCOPES {
            let before = run(&one_file(&w.docs()), ns);
            let after = run(&one_file(&bound.docs()), ns);
            for (i, p) in w.policies.iter().enumerate() {
                if !matches!(p.attach, Attach::TargetService(_) | Attach::TargetGateway(_)) {
                    continue;
                }
                let name = format!("ap{i}");
                let (b, a) = (
                    enforced_targets(&before, w.policy_namespace(p), &name),
                    enforced_targets(&after, w.policy_namespace(p), &name),
                );
                prop_assert!(
                    b.is_subset(&a),
                    "{} lost {:?} in scope {:?}",
                    name,
                    b.difference(&a).collect::<Vec<_>>(),
                    ns
                );
            }
        }
    }

    /// `explain`'s destination-ztunnel verdicts, `check`'s hops, the matrix and the enforcers
    /// `explain` names agree on any world (issue 12: one engine).
    #[test]
    fn explain_check_and_the_matrix_agree(w in world()) {
        let snap = snapshot(&w.docs());
        let t = support::consistency::all_agree(&snap, "a generated world");
        prop_assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
    }

    /// `-o json` validates against the published schema and parses back to the same value;
    /// `-o yaml` parses back to the same value too. The JSON written with its paths and
    /// workloads streamed as they are built (what `explain -o json` does) is byte for byte
    /// the held report's.
    #[test]
    fn json_output_round_trips_through_the_schema(w in world()) {
        for ns in SCOPES {
            let snap = from_texts(&one_file(&w.docs()), "default").expect("generated manifests load");
            let e = explain(&snap, &scope(ns));
            let mut out = Vec::new();
            render::write_json(&e, &mut out).unwrap();
            let streamed = explain_then(&snap, &scope(ns), |e, late| {
                let mut out = Vec::new();
                // Three threads taking one destination at a time: the most interleaved.
                let split = ambient_policy::parallel::Split { threads: 3, per_piece: 1 };
                render::report_json::write(&e, &late.workloads, &late.paths, split, &mut out)
                    .map(|_| out)
            });
            prop_assert!(streamed.as_ref().is_ok_and(|s| *s == out), "streamed JSON differs");
            let parsed: Value = serde_json::from_slice(&out).unwrap();
            let v = violations(&parsed);
            prop_assert!(v.is_empty(), "schema violations:\n{}", v);
            prop_assert_eq!(&parsed, &json(&e));
            // `summary` counts `findings`, one entry per code and severity.
            let mut counts = std::collections::BTreeMap::new();
            for f in &e.findings {
                *counts.entry((f.severity, f.code.as_str())).or_insert(0) += 1;
            }
            let summary: std::collections::BTreeMap<_, _> =
                e.summary.iter().map(|c| ((c.severity, c.code.as_str()), c.count)).collect();
            prop_assert_eq!(summary, counts);
            let yaml = render::yaml(&e).unwrap();
            let from_yaml: Value = serde_saphyr::from_str(&yaml).unwrap();
            prop_assert_eq!(&from_yaml, &parsed);
        }
    }
}

/// The schema accepts the bundled example's output, which holds every section of the
/// contract; and it rejects outputs that break the stable minimum.
#[test]
fn schema_accepts_the_example_and_rejects_broken_contracts() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bookinfo");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let files: Vec<(String, String)> = files
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    let e = run(&files, Some("default"));
    assert!(
        !e.policies.is_empty() && !e.findings.is_empty() && !e.paths.is_empty(),
        "the example exercises every section"
    );
    let good = json(&e);
    assert_eq!(violations(&good), "");
    let all = json(&run(&files, None));
    assert_eq!(violations(&all), "");
    // The golden file reviewers read holds to the contract too.
    let snap = include_str!("snapshots/cli__example_json.snap");
    let body = snap.splitn(3, "---\n").nth(2).expect("insta header");
    let golden: Value = serde_json::from_str(body).expect("golden JSON");
    assert_eq!(violations(&golden), "");

    // Additions are allowed: new fields, new finding codes, new workload kinds.
    let mut more = good.clone();
    more["newField"] = Value::from(1);
    more["findings"][0]["code"] = Value::from("AMB999");
    more["workloads"][0]["kind"] = Value::from("Deployment");
    more["waypoints"][0]["declared"] = Value::from(true);
    assert_eq!(violations(&more), "");

    // Breaking the stable minimum is not.
    type Break = fn(&mut Value);
    let broken: &[(&str, Break)] = &[
        ("apiVersion", |v| v["apiVersion"] = "v1".into()),
        ("policies removed", |v| {
            v.as_object_mut().unwrap().remove("policies");
        }),
        ("enforcedBy renamed", |v| {
            let en = v["policies"][0]["enforcement"][0].as_object_mut().unwrap();
            let by = en.remove("enforcedBy").unwrap();
            en.insert("enforced_by".into(), by);
        }),
        ("finding code", |v| v["findings"][0]["code"] = "E001".into()),
        ("severity", |v| {
            v["findings"][0]["severity"] = "fatal".into()
        }),
        ("ready as string", |v| {
            v["waypoints"][0]["ready"] = "yes".into()
        }),
        ("identity", |v| {
            v["workloads"][0]["identity"] = "default/sa".into()
        }),
        ("summary count as string", |v| {
            v["summary"][0]["count"] = "2".into()
        }),
        ("summary without its code", |v| {
            v["summary"][0].as_object_mut().unwrap().remove("code");
        }),
    ];
    for (what, breaks) in broken {
        let mut v = good.clone();
        breaks(&mut v);
        assert_ne!(violations(&v), "", "{what} should break the schema");
    }
}
