//! Benchmark of the reachability matrix (issue 8): 1,000 workloads x 1,000 Services in 50
//! ambient namespaces, 10 of them behind a waypoint, with namespace, selector, waypoint and
//! mesh-wide policies. Times `check -A` (every source against every Service) in memory:
//! Mesh, conversion and every cell; the target is "in seconds".
//! Run: `cargo bench --bench matrix`. `cargo test --all-targets` runs it small, as a smoke test.

use ambient_policy::check::{run, Answer, Ask};
use std::time::Instant;

#[derive(Clone, Copy)]
struct Size {
    namespaces: usize,
    workloads: usize,
}

const FULL: Size = Size {
    namespaces: 50,
    workloads: 1000,
};
const SMOKE: Size = Size {
    namespaces: 5,
    workloads: 40,
};

fn mesh(z: Size) -> String {
    let mut docs = vec![
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}".to_string(),
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: istio-waypoint}\nspec: {controllerName: istio.io/mesh-controller}".to_string(),
    ];
    for n in 0..z.namespaces {
        let waypoint = n % 5 == 0;
        let use_wp = if waypoint {
            ", istio.io/use-waypoint: waypoint"
        } else {
            ""
        };
        docs.push(format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns-{n}, labels: {{istio.io/dataplane-mode: ambient{use_wp}}}}}"));
        // Callers from this namespace and the next one.
        docs.push(format!("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: neighbours, namespace: ns-{n}}}\nspec:\n  rules:\n  - from: [{{source: {{namespaces: [ns-{n}, ns-{}]}}}}]", (n + 1) % z.namespaces));
        if waypoint {
            docs.push(format!("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: waypoint, namespace: ns-{n}, labels: {{istio.io/waypoint-for: service}}}}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{{name: mesh, port: 15008, protocol: HBONE}}]\nstatus: {{addresses: [{{type: IPAddress, value: 10.96.0.{n}}}]}}"));
            docs.push(format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: waypoint-5d9c7b6f4-x2k8q, namespace: ns-{n}, labels: {{gateway.networking.k8s.io/gateway-name: waypoint, istio.io/dataplane-mode: none}}}}\nspec: {{serviceAccountName: waypoint}}"));
            docs.push(format!("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: reads-only, namespace: ns-{n}}}\nspec:\n  targetRefs: [{{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}}]\n  rules:\n  - to: [{{operation: {{methods: [GET, HEAD], paths: [\"/api/*\"]}}}}]"));
            docs.push(format!("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: waypoint-only, namespace: ns-{n}}}\nspec:\n  rules:\n  - from: [{{source: {{principals: [cluster.local/ns/ns-{n}/sa/waypoint]}}}}]"));
        }
    }
    for i in 0..z.workloads {
        let n = i % z.namespaces;
        let app = format!("app-{i}");
        docs.push(format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {app}, namespace: ns-{n}}}\nspec: {{selector: {{app: {app}}}, ports: [{{port: 80, targetPort: 8080}}]}}"));
        docs.push(format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {app}-7c9f8d6b5-abcde, namespace: ns-{n}, labels: {{app: {app}, pod-template-hash: 7c9f8d6b5}}, annotations: {{ambient.istio.io/redirection: enabled}}}}\nspec: {{serviceAccountName: sa-{app}}}\nstatus: {{phase: Running, podIP: 10.{}.{}.{}}}", i / 65536, (i / 256) % 256, i % 256));
        // Every fifth workload also admits one named client.
        if i % 5 == 0 {
            docs.push(format!("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: {app}-client, namespace: ns-{n}}}\nspec:\n  selector: {{matchLabels: {{app: {app}}}}}\n  rules:\n  - from: [{{source: {{principals: [cluster.local/ns/ns-{}/sa/sa-app-{}]}}}}]\n    to: [{{operation: {{ports: [\"8080\"]}}}}]", (i + 7) % z.namespaces, (i + 7) % z.workloads));
        }
    }
    docs.join("\n---\n")
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let z = if bench { FULL } else { SMOKE };
    let text = mesh(z);
    if let Some(path) = std::env::args().skip_while(|a| a != "--dump").nth(1) {
        std::fs::write(&path, &text).expect("write the mesh");
        return;
    }
    let t0 = Instant::now();
    let snap = ambient_policy::source::files::from_texts(&[("mesh.yaml".into(), text)], "default")
        .expect("the generated mesh parses");
    let parsed = t0.elapsed();
    let ask = Ask {
        port: Some(80),
        method: Some("GET".into()),
        path: Some("/api/items".into()),
        ..Ask::default()
    };
    let rounds = if bench { 3 } else { 1 };
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        let Answer::Matrix(m) = run(&snap, &ask).expect("matrix") else {
            panic!("a matrix was asked for");
        };
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(m);
    }
    let m = last.unwrap();
    let (s, d) = (m.sources.len(), m.destinations.len());
    assert_eq!(m.cells.len(), s * d);
    assert!(d >= z.workloads, "every Service is a destination");
    let denied = m
        .cells
        .iter()
        .filter(|c| c.result.verdict == ambient_policy::check::report::Verdict::Denied)
        .count();
    assert!(
        denied > 0 && denied < m.cells.len(),
        "the mesh both allows and denies"
    );
    println!(
        "matrix benchmark{}: {} workloads, {s} source rows x {d} destinations = {} cells; {} pairs evaluated (grouped); parse {:.0} ms, matrix {:.0} ms{}",
        if bench { "" } else { " smoke run" },
        z.workloads,
        m.cells.len(),
        m.evaluations,
        parsed.as_secs_f64() * 1000.0,
        best * 1000.0,
        if bench { "" } else { " (timings are meaningful only under `cargo bench`)" }
    );
}
