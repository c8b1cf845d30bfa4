//! Findings at cluster scale (issue 17): on the scale benchmark's synthetic mesh plus two
//! teams' copied traps (hundreds of findings), the table opens with a summary per code and,
//! across namespaces, per namespace (worst first), lists the same finding on many resources
//! once, folded, and the first few of each code; `--findings` and `--only` choose what is
//! shown; the JSON's `summary` is a count over its findings; `-o github` makes one annotation
//! per file and code. Golden files in tests/snapshots (insta).

// The mesh of Pods only: Deployments are the scale benchmark's other shape.
#[allow(dead_code)]
#[path = "support/synthetic.rs"]
mod synthetic;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Workloads of the synthetic mesh: 100 AuthorizationPolicies of its own in 10 namespaces.
const PODS: usize = 1000;
/// Team A copied one policy 60 times in ns-3: it selects nothing and names a namespace that
/// does not exist (AMB017 and AMB030 on each copy).
const TEAM_A: usize = 60;
/// Team B wrote `ALOW` in 40 policies of ns-7 (AMB024 on each).
const TEAM_B: usize = 40;
const TEAM_FILE: &str = "team-policies.yaml";
/// Worst first.
const SEVERITIES: [&str; 3] = ["error", "warning", "info"];

/// The mesh written once per test run: `mesh.json` (a `kind: List`, as `kubectl get -o
/// json` prints it) and the teams' policies in a YAML file.
fn mesh() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("findings-scale");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = std::fs::File::create(dir.join("mesh.json")).unwrap();
        synthetic::write_list(PODS, synthetic::Workloads::Pods, file).unwrap();
        std::fs::write(dir.join(TEAM_FILE), team_policies()).unwrap();
        dir
    })
}

