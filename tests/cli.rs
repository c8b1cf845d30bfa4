//! The real binary: golden output on the bundled example, exit codes, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env("TERM", "xterm");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A fresh directory under the target dir for files a test writes.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const EXAMPLE: &str = "examples/bookinfo";

#[test]
fn golden_table() {
    let o = run(&["explain", "-f", EXAMPLE, "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.lines().all(|l| l.chars().count() <= 100),
        "a line is wider than 100 columns"
    );
    insta::assert_snapshot!("example_table", out);
}

#[test]
fn golden_wide() {
    let o = run(&["explain", "-f", EXAMPLE, "-o", "wide", "--color", "never"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("example_wide", stdout(&o));
}

#[test]
fn golden_json() {
    let o = run(&["explain", "-f", EXAMPLE, "-o", "json"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("example_json", stdout(&o));
}

#[test]
fn golden_yaml() {
    let o = run(&["explain", "-f", EXAMPLE, "-o", "yaml"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    // The YAML says the same as the JSON.
    let from_yaml: serde_json::Value = serde_saphyr::from_str(&out).unwrap();
    let from_json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["explain", "-f", EXAMPLE, "-o", "json"]))).unwrap();
    assert_eq!(from_yaml, from_json);
    insta::assert_snapshot!("example_yaml", out);
}

/// DESIGN.md section 3: the stable fields and their values, for every policy kind.
#[test]
fn json_contract() {
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["explain", "-f", EXAMPLE, "-o", "json"]))).unwrap();
    assert_eq!(v["apiVersion"], "ambient-policy/v1alpha1");
    assert_eq!(v["kind"], "Explanation");
    assert_eq!(v["namespace"], "default");
    let one_of = |x: &serde_json::Value, allowed: &[&str]| {
        let s = x.as_str().unwrap_or_else(|| panic!("not a string: {x}"));
        assert!(allowed.contains(&s), "{s} not in {allowed:?}");
    };
    let mut kinds = std::collections::BTreeSet::new();
    for p in v["policies"].as_array().unwrap() {
        kinds.insert(p["kind"].as_str().unwrap().to_string());
        for k in ["namespace", "name", "attachment"] {
            assert!(p[k].is_string(), "{k} in {p}");
        }
        assert!(p.get("action").is_some());
        let en = p["enforcement"].as_array().unwrap();
        assert!(!en.is_empty());
        for e in en {
            one_of(
                &e["enforcedBy"],
                &["ztunnel", "waypoint", "sidecar", "gateway", "none"],
            );
            one_of(&e["path"], &["direct", "waypoint", "ingress", "none"]);
            one_of(&e["sourceIdentity"], &["client", "waypoint", "none"]);
            one_of(
                &e["effect"],
                &[
                    "as-written",
                    "deny-all",
                    "rules-dropped",
                    "l7-ignored",
                    "no-effect",
                    "not-enforced",
                    "fields-ignored",
                    "dry-run",
                    "as-permissive",
                ],
            );
            assert!(e["waypoint"].is_null() || e["waypoint"].is_string());
            assert!(e["targets"].is_array());
            if e["enforcedBy"] == "none" {
                assert_eq!(e["effect"], "not-enforced");
            }
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "AuthorizationPolicy",
            "HTTPRoute",
            "PeerAuthentication",
            "RequestAuthentication"
        ]
    );
    for f in v["findings"].as_array().unwrap() {
        one_of(&f["severity"], &["error", "warning", "info"]);
        assert!(f["code"].as_str().unwrap().starts_with("AMB"));
        for k in ["resource", "message", "resolution"] {
            assert!(!f[k].as_str().unwrap().is_empty());
        }
    }
    for w in v["workloads"].as_array().unwrap() {
        one_of(&w["dataplane"], &["ambient", "sidecar", "none"]);
        assert!(w["identity"]
            .as_str()
            .unwrap()
            .starts_with("spiffe://cluster.local/ns/"));
    }
    for s in v["services"].as_array().unwrap() {
        assert!(s["ingressUseWaypoint"].is_boolean());
    }
    for w in v["waypoints"].as_array().unwrap() {
        assert!(w["ready"].is_boolean() && w["for"].is_string());
    }
}

#[test]
fn fail_on_and_suppress() {
    let code = |extra: &[&str]| {
        let mut args = vec!["explain", "-f", EXAMPLE, "-o", "json"];
        args.extend_from_slice(extra);
        run(&args).status.code()
    };
    assert_eq!(code(&[]), Some(0));
    assert_eq!(code(&["--fail-on", "error"]), Some(1));
    // Suppress every error of the example: then only warnings remain.
    let quiet = [
        "--fail-on",
        "error",
        "--suppress",
        "AMB001=AuthorizationPolicy/default/*",
        "--suppress",
        "AMB005",
        "--suppress",
        "AMB008=Service/*",
        "--suppress",
        "AMB027=AuthorizationPolicy/default/productpage-from-ingress",
        "--suppress",
        "AMB003",
    ];
    assert_eq!(code(&quiet), Some(0));
    let mut warn = quiet.to_vec();
    warn[1] = "warning";
    assert_eq!(code(&warn), Some(1));
    let o = run(&[
        "explain",
        "-f",
        EXAMPLE,
        "-o",
        "json",
        "--suppress",
        "AMB0*",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
}

/// The summary says how many findings --suppress silenced, so that a stale or too wide
/// suppression shows; without --suppress it says nothing of it.
#[test]
fn summary_counts_the_suppressed_findings() {
    let summary = |extra: &[&str]| {
        let mut args = vec!["explain", "-f", EXAMPLE];
        args.extend_from_slice(extra);
        stdout(&run(&args)).lines().last().unwrap().to_string()
    };
    let findings = |line: &str| -> usize {
        let (head, _) = line.split_once(" finding").unwrap();
        head.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let all = summary(&[]);
    assert!(!all.contains("suppressed"), "{all}");
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["explain", "-f", EXAMPLE, "-o", "json"]))).unwrap();
    let errors = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .count();
    assert!(errors > 1);
    // Every error suppressed by severity-blind code patterns: the count is theirs.
    let codes: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    let mut args = vec![];
    for c in &codes {
        args.extend(["--suppress", c]);
    }
    let silenced = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| codes.contains(f["code"].as_str().unwrap()))
        .count();
    let line = summary(&args);
    assert!(line.contains("0 errors"), "{line}");
    assert!(
        line.ends_with(&format!(" ({silenced} suppressed)")),
        "{line}"
    );
    assert_eq!(findings(&line) + silenced, findings(&all), "{line} / {all}");
    // A suppression that matches nothing says so.
    let none = summary(&["--suppress", "AMB001=AuthorizationPolicy/nowhere/*"]);
    assert!(none.ends_with(" (0 suppressed)"), "{none}");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = stdout(&run(&["explain", "-f", EXAMPLE]));
    assert!(
        !plain.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let coloured = stdout(&run(&["explain", "-f", EXAMPLE, "--color", "always"]));
    assert!(coloured.contains("\u{1b}["));
    let json = stdout(&run(&[
        "explain", "-f", EXAMPLE, "-o", "json", "--color", "always",
    ]));
    assert!(!json.contains('\u{1b}'));
}

#[test]
fn selector_and_all_namespaces() {
    let o = run(&["explain", "-f", EXAMPLE, "-l", "app=ratings", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let pods: Vec<&str> = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(pods, ["ratings-v1-8f7d6c5b4-pqrst"]);
    let names: Vec<&str> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"ratings-from-reviews") && !names.contains(&"reviews-get-only"),
        "{names:?}"
    );
    let all = run(&["explain", "-f", EXAMPLE, "-A", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&all)).unwrap();
    assert!(v["namespace"].is_null());
    // -n of a namespace with nothing in it is fine, and says so.
    let empty = run(&["explain", "-f", EXAMPLE, "-n", "nothing-here"]);
    assert_eq!(empty.status.code(), Some(0));
    assert!(stdout(&empty).contains("no pods in scope"));
}

/// `kubectl get -o yaml` prints a List; `-o json` prints JSON; stdin works too.
#[test]
fn list_json_and_stdin_inputs_agree() {
    let dir = scratch("inputs");
    let yaml_docs: Vec<String> = std::fs::read_dir(EXAMPLE)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let mut items = Vec::new();
    for text in &yaml_docs {
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(text).unwrap();
        items.extend(docs.into_iter().filter(|d| !d.is_null()));
    }
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(dir.join("list.json"), serde_json::to_string(&list).unwrap()).unwrap();
    let from_dir = stdout(&run(&["explain", "-f", EXAMPLE, "-o", "json"]));
    let p = dir.join("list.json");
    let from_json = stdout(&run(&["explain", "-f", p.to_str().unwrap(), "-o", "json"]));
    assert_eq!(from_dir, from_json);
    // The same List as YAML, through stdin.
    let mut child = bin()
        .args(["explain", "-f", "-", "-o", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_saphyr::to_string(&list).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), from_dir);
}

/// Every bad input: one line on stderr naming the problem (and file), exit 2, no panic.
#[test]
fn bad_input() {
    let dir = scratch("bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let malformed = write("malformed.yaml", "apiVersion: v1\nkind: Pod\nmetadata: [\n");
    let no_kind = write("no-kind.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n");
    let bad_type = write(
        "bad-type.yaml",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: default}\nspec:\n  rules: \"everything\"\n",
    );
    let bad_json = write("bad.json", "{\"kind\": \"Pod\",");
    let not_object = write("scalar.yaml", "just a string\n");
    let empty_dir = dir.join("empty");
    std::fs::create_dir_all(&empty_dir).unwrap();
    std::fs::write(empty_dir.join("README.txt"), "not a manifest").unwrap();
    let empty_dir = empty_dir.to_str().unwrap().to_string();
    let missing = dir.join("missing.yaml").to_str().unwrap().to_string();

    // (case, arguments, what the one line says)
    #[rustfmt::skip]
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("malformed YAML",         &["-f", &malformed], &["malformed.yaml:", "invalid YAML", "document 1"]),
        ("a document without kind", &["-f", &no_kind], &["no-kind.yaml (document 2)", "missing `kind`"]),
        ("a field of the wrong type", &["-f", &bad_type], &["bad-type.yaml (document 1, AuthorizationPolicy p)", "spec.rules", "invalid type"]),
        ("malformed JSON",         &["-f", &bad_json], &["bad.json:", "invalid JSON"]),
        ("a scalar document",      &["-f", &not_object], &["scalar.yaml (document 1)", "not a Kubernetes object"]),
        ("a directory of no manifests", &["-f", &empty_dir], &["empty: directory has no .yaml, .yml or .json files"]),
        ("a missing file",         &["-f", &missing], &["missing.yaml: cannot read: no such file or directory"]),
        ("a bad label selector",   &["-f", EXAMPLE, "-l", "app in web"], &["invalid label selector"]),
        ("--suppress unknown code", &["-f", EXAMPLE, "--suppress", "NOPE=x"], &["invalid --suppress"]),
        ("--only unknown code",    &["-f", EXAMPLE, "--only", "AMB001,NOPE"], &["invalid --only \"NOPE\"", "matches no finding code (AMB001..AMB069)"]),
        ("--only empty",           &["-f", EXAMPLE, "--only", ""], &["invalid --only \"\""]),
        ("--only a pattern of no code", &["-f", EXAMPLE, "--only", "XYZ*=AuthorizationPolicy/*"], &["invalid --only"]),
        ("--feature unknown",      &["-f", EXAMPLE, "--feature", "NOT_A_FLAG=true"], &["unknown --feature"]),
        ("--feature not a boolean", &["-f", EXAMPLE, "--feature", "PILOT_AUTO_ALLOW_WAYPOINT_POLICY=maybe"], &["is not a boolean"]),
    ];
    for (case, args, wants) in cases {
        let mut full = vec!["explain"];
        full.extend(args.iter().copied());
        let o = run(&full);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{case}: {args:?}: {err}");
        assert_eq!(
            err.lines().count(),
            1,
            "{case}: {args:?}: not one line: {err}"
        );
        assert!(err.starts_with("error: "), "{case}: {err}");
        assert!(!err.contains("panicked"), "{case}: {err}");
        for w in *wants {
            assert!(err.contains(w), "{case}: {args:?}: want {w:?} in {err}");
        }
        assert!(
            o.stdout.is_empty(),
            "{case}: {args:?}: printed a report despite the error"
        );
    }
    // Usage errors from clap also exit 2.
    assert_eq!(run(&["explain", "-o", "xml"]).status.code(), Some(2));
    assert_eq!(run(&["explain", "-n", "a", "-A"]).status.code(), Some(2));
}

/// Run bare, the plugin prints its help on stdout and exits 0, as `kubectl` does with no
/// arguments (and cobra-based plugins do): asking what it can do is not a usage error.
#[test]
fn no_subcommand_prints_the_help_on_stdout() {
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let help = stdout(&o);
    assert!(
        help.contains("Usage: kubectl ambient-policy <COMMAND>"),
        "{help}"
    );
    assert!(help.contains("explain") && help.contains("check"), "{help}");
    assert_eq!(help, stdout(&run(&["--help"])));
}

/// Clap's own usage errors, for every subcommand: one line (the message, its possible values
/// and tip, without clap's usage block or "For more information" line), exit 2, nothing on
/// stdout.
#[test]
fn usage_errors_are_one_line_for_every_subcommand() {
    #[rustfmt::skip]
    let cases: &[(&str, &[&str], &str)] = &[
        ("explain: unknown flag",            &["explain", "--bogus"], "unexpected argument '--bogus' found"),
        ("explain: unknown output",          &["explain", "-o", "xml"], "invalid value 'xml' for '--output <OUTPUT>' [possible values: table, wide,"),
        ("explain: -n without a value",      &["explain", "-n"], "a value is required for '--namespace <NAMESPACE>'"),
        ("explain: -n with -A",              &["explain", "-n", "a", "-A"], "cannot be used with '--all-namespaces'"),
        ("explain: misspelt flag",           &["explain", "--nam", "x"], "tip: a similar argument exists: '--namespace'"),
        ("explain: bad duration",            &["explain", "--request-timeout", "5x"], "invalid duration unit in \"5x\""),
        ("explain: unknown --findings",      &["explain", "--findings", "some"], "invalid value 'some' for '--findings <HOW>' [possible values: summary, all, none]"),
        ("diff: unknown --findings",         &["diff", "--findings", "most"], "invalid value 'most' for '--findings <HOW>'"),
        ("diff: --base without a value",     &["diff", "--base"], "a value is required for '--base <FILE|DIR>'"),
        ("diff: -k without a value",         &["diff", "-k"], "a value is required for '--kustomize <DIR>'"),
        ("diff: unknown --fail-on",          &["diff", "--fail-on", "never"], "invalid value 'never' for '--fail-on <SEVERITY>'"),
        ("diff: --base with --delete",       &["diff", "--base", "a", "--delete", "Pod/a/b"], "cannot be used with '--delete <KIND/NS/NAME>'"),
        ("diff: check-only output",          &["diff", "-o", "mermaid"], "invalid value 'mermaid' for '--output <OUTPUT>' [possible values: table, wide, json, yaml, sarif, github]"),
        ("check: findings-only output",      &["check", "-o", "sarif"], "invalid value 'sarif' for '--output <OUTPUT>' [possible values: table, json, yaml, mermaid, dot]"),
        ("check: github output",             &["check", "-o", "github"], "invalid value 'github' for '--output <OUTPUT>'"),
        ("check: --from without a value",    &["check", "--from"], "a value is required for '--from <SOURCE>' but none was supplied"),
        ("check: --to without a value",      &["check", "--to"], "a value is required for '--to <DEST>' but none was supplied"),
        ("check: --from twice",              &["check", "--from", "a", "--from", "b"], "cannot be used multiple times"),
        ("check: port out of range",         &["check", "--port", "99999"], "99999 is not in 0..=65535"),
        ("check: --plaintext with a value",  &["check", "--plaintext=yes"], "unexpected value 'yes' for '--plaintext'"),
        ("check: extra argument",            &["check", "extra"], "unexpected argument 'extra' found"),
        ("check: --namespace-labels empty",  &["check", "--namespace-labels"], "a value is required for '--namespace-labels"),
        ("version: unknown output",          &["version", "-o", "toml"], "[possible values: json, yaml]"),
        ("version: extra argument",          &["version", "extra"], "unexpected argument 'extra' found"),
        ("completion: no shell",             &["completion"], "the following required arguments were not provided: <SHELL>"),
        ("completion: unknown shell",        &["completion", "tcsh"], "invalid value 'tcsh' for '<SHELL>'"),
        ("unknown subcommand",               &["bogus"], "unrecognized subcommand 'bogus'"),
    ];
    for (case, args, wants) in cases {
        let o = run(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{case}: {args:?}: {err}");
        assert_eq!(
            err.lines().count(),
            1,
            "{case}: {args:?}: not one line: {err}"
        );
        assert!(err.starts_with("error: "), "{case}: {args:?}: {err}");
        assert!(
            err.contains(wants),
            "{case}: {args:?}: want {wants:?} in {err}"
        );
        assert!(
            !err.contains("Usage:") && !err.contains("For more information"),
            "{case}: {args:?}: {err}"
        );
        assert!(o.stdout.is_empty(), "{case}: {args:?}");
    }
}

#[test]
fn broken_pipe_exits_zero() {
    let exe = env!("CARGO_BIN_EXE_kubectl-ambient_policy");
    let o = Command::new("bash")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "-o",
            "pipefail",
            "-c",
            &format!("'{exe}' explain -A -f {EXAMPLE} -o wide | head -n 1 >/dev/null"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn version_and_help() {
    let v = stdout(&run(&["version"]));
    assert!(
        v.starts_with(&format!(
            "kubectl ambient-policy {}\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{v}"
    );
    let h = stdout(&run(&["explain", "--help"]));
    assert!(h.contains("kubectl ambient-policy explain"), "{h}");
    for flag in [
        "--namespace",
        "--all-namespaces",
        "--selector",
        "--filename",
        "--output",
        "--color",
        "--fail-on",
        "--suppress",
    ] {
        assert!(h.contains(flag), "{flag}");
    }
}

/// docs/findings.md documents every finding code, under a heading of its own (the anchor the
/// README's index links to), with its title, severity, an example and its resolution.
#[test]
fn findings_page_documents_every_finding() {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/findings.md"))
            .unwrap();
    for c in ambient_policy::findings::CATALOGUE {
        let section = page
            .split(&format!("\n## {}\n", c.code))
            .nth(1)
            .unwrap_or_else(|| panic!("docs/findings.md has no section for {}", c.code))
            .split("\n## ")
            .next()
            .unwrap();
        let head = format!("**{}** ({})", c.title, c.severity.as_str());
        assert!(
            section.contains(&head),
            "{}: title and severity {head:?}",
            c.code
        );
        assert!(section.contains("\nExample: "), "{}: example", c.code);
        // The page and the catalogue quote field names in backticks differently.
        assert!(
            section
                .replace('`', "")
                .contains(&format!("Fix: {}", c.resolution.replace('`', ""))),
            "{}: resolution {:?}",
            c.code,
            c.resolution
        );
        // The fixtures its "Try it" line runs exist (tests/scenarios.rs checks what they raise).
        for file in section
            .split_whitespace()
            .map(|w| w.trim_end_matches('`'))
            .filter(|w| w.starts_with("tests/"))
        {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            assert!(path.exists(), "{}: {file} does not exist", c.code);
        }
    }
}

/// The README's findings index has one row per code, in the catalogue's order, with its
/// severity and title, linking to the code's section of docs/findings.md.
#[test]
fn readme_indexes_every_finding() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let rows: Vec<&str> = readme.lines().filter(|l| l.starts_with("| [AMB")).collect();
    let want: Vec<String> = ambient_policy::findings::CATALOGUE
        .iter()
        .map(|c| {
            format!(
                "| [{}](docs/findings.md#{}) | {} | {} |",
                c.code,
                c.code.to_lowercase(),
                c.severity.as_str(),
                c.title
            )
        })
        .collect();
    assert_eq!(rows, want, "README's findings index");
}

/// The README's Usage table has a row for every flag of explain (and so of diff).
#[test]
fn readme_usage_lists_every_explain_flag() {
    use clap::CommandFactory;
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let usage: Vec<&str> = readme
        .split("\n## Usage\n")
        .nth(1)
        .expect("README has a Usage section")
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .collect();
    let cli = ambient_policy::cli::Cli::command();
    let explain = cli.find_subcommand("explain").expect("explain subcommand");
    for arg in explain.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" {
            continue;
        }
        let flag = format!("--{long}");
        // The first cell names the flags: `-n, --namespace NS`, `--context`, `--kubeconfig`.
        let named = |row: &&str| {
            row.split(" | ")
                .next()
                .is_some_and(|cell| cell.split([' ', ',', '`']).any(|t| t == flag))
        };
        assert!(
            usage.iter().any(named),
            "README Usage table has no row for --{long}"
        );
    }
}

/// The README's minimum Rust version is the one Cargo.toml requires.
#[test]
fn readme_names_the_required_rust_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let want = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"'))
        .expect("Cargo.toml sets rust-version");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("(stable, {want} or newer)")),
        "README does not name Rust {want}"
    );
}
