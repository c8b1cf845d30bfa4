//! Documents into objects: each YAML document or JSON text (and each item of a
//! `kind: List`) is decoded straight into the slim model type of its kind and added to the
//! Snapshot; kinds that are not modelled are counted, and documents that are not Kubernetes
//! objects are errors where the file was named, skipped where a directory held them.

use super::stream::{self, Stop};
use super::{read, Input};
use crate::error::{Error, Result};
use crate::model::labels::NAMESPACE_NAME_LABEL;
use crate::model::*;
use crate::snapshot::Snapshot;
use crate::source::documents::{self, one_line, Head, Items, LineCounter};
use crate::source::limits::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// Bytes of item text handed from the scanner to the decoder at once.
const BATCH_BYTES: usize = 64 * 1024;
/// Batches the scanner may read ahead of the decoder.
const BATCHES_AHEAD: usize = 8;

/// Items of a streamed List, handed over together: their texts end to end, and where each
/// ends with the line it starts on.
#[derive(Default)]
struct Batch {
    text: String,
    items: Vec<(usize, usize)>,
}

impl Batch {
    fn push(&mut self, text: &str, line: usize) {
        self.text.push_str(text);
        self.items.push((self.text.len(), line));
    }

    fn items(&self) -> impl Iterator<Item = (&str, usize)> {
        let starts = std::iter::once(0).chain(self.items.iter().map(|&(end, _)| end));
        starts
            .zip(&self.items)
            .map(|(start, &(end, line))| (&self.text[start..end], line))
    }

    fn clear(&mut self) {
        self.text.clear();
        self.items.clear();
    }
}

/// Adds the documents of each input to one Snapshot; istiod's Deployment and the `istio`
/// ConfigMaps are kept apart for the mesh settings.
pub(super) struct Loader<'a> {
    pub(super) snap: Snapshot,
    pub(super) configmaps: Vec<(String, ConfigMap)>,
    pub(super) istiods: Vec<Deployment>,
    default_namespace: &'a str,
    /// YAML documents seen so far, against MAX_DOCUMENTS.
    documents: usize,
}

impl<'a> Loader<'a> {
    pub(super) fn new(default_namespace: &'a str) -> Self {
        Loader {
            snap: Snapshot::default(),
            configmaps: Vec::new(),
            istiods: Vec::new(),
            default_namespace,
            documents: 0,
        }
    }

    pub(super) fn add_input(&mut self, input: &Input) -> Result<()> {
        if let Some(path) = &input.stream {
            return self.add_stream(input, path);
        }
        self.add_text(input, &input.text)
    }