fn team_policies() -> String {
    let a = (0..TEAM_A).map(|i| {
        format!(
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: legacy-allow-{i}\n  namespace: ns-3\nspec:\n  selector:\n    matchLabels:\n      app: legacy-{i}\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        namespaces: [\"legacy\"]\n"
        )
    });
    let b = (0..TEAM_B).map(|i| {
        format!(
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: team-b-{i}\n  namespace: ns-7\nspec:\n  selector:\n    matchLabels:\n      app: app-{i}\n  action: ALOW\n  rules:\n  - from:\n    - source:\n        principals: [\"cluster.local/ns/ns-7/sa/sa-app-{i}\"]\n"
        )
    });
    a.chain(b).collect::<Vec<_>>().join("---\n")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .current_dir(mesh())
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .expect("binary runs")
}

/// `explain -f . ARGS` as a user reads it at 100 columns.
fn table(args: &[&str]) -> String {
    let mut a = vec!["explain", "-f", ".", "--color", "never"];
    a.extend(args);
    let o = run(&a);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    let mut a = vec!["explain", "-f", ".", "-o", "json"];
    a.extend(args);
    let o = run(&a);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

/// What the report says of findings: the FINDINGS SUMMARY that opens it (in summary mode),
/// then the FINDINGS section, to the end.
fn findings_section(out: &str) -> String {
    let i = out.find("\nFINDINGS\n").expect("a FINDINGS section");
    let top = out
        .find("FINDINGS SUMMARY\n")
        .map(|t| &out[t..t + out[t..].find("\nASSUMPTIONS\n").unwrap() + 1])
        .unwrap_or("");
    format!("{top}{}", &out[i + 1..])
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

/// The namespace of a finding's `Kind/ns/name` (a Namespace's own name).
fn namespace_of(resource: &str) -> &str {
    let parts: Vec<&str> = resource.split('/').collect();
    match parts[..] {
        [_, ns, _] => ns,
        ["Namespace", ns] => ns,
        _ => "",
    }
}

#[test]
fn hundreds_of_findings_open_with_a_summary_across_namespaces() {
    let out = table(&["-A"]);
    for l in out.lines() {
        assert!(l.chars().count() <= 100, "wider than 100 columns: {l}");
    }
    let section = findings_section(&out);
    let v = json(&["-A"]);
    let n = findings(&v).len();
    assert!(n > 250, "hundreds of findings: {n}");
    // The summary comes first, then per namespace, then the detail.
    let lines: Vec<&str> = section.lines().collect();
    assert_eq!(lines[1], format!("{n} findings by code:"));
    let by_ns = section.find("\nBy namespace, worst first:\n").unwrap();
    let detail = section.find("\nThe first 3 of each code").unwrap();
    assert!(by_ns < detail);
    // Copied traps are one entry each, folded after three names.
    assert!(
        section.contains(&format!(
            "\nERROR AMB024 {TEAM_B} AuthorizationPolicies: ns-7/team-b-0, ns-7/team-b-1, ns-7/team-b-10 and {} more\n    action \"ALOW\" is not",
            TEAM_B - 3
        )),
        "{section}"
    );
    // Each code shows at most 3 entries in the detail, then says how to see the rest.
    let detail = &section[detail..];
    let mut entries: BTreeMap<&str, usize> = BTreeMap::new();
    for l in detail.lines() {
        let mut w = l.split(' ');
        if let (Some("ERROR" | "WARNING" | "INFO"), Some(code)) = (w.next(), w.next()) {
            *entries.entry(code).or_default() += 1;
        }
    }
    let codes: BTreeSet<&str> = findings(&v)
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(entries.keys().copied().collect::<BTreeSet<_>>(), codes);
    assert!(entries.values().all(|n| *n <= 3), "{entries:?}");
    assert!(
        detail.contains("    19 more AMB001 findings (--only AMB001 --findings all lists them)\n"),
        "{detail}"
    );
    insta::assert_snapshot!("scale_findings_all_namespaces", section);
}

/// The per-namespace lines are the counts of the JSON's findings, worst first.
#[test]
fn per_namespace_lines_count_each_namespace_worst_first() {
    let section = table(&["-A"]);
    let section = findings_section(&section);
    let lines: Vec<&str> = section
        .split("\nBy namespace, worst first:\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .collect();
    let mut want: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    let v = json(&["-A"]);
    for f in findings(&v) {
        let ns = namespace_of(f["resource"].as_str().unwrap());
        let i = SEVERITIES.iter().position(|s| f["severity"] == *s).unwrap();
        want.entry(ns).or_default()[i] += 1;
    }
    let mut want: Vec<(&str, [usize; 3])> = want.into_iter().collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let got: Vec<(String, [usize; 3])> = lines
        .iter()
        .map(|l| {
            let (ns, counts) = l.split_once("  ").unwrap();
            let n: Vec<usize> = counts
                .split(", ")
                .map(|c| c.trim().split(' ').next().unwrap().parse().unwrap())
                .collect();
            (ns.to_string(), [n[0], n[1], n[2]])
        })
        .collect();
    let want: Vec<(String, [usize; 3])> =
        want.into_iter().map(|(n, c)| (n.to_string(), c)).collect();
    assert_eq!(got, want);
    // Team B's errors put ns-7 first.
    assert!(got[0].0 == "ns-7", "{got:?}");
}

/// One namespace: the summary without per-namespace lines.
#[test]
fn one_namespace_summary() {
    let out = table(&["-n", "ns-3"]);
    let section = findings_section(&out);
    assert!(!section.contains("By namespace"), "{section}");
    insta::assert_snapshot!("scale_findings_ns_3", section);
}

/// `summary` equals, per code and severity, a count over `findings`: how many, on how many
/// resources, of which kinds, in how many namespaces; also after --only and --suppress.
#[test]
fn json_summary_is_a_count_over_the_findings() {
    for args in [
        &["-A"][..],
        &["-n", "ns-3"],
        &[
            "-A",
            "--only",
            "AMB024,AMB030",
            "--suppress",
            "AMB030=*/ns-3/*",
        ],
    ] {
        let v = json(args);
        let mut want: BTreeMap<(usize, String), Value> = BTreeMap::new();
        let mut by: BTreeMap<(usize, String), Vec<&str>> = BTreeMap::new();
        for f in findings(&v) {
            let sev = SEVERITIES.iter().position(|s| f["severity"] == *s).unwrap();
            by.entry((sev, f["code"].as_str().unwrap().to_string()))
                .or_default()
                .push(f["resource"].as_str().unwrap());
        }
        for ((sev, code), resources) in by {
            let distinct: BTreeSet<&str> = resources.iter().copied().collect();
            let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
            for r in &distinct {
                *kinds.entry(r.split('/').next().unwrap()).or_default() += 1;
            }
            let namespaces: BTreeSet<&str> = distinct
                .iter()
                .map(|r| namespace_of(r))
                .filter(|n| !n.is_empty())
                .collect();
            want.insert(
                (sev, code.clone()),
                serde_json::json!({
                    "code": code,
                    "severity": SEVERITIES[sev],
                    "count": resources.len(),
                    "resources": distinct.len(),
                    "kinds": kinds,
                    "namespaces": namespaces.len(),
                }),
            );
        }
        let got: Vec<Value> = v["summary"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.as_object_mut().unwrap().remove("title");
                s
            })
            .collect();
        let want: Vec<Value> = want.into_values().collect();
        assert_eq!(got, want, "{args:?}");
        assert!(!got.is_empty());
    }
    // --only keeps its codes, --suppress takes from them.
    let v = json(&[
        "-A",
        "--only",
        "AMB024,AMB030",
        "--suppress",
        "AMB030=*/ns-3/*",
    ]);
    let codes: BTreeSet<&str> = findings(&v)
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, BTreeSet::from(["AMB024", "AMB030"]));
    assert!(!findings(&v)
        .iter()
        .any(|f| f["code"] == "AMB030" && namespace_of(f["resource"].as_str().unwrap()) == "ns-3"));
}

/// `-o github`: one annotation per file and code, not one per finding; the same trap copied
/// into 60 policies of one file is one annotation that names each with its line.
#[test]
fn github_annotations_one_per_file_and_code() {
    let o = run(&["explain", "-A", "-f", ".", "-o", "github"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    let mut seen: Vec<(String, String)> = Vec::new();
    for l in out.lines() {
        let props = l.split("::").nth(1).unwrap();
        let (_, props) = props.split_once(' ').unwrap();
        let get = |k: &str| {
            props
                .split(',')
                .find_map(|p| p.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("no {k} in {l}"))
                .to_string()
        };
        let code = get("title")[..6].to_string();
        seen.push((get("file"), code));
    }
    // Each finding's file: the teams' policies, or the mesh's List.
    let v = json(&["-A"]);
    let want: BTreeSet<(String, String)> = findings(&v)
        .iter()
        .map(|f| {
            let r = f["resource"].as_str().unwrap();
            let teams = r.contains("/legacy-allow-") || r.contains("/team-b-");
            let file = if teams { TEAM_FILE } else { "mesh.json" };
            (format!("./{file}"), f["code"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(seen.len(), want.len(), "one annotation per file and code");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), want);
    assert!(findings(&v).len() > 3 * seen.len());
    // Team A's copies: one annotation, at the first copy, naming each copy and its line.
    let a = out
        .lines()
        .find(|l| l.contains(&format!("file=./{TEAM_FILE},")) && l.contains("title=AMB017 "))
        .unwrap();
    assert!(
        a.starts_with(&format!(
            "::notice file=./{TEAM_FILE},line=1,title=AMB017 on {TEAM_A} AuthorizationPolicies::"
        )),
        "{a}"
    );
    assert!(
        a.contains("ns-3/legacy-allow-0 (line 1), ns-3/legacy-allow-1 (line 16)"),
        "{a}"
    );
    assert!(a.contains(&format!("and {} more: ", TEAM_A - 10)), "{a}");
}

/// `--findings all` lists every finding; `none` lists none, yet `--fail-on` counts them.
#[test]
fn findings_flag_chooses_what_the_table_lists() {
    let v = json(&["-A"]);
    let all = table(&["-A", "--findings", "all"]);
    let all = findings_section(&all);
    assert!(all.contains("\nEvery finding, by severity, code and resource:\n"));
    assert!(!all.contains(" more AMB") && !all.contains("--findings all lists"));
    for f in findings(&v) {
        let r = f["resource"].as_str().unwrap();
        let short = r.split_once('/').unwrap().1;
        assert!(all.contains(r) || all.contains(short), "{r} missing");
    }
    let o = run(&[
        "explain",
        "-A",
        "-f",
        ".",
        "--findings",
        "none",
        "--fail-on",
        "error",
    ]);
    assert_eq!(o.status.code(), Some(1), "--fail-on counts hidden findings");
    let none = String::from_utf8(o.stdout).unwrap();
    let none = findings_section(&none);
    assert!(
        !none.contains("ERROR ") && !none.contains(" by code:"),
        "{none}"
    );
    assert!(none.contains("not listed (--findings none"), "{none}");
    let count = none.lines().last().unwrap();
    assert!(
        count.contains(&format!(" {} findings: ", findings(&v).len())),
        "{none}"
    );
}

/// `--only` narrows the table, says how many it left out, and below a screenful lists them
/// as they are.
#[test]
fn only_narrows_the_table() {
    let out = table(&["-A", "--only", "AMB024"]);
    let section = findings_section(&out);
    assert!(!section.contains("by code:"), "{section}");
    assert!(section.starts_with(&format!(
        "FINDINGS\nERROR AMB024 {TEAM_B} AuthorizationPolicies: ns-7/team-b-0, ns-7/team-b-1,"
    )));
    let v = json(&["-A"]);
    let others = findings(&v).len() - TEAM_B;
    assert!(
        section.trim_end().ends_with(&format!(
            "{TEAM_B} findings: {TEAM_B} errors, 0 warnings, 0 info ({others} left out by --only)"
        )),
        "{section}"
    );
    // The exit code follows what --only keeps.
    let code = |only: &str| {
        run(&[
            "explain",
            "-A",
            "-f",
            ".",
            "-o",
            "json",
            "--only",
            only,
            "--fail-on",
            "error",
        ])
        .status
        .code()
    };
    assert_eq!(code("AMB024"), Some(1));
    assert_eq!(code("AMB030,AMB017"), Some(0));
}

/// diff: 100 findings introduced by the teams' files, summarised and folded the same way.
#[test]
fn diff_summarises_many_introduced_findings() {
    let base = mesh().join("mesh.json");
    let o = run(&[
        "diff",
        "--base",
        base.to_str().unwrap(),
        "-f",
        ".",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8(o.stdout).unwrap();
    let introduced = out.split("\nFINDINGS INTRODUCED\n").nth(1).unwrap();
    insta::assert_snapshot!("scale_diff_introduced", introduced);
    // Per code first (team B's principals name 20 service accounts the mesh lacks, of apps
    // 20 to 39 where ns-7 has 20: AMB029),
    // then at most 3 entries per code, the copies as one.
    assert!(
        introduced.starts_with(&format!(
            "{} findings: {TEAM_B} AMB024 (error), 20 AMB029 (warning), {TEAM_A} AMB030 (warning), {TEAM_A} AMB017 (info)\n+ ERROR AMB024 {TEAM_B} AuthorizationPolicies: ",
            2 * TEAM_A + TEAM_B + 20
        )),
        "{introduced}"
    );
    assert!(
        introduced
            .contains("    17 more AMB029 findings (--only AMB029 --findings all lists them)\n"),
        "{introduced}"
    );
}

/// Below a screenful the report is as it was (no summary); asked for, the summary of a small
/// report hides nothing and says so.
#[test]
fn small_reports_keep_their_shape() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bookinfo");
    let report = |extra: &[&str]| {
        let mut a = vec!["explain", "-f", example, "--color", "never"];
        a.extend(extra);
        String::from_utf8(run(&a).stdout).unwrap()
    };
    let plain = report(&[]);
    let plain = findings_section(&plain);
    assert!(plain.starts_with("FINDINGS\nERROR AMB001 "), "{plain}");
    assert_eq!(plain, findings_section(&report(&["--findings", "all"])));
    let summary = report(&["--findings", "summary"]);
    let summary = findings_section(&summary);
    assert!(
        summary.starts_with("FINDINGS SUMMARY\n11 findings by code:\n"),
        "{summary}"
    );
    assert!(
        summary.contains("\nEvery finding, by severity, code and resource:\nERROR AMB001 "),
        "{summary}"
    );
    assert!(!summary.contains("--findings all"), "{summary}");
    // The same entries follow the summary.
    assert!(summary.ends_with(plain.strip_prefix("FINDINGS\n").unwrap()));
}

/// The table draws the paths and the workloads as they are built, on every core, and never
/// holds them whole (issue 16): byte for byte the table of the report held whole, plain and
/// wide (where the WHY column wraps). The mesh has hundreds of destinations and workloads,
/// so that they are drawn in many pieces.
#[test]
fn paths_and_workloads_drawn_as_they_are_built_read_as_the_held_reports() {
    use ambient_policy::explain::{explain, Scope};
    use ambient_policy::render::table::{render_width, Options};
    let texts: Vec<(String, String)> = ["mesh.json", TEAM_FILE]
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read_to_string(mesh().join(f)).unwrap(),
            )
        })
        .collect();
    let snap = ambient_policy::source::files::from_texts(&texts, "default").unwrap();
    let scope = Scope {
        namespace: None,
        selector: None,
    };
    let held = explain(&snap, &scope);
    let destinations: BTreeSet<&str> = held.paths.iter().map(|p| &*p.destination).collect();
    assert!(destinations.len() > 100, "{}", destinations.len());
    assert!(held.workloads.len() > 100, "{}", held.workloads.len());
    for wide in [false, true] {
        let streamed = table(&["-A", "-o", if wide { "wide" } else { "table" }]);
        let o = Options {
            wide,
            ..Options::default()
        };
        let drawn = render_width(&held, &o, 100);
        assert!(drawn.contains("WORKLOADS\nWORKLOAD "), "{drawn}");
        assert_eq!(streamed, drawn, "wide: {wide}");
    }
}
