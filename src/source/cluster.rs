//! The live cluster through the kubeconfig context: every kind listed concurrently with
//! pagination, decoded straight into the slim model types. Only GET requests; never Secrets.
//! What cannot be read (403, CRD not installed) is recorded and the analysis goes on.

use super::kinds::{KindSpec, CONFIGMAP, DEPLOYMENT, KINDS, SECURITY};
use crate::error::{Error, Result};
use crate::model::*;
use crate::snapshot::{Incomplete, Snapshot};
use futures::future::join_all;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// Items per page: large enough to keep round trips few, small enough to bound memory.
const PAGE: usize = 500;
const RETRIES: u32 = 3;

#[derive(Debug, Clone)]
pub struct Options {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    /// Bounds connecting and each read; the whole fetch is bounded by a multiple of it.
    pub request_timeout: Duration,
    /// Where istiod runs: its `istio` ConfigMap and Deployment are read there.
    pub istio_namespace: String,
}

pub struct Connection {
    client: kube::Client,
    pub context: String,
    pub server: String,
    /// The context's namespace, else `default`.
    pub default_namespace: String,
}

impl Connection {
    /// The client, for small reads outside the Snapshot (shell completion).
    pub fn client(&self) -> &kube::Client {
        &self.client
    }
}

/// Builds a client from `--kubeconfig`, else `KUBECONFIG` (several paths merged), else
/// `~/.kube/config`, else the in-cluster service account.
pub async fn connect(o: &Options) -> Result<Connection> {
    let opts = KubeConfigOptions {
        context: o.context.clone(),
        cluster: o.cluster.clone(),
        user: o.user.clone(),
    };
    let kubeconfig = match &o.kubeconfig {
        Some(p) => Some(
            Kubeconfig::read_from(p)
                .map_err(|e| Error::Cluster(kubeconfig_error("kubeconfig", Some(p), &e)))?,
        ),
        None => match Kubeconfig::read() {
            Ok(k) => Some(k),
            Err(kube::config::KubeconfigError::FindPath) => None,
            Err(e) if std::env::var_os("KUBECONFIG").is_some() => {
                return Err(Error::Cluster(kubeconfig_error("KUBECONFIG", None, &e)))
            }
            Err(_) => None,
        },
    };
    let (mut config, context) = match kubeconfig {
        Some(kc) => {
            let context = o
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .unwrap_or_default();
            let config = kube::Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| {
                    Error::Cluster(format!(
                        "kubeconfig context {context:?}: {}",
                        one_line(&e.to_string())
                    ))
                })?;
            (config, context)
        }
        None => {
            let config = kube::Config::incluster().map_err(|_| {
                Error::Cluster(
                    "no kubeconfig found (set KUBECONFIG or --kubeconfig) and not running in a pod; use -f FILE to explain manifests".into(),
                )
            })?;
            (config, "in-cluster".to_string())
        }
    };
    config.connect_timeout = Some(o.request_timeout);
    config.read_timeout = Some(o.request_timeout);
    config.write_timeout = Some(o.request_timeout);
    let server = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| {
        Error::Cluster(format!("context {context:?}: {}", one_line(&e.to_string())))
    })?;
    Ok(Connection {
        client,
        context,
        server,
        default_namespace,
    })
}

/// `cannot read WHAT PATH: reason`, the path shown once (kube's own message debug-prints it
/// inside quotes: `'"/tmp/x"'`).
fn kubeconfig_error(
    what: &str,
    given: Option<&std::path::Path>,
    e: &kube::config::KubeconfigError,
) -> String {
    match (e, given) {
        (kube::config::KubeconfigError::ReadConfig(io, path), _) => {
            let s = io.to_string();
            let reason = s.split(" (os error").next().unwrap_or(&s).to_lowercase();
            format!("cannot read {what} {}: {reason}", path.display())
        }
        (other, Some(p)) => format!(
            "cannot read {what} {}: {}",
            p.display(),
            one_line(&other.to_string())
        ),
        (other, None) => format!("cannot read {what}: {}", one_line(&other.to_string())),
    }
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    cont: Option<String>,
}

