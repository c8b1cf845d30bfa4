//! One bounded GET against the API server. Every request ends within `--request-timeout`
//! (connecting, the answer's head and its body, plus a second per 64 KiB received: a server
//! that trickles bytes cannot stretch it), bodies are capped, and 429/5xx are retried a bounded number of times,
//! honouring `Retry-After` up to the request timeout. kube's own retry layer is turned off
//! (see `connect`): it would wait up to 1000 s on a `Retry-After`.

use super::secrets::scrub;
use http_body_util::BodyExt;
use std::time::{Duration, Instant};

/// Retries of one request on 429 and 5xx.
pub const RETRIES: u32 = 3;
/// The largest answer accepted: a page of 500 big objects is a few MB.
pub const MAX_BODY: usize = 256 << 20;
/// An answer must complete within the request timeout, plus one second per this many bytes
/// received (a slow link still gets big pages through).
pub const MIN_RATE: usize = 64 << 10;

/// Why a request failed.
#[derive(Debug)]
pub enum Fail {
    Unauthorized,
    Forbidden,
    /// 404: the kind (or the API) is not served there.
    NotFound,
    /// 410: an expired continue token.
    Gone,
    /// No usable connection or no answer in time (the message says which).
    Unreachable(String),
    Other(String),
}

#[derive(Clone)]
pub struct Requester {
    pub client: kube::Client,
    pub timeout: Duration,
    /// Log each request (path, status, size, time) on stderr.
    pub verbose: bool,
}

/// A 2xx answer's body, and whether it is protobuf (else JSON).
pub struct Answer {
    pub body: Vec<u8>,
    pub protobuf: bool,
}