    /// A big JSON file: its List's items are decoded as they are read, into a Loader of
    /// their own that joins this one once the List is complete. Anything else (not a List,
    /// broken JSON, an item in error) is read again whole, for the same result and errors
    /// as a file read whole.
    fn add_stream(&mut self, input: &Input, path: &std::path::Path) -> Result<()> {
        let file = input.name.as_str();
        let mut part = Loader::new(self.default_namespace);
        let reader = read::open_stream(file, path)?;
        // The scanner (reading, finding where items end, checking UTF-8) runs on a thread of
        // its own beside the decoding, a bounded number of batches ahead. Items travel in
        // batches, whose buffers come back to be refilled: one hand-over per batch rather
        // than per item (at 80k pods, per-item sends cost thousands of context switches
        // and a cross-thread free per item). An item in error stops the scanner: the
        // channel closes and its next send fails.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
        let (back, spare) = std::sync::mpsc::channel::<Batch>();
        let mut failed = false;
        let streamed = std::thread::scope(|scope| {
            let scanner = scope.spawn(move || {
                let mut batch = Batch::default();
                let head = stream::list_items(reader, |text, line| {
                    batch.push(text, line);
                    if batch.text.len() < BATCH_BYTES {
                        return Ok(());
                    }
                    let next = spare.try_recv().unwrap_or_default();
                    tx.send(std::mem::replace(&mut batch, next)).map_err(|_| ())
                });
                // What was read before the end (or before a stop) is decoded, as when each
                // item went on its own. The consumer may have stopped on an item in error.
                if !batch.items.is_empty() {
                    let _ = tx.send(batch);
                }
                head
            });
            'batches: for mut batch in rx {
                for (text, line) in batch.items() {
                    if part.add_item(input, text, line).is_err() {
                        failed = true;
                        break 'batches;
                    }
                }
                batch.clear();
                // The scanner is gone once the List is read: the buffer is then dropped.
                let _ = back.send(batch);
            }
            scanner
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        let streamed = if failed {
            Err(Stop::Item(()))
        } else {
            streamed
        };
        match streamed {
            Ok(head) if is_list(&head.api_version, &head.kind) => {
                let Loader {
                    snap,
                    configmaps,
                    istiods,
                    ..
                } = part;
                self.snap.append(snap);
                self.configmaps.extend(configmaps);
                self.istiods.extend(istiods);
                Ok(())
            }
            Err(Stop::Io(e)) => Err(read::cannot_read(file)(e)),
            Err(Stop::Binary) => Err(read::binary(file)),
            Err(Stop::NotUtf8(line)) => Err(read::not_utf8(file, line)),
            Ok(_) | Err(Stop::Fallback | Stop::Item(())) => {
                drop(part);
                // The input's name is its path (`Reader::read_file`).
                let text = read::read_text(file)?;
                self.add_text(input, &text)
            }
        }
    }

    /// One item of a streamed List, as `Doc::add_items` adds it. `Err`: it is in error, or
    /// not valid JSON (an item that is not decoded is checked on its own).
    fn add_item(&mut self, input: &Input, text: &str, line: usize) -> std::result::Result<(), ()> {
        let mut doc = self.doc(input, 1, line);
        doc.add(Head::peek(text), text).map_err(|_| ())?;
        if !doc.decoded.get() {
            serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|_| ())?;
        }
        Ok(())
    }

    fn add_text(&mut self, input: &Input, text: &str) -> Result<()> {
        let file = input.name.as_str();
        if file.ends_with(".json") || text.trim_start().starts_with('{') {
            let head = Head::scan(text).map_err(|e| {
                let msg = if e.to_string().starts_with("recursion limit exceeded") {
                    format!("nested deeper than {MAX_JSON_DEPTH} levels (limit)")
                } else {
                    e.to_string()
                };
                Error::Input(format!(
                    "{file}:{}:{}: invalid JSON: {msg}",
                    e.line(),
                    e.column()
                ))
            })?;
            let line = text[..text.len() - text.trim_start().len()]
                .matches('\n')
                .count()
                + 1;
            let mut doc = self.doc(input, 1, line);
            doc.lines = Some(LineCounter::new(text, 1));
            return doc.add(head, text);
        }
        let budget = MAX_DOCUMENTS - self.documents;
        let docs = documents::split_yaml(text, budget).map_err(|n| {
            Error::Input(format!(
                "{file}: more than {MAX_DOCUMENTS} YAML documents in the input (limit; document {} of this file is one too many)",
                n
            ))
        })?;
        self.documents += docs.len();
        for d in docs {
            let json = documents::yaml_to_json(d.text).map_err(|e| {
                let at =
                    e.at.map(|(l, c)| format!(":{}:{c}", l as usize + d.first_line - 1))
                        .unwrap_or_default();
                Error::Input(format!(
                    "{file}{at} (document {}): invalid YAML: {}",
                    d.number,
                    yaml_reason(&e.message)
                ))
            })?;
            if json == "null" {
                continue;
            }
            let head = Head::scan(&json)
                .map_err(|e| Error::Input(format!("{file} (document {}): {e}", d.number)))?;
            let mut doc = self.doc(input, d.number, d.line);
            if matches!(head.items, Some(Items::Seq(_))) {
                doc.item_lines = documents::yaml_list_item_lines(&d);
            }
            doc.add(head, &json)?;
        }
        Ok(())
    }

    fn doc<'s>(&'s mut self, input: &'s Input, doc_no: usize, line: usize) -> Doc<'s> {
        Doc {
            file: &input.name,
            doc_no,
            explicit: input.explicit,
            origin: Arc::new(Origin {
                file: input.name.clone(),
                document: doc_no,
                line,
            }),
            lines: None,
            item_lines: Vec::new(),
            decoded: std::cell::Cell::new(false),
            name: String::new(),
            bad_name: None,
            snap: &mut self.snap,
            configmaps: &mut self.configmaps,
            istiods: &mut self.istiods,
            default_namespace: self.default_namespace,
        }
    }
}

