//! `diff`, through the real binary: base/head manifest sets (a deny-all, a move to
//! targetRefs, a rename, reordering), `--fail-on` semantics, bad input, and the live overlay
//! against the test API server.

mod support;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::apiserver::TOKEN;
use support::cluster::{example_objects, text, World, EXAMPLE, EXE};

fn bin() -> Command {
    let mut c = Command::new(EXE);
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("KUBECONFIG")
        .env("TERM", "xterm");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", text(&o.stdout), text(&o.stderr)))
}

/// A copy of the example under the target dir, edited by `edit` (file name -> contents).
fn head(name: &str, edit: impl FnOnce(&mut Vec<(String, String)>)) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    edit(&mut files);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("diff-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (f, s) in files {
        std::fs::write(dir.join(f), s).unwrap();
    }
    dir
}

fn file<'a>(files: &'a mut [(String, String)], name: &str) -> &'a mut String {
    &mut files.iter_mut().find(|(f, _)| f == name).unwrap().1
}

/// Replaces `old` (which must be there: the example changed otherwise) with `new`.
fn replace(files: &mut [(String, String)], name: &str, old: &str, new: &str) {
    let s = file(files, name);
    assert!(s.contains(old), "{name} no longer contains {old:?}");
    *s = s.replacen(old, new, 1);
}

const POLICIES: &str = "30-policies.yaml";

/// The documented L4 deny-all: an ALLOW with no rules.
const DENY_ALL: &str = "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: deny-all\n  namespace: default\nspec: {}\n";

/// The L7 trap: an ALLOW with only HTTP rules, bound by selector: ztunnel denies everything.
const RATINGS_GET_ONLY: &str = "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: ratings-get-only\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: ratings\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n";

const FROM_INGRESS_SELECTOR: &str = "  name: productpage-from-ingress\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: productpage\n";
const FROM_INGRESS_TARGETREFS: &str = "  name: productpage-from-ingress\n  namespace: default\nspec:\n  targetRefs:\n  - kind: Service\n    group: \"\"\n    name: productpage\n";

fn diff(base: &str, head: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["diff", "--base", base, "-f", head.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn codes(list: &Value) -> BTreeSet<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["resource"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn policy<'a>(d: &'a Value, name: &str) -> &'a Value {
    d["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {:#}", d["policies"]))
}

/// (enforcedBy, path, sourceIdentity, effect) of a policy's entries on one side.
fn entries(side: &Value) -> BTreeSet<(String, String, String, String)> {
    side.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("enforcedBy"), s("path"), s("sourceIdentity"), s("effect"))
        })
        .collect()
}

fn tuple(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
    (a.into(), b.into(), c.into(), d.into())
}

