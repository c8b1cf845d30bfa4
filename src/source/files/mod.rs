//! Manifests from files: multi-document YAML, JSON, `kind: List`, directories (recursive),
//! stdin, and kustomize directories (`-k`, rendered by `kubectl kustomize`).
//!
//! Objects are decoded straight from their text into the slim model types (see
//! `documents`), so memory stays near the input size and time linear in it. Every input is
//! bounded by the limits in `limits`.
//!
//! `read` collects the input texts (files, directories, stdin) and `kustomize` renders `-k`
//! directories; `decode` turns each document into objects of the Snapshot; `dedupe` keeps
//! the last copy of an object given twice; `mesh_config` applies istiod's Deployment and
//! `istio` ConfigMap.

mod decode;
mod dedupe;
mod kustomize;
mod mesh_config;
mod read;
mod stream;

pub use read::read_text;

use crate::error::Result;
use crate::snapshot::{Snapshot, DEFAULT_ISTIO_NAMESPACE};
use decode::Loader;
use read::Reader;

/// The file names kustomize looks for in a directory: `-k` needs one, and a directory walk
/// skips them (they describe how to build objects, they are none).
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
            stream: None,
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
    /// A big JSON file, read when decoded, as a stream (`text` is then empty).
    stream: Option<std::path::PathBuf>,
}

/// Each input's text is dropped once its objects are decoded, before the analysis needs
/// memory of its own.
fn build(inputs: Vec<Input>, default_namespace: &str, istio_namespace: &str) -> Result<Snapshot> {
    let mut l = Loader::new(default_namespace);
    for input in inputs {
        l.add_input(&input)?;
    }
    let Loader {
        mut snap,
        configmaps,
        istiods,
        ..
    } = l;
    dedupe::dedupe(&mut snap);
    mesh_config::apply(&mut snap, &istiods, &configmaps, istio_namespace)?;
    snap.normalise();
    Ok(snap)
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