/// Whether a document with this `apiVersion` and `kind` is a List whose items are objects
/// (`List`, or a core `PodList` as the API server names one).
fn is_list(api_version: &Option<Value>, kind: &Option<Value>) -> bool {
    let (Some(Value::String(v)), Some(Value::String(k))) = (api_version, kind) else {
        return false;
    };
    let group = v.rsplit_once('/').map_or("", |(g, _)| g);
    !v.is_empty() && (k == "List" || k.ends_with("List") && group.is_empty())
}

/// The parser's message without its position (relative to the document, and given already
/// in the error's prefix), and budget breaches named as the limits they are.
fn yaml_reason(msg: &str) -> String {
    let msg = msg.split(" at line ").next().unwrap_or(msg).trim_end();
    let lower = msg.to_lowercase();
    let breach = lower.contains("budget breached") || lower.contains("limit");
    if breach && (lower.contains("alias") || lower.contains("anchor") || lower.contains("replay")) {
        format!(
            "aliases expand beyond the limits ({MAX_YAML_ALIASES} aliases, {MAX_YAML_ALIAS_EXPANSION} expanded events per document)"
        )
    } else if breach
        && (lower.contains("depth") || lower.contains("recursion") || lower.contains("nesting"))
    {
        format!("nested deeper than {MAX_YAML_DEPTH} levels (limit)")
    } else {
        // serde-saphyr's advice to its API users is no help to ours.
        msg.split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(msg)
            .to_string()
    }
}

/// One document (or `kind: List` item) being added to the Snapshot.
struct Doc<'a> {
    file: &'a str,
    doc_no: usize,
    explicit: bool,
    origin: Arc<Origin>,
    /// Line numbers of raw list items, when the object text is the file's own text (JSON).
    lines: Option<LineCounter<'a>>,
    /// Line numbers of the items of a YAML List, when a line scan found them.
    item_lines: Vec<usize>,
    /// Whether an object was decoded (and so its text validated) since this was cleared.
    decoded: std::cell::Cell<bool>,
    /// `metadata.name` of the object being added, for messages.
    name: String,
    /// A `metadata.name` that is not a string (YAML reads `name: off` as a boolean and
    /// `name: 123` as a number), as written, for the error.
    bad_name: Option<String>,
    snap: &'a mut Snapshot,
    configmaps: &'a mut Vec<(String, ConfigMap)>,
    istiods: &'a mut Vec<Deployment>,
    default_namespace: &'a str,
}

