//! The API server's protobuf encoding of the built-in kinds (issue 16): a list page decoded
//! straight into the model's slim types. The answer is the magic `k8s\0` and a
//! `runtime.Unknown` whose `raw` holds the list (apimachinery
//! `pkg/runtime/serializer/protobuf`). Only the fields the model reads are declared
//! (`meta`, `core`); the decoder skips the rest (managed fields, statuses, volumes) without
//! copying them. Custom resources have no protobuf form and stay JSON.
//!
//! Pure decoding, no I/O: `source::cluster` asks for protobuf and hands each page here.

mod core;
mod meta;

use crate::model::*;
use bytes::Bytes;
use prost::Message;
use serde::de::DeserializeOwned;

/// What a client sends to get protobuf where the server has it and JSON elsewhere (as
/// client-go's `ContentConfig` does for built-in kinds).
pub const ACCEPT: &str = "application/vnd.kubernetes.protobuf, application/json";
/// The answer's `Content-Type` when it is protobuf.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\0";

/// `runtime.Unknown`: the envelope around the encoded object.
#[derive(Clone, PartialEq, Message)]
struct Unknown {
    #[prost(bytes = "bytes", tag = "2")]
    raw: Bytes,
    #[prost(string, tag = "3")]
    content_encoding: String,
}

/// The encoded object of a protobuf answer; an error for anything else.
pub fn unwrap_envelope(body: Bytes) -> Result<Bytes, String> {
    let Some(rest) = body.strip_prefix(MAGIC) else {
        return Err("not a Kubernetes protobuf answer (no k8s\\0 prefix)".into());
    };
    let rest = body.slice(body.len() - rest.len()..);
    let u = Unknown::decode(rest).map_err(|e| format!("invalid protobuf envelope ({e})"))?;
    if !u.content_encoding.is_empty() {
        return Err(format!(
            "protobuf answer in an unsupported encoding {:?}",
            u.content_encoding
        ));
    }
    Ok(u.raw)
}

/// What a list page says of the list before its items: the continue token, and how many
/// items the pages still to come hold (`remainingItemCount`, when the server counts them).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Head {
    pub cont: Option<String>,
    pub remaining: Option<u64>,
}

/// The head of an encoded list, read without decoding the items.
pub fn list_head(raw: &Bytes) -> Head {
    (meta::ListHead::decode(raw.clone()).ok())
        .and_then(|h| h.metadata)
        .map_or_else(Head::default, head_of)
}

fn head_of(m: meta::ListMeta) -> Head {
    Head {
        cont: m.cont.filter(|c| !c.is_empty()),
        remaining: m.remaining_item_count.and_then(|n| u64::try_from(n).ok()),
    }
}

/// What the first bytes of a list page say of its head, while the rest still arrives.
#[derive(Debug, PartialEq, Eq)]
pub enum Early {
    /// The head is whole: the next page can be asked for already.
    Head(Head),
    /// Not yet: more bytes are needed.
    More,
    /// Not from the first bytes (the metadata is not first, or this is not a list page):
    /// the whole page decides.
    Never,
}

/// How far into a page its head is looked for: a list's metadata is a few hundred bytes.
pub const EARLY_BYTES: usize = 64 << 10;

/// `More`, or `Never` once `EARLY_BYTES` have come without the head.
pub fn more(received: usize) -> Early {
    if received >= EARLY_BYTES {
        Early::Never
    } else {
        Early::More
    }
}

/// The head of a protobuf list page from its first bytes: apimachinery writes the envelope's
/// `typeMeta` (1) before `raw` (2), and a list's `metadata` (1) before its `items` (2), so
/// the continue token is in the first hundred bytes or so of a page of megabytes.
pub fn early_head(prefix: &[u8]) -> Early {
    let Some(mut at) = prefix.strip_prefix(MAGIC) else {
        return if MAGIC.starts_with(prefix) {
            Early::More
        } else {
            Early::Never
        };
    };
    let raw = loop {
        match length_delimited(at) {
            Wire::Field(2, len, raw) => break &raw[..raw.len().min(len)],
            Wire::Field(_, len, rest) if len <= rest.len() => at = &rest[len..],
            Wire::Field(..) | Wire::More => return more(prefix.len()),
            Wire::Never => return Early::Never,
        }
    };
    match length_delimited(raw) {
        Wire::Field(1, len, m) if len <= m.len() => match meta::ListMeta::decode(&m[..len]) {
            Ok(m) => Early::Head(head_of(m)),
            Err(_) => Early::Never,
        },
        Wire::Field(1, ..) | Wire::More => more(prefix.len()),
        Wire::Field(..) | Wire::Never => Early::Never,
    }
}

