//! kubectl plugin conventions: help and version speak `kubectl ambient-policy`, help documents
//! exit codes and the finding reference, the man page, the table follows the terminal width
//! without splitting words, counts agree in number, paths are quoted once.

use ambient_policy::source::kinds::KINDS;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_kubectl-ambient_policy");
const EXAMPLE: &str = "examples/bookinfo";

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(EXE);
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_documents_exit_codes_findings_and_the_kinds_read() {
    let top = stdout(&run_env(&["--help"], &[]));
    assert!(top.contains("Usage: kubectl ambient-policy"), "{top}");
    assert!(!top.contains("kubectl-ambient_policy"), "{top}");
    for code in [
        "0  ran fine",
        "1  a finding",
        "2  usage or input",
        "3  cluster or API",
    ] {
        assert!(top.contains(code), "exit code {code:?} missing: {top}");
    }
    let reference = format!("{}/blob/main/docs/findings.md", env!("CARGO_PKG_HOMEPAGE"));
    assert!(top.contains(&reference), "{top}");
    assert!(
        !top.contains(" man "),
        "the man subcommand is hidden: {top}"
    );
    // ... and the README, which documents it for packagers, says so.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains("the hidden subcommand `man`"),
        "README does not say that `man` is hidden"
    );

    let explain = stdout(&run_env(&["explain", "--help"], &[]));
    assert!(explain.contains("Exit codes:") && explain.contains(&reference));
    // diff reports findings too.
    let diff = stdout(&run_env(&["diff", "--help"], &[]));
    assert!(
        diff.contains("Exit codes:") && diff.contains(&reference),
        "{diff}"
    );
    // The `kubectl get` example names every kind with its group; no bare `gateways`.
    let kinds = explain
        .split_whitespace()
        .find(|t| t.starts_with("namespaces,"))
        .unwrap_or_else(|| panic!("no kubectl get example: {explain}"));
    let listed: BTreeSet<&str> = kinds.split(',').collect();
    for k in KINDS {
        let want = if k.group.is_empty() {
            k.plural.to_string()
        } else {
            format!("{}.{}", k.plural, k.group)
        };
        assert!(
            listed.contains(want.as_str()),
            "{want} missing from {kinds}"
        );
    }
    assert_eq!(listed.len(), KINDS.len(), "{kinds}");
}

#[test]
fn version_reports_the_plugin_commit_and_target() {
    let text = stdout(&run_env(&["version"], &[]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("kubectl ambient-policy {}", env!("CARGO_PKG_VERSION"))
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run_env(&["version", "-o", "json"], &[]))).unwrap();
    assert_eq!(json["name"], "kubectl ambient-policy");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let target = json["target"].as_str().unwrap();
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains(std::env::consts::OS),
        "{target}"
    );
    assert_eq!(lines[2], format!("build target: {target}"));
    // The commit of this checkout, or "unknown" outside one.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| stdout(&o).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    assert_eq!(json["gitCommit"], head.as_str());
    assert_eq!(lines[1], format!("git commit: {head}"));
    let yaml = stdout(&run_env(&["version", "-o", "yaml"], &[]));
    assert!(yaml.contains("gitCommit: "), "{yaml}");
}

#[test]
fn man_page_generated_from_the_cli() {
    let o = run_env(&["man"], &[]);
    assert_eq!(o.status.code(), Some(0));
    let page = stdout(&o);
    assert!(page.contains(".TH kubectl-ambient_policy"), "{page}");
    for sub in ["explain", "version", "completion"] {
        assert!(page.contains(sub), "{sub} missing from the man page");
    }
    // One page per command, as the main page's SEE ALSO list names them.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conventions-man");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let o = run_env(&["man", dir.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let explain = std::fs::read_to_string(dir.join("kubectl-ambient_policy-explain.1")).unwrap();
    assert!(explain.contains("fail\\-on"), "{explain}");
    assert!(dir.join("kubectl-ambient_policy.1").is_file());
}

