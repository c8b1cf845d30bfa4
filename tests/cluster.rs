//! The live source against the test API server: the real binary, through a kubeconfig (and
//! through kubectl itself), must explain exactly what `-f` explains for the same objects.

mod support;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::apiserver::{Faults, TOKEN};
use support::cluster::{
    example_objects, files_json, read_bound, text, World, DEFAULT_REQUEST_TIMEOUT, EXE,
};

fn world(name: &str, objects: Vec<Value>) -> World {
    World::start(
        &format!("cluster-{name}"),
        objects,
        &[
            ("bookinfo", Some("default"), TOKEN),
            ("mesh", Some("istio-system"), TOKEN),
            ("stale", None, "expired"),
        ],
    )
}

#[test]
fn live_explanation_equals_files_explanation() {
    let w = world("equal", example_objects());
    let live = w.run(&["explain", "-o", "json"]);
    assert_eq!(live.status.code(), Some(0), "{}", text(&live.stderr));
    assert!(live.stderr.is_empty(), "{}", text(&live.stderr));
    // The namespace came from the context.
    assert_eq!(text(&live.stdout), files_json(&["-n", "default"]));
    let all = w.run(&["explain", "-A", "-o", "json"]);
    assert_eq!(text(&all.stdout), files_json(&["-A"]));
    // Read-only and minimal: only GETs, never Secrets, and paginated lists.
    let reqs = w.server.requests();
    assert!(reqs.iter().all(|(m, _)| m == "GET"), "{reqs:?}");
    assert!(!reqs.iter().any(|(_, p)| p.contains("secrets")), "{reqs:?}");
    assert!(
        reqs.iter()
            .filter(|(_, p)| p.contains("/pods"))
            .all(|(_, p)| p.contains("limit=")),
        "{reqs:?}"
    );
}

