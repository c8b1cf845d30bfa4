//! Manifests from files: multi-document YAML, JSON, `kind: List`, directories (recursive),
//! stdin, and kustomize directories (`-k`, rendered by `kubectl kustomize`).
//!
//! Objects are decoded straight from their text into the slim model types (see
//! `documents`), so memory stays near the input size and time linear in it. Every input is
//! bounded by the limits in `limits`.

use super::documents::{self, one_line, Head, Items, LineCounter};
use super::limits::*;
use crate::error::{Error, Result};
use crate::model::labels::NAMESPACE_NAME_LABEL;
use crate::model::*;
use crate::snapshot::{InputNote, Snapshot, DEFAULT_ISTIO_NAMESPACE};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The file names kustomize looks for in a directory.
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Reads every `-f` argument into one Snapshot. Objects without a namespace get
/// `default_namespace`, as `kubectl apply -n` would do.
pub fn load(args: &[String], default_namespace: &str) -> Result<Snapshot> {
    load_inputs(args, &[], default_namespace, DEFAULT_ISTIO_NAMESPACE)
}

/// Reads `-f` arguments and `-k` kustomize directories into one Snapshot. `istio_namespace`
/// (`--istio-namespace`) is where istiod runs when the input holds no istiod Deployment:
/// only the `istio` ConfigMap there is mesh config.
pub fn load_inputs(
    files: &[String],
    kustomize_dirs: &[String],
    default_namespace: &str,
    istio_namespace: &str,
) -> Result<Snapshot> {
    let mut r = Reader::default();
    for arg in files {
        r.read_arg(arg)?;
    }
    for dir in kustomize_dirs {
        r.kustomize(dir)?;
    }
    let mut snap = build(
        std::mem::take(&mut r.inputs),
        default_namespace,
        istio_namespace,
    )?;
    for (what, n) in r.skipped {
        *snap.non_kubernetes.entry(what).or_default() += n;
    }
    Ok(snap)
}

/// Builds a Snapshot from (file name, contents) pairs; the name is used in error messages.
/// Every text counts as named explicitly: a document that is not a Kubernetes object is an
/// error.
pub fn from_texts(texts: &[(String, String)], default_namespace: &str) -> Result<Snapshot> {
    let inputs: Vec<Input> = texts
        .iter()
        .map(|(name, text)| Input {
            name: name.clone(),
            text: text.clone(),
            explicit: true,
        })
        .collect();
    build(inputs, default_namespace, DEFAULT_ISTIO_NAMESPACE)
}

/// One input text and how it was named.
struct Input {
    name: String,
    text: String,
    /// Named on the command line (or stdin, or kustomize output) rather than found in a
    /// directory: documents that are not Kubernetes objects are errors, not skipped.
    explicit: bool,
}

