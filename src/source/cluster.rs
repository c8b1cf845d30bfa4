//! The live cluster through the kubeconfig context: every kind listed concurrently with
//! pagination, decoded straight into the slim model types. Only GET requests; never Secrets.
//! What cannot be read (403, CRD not installed) is recorded and the analysis goes on; any
//! other failure ends the read with one error, so no partial verdict looks complete.
//! Versions come from API discovery (`discovery`), requests are bounded (`request`), and
//! credentials never appear in a message (`secrets`).

use super::discovery::{self, NoApi, Served};
use super::kinds::{KindSpec, CONFIGMAP, DEPLOYMENT, KINDS, SECURITY};
use super::request::{one_line, Fail, Requester};
use super::secrets;
use crate::error::{Error, Result};
use crate::model::*;
use crate::snapshot::{Incomplete, Snapshot};
use futures::future::join_all;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::time::Duration;

/// Items per page: large enough to keep round trips few, small enough to bound memory.
const PAGE: usize = 500;

#[derive(Debug, Clone)]
pub struct Options {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    /// Bounds connecting and each request; the whole fetch is bounded by a multiple of it.
    pub request_timeout: Duration,
    /// Where istiod runs: its `istio` ConfigMap and Deployment are read there.
    pub istio_namespace: String,
    /// Log each request on stderr (never a credential).
    pub verbose: bool,
}

pub struct Connection {
    requester: Requester,
    pub context: String,
    pub server: String,
    /// The context's namespace, else `default`.
    pub default_namespace: String,
}

impl Connection {
    /// A bounded GET of one API path (shell completion's small reads outside the Snapshot).
    pub async fn get_text(&self, path: &str) -> Option<String> {
        let body = self.requester.get(path).await.ok()?;
        String::from_utf8(body).ok()
    }
}

/// A kubeconfig parse error without the text it quotes: the parser shows the lines around
/// the error (removed by `scrub`) and quotes values, and a misplaced token or key would be
/// among them. The position and the reason remain.
fn kubeconfig_error(e: &kube::config::KubeconfigError) -> String {
    without_quotes(&one_line(&e.to_string()))
}

