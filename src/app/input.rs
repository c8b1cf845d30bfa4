//! The input flags every analysing subcommand shares (`cli::InputArgs`): validated before
//! anything is read, then the one way a Snapshot is built from them: the cluster or the
//! manifests (-f, -k), with the mesh settings and namespace labels of the flags applied on top.

use crate::cli::InputArgs;
use crate::error::{Error, Result};
use crate::model::labels::parse_bool;
use crate::selector::Labels;
use crate::snapshot::{Setting, Snapshot, FEATURE_FLAGS};
use std::io::{IsTerminal, Write};

const FLAG: &str = "command-line flag";

/// The input flags, checked: a bad value is a usage error before any file or API is read.
pub(super) struct Input<'a> {
    pub args: &'a InputArgs,
    features: Vec<(String, bool)>,
    namespace_labels: Vec<(String, Labels)>,
}

impl<'a> Input<'a> {
    pub fn new(args: &'a InputArgs) -> Result<Self> {
        let namespace_labels = args
            .namespace_labels
            .iter()
            .map(|s| crate::snapshot::parse_namespace_labels(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Usage)?;
        Ok(Input {
            args,
            features: parse_features(&args.features)?,
            namespace_labels,
        })
    }

    /// The Snapshot the flags name: the cluster, or the manifests of -f and -k, settled.
    /// `progress`: a spinner on a terminal while a slow cluster read runs.
    pub fn read(&self, progress: bool) -> Result<(Snapshot, Option<String>)> {
        let (mut snap, namespace) = if self.args.offline() {
            let namespace = self.offline_namespace();
            let snap = self.manifests(
                &self.args.filenames,
                &self.args.kustomize,
                namespace.as_deref(),
            )?;
            (snap, namespace)
        } else {
            read_cluster(self.args, progress)?
        };
        self.settle(&mut snap);
        Ok((snap, namespace))
    }

    /// The cluster's objects alone (not settled: `diff` lays manifests over them first).
    pub fn cluster(&self, progress: bool) -> Result<(Snapshot, Option<String>)> {
        read_cluster(self.args, progress)
    }

    /// Manifests (not settled); objects without a namespace land in `namespace` (the one
    /// given with -n), else in "default", as with `kubectl apply`.
    pub fn manifests(
        &self,
        files: &[String],
        kustomize: &[String],
        namespace: Option<&str>,
    ) -> Result<Snapshot> {
        crate::source::files::load_inputs(
            files,
            kustomize,
            namespace.unwrap_or("default"),
            &self.args.istio_namespace,
        )
    }

    /// Offline, the namespace explained: -n; else (and with -A) every namespace the input
    /// holds objects in, as `kubectl get -f` and `kubectl diff -f` show every object of the
    /// files: scoping to "default" would skip the rest without a word, and pass --fail-on.
    pub fn offline_namespace(&self) -> Option<String> {
        self.args.namespace.clone()
    }

    /// Manifests without -n or -A: the report covers every namespace of the input (see
    /// `scope`).
    pub fn whole_input(&self) -> bool {
        self.args.offline() && self.args.namespace.is_none() && !self.args.all_namespaces
    }

    /// Explicit flags beat whatever the input said: mesh settings, features, namespace labels.
    pub fn settle(&self, snap: &mut Snapshot) {
        let (args, m) = (self.args, &mut snap.mesh);
        if let Some(r) = &args.root_namespace {
            m.root_namespace = Setting::new(r.clone(), FLAG);
        }
        if let Some(t) = &args.trust_domain {
            m.trust_domain = Setting::new(t.clone(), FLAG);
        }
        if let Some(ex) = &args.cni_exclude_namespaces {
            m.cni_exclude_namespaces = Setting::new(ex.clone(), FLAG);
        }
        for (k, v) in &self.features {
            m.features.insert(k.clone(), Setting::new(*v, FLAG));
        }
        if args.no_network_policy {
            snap.network_policies.clear();
            snap.network_policies_off = true;
        }
        if let Some(v) = &args.istio_version {
            m.istio_version = Some(Setting::new(v.clone(), "--istio-version"));
        }
        if let Some(v) = &args.ztunnel_version {
            m.ztunnel_version = Some(Setting::new(v.clone(), "--ztunnel-version"));
        }
        for (ns, labels) in &self.namespace_labels {
            snap.set_namespace_labels(ns, labels.clone());
        }
    }
}

fn parse_features(raw: &[String]) -> Result<Vec<(String, bool)>> {
    raw.iter()
        .map(|f| {
            let (name, value) = f.split_once('=').ok_or_else(|| {
                Error::Usage(format!("invalid --feature {f:?}: want NAME=true|false"))
            })?;
            if !FEATURE_FLAGS.iter().any(|(k, _)| *k == name) {
                let known = FEATURE_FLAGS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Error::Usage(format!(
                    "unknown --feature {name:?}; known: {known}"
                )));
            }
            let v = parse_bool(value).ok_or_else(|| {
                Error::Usage(format!(
                    "invalid --feature {f:?}: {value:?} is not a boolean"
                ))
            })?;
            Ok((name.to_string(), v))
        })
        .collect()
}

