//! One kind listed page by page (`limit` and `continue`), the next page requested as soon
//! as the current one's head has come (while the rest of it arrives and is decoded), and
//! bounded against servers whose lists never end.

use crate::source::kinds::KindSpec;
use crate::source::protobuf::{self, Early, Head, Listed};
use crate::source::request::{Answer, Fail, Requester};
use bytes::Bytes;
use serde::Deserialize;
use std::collections::HashSet;

/// Items per page: large enough to keep round trips few, small enough to bound memory.
const PAGE: usize = 500;

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

/// Percent-encodes a query value (a continue token, a label selector).
pub(super) fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The continue token and remaining item count of a JSON list page from its first bytes,
/// read without parsing it: API servers write `metadata` before `items`, so only the part
/// before `"items"` is searched, once it has come. What cannot be found there is `None`
/// (the full parse then decides the token).
fn early_json(prefix: &[u8]) -> Early {
    let head = &prefix[..prefix.len().min(protobuf::EARLY_BYTES)];
    // The cut may split a character: keep the valid prefix.
    let body = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    let Some(head) = body.find("\"items\"").map(|end| &body[..end]) else {
        return protobuf::more(prefix.len());
    };
    let after = |key: &str| head.find(key).map(|i| &head[i + key.len()..]);
    let cont = after("\"continue\":\"").and_then(|rest| {
        let token = &rest[..rest.find('"')?];
        (!token.is_empty() && !token.contains('\\')).then(|| token.to_string())
    });
    let remaining = after("\"remainingItemCount\":").and_then(|rest| {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        rest[..digits].parse().ok()
    });
    Early::Head(Head { cont, remaining })
}

/// Whether `"items"` is in the first `EARLY_BYTES` of `got`, looked for only in what came
/// after `searched`.
fn json_items_in(got: &[u8], searched: usize) -> bool {
    const ITEMS: &[u8] = b"\"items\"";
    let end = got.len().min(protobuf::EARLY_BYTES);
    let start = searched.saturating_sub(ITEMS.len() - 1).min(end);
    got[start..end].windows(ITEMS.len()).any(|w| w == ITEMS)
}

/// The most items the first page's count makes room for at once: Kubernetes' tested limit
/// of pods per cluster. A longer list (or a count that overstates it) grows as it comes.
const MOST_RESERVED: u64 = 150_000;

/// The room to make for a whole list once its first page (`first` items) says how many
/// are still to come (`remaining`, a hint: it can be wrong, and is bounded).
fn room_for_list(first: usize, remaining: u64) -> usize {
    first.saturating_add(remaining.min(MOST_RESERVED) as usize)
}

fn page_url(path: &str, cont: Option<&str>) -> String {
    match cont {
        Some(c) => format!("{path}?limit={PAGE}&continue={}", query_escape(c)),
        None => format!("{path}?limit={PAGE}"),
    }
}

/// "pods in default" or "pods" (cluster-wide).
pub(super) fn what(spec: &KindSpec, ns: Option<&str>) -> String {
    match ns {
        Some(ns) if spec.namespaced => format!("{} in {ns}", spec.plural),
        _ => spec.plural.to_string(),
    }
}

