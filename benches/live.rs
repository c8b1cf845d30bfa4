//! End-to-end benchmark of the live source (issues 3 and 16): a mesh of 50,000 pods, 10,000
//! Services and 5,000 policies served by the test API server, which answers protobuf for the
//! built-in kinds as a real one does. In one run, each as a child process with its peak RSS:
//!   protobuf floor: every list the plugin makes, fetched concurrently, protobuf where served,
//!                   bodies discarded (only the continue token is read);
//!   JSON floor:     the same lists as JSON;
//!   plugin:         `kubectl-ambient_policy explain -A -o json` end to end;
//!   kubectl:        `kubectl get <same kinds> -A -o json` (one run: it is the slow reference).
//! Targets: the plugin within 1.2x the protobuf floor, peak RSS at most 150 MB.
//! The test server encodes every object once, at start, so its floors are the transfer
//! alone; the floor and the plugin are measured again against the same server paced as the
//! issue's real one (`REAL_SERVER_PER_OBJECT`), where the server's cost dominates, and
//! paced with every answer sharing one 200 Mbit/s link (`LINK_RATE`), as a remote server's.
//! Run: `cargo bench --bench live` (add `-- --quick` for fewer rounds, `-- --serve` to only
//! serve the mesh and print the kubeconfig path, for profiling by hand; `-- --serve --paced`
//! serves it as slowly as the real server, `--json-only` without protobuf, `--link`
//! with every answer sharing a 200 Mbit/s link).

#[path = "../tests/support/apiserver.rs"]
mod apiserver;
#[path = "support/measure.rs"]
mod measure;
#[path = "../tests/support/portforward.rs"]
mod portforward;
#[path = "../tests/support/protobuf.rs"]
mod protobuf;

use ambient_policy::source::kinds::KINDS;
use apiserver::{ApiServer, TOKEN};
use measure::{load_average, median, Measure};
use serde_json::{json, Value};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

/// The mesh's size. `cargo bench` uses the full size; `cargo test` (which also runs this
/// binary) a small one, as a smoke test of the benchmark itself.
#[derive(Clone, Copy)]
struct Size {
    namespaces: usize,
    pods: usize,
    services: usize,
    policies: usize,
}

const FULL: Size = Size {
    namespaces: 100,
    pods: 50_000,
    services: 10_000,
    policies: 5_000,
};
/// What a real API server's answer costs per object: the issue measured the lists of a
/// 34,000-pod cluster, fetched concurrently as protobuf, in 1.3 s on a kube-apiserver 1.32.
/// The Pods list dominates, so nearly all of that is the Pods' pages, one after the other.
const REAL_SERVER_PER_OBJECT: Duration = Duration::from_nanos(1_300_000_000 / 34_000);

/// Bytes per second of the link in the paced runs over one (200 Mbit/s: a remote API
/// server's, well short of a data centre's own network).
const LINK_RATE: u64 = 25_000_000;

const SMOKE: Size = Size {
    namespaces: 10,
    pods: 200,
    services: 40,
    policies: 20,
};

/// A pod shaped like what a real API server returns (spec, status, managed fields).
fn pod(z: Size, i: usize) -> Value {
    let ns = format!("ns-{}", i % z.namespaces);
    let app = format!("app-{}", (i / z.namespaces) % (z.services / z.namespaces));
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": format!("{app}-{i:05}-7c9f8d6b5-abcde"), "namespace": ns,
            "uid": format!("00000000-0000-0000-0000-{i:012}"), "resourceVersion": format!("{}", 100000 + i),
            "creationTimestamp": "2026-01-01T00:00:00Z", "generateName": format!("{app}-7c9f8d6b5-"),
            "labels": {"app": app, "version": "v1", "pod-template-hash": "7c9f8d6b5"},
            "annotations": {"ambient.istio.io/redirection": "enabled", "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-7c9f8d6b5"), "uid": "1234", "controller": true, "blockOwnerDeletion": true}],
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:version": {}}}, "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:ports": {}}}}}}]
        },
        "spec": {
            "serviceAccountName": format!("sa-{app}"), "nodeName": format!("node-{}", i % 20), "restartPolicy": "Always",
            "containers": [{"name": "app", "image": format!("registry.example.com/{app}:1.2.3"), "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}, {"name": "REGION", "value": "eu-west-1"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
                "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}]}],
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}]}}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        },
        "status": {
            "phase": "Running", "podIP": format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256), "hostIP": "172.18.0.2", "qosClass": "Burstable",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}, {"type": "ContainersReady", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}],
            "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "image": format!("registry.example.com/{app}:1.2.3"), "imageID": "sha256:abcdef", "containerID": "containerd://0123456789abcdef", "started": true, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]
        }
    })
}