fn options(args: &InputArgs) -> crate::source::cluster::Options {
    crate::source::cluster::Options {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        cluster: args.cluster.clone(),
        user: args.user.clone(),
        request_timeout: args.request_timeout,
        istio_namespace: args.istio_namespace.clone(),
        verbose: args.verbose,
    }
}

/// One thread: the requests' work is moving bytes, and a long list's pages are decoded on
/// another (`source::cluster::lists`). Between worker threads, each answer and request
/// crossed threads, waiting for a sleeping worker to wake, or for a task queued behind a
/// decoding (issue 16).
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the async runtime: {e}")))
}

/// Every ztunnel's config dump, through port-forward (`verify`).
pub(super) fn ztunnel_dumps(
    args: &InputArgs,
    selector: &str,
    port: u16,
    show_progress: bool,
) -> Result<Vec<crate::source::cluster::ztunnel::NodeRead>> {
    use crate::source::cluster;
    let opts = options(args);
    let show = show_progress && std::io::stderr().is_terminal();
    runtime()?.block_on(async {
        let conn = cluster::connect(&opts).await?;
        let read = cluster::ztunnel::read_dumps(&conn, &args.istio_namespace, selector, port, show);
        tokio::time::timeout(args.request_timeout * 6, read)
            .await
            .map_err(|_| {
                Error::Cluster(format!(
                    "reading the ztunnels of context {:?} took longer than {}s; raise --request-timeout",
                    conn.context,
                    (args.request_timeout * 6).as_secs()
                ))
            })?
    })
}

/// The live source: connect through the kubeconfig, read, report what could not be read.
fn read_cluster(args: &InputArgs, show_progress: bool) -> Result<(Snapshot, Option<String>)> {
    use crate::source::cluster;
    let opts = options(args);
    let rt = runtime()?;
    let overall = args.request_timeout * 6;
    rt.block_on(async {
        let conn = cluster::connect(&opts).await?;
        let namespace = if args.all_namespaces {
            None
        } else {
            Some(args.namespace.clone().unwrap_or_else(|| conn.default_namespace.clone()))
        };
        let read = cluster::load(&conn, namespace.as_deref(), args.root_namespace.as_deref(), &args.istio_namespace);
        // A progress line on a terminal, only for a human report and only when slow.
        let show = show_progress && std::io::stderr().is_terminal();
        let progress = show.then(|| tokio::spawn(progress(conn.context.clone())));
        let result = tokio::time::timeout(overall, read).await;
        if let Some(p) = progress {
            p.abort();
            let _ = p.await;
            eprint!("\r\x1b[2K");
        }
        let snap = result.map_err(|_| {
            Error::Cluster(format!(
                "reading the cluster of context {:?} ({}) took longer than {}s; check the connection or raise --request-timeout",
                conn.context,
                conn.server,
                overall.as_secs()
            ))
        })??;
        // Partial access is normal: say once per kind what could not be read.
        let mut warned = std::collections::BTreeSet::new();
        for i in &snap.incomplete {
            if warned.insert(i.kind.clone()) {
                eprintln!("warning: could not read {}: {}", i.kind, i.reason);
            }
        }
        Ok((snap, namespace))
    })
}

/// Shows a spinner on stderr once reading takes longer than a moment; aborted when done.
async fn progress(context: String) {
    const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
    let start = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    for i in 0.. {
        eprint!(
            "\r{} reading the cluster of context {context:?}... {:.1}s",
            FRAMES[i % FRAMES.len()],
            start.elapsed().as_secs_f64()
        );
        let _ = std::io::stderr().flush();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