/// Each input's text is dropped once its objects are decoded, before the analysis needs
/// memory of its own.
fn build(inputs: Vec<Input>, default_namespace: &str, istio_namespace: &str) -> Result<Snapshot> {
    let mut l = Loader {
        snap: Snapshot::default(),
        configmaps: Vec::new(),
        istiods: Vec::new(),
        default_namespace,
        documents: 0,
    };
    for input in inputs {
        l.add_input(&input)?;
    }
    let Loader {
        mut snap,
        configmaps,
        istiods,
        ..
    } = l;
    dedupe(&mut snap);
    // Mesh settings: istiod's Deployment, then the `istio` ConfigMap (data.mesh) of
    // istiod's namespace: the one of the istiod Deployments in the input, else the flag's
    // (as the cluster source reads it). istiod reads the mesh config of its own namespace
    // only (`pilot/pkg/bootstrap/mesh.go`: the `istio` ConfigMap in its pod's namespace);
    // one elsewhere is inert.
    for d in &istiods {
        snap.mesh.apply_istiod(d);
    }
    let mut istio_namespaces: Vec<&str> = istiods
        .iter()
        .map(|d| d.metadata.namespace.as_str())
        .collect();
    if istio_namespaces.is_empty() {
        istio_namespaces.push(istio_namespace);
    }
    istio_namespaces.sort_unstable();
    istio_namespaces.dedup();
    for (file, cm) in &configmaps {
        let ns = cm.metadata.namespace.as_str();
        if !istio_namespaces.contains(&ns) {
            snap.input_notes.push(InputNote {
                setting: format!("ConfigMap {ns}/istio"),
                value: "ignored".into(),
                source: format!(
                    "{file}: not in istiod's namespace ({}), whose istio ConfigMap alone is mesh config",
                    istio_namespaces.join(", ")
                ),
            });
            continue;
        }
        if let Some(mesh) = cm.data.get("mesh") {
            let mc: MeshConfig = serde_saphyr::from_str(mesh).map_err(|e| {
                Error::Input(format!(
                    "{file}: ConfigMap {ns}/istio: data.mesh is not valid MeshConfig YAML: {}",
                    one_line(&e.to_string())
                ))
            })?;
            let source = format!("ConfigMap {ns}/istio");
            snap.mesh.apply_mesh_config(&mc, &source);
        }
    }
    snap.normalise();
    Ok(snap)
}

/// One object given more than once (same kind, namespace and name: the same file named
/// twice, a kustomize base beside a rendered copy). `kubectl apply` applies documents in
/// order and each apply replaces the object, so the cluster ends with the last copy: that
/// is what a kubectl user expects here too, rather than a refusal that `kubectl apply`
/// would not give. The earlier copies are dropped, so the analysis does not depend on the
/// order they came in (only on which one is last), and the report says which one won.
fn dedupe(snap: &mut Snapshot) {
    fn keep_last<T>(
        list: &mut Vec<T>,
        key: impl Fn(&T) -> (String, &ObjectMeta),
        notes: &mut Vec<InputNote>,
    ) {
        let mut last: BTreeMap<(String, &str, &str), usize> = BTreeMap::new();
        for (i, o) in list.iter().enumerate() {
            let (kind, m) = key(o);
            last.insert((kind, m.namespace.as_str(), m.name.as_str()), i);
        }
        if last.len() == list.len() {
            return;
        }
        let mut dropped: BTreeMap<(String, &str, &str), Vec<usize>> = BTreeMap::new();
        for (i, o) in list.iter().enumerate() {
            let (kind, m) = key(o);
            let k = (kind, m.namespace.as_str(), m.name.as_str());
            if last[&k] != i {
                dropped.entry(k).or_default().push(i);
            }
        }
        let at = |i: usize| {
            key(&list[i])
                .1
                .origin
                .as_ref()
                .map_or_else(|| "?".to_string(), |o| format!("{}:{}", o.file, o.document))
        };
        for (k, earlier) in &dropped {
            let earlier: Vec<String> = earlier.iter().map(|&i| at(i)).collect();
            notes.push(InputNote {
                setting: format!("duplicate {}", resource_key(&k.0, k.1, k.2)),
                value: format!("kept {}", at(last[k])),
                source: format!(
                    "also in {} (FILE:DOCUMENT); kubectl apply keeps the last one applied",
                    earlier.join(", ")
                ),
            });
        }
        let keep: std::collections::HashSet<usize> = last.into_values().collect();
        let mut i = 0;
        list.retain(|_| {
            i += 1;
            keep.contains(&(i - 1))
        });
    }
    let mut notes = Vec::new();
    let n = &mut notes;
    keep_last(
        &mut snap.namespaces,
        |o| ("Namespace".into(), &o.metadata),
        n,
    );
    keep_last(&mut snap.pods, |o| (o.kind().into(), &o.metadata), n);
    keep_last(&mut snap.controllers, |o| (o.kind.clone(), &o.metadata), n);
    keep_last(&mut snap.services, |o| ("Service".into(), &o.metadata), n);
    keep_last(
        &mut snap.service_entries,
        |o| ("ServiceEntry".into(), &o.metadata),
        n,
    );
    keep_last(&mut snap.gateways, |o| ("Gateway".into(), &o.metadata), n);
    keep_last(
        &mut snap.gateway_classes,
        |o| ("GatewayClass".into(), &o.metadata),
        n,
    );
    keep_last(
        &mut snap.authorization_policies,
        |o| ("AuthorizationPolicy".into(), &o.metadata),
        n,
    );
    keep_last(
        &mut snap.peer_authentications,
        |o| ("PeerAuthentication".into(), &o.metadata),
        n,
    );
    keep_last(&mut snap.extensions, |o| (o.kind.clone(), &o.metadata), n);
    keep_last(&mut snap.routes, |o| (o.kind.clone(), &o.metadata), n);
    notes.sort_by(|a, b| a.setting.cmp(&b.setting));
    // A directory given twice repeats every object: name the first few, count the rest.
    if notes.len() > MAX_DUPLICATE_NOTES {
        let more = notes.len() - MAX_DUPLICATE_NOTES;
        notes.truncate(MAX_DUPLICATE_NOTES);
        notes.push(InputNote {
            setting: "duplicate objects".into(),
            value: format!("{more} more"),
            source: "each keeps its last copy, as above (the same file or directory given twice?)"
                .into(),
        });
    }
    snap.input_notes.extend(notes);
}