fn mesh(z: Size) -> Vec<Value> {
    let mut o = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}}),
    ];
    for n in 0..z.namespaces {
        let mut labels = json!({"istio.io/dataplane-mode": "ambient"});
        if n % 5 == 0 {
            labels["istio.io/use-waypoint"] = json!("waypoint");
        }
        o.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("ns-{n}"), "labels": labels}}));
        if n % 5 == 0 {
            o.push(json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "waypoint", "namespace": format!("ns-{n}")},
                "spec": {"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]},
                "status": {"addresses": [{"type": "IPAddress", "value": "10.96.0.1"}]}}));
        }
    }
    o.extend((0..z.pods).map(|i| pod(z, i)));
    for s in 0..z.services {
        let ns = format!("ns-{}", s % z.namespaces);
        let app = format!("app-{}", s / z.namespaces);
        o.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns, "labels": {"app": app}},
            "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}], "clusterIP": "10.96.1.1", "type": "ClusterIP"}}));
    }
    for p in 0..z.policies {
        let ns = format!("ns-{}", p % z.namespaces);
        let app = format!("app-{}", (p / z.namespaces) % (z.services / z.namespaces));
        let spec = match p % 4 {
            0 => {
                json!({"selector": {"matchLabels": {"app": app}}, "action": "ALLOW", "rules": [{"from": [{"source": {"principals": [format!("cluster.local/ns/{ns}/sa/sa-x")]}}]}]})
            }
            1 => {
                json!({"selector": {"matchLabels": {"app": app}}, "rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})
            }
            2 => {
                json!({"targetRefs": [{"kind": "Service", "group": "", "name": app}], "rules": [{"to": [{"operation": {"paths": ["/api/*"]}}]}]})
            }
            _ => {
                json!({"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["untrusted"]}}]}]})
            }
        };
        o.push(json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": format!("policy-{p}"), "namespace": ns}, "spec": spec}));
    }
    o
}

/// A floor, run in a child process (`--floor json|protobuf ADDR CA_FILE`): every list the
/// plugin makes (cluster-wide, paginated), concurrently, over keep-alive TLS connections,
/// bodies discarded once their continue token is read.
async fn floor(protobuf: bool, addr: std::net::SocketAddr, ca_pem: &str) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls_pemfile_der(ca_pem)).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let jobs = KINDS.iter().map(|k| {
        let config = config.clone();
        // Protobuf where the server has it: the built-in groups.
        let accept = if protobuf && protobuf::served_for(k.group) {
            ambient_policy::source::protobuf::ACCEPT
        } else {
            "application/json"
        };
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut tls = tokio_rustls::TlsConnector::from(config)
                .connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .unwrap();
            let mut cont: Option<String> = None;
            loop {
                let mut path = format!("{}?limit=500", k.list_path(k.versions[0], None));
                if let Some(c) = &cont {
                    path.push_str(&format!("&continue={c}"));
                }
                let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nAccept: {accept}\r\n\r\n");
                tls.write_all(req.as_bytes()).await.unwrap();
                let body = read_response(&mut tls).await;
                cont = if body.starts_with(b"k8s\0") {
                    let raw = ambient_policy::source::protobuf::unwrap_envelope(body.into()).unwrap();
                    ambient_policy::source::protobuf::list_head(&raw).cont
                } else {
                    find_continue(&body)
                };
                if cont.is_none() {
                    break;
                }
            }
        }
    });
    futures::future::join_all(jobs).await;
}

fn rustls_pemfile_der(pem: &str) -> rustls::pki_types::CertificateDer<'static> {
    use base64::Engine;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
        .into()
}

async fn read_response<S: tokio::io::AsyncRead + Unpin>(io: &mut S) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let (head_end, len) = loop {
        let n = io.read(&mut chunk).await.unwrap();
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            break (i + 4, len);
        }
    };
    while buf.len() < head_end + len {
        let n = io.read(&mut chunk).await.unwrap();
        buf.extend_from_slice(&chunk[..n]);
    }
    buf.split_off(head_end)
}

/// Only the token matters; the body is otherwise discarded unparsed.
fn find_continue(body: &[u8]) -> Option<String> {
    let needle = b"\"continue\":\"";
    let i = body.windows(needle.len()).position(|w| w == needle)? + needle.len();
    let end = body[i..].iter().position(|&b| b == b'"')?;
    Some(String::from_utf8_lossy(&body[i..i + end]).to_string())
}

