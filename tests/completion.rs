//! Tab completion: through the real kubectl (its plugin completion protocol), the standalone
//! scripts (kept in sync with the generator, and loaded in a real bash), and live values from
//! the test API server.

mod kubectl;
mod support;
use ambient_policy::completion::{complete, directive, shell};
use kubectl::kubectl;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::apiserver::{ApiServer, Faults, TOKEN};

const EXE: &str = env!("CARGO_BIN_EXE_kubectl-ambient_policy");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("completion-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A PATH directory holding the plugin and the completion link that `completion install`
/// creates there, as a user's `~/.krew/bin` would.
fn plugin_dir(name: &str) -> PathBuf {
    let dir = scratch(name);
    #[cfg(unix)]
    std::os::unix::fs::symlink(EXE, dir.join("kubectl-ambient_policy")).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(EXE, dir.join("kubectl-ambient_policy.exe")).unwrap();
    let o = Command::new(EXE)
        .args(["completion", "install"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("kubectl_complete-ambient_policy"));
    dir
}

struct Kubectl {
    bin: PathBuf,
    path: std::ffi::OsString,
    home: PathBuf,
}

impl Kubectl {
    fn new(name: &str) -> Option<Kubectl> {
        let bin = kubectl()?;
        let dir = plugin_dir(name);
        let path = std::env::join_paths(
            std::iter::once(dir.clone())
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        Some(Kubectl {
            bin,
            path,
            home: dir,
        })
    }

    /// `kubectl __complete ambient-policy ARGS...`: candidate values and the directive.
    fn complete(&self, kubeconfig: &Path, args: &[&str]) -> (Vec<String>, String, Duration) {
        let started = Instant::now();
        let o: Output = Command::new(&self.bin)
            .env("PATH", &self.path)
            .env("HOME", &self.home)
            .env("KUBECONFIG", kubeconfig)
            .arg("__complete")
            .arg("ambient-policy")
            .args(args)
            .output()
            .unwrap();
        let took = started.elapsed();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        let mut lines: Vec<&str> = out.lines().collect();
        let directive = lines.pop().unwrap_or_default().to_string();
        let values = lines
            .iter()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        (values, directive, took)
    }
}

fn kubeconfig(server: &ApiServer, dir: &Path) -> PathBuf {
    let p = dir.join("kubeconfig");
    std::fs::write(
        &p,
        server.kubeconfig(&[("main", Some("shop"), TOKEN), ("other", None, TOKEN)]),
    )
    .unwrap();
    p
}

fn ns(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A Deployment's pod: owned by ReplicaSet `<deploy>-<hash>`, with its service account.
fn pod(ns: &str, deploy: &str, suffix: &str, sa: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{deploy}-5f7c9-{suffix}"), "namespace": ns,
            "labels": {"app": deploy, "pod-template-hash": "5f7c9"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{deploy}-5f7c9")}]},
        "spec": {"serviceAccountName": sa}})
}

fn world() -> Vec<Value> {
    vec![
        ns("shop"),
        ns("payments"),
        ns("istio-system"),
        pod("shop", "web", "a1", "web"),
        pod("shop", "web", "b2", "web"),
        pod("shop", "cart", "c3", "cart-sa"),
        pod("payments", "ledger", "d4", "ledger"),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": []}}}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "idle", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": []}}}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "public", "namespace": "shop"},
            "spec": {"gatewayClassName": "istio", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "waypoint", "namespace": "shop"},
            "spec": {"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]}}),
    ]
}

#[test]
fn through_kubectl_subcommands_formats_and_live_namespaces() {
    let Some(k) = Kubectl::new("kubectl") else {
        return;
    };
    let server = ApiServer::start(world());
    let kc = kubeconfig(&server, &k.home);

    let (v, d, _) = k.complete(&kc, &[""]);
    assert!(v.contains(&"explain".to_string()), "{v:?}");
    assert!(v.contains(&"completion".to_string()), "{v:?}");
    assert_eq!(d, ":4");

    let (v, d, _) = k.complete(&kc, &["explain", "-o", ""]);
    assert!(v.contains(&"json".to_string()), "{v:?}");
    assert_eq!(d, ":4");

    let (v, _, _) = k.complete(&kc, &["explain", "--fail"]);
    assert_eq!(v, ["--fail-on"]);

    // Namespaces come from the cluster: not the static guesses ("default" does not exist).
    let (v, d, _) = k.complete(&kc, &["explain", "-n", ""]);
    assert_eq!(v, ["istio-system", "payments", "shop"]);
    assert_eq!(d, ":4");
    let (v, _, _) = k.complete(&kc, &["explain", "-n", "pa"]);
    assert_eq!(v, ["payments"]);
    assert!(server
        .requests()
        .iter()
        .all(|(m, p)| m == "GET" && p.starts_with("/api/v1/namespaces?")));

    // Contexts come from the kubeconfig alone.
    let before = server.requests().len();
    let (v, _, _) = k.complete(&kc, &["explain", "--context", ""]);
    assert_eq!(v, ["main", "other"]);
    assert_eq!(
        server.requests().len(),
        before,
        "--context completion called the cluster"
    );

    // --context typed earlier picks the connection; --kubeconfig beats KUBECONFIG.
    let (v, _, _) = k.complete(
        Path::new("/nonexistent"),
        &[
            "explain",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--context",
            "other",
            "-n",
            "s",
        ],
    );
    assert_eq!(v, ["shop"]);
}

