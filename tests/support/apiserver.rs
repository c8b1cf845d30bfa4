//! A small Kubernetes API server for tests and benchmarks (DESIGN.md section 5): HTTPS on
//! 127.0.0.1 with a generated CA, bearer-token auth, list endpoints with `limit`/`continue`
//! pagination served from fixture objects, legacy discovery for kubectl, and fault switches.
//! HTTP/1.1 is written by hand so that faults (truncated bodies) are exact.
#![allow(dead_code)]

use ambient_policy::source::kinds::{KindSpec, CONFIGMAP, DEPLOYMENT, KINDS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

pub const TOKEN: &str = "test-token-1234";

/// Fault switches; change them at any time with `ApiServer::set_faults`.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every request gets 401.
    pub unauthorized: bool,
    /// Plurals (e.g. "pods") that get 403.
    pub forbidden: BTreeSet<String>,
    /// API groups whose CRDs are "not installed": 404.
    pub missing_groups: BTreeSet<String>,
    /// This many requests get 429 before the server answers again.
    pub throttle: u32,
    /// This many requests get 500 (u32::MAX: always).
    pub errors: u32,
    /// Each response waits this long.
    pub delay: Duration,
    /// List bodies are cut in half (with the full Content-Length announced).
    pub truncate: bool,
}

struct State {
    /// (group, plural) -> objects
    objects: BTreeMap<(String, String), Vec<Value>>,
    faults: Mutex<Faults>,
    log: Mutex<Vec<(String, String)>>,
}

pub struct ApiServer {
    pub addr: SocketAddr,
    pub ca_pem: String,
    state: Arc<State>,
    _runtime: tokio::runtime::Runtime,
}

fn specs() -> impl Iterator<Item = &'static KindSpec> {
    KINDS.iter().chain([&CONFIGMAP, &DEPLOYMENT])
}

fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SanType};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (Arc::new(config), ca.pem())
}

impl ApiServer {
    /// Serves `objects` (Kubernetes objects as JSON values).
    pub fn start(objects: Vec<Value>) -> ApiServer {
        let mut index: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
        for o in objects {
            let kind = o["kind"].as_str().unwrap_or_default();
            let group = o["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .rsplit_once('/')
                .map_or("", |(g, _)| g);
            if let Some(s) = specs().find(|s| s.kind == kind && s.group == group) {
                index
                    .entry((s.group.to_string(), s.plural.to_string()))
                    .or_default()
                    .push(o);
            }
        }
        let state = Arc::new(State {
            objects: index,
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(vec![]),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (config, ca_pem) = tls_config();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let st = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, st) = (acceptor.clone(), st.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        let _ = serve(tls, st).await;
                    }
                });
            }
        });
        ApiServer {
            addr,
            ca_pem,
            state,
            _runtime: runtime,
        }
    }

    pub fn set_faults(&self, f: Faults) {
        *self.state.faults.lock().unwrap() = f;
    }

    /// (method, path with query) of every request so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.state.log.lock().unwrap().clone()
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// A kubeconfig with one context per (name, namespace, token); the first is current.
    pub fn kubeconfig(&self, contexts: &[(&str, Option<&str>, &str)]) -> String {
        use base64::Engine;
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca_pem);
        let mut s = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {}\nclusters:\n- name: test\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\ncontexts:\n",
            contexts[0].0,
            self.url()
        );
        for (name, ns, _) in contexts {
            s.push_str(&format!(
                "- name: {name}\n  context:\n    cluster: test\n    user: {name}\n"
            ));
            if let Some(ns) = ns {
                s.push_str(&format!("    namespace: {ns}\n"));
            }
        }
        s.push_str("users:\n");
        for (name, _, token) in contexts {
            s.push_str(&format!("- name: {name}\n  user:\n    token: {token}\n"));
        }
        s
    }
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    let mut v = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    if code == 429 {
        v["details"] = json!({"retryAfterSeconds": 0});
    }
    (code, v)
}

async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut io: S,
    st: Arc<State>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        // Read one request head.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            let n = io.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        buf.drain(..head_end);
        let mut lines = head.lines();
        let mut first = lines.next().unwrap_or("").split_whitespace();
        let (method, target) = (
            first.next().unwrap_or("").to_string(),
            first.next().unwrap_or("").to_string(),
        );
        let mut auth = String::new();
        let mut body_len = 0usize;
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "authorization" => auth = v.trim().to_string(),
                    "content-length" => body_len = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        while buf.len() < body_len {
            let mut chunk = [0u8; 4096];
            let n = io.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..body_len);
        st.log
            .lock()
            .unwrap()
            .push((method.clone(), target.clone()));
        let faults = st.faults.lock().unwrap().clone();
        if !faults.delay.is_zero() {
            tokio::time::sleep(faults.delay).await;
        }
        let (code, body, is_list) = respond(&st, &method, &target, &auth);
        let mut text = serde_json::to_vec(&body).unwrap();
        let announced = text.len();
        let truncate = faults.truncate && is_list && code == 200;
        if truncate {
            text.truncate(announced / 2);
        }
        let reason = match code {
            200 => "OK",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            429 => "Too Many Requests",
            _ => "Internal Server Error",
        };
        let head = format!("HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {announced}\r\n\r\n");
        io.write_all(head.as_bytes()).await?;
        io.write_all(&text).await?;
        io.flush().await?;
        if truncate {
            return Ok(()); // drop the connection mid-body
        }
    }
}

