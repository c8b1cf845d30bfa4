//! The connection: a client built from the kubeconfig (`--kubeconfig`, `KUBECONFIG`,
//! `~/.kube/config`) or the in-cluster service account, with the request timeout, and
//! errors that never quote a credential.

use crate::error::{Error, Result};
use crate::source::request::{one_line, Requester};
use crate::source::secrets;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;
use std::time::Duration;

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
    pub(super) requester: Requester,
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