/// Looks at a 2xx answer's body as it arrives: called with whether it is protobuf and what
/// has come so far, after each part, until it returns true.
pub type Peek<'a> = &'a mut (dyn FnMut(bool, &[u8]) -> bool + Send + 'static);

/// How one attempt ended.
enum Attempt {
    Done(Answer),
    /// 429 or 5xx: worth retrying, after the server's `Retry-After` if it gave one.
    Retry {
        code: u16,
        message: String,
        after: Option<Duration>,
    },
    Failed(Fail),
}

pub fn one_line(s: &str) -> String {
    scrub(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{s}s")
    }
}

impl Requester {
    /// GET `url` (a path with query) and return the body of a 2xx answer (JSON).
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, Fail> {
        self.get_as(url, None).await.map(|a| a.body)
    }

    /// GET `url` with `accept` as the `Accept` header (none: the server's default, JSON).
    pub async fn get_as(&self, url: &str, accept: Option<&'static str>) -> Result<Answer, Fail> {
        self.get_peeking(url, accept, None).await
    }

    /// `get_as`, with `peek` shown the body of the 2xx answer as it arrives.
    pub async fn get_peeking(
        &self,
        url: &str,
        accept: Option<&'static str>,
        mut peek: Option<Peek<'_>>,
    ) -> Result<Answer, Fail> {
        let mut attempt = 0;
        loop {
            match self.attempt(url, accept, peek.as_deref_mut()).await {
                Attempt::Done(answer) => return Ok(answer),
                Attempt::Failed(f) => return Err(f),
                Attempt::Retry {
                    code,
                    message,
                    after,
                } => {
                    if attempt == RETRIES {
                        return Err(Fail::Other(format!(
                            "{code} {message} (still failing after {RETRIES} retries)"
                        )));
                    }
                    let wait = match after {
                        // Honoured, but never beyond the request timeout: waiting longer
                        // would make the whole read overrun its bound.
                        Some(a) if a > self.timeout => {
                            return Err(Fail::Other(format!(
                                "the API server is overloaded ({code}) and asks to retry after {}, longer than --request-timeout {}; try again later",
                                seconds(a),
                                seconds(self.timeout)
                            )))
                        }
                        Some(a) => a.max(Duration::from_millis(100)),
                        None => Duration::from_millis(200 << attempt),
                    };
                    if self.verbose {
                        eprintln!("debug: retrying GET {url} in {}", seconds(wait));
                    }
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(
        &self,
        url: &str,
        accept: Option<&'static str>,
        peek: Option<Peek<'_>>,
    ) -> Attempt {
        let started = Instant::now();
        let result = self.exchange(url, accept, started, peek).await;
        if self.verbose {
            let outcome = match &result {
                Attempt::Done(a) => format!(
                    "200 ({} bytes{})",
                    a.body.len(),
                    if a.protobuf { ", protobuf" } else { "" }
                ),
                Attempt::Retry { code, .. } => code.to_string(),
                Attempt::Failed(f) => format!("{f:?}"),
            };
            eprintln!(
                "debug: GET {url} -> {} in {} ms",
                scrub(&outcome),
                started.elapsed().as_millis()
            );
        }
        result
    }

    async fn exchange(
        &self,
        url: &str,
        accept: Option<&'static str>,
        started: Instant,
        peek: Option<Peek<'_>>,
    ) -> Attempt {
        let mut request = http::Request::get(url);
        if let Some(a) = accept {
            request = request.header(http::header::ACCEPT, a);
        }
        let request = match request.body(kube::client::Body::empty()) {
            Ok(r) => r,
            Err(e) => return Attempt::Failed(Fail::Other(one_line(&e.to_string()))),
        };
        let response = match tokio::time::timeout(self.timeout, self.client.send(request)).await {
            Err(_) => {
                return Attempt::Failed(Fail::Unreachable(format!(
                    "timed out: no answer within {} (--request-timeout)",
                    seconds(self.timeout)
                )))
            }
            Ok(Err(e @ kube::Error::Auth(_))) => {
                return Attempt::Failed(Fail::Other(format!(
                    "cannot get credentials from the kubeconfig: {}",
                    describe(&e)
                )))
            }
            Ok(Err(e)) => return Attempt::Failed(Fail::Unreachable(describe(&e))),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let protobuf = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';').next().unwrap_or("").trim() == crate::source::protobuf::CONTENT_TYPE
            });
        let length = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        let deadline = tokio::time::Instant::from_std(started + self.timeout);
        // Only an answer's body is shown, not an error's.
        let peek = peek
            .filter(|_| status.is_success())
            .map(|p| move |got: &[u8]| p(protobuf, got));
        let body = match read_body(response.into_body(), length, deadline, peek).await {
            Err(Fail::Unreachable(_)) => {
                return Attempt::Failed(Fail::Unreachable(format!(
                    "timed out: the answer was still arriving after {} (the server sends slower than {} KiB/s; --request-timeout)",
                    seconds(Duration::from_millis(
                        (started.elapsed().as_millis() as u64 + 50) / 100 * 100
                    )),
                    MIN_RATE >> 10
                )))
            }
            Err(f) => return Attempt::Failed(f),
            Ok(b) => b,
        };
        if status.is_success() {
            return Attempt::Done(Answer { body, protobuf });
        }
        let code = status.as_u16();
        let st = if protobuf {
            crate::source::protobuf::status(body.into()).map(|(message, retry)| ApiStatus {
                message,
                details: Some(StatusDetails {
                    retry_after_seconds: retry,
                }),
            })
        } else {
            serde_json::from_slice::<ApiStatus>(&body).ok()
        };
        let message = st
            .as_ref()
            .map(|s| one_line(&s.message))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_string());
        match code {
            401 => Attempt::Failed(Fail::Unauthorized),
            403 => Attempt::Failed(Fail::Forbidden),
            404 => Attempt::Failed(Fail::NotFound),
            410 => Attempt::Failed(Fail::Gone),
            429 | 500..=504 => Attempt::Retry {
                code,
                message,
                after: retry_after.or_else(|| {
                    st.and_then(|s| s.details)
                        .map(|d| d.retry_after_seconds)
                        .filter(|s| *s > 0)
                        .map(Duration::from_secs)
                }),
            },
            _ => Attempt::Failed(Fail::Other(format!("{code} {message}"))),
        }
    }
}

/// The whole body, at most `MAX_BODY` bytes, by `deadline` plus one second per `MIN_RATE`
/// bytes received: a big page on a slow link completes, a server trickling bytes does not.
/// `Fail::Unreachable` when the deadline passes. `peek` sees what has come after each part,
/// until it returns true.
async fn read_body(
    mut body: kube::client::Body,
    length: Option<usize>,
    deadline: tokio::time::Instant,
    mut peek: Option<impl FnMut(&[u8]) -> bool>,
) -> Result<Vec<u8>, Fail> {
    // Sized once when the server announces the length (a page is a few MB: no regrowing).
    let mut out = Vec::with_capacity(length.unwrap_or(0).min(MAX_BODY));
    loop {
        let allowed = deadline + Duration::from_secs_f64(out.len() as f64 / MIN_RATE as f64);
        let frame = match tokio::time::timeout_at(allowed, body.frame()).await {
            Err(_) => return Err(Fail::Unreachable(String::new())),
            Ok(None) => return Ok(out),
            Ok(Some(frame)) => frame,
        };
        let frame = frame.map_err(|e| {
            Fail::Other(format!(
                "the answer was cut off before its end ({})",
                describe(&e)
            ))
        })?;
        if let Some(data) = frame.data_ref() {
            if out.len() + data.len() > MAX_BODY {
                return Err(Fail::Other(format!(
                    "the answer is larger than {} MiB",
                    MAX_BODY >> 20
                )));
            }
            out.extend_from_slice(data);
            if peek.as_mut().is_some_and(|p| p(&out)) {
                peek = None;
            }
        }
    }
}

/// The parts of a `Status` answer used here.
#[derive(serde::Deserialize)]
struct ApiStatus {
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Option<StatusDetails>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusDetails {
    #[serde(default)]
    retry_after_seconds: u64,
}

/// A transport error in the user's terms: the innermost cause, with TLS failures explained.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    let lower = msg.to_lowercase();
    let lower = lower.replace(['_', ' '], "");
    if lower.contains("notvalidforname") {
        "its TLS certificate is not valid for this host name (check the server URL, or tls-server-name in the kubeconfig)".into()
    } else if lower.contains("unknownissuer") || lower.contains("badsignature") {
        // BadSignature: a CA of the same name but another key, e.g. a re-created cluster.
        "its TLS certificate is not signed by a CA the kubeconfig trusts (check certificate-authority-data)".into()
    } else if lower.contains("expired") && lower.contains("certificate") {
        "its TLS certificate has expired".into()
    } else if lower.contains("closenotify")
        || lower.contains("unexpectedeof")
        || lower.contains("incompletemessage")
        || lower.contains("endoffilebeforemessagelength")
        || lower.contains("connectionclosedbeforemessagecompleted")
    {
        "the connection closed early".into()
    } else if lower.contains("timedout") || lower.contains("elapsed") || lower.contains("timeout") {
        "timed out".into()
    } else {
        one_line(&msg)
    }
}
