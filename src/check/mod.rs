//! `check`: will this request get through, and which policy decides, hop by hop; and the
//! reachability matrix. A thin pipeline over the same Snapshot and Mesh as `explain`:
//! resolve the two ends, build the path, evaluate each hop (`enforce::evaluate`).

pub mod dataplane;
pub mod grammar;
mod hop;
pub mod matrix;
mod netpol;
pub mod path;
pub mod report;
pub mod resolve;
mod verdict;
mod version_notes;

use crate::enforce::Index;
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::snapshot::Snapshot;
use path::Query;
use std::collections::BTreeMap;

/// What the user asked, before it is resolved against the input.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub from: Option<String>,
    pub to: Option<String>,
    pub port: Option<u16>,
    pub method: Option<String>,
    pub path: Option<String>,
    /// `NAME:VALUE`, as typed.
    pub headers: Vec<String>,
    pub request_principal: Option<String>,
    pub plaintext: bool,
    pub source_ip: Option<String>,
    /// The namespace for `NAME`-only forms and the matrix scope; `None`: all namespaces.
    pub namespace: Option<String>,
    /// Matrix: pods by IP as destinations too.
    pub pod_ip: bool,
}

pub enum Answer {
    One(Box<report::CheckReport>),
    Matrix(Box<matrix::MatrixReport>),
}

/// Validates the request attributes (before anything is read).
pub fn query(ask: &Ask) -> Result<Query> {
    let mut headers = BTreeMap::new();
    for h in &ask.headers {
        let (k, v) = h.split_once(':').ok_or_else(|| {
            Error::Usage(format!(
                "invalid --header {h:?}: want NAME:VALUE, e.g. x-user:alice"
            ))
        })?;
        let k = k.trim();
        if k.is_empty() {
            return Err(Error::Usage(format!(
                "invalid --header {h:?}: the name is empty"
            )));
        }
        headers.insert(k.to_ascii_lowercase(), v.trim_start().to_string());
    }
    let source_ip = ask
        .source_ip
        .as_deref()
        .map(|s| {
            s.parse().map_err(|_| {
                Error::Usage(format!(
                    "invalid --source-ip {s:?}: want an IPv4 or IPv6 address"
                ))
            })
        })
        .transpose()?;
    if let Some(rp) = &ask.request_principal {
        if !rp.contains('/') {
            return Err(Error::Usage(format!(
                "invalid --request-principal {rp:?}: want ISSUER/SUBJECT"
            )));
        }
    }
    if let Some(p) = &ask.path {
        if !p.starts_with('/') {
            return Err(Error::Usage(format!(
                "invalid --path {p:?}: it starts with /"
            )));
        }
    }
    Ok(Query {
        method: ask.method.clone(),
        path: ask.path.clone(),
        headers,
        request_principal: ask.request_principal.clone(),
        source_ip,
    })
}

/// Parses `--from`/`--to` syntax only, so that a typo fails before the cluster is read.
pub fn validate(ask: &Ask) -> Result<()> {
    let ns = ask.namespace.as_deref().unwrap_or("default");
    if let Some(f) = &ask.from {
        resolve::parse_source(f, ns)?;
    }
    if let Some(t) = &ask.to {
        resolve::parse_dest(t, ns)?;
    }
    if ask.port == Some(0) {
        return Err(Error::Usage("invalid --port 0".into()));
    }
    query(ask).map(|_| ())
}

pub fn run(snap: &Snapshot, ask: &Ask) -> Result<Answer> {
    let q = query(ask)?;
    let mesh = Mesh::build(snap);
    let ix = Index::new(&mesh);
    answer(&ix, ask, &q)
}

/// `check` with the destination ztunnels deciding on `dp` (a config dump), each verdict
/// marked with whether the model's conversion decides the same.
pub fn run_on_dataplane(
    snap: &Snapshot,
    ask: &Ask,
    dp: crate::enforce::held::DataplanePolicies,
) -> Result<Answer> {
    let q = query(ask)?;
    let mesh = Mesh::build(snap);
    let source = dp.source.clone();
    let model = answer(&Index::new(&mesh), ask, &q)?;
    let real = answer(&Index::new(&mesh).with_dataplane(dp), ask, &q)?;
    Ok(match (real, model) {
        (Answer::One(mut r), Answer::One(m)) => {
            dataplane::one(&mut r, &m, &source);
            Answer::One(r)
        }
        (Answer::Matrix(mut r), Answer::Matrix(m)) => {
            dataplane::matrix(&mut r, &m, &source);
            Answer::Matrix(r)
        }
        (real, _) => real,
    })
}

fn answer(ix: &Index, ask: &Ask, q: &Query) -> Result<Answer> {
    let (mesh, q) = (ix.mesh, q.clone());
    let ns = ask.namespace.as_deref().unwrap_or("default");
    let client = ask
        .from
        .as_deref()
        .map(|f| resolve::parse_source(f, ns).and_then(|s| resolve::resolve_source(mesh, &s)))
        .transpose()?;
    let target = ask
        .to
        .as_deref()
        .map(|t| resolve::parse_dest(t, ns).and_then(|d| resolve::resolve_dest(mesh, &d, ask.port)))
        .transpose()?;
    let force_plaintext = |mut c: resolve::Client| {
        if ask.plaintext {
            c.class = resolve::ClientClass::Plaintext;
            c.identity = None;
        }
        c
    };
    Ok(match (client, target) {
        (Some(c), Some(t)) => Answer::One(Box::new(path::check(ix, &force_plaintext(c), &t, &q))),
        (c, t) => Answer::Matrix(Box::new(matrix::build(
            ix,
            c.map(force_plaintext),
            t,
            &q,
            ask,
        )?)),
    })
}

/// The versions the rules were chosen for, when the input did not give them: a verdict that
/// rests on an assumed release must say so (explain and diff say it in their assumptions).
/// With neither known, one line says both (ztunnel's is taken to be istiod's).
pub(crate) fn version_assumptions(ix: &Index) -> Vec<String> {
    let (i, z) = (&ix.mesh.rules.istiod, &ix.mesh.rules.ztunnel);
    match (i.known, z.known) {
        (false, false) if i.version == z.version => vec![format!(
            "istioVersion {}: {}; ztunnel's the same (give --ztunnel-version)",
            i.version, i.source
        )],
        _ => [("istioVersion", i), ("ztunnelVersion", z)]
            .into_iter()
            .filter(|(_, r)| !r.known)
            .map(|(setting, r)| format!("{setting} {}: {}", r.version, r.source))
            .collect(),
    }
}