/// An API server that accepts connections and never answers: the static candidates still come
/// back, within the budget, and nothing but the protocol is printed.
#[test]
fn unreachable_cluster_gives_static_candidates_in_time() {
    let Some(k) = Kubectl::new("unreachable") else {
        return;
    };
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let kc = k.home.join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: x\n  cluster:\n    server: https://127.0.0.1:{port}\ncontexts:\n- name: c\n  context:\n    cluster: x\n    user: u\n    namespace: team-a\nusers:\n- name: u\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
    let (v, d, took) = k.complete(&kc, &["explain", "-n", ""]);
    // The product's own timing: it waits for the cluster until its budget runs out (the
    // deadline is set after the process starts, so never sooner), then answers. The upper
    // bound only stops a hang: starting kubectl and the plugin on a loaded machine must not
    // fail it.
    let budget = ambient_policy::completion::live::BUDGET;
    assert!(took >= budget, "gave up before the budget: {took:?}");
    assert!(took < budget + Duration::from_secs(60), "hung: {took:?}");
    assert_eq!(v, ["team-a", "default", "istio-system"]);
    assert_eq!(d, ":4");
    // Straight through the link too: stderr stays empty.
    let o = Command::new(k.home.join("kubectl_complete-ambient_policy"))
        .env("KUBECONFIG", &kc)
        .args(["explain", "-n", ""])
        .output()
        .unwrap();
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).ends_with(":4\n"));
    drop(silent);
}

fn values(cmd: &clap::Command, words: &[&str], current: &str) -> (Vec<String>, u32) {
    let words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
    let c = complete(cmd, &words, current);
    (
        c.candidates.into_iter().map(|c| c.value).collect(),
        c.directive,
    )
}

/// Subcommands added later (`check --from --to`) get workload completion by argument id.
#[test]
fn workload_references_for_from_and_to() {
    let server = ApiServer::start(world());
    let dir = scratch("workloads");
    let kc = kubeconfig(&server, &dir);
    let kc = kc.to_str().unwrap();
    let cmd = clap::Command::new("kubectl ambient-policy").subcommand(
        clap::Command::new("check")
            .arg(clap::Arg::new("from").long("from"))
            .arg(clap::Arg::new("to").long("to"))
            .arg(clap::Arg::new("namespace").short('n').long("namespace"))
            .arg(clap::Arg::new("kubeconfig").long("kubeconfig")),
    );
    let base = ["check", "--kubeconfig", kc];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }

    let (v, d) = values(&cmd, &with(&base, &["--from"]), "");
    // Every controller form `check` parses (check::grammar), then the clients.
    #[rustfmt::skip]
    assert_eq!(v, ["pod/", "deploy/", "sts/", "ds/", "rs/", "rc/", "job/", "cj/", "rollout/", "sa/", "ingress/", "ingress", "external"]);
    assert_eq!(d, directive::NO_SPACE | directive::NO_FILE_COMP);

    // The context's namespace (shop) by default.
    let (v, _) = values(&cmd, &with(&base, &["--from"]), "pod/");
    assert_eq!(
        v,
        [
            "pod/shop/cart-5f7c9-c3",
            "pod/shop/web-5f7c9-a1",
            "pod/shop/web-5f7c9-b2"
        ]
    );
    let (v, _) = values(&cmd, &with(&base, &["--to"]), "svc/");
    assert_eq!(v, ["svc/shop/web"]);
    let (v, _) = values(&cmd, &with(&base, &["--to"]), "deploy/shop/i");
    assert_eq!(v, ["deploy/shop/idle"]);
    let (v, _) = values(&cmd, &with(&base, &[]), "--from=sa/");
    assert_eq!(v, ["--from=sa/shop/cart-sa", "--from=sa/shop/web"]);
    // -n, or the namespace typed in the reference.
    let (v, _) = values(&cmd, &with(&base, &["-n", "payments", "--to"]), "pod/");
    assert_eq!(v, ["pod/payments/ledger-5f7c9-d4"]);
    let (v, _) = values(&cmd, &with(&base, &["--from"]), "sa/payments/");
    assert_eq!(v, ["sa/payments/ledger"]);

    // Ingress gateways (not waypoints), at the version discovery says is served: the
    // kind table's first (v1), and a server that still serves Gateways only at v1beta1.
    let (v, _) = values(&cmd, &with(&base, &["--from"]), "ingress/");
    assert_eq!(v, ["ingress/shop/public"]);
    server.set_faults(Faults {
        served: [("gateways".to_string(), vec!["v1beta1".to_string()])].into(),
        ..Faults::default()
    });
    let (v, _) = values(&cmd, &with(&base, &["--from"]), "ingress/");
    assert_eq!(v, ["ingress/shop/public"]);
    assert!(
        server.requests().iter().any(|(_, path)| path
            .starts_with("/apis/gateway.networking.k8s.io/v1beta1/namespaces/shop/gateways")),
        "{:?}",
        server.requests()
    );

    // Without the right to list Deployments, their names come from the pods' owners.
    server.set_faults(Faults {
        forbidden: ["deployments".to_string()].into(),
        ..Faults::default()
    });
    let (v, _) = values(&cmd, &with(&base, &["--from"]), "deploy/");
    assert_eq!(v, ["deploy/shop/cart", "deploy/shop/web"]);

    // A cluster that refuses everything: no names, no error.
    server.set_faults(Faults {
        unauthorized: true,
        ..Faults::default()
    });
    let (v, d) = values(&cmd, &with(&base, &["--from"]), "pod/");
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(d, directive::NO_FILE_COMP);
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// completions/ holds what the generator prints today. UPDATE_COMPLETIONS=1 rewrites it.
#[test]
fn checked_in_scripts_match_the_generator() {
    for (shell, file) in shell::SCRIPTS {
        let o = Command::new(EXE)
            .args(["completion", &format!("{shell:?}").to_lowercase()])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let path = repo().join("completions").join(file);
        if std::env::var_os("UPDATE_COMPLETIONS").is_some() {
            std::fs::write(&path, &o.stdout).unwrap();
        }
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == o.stdout,
            "{} differs from `completion {shell:?}`: run UPDATE_COMPLETIONS=1 cargo test --test completion",
            path.display()
        );
    }
}