/// Lists one kind in one namespace (or all), trying the served versions in order.
pub(super) async fn list_all<T: Listed>(
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

/// Adds a page's items to `items` and returns its continue token, from either encoding.
/// The page's bytes are dropped here, before the next page is decoded.
fn decode_page<T: Listed>(
    protobuf: bool,
    body: Bytes,
    items: &mut Vec<T>,
) -> std::result::Result<Option<String>, String> {
    if protobuf {
        return T::decode_list(protobuf::unwrap_envelope(body)?, items);
    }
    let page: Page<T> =
        serde_json::from_slice(&body).map_err(|e| format!("invalid response ({e})"))?;
    items.extend(page.items);
    Ok(page.metadata.cont)
}

/// One list, page by page, the next page requested as soon as the current one's head has
/// come, while the rest of it arrives and is decoded. Bounded: at most `MAX_PAGES` pages,
/// and a continue token seen before ends it at once.
async fn list_pages<T: Listed>(r: &Requester, path: &str) -> std::result::Result<Vec<T>, Fail> {
    let mut items = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut page = Asked::new::<T>(r, page_url(path, None));
    let result = loop {
        // The next page is asked for as soon as this one's first bytes name it (issue 16:
        // a page of 500 pods is half a megabyte, whose transfer the next request no longer
        // waits for). Without an early head (JSON with its metadata last), once it is whole.
        let early = (&mut page.head).await.ok();
        let ask_next = |head: &Head, seen: &HashSet<String>| {
            let c = head.cont.as_ref().filter(|c| !seen.contains(*c))?;
            (seen.len() + 1 < MAX_PAGES)
                .then(|| (c.clone(), Asked::new::<T>(r, page_url(path, Some(c)))))
        };
        let mut next = early.as_ref().and_then(|h| ask_next(h, &seen));
        let answer = (&mut page.answer)
            .await
            .unwrap_or_else(|e| Err(Fail::Other(e.to_string())));
        let (is_protobuf, body) = match answer {
            Ok(a) => (a.protobuf, Bytes::from(a.body)),
            Err(f) => break Err(f),
        };
        if seen.is_empty() && r.verbose {
            let encoding = if is_protobuf { "protobuf" } else { "JSON" };
            eprintln!("debug: {path} is read as {encoding}");
        }
        let head = early.unwrap_or_else(|| whole_head(is_protobuf, &body));
        if seen.is_empty() {
            // The first page says how long the list is: the pages that follow are decoded
            // into their place, with no regrowing of the list as they come.
            if let Some(n) = head.remaining {
                items.reserve_exact(room_for_list(PAGE, n));
            }
        }
        if next.is_none() {
            next = ask_next(&head, &seen);
        }
        // With the next page in flight, decoded on another thread: the runtime's one
        // thread only moves bytes, so the answer that comes during the decoding is taken,
        // and the page after it asked for, at once (issue 16: with the decoding on the
        // runtime, a page of pods began 0.9 ms after the one before ended, on average; off
        // it, 0.15 ms).
        let decoded = if next.is_some() {
            let mut into = std::mem::take(&mut items);
            let decoding = tokio::task::spawn_blocking(move || {
                let cont = decode_page::<T>(is_protobuf, body, &mut into);
                (into, cont)
            });
            match decoding.await {
                Ok((into, cont)) => {
                    items = into;
                    cont
                }
                Err(e) => Err(format!("decoding stopped: {e}")),
            }
        } else {
            decode_page::<T>(is_protobuf, body, &mut items)
        };
        let cont = match decoded {
            Ok(c) => c,
            Err(e) => break Err(Fail::Other(e)),
        };
        let Some(c) = cont.filter(|c| !c.is_empty()) else {
            // What the list did not fill (it grew by doubling, or the count was off) is
            // given back.
            items.shrink_to_fit();
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
        page = match next {
            Some((asked_for, p)) if asked_for == c => p,
            // Another page's (dropped: aborted).
            _ => Asked::new::<T>(r, page_url(path, Some(&c))),
        };
    };
    result
}

/// The head of a whole page, read before the page is decoded.
fn whole_head(protobuf: bool, body: &Bytes) -> Head {
    if protobuf {
        // Slices of the page, no copy: the envelope, then the list's head.
        return protobuf::unwrap_envelope(body.clone())
            .map(|raw| protobuf::list_head(&raw))
            .unwrap_or_default();
    }
    match early_json(body) {
        Early::Head(h) => h,
        Early::More | Early::Never => Head::default(),
    }
}

/// A page asked for: its head, as soon as its first bytes say it, then the whole answer.
/// Aborted when dropped unawaited (the list failed, or the read was given up), so that no
/// request outlives its list.
struct Asked {
    /// Dropped unsent when the first bytes do not say the head.
    head: tokio::sync::oneshot::Receiver<Head>,
    answer: tokio::task::JoinHandle<std::result::Result<Answer, Fail>>,
}

impl Asked {
    fn new<T: Listed>(r: &Requester, url: String) -> Self {
        let accept = T::PROTOBUF.then_some(protobuf::ACCEPT);
        let (tx, head) = tokio::sync::oneshot::channel();
        let r = r.clone();
        let answer = tokio::spawn(async move {
            let mut tx = Some(tx);
            // How much of a JSON page was searched for `"items"` already: a server sending
            // a few bytes at a time is not searched from the start each time.
            let mut searched = 0;
            let mut peek = move |is_protobuf: bool, got: &[u8]| {
                let early = if is_protobuf {
                    protobuf::early_head(got)
                } else if !json_items_in(got, searched) {
                    searched = got.len();
                    protobuf::more(got.len())
                } else {
                    early_json(got)
                };
                match early {
                    Early::More => false,
                    Early::Head(h) => {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(h);
                        }
                        true
                    }
                    Early::Never => {
                        tx = None;
                        true
                    }
                }
            };
            r.get_peeking(&url, accept, Some(&mut peek)).await
        });
        Asked { head, answer }
    }
}

impl Drop for Asked {
    fn drop(&mut self) {
        self.answer.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::{early_json, json_items_in, room_for_list, whole_head, Early, MOST_RESERVED, PAGE};

    /// The head of a whole JSON page.
    fn early_head(body: &[u8]) -> super::Head {
        whole_head(false, &bytes::Bytes::copy_from_slice(body))
    }

    #[test]
    fn head_before_items() {
        let head = |body: &str| early_head(body.as_bytes());
        let body = r#"{"kind":"PodList","metadata":{"continue":"abc=","resourceVersion":"1","remainingItemCount":1500},"items":[]}"#;
        assert_eq!(head(body).cont.as_deref(), Some("abc="));
        assert_eq!(head(body).remaining, Some(1500));
        // Only metadata counts: a "continue" inside an item is ignored.
        let body = r#"{"kind":"PodList","metadata":{},"items":[{"metadata":{"labels":{"continue":"x","remainingItemCount":3}}}]}"#;
        assert_eq!(head(body), Default::default());
        let body = r#"{"metadata":{"continue":"","remainingItemCount":-1},"items":[]}"#;
        assert_eq!(head(body), Default::default());
        assert_eq!(head("{}"), Default::default());
    }

    /// As a JSON page arrives: not yet until `"items"` has come, then its head; never from
    /// the first bytes when 64 KiB come without it (the whole page then decides).
    #[test]
    fn head_from_the_first_bytes() {
        let body = r#"{"kind":"PodList","metadata":{"continue":"abc=","remainingItemCount":1500},"items":[{}]}"#;
        let at = body.find("\"items\"").unwrap();
        for n in 0..body.len() {
            let early = early_json(&body.as_bytes()[..n]);
            if n < at + "\"items\"".len() {
                assert_eq!(early, Early::More, "cut at {n}");
            } else {
                assert_eq!(
                    early,
                    Early::Head(early_head(body.as_bytes())),
                    "cut at {n}"
                );
            }
        }
        let long = format!(r#"{{"kind":"PodList","note":"{}""#, "x".repeat(64 << 10));
        assert_eq!(early_json(long.as_bytes()), Early::Never);
        // Searched a byte at a time, `"items"` is found where it ends, even when it
        // straddles what was searched before.
        let found = (1..=body.len()).find(|&n| json_items_in(&body.as_bytes()[..n], n - 1));
        assert_eq!(found, Some(at + "\"items\"".len()));
        assert!(!json_items_in(long.as_bytes(), 0));
    }

    /// A count the server overstates reserves no more than a cluster's pods.
    #[test]
    fn room_is_bounded() {
        assert_eq!(room_for_list(PAGE, 49_500), 50_000);
        assert_eq!(room_for_list(PAGE, u64::MAX), PAGE + MOST_RESERVED as usize);
        assert_eq!(room_for_list(3, 0), 3);
    }
}
