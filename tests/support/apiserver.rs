//! A small Kubernetes API server for tests and benchmarks (DESIGN.md section 5): HTTPS on
//! 127.0.0.1 with a generated CA, bearer-token auth, list endpoints with `limit`/`continue`
//! pagination served from fixture objects, legacy API discovery (`/api`, `/apis`,
//! `/apis/GROUP`, `/apis/GROUP/VERSION`), client-certificate auth, and fault switches.
//! HTTP/1.1 is written by hand so that faults (truncated bodies, slow bytes) are exact.
#![allow(dead_code)]

use ambient_policy::source::kinds::{KindSpec, CONFIGMAP, DAEMONSET, DEPLOYMENT, KINDS};
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
    /// Each list page waits this long per item it carries: a real server's answer costs in
    /// proportion to what it reads from etcd and encodes, where this one's objects are
    /// encoded once, at start.
    pub per_item: Duration,
    /// List bodies are cut in half (with the full Content-Length announced).
    pub truncate: bool,
    /// The certificate presented to new connections.
    pub tls: Tls,
    /// Seconds sent with each 429, as the `Retry-After` header and in the Status details.
    pub retry_after: u32,
    /// Plurals whose lists never end: every page carries a fresh continue token.
    pub endless: BTreeSet<String>,
    /// Plurals whose lists repeat the same continue token forever.
    pub repeat_continue: BTreeSet<String>,
    /// This many requests with a continue token get 410 Gone (expired token; u32::MAX: always).
    pub gone: u32,
    /// New connections are accepted and then left silent: no TLS handshake, no answer.
    pub silent: bool,
    /// Response bodies are sent one byte per this interval (the head at once).
    pub drip: Duration,
    /// Every request gets a plain-text `404 page not found`: a web server, not a Kubernetes API.
    pub not_found: bool,
    /// Discovery (`/api`, `/apis...`) answers 403, as behind a restrictive proxy.
    pub discovery_forbidden: bool,
    /// Discovery is answered only once the Pods of every namespace have been asked for
    /// (or after 30 s): whether a client lists them without waiting for discovery.
    pub discovery_after_pods: bool,
    /// Served versions per plural, overriding the kind table (e.g. tcproutes: ["v1"]).
    pub served: BTreeMap<String, Vec<String>>,
    /// Every request gets a 400 whose message quotes the bearer token it was sent, as a
    /// careless proxy might.
    pub echo_token: bool,
    /// No protobuf: every answer is JSON whatever the client accepts (an aggregated API, a
    /// proxy that rewrites answers, an old server).
    pub json_only: bool,
    /// JSON lists carry their `metadata` after their items, as a proxy that re-encodes them
    /// may write them: the continue token is then known only once the page is parsed.
    pub metadata_last: bool,
    /// Added to the `remainingItemCount` of every page that has one: a server whose count
    /// is off (it is an estimate under some storage backends).
    pub miscount: i64,
    /// A list page with a next page sends its first part (its head), then holds the rest
    /// until that next page is asked for (or 20 s pass), and logs `("EARLY", its target)`
    /// when it was: whether a client asks for the next page before this one has come whole.
    pub hold_until_next: bool,
    /// Bytes per second of one link that every answer's body shares (0: unlimited), as
    /// between a client and a remote API server: a page of 500 pods is half a megabyte.
    pub link_rate: u64,
}

/// Which certificate the server presents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tls {
    /// Signed by the kubeconfig's CA, for 127.0.0.1 and localhost.
    #[default]
    Valid,
    /// Signed by the kubeconfig's CA, but for another host name.
    WrongHost,
    /// For the right host, signed by a CA the kubeconfig does not know.
    UntrustedCa,
}

/// An object as the server sends it: JSON text, and protobuf for the built-in kinds.
/// Encoded once at start: the test server's own encoders (serde_json, k8s-pb from JSON
/// values) have other relative speeds than the real API server's, so answers cost it next
/// to nothing and the benchmark's floors measure the client's side (transfer and framing).
struct Encoded {
    json: Vec<u8>,
    protobuf: Option<Vec<u8>>,
}

/// A list answer: which objects, in which list, with which metadata.
struct Page {
    key: (String, String),
    items: Vec<usize>,
    api_version: String,
    kind: String,
    meta: Value,
}