#[test]
fn context_selection_and_namespace_default() {
    let w = world("contexts", example_objects());
    let ns_of = |o: &Output| -> Value {
        serde_json::from_slice::<Value>(&o.stdout).unwrap()["namespace"].clone()
    };
    assert_eq!(ns_of(&w.run(&["explain", "-o", "json"])), "default");
    assert_eq!(
        ns_of(&w.run(&["explain", "--context", "mesh", "-o", "json"])),
        "istio-system"
    );
    assert_eq!(
        ns_of(&w.run(&[
            "explain",
            "--context",
            "mesh",
            "-n",
            "default",
            "-o",
            "json"
        ])),
        "default"
    );
    // --kubeconfig beats KUBECONFIG.
    let o = Command::new(EXE)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .args([
            "explain",
            "--kubeconfig",
            w.kubeconfig.to_str().unwrap(),
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // Several KUBECONFIG paths are merged.
    let other = w.dir.join("empty-config");
    std::fs::write(&other, "apiVersion: v1\nkind: Config\n").unwrap();
    let joined = std::env::join_paths([&other, &w.kubeconfig]).unwrap();
    let o = Command::new(EXE)
        .env("KUBECONFIG", joined)
        .args(["explain", "--context", "mesh", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn through_kubectl() {
    let w = world("kubectl", example_objects());
    let bin_dir = Path::new(EXE).parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let o = Command::new("kubectl")
        .env("PATH", path)
        .env("KUBECONFIG", &w.kubeconfig)
        .env("HOME", &w.dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["ambient-policy", "explain", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), files_json(&["-n", "default"]));
}

#[test]
fn pagination_over_many_objects() {
    let mut objects = example_objects();
    for i in 0..1234 {
        objects.push(serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("filler-{i:04}"), "namespace": "default", "labels": {"app": "filler"}},
            "spec": {"serviceAccountName": "filler"}}));
    }
    let w = world("pages", objects);
    let o = w.run(&["explain", "-l", "app=filler", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["workloads"].as_array().unwrap().len(), 1234);
    let pages = w
        .server
        .requests()
        .iter()
        .filter(|(_, p)| p.contains("/namespaces/default/pods"))
        .count();
    assert_eq!(pages, 3, "1242 pods in pages of 500");
}

/// One clear line and exit `code`, within the product's own bound (`read_bound`) since
/// `started`.
fn assert_fails_clearly(o: &Output, started: Instant, code: i32, wants: &[&str]) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in wants {
        assert!(err.contains(w), "want {w:?} in {err}");
    }
    let bound = read_bound(DEFAULT_REQUEST_TIMEOUT);
    assert!(
        started.elapsed() < bound,
        "took {:?}, beyond the product's bound plus a minute: hung",
        started.elapsed()
    );
}

#[test]
fn unauthorized_names_the_context() {
    let w = world("401", example_objects());
    // A 401 cannot change on retry: the path is asked for once.
    let t = Instant::now();
    let (o, asks) = w.run_asking(&["explain", "--context", "stale"]);
    assert_fails_clearly(&o, t, 3, &["\"stale\"", "401"]);
    assert_eq!(asks, 1, "a 401 is not retried");
    // --user picks the expired credentials within the current context.
    let t = Instant::now();
    let (o, asks) = w.run_asking(&["explain", "--user", "stale"]);
    assert_fails_clearly(&o, t, 3, &["\"bookinfo\"", "401"]);
    assert_eq!(asks, 1, "a 401 is not retried");
    // --cluster must name a cluster of the kubeconfig.
    let t = Instant::now();
    let (o, asks) = w.run_asking(&["explain", "--cluster", "nope"]);
    assert_fails_clearly(&o, t, 3, &["nope"]);
    assert_eq!(asks, 0, "no such cluster, nothing to ask");
    w.server.set_faults(Faults {
        unauthorized: true,
        ..Faults::default()
    });
    let t = Instant::now();
    let (o, asks) = w.run_asking(&["explain"]);
    assert_fails_clearly(&o, t, 3, &["\"bookinfo\"", "401"]);
    assert_eq!(asks, 1, "a 401 is not retried");
}

#[test]
fn forbidden_kinds_are_reported_and_the_analysis_goes_on() {
    let w = world("403", example_objects());
    w.server.set_faults(Faults {
        forbidden: ["pods".to_string(), "peerauthentications".to_string()].into(),
        ..Faults::default()
    });
    let o = w.run(&["explain", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("could not read Pod"))
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains("could not read PeerAuthentication"), "{err}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let incomplete = v["incomplete"].as_array().unwrap();
    assert!(
        incomplete.iter().any(|i| i["kind"] == "Pod"
            && i["namespace"] == "default"
            && i["reason"].as_str().unwrap().starts_with("forbidden")),
        "{incomplete:?}"
    );
    assert!(v["workloads"].as_array().unwrap().is_empty());
    assert!(!v["policies"].as_array().unwrap().is_empty());
    // The table says so too.
    let table = text(&w.run(&["explain"]).stdout);
    assert!(
        table.contains("could not read Pod in default: forbidden (403)"),
        "{table}"
    );
    // Forbidden on everything is an error.
    let all: std::collections::BTreeSet<String> = ambient_policy::source::kinds::KINDS
        .iter()
        .map(|k| k.plural.to_string())
        .chain(["configmaps".into(), "deployments".into()])
        .collect();
    w.server.set_faults(Faults {
        forbidden: all,
        ..Faults::default()
    });
    let t = Instant::now();
    let (o, asks) = w.run_asking(&["explain"]);
    assert_fails_clearly(&o, t, 3, &["403 on every kind"]);
    assert_eq!(asks, 1, "a 403 is not retried");
}

#[test]
fn missing_crds_are_incomplete_and_no_istio_is_one_message() {
    let w = world("404", example_objects());
    w.server.set_faults(Faults {
        missing_groups: ["gateway.networking.k8s.io".to_string()].into(),
        ..Faults::default()
    });
    let o = w.run(&["explain", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<&str> = v["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "GRPCRoute",
            "Gateway",
            "GatewayClass",
            "HTTPRoute",
            "TCPRoute",
            "TLSRoute"
        ]
    );
    assert!(text(&o.stderr).contains("could not read Gateway: not installed (404)"));
    let istio: std::collections::BTreeSet<String> = [
        "security.istio.io",
        "networking.istio.io",
        "telemetry.istio.io",
        "extensions.istio.io",
    ]
    .map(String::from)
    .into();
    w.server.set_faults(Faults {
        missing_groups: istio,
        ..Faults::default()
    });
    let t = Instant::now();
    let (o, asks) = w.run_asking(&["explain"]);
    assert_fails_clearly(&o, t, 3, &["Istio is not installed"]);
    assert_eq!(asks, 1, "a 404 is not retried");
}

#[test]
fn throttling_is_retried_and_server_errors_fail_clearly() {
    let w = world("429", example_objects());
    w.server.set_faults(Faults {
        throttle: 3,
        ..Faults::default()
    });
    let o = w.run(&["explain", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), files_json(&["-n", "default"]));
    w.server.set_faults(Faults {
        errors: u32::MAX,
        ..Faults::default()
    });
    let t = Instant::now();
    let (o, asks) = w.run_asking(&["explain"]);
    assert_fails_clearly(&o, t, 3, &["500", "\"bookinfo\""]);
    // Retried a bounded number of times, then given up.
    let most = 1 + ambient_policy::source::request::RETRIES as usize;
    assert_eq!(asks, most, "asks of one path");
}

#[test]
fn slow_truncated_and_unreachable_servers() {
    let w = world("slow", example_objects());
    w.server.set_faults(Faults {
        delay: Duration::from_secs(5),
        ..Faults::default()
    });
    // The product's own timing: it gives up after the request timeout, not the server's 5 s
    // (the generous upper bound is `read_bound` of 1 s, 66 s: a hang, not slowness, misses it).
    let t = Instant::now();
    let o = w.run(&["explain", "--request-timeout", "1s"]);
    assert_fails_clearly(&o, t, 3, &["timed out"]);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(1),
        "gave up before the timeout: {took:?}"
    );
    assert!(took < read_bound(Duration::from_secs(1)), "{took:?}");
    w.server.set_faults(Faults {
        truncate: true,
        ..Faults::default()
    });
    let t = Instant::now();
    assert_fails_clearly(&w.run(&["explain"]), t, 3, &["\"bookinfo\""]);
    // Nothing listens on port 1.
    let kc = std::fs::read_to_string(&w.kubeconfig)
        .unwrap()
        .replace(&w.server.url(), "https://127.0.0.1:1");
    let dead = w.dir.join("dead");
    std::fs::write(&dead, kc).unwrap();
    let t = Instant::now();
    let o = Command::new(EXE)
        .args(["explain", "--kubeconfig", dead.to_str().unwrap()])
        .output()
        .unwrap();
    assert_fails_clearly(&o, t, 3, &["cannot reach the API server", "127.0.0.1:1"]);
    // No kubeconfig at all.
    let t = Instant::now();
    let o = Command::new(EXE)
        .env_remove("KUBECONFIG")
        .env("HOME", &w.dir)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["explain"])
        .output()
        .unwrap();
    assert_fails_clearly(&o, t, 3, &["no kubeconfig found"]);
}

/// The shipped ClusterRole grants exactly what the plugin requests: every request the server
/// saw is allowed by a rule, and every rule is used.
#[test]
fn example_clusterrole_matches_the_requests() {
    let role: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clusterrole.yaml"),
        )
        .unwrap(),
    )
    .unwrap();
    let rules = role["rules"].as_array().unwrap();
    let w = world("rbac", example_objects());
    assert!(w.run(&["explain"]).status.success());
    assert!(w.run(&["explain", "-A"]).status.success());
    let mut used = vec![false; rules.len()];
    for (method, target) in w.server.requests() {
        assert_eq!(method, "GET");
        let path = target.split('?').next().unwrap();
        let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
        // API discovery: non-resource URLs every authenticated user may read
        // (the built-in system:discovery ClusterRole), so not in the role.
        if matches!(
            seg.as_slice(),
            ["api"] | ["apis"] | ["api", _] | ["apis", _] | ["apis", _, _]
        ) {
            continue;
        }
        let (group, rest) = match seg.as_slice() {
            ["api", _, rest @ ..] => ("", rest),
            ["apis", g, _, rest @ ..] => (*g, rest),
            _ => panic!("unexpected request {path}"),
        };
        let (resource, name) = match rest {
            ["namespaces", _, r] | [r] => (*r, None),
            ["namespaces", _, r, n] => (*r, Some(*n)),
            other => panic!("unexpected request {other:?}"),
        };
        let verb = if name.is_some() { "get" } else { "list" };
        let hit = rules.iter().position(|r| {
            let has = |k: &str, v: &str| r[k].as_array().unwrap().iter().any(|x| x == v);
            has("apiGroups", group)
                && has("resources", resource)
                && has("verbs", verb)
                && r.get("resourceNames").is_none_or(|n| {
                    name.is_some_and(|name| n.as_array().unwrap().iter().any(|x| x == name))
                })
        });
        let hit =
            hit.unwrap_or_else(|| panic!("no rule allows {verb} {group}/{resource} {name:?}"));
        used[hit] = true;
    }
    assert!(used.iter().all(|u| *u), "unused rules: {:?}", used);
}