/// Why a list failed.
#[derive(Debug)]
enum Fail {
    Unauthorized,
    Forbidden,
    NotInstalled,
    /// The server could not be reached or did not answer in time.
    Unreachable(String),
    Other(String),
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Percent-encodes a continue token for a query string.
fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One GET with retries on 429 and 5xx (bounded, with backoff).
async fn get_text(client: &kube::Client, url: &str) -> std::result::Result<String, Fail> {
    let mut attempt = 0;
    loop {
        let req = http::Request::get(url)
            .body(Vec::new())
            .map_err(|e| Fail::Other(e.to_string()))?;
        match client.request_text(req).await {
            Ok(t) => return Ok(t),
            Err(kube::Error::Api(s)) => match s.code {
                401 => return Err(Fail::Unauthorized),
                403 => return Err(Fail::Forbidden),
                404 => return Err(Fail::NotInstalled),
                429 | 500..=504 if attempt < RETRIES => {
                    let hint = s
                        .details
                        .as_ref()
                        .map(|d| d.retry_after_seconds)
                        .unwrap_or(0);
                    let wait = Duration::from_millis(
                        (200u64 << attempt).max(u64::from(hint.min(2)) * 1000),
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                code => return Err(Fail::Other(format!("{code} {}", one_line(&s.message)))),
            },
            Err(e @ (kube::Error::HyperError(_) | kube::Error::Service(_))) => {
                return Err(Fail::Unreachable(describe(&e)))
            }
            Err(e) => return Err(Fail::Other(describe(&e))),
        }
    }
}

/// A transport error in the user's terms.
fn describe(e: &kube::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    let lower = msg.to_lowercase();
    if lower.contains("timed out") || lower.contains("elapsed") || lower.contains("timeout") {
        "timed out".into()
    } else {
        one_line(&msg)
    }
}

/// The continue token of a list body, read without parsing it: API servers write
/// `metadata` before `items`, so only the part before `"items"` is searched. `None` when it
/// cannot be found there (the full parse then decides).
fn early_continue(body: &str) -> Option<String> {
    let head = &body[..body.find("\"items\"")?];
    let start = head.find("\"continue\":\"")? + "\"continue\":\"".len();
    let len = head[start..].find('"')?;
    let token = &head[start..start + len];
    (!token.is_empty() && !token.contains('\\')).then(|| token.to_string())
}

fn page_url(path: &str, cont: Option<&str>) -> String {
    match cont {
        Some(c) => format!("{path}?limit={PAGE}&continue={}", query_escape(c)),
        None => format!("{path}?limit={PAGE}"),
    }
}

/// Lists one kind in one namespace (or all), page by page, trying its versions in order.
/// The next page is requested while the current one is decoded.
async fn list_all<T: DeserializeOwned>(
    client: &kube::Client,
    spec: &KindSpec,
    ns: Option<&str>,
) -> std::result::Result<Vec<T>, Fail> {
    let mut last = Fail::NotInstalled;
    for version in spec.versions {
        let path = spec.list_path(version, ns);
        let mut items = Vec::new();
        let mut pending: Option<tokio::task::JoinHandle<std::result::Result<String, Fail>>> = None;
        let mut text = get_text(client, &page_url(&path, None)).await;
        let result = loop {
            let body = match text {
                Ok(t) => t,
                Err(f) => break Err(f),
            };
            let prefetched = early_continue(&body);
            if let Some(c) = &prefetched {
                let (client, url) = (client.clone(), page_url(&path, Some(c)));
                pending = Some(tokio::spawn(async move { get_text(&client, &url).await }));
            }
            let page: Page<T> = match serde_json::from_str(&body) {
                Ok(p) => p,
                Err(e) => break Err(Fail::Other(format!("invalid response ({e})"))),
            };
            items.extend(page.items);
            let cont = page.metadata.cont.filter(|c| !c.is_empty());
            text = match (cont, pending.take()) {
                (None, _) => break Ok(std::mem::take(&mut items)),
                (Some(c), Some(next)) if prefetched.as_deref() == Some(c.as_str()) => next
                    .await
                    .unwrap_or_else(|e| Err(Fail::Other(e.to_string()))),
                (Some(c), other) => {
                    if let Some(h) = other {
                        h.abort();
                    }
                    get_text(client, &page_url(&path, Some(&c))).await
                }
            };
        };
        if let Some(h) = pending {
            h.abort();
        }
        match result {
            Ok(items) => return Ok(items),
            Err(Fail::NotInstalled) => last = Fail::NotInstalled,
            Err(f) => return Err(f),
        }
    }
    Err(last)
}

type Apply = Box<dyn FnOnce(&mut Snapshot) + Send>;

/// Lists one kind and returns how to add it to the Snapshot.
async fn fetch(
    client: &kube::Client,
    spec: &'static KindSpec,
    ns: Option<&str>,
) -> std::result::Result<Apply, Fail> {
    macro_rules! get {
        ($ty:ty, $field:ident) => {{
            let v: Vec<$ty> = list_all(client, spec, ns).await?;
            Box::new(move |s: &mut Snapshot| s.$field.extend(v)) as Apply
        }};
        ($ty:ty, $field:ident, kind) => {{
            let mut v: Vec<$ty> = list_all(client, spec, ns).await?;
            v.iter_mut().for_each(|o| o.kind = spec.kind.to_string());
            Box::new(move |s: &mut Snapshot| s.$field.extend(v)) as Apply
        }};
    }
    Ok(match spec.kind {
        "Namespace" => get!(Namespace, namespaces),
        "Pod" => get!(Pod, pods),
        "Service" => get!(Service, services),
        "ServiceEntry" => get!(ServiceEntry, service_entries),
        "Gateway" => get!(Gateway, gateways),
        "GatewayClass" => get!(GatewayClass, gateway_classes),
        "AuthorizationPolicy" => get!(AuthorizationPolicy, authorization_policies),
        "PeerAuthentication" => get!(PeerAuthentication, peer_authentications),
        "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute" => get!(Route, routes, kind),
        _ => get!(ExtensionPolicy, extensions, kind),
    })
}

/// What a missing kind means for the analysis.
fn consequence(kind: &str) -> &'static str {
    match kind {
        "Namespace" => "namespace labels (enrollment, waypoint bindings) are unknown",
        "Pod" => "workloads, enrollment and paths are missing",
        "Service" | "ServiceEntry" => "service bindings and Service targetRefs cannot be resolved",
        "Gateway" | "GatewayClass" => "waypoints are unknown: every binding looks broken",
        "AuthorizationPolicy" | "PeerAuthentication" => "those policies are not explained",
        _ => "those objects are not explained",
    }
}

struct Fetcher<'a> {
    conn: &'a Connection,
    snap: Snapshot,
    unauthorized: bool,
    unreachable: Option<String>,
    fetched: usize,
    not_installed: BTreeSet<&'static str>,
    errors: Vec<String>,
}

impl Fetcher<'_> {
    /// Lists `specs` in each of `namespaces` (`None` = cluster-wide), all concurrently.
    async fn round(&mut self, specs: &[&'static KindSpec], namespaces: &[Option<String>]) {
        let client = &self.conn.client;
        let jobs: Vec<(&'static KindSpec, Option<String>)> = specs
            .iter()
            .flat_map(|s| {
                let nss: Vec<Option<String>> = if s.namespaced {
                    namespaces.to_vec()
                } else {
                    vec![None]
                };
                nss.into_iter().map(move |n| (*s, n))
            })
            .collect();
        let results = join_all(jobs.iter().map(|(s, n)| fetch(client, s, n.as_deref()))).await;
        for ((spec, ns), r) in jobs.into_iter().zip(results) {
            match r {
                Ok(apply) => {
                    apply(&mut self.snap);
                    self.fetched += 1;
                }
                Err(Fail::Unauthorized) => self.unauthorized = true,
                Err(Fail::Forbidden) => {
                    self.snap.incomplete.push(Incomplete {
                        kind: spec.kind.into(),
                        namespace: ns,
                        reason: format!("forbidden (403): {}", consequence(spec.kind)),
                    });
                }
                Err(Fail::NotInstalled) => {
                    if self.not_installed.insert(spec.kind) {
                        self.snap.incomplete.push(Incomplete {
                            kind: spec.kind.into(),
                            namespace: None,
                            reason: format!("not installed (404): {}", consequence(spec.kind)),
                        });
                    }
                }
                Err(Fail::Unreachable(m)) => self.unreachable = Some(m),
                Err(Fail::Other(m)) => self
                    .errors
                    .push(format!("listing {} failed: {m}", spec.plural)),
            }
        }
    }

    /// `GET` of one object for the mesh settings; `None` when it cannot be read.
    async fn get_one<T: DeserializeOwned>(
        &mut self,
        spec: &KindSpec,
        ns: &str,
        name: &str,
    ) -> Option<T> {
        let url = format!("{}/{name}", spec.list_path(spec.versions[0], Some(ns)));
        match get_text(&self.conn.client, &url).await {
            Ok(t) => serde_json::from_str(&t).ok(),
            Err(Fail::Unauthorized) => {
                self.unauthorized = true;
                None
            }
            Err(Fail::Unreachable(m)) => {
                self.unreachable = Some(m);
                None
            }
            Err(Fail::Other(m)) => {
                self.errors
                    .push(format!("reading {} {ns}/{name} failed: {m}", spec.kind));
                None
            }
            Err(_) => None,
        }
    }
}

/// Labels naming a waypoint in another namespace.
fn waypoint_namespaces(snap: &Snapshot) -> BTreeSet<String> {
    let metas = snap
        .namespaces
        .iter()
        .map(|n| &n.metadata)
        .chain(snap.services.iter().map(|s| &s.metadata))
        .chain(snap.service_entries.iter().map(|s| &s.metadata))
        .chain(snap.pods.iter().map(|p| &p.metadata));
    metas
        .filter_map(|m| {
            m.label(crate::mesh::waypoint::USE_WAYPOINT_NS)
                .map(str::to_string)
        })
        .collect()
}

/// Reads what one analysis needs. `namespace: None` reads every namespace.
/// `root_override`: an explicit `--root-namespace`, which beats the mesh config.
pub async fn load(
    conn: &Connection,
    namespace: Option<&str>,
    root_override: Option<&str>,
    istio_ns: &str,
) -> Result<Snapshot> {
    let mut f = Fetcher {
        conn,
        snap: Snapshot::default(),
        unauthorized: false,
        unreachable: None,
        fetched: 0,
        not_installed: BTreeSet::new(),
        errors: vec![],
    };
    // Mesh settings first: the root namespace decides what else to read. An unreachable
    // server shows here already: stop before issuing every list.
    let unreachable = |f: &Fetcher, m: &str| {
        Error::Cluster(format!(
            "cannot reach the API server of context {:?} at {}: {m}",
            f.conn.context, f.conn.server
        ))
    };
    if let Some(cm) = f.get_one::<ConfigMap>(&CONFIGMAP, istio_ns, "istio").await {
        if let Some(mesh) = cm.data.get("mesh") {
            if let Ok(mc) = serde_saphyr::from_str::<MeshConfig>(mesh) {
                f.snap
                    .mesh
                    .apply_mesh_config(&mc, &format!("ConfigMap {istio_ns}/istio"));
            }
        }
    }
    if let Some(mut d) = f
        .get_one::<Deployment>(&DEPLOYMENT, istio_ns, "istiod")
        .await
    {
        if d.metadata.namespace.is_empty() {
            d.metadata.namespace = istio_ns.to_string();
        }
        f.snap.mesh.apply_istiod(&d);
    }
    if let Some(m) = f.unreachable.clone() {
        return Err(unreachable(&f, &m));
    }
    let root_ns = root_override.unwrap_or(f.snap.mesh.root()).to_string();
    let root_ns = root_ns.as_str();
    let all: Vec<&'static KindSpec> = KINDS.iter().collect();
    let mut read: BTreeSet<String> = BTreeSet::new();
    match namespace {
        None => f.round(&all, &[None]).await,
        Some(ns) => {
            read.insert(ns.to_string());
            read.insert(root_ns.to_string());
            let first: Vec<Option<String>> = read.iter().cloned().map(Some).collect();
            f.round(&all, &first).await;
            // Second round: namespaces of waypoints the first round's bindings refer to.
            let extra: Vec<Option<String>> = waypoint_namespaces(&f.snap)
                .into_iter()
                .filter(|n| read.insert(n.clone()))
                .map(Some)
                .collect();
            if !extra.is_empty() {
                let namespaced: Vec<&'static KindSpec> =
                    KINDS.iter().filter(|k| k.namespaced).collect();
                f.round(&namespaced, &extra).await;
            }
        }
    }
    let ctx = &conn.context;
    if f.unauthorized {
        return Err(Error::Cluster(format!(
            "the API server rejected the credentials of context {ctx:?} (401 Unauthorized); log in again or refresh the token"
        )));
    }
    if let Some(m) = f.unreachable.clone() {
        return Err(unreachable(&f, &m));
    }
    if let Some(e) = f.errors.first() {
        return Err(Error::Cluster(format!(
            "context {ctx:?} ({}): {e}",
            conn.server
        )));
    }
    if f.fetched == 0 {
        return Err(Error::Cluster(format!(
            "context {ctx:?} may not list anything this plugin reads (403 on every kind); see examples/clusterrole.yaml for the permissions it needs"
        )));
    }
    let istio_kinds = [
        "AuthorizationPolicy",
        "PeerAuthentication",
        "RequestAuthentication",
    ];
    if istio_kinds.iter().all(|k| f.not_installed.contains(k)) {
        return Err(Error::Cluster(format!(
            "Istio is not installed in the cluster of context {ctx:?}: the {SECURITY} API is not served"
        )));
    }
    let mut snap = f.snap;
    snap.incomplete
        .sort_by(|a, b| (&a.kind, &a.namespace).cmp(&(&b.kind, &b.namespace)));
    snap.normalise();
    Ok(snap)
}

#[cfg(test)]
mod tests {
    use super::early_continue;

    #[test]
    fn continue_token_before_items() {
        let body =
            r#"{"kind":"PodList","metadata":{"continue":"abc=","resourceVersion":"1"},"items":[]}"#;
        assert_eq!(early_continue(body).as_deref(), Some("abc="));
        // Only metadata counts: a "continue" inside an item is ignored.
        let body = r#"{"kind":"PodList","metadata":{},"items":[{"metadata":{"labels":{"continue":"x"}}}]}"#;
        assert_eq!(early_continue(body), None);
        assert_eq!(
            early_continue(r#"{"metadata":{"continue":""},"items":[]}"#),
            None
        );
        assert_eq!(early_continue("{}"), None);
    }
}