struct State {
    /// (group, plural) -> objects
    objects: BTreeMap<(String, String), Vec<Value>>,
    /// The same objects, encoded.
    encoded: BTreeMap<(String, String), Vec<Encoded>>,
    /// The admin port behind each ztunnel pod, for port-forward.
    admins: Mutex<BTreeMap<String, super::portforward::Admin>>,
    faults: Mutex<Faults>,
    log: Mutex<Vec<(String, String)>>,
    /// When the shared link (`Faults::link_rate`) is free again.
    link_free: Mutex<tokio::time::Instant>,
}

pub struct ApiServer {
    pub addr: SocketAddr,
    pub ca_pem: String,
    /// A client certificate (CN test-user) signed by the CA, accepted instead of the token.
    pub client_cert_pem: String,
    pub client_key_pem: String,
    state: Arc<State>,
    _runtime: tokio::runtime::Runtime,
}

fn specs() -> impl Iterator<Item = &'static KindSpec> {
    KINDS.iter().chain([&CONFIGMAP, &DEPLOYMENT, &DAEMONSET])
}

/// Server configurations for each `Tls` fault, the CA's PEM, and a client certificate.
struct Pki {
    valid: Arc<rustls::ServerConfig>,
    wrong_host: Arc<rustls::ServerConfig>,
    untrusted: Arc<rustls::ServerConfig>,
    ca_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
}

fn pki() -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, SanType,
    };
    let new_ca = |name: &str| {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name.push(DnType::CommonName, name);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap()
    };
    let (ca, other_ca) = (new_ca("test-ca"), new_ca("untrusted-ca"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    // Client certificates are optional: token clients connect without one.
    let client_verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .unwrap();
    let server = |hosts: &[&str], issuer: &CertifiedIssuer<'static, KeyPair>| {
        let mut leaf =
            CertificateParams::new(hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
                .unwrap();
        if hosts.contains(&"localhost") {
            leaf.subject_alt_names
                .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        }
        let key = KeyPair::generate().unwrap();
        let cert = leaf.signed_by(&key, issuer).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(client_verifier.clone())
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        Arc::new(config)
    };
    let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
    client
        .distinguished_name
        .push(DnType::CommonName, "test-user");
    client.insert_extended_key_usage(ExtendedKeyUsagePurpose::ClientAuth);
    let client_key = KeyPair::generate().unwrap();
    let client_cert = client.signed_by(&client_key, &ca).unwrap();
    Pki {
        valid: server(&["localhost"], &ca),
        wrong_host: server(&["wrong.example.com"], &ca),
        untrusted: server(&["localhost"], &other_ca),
        ca_pem: ca.pem(),
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
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
        // In the real one's order: by etcd key, `/registry/<plural>/<namespace>/<name>`.
        for objects in index.values_mut() {
            objects.sort_by_cached_key(|o| {
                let m = &o["metadata"];
                let (ns, name) = (m["namespace"].as_str(), m["name"].as_str());
                format!("{}/{}", ns.unwrap_or_default(), name.unwrap_or_default())
            });
        }
        let encoded = index
            .iter()
            .map(|(k, objects)| {
                let e = objects
                    .iter()
                    .map(|o| Encoded {
                        json: serde_json::to_vec(o).unwrap(),
                        protobuf: super::protobuf::encode_object(o),
                    })
                    .collect();
                (k.clone(), e)
            })
            .collect();
        let state = Arc::new(State {
            objects: index,
            encoded,
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(vec![]),
            link_free: Mutex::new(tokio::time::Instant::now()),
            admins: Mutex::new(BTreeMap::new()),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let pki = pki();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let st = state.clone();
        let configs = [
            (Tls::Valid, pki.valid.clone()),
            (Tls::WrongHost, pki.wrong_host.clone()),
            (Tls::UntrustedCa, pki.untrusted.clone()),
        ];
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                // Head and body are separate writes: without this, Nagle's algorithm and
                // delayed ACKs add 40 ms to every answer.
                let _ = tcp.set_nodelay(true);
                let faults = st.faults.lock().unwrap().clone();
                if faults.silent {
                    // Hold the connection open and say nothing.
                    tokio::spawn(async move {
                        let _tcp = tcp;
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    });
                    continue;
                }
                let config = configs
                    .iter()
                    .find(|(t, _)| *t == faults.tls)
                    .unwrap()
                    .1
                    .clone();
                let acceptor = tokio_rustls::TlsAcceptor::from(config);
                let st = st.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        // A verified client certificate authenticates like the token.
                        let cert_auth = tls.get_ref().1.peer_certificates().is_some();
                        let _ = serve(tls, st, cert_auth).await;
                    }
                });
            }
        });
        ApiServer {
            addr,
            ca_pem: pki.ca_pem,
            client_cert_pem: pki.client_cert_pem,
            client_key_pem: pki.client_key_pem,
            state,
            _runtime: runtime,
        }
    }

    /// What pod `pod`'s admin port does when port-forwarded to.
    pub fn set_admin(&self, pod: &str, a: super::portforward::Admin) {
        self.state.admins.lock().unwrap().insert(pod.into(), a);
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

    /// A kubeconfig whose one context, `cert`, authenticates with the client certificate.
    pub fn kubeconfig_client_cert(&self) -> String {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: cert\nclusters:\n- name: test\n  cluster:\n    server: {}\n    certificate-authority-data: {}\ncontexts:\n- name: cert\n  context:\n    cluster: test\n    user: cert\n    namespace: default\nusers:\n- name: cert\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
            self.url(),
            b64(&self.ca_pem),
            b64(&self.client_cert_pem),
            b64(&self.client_key_pem)
        )
    }
}