/// Duplicate objects named one by one in the assumptions; more are counted.
const MAX_DUPLICATE_NOTES: usize = 10;

struct Loader<'a> {
    snap: Snapshot,
    configmaps: Vec<(String, ConfigMap)>,
    istiods: Vec<Deployment>,
    default_namespace: &'a str,
    /// YAML documents seen so far, against MAX_DOCUMENTS.
    documents: usize,
}

impl Loader<'_> {
    fn add_input(&mut self, input: &Input) -> Result<()> {
        let (file, text) = (input.name.as_str(), input.text.as_str());
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
            name: String::new(),
            bad_name: None,
            snap: &mut self.snap,
            configmaps: &mut self.configmaps,
            istiods: &mut self.istiods,
            default_namespace: self.default_namespace,
        }
    }
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

/// Collects input texts within the limits, remembering what directories held that is not
/// Kubernetes YAML.
#[derive(Default)]
struct Reader {
    inputs: Vec<Input>,
    total: u64,
    files: usize,
    skipped: BTreeMap<String, usize>,
}

impl Reader {
    /// Expands one argument: `-` is stdin, a directory is walked.
    fn read_arg(&mut self, arg: &str) -> Result<()> {
        if arg == "-" {
            let bytes = read_limited(std::io::stdin().lock(), "<stdin>", 0)?;
            return self.push("<stdin>".into(), bytes, true);
        }
        let path = Path::new(arg);
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::Input(format!("{arg}: cannot read: {}", io_reason(&e))))?;
        if !meta.is_dir() {
            return self.read_file(path, true);
        }
        if path.join("Chart.yaml").is_file() {
            return Err(Error::Input(format!(
                "{arg}: a Helm chart holds templates, not objects; render it: helm template NAME {arg} | kubectl ambient-policy explain -f -"
            )));
        }
        let mut files = Vec::new();
        let skipped_before: usize = self.skipped.values().sum();
        self.walk(path, &mut files, &mut HashSet::new())?;
        if files.is_empty() && self.skipped.values().sum::<usize>() == skipped_before {
            return Err(Error::Input(format!(
                "{arg}: directory has no .yaml, .yml or .json files"
            )));
        }
        for f in files {
            self.read_file(&f, false)?;
        }
        Ok(())
    }

    /// Collects manifest files under `dir`, sorted, following symbolic links but visiting
    /// each directory once (a link loop ends there). Hidden entries (`.git`, `.github`) are
    /// not manifests; a Helm chart (a directory with `Chart.yaml`) holds templates, not
    /// objects, and is skipped whole.
    fn walk(
        &mut self,
        dir: &Path,
        out: &mut Vec<PathBuf>,
        seen: &mut HashSet<PathBuf>,
    ) -> Result<()> {
        let read_err = |e: std::io::Error| {
            Error::Input(format!("{}: cannot read: {}", dir.display(), io_reason(&e)))
        };
        if !seen.insert(dir.canonicalize().map_err(read_err)?) {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read_err)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(read_err)?;
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                if p.join("Chart.yaml").is_file() {
                    self.skip("Helm chart (render it: helm template ... | -f -)");
                } else {
                    self.walk(&p, out, seen)?;
                }
            } else if KUSTOMIZATION_FILES.contains(&name) {
                self.skip("kustomization.yaml (render it: -k DIR)");
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e))
            {
                if out.len() >= MAX_FILES {
                    return Err(Error::Input(format!(
                        "{}: more than {MAX_FILES} manifest files (limit)",
                        dir.display()
                    )));
                }
                out.push(p);
            }
        }
        Ok(())
    }

    fn skip(&mut self, what: &str) {
        *self.skipped.entry(what.to_string()).or_default() += 1;
    }

    fn read_file(&mut self, path: &Path, explicit: bool) -> Result<()> {
        let name = path.display().to_string();
        let cannot =
            |e: std::io::Error| Error::Input(format!("{name}: cannot read: {}", io_reason(&e)));
        let f = std::fs::File::open(path).map_err(cannot)?;
        // Refuse a big regular file before reading it; devices and pipes are cut at the limit.
        let len = f.metadata().map_err(cannot)?.len();
        if len > MAX_FILE_BYTES {
            return Err(too_big(&name));
        }
        let bytes = read_limited(f, &name, len as usize)?;
        self.files += 1;
        self.push(name, bytes, explicit)
    }

    fn push(&mut self, name: String, bytes: Vec<u8>, explicit: bool) -> Result<()> {
        self.total += bytes.len() as u64;
        if self.total > MAX_TOTAL_BYTES {
            return Err(Error::Input(format!(
                "{name}: the inputs together exceed {} MiB (limit)",
                MAX_TOTAL_BYTES >> 20
            )));
        }
        let text = decode_text(&name, bytes)?;
        self.inputs.push(Input {
            name,
            text,
            explicit,
        });
        Ok(())
    }

    /// `-k DIR`: the objects `kubectl kustomize DIR` renders, as kubectl would apply them.
    fn kustomize(&mut self, dir: &str) -> Result<()> {
        let path = Path::new(dir);
        if !path.is_dir() {
            return Err(Error::Input(match std::fs::metadata(path) {
                Err(e) => format!("{dir}: cannot read: {}", io_reason(&e)),
                Ok(_) => format!("{dir}: -k needs a kustomize directory (use -f for files)"),
            }));
        }
        if !KUSTOMIZATION_FILES.iter().any(|f| path.join(f).is_file()) {
            return Err(Error::Input(format!(
                "{dir}: not a kustomize directory (no kustomization.yaml); use -f to read its manifests"
            )));
        }
        let out = std::process::Command::new("kubectl")
            .args(["kustomize", dir])
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| {
                Error::Input(if e.kind() == std::io::ErrorKind::NotFound {
                    "cannot run `kubectl kustomize`: kubectl is not on PATH".to_string()
                } else {
                    format!("cannot run `kubectl kustomize`: {}", io_reason(&e))
                })
            })?;
        let name = format!("{dir} (kustomize)");
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let reason = err
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("no message");
            let reason = reason.strip_prefix("error: ").unwrap_or(reason);
            return Err(Error::Input(format!(
                "{dir}: kubectl kustomize failed: {}",
                one_line(reason)
            )));
        }
        if out.stdout.len() as u64 > MAX_FILE_BYTES {
            return Err(too_big(&name));
        }
        self.push(name, out.stdout, true)
    }
}