fn wide_at(columns: &str) -> String {
    let o = run_env(
        &["explain", "-f", EXAMPLE, "-o", "wide", "--color", "never"],
        &[("COLUMNS", columns)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

/// Narrower terminals wrap between words, never inside one: every token printed at any width
/// is a token of the unwrapped report.
#[test]
fn table_follows_the_width_and_never_splits_a_word() {
    let unwrapped = wide_at("100000");
    let words: BTreeSet<&str> = unwrapped.split_whitespace().collect();
    for columns in ["50", "60", "80", "100", "140"] {
        let out = wide_at(columns);
        for w in out.split_whitespace() {
            assert!(words.contains(w), "COLUMNS={columns}: split word {w:?}");
        }
    }
    // It follows COLUMNS; no COLUMNS and no terminal means 100, as does a bad value.
    assert_ne!(wide_at("60"), wide_at("140"));
    let default = stdout(&run_env(
        &["explain", "-f", EXAMPLE, "-o", "wide", "--color", "never"],
        &[],
    ));
    assert_eq!(default, wide_at("100"));
    assert_eq!(default, wide_at("wide"));
    // Where the words fit, the lines do.
    let o = run_env(
        &["explain", "-f", EXAMPLE, "--color", "never"],
        &[("COLUMNS", "140")],
    );
    assert!(stdout(&o).lines().all(|l| l.chars().count() <= 140));
}

/// "1 policy, 2 findings", never "1 policies".
#[test]
fn counts_agree_in_number() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conventions-counts");
    std::fs::create_dir_all(&dir).unwrap();
    let one = dir.join("one.yaml");
    std::fs::write(
        &one,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: solo\n  labels:\n    istio.io/dataplane-mode: ambient\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: solo\n  labels:\n    app: web\nspec:\n  serviceAccountName: web\n---\n\
         apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: only\n  namespace: solo\nspec:\n  selector:\n    matchLabels:\n      app: web\n  rules:\n  - to:\n    - operation:\n        methods: [GET]\n",
    )
    .unwrap();
    let summary = |args: &[&str]| -> String {
        let o = run_env(args, &[]);
        stdout(&o).lines().last().unwrap_or_default().to_string()
    };
    let s = summary(&[
        "explain",
        "-n",
        "solo",
        "-f",
        one.to_str().unwrap(),
        "--color",
        "never",
    ]);
    assert!(s.starts_with("1 policy, 1 workload, "), "{s}");
    let e = summary(&["explain", "-f", EXAMPLE, "--color", "never"]);
    for line in [&s, &e] {
        for part in line.split([',', ':']) {
            let mut it = part.split_whitespace();
            let (Some(n), Some(noun)) = (it.next(), it.next()) else {
                continue;
            };
            let n: usize = n.parse().unwrap();
            if noun != "info" {
                assert_eq!(n == 1, !noun.ends_with('s'), "{line}");
            }
        }
    }
    assert!(
        e.starts_with("13 policies, 8 workloads, 11 findings: 5 errors"),
        "{e}"
    );
}

/// A kubeconfig that cannot be read is named once, unquoted, on one line.
#[test]
fn missing_kubeconfig_is_named_once() {
    let missing = "/tmp/ambient-policy-no-such-kubeconfig";
    // (case, arguments, environment)
    #[rustfmt::skip]
    let cases = [
        ("KUBECONFIG",   vec!["explain"],                         vec![("KUBECONFIG", missing)]),
        ("--kubeconfig", vec!["explain", "--kubeconfig", missing], vec![]),
    ];
    for (case, args, env) in cases {
        let o = run_env(&args, &env);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{case}: {err}");
        assert_eq!(err.lines().count(), 1, "{case}: {err}");
        assert_eq!(err.matches(missing).count(), 1, "{case}: {err}");
        assert!(!err.contains("'\""), "{case}: {err}");
        assert!(
            err.ends_with(&format!("{missing}: no such file or directory\n")),
            "{case}: {err}"
        );
    }
}