/// The plugin's read phase alone, in seconds: what `-v` reports once the Snapshot is read
/// (discovery, every list decoded, before the analysis).
fn read_phase(exe: &str, kubeconfig: &str) -> f64 {
    let o = Command::new(exe)
        .args([
            "explain",
            "-A",
            "-o",
            "json",
            "-v",
            "--kubeconfig",
            kubeconfig,
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr);
    let line = log
        .lines()
        .find(|l| l.starts_with("debug: read "))
        .unwrap_or_else(|| panic!("no read line in {log}"));
    let ms: f64 = line
        .rsplit(" in ")
        .next()
        .and_then(|t| t.trim_end_matches(" ms").parse().ok())
        .unwrap();
    ms / 1e3
}

/// Peak RSS in MB.
fn mb(m: &Measure) -> f64 {
    m.1 as f64 / (1 << 20) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--floor") {
        let protobuf = args[i + 1] == "protobuf";
        let addr = args[i + 2].parse().unwrap();
        let ca = std::fs::read_to_string(&args[i + 3]).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(floor(protobuf, addr, &ca));
        return;
    }
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it.
    let bench = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let z = if bench { FULL } else { SMOKE };
    let rounds = if !bench {
        1
    } else if quick {
        3
    } else {
        5
    };
    if Command::new("python3").arg("--version").output().is_err() {
        println!("live benchmark skipped: python3 is not on PATH");
        return;
    }
    let objects = mesh(z);
    let server = ApiServer::start(objects);
    let dir = std::env::temp_dir().join(format!("ambient-policy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, server.kubeconfig(&[("bench", None, TOKEN)])).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    // Built by cargo with this target's profile: optimised under `cargo bench`.
    let exe = env!("CARGO_BIN_EXE_kubectl-ambient_policy");
    if args.iter().any(|a| a == "--serve") {
        // For profiling by hand: keep serving until killed (`--paced`: as the server;
        // `--json-only`: as a server without protobuf; `--link`: over a 200 Mbit/s link).
        let given = |flag: &str| args.iter().any(|a| a == flag);
        server.set_faults(apiserver::Faults {
            per_item: if given("--paced") {
                REAL_SERVER_PER_OBJECT
            } else {
                Duration::ZERO
            },
            json_only: given("--json-only"),
            link_rate: if given("--link") { LINK_RATE } else { 0 },
            ..Default::default()
        });
        println!("{}", kubeconfig.display());
        std::thread::sleep(Duration::from_secs(600));
        return;
    }
    let kinds: Vec<String> = KINDS
        .iter()
        .map(|k| {
            if k.group.is_empty() {
                k.plural.to_string()
            } else {
                format!("{}.{}", k.plural, k.group)
            }
        })
        .collect();
    let kinds = kinds.join(",");
    let me = std::env::current_exe().unwrap();
    let (me, addr, ca, kc) = (
        me.to_str().unwrap(),
        server.addr.to_string(),
        ca.to_str().unwrap().to_string(),
        kubeconfig.to_str().unwrap().to_string(),
    );
    let floor_pb = || measure::child(&[me, "--floor", "protobuf", &addr, &ca]);
    let floor_json = || measure::child(&[me, "--floor", "json", &addr, &ca]);
    let plugin = || measure::child(&[exe, "explain", "-A", "-o", "json", "--kubeconfig", &kc]);
    // What a user reads: the table, at 100 columns (stdout is not a terminal).
    let table = || measure::child(&[exe, "explain", "-A", "--kubeconfig", &kc]);
    // A HOME of its own: kubectl's discovery cache is warm after the first run.
    std::env::set_var("HOME", &dir);
    let kubectl = || {
        measure::child(&[
            "kubectl",
            "get",
            &kinds,
            "-A",
            "-o",
            "json",
            "--kubeconfig",
            &kc,
        ])
    };
    // Warm-up: page cache, kubectl's discovery cache.
    floor_pb();
    plugin();
    let load_before = load_average();
    let (mut fp, mut fj, mut p, mut pt) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        fp.push(floor_pb());
        fj.push(floor_json());
        p.push(plugin());
        pt.push(table());
    }
    let k = kubectl();
    let (fp, fj, p, pt) = (median(fp), median(fj), median(p), median(pt));
    let read = read_phase(exe, &kc);
    // The same plugin against a server that answers JSON only: what protobuf saves.
    server.set_faults(apiserver::Faults {
        json_only: true,
        ..Default::default()
    });
    let pj = median((0..rounds).map(|_| plugin()).collect());
    let read_json = read_phase(exe, &kc);
    // The protobuf floor and the plugin in turn against the server with `faults`, medians.
    let side_by_side = |faults: apiserver::Faults| {
        server.set_faults(faults);
        let (mut f, mut p) = (vec![], vec![]);
        for _ in 0..rounds {
            f.push(floor_pb());
            p.push(plugin());
        }
        (median(f), median(p))
    };
    // The same lists from a server as slow as the real one (its pages cost in
    // proportion to their items): the plugin decodes each page while the next is in flight,
    // so what it adds to this floor is its work after the last page.
    let paced = apiserver::Faults {
        per_item: REAL_SERVER_PER_OBJECT,
        ..Default::default()
    };
    let (fpp, pp) = side_by_side(paced.clone());
    let read_paced = read_phase(exe, &kc);
    // The same, with every answer's body sharing one link to the client, as to a remote
    // server: the plugin asks for the next page once a page's head has come, where the
    // floor waits for its end.
    let (fpl, pl) = side_by_side(apiserver::Faults {
        link_rate: LINK_RATE,
        ..paced
    });
    server.set_faults(apiserver::Faults::default());
    let load_after = load_average();
    if !bench {
        println!("live benchmark smoke run ({} pods): plugin {:.0} ms (read phase {:.0} ms; the table {:.0} ms), protobuf floor {:.0} ms, JSON floor {:.0} ms, kubectl {:.0} ms (timings are meaningful only under `cargo bench`)",
            z.pods, p.0 * 1e3, read * 1e3, pt.0 * 1e3, fp.0 * 1e3, fj.0 * 1e3, k.0 * 1e3);
        println!("against a server paced as the issue's real one: plugin {:.0} ms, protobuf floor {:.0} ms; over a {} Mbit/s link: plugin {:.0} ms, protobuf floor {:.0} ms",
            pp.0 * 1e3, fpp.0 * 1e3, LINK_RATE * 8 / 1_000_000, pl.0 * 1e3, fpl.0 * 1e3);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    println!(
        "live explain benchmark: {} pods, {} Services, {} AuthorizationPolicies in {} namespaces; median of {rounds} (kubectl: 1 run); load average {load_before} before, {load_after} after",
        z.pods, z.services, z.policies, z.namespaces
    );
    println!("| reader | wall | CPU | peak RSS | wall / protobuf floor |");
    println!("|---|---|---|---|---|");
    for (name, m) in [
        (
            "protobuf floor (concurrent lists, protobuf where served, bodies discarded)",
            fp,
        ),
        ("JSON floor (the same lists as JSON)", fj),
        ("plugin (`explain -A -o json`, end to end)", p),
        ("plugin (`explain -A`, the table, end to end)", pt),
        ("`kubectl get <same kinds> -A -o json`", k),
    ] {
        println!(
            "| {name} | {:.2} s | {:.2} s | {:.0} MB | {:.2}x |",
            m.0,
            m.2,
            mb(&m),
            m.0 / fp.0
        );
    }
    println!(
        "| plugin's read phase (`-v`: discovery and every list decoded, before the analysis) | {read:.2} s | | | {:.2}x |",
        read / fp.0
    );
    println!(
        "| plugin, server answering JSON only (end to end) | {:.2} s | {:.2} s | {:.0} MB | {:.2}x |",
        pj.0,
        pj.2,
        mb(&pj),
        pj.0 / fp.0
    );
    println!(
        "| plugin's read phase, JSON only | {read_json:.2} s | | | {:.2}x |",
        read_json / fp.0
    );
    println!();
    println!(
        "The same, from a server paced as the issue's real one ({} µs per object, per page):",
        REAL_SERVER_PER_OBJECT.as_micros()
    );
    println!("| reader | wall | CPU | peak RSS | wall / paced protobuf floor |");
    println!("|---|---|---|---|---|");
    for (name, m) in [
        ("protobuf floor, paced", fpp),
        ("plugin (`explain -A -o json`, end to end), paced", pp),
    ] {
        println!(
            "| {name} | {:.2} s | {:.2} s | {:.0} MB | {:.2}x |",
            m.0,
            m.2,
            mb(&m),
            m.0 / fpp.0
        );
    }
    println!(
        "| plugin's read phase, paced | {read_paced:.2} s | | | {:.2}x |",
        read_paced / fpp.0
    );
    println!();
    println!(
        "The same paced server, every answer's body sharing one {} Mbit/s link:",
        LINK_RATE * 8 / 1_000_000
    );
    println!("| reader | wall | CPU | peak RSS | wall / this protobuf floor |");
    println!("|---|---|---|---|---|");
    for (name, m) in [
        ("protobuf floor, paced, one link", fpl),
        (
            "plugin (`explain -A -o json`, end to end), paced, one link",
            pl,
        ),
    ] {
        println!(
            "| {name} | {:.2} s | {:.2} s | {:.0} MB | {:.2}x |",
            m.0,
            m.2,
            mb(&m),
            m.0 / fpl.0
        );
    }
    println!();
    println!(
        "plugin: {:.2}x the protobuf floor end to end (target <= 1.2), its read phase {:.2}x; {:.0} MB peak RSS (target <= 150); {:.2}x the JSON floor, {:.3}x kubectl; {:.2}x the paced protobuf floor, {:.2}x it over one link",
        p.0 / fp.0,
        read / fp.0,
        mb(&p),
        p.0 / fj.0,
        p.0 / k.0,
        pp.0 / fpp.0,
        pl.0 / fpl.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