impl Doc<'_> {
    fn err(&self, what: &str, msg: &str) -> Error {
        Error::Input(format!(
            "{} (document {}{what}): {msg}",
            self.file, self.doc_no
        ))
    }

    /// A document that is not a Kubernetes object: an error in a file named explicitly,
    /// skipped and counted in a directory (kustomize patches, Helm values, CI configs).
    fn not_an_object(&mut self, msg: &str) -> Result<()> {
        if self.explicit {
            return Err(self.err("", msg));
        }
        *self
            .snap
            .non_kubernetes
            .entry("documents without apiVersion/kind".into())
            .or_default() += 1;
        Ok(())
    }

    /// Adds one object (or every item of a List) from its JSON text and head.
    fn add(&mut self, head: Head, obj: &str) -> Result<()> {
        if !head.object {
            return self.not_an_object("not a Kubernetes object (expected a mapping)");
        }
        let kind = match &head.kind {
            Some(Value::String(k)) if !k.is_empty() => k.clone(),
            Some(_) => return Err(self.err("", "`kind` must be a non-empty string")),
            None => return self.not_an_object("missing `kind`"),
        };
        let api_version = match &head.api_version {
            Some(Value::String(v)) if !v.is_empty() => v.clone(),
            _ => return self.not_an_object(&format!("{kind} is missing `apiVersion`")),
        };
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        if is_list(&head.api_version, &head.kind) {
            return self.add_items(head, obj);
        }
        self.name = match &head.name {
            Some(Value::String(n)) => n.clone(),
            _ => String::new(),
        };
        self.bad_name = match &head.name {
            Some(Value::String(_) | Value::Null) | None => None,
            Some(v) => Some(v.to_string()),
        };
        let what = format!(", {kind} {}", self.name);
        let ns = self.default_namespace.to_string();
        macro_rules! push {
            ($field:ident, $ty:ty, namespaced) => {{
                let mut o: $ty = self.decode(&what, obj)?;
                o.metadata.origin = Some(self.origin.clone());
                if o.metadata.namespace.is_empty() {
                    o.metadata.namespace = ns;
                }
                self.snap.$field.push(o);
            }};
        }
        match (group, kind.as_str()) {
            ("", "Namespace") => {
                let mut o: Namespace = self.decode(&what, obj)?;
                o.metadata.origin = Some(self.origin.clone());
                // The API server sets it on every Namespace, whatever the manifest says.
                o.metadata
                    .labels
                    .insert(NAMESPACE_NAME_LABEL.into(), o.metadata.name.clone());
                self.snap.namespaces.push(o);
            }
            ("", "Pod") => push!(pods, Pod, namespaced),
            ("", "Service") => push!(services, Service, namespaced),
            ("", "ConfigMap") => {
                let mut cm: ConfigMap = self.decode(&what, obj)?;
                if cm.metadata.namespace.is_empty() {
                    cm.metadata.namespace = ns;
                }
                if cm.metadata.name == "istio"
                    && (cm.data.contains_key("mesh") || cm.data.contains_key("meshNetworks"))
                {
                    self.configmaps.push((self.file.to_string(), cm));
                } else {
                    self.skip("ConfigMap");
                }
            }
            (g, k) if CONTROLLER_KINDS.contains(&(g, k)) => {
                let mut c: Controller = self.decode(&what, obj)?;
                c.kind = kind.clone();
                c.metadata.origin = Some(self.origin.clone());
                if c.metadata.namespace.is_empty() {
                    c.metadata.namespace = ns;
                }
                // istiod's Deployment is read for the mesh settings, not as a workload.
                if k == "Deployment"
                    && (c.metadata.name == "istiod" || c.metadata.label("app") == Some("istiod"))
                {
                    self.istiods.push(c);
                } else {
                    self.snap.controllers.push(c);
                }
            }
            ("networking.istio.io", "ServiceEntry") => {
                push!(service_entries, ServiceEntry, namespaced)
            }
            ("gateway.networking.k8s.io", "Gateway") => push!(gateways, Gateway, namespaced),
            ("gateway.networking.k8s.io", "GatewayClass") => {
                let mut o: GatewayClass = self.decode(&what, obj)?;
                o.metadata.origin = Some(self.origin.clone());
                self.snap.gateway_classes.push(o);
            }
            ("gateway.networking.k8s.io", "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute") => {
                let mut o: Route = self.decode(&what, obj)?;
                o.metadata.origin = Some(self.origin.clone());
                o.kind = kind.clone();
                if o.metadata.namespace.is_empty() {
                    o.metadata.namespace = ns;
                }
                self.snap.routes.push(o);
            }
            ("security.istio.io", "AuthorizationPolicy") => {
                push!(authorization_policies, AuthorizationPolicy, namespaced)
            }
            ("security.istio.io", "PeerAuthentication") => {
                push!(peer_authentications, PeerAuthentication, namespaced)
            }
            ("networking.k8s.io", "NetworkPolicy") => {
                let np: NetworkPolicy = self.decode(&what, obj)?;
                np.validate().map_err(|e| self.err(&what, &e))?;
                let mut o = np;
                o.metadata.origin = Some(self.origin.clone());
                if o.metadata.namespace.is_empty() {
                    o.metadata.namespace = ns;
                }
                self.snap.network_policies.push(o)
            }
            ("security.istio.io", "RequestAuthentication")
            | ("telemetry.istio.io", "Telemetry")
            | ("extensions.istio.io", "WasmPlugin")
            | ("networking.istio.io", "EnvoyFilter") => {
                let mut o: ExtensionPolicy = self.decode(&what, obj)?;
                o.metadata.origin = Some(self.origin.clone());
                o.kind = kind.clone();
                if o.metadata.namespace.is_empty() {
                    o.metadata.namespace = ns;
                }
                self.snap.extensions.push(o);
            }
            // Installed with Istio but never read in ambient mode: IstioOperator only drives
            // `istioctl install`; a Sidecar resource configures sidecar proxies and has no
            // effect on ambient pods (SEMANTICS.md section 8; istioctl analyze IST0167).
            // DestinationRule and VirtualService are not here: waypoints apply them.
            ("install.istio.io", "IstioOperator") | ("networking.istio.io", "Sidecar") => {
                *self.snap.ignored_kinds.entry(kind.clone()).or_default() += 1
            }
            // Kustomize's own files (Kustomization, Component) describe how to build objects.
            ("kustomize.config.k8s.io", _) => {
                *self
                    .snap
                    .non_kubernetes
                    .entry("kustomization.yaml (render it: -k DIR)".into())
                    .or_default() += 1
            }
            _ => self.skip(&if group.is_empty() {
                kind.clone()
            } else {
                format!("{kind}.{group}")
            }),
        }
        Ok(())
    }

    /// The items of a `kind: List`, each with its own line when the text is the file's.
    fn add_items(&mut self, head: Head, obj: &str) -> Result<()> {
        // A List met as a list item was only peeked at: read it whole for its items.
        let head = if head.items.is_none() {
            Head::scan(obj).map_err(|e| self.err("", &e.to_string()))?
        } else {
            head
        };
        let items = match head.items {
            Some(Items::Seq(items)) => items,
            None | Some(Items::Null) => vec![],
            Some(Items::Other) => return Err(self.err("", "`items` of a List must be a sequence")),
        };
        let outer = self.origin.clone();
        let yaml_lines = std::mem::take(&mut self.item_lines);
        let yaml_lines = (yaml_lines.len() == items.len()).then_some(yaml_lines);
        for (k, item) in items.into_iter().enumerate() {
            let line = match (&mut self.lines, &yaml_lines) {
                (Some(lines), _) => Some(lines.line_of(item.get())),
                (None, Some(l)) => Some(l[k]),
                _ => None,
            };
            if let Some(line) = line {
                self.origin = Arc::new(Origin {
                    line,
                    ..(*outer).clone()
                });
            }
            self.add(Head::peek(item.get()), item.get())?;
        }
        self.origin = outer;
        Ok(())
    }

    fn skip(&mut self, kind: &str) {
        *self.snap.skipped.entry(kind.to_string()).or_default() += 1;
    }

    /// Decodes a modelled object from its text; it must have a name.
    fn decode<T: DeserializeOwned>(&self, what: &str, obj: &str) -> Result<T> {
        if let Some(v) = &self.bad_name {
            let kind = what.trim_end();
            return Err(self.err(
                kind,
                &format!("metadata.name must be a string, not {v}: quote it (name: \"{v}\")"),
            ));
        }
        if self.name.is_empty() {
            let kind = what.trim_end();
            return Err(self.err(kind, "missing metadata.name"));
        }
        // Most objects decode: without tracking the path (a quarter of the decoding's time
        // on a big mesh). The path is wanted only for the message, so a failure is decoded
        // again with it.
        self.decoded.set(true);
        let mut de = serde_json::Deserializer::from_str(obj);
        if let Ok(v) = T::deserialize(&mut de) {
            return Ok(v);
        }
        let mut de = serde_json::Deserializer::from_str(obj);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let mut msg = one_line(documents::without_position(&inner));
            if msg.starts_with("recursion limit exceeded") {
                msg = format!("nested deeper than {MAX_JSON_DEPTH} levels (limit)");
            }
            if path == "." {
                self.err(what, &msg)
            } else {
                self.err(what, &format!("{path}: {msg}"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Batch;

    #[test]
    fn a_batch_hands_back_each_item_with_its_line() {
        let mut b = Batch::default();
        b.push("{\"a\":1}", 3);
        b.push("{}", 4);
        b.push("{\"b\":\"é\"}", 9);
        let got: Vec<_> = b.items().collect();
        assert_eq!(got, [("{\"a\":1}", 3), ("{}", 4), ("{\"b\":\"é\"}", 9)]);
        b.clear();
        assert_eq!(b.items().count(), 0);
        b.push("{\"c\":2}", 12);
        assert_eq!(b.items().collect::<Vec<_>>(), [("{\"c\":2}", 12)]);
    }
}
