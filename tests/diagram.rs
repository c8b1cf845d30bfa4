//! Diagrams: the DOT text is accepted by Graphviz (`dot -Tsvg`), the Mermaid text is a
//! well-formed flowchart (every edge joins declared nodes, labels quoted and escaped).

use std::io::Write;
use std::process::{Command, Stdio};

const EXAMPLE: &str = "examples/bookinfo";

fn run(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("binary runs");
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
    )
}

const CHECK: &[&str] = &[
    "check",
    "-f",
    EXAMPLE,
    "--from",
    "ingress",
    "--to",
    "svc/default/productpage",
    "--method",
    "GET",
    "--path",
    "/productpage",
];

fn with(base: &[&str], extra: &[&str]) -> Vec<String> {
    base.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run_owned(args: &[String]) -> (i32, String) {
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Graphviz is installed by the project's test set-up (Debian `graphviz`); without it the
/// test says it was skipped, unless `CI` is set.
fn dot_available() -> bool {
    let ok = Command::new("dot")
        .arg("-V")
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Graphviz `dot` is not installed"
        );
        println!("skipped: Graphviz `dot` is not installed (apt-get install graphviz)");
    }
    ok
}

fn render_svg(dot: &str) -> String {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "dot rejected:\n{dot}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Graphviz writes `-` as `&#45;` in SVG text.
    String::from_utf8(o.stdout).unwrap().replace("&#45;", "-")
}

#[test]
fn dot_is_accepted_by_graphviz() {
    let (code, check) = run_owned(&with(CHECK, &["-o", "dot"]));
    assert_eq!(code, 1, "the exit code is the verdict's");
    assert!(check.starts_with("digraph"));
    let (code, explain) = run(&["explain", "-f", EXAMPLE, "-o", "dot"]);
    assert_eq!(code, 0);
    if !dot_available() {
        return;
    }
    let svg = render_svg(&check);
    assert!(svg.contains("<svg"));
    // The deciding policy and the identities on the edges survive into the picture.
    assert!(svg.contains("productpage-from-ingress"), "{svg}");
    assert!(svg.contains("sa/waypoint"));
    assert!(render_svg(&explain).contains("default/waypoint"));
}

/// Node ids declared in a Mermaid flowchart, and the edges' endpoints.
fn mermaid_parts(text: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for line in text.lines().skip(1).map(str::trim) {
        if line.starts_with("classDef") || line.starts_with("class ") || line == "end" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("subgraph ") {
            assert!(
                rest.contains("[\"") && rest.ends_with("\"]"),
                "subgraph title: {line}"
            );
            continue;
        }
        if line.contains("-->") {
            let (a, b) = line.split_once("-->").unwrap();
            let a = a.split(" -- ").next().unwrap().trim();
            edges.push((a.to_string(), b.trim().to_string()));
            if let Some((_, label)) = line.split_once(" -- \"") {
                let label = label.split("\" -->").next().unwrap();
                assert!(!label.contains('"'), "unescaped quote in {line}");
            }
            continue;
        }
        let id: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!id.is_empty(), "not a node: {line}");
        let shape = &line[id.len()..];
        assert!(
            (shape.starts_with("[\"") && shape.ends_with("\"]"))
                || (shape.starts_with("{{\"") && shape.ends_with("\"}}")),
            "node shape: {line}"
        );
        let inner = shape.trim_matches(|c| c == '[' || c == ']' || c == '{' || c == '}');
        assert!(
            !inner[1..inner.len() - 1].contains('"'),
            "unescaped quote in {line}"
        );
        nodes.push(id);
    }
    (nodes, edges)
}

#[test]
fn mermaid_is_a_well_formed_flowchart() {
    let (_, check) = run_owned(&with(CHECK, &["-o", "mermaid"]));
    let (_, explain) = run(&["explain", "-f", EXAMPLE, "-o", "mermaid"]);
    for (case, text) in [("check", &check), ("explain", &explain)] {
        assert!(text.starts_with("flowchart LR\n"), "{case}: {text}");
        let (nodes, edges) = mermaid_parts(text);
        assert!(!edges.is_empty(), "{case}: no edges");
        for (a, b) in &edges {
            assert!(
                nodes.contains(a) && nodes.contains(b),
                "{case}: edge {a} -> {b} joins undeclared nodes"
            );
        }
        let unique: std::collections::BTreeSet<_> = nodes.iter().collect();
        assert_eq!(
            unique.len(),
            nodes.len(),
            "{case}: a node is declared twice"
        );
    }
    // One request: source, three hops, the verdict, in a chain; the verdict is coloured deny.
    let (nodes, edges) = mermaid_parts(&check);
    assert_eq!(nodes, ["src", "h0", "h1", "h2", "verdict"]);
    assert_eq!(edges.len(), 4);
    assert!(check.contains("class h2,verdict deny"), "{check}");
    assert!(check.contains("cluster.local/ns/default/sa/bookinfo-gateway-istio"));
}