/// The versions a kind is served at: the kind table's, unless a fault says otherwise.
fn served_versions(spec: &KindSpec, faults: &Faults) -> Vec<String> {
    match faults.served.get(spec.plural) {
        Some(vs) => vs.clone(),
        None => spec.versions.iter().map(|v| v.to_string()).collect(),
    }
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    let v = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    (code, v)
}

async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut io: S,
    st: Arc<State>,
    cert_auth: bool,
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
        let mut accept = String::new();
        let mut body_len = 0usize;
        let (mut ws_key, mut ws_protocols) = (String::new(), String::new());
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "authorization" => auth = v.trim().to_string(),
                    "accept" => accept = v.trim().to_string(),
                    "content-length" => body_len = v.trim().parse().unwrap_or(0),
                    "sec-websocket-key" => ws_key = v.trim().to_string(),
                    "sec-websocket-protocol" => ws_protocols = v.trim().to_string(),
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
        // Where this request is in the log: what comes after it was asked for after it.
        let logged = {
            let mut log = st.log.lock().unwrap();
            log.push((method.clone(), target.clone()));
            log.len()
        };
        let faults = st.faults.lock().unwrap().clone();
        if !faults.delay.is_zero() {
            tokio::time::sleep(faults.delay).await;
        }
        if faults.discovery_after_pods && is_discovery(target.split('?').next().unwrap_or("")) {
            asked_for(&st, 0, 3000, |t| t.starts_with("/api/v1/pods?")).await;
        }
        if faults.not_found {
            let text = "404 page not found\n";
            let head = format!("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{text}", text.len());
            io.write_all(head.as_bytes()).await?;
            io.flush().await?;
            continue;
        }
        if let Some((pod, port)) = portforward_target(&target) {
            let authorised = cert_auth || auth == format!("Bearer {TOKEN}");
            let forbidden = faults.forbidden.contains("pods/portforward");
            if authorised && !forbidden && !ws_key.is_empty() {
                let admins = st.admins.lock().unwrap().clone();
                let up = super::portforward::Upgrade {
                    key: ws_key,
                    protocols: ws_protocols,
                };
                super::portforward::serve(io, &pod, port, up, &admins).await;
                return Ok(());
            }
            let (code, reason, msg) = if !authorised {
                (401, "Unauthorized", "Unauthorized".to_string())
            } else {
                (403, "Forbidden", format!("pods \"{pod}\" is forbidden: User \"test\" cannot create resource \"pods/portforward\" in API group \"\" in the namespace \"istio-system\""))
            };
            let body = serde_json::to_vec(&status(code, reason, &msg).1).unwrap();
            let head = format!("HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
            io.write_all(head.as_bytes()).await?;
            io.write_all(&body).await?;
            io.flush().await?;
            continue;
        }
        let (code, mut body, page) = respond(&st, &method, &target, &auth, cert_auth);
        if let Some(p) = page.as_ref().filter(|_| !faults.per_item.is_zero()) {
            tokio::time::sleep(faults.per_item * p.items.len() as u32).await;
        }
        let mut extra = String::new();
        if code == 429 {
            body["details"] = json!({"retryAfterSeconds": faults.retry_after});
            if faults.retry_after > 0 {
                extra = format!("Retry-After: {}\r\n", faults.retry_after);
            }
        }
        // Protobuf when asked for, for the built-in groups' objects (errors included), as a
        // real server negotiates it; discovery and custom resources stay JSON.
        let group = resource_group(&target);
        let protobuf = !faults.json_only
            && accept.contains(super::protobuf::CONTENT_TYPE)
            && group.is_some_and(super::protobuf::served_for);
        let is_list = page.is_some() && code == 200;
        let (mut text, content_type) = match (&page, protobuf) {
            (Some(p), _) if code == 200 => list_body(&st, p, protobuf, faults.metadata_last),
            (_, true) if code == 200 => match super::protobuf::encode_object(&body) {
                Some(raw) => (
                    super::protobuf::envelope(
                        body["apiVersion"].as_str().unwrap_or("v1"),
                        body["kind"].as_str().unwrap_or(""),
                        raw,
                    ),
                    super::protobuf::CONTENT_TYPE,
                ),
                None => (serde_json::to_vec(&body).unwrap(), "application/json"),
            },
            (_, true) => (
                super::protobuf::encode_status(
                    code,
                    body["reason"].as_str().unwrap_or(""),
                    body["message"].as_str().unwrap_or(""),
                    body["details"]["retryAfterSeconds"]
                        .as_i64()
                        .map(|r| r as i32),
                ),
                super::protobuf::CONTENT_TYPE,
            ),
            _ => (serde_json::to_vec(&body).unwrap(), "application/json"),
        };
        let announced = text.len();
        let truncate = faults.truncate && is_list;
        if truncate {
            text.truncate(announced / 2);
        }
        let reason = match code {
            200 => "OK",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            400 => "Bad Request",
            405 => "Method Not Allowed",
            410 => "Gone",
            429 => "Too Many Requests",
            _ => "Internal Server Error",
        };
        let head = format!("HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {announced}\r\n{extra}\r\n");
        io.write_all(head.as_bytes()).await?;
        // The path and the query ending of the next page, when this page is held for it.
        let held = (page.as_ref())
            .filter(|_| faults.hold_until_next && is_list)
            .and_then(|p| p.meta["continue"].as_str())
            .map(|t| {
                let path = target.split('?').next().unwrap_or("");
                (format!("{path}?"), format!("&continue={t}"))
            });
        if let Some((path, cont)) = held {
            let cut = (text.len() / 2).min(4096);
            io.write_all(&text[..cut]).await?;
            io.flush().await?;
            let next = |t: &str| t.starts_with(&path) && t.ends_with(&cont);
            if asked_for(&st, logged, 2000, next).await {
                (st.log.lock().unwrap()).push(("EARLY".into(), target.clone()));
            }
            io.write_all(&text[cut..]).await?;
        } else if faults.link_rate > 0 {
            // In turns of 64 KiB with the other answers: each waits for the link to be free,
            // then holds it for as long as its bytes take at the rate. A link idle for less
            // than a turn is not idle: waking a timer is late by up to a millisecond, which
            // a link sending without pause does not lose.
            for part in text.chunks(64 << 10) {
                let took = Duration::from_secs_f64(part.len() as f64 / faults.link_rate as f64);
                let done = {
                    let now = tokio::time::Instant::now();
                    let mut free = st.link_free.lock().unwrap();
                    let idle_since = now.checked_sub(took).unwrap_or(now);
                    *free = (*free).max(idle_since) + took;
                    *free
                };
                tokio::time::sleep_until(done).await;
                io.write_all(part).await?;
            }
        } else if faults.drip.is_zero() {
            io.write_all(&text).await?;
        } else {
            io.flush().await?;
            for b in &text {
                io.write_all(std::slice::from_ref(b)).await?;
                io.flush().await?;
                tokio::time::sleep(faults.drip).await;
            }
        }
        io.flush().await?;
        if truncate {
            return Ok(()); // drop the connection mid-body
        }
    }
}