fn too_big(name: &str) -> Error {
    Error::Input(format!(
        "{name}: larger than {} MiB (limit)",
        MAX_FILE_BYTES >> 20
    ))
}

/// Reads at most one byte more than the limit, so endless inputs (`/dev/zero`, a pipe that
/// never closes) stop there; binary data is recognised in its first block, before the rest
/// is read. `size`: the expected size (a regular file's length, else 0), so that the text is
/// held in one allocation of its size rather than in one grown by doubling.
fn read_limited(mut r: impl Read, name: &str, size: usize) -> Result<Vec<u8>> {
    let cannot =
        |e: std::io::Error| Error::Input(format!("{name}: cannot read: {}", io_reason(&e)));
    let mut bytes = Vec::with_capacity(size.max(SNIFF_BYTES) + 1);
    bytes.resize(SNIFF_BYTES, 0);
    let mut n = 0;
    while n < SNIFF_BYTES {
        match r.read(&mut bytes[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cannot(e)),
        }
    }
    bytes.truncate(n);
    check_not_binary(name, &bytes)?;
    r.take(MAX_FILE_BYTES + 1 - n as u64)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(name));
    }
    Ok(bytes)
}

/// How much of an input is looked at for binary data before reading the rest (as git does).
const SNIFF_BYTES: usize = 8192;