/// `expected a map, found "s3cret"` -> `expected a map, found "..."`.
fn without_quotes(msg: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in msg.chars() {
        if c == '"' {
            if quoted {
                out.push_str("...\"");
            } else {
                out.push('"');
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

/// How the user authenticates, for `-v`: the method, never the value.
fn auth_method(c: &kube::Config) -> &'static str {
    let a = &c.auth_info;
    if a.exec.is_some() {
        "exec plugin"
    } else if a.auth_provider.is_some() {
        "auth provider"
    } else if a.token.is_some() || a.token_file.is_some() {
        "bearer token"
    } else if a.client_key_data.is_some() || a.client_key.is_some() {
        "client certificate"
    } else if a.username.is_some() {
        "basic auth"
    } else {
        "none"
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
                .map_err(|e| Error::Cluster(kubeconfig_read_error("kubeconfig", Some(p), &e)))?,
        ),
        None => match Kubeconfig::read() {
            Ok(k) => Some(k),
            Err(kube::config::KubeconfigError::FindPath) => None,
            Err(e) if std::env::var_os("KUBECONFIG").is_some() => {
                return Err(Error::Cluster(kubeconfig_read_error(
                    "KUBECONFIG",
                    None,
                    &e,
                )))
            }
            Err(_) => None,
        },
    };
    let (mut config, context) = match kubeconfig {
        Some(kc) => {
            secrets::remember_kubeconfig(&kc);
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
            if let Ok(token) =
                std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/token")
            {
                secrets::remember(&token);
            }
            (config, "in-cluster".to_string())
        }
    };
    // Every request is bounded as a whole by `Requester`; kube's per-read timeouts would
    // not catch a server that trickles bytes, and its retry layer would honour any
    // Retry-After (up to 1000 s).
    config.connect_timeout = Some(o.request_timeout);
    config.read_timeout = None;
    config.write_timeout = None;
    config.default_retry = false;
    let server = secrets::scrub(config.cluster_url.to_string().as_str());
    let default_namespace = config.default_namespace.clone();
    if o.verbose {
        eprintln!(
            "debug: context {context:?}, server {server}, namespace {default_namespace:?}, authentication: {}",
            auth_method(&config)
        );
    }
    // Credentials are obtained here (exec plugins run): their errors quote the plugin's
    // command line and output, which may hold credentials.
    let client = kube::Client::try_from(config).map_err(|e| {
        let msg = one_line(&e.to_string());
        let msg = match msg.find("' failed with status ") {
            Some(i) if msg.contains("auth exec command '") => {
                let status = &msg[i + "' failed with status ".len()..];
                let status = status.split(": <exec plugin output").next().unwrap_or_default();
                format!("the exec credential plugin of the kubeconfig failed ({status}); its output is not shown as it may hold credentials")
            }
            _ => without_quotes(&msg),
        };
        Error::Cluster(format!("context {context:?}: {msg}"))
    })?;
    Ok(Connection {
        requester: Requester {
            client,
            timeout: o.request_timeout,
            verbose: o.verbose,
        },
        context,
        server,
        default_namespace,
    })
}

/// `cannot read WHAT PATH: reason`, the path shown once (kube's own message debug-prints it
/// inside quotes: `'"/tmp/x"'`).
/// One line for a kubeconfig that cannot be read: the path once, and a parse error
/// without the values it quotes (`kubeconfig_error`).
fn kubeconfig_read_error(
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
            kubeconfig_error(other)
        ),
        (other, None) => format!("cannot read {what}: {}", kubeconfig_error(other)),
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

/// Lists end within this many pages per kind and namespace (500,000 objects, beyond
/// Kubernetes' tested limit of 150,000 pods per cluster): a server whose continue tokens
/// never end cannot keep the plugin reading.
pub const MAX_PAGES: usize = 1000;

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

/// The continue token of a list body, read without parsing it: API servers write
/// `metadata` before `items`, so only the part before `"items"` is searched. `None` when it
/// cannot be found there (the full parse then decides).
fn early_continue(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(64 << 10)];
    // The cut may split a character: keep the valid prefix.
    let body = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
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

/// "pods in default" or "pods" (cluster-wide).
fn what(spec: &KindSpec, ns: Option<&str>) -> String {
    match ns {
        Some(ns) if spec.namespaced => format!("{} in {ns}", spec.plural),
        _ => spec.plural.to_string(),
    }
}

/// Lists one kind in one namespace (or all), trying the served versions in order.
async fn list_all<T: DeserializeOwned>(
    r: &Requester,
    spec: &KindSpec,
    versions: &[String],
    ns: Option<&str>,
) -> std::result::Result<Vec<T>, Fail> {
    let mut last = Fail::NotFound;
    for version in versions {
        let path = spec.list_path(version, ns);
        // An expired continue token (410 Gone) restarts the list once.
        let mut result = list_pages(r, &path).await;
        if matches!(result, Err(Fail::Gone)) {
            result = list_pages(r, &path).await;
        }
        match result {
            Ok(items) => return Ok(items),
            Err(Fail::NotFound) => last = Fail::NotFound,
            Err(Fail::Gone) => {
                return Err(Fail::Other(format!(
                    "listing {} failed: its continue token expired twice (410 Gone); the objects change faster than they can be read, try again",
                    what(spec, ns)
                )))
            }
            Err(Fail::Other(m)) => {
                return Err(Fail::Other(format!("listing {} failed: {m}", what(spec, ns))))
            }
            Err(f) => return Err(f),
        }
    }
    Err(last)
}

/// One list, page by page, the next page requested while the current one is decoded.
/// Bounded: at most `MAX_PAGES` pages, and a continue token seen before ends it at once.
async fn list_pages<T: DeserializeOwned>(
    r: &Requester,
    path: &str,
) -> std::result::Result<Vec<T>, Fail> {
    let mut items = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut pending: Option<tokio::task::JoinHandle<std::result::Result<Vec<u8>, Fail>>> = None;
    let mut text = r.get(&page_url(path, None)).await;
    let result = loop {
        let body = match text {
            Ok(t) => t,
            Err(f) => break Err(f),
        };
        let prefetched = early_continue(&body).filter(|c| !seen.contains(c));
        if let Some(c) = &prefetched {
            if seen.len() + 1 < MAX_PAGES {
                let (r, url) = (r.clone(), page_url(path, Some(c)));
                pending = Some(tokio::spawn(async move { r.get(&url).await }));
            }
        }
        let page: Page<T> = match serde_json::from_slice(&body) {
            Ok(p) => p,
            Err(e) => break Err(Fail::Other(format!("invalid response ({e})"))),
        };
        drop(body);
        items.extend(page.items);
        let Some(c) = page.metadata.cont.filter(|c| !c.is_empty()) else {
            break Ok(std::mem::take(&mut items));
        };
        if seen.contains(&c) {
            break Err(Fail::Other(
                "the API server sent the same continue token twice: the list never ends".into(),
            ));
        }
        if seen.len() + 1 >= MAX_PAGES {
            break Err(Fail::Other(format!(
                "the list did not end after {MAX_PAGES} pages of {PAGE} (the API server keeps sending continue tokens)"
            )));
        }
        seen.insert(c.clone());
        text = match pending.take() {
            Some(next) if prefetched.as_deref() == Some(c.as_str()) => next
                .await
                .unwrap_or_else(|e| Err(Fail::Other(e.to_string()))),
            other => {
                if let Some(h) = other {
                    h.abort();
                }
                r.get(&page_url(path, Some(&c))).await
            }
        };
    };
    if let Some(h) = pending {
        h.abort();
    }
    result
}

type Apply = Box<dyn FnOnce(&mut Snapshot) + Send>;

/// Lists one kind and returns how to add it to the Snapshot.
async fn fetch(
    r: &Requester,
    spec: &'static KindSpec,
    versions: &[String],
    ns: Option<&str>,
) -> std::result::Result<Apply, Fail> {
    macro_rules! get {
        ($ty:ty, $field:ident) => {{
            let v: Vec<$ty> = list_all(r, spec, versions, ns).await?;
            Box::new(move |s: &mut Snapshot| s.$field.extend(v)) as Apply
        }};
        ($ty:ty, $field:ident, kind) => {{
            let mut v: Vec<$ty> = list_all(r, spec, versions, ns).await?;
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
    served: Served,
    snap: Snapshot,
    unauthorized: bool,
    unreachable: Option<String>,
    fetched: usize,
    forbidden: usize,
    not_installed: BTreeSet<&'static str>,
    errors: Vec<String>,
}

impl Fetcher<'_> {
    /// Records a failed request that stops the read (401, unreachable, anything unexpected).
    fn fail(&mut self, f: Fail, what: impl FnOnce() -> String) {
        match f {
            Fail::Unauthorized => self.unauthorized = true,
            Fail::Unreachable(m) => self.unreachable = Some(m),
            Fail::Other(m) => self.errors.push(format!("{}: {m}", what())),
            Fail::Gone => self.errors.push(format!("{}: 410 Gone", what())),
            Fail::Forbidden | Fail::NotFound => {}
        }
    }

    /// Lists `specs` in each of `namespaces` (`None` = cluster-wide), all concurrently.
    async fn round(&mut self, specs: &[&'static KindSpec], namespaces: &[Option<String>]) {
        let r = &self.conn.requester;
        let jobs: Vec<(&'static KindSpec, Vec<String>, Option<String>)> = specs
            .iter()
            .flat_map(|s| {
                let nss: Vec<Option<String>> = if s.namespaced {
                    namespaces.to_vec()
                } else {
                    vec![None]
                };
                let versions = self.served.versions(s);
                nss.into_iter().map(move |n| (*s, versions.clone(), n))
            })
            .collect();
        let results = join_all(
            jobs.iter()
                .map(|(s, versions, n)| fetch(r, s, versions, n.as_deref())),
        )
        .await;
        for ((spec, _, ns), r) in jobs.into_iter().zip(results) {
            match r {
                Ok(apply) => {
                    apply(&mut self.snap);
                    self.fetched += 1;
                }
                Err(Fail::Forbidden) => {
                    self.forbidden += 1;
                    self.snap.incomplete.push(Incomplete {
                        kind: spec.kind.into(),
                        namespace: ns,
                        reason: format!("forbidden (403): {}", consequence(spec.kind)),
                    });
                }
                Err(Fail::NotFound) => {
                    if self.not_installed.insert(spec.kind) {
                        self.snap.incomplete.push(Incomplete {
                            kind: spec.kind.into(),
                            namespace: None,
                            reason: format!("not installed (404): {}", consequence(spec.kind)),
                        });
                    }
                }
                Err(Fail::Other(m)) => self.errors.push(m),
                Err(f) => self.fail(f, || format!("listing {}", what(spec, ns.as_deref()))),
            }
        }
    }
}

/// `GET` of one object for the mesh settings; `Ok(None)` when it is absent or forbidden.
async fn get_one<T: DeserializeOwned>(
    r: &Requester,
    spec: &KindSpec,
    ns: &str,
    name: &str,
) -> std::result::Result<Option<T>, Fail> {
    let url = format!("{}/{name}", spec.list_path(spec.versions[0], Some(ns)));
    match r.get(&url).await {
        Ok(t) => Ok(serde_json::from_slice(&t).ok()),
        Err(Fail::NotFound | Fail::Forbidden) => Ok(None),
        Err(f) => Err(f),
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
            m.label(crate::model::labels::USE_WAYPOINT_NS)
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
    let ctx = &conn.context;
    let r = &conn.requester;
    let all: Vec<&'static KindSpec> = KINDS.iter().collect();
    // Discovery and the mesh settings first, concurrently: the served versions and the
    // root namespace decide what else to read. An unreachable server, or one that is no
    // Kubernetes API, shows here already: stop before issuing every list.
    let (served, cm, istiod) = tokio::join!(
        discovery::discover(r, &all),
        get_one::<ConfigMap>(r, &CONFIGMAP, istio_ns, "istio"),
        get_one::<Deployment>(r, &DEPLOYMENT, istio_ns, "istiod"),
    );
    let mut f = Fetcher {
        conn,
        served: Served::default(),
        snap: Snapshot::default(),
        unauthorized: false,
        unreachable: None,
        fetched: 0,
        forbidden: 0,
        not_installed: BTreeSet::new(),
        errors: vec![],
    };
    let mut no_api = None;
    match served {
        Ok(s) => {
            if conn.requester.verbose {
                for k in &all {
                    eprintln!("debug: {} versions to try: {:?}", k.kind, s.versions(k));
                }
            }
            f.served = s;
        }
        Err(NoApi::NotKubernetes(m)) => no_api = Some(m),
        Err(NoApi::Request(e)) => f.fail(e, || "discovery".into()),
    }
    let cm = cm.unwrap_or_else(|e| {
        f.fail(e, || format!("reading ConfigMap {istio_ns}/istio"));
        None
    });
    let istiod = istiod.unwrap_or_else(|e| {
        f.fail(e, || format!("reading Deployment {istio_ns}/istiod"));
        None
    });
    if let Some(cm) = cm {
        if let Some(mesh) = cm.data.get("mesh") {
            if let Ok(mc) = serde_saphyr::from_str::<MeshConfig>(mesh) {
                f.snap
                    .mesh
                    .apply_mesh_config(&mc, &format!("ConfigMap {istio_ns}/istio"));
            }
        }
    }
    if let Some(mut d) = istiod {
        if d.metadata.namespace.is_empty() {
            d.metadata.namespace = istio_ns.to_string();
        }
        f.snap.mesh.apply_istiod(&d);
    }
    f.stop_early(no_api.as_deref())?;
    let root_ns = root_override.unwrap_or(f.snap.mesh.root()).to_string();
    let root_ns = root_ns.as_str();
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
    f.stop_early(None)?;
    if f.fetched == 0 && f.forbidden == 0 {
        return Err(no_kubernetes(conn, "every list answered 404 Not Found"));
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

fn no_kubernetes(conn: &Connection, answered: &str) -> Error {
    Error::Cluster(format!(
        "no Kubernetes API at {} (context {:?}): {answered}; check the server URL in the kubeconfig",
        conn.server, conn.context
    ))
}

impl Fetcher<'_> {
    /// The failures that end the read, most fundamental first.
    fn stop_early(&self, no_api: Option<&str>) -> Result<()> {
        let ctx = &self.conn.context;
        if self.unauthorized {
            return Err(Error::Cluster(format!(
                "the API server rejected the credentials of context {ctx:?} (401 Unauthorized); log in again or refresh the token"
            )));
        }
        if let Some(m) = &self.unreachable {
            return Err(Error::Cluster(format!(
                "cannot reach the API server of context {ctx:?} at {}: {}",
                self.conn.server,
                secrets::scrub(m)
            )));
        }
        if let Some(m) = no_api {
            return Err(no_kubernetes(self.conn, m));
        }
        if let Some(e) = self.errors.first() {
            return Err(Error::Cluster(format!(
                "context {ctx:?} ({}): {}",
                self.conn.server,
                secrets::scrub(e)
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::early_continue;

    #[test]
    fn continue_token_before_items() {
        let body =
            r#"{"kind":"PodList","metadata":{"continue":"abc=","resourceVersion":"1"},"items":[]}"#;
        assert_eq!(early_continue(body.as_bytes()).as_deref(), Some("abc="));
        // Only metadata counts: a "continue" inside an item is ignored.
        let body = r#"{"kind":"PodList","metadata":{},"items":[{"metadata":{"labels":{"continue":"x"}}}]}"#;
        assert_eq!(early_continue(body.as_bytes()), None);
        assert_eq!(
            early_continue(br#"{"metadata":{"continue":""},"items":[]}"#),
            None
        );
        assert_eq!(early_continue(b"{}"), None);
    }
}