/// Whether a request whose target passes `is` is in the log from `from` on, looked for every
/// 10 ms, at most `tries` times.
async fn asked_for(st: &State, from: usize, tries: u32, is: impl Fn(&str) -> bool) -> bool {
    for _ in 0..tries {
        if (st.log.lock().unwrap()[from..].iter()).any(|(_, t)| is(t)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Discovery, for kubectl and the plugin: `/api`, `/apis` and what is under them down to a
/// group's version.
fn is_discovery(path: &str) -> bool {
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        seg.as_slice(),
        ["api"] | ["apis"] | ["api", _] | ["apis", _] | ["apis", _, _]
    )
}

/// The API group of a resource path (`""` for `/api/v1/...`); `None` for discovery.
fn resource_group(target: &str) -> Option<&str> {
    let path = target.split('?').next().unwrap_or("");
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    match seg.as_slice() {
        ["api", _, _, ..] => Some(""),
        ["apis", g, _, _, ..] => Some(g),
        _ => None,
    }
}

/// A list page's body from the encoded objects: JSON, or protobuf (`k8s\0` envelope).
fn list_body(st: &State, p: &Page, protobuf: bool, metadata_last: bool) -> (Vec<u8>, &'static str) {
    let none = Vec::new();
    let encoded = st.encoded.get(&p.key).unwrap_or(&none);
    if protobuf {
        let items: Vec<&[u8]> = p
            .items
            .iter()
            .filter_map(|&i| encoded[i].protobuf.as_deref())
            .collect();
        let cont = p.meta["continue"].as_str();
        let remaining = p.meta["remainingItemCount"].as_i64();
        let body = super::protobuf::encode_list(&p.api_version, &p.kind, cont, remaining, &items);
        return (body, super::protobuf::CONTENT_TYPE);
    }
    let head = format!(
        r#"{{"apiVersion":{},"kind":{},"#,
        json!(p.api_version),
        json!(p.kind)
    );
    let mut out = head.into_bytes();
    let meta = format!(r#""metadata":{}"#, p.meta);
    if !metadata_last {
        out.extend_from_slice(meta.as_bytes());
        out.push(b',');
    }
    out.extend_from_slice(b"\"items\":[");
    for (n, &i) in p.items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&encoded[i].json);
    }
    out.push(b']');
    if metadata_last {
        out.push(b',');
        out.extend_from_slice(meta.as_bytes());
    }
    out.push(b'}');
    (out, "application/json")
}

/// `(pod, port)` of `/api/v1/namespaces/NS/pods/NAME/portforward?ports=P`.
fn portforward_target(target: &str) -> Option<(String, u16)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    let ["api", "v1", "namespaces", _, "pods", pod, "portforward"] = seg.as_slice() else {
        return None;
    };
    let port = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("ports="))
        .and_then(|p| p.split("%2C").next())
        .and_then(|p| p.parse().ok())?;
    Some((pod.to_string(), port))
}