#[test]
fn reordering_and_comments_are_no_difference() {
    // Every document in one file, in reverse order, comments rewritten, files renamed.
    let dir = head("reordered", |files| {
        let mut docs: Vec<String> = files
            .iter()
            .flat_map(|(_, s)| s.split("\n---\n").map(str::to_string).collect::<Vec<_>>())
            .map(|d| {
                d.lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        docs.reverse();
        *files = vec![(
            "all.yaml".into(),
            format!("# one file, reordered\n{}\n", docs.join("\n---\n# moved\n")),
        )];
    });
    let o = diff(EXAMPLE, &dir, &["--color", "never"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert_eq!(
        text(&o.stdout),
        "No difference in enforcement, paths or findings for namespace default.\n"
    );
    let d = json(&diff(EXAMPLE, &dir, &["-o", "json"]));
    assert_eq!(d["apiVersion"], "ambient-policy/v1alpha1");
    assert_eq!(d["kind"], "Diff");
    assert_eq!(d["policies"], Value::Array(vec![]));
    assert_eq!(d["findings"]["introduced"], Value::Array(vec![]));
    assert_eq!(d["findings"]["resolved"], Value::Array(vec![]));
    // Nothing introduced: --fail-on passes too.
    assert_eq!(
        diff(EXAMPLE, &dir, &["--fail-on", "info"]).status.code(),
        Some(0)
    );
}

#[test]
fn deny_all_added() {
    let dir = head("deny-all", |f| file(f, POLICIES).push_str(DENY_ALL));
    let o = diff(EXAMPLE, &dir, &["--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for want in [
        "+ AuthorizationPolicy/default/deny-all (added: ALLOW, namespace)",
        "    + ztunnel direct [client] deny-all",
        "    + ztunnel via default/waypoint [waypoint] deny-all",
    ] {
        assert!(out.lines().any(|l| l == want), "no {want:?} in\n{out}");
    }
    let d = json(&diff(EXAMPLE, &dir, &["-o", "json"]));
    let p = policy(&d, "deny-all");
    assert_eq!(p["kind"], "AuthorizationPolicy");
    assert_eq!(p["namespace"], "default");
    assert_eq!(p["change"], "added");
    assert_eq!(
        (p["action"].as_str(), p["attachment"].as_str()),
        (Some("ALLOW"), Some("namespace"))
    );
    assert!(p["before"].is_null());
    assert!(entries(&p["after"]).contains(&tuple("ztunnel", "direct", "client", "deny-all")));
    // -o wide lists the targets of added entries beneath them.
    let wide = text(&diff(EXAMPLE, &dir, &["-o", "wide", "--color", "never"]).stdout);
    for e in p["after"].as_array().unwrap() {
        for t in e["targets"].as_array().unwrap() {
            let want = format!("        {}", t.as_str().unwrap());
            assert!(wide.lines().any(|l| l == want), "no {want:?} in\n{wide}");
        }
    }
    assert!(
        !out.contains("        Pod/"),
        "table lists no unchanged targets"
    );
    // Only the new policy changed.
    assert_eq!(
        d["policies"].as_array().unwrap().len(),
        1,
        "{:#}",
        d["policies"]
    );
    // Its paths: details had no ALLOW, so every mTLS client was admitted whoever it is;
    // now none is, whoever it is: decided, not "depends on the client".
    let details: Vec<(&str, &str, &str)> = d["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["destination"] == "Pod/default/details-v1-9e8d7c6b5-uvwxy")
        .map(|p| {
            (
                p["source"].as_str().unwrap(),
                p["before"]["verdict"].as_str().unwrap(),
                p["after"]["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    for source in ["ambient-service", "ingress", "ambient-pod-ip", "sidecar"] {
        assert!(
            details.contains(&(source, "allow", "deny")),
            "{source}: {details:?}"
        );
    }
    assert!(
        out.contains("~ Pod/default/details-v1-9e8d7c6b5-uvwxy\n    ambient-service to Service/default/details: allow -> deny\n"),
        "{out}"
    );
    // --fail-on says whether an error was introduced, whatever else differs.
    let introduced_error = d["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] == "error");
    let fail = diff(EXAMPLE, &dir, &["--fail-on", "error"]);
    assert_eq!(fail.status.code(), Some(i32::from(introduced_error)));
}

#[test]
fn l7_deny_all_introduced_fails_on_error() {
    let dir = head("l7-deny-all", |f| {
        file(f, POLICIES).push_str(RATINGS_GET_ONLY)
    });
    let d = json(&diff(EXAMPLE, &dir, &["-o", "json"]));
    let p = policy(&d, "ratings-get-only");
    assert_eq!(p["change"], "added");
    assert!(entries(&p["after"]).contains(&tuple("ztunnel", "direct", "client", "deny-all")));
    assert!(codes(&d["findings"]["introduced"]).contains(&(
        "AMB001".into(),
        "AuthorizationPolicy/default/ratings-get-only".into()
    )));
    let o = diff(EXAMPLE, &dir, &["--fail-on", "error", "--color", "never"]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("FINDINGS INTRODUCED\n"), "{out}");
    assert!(
        out.lines()
            .any(|l| l == "+ ERROR AMB001 AuthorizationPolicy/default/ratings-get-only"),
        "{out}"
    );
}

#[test]
fn moving_a_policy_to_target_refs() {
    let dir = head("targetrefs", |f| {
        replace(f, POLICIES, FROM_INGRESS_SELECTOR, FROM_INGRESS_TARGETREFS)
    });
    let o = diff(EXAMPLE, &dir, &["--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for want in [
        "~ AuthorizationPolicy/default/productpage-from-ingress (changed)",
        "    attachment: selector -> targetRefs",
        "    + waypoint default/waypoint [client] as-written",
        "    - ztunnel direct [client] as-written",
        "    - ztunnel via default/waypoint [waypoint] as-written",
    ] {
        assert!(out.lines().any(|l| l == want), "no {want:?} in\n{out}");
    }
    let d = json(&diff(EXAMPLE, &dir, &["-o", "json"]));
    let p = policy(&d, "productpage-from-ingress");
    assert_eq!(p["change"], "changed");
    assert_eq!(
        p["fields"],
        serde_json::json!([{"field": "attachment", "before": "selector", "after": "targetRefs"}])
    );
    assert!(entries(&p["before"]).contains(&tuple(
        "ztunnel",
        "waypoint",
        "waypoint",
        "as-written"
    )));
    assert_eq!(
        entries(&p["after"]),
        BTreeSet::from([tuple("waypoint", "waypoint", "client", "as-written")])
    );
    // ztunnel no longer checks the waypoint's identity against the ingress principal: the
    // service path through the waypoint is no longer denied there.
    let path = d["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["source"] == "ambient-service"
                && c["destination"].as_str().unwrap().contains("productpage")
        })
        .unwrap_or_else(|| panic!("{:#}", d["paths"]));
    assert_eq!(path["before"]["verdict"], "deny");
    assert_ne!(path["after"]["verdict"], "deny");
    assert!(codes(&d["findings"]["resolved"]).contains(&(
        "AMB027".into(),
        "AuthorizationPolicy/default/productpage-from-ingress".into()
    )));
}

/// A rename (metadata.name only) is one changed policy with `renamedFrom` and unchanged
/// enforcement; its findings carry over, so `--fail-on` ignores them.
#[test]
fn rename_shows_as_renamed() {
    let dir = head("rename", |f| {
        replace(
            f,
            POLICIES,
            "name: reviews-get-only",
            "name: reviews-read-only",
        )
    });
    let o = diff(EXAMPLE, &dir, &["--color", "never"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stdout),
        "Ambient policy diff for namespace default\n\nPOLICIES\n\
         ~ AuthorizationPolicy/default/reviews-read-only (renamed from reviews-get-only)\n    \
         enforcement unchanged; its findings carry over\n"
    );
    let d = json(&diff(EXAMPLE, &dir, &["-o", "json"]));
    let p = policy(&d, "reviews-read-only");
    assert_eq!(p["change"], "changed");
    assert_eq!(p["renamedFrom"], "reviews-get-only");
    assert_eq!(p["before"], p["after"]);
    assert_eq!(p["entries"], Value::Array(vec![]));
    assert_eq!(d["findings"]["introduced"], Value::Array(vec![]));
    assert_eq!(d["findings"]["resolved"], Value::Array(vec![]));
    // The renamed policy still has its AMB001 error: not introduced by the rename.
    let explain = run(&["explain", "-f", dir.to_str().unwrap(), "--fail-on", "error"]);
    assert_eq!(explain.status.code(), Some(1));
    assert_eq!(
        diff(EXAMPLE, &dir, &["--fail-on", "error"]).status.code(),
        Some(0)
    );
}

#[test]
fn fail_on_counts_only_what_the_change_introduces() {
    // Pre-existing errors (AMB001, AMB005, AMB008 in the example) never fail a diff.
    let moved = head("fail-on-moved", |f| {
        replace(f, POLICIES, FROM_INGRESS_SELECTOR, FROM_INGRESS_TARGETREFS)
    });
    let d = json(&diff(EXAMPLE, &moved, &["-o", "json"]));
    assert!(!d["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] == "error"));
    assert_eq!(
        run(&[
            "explain",
            "-f",
            moved.to_str().unwrap(),
            "--fail-on",
            "error"
        ])
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        diff(EXAMPLE, &moved, &["--fail-on", "error"]).status.code(),
        Some(0)
    );

    // A resolved error never fails it either.
    let fixed = head("fail-on-fixed", |f| {
        let s = file(f, POLICIES);
        let docs: Vec<&str> = s
            .split("\n---\n")
            .filter(|d| !d.contains("name: reviews-get-only"))
            .collect();
        *s = docs.join("\n---\n");
    });
    let d = json(&diff(EXAMPLE, &fixed, &["-o", "json"]));
    assert!(codes(&d["findings"]["resolved"]).contains(&(
        "AMB001".into(),
        "AuthorizationPolicy/default/reviews-get-only".into()
    )));
    assert_eq!(policy(&d, "reviews-get-only")["change"], "removed");
    assert_eq!(
        diff(EXAMPLE, &fixed, &["--fail-on", "error"]).status.code(),
        Some(0)
    );
    // Without --fail-on any difference is 1.
    assert_eq!(diff(EXAMPLE, &fixed, &[]).status.code(), Some(1));
    // --only and --suppress filter both sides alike: the resolved AMB001 is left out.
    for filter in [["--only", "AMB005"], ["--suppress", "AMB001"]] {
        let d = json(&diff(
            EXAMPLE,
            &fixed,
            &[&["-o", "json"][..], &filter].concat(),
        ));
        assert!(
            !codes(&d["findings"]["resolved"])
                .iter()
                .any(|(c, _)| c == "AMB001"),
            "{filter:?}"
        );
    }

    // The other way round the same error is introduced, and fails.
    let back = run(&[
        "diff",
        "--base",
        fixed.to_str().unwrap(),
        "-f",
        EXAMPLE,
        "--fail-on",
        "error",
        "-o",
        "json",
    ]);
    assert_eq!(back.status.code(), Some(1));
    assert!(codes(&json(&back)["findings"]["introduced"]).contains(&(
        "AMB001".into(),
        "AuthorizationPolicy/default/reviews-get-only".into()
    )));
}

#[test]
fn ci_formats_report_introduced_findings_at_their_line() {
    let dir = head("ci-formats", |f| {
        file(f, POLICIES).push_str(RATINGS_GET_ONLY)
    });
    let policies = dir.join(POLICIES);
    let line = std::fs::read_to_string(&policies)
        .unwrap()
        .lines()
        .position(|l| l == "  name: ratings-get-only")
        .unwrap()
        - 2; // apiVersion, kind, metadata, name: 1-based line of apiVersion
    let introduced = json(&diff(EXAMPLE, &dir, &["-o", "json"]))["findings"]["introduced"]
        .as_array()
        .unwrap()
        .len();

    let o = diff(EXAMPLE, &dir, &["-o", "github"]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert_eq!(out.lines().count(), introduced, "{out}");
    let want = format!(
        "::error file={},line={line},title=AMB001 AuthorizationPolicy/default/ratings-get-only::",
        policies.display()
    );
    assert!(
        out.lines().any(|l| l.starts_with(&want)),
        "no {want} in\n{out}"
    );

    let sarif = json(&diff(EXAMPLE, &dir, &["-o", "sarif"]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), introduced);
    let r = results.iter().find(|r| r["ruleId"] == "AMB001").unwrap();
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        format!("file://{}", policies.display())
    );
    assert_eq!(loc["region"]["startLine"], line);
}

#[test]
fn yaml_says_what_json_says() {
    let dir = head("yaml", |f| file(f, POLICIES).push_str(DENY_ALL));
    let y = diff(EXAMPLE, &dir, &["-o", "yaml"]);
    assert_eq!(y.status.code(), Some(1));
    let from_yaml: Value = serde_saphyr::from_str(&text(&y.stdout)).unwrap();
    assert_eq!(from_yaml, json(&diff(EXAMPLE, &dir, &["-o", "json"])));
}

#[test]
fn bad_diff_input() {
    let one_line = |o: &Output, code: i32, wants: &[&str]| {
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.lines().count() <= 2, "{err}");
        for w in wants {
            assert!(err.contains(w), "no {w:?} in {err}");
        }
    };
    one_line(&run(&["diff", "--base", EXAMPLE]), 2, &["-f"]);
    one_line(
        &run(&["diff", "-f", EXAMPLE, "--delete", "Secret/default/x"]),
        2,
        &["unknown kind \"Secret\""],
    );
    one_line(
        &run(&["diff", "-f", EXAMPLE, "--delete", "AuthorizationPolicy/x"]),
        2,
        &["AuthorizationPolicy/NAMESPACE/NAME"],
    );
    one_line(
        &run(&["diff", "--base", "no/such/dir", "-f", EXAMPLE]),
        2,
        &["no/such/dir", "no such file"],
    );
    one_line(&run(&["diff", "--base", "-", "-f", "-"]), 2, &["stdin"]);
    one_line(
        &run(&["diff", "--base", EXAMPLE, "-f", EXAMPLE, "--only", "AMB1"]),
        2,
        &["invalid --only \"AMB1\""],
    );
    // No cluster to compare with: the offline way is --base (diff has -f already).
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-no-kubeconfig");
    std::fs::create_dir_all(&home).unwrap();
    let o = bin()
        .env_remove("KUBECONFIG")
        .env("HOME", home)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["diff", "-f", EXAMPLE])
        .output()
        .unwrap();
    one_line(&o, 3, &["no kubeconfig found", "--base DIR"]);
    assert!(!text(&o.stderr).contains("-f FILE"), "{}", text(&o.stderr));
    // --delete and --base do not mix (clap's usage error).
    let o = run(&[
        "diff", "--base", EXAMPLE, "-f", EXAMPLE, "--delete", "Pod/a/b",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).starts_with("error: "));
}

// ---- Live: manifests laid over the cluster (the test API server) ----

fn world(name: &str) -> World {
    world_of(name, example_objects())
}

fn world_of(name: &str, objects: Vec<Value>) -> World {
    World::start(
        &format!("diff-live-{name}"),
        objects,
        &[("bookinfo", Some("default"), TOKEN)],
    )
}

/// The binary against the world's cluster, in the environment of `bin`.
fn run_live(w: &World, args: &[&str]) -> Output {
    let mut c = w.command();
    c.env_remove("NO_COLOR").env("TERM", "xterm");
    c.args(args).output().unwrap()
}

#[test]
fn live_overlay_replaces_adds_and_deletes() {
    let w = world("overlay");
    // Applying what the cluster already holds changes nothing.
    let same = run_live(&w, &["diff", "-f", EXAMPLE]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        text(&same.stdout),
        text(&same.stderr)
    );

    // One file: an existing policy redefined (same name: replaces) and a new one without a
    // namespace (lands in the context's namespace, as with kubectl apply).
    let proposed = w.dir.join("proposed.yaml");
    let changed = format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n{FROM_INGRESS_TARGETREFS}  action: ALLOW\n  rules:\n  - from:\n    - source:\n        principals: [\"cluster.local/ns/default/sa/bookinfo-gateway-istio\"]\n{}",
        DENY_ALL.replace("  namespace: default\n", "")
    );
    std::fs::write(&proposed, &changed).unwrap();
    let o = run_live(
        &w,
        &["diff", "-f", proposed.to_str().unwrap(), "-o", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let live = json(&o);
    assert_eq!(
        policy(&live, "productpage-from-ingress")["change"],
        "changed"
    );
    assert_eq!(policy(&live, "deny-all")["change"], "added");
    assert_eq!(policy(&live, "deny-all")["namespace"], "default");
    assert_eq!(live["policies"].as_array().unwrap().len(), 2);

    // The comparison does not know where the sides came from: offline, the same change
    // gives the same Diff.
    let dir = head("live-equivalent", |f| {
        replace(f, POLICIES, FROM_INGRESS_SELECTOR, FROM_INGRESS_TARGETREFS);
        file(f, POLICIES).push_str(DENY_ALL);
    });
    assert_eq!(live, json(&diff(EXAMPLE, &dir, &["-o", "json"])));

    // --delete, with or without -f.
    let o = run_live(
        &w,
        &[
            "diff",
            "--delete",
            "AuthorizationPolicy/default/reviews-get-only",
            "-o",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let d = json(&o);
    assert_eq!(policy(&d, "reviews-get-only")["change"], "removed");
    assert!(policy(&d, "reviews-get-only")["after"].is_null());
    assert!(codes(&d["findings"]["resolved"]).contains(&(
        "AMB001".into(),
        "AuthorizationPolicy/default/reviews-get-only".into()
    )));
    let o = run_live(
        &w,
        &[
            "diff",
            "--delete",
            "AuthorizationPolicy/default/reviews-get-only",
            "--fail-on",
            "error",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "a resolved error never fails");

    // Against the cluster the scope stays the context's namespace (kubectl's rule): a
    // proposed object in another namespace is out of it, unless -n or -A names it.
    let elsewhere = w.dir.join("elsewhere.yaml");
    std::fs::write(
        &elsewhere,
        DENY_ALL.replace("namespace: default", "namespace: other"),
    )
    .unwrap();
    let elsewhere = elsewhere.to_str().unwrap();
    let o = run_live(&w, &["diff", "-f", elsewhere, "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(json(&o)["namespace"], "default");
    let o = run_live(&w, &["diff", "-f", elsewhere, "-A", "-o", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(policy(&json(&o), "deny-all")["namespace"], "other");

    let o = run_live(
        &w,
        &["diff", "--delete", "AuthorizationPolicy/default/nope"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("AuthorizationPolicy/default/nope") && err.contains("no such object"));
}

/// The example's reviews-v1 pod as the cluster holds it: created by the ReplicaSet of
/// Deployment reviews-v1 (ownerReferences and pod-template-hash, as `kubectl get -o yaml`
/// shows a Deployment's pod).
fn owned_reviews_pod(objects: &mut [Value]) {
    let pod = objects
        .iter_mut()
        .find(|o| o["kind"] == "Pod" && o["metadata"]["name"] == "reviews-v1-5b8f6c9d7-fghij")
        .expect("the example has reviews-v1's pod");
    pod["metadata"]["labels"]["pod-template-hash"] = "5b8f6c9d7".into();
    pod["metadata"]["ownerReferences"] = serde_json::json!([{
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "reviews-v1-5b8f6c9d7",
        "uid": "7d0c3c3e-0000-4000-8000-000000000001", "controller": true,
        "blockOwnerDeletion": true
    }]);
}

/// The targets of every enforcement entry of a policy on one side of a Diff.
fn targets(side: &Value) -> BTreeSet<String> {
    side.as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["targets"].as_array().unwrap())
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn live_pods_of_a_redefined_or_deleted_deployment_go() {
    let mut objects = example_objects();
    owned_reviews_pod(&mut objects);
    let w = world_of("controllers", objects);
    const OLD_POD: &str = "Pod/default/reviews-v1-5b8f6c9d7-fghij";
    const NEW: &str = "Deployment/default/reviews-v1";
    // The proposal: reviews-v1 as its Deployment, now running as its own service account.
    let proposed = w.dir.join("reviews-v1.yaml");
    std::fs::write(
        &proposed,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: reviews-v1\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: reviews-v1\n  labels:\n    app: reviews\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: reviews\n      version: v1\n  template:\n    metadata:\n      labels:\n        app: reviews\n        version: v1\n    spec:\n      serviceAccountName: reviews-v1\n      containers:\n      - name: reviews\n        image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.2\n",
    )
    .unwrap();
    let o = w.run(&["diff", "-f", proposed.to_str().unwrap(), "-o", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let d = json(&o);
    // reviews-get-only selects app=reviews: before, the live pod; after, the new template
    // alone (the old pod rolled away with its ReplicaSet).
    let p = policy(&d, "reviews-get-only");
    let (before, after) = (targets(&p["before"]), targets(&p["after"]));
    assert!(
        before.contains(OLD_POD) && !before.contains(NEW),
        "{before:?}"
    );
    assert!(after.contains(NEW) && !after.contains(OLD_POD), "{after:?}");
    let dests: BTreeSet<&str> = d["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["after"].is_object())
        .map(|p| p["destination"].as_str().unwrap())
        .collect();
    assert!(!dests.contains(OLD_POD), "{dests:?}");

    // --delete Deployment/NS/NAME takes the live pods it owns.
    let o = w.run(&[
        "diff",
        "--delete",
        "Deployment/default/reviews-v1",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let d = json(&o);
    let after = targets(&policy(&d, "reviews-get-only")["after"]);
    assert!(!after.contains(OLD_POD) && !after.is_empty(), "{after:?}");
    // Nothing owns reviews-v2's pod under that name.
    let o = w.run(&["diff", "--delete", "Deployment/default/reviews-v9"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

/// docs/diff.md's example is the real output of the change it describes.
/// `UPDATE_DOCS=1 cargo test --test diff docs_show_real_diff_output` rewrites it.
#[test]
fn docs_show_real_diff_output() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diff.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let block: String = page
        .split("<!-- diff-example")
        .nth(1)
        .expect("docs/diff.md has the diff example")
        .lines()
        .skip(3) // the rest of the marker line, the fence, the command
        .take_while(|l| *l != "```")
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = head("readme", |f| {
        replace(f, POLICIES, FROM_INGRESS_SELECTOR, FROM_INGRESS_TARGETREFS)
    });
    let o = diff(EXAMPLE, &dir, &["--color", "never"]);
    assert_eq!(o.status.code(), Some(1));
    if std::env::var_os("UPDATE_DOCS").is_some() {
        // Regenerate the block from the real output, then read the diff.
        std::fs::write(&path, page.replacen(&block, &text(&o.stdout), 1)).unwrap();
        return;
    }
    assert_eq!(
        block,
        text(&o.stdout),
        "docs/diff.md's example is stale: re-run the command it shows (UPDATE_DOCS=1 rewrites it)"
    );
}

/// Rendered manifests on stdin (`helm template ... | kubectl ambient-policy diff --base ... -f -`).
#[test]
fn head_from_stdin() {
    use std::io::Write;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let all: Vec<String> = names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let feed = |text: String, extra: &[&str]| -> Output {
        let mut child = bin()
            .args(["diff", "--base", EXAMPLE, "-f", "-"])
            .args(extra)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let same = feed(all.join("\n---\n"), &[]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        text(&same.stdout),
        text(&same.stderr)
    );
    let changed = feed(
        format!("{}\n{RATINGS_GET_ONLY}", all.join("\n---\n")),
        &["-o", "json"],
    );
    assert_eq!(changed.status.code(), Some(1));
    assert_eq!(
        policy(&json(&changed), "ratings-get-only")["change"],
        "added"
    );
}

/// `--namespace-labels` labels a namespace missing from the input on both sides, as in
/// explain (it was accepted and ignored by diff).
#[test]
fn namespace_labels_apply_to_both_sides() {
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shop");
    let side = |name: &str, with_policy: bool| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("diff-nslabels-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["web.yaml", "mesh-config.yaml"] {
            std::fs::copy(shop.join(f), dir.join(f)).unwrap();
        }
        if with_policy {
            std::fs::copy(shop.join("deny-all.yaml"), dir.join("deny-all.yaml")).unwrap();
        }
        dir.to_str().unwrap().to_string()
    };
    let (base, head) = (side("base", false), side("head", true));
    let enforced = |extra: &[&str]| {
        let mut args = vec![
            "diff", "-n", "shop", "--base", &base, "-f", &head, "-o", "json",
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        entries(&policy(&json(&o), "deny-all")["after"])
    };
    let unlabelled = enforced(&[]);
    assert!(
        unlabelled.iter().all(|e| e.0 != "ztunnel"),
        "shop is not in the input: outside the mesh, {unlabelled:?}"
    );
    let labelled = enforced(&["--namespace-labels", "shop=istio.io/dataplane-mode=ambient"]);
    assert!(
        labelled.contains(&tuple("ztunnel", "direct", "client", "deny-all")),
        "{labelled:?}"
    );
    let o = run(&[
        "diff",
        "--base",
        &base,
        "-f",
        &head,
        "--namespace-labels",
        "shop",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("invalid --namespace-labels"));
}