/// The start of a length-delimited field: its tag, its length, and what follows the length.
enum Wire<'a> {
    Field(u64, usize, &'a [u8]),
    More,
    Never,
}

fn length_delimited(buf: &[u8]) -> Wire<'_> {
    let (key, rest) = match varint(buf) {
        Ok(v) => v,
        Err(more) => return if more { Wire::More } else { Wire::Never },
    };
    if key & 7 != 2 {
        return Wire::Never;
    }
    match varint(rest) {
        Ok((len, rest)) => Wire::Field(key >> 3, usize::try_from(len).unwrap_or(usize::MAX), rest),
        Err(true) => Wire::More,
        Err(false) => Wire::Never,
    }
}

/// A varint and what follows it; `Err(true)` when `buf` ends inside it, `Err(false)` when
/// it is longer than a varint can be (prost's decoder fails on both; only a cut one is
/// shorter than the longest varint, 10 bytes).
fn varint(buf: &[u8]) -> Result<(u64, &[u8]), bool> {
    let mut rest = buf;
    match prost::encoding::decode_varint(&mut rest) {
        Ok(v) => Ok((v, rest)),
        Err(_) => Err(buf.len() < 10),
    }
}

/// The message and `retryAfterSeconds` of a `metav1.Status` answer (an error answered in
/// the negotiated encoding).
pub fn status(body: Bytes) -> Option<(String, u64)> {
    let s = meta::Status::decode(unwrap_envelope(body).ok()?).ok()?;
    let retry = s.details.map_or(0, |d| d.retry_after_seconds.max(0) as u64);
    Some((s.message, retry))
}

/// A kind as the cluster source reads it: JSON always, protobuf for the built-in kinds.
pub trait Listed: DeserializeOwned + Send + 'static {
    /// Whether the API server may send this kind as protobuf.
    const PROTOBUF: bool = false;

    /// Adds the items of an encoded list page (the envelope's `raw`) to `into`, and returns
    /// its continue token.
    fn decode_list(_raw: Bytes, _into: &mut Vec<Self>) -> Result<Option<String>, String> {
        Err("this kind has no protobuf form".into())
    }
}

/// The items of an encoded list (`metadata` = 1, `items` = 2), each decoded and turned into
/// the model's type before the next is read: no page of intermediate messages is held.
fn decode_items<P: Message + Default, T>(
    mut raw: Bytes,
    items: &mut Vec<T>,
    into_model: impl Fn(P) -> Result<T, String>,
) -> Result<Option<String>, String> {
    use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};
    let invalid = |e: prost::DecodeError| format!("invalid protobuf ({e})");
    let mut cont = None;
    while !raw.is_empty() {
        let (tag, wire) = decode_key(&mut raw).map_err(invalid)?;
        if !matches!((tag, wire), (1 | 2, WireType::LengthDelimited)) {
            skip_field(wire, tag, &mut raw, DecodeContext::default()).map_err(invalid)?;
            continue;
        }
        let len = decode_varint(&mut raw).map_err(invalid)?;
        if len > raw.len() as u64 {
            return Err("invalid protobuf (a field runs past the end of the answer)".into());
        }
        let field = raw.split_to(len as usize);
        if tag == 1 {
            cont = meta::ListMeta::decode(field).map_err(invalid)?.cont;
        } else {
            items.push(into_model(P::decode(field).map_err(invalid)?)?);
        }
    }
    Ok(cont.filter(|c| !c.is_empty()))
}

macro_rules! protobuf_list {
    ($($model:ty => $item:ty),*) => {$(
        impl Listed for $model {
            const PROTOBUF: bool = true;

            fn decode_list(raw: Bytes, into: &mut Vec<Self>) -> Result<Option<String>, String> {
                decode_items(raw, into, <$item>::into_model)
            }
        }
    )*};
}

protobuf_list!(
    Namespace => core::NamespacePb,
    Pod => core::PodPb,
    Service => core::ServicePb,
    NetworkPolicy => core::NetworkPolicyPb
);

impl Listed for ServiceEntry {}
impl Listed for Gateway {}
impl Listed for GatewayClass {}
impl Listed for AuthorizationPolicy {}
impl Listed for PeerAuthentication {}
impl Listed for Route {}
impl Listed for ExtensionPolicy {}

#[cfg(test)]
mod tests;