/// (status code, body, whether it is a list)
fn respond(st: &State, method: &str, target: &str, auth: &str) -> (u16, Value, bool) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let q: BTreeMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    {
        let mut f = st.faults.lock().unwrap();
        if f.unauthorized || auth != format!("Bearer {TOKEN}") {
            let (c, b) = status(401, "Unauthorized", "Unauthorized");
            return (c, b, false);
        }
        if method != "GET" {
            let (c, b) = status(405, "MethodNotAllowed", "read-only test server");
            return (c, b, false);
        }
        if f.throttle > 0 {
            f.throttle -= 1;
            let (c, b) = status(429, "TooManyRequests", "slow down");
            return (c, b, false);
        }
        if f.errors > 0 {
            if f.errors != u32::MAX {
                f.errors -= 1;
            }
            let (c, b) = status(500, "InternalError", "etcd is unhappy");
            return (c, b, false);
        }
    }
    let faults = st.faults.lock().unwrap().clone();
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Discovery, for kubectl.
    match seg.as_slice() {
        ["api"] => {
            return (
                200,
                json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}),
                false,
            )
        }
        ["apis"] => return (200, discovery_groups(&faults), false),
        ["api", v] => return (200, resource_list("", v), false),
        ["apis", g, v] if !faults.missing_groups.contains(*g) => {
            return (200, resource_list(g, v), false)
        }
        _ => {}
    }
    let (group, version, rest) = match seg.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => {
            let (c, b) = status(404, "NotFound", "not found");
            return (c, b, false);
        }
    };
    let (ns, plural, name) = match rest {
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        ["namespaces", name] => (None, "namespaces", Some(*name)),
        [plural, name] => (None, *plural, Some(*name)),
        _ => {
            let (c, b) = status(404, "NotFound", "not found");
            return (c, b, false);
        }
    };
    let Some(spec) =
        specs().find(|s| s.group == group && s.plural == plural && s.versions.contains(&version))
    else {
        let (c, b) = status(
            404,
            "NotFound",
            &format!(
                "the server could not find the requested resource ({group}/{version} {plural})"
            ),
        );
        return (c, b, false);
    };
    if faults.missing_groups.contains(group) {
        let (c, b) = status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
        return (c, b, false);
    }
    if faults.forbidden.contains(plural) {
        let (c, b) = status(
            403,
            "Forbidden",
            &format!("{plural} is forbidden: User \"test\" cannot list resource \"{plural}\""),
        );
        return (c, b, false);
    }
    let empty = Vec::new();
    let all = st
        .objects
        .get(&(group.to_string(), plural.to_string()))
        .unwrap_or(&empty);
    let in_ns = |o: &&Value| ns.is_none_or(|n| o["metadata"]["namespace"] == n);
    if let Some(name) = name {
        return match all
            .iter()
            .filter(in_ns)
            .find(|o| o["metadata"]["name"] == name)
        {
            Some(o) => (200, o.clone(), false),
            None => {
                let (c, b) = status(404, "NotFound", &format!("{plural} \"{name}\" not found"));
                (c, b, false)
            }
        };
    }
    let items: Vec<&Value> = all.iter().filter(in_ns).collect();
    let start: usize = q
        .get("continue")
        .and_then(|c| c.trim_start_matches('o').parse().ok())
        .unwrap_or(0);
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(items.len());
    let page: Vec<Value> = items[start.min(end)..end]
        .iter()
        .map(|v| (*v).clone())
        .collect();
    let mut meta = json!({"resourceVersion": "1"});
    if end < items.len() {
        meta["continue"] = json!(format!("o{end}"));
    }
    let list_kind = format!("{}List", spec.kind);
    (
        200,
        json!({"apiVersion": if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }, "kind": list_kind, "metadata": meta, "items": page}),
        true,
    )
}

fn discovery_groups(faults: &Faults) -> Value {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in specs().filter(|s| !s.group.is_empty() && !faults.missing_groups.contains(s.group)) {
        let vs = groups.entry(s.group).or_default();
        for v in s.versions {
            if !vs.contains(v) {
                vs.push(v);
            }
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(g, vs)| {
            let versions: Vec<Value> = vs
                .iter()
                .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                .collect();
            json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn resource_list(group: &str, version: &str) -> Value {
    let resources: Vec<Value> = specs()
        .filter(|s| s.group == group && s.versions.contains(&version))
        .map(|s| json!({"name": s.plural, "singularName": s.kind.to_lowercase(), "namespaced": s.namespaced,
            "kind": s.kind, "verbs": ["get", "list"]}))
        .collect();
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}