/// istiod's status is shown beside the model's verdict, and disagreements become findings.
#[test]
fn istiod_status_beside_the_model() {
    let mut objects = example_objects();
    for o in objects.iter_mut() {
        match (
            o["kind"].as_str().unwrap(),
            o["metadata"]["name"].as_str().unwrap(),
        ) {
            // Claims ztunnel rejected a policy that ztunnel does receive.
            ("AuthorizationPolicy", "reviews-get-only") => {
                o["status"] = serde_json::json!({"conditions": [{"type": "ZtunnelAccepted", "status": "False", "reason": "UnsupportedValue"}]})
            }
            // A waypoint with addresses that istiod says is not programmed.
            ("Gateway", "waypoint") => {
                o["status"]["conditions"] = serde_json::json!([{"type": "Programmed", "status": "False", "reason": "Invalid"}])
            }
            // Agrees with the model.
            ("Service", "productpage") => {
                o["status"] = serde_json::json!({"conditions": [{"type": "istio.io/WaypointBound", "status": "True", "reason": "WaypointAccepted"}]})
            }
            _ => {}
        }
    }
    let w = world("status", objects);
    let o = w.run(&["explain", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let amb015: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "AMB015")
        .map(|f| f["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        amb015,
        [
            "AuthorizationPolicy/default/reviews-get-only",
            "Gateway/default/waypoint"
        ]
    );
    let policy = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "reviews-get-only")
        .unwrap();
    assert_eq!(policy["istiodStatus"][0]["type"], "ZtunnelAccepted");
    let svc = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "productpage")
        .unwrap();
    assert_eq!(svc["istiodStatus"][0]["status"], "True");
    let table = text(&w.run(&["explain"]).stdout);
    assert!(table.contains("Programmed: Invalid"), "{table}");
    let bindings = table.split("\nBINDINGS\n").nth(1).unwrap();
    let row = bindings
        .lines()
        .find(|l| l.starts_with("Service/default/productpage "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.trim_end().ends_with(" WaypointBound"), "{row}");
}

/// Credentials from an exec plugin and from a token file, as kubeconfigs often have them.
#[test]
fn exec_plugin_and_token_file_credentials() {
    let w = world("auth", example_objects());
    let kc = std::fs::read_to_string(&w.kubeconfig).unwrap();
    let plugin = w.dir.join("credential-plugin.sh");
    std::fs::write(
        &plugin,
        format!("#!/bin/sh\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{TOKEN}\"}}}}'\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let token_file = w.dir.join("token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let exec_user = format!(
        "  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        plugin.display()
    );
    let file_user = format!("  user:\n    tokenFile: {}\n", token_file.display());
    for (name, user) in [("exec", exec_user), ("file", file_user)] {
        let path = w.dir.join(format!("kubeconfig-{name}"));
        let patched = kc.replace(&format!("  user:\n    token: {TOKEN}\n"), &user);
        assert_ne!(patched, kc);
        std::fs::write(&path, patched).unwrap();
        let o = Command::new(EXE)
            .args([
                "explain",
                "--kubeconfig",
                path.to_str().unwrap(),
                "-o",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout), files_json(&["-n", "default"]), "{name}");
    }
}

/// On a terminal a progress line shows while a slow read goes on; never with -o json.
#[test]
fn progress_only_on_a_terminal() {
    let w = world("progress", example_objects());
    w.server.set_faults(Faults {
        delay: Duration::from_millis(300),
        ..Faults::default()
    });
    let run_tty = |extra: &str| {
        let cmd = format!(
            "KUBECONFIG='{}' '{EXE}' explain {extra} >/dev/null",
            w.kubeconfig.display()
        );
        let o = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout)
    };
    assert!(run_tty("").contains("reading the cluster of context \"bookinfo\""));
    assert!(!run_tty("-o json").contains("reading the cluster"));
    // Not a terminal: nothing on stderr.
    let o = w.run(&["explain"]);
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

/// Built-in kinds are read as protobuf and custom resources as JSON; a server that offers
/// no protobuf (a proxy, an aggregated API) is read as JSON. Both give the same explanation.
#[test]
fn built_in_kinds_are_read_as_protobuf_and_json_is_the_fallback() {
    let mut objects = example_objects();
    objects.push(serde_json::json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "reviews-ingress", "namespace": "default"},
        "spec": {"podSelector": {"matchLabels": {"app": "reviews"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "productpage"}}}],
                         "ports": [{"port": 9080}]}]}
    }));
    let w = world("protobuf", objects);
    let args = ["explain", "-A", "-o", "json", "-v"];
    let pb = w.run(&args);
    let log = text(&pb.stderr);
    assert_eq!(pb.status.code(), Some(0), "{log}");
    for (path, encoding) in [
        ("/api/v1/namespaces", "protobuf"),
        ("/api/v1/pods", "protobuf"),
        ("/api/v1/services", "protobuf"),
        ("/apis/networking.k8s.io/v1/networkpolicies", "protobuf"),
        ("/apis/security.istio.io/v1/authorizationpolicies", "JSON"),
        ("/apis/gateway.networking.k8s.io/v1/gateways", "JSON"),
    ] {
        let line = format!("debug: {path} is read as {encoding}");
        assert!(log.contains(&line), "{line} not in {log}");
    }
    assert!(text(&pb.stdout).contains("reviews-ingress"));
    w.server.set_faults(Faults {
        json_only: true,
        ..Faults::default()
    });
    let json = w.run(&args);
    let log = text(&json.stderr);
    assert!(log.contains("debug: /api/v1/pods is read as JSON"), "{log}");
    assert_eq!(text(&pb.stdout), text(&json.stdout));
}