/// `k=v,k2=v2` of a list's `labelSelector` (equality only), percent-decoded.
fn label_selector(q: &BTreeMap<&str, &str>) -> Vec<(String, String)> {
    let Some(raw) = q.get("labelSelector") else {
        return Vec::new();
    };
    let decoded = raw
        .replace("%3D", "=")
        .replace("%2C", ",")
        .replace("%2F", "/");
    decoded
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// (status code, body, whether it is a list)
fn respond(
    st: &State,
    method: &str,
    target: &str,
    auth: &str,
    cert_auth: bool,
) -> (u16, Value, Option<Page>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let q: BTreeMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    {
        let mut f = st.faults.lock().unwrap();
        if f.unauthorized || !(cert_auth || auth == format!("Bearer {TOKEN}")) {
            let (c, b) = status(401, "Unauthorized", "Unauthorized");
            return (c, b, None);
        }
        if f.echo_token {
            let token = auth.trim_start_matches("Bearer ");
            let (c, b) = status(400, "BadRequest", &format!("cannot use token {token} here"));
            return (c, b, None);
        }
        if method != "GET" {
            let (c, b) = status(405, "MethodNotAllowed", "read-only test server");
            return (c, b, None);
        }
        if f.throttle > 0 {
            f.throttle -= 1;
            let (c, b) = status(429, "TooManyRequests", "slow down");
            return (c, b, None);
        }
        if f.errors > 0 {
            if f.errors != u32::MAX {
                f.errors -= 1;
            }
            let (c, b) = status(500, "InternalError", "etcd is unhappy");
            return (c, b, None);
        }
    }
    if q.contains_key("continue") {
        let mut f = st.faults.lock().unwrap();
        if f.gone > 0 {
            if f.gone != u32::MAX {
                f.gone -= 1;
            }
            let (c, b) = status(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            return (c, b, None);
        }
    }
    let faults = st.faults.lock().unwrap().clone();
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    if is_discovery(path) && faults.discovery_forbidden {
        let (c, b) = status(403, "Forbidden", "discovery is forbidden");
        return (c, b, None);
    }
    match seg.as_slice() {
        ["api"] => {
            return (
                200,
                json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}),
                None,
            )
        }
        ["apis"] => return (200, discovery_groups(&faults), None),
        ["api", v] => return (200, resource_list("", v, &faults), None),
        ["apis", g] => {
            if let Some(group) = discovery_groups(&faults)["groups"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["name"] == *g)
            {
                let mut group = group.clone();
                group["kind"] = json!("APIGroup");
                group["apiVersion"] = json!("v1");
                return (200, group, None);
            }
        }
        ["apis", g, v]
            if !faults.missing_groups.contains(*g)
                && specs().any(|s| {
                    s.group == *g && served_versions(s, &faults).iter().any(|x| x == v)
                }) =>
        {
            return (200, resource_list(g, v, &faults), None)
        }
        _ => {}
    }
    let (group, version, rest) = match seg.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => {
            let (c, b) = status(404, "NotFound", "not found");
            return (c, b, None);
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
            return (c, b, None);
        }
    };
    let Some(spec) = specs().find(|s| {
        s.group == group
            && s.plural == plural
            && served_versions(s, &faults).iter().any(|v| v == version)
    }) else {
        let (c, b) = status(
            404,
            "NotFound",
            &format!(
                "the server could not find the requested resource ({group}/{version} {plural})"
            ),
        );
        return (c, b, None);
    };
    if faults.missing_groups.contains(group) {
        let (c, b) = status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
        return (c, b, None);
    }
    if faults.forbidden.contains(plural) {
        let (c, b) = status(
            403,
            "Forbidden",
            &format!("{plural} is forbidden: User \"test\" cannot list resource \"{plural}\""),
        );
        return (c, b, None);
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
            Some(o) => (200, o.clone(), None),
            None => {
                let (c, b) = status(404, "NotFound", &format!("{plural} \"{name}\" not found"));
                (c, b, None)
            }
        };
    }
    let wanted = label_selector(&q);
    let items: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, o)| in_ns(o))
        .filter(|(_, o)| {
            wanted
                .iter()
                .all(|(k, v)| o["metadata"]["labels"][k] == v.as_str())
        })
        .map(|(i, _)| i)
        .collect();
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
    let mut page: Vec<usize> = items[start.min(end)..end].to_vec();
    let mut meta = json!({"resourceVersion": "1"});
    if end < items.len() {
        // As the real one, which counts the items of a paginated list it has not sent.
        meta["continue"] = json!(format!("o{end}"));
        meta["remainingItemCount"] = json!((items.len() - end) as i64 + faults.miscount);
    }
    let token = q.get("continue").copied().unwrap_or("");
    if faults.endless.contains(plural) {
        // A fresh token each time, after the real items: the list never ends.
        let n: u64 = token.trim_start_matches('e').parse().unwrap_or(0);
        if token.starts_with('e') {
            page.clear();
        }
        meta["continue"] = json!(format!("e{}", n + 1));
    } else if faults.repeat_continue.contains(plural) {
        if token == "again" {
            page.clear();
        }
        meta["continue"] = json!("again");
    }
    let page = Page {
        key: (group.to_string(), plural.to_string()),
        items: page,
        api_version: if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        },
        kind: format!("{}List", spec.kind),
        meta,
    };
    (200, Value::Null, Some(page))
}

fn discovery_groups(faults: &Faults) -> Value {
    let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for s in specs().filter(|s| !s.group.is_empty() && !faults.missing_groups.contains(s.group)) {
        let vs = groups.entry(s.group).or_default();
        for v in served_versions(s, faults) {
            if !vs.contains(&v) {
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

fn resource_list(group: &str, version: &str, faults: &Faults) -> Value {
    let resources: Vec<Value> = specs()
        .filter(|s| s.group == group && served_versions(s, faults).iter().any(|v| v == version))
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