fn check_not_binary(name: &str, bytes: &[u8]) -> Result<()> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Error::Input(format!(
            "{name}: UTF-16 text; convert it to UTF-8"
        )));
    }
    if bytes.contains(&0) {
        return Err(Error::Input(format!(
            "{name}: binary data (NUL bytes), not YAML or JSON"
        )));
    }
    Ok(())
}

/// Manifests are UTF-8 text; say clearly what else a file is.
fn decode_text(name: &str, mut bytes: Vec<u8>) -> Result<String> {
    check_not_binary(name, &bytes)?;
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::Input(format!("{name}:{line}: not UTF-8 text (invalid byte)"))
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
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
        if kind == "List" || kind.ends_with("List") && group.is_empty() {
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
                if cm.metadata.name == "istio" && cm.data.contains_key("mesh") {
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
    use super::*;

    fn origins(snap: &Snapshot) -> Vec<(&str, usize, usize)> {
        snap.pods
            .iter()
            .map(|p| {
                let o = p.metadata.origin.as_ref().unwrap();
                (p.metadata.name.as_str(), o.document, o.line)
            })
            .collect()
    }

    fn pod(name: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n")
    }

    #[test]
    fn origins_name_file_document_and_line() {
        let yaml = format!("# head\n{}---\n\n# c\n{}", pod("a"), pod("b"));
        let snap = from_texts(&[("m.yaml".into(), yaml)], "default").unwrap();
        assert_eq!(origins(&snap), vec![("a", 1, 2), ("b", 2, 9)]);
        assert_eq!(
            snap.pods[0].metadata.origin.as_ref().unwrap().file,
            "m.yaml"
        );
    }

    #[test]
    fn list_items_have_their_own_lines() {
        let json = "{\"apiVersion\": \"v1\", \"items\": [\n{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}},\n\n{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"b\"}}\n], \"kind\": \"List\"}\n";
        let snap = from_texts(&[("l.json".into(), json.into())], "default").unwrap();
        assert_eq!(origins(&snap), vec![("a", 1, 2), ("b", 1, 4)]);
        // `kubectl get -o yaml`: keys sorted, items at column 0.
        let yaml = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
        let snap = from_texts(&[("l.yaml".into(), yaml.into())], "default").unwrap();
        assert_eq!(origins(&snap), vec![("a", 1, 3), ("b", 1, 7)]);
    }
}
