//! Manifests from files: multi-document YAML, JSON, `kind: List`, directories (recursive).

use crate::error::{Error, Result};
use crate::model::*;
use crate::snapshot::Snapshot;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// Reads every `-f` argument into one Snapshot. Objects without a namespace get
/// `default_namespace`, as `kubectl apply -n` would do.
pub fn load(args: &[String], default_namespace: &str) -> Result<Snapshot> {
    let mut texts = Vec::new();
    for arg in args {
        texts.extend(read_arg(arg)?);
    }
    from_texts(&texts, default_namespace)
}

/// Builds a Snapshot from (file name, contents) pairs; the name is used in error messages.
pub fn from_texts(texts: &[(String, String)], default_namespace: &str) -> Result<Snapshot> {
    let mut snap = Snapshot::default();
    let mut configmaps = Vec::new();
    let mut istiods = Vec::new();
    for (name, text) in texts {
        let starts = document_start_lines(text);
        for (doc_no, obj) in parse_documents(name, text)? {
            let line = starts.get(doc_no - 1).copied().unwrap_or(1);
            let mut ctx = Doc {
                file: name,
                doc_no,
                origin: std::sync::Arc::new(Origin {
                    file: name.clone(),
                    document: doc_no,
                    line,
                }),
                snap: &mut snap,
                default_namespace,
            };
            ctx.add(obj, &mut configmaps, &mut istiods)?;
        }
    }
    // Mesh settings: istiod's Deployment, then the `istio` ConfigMap (data.mesh).
    for d in &istiods {
        snap.mesh.apply_istiod(d);
    }
    for (file, cm) in &configmaps {
        if let Some(mesh) = cm.data.get("mesh") {
            let mc: MeshConfig = serde_saphyr::from_str(mesh).map_err(|e| {
                Error::Input(format!(
                    "{file}: ConfigMap {}/istio: data.mesh is not valid MeshConfig YAML: {}",
                    cm.metadata.namespace,
                    one_line(&e.to_string())
                ))
            })?;
            let source = format!("ConfigMap {}/istio", cm.metadata.namespace);
            snap.mesh.apply_mesh_config(&mc, &source);
        }
    }
    snap.normalise();
    Ok(snap)
}

/// Expands one argument into (display name, contents): `-` is stdin, a directory is walked.
fn read_arg(arg: &str) -> Result<Vec<(String, String)>> {
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::Input(format!("<stdin>: cannot read: {}", io_reason(&e))))?;
        return Ok(vec![("<stdin>".into(), s)]);
    }
    let path = Path::new(arg);
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::Input(format!("{arg}: cannot read: {}", io_reason(&e))))?;
    let files = if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files)?;
        if files.is_empty() {
            return Err(Error::Input(format!(
                "{arg}: directory has no .yaml, .yml or .json files"
            )));
        }
        files
    } else {
        vec![path.to_path_buf()]
    };
    files
        .into_iter()
        .map(|p| {
            let name = p.display().to_string();
            let bytes = std::fs::read(&p)
                .map_err(|e| Error::Input(format!("{name}: cannot read: {}", io_reason(&e))))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::Input(format!("{name}: not UTF-8 text")))?;
            Ok((name, text))
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let read_err = |e: std::io::Error| {
        Error::Input(format!("{}: cannot read: {}", dir.display(), io_reason(&e)))
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(read_err)?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            out.push(p);
        }
    }
    Ok(())
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

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Budgets for untrusted YAML: alias bombs and deep nesting fail fast instead of eating
/// memory. The document cap is high because `kubectl get -o yaml` of a big mesh is legitimate.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 1_000_000,
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_depth: 64,
        },
        with_snippet: false,
    }
}

/// Splits a file into numbered top-level documents (1-based), skipping empty ones.
fn parse_documents(file: &str, text: &str) -> Result<Vec<(usize, Value)>> {
    let is_json = file.ends_with(".json") || text.trim_start().starts_with('{');
    let docs: Vec<Value> = if is_json {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            Error::Input(format!(
                "{file}:{}:{}: invalid JSON: {}",
                e.line(),
                e.column(),
                e
            ))
        })?;
        vec![v]
    } else {
        serde_saphyr::from_multiple_with_options(text, yaml_options()).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            let doc = e
                .location()
                .map(|l| format!(" (document {})", document_at_line(text, l.line())))
                .unwrap_or_default();
            Error::Input(format!(
                "{file}{at}{doc}: invalid YAML: {}",
                one_line(&e.to_string())
            ))
        })?
    };
    Ok(docs
        .into_iter()
        .enumerate()
        .filter(|(_, v)| !v.is_null())
        .map(|(i, v)| (i + 1, v))
        .collect())
}