/// The checked-in bash script, sourced in a real bash, completes flags and values.
#[cfg(unix)]
#[test]
fn bash_script_loads_and_completes() {
    let script = repo().join("completions/kubectl-ambient_policy.bash");
    let dir = scratch("bash");
    std::os::unix::fs::symlink(EXE, dir.join("kubectl-ambient_policy")).unwrap();
    let run = |line: &[&str]| -> Vec<String> {
        let words = line
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let prog = format!(
            r#"set -e
source '{}'
spec=$(complete -p kubectl-ambient_policy)
fn=$(sed -E 's/.*-F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$fn" kubectl-ambient_policy "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
            script.display()
        );
        let o = Command::new("bash")
            .arg("--norc")
            .arg("-c")
            .arg(&prog)
            .env(
                "PATH",
                std::env::join_paths(
                    std::iter::once(dir.clone())
                        .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
                )
                .unwrap(),
            )
            .output()
            .expect("bash runs");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        text(&o.stdout).lines().map(str::to_string).collect()
    };
    assert_eq!(
        run(&["kubectl-ambient_policy", "explain", "--fail-o"]),
        ["--fail-on"]
    );
    let formats = run(&["kubectl-ambient_policy", "explain", "-o", ""]);
    assert_eq!(
        formats,
        ["table", "wide", "json", "yaml", "sarif", "github", "mermaid", "dot"]
    );
    let subs = run(&["kubectl-ambient_policy", ""]);
    assert!(subs.contains(&"explain".to_string()), "{subs:?}");
}

/// `completion` with an unknown shell or an unwritable directory: one line, exit 2.
#[test]
fn completion_errors_are_one_line() {
    let one_line = |args: &[&str], wants: &str| {
        let o = Command::new(EXE).args(args).output().unwrap();
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: ") && err.contains(wants), "{err}");
        assert!(o.stdout.is_empty());
    };
    one_line(
        &["completion", "tcsh"],
        "bash, zsh, fish, powershell, install",
    );
    one_line(&["completion", "bash", "/tmp"], "only `completion install`");
    one_line(
        &["completion", "install", "/nonexistent/dir"],
        "/nonexistent/dir is not a directory",
    );
    // Read-only for everyone (root too, who ignores permission bits elsewhere).
    let dir = scratch("readonly");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let writable = std::fs::write(dir.join("probe"), "").is_ok();
    let target = if writable { Path::new("/sys") } else { &dir };
    one_line(
        &["completion", "install", target.to_str().unwrap()],
        "cannot create",
    );
}
