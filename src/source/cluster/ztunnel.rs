//! ztunnel's config dump, live: the ztunnel pods (in istiod's namespace, by label), then for
//! each one a port-forward through the API server to its admin port and `GET /config_dump`,
//! as `istioctl ztunnel-config` does (`pkg/kube/client.go#portForwardRequest`). Concurrent,
//! each bounded by the request timeout and by the manifests' byte limit. Port-forward is the
//! only non-read verb the plugin uses (`create` on `pods/portforward`), and only here.

use super::lists::query_escape;
use super::Connection;
use crate::error::{Error, Result};
use crate::source::limits::MAX_FILE_BYTES;
use crate::source::request::{describe, one_line, Fail};
use crate::source::secrets::scrub;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One ztunnel pod, and what reading it gave.
pub struct NodeRead {
    pub pod: String,
    pub node: String,
    /// The dump's text, or why it could not be read.
    pub dump: Result<String, String>,
}

#[derive(Deserialize)]
struct PodList {
    #[serde(default)]
    items: Vec<SlimPod>,
}

#[derive(Deserialize)]
struct SlimPod {
    metadata: SlimMeta,
    #[serde(default)]
    spec: SlimSpec,
    #[serde(default)]
    status: SlimStatus,
}

#[derive(Deserialize)]
struct SlimMeta {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SlimSpec {
    #[serde(default)]
    node_name: String,
}

#[derive(Deserialize, Default)]
struct SlimStatus {
    #[serde(default)]
    phase: String,
}

/// Most ztunnels read at once.
const CONCURRENCY: usize = 8;

/// Reads every ztunnel's dump. Errors: the ztunnel pods cannot be listed or none exists
/// (exit 3); a port-forward refused with 403 on every pod. Any other failure of a node is in
/// its `NodeRead`, and the others are still read.
pub async fn read_dumps(
    conn: &Connection,
    istio_ns: &str,
    selector: &str,
    port: u16,
    progress: bool,
) -> Result<Vec<NodeRead>> {
    let r = &conn.requester;
    let path = format!(
        "/api/v1/namespaces/{istio_ns}/pods?labelSelector={}",
        query_escape(selector)
    );
    let body = r.get(&path).await.map_err(|f| match f {
        Fail::Forbidden => Error::Cluster(format!(
            "context {:?} may not list pods in {istio_ns}: verify needs it to find the ztunnel pods (examples/clusterrole-verify.yaml)",
            conn.context
        )),
        f => Error::Cluster(format!("listing the ztunnel pods in {istio_ns}: {}", fail_text(&f))),
    })?;
    let list: PodList = serde_json::from_slice(&body).map_err(|e| {
        Error::Cluster(format!(
            "listing the ztunnel pods: {}",
            one_line(&e.to_string())
        ))
    })?;
    let pods: Vec<SlimPod> = list
        .items
        .into_iter()
        .filter(|p| p.status.phase.is_empty() || p.status.phase == "Running")
        .collect();
    if pods.is_empty() {
        return Err(Error::Cluster(format!(
            "no running ztunnel pod in namespace {istio_ns} (selector {selector}); give --istio-namespace or --ztunnel-selector"
        )));
    }
    let api: kube::Api<Pod> = kube::Api::namespaced(r.client.clone(), istio_ns);
    let total = pods.len();
    let timeout = r.timeout;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let reads: Vec<NodeRead> = futures::stream::iter(pods)
        .map(|p| {
            let api = api.clone();
            let done = &done;
            async move {
                let dump =
                    match tokio::time::timeout(timeout * 2, read_one(&api, &p.metadata.name, port))
                        .await
                    {
                        Ok(r) => r,
                        Err(_) => Err(format!(
                            "no answer within {} (the pod's admin port {port} may be closed)",
                            crate::source::request::seconds(timeout * 2)
                        )),
                    };
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if progress {
                    eprint!("\rreading ztunnel config dumps: {n}/{total}");
                    if n == total {
                        eprintln!();
                    }
                }
                if r.verbose {
                    let outcome = match &dump {
                        Ok(t) => format!("{} bytes", t.len()),
                        Err(e) => e.clone(),
                    };
                    eprintln!(
                        "debug: port-forward {istio_ns}/{}:{port} GET /config_dump -> {}",
                        p.metadata.name,
                        scrub(&outcome)
                    );
                }
                NodeRead {
                    pod: p.metadata.name,
                    node: p.spec.node_name,
                    dump,
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    if reads
        .iter()
        .all(|n| n.dump.as_ref().is_err_and(|e| e.starts_with(FORBIDDEN)))
    {
        return Err(Error::Cluster(format!(
            "context {:?} may not port-forward to the ztunnel pods in {istio_ns}: grant `create` on `pods/portforward` there (examples/clusterrole-verify.yaml), or give each node's dump with --ztunnel-dump",
            conn.context
        )));
    }
    let mut reads = reads;
    reads.sort_by(|a, b| a.pod.cmp(&b.pod));
    Ok(reads)
}

const FORBIDDEN: &str = "forbidden";

fn fail_text(f: &Fail) -> String {
    match f {
        Fail::Unauthorized => "401 Unauthorized".into(),
        Fail::Forbidden => "403 Forbidden".into(),
        Fail::NotFound => "404 Not Found".into(),
        Fail::Gone => "410 Gone".into(),
        Fail::Unreachable(m) | Fail::Other(m) => m.clone(),
    }
}

/// Port-forwards to `pod`'s `port` and GETs `/config_dump` over HTTP/1.0, so the answer is
/// never chunked and ends when the connection closes.
async fn read_one(api: &kube::Api<Pod>, pod: &str, port: u16) -> Result<String, String> {
    let mut pf = api.portforward(pod, &[port]).await.map_err(|e| {
        let text = one_line(&describe(&e));
        if text.contains("403") || text.contains("Forbidden") || text.contains("forbidden") {
            format!("{FORBIDDEN}: port-forward needs `create` on `pods/portforward`")
        } else {
            format!("port-forward failed: {}", scrub(&text))
        }
    })?;
    let mut stream = pf
        .take_stream(port)
        .ok_or_else(|| "port-forward gave no stream".to_string())?;
    let error = pf.take_error(port);
    stream
        .write_all(
            b"GET /config_dump HTTP/1.0\r\nHost: localhost\r\nAccept: application/json\r\n\r\n",
        )
        .await
        .map_err(|e| format!("port-forward: {e}"))?;
    let mut bytes = Vec::new();
    let read = (&mut stream)
        .take(MAX_FILE_BYTES + 64 * 1024)
        .read_to_end(&mut bytes)
        .await;
    drop(stream);
    pf.abort();
    if bytes.is_empty() {
        // The kubelet says on the error channel why it could not connect.
        if let Some(err) = error {
            if let Ok(Some(msg)) =
                tokio::time::timeout(std::time::Duration::from_millis(200), err).await
            {
                return Err(format!(
                    "ztunnel's admin port {port} refused: {}",
                    scrub(&one_line(&msg))
                ));
            }
        }
        return Err(match read {
            Err(e) => format!("port-forward: {e}"),
            Ok(_) => format!("ztunnel's admin port {port} sent nothing"),
        });
    }
    http_body(&bytes)
}

/// The body of an HTTP response, or why it is not a 200.
fn http_body(bytes: &[u8]) -> Result<String, String> {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err("ztunnel's admin port answered something that is not HTTP".into());
    };
    let head = String::from_utf8_lossy(&bytes[..end]);
    let status = head.lines().next().unwrap_or_default();
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(format!(
            "ztunnel's admin port answered {:?}",
            one_line(status)
        ));
    }
    let body = &bytes[end + 4..];
    if body.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "the dump is larger than {} MiB (limit)",
            MAX_FILE_BYTES >> 20
        ));
    }
    String::from_utf8(body.to_vec()).map_err(|_| "the dump is not UTF-8 text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_bodies() {
        assert_eq!(
            http_body(b"HTTP/1.0 200 OK\r\nA: b\r\n\r\n{}").unwrap(),
            "{}"
        );
        assert!(http_body(b"HTTP/1.1 404 Not Found\r\n\r\nno")
            .unwrap_err()
            .contains("404"));
        assert!(http_body(b"garbage").is_err());
        assert_eq!(
            query_escape("app=ztunnel,x in (a b)"),
            "app%3Dztunnel%2Cx%20in%20%28a%20b%29"
        );
    }
}