/// The first content line (1-based) of each document, indexed by document number - 1,
/// counting documents as `document_at_line` does.
fn document_start_lines(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut seen_content = false;
    for (i, l) in text.lines().enumerate() {
        if l.starts_with("---") {
            seen_content = false;
        } else if !seen_content && !l.trim().is_empty() && !l.trim_start().starts_with('#') {
            seen_content = true;
            starts.push(i + 1);
        }
    }
    starts
}

/// The document number of a 1-based line, counting `---` separators before it.
fn document_at_line(text: &str, line: u64) -> usize {
    let mut doc = 1;
    let mut seen_content = false;
    for l in text.lines().take(line.saturating_sub(1) as usize) {
        if l.starts_with("---") {
            if seen_content {
                doc += 1;
            }
            seen_content = false;
        } else if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
            seen_content = true;
        }
    }
    doc
}

struct Doc<'a> {
    file: &'a str,
    doc_no: usize,
    origin: std::sync::Arc<Origin>,
    snap: &'a mut Snapshot,
    default_namespace: &'a str,
}

impl Doc<'_> {
    fn err(&self, what: &str, msg: &str) -> Error {
        Error::Input(format!(
            "{} (document {}{what}): {msg}",
            self.file, self.doc_no
        ))
    }

    fn add(
        &mut self,
        obj: Value,
        configmaps: &mut Vec<(String, ConfigMap)>,
        istiods: &mut Vec<Deployment>,
    ) -> Result<()> {
        let Value::Object(map) = &obj else {
            return Err(self.err("", "not a Kubernetes object (expected a mapping)"));
        };
        let kind = match map.get("kind") {
            Some(Value::String(k)) if !k.is_empty() => k.clone(),
            Some(_) => return Err(self.err("", "`kind` must be a non-empty string")),
            None => return Err(self.err("", "missing `kind`")),
        };
        let api_version = match map.get("apiVersion") {
            Some(Value::String(v)) if !v.is_empty() => v.clone(),
            _ => return Err(self.err("", &format!("{kind} is missing `apiVersion`"))),
        };
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        if kind == "List" || kind.ends_with("List") && group.is_empty() {
            let items = match map.get("items") {
                Some(Value::Array(items)) => items.clone(),
                None | Some(Value::Null) => vec![],
                Some(_) => return Err(self.err("", "`items` of a List must be a sequence")),
            };
            for item in items {
                self.add(item, configmaps, istiods)?;
            }
            return Ok(());
        }
        let name = map
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let what = format!(", {kind} {name}");
        if name.is_empty() {
            return Err(self.err(&format!(", {kind}"), "missing metadata.name"));
        }
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
                    configmaps.push((self.file.to_string(), cm));
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
                    istiods.push(c);
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
            _ => self.skip(&if group.is_empty() {
                kind.clone()
            } else {
                format!("{kind}.{group}")
            }),
        }
        Ok(())
    }

    fn skip(&mut self, kind: &str) {
        *self.snap.skipped.entry(kind.to_string()).or_default() += 1;
    }

    fn decode<T: DeserializeOwned>(&self, what: &str, v: Value) -> Result<T> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let msg = one_line(&e.into_inner().to_string());
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

    #[test]
    fn document_numbers_follow_separators() {
        let text = "a: 1\n---\nb: 2\n---\n# c\nc: [\n";
        assert_eq!(document_at_line(text, 1), 1);
        assert_eq!(document_at_line(text, 3), 2);
        assert_eq!(document_at_line(text, 6), 3);
        // A leading separator does not start a second document.
        assert_eq!(document_at_line("---\na: 1\n", 2), 1);
    }

    #[test]
    fn document_start_lines_skip_separators_and_comments() {
        let text = "# head\na: 1\n---\n\n# c\nb: 2\n---\nc: 3\n";
        assert_eq!(document_start_lines(text), vec![2, 6, 8]);
        assert_eq!(document_at_line(text, 6), 2);
        assert_eq!(document_at_line(text, 8), 3);
    }
}
