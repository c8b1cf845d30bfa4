//! `verify`: the model against what each ztunnel really holds. A thin pipeline: the input and
//! the engine as for `explain`, the dumps from files or through port-forward, then
//! `dataplane::{expect, compare}`, findings, render.

use super::input::{self, Input};
use super::{severity, use_color, write_out};
use crate::cli::{VerifyArgs, VerifyOutput};
use crate::dataplane::compare::Node;
use crate::dataplane::report::{findings_of, Report};
use crate::dataplane::{self, dump, Dump};
use crate::enforce::Index;
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::render;
use std::io::Write;

pub fn run(args: &VerifyArgs, out: &mut dyn Write) -> Result<u8> {
    let input = Input::new(&args.input)?;
    if args.input.offline() && args.ztunnel_dumps.is_empty() {
        return Err(Error::Usage(
            "verify with -f or -k compares manifests with dumps: give each node's dump with --ztunnel-dump FILE (from `istioctl ztunnel-config all -o json` or ztunnel's /config_dump)".into(),
        ));
    }
    if args.ztunnel_dumps.iter().filter(|f| *f == "-").count() > 1 {
        return Err(Error::Usage(
            "--ztunnel-dump - (stdin) can be given once".into(),
        ));
    }
    if args.ztunnel_dumps.iter().any(|f| f == "-") && args.input.filenames.iter().any(|f| f == "-")
    {
        return Err(Error::Usage(
            "stdin can feed only one of -f and --ztunnel-dump: give the other as a file".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = args.ztunnel_dumps.iter().find(|f| !seen.insert(f.as_str())) {
        return Err(Error::Usage(format!(
            "--ztunnel-dump {twice} is given twice: give one dump per node"
        )));
    }
    let filter = super::filter(&args.only, &args.suppress)?;
    // The files first: a bad dump is an input error before any cluster read.
    let mut dumps: Vec<Dump> = Vec::new();
    for f in &args.ztunnel_dumps {
        let text = crate::source::files::read_text(f)?;
        let name = if f == "-" { "stdin" } else { f.as_str() };
        dumps.push(dump::parse(name, &text).map_err(Error::Input)?);
    }
    let table = args.output == VerifyOutput::Table;
    let (snap, namespace) = input.read(table).map_err(offline_hint)?;
    let mut unread = Vec::new();
    if args.ztunnel_dumps.is_empty() {
        let reads = input::ztunnel_dumps(
            &args.input,
            &args.ztunnel_selector,
            args.proxy_admin_port,
            table,
        )?;
        for r in reads {
            let name = if r.node.is_empty() {
                r.pod.clone()
            } else {
                format!("{} (node {})", r.pod, r.node)
            };
            match r.dump.and_then(|t| dump::parse(&name, &t)) {
                Ok(d) => dumps.push(d),
                Err(e) => unread.push(Node::unread(&name, e)),
            }
        }
        if dumps.is_empty() {
            let why = unread
                .iter()
                .filter_map(|n| n.error.as_deref())
                .next()
                .unwrap_or_default()
                .to_string();
            return Err(Error::Cluster(format!(
                "no ztunnel could be read ({} tried): {why}",
                unread.len()
            )));
        }
    }
    let mesh = Mesh::build(&snap);
    let ix = Index::new(&mesh);
    let ns = if input.whole_input() {
        None
    } else {
        namespace.clone()
    };
    let exp = dataplane::expect(&ix, ns.as_deref());
    let mut v = dataplane::compare(&exp, &dumps, ns.as_deref(), ix.root());
    v.nodes.extend(unread);
    // --only and --suppress take out disagreements and their findings alike.
    v.disagreements
        .retain(|d| filter.keeps(&crate::dataplane::report::finding_of(d)));
    let findings: Vec<_> = findings_of(&v)
        .into_iter()
        .filter(|f| filter.keeps(f))
        .collect();
    let threshold = severity(args.fail_on);
    let code = u8::from(findings.iter().any(|f| f.severity.at_least(threshold)));
    let report = Report {
        namespace: ns,
        verification: v,
        findings,
    };
    let text = match args.output {
        VerifyOutput::Json => super::to_json(&report)?,
        VerifyOutput::Yaml => serde_saphyr::to_string(&report)
            .map_err(|e| Error::Input(format!("cannot render YAML: {e}")))?,
        VerifyOutput::Table => render::verify::render(&report, use_color(args.color)),
    };
    write_out(out, &text)?;
    Ok(code)
}

/// The first ztunnel of the cluster whose dump reads (`check --from-dataplane`).
pub(super) fn first_dump(args: &crate::cli::InputArgs) -> Result<Dump> {
    let reads = input::ztunnel_dumps(args, "app=ztunnel", 15000, false)?;
    let mut why = String::new();
    for r in reads {
        let name = format!("ztunnel {}", r.pod);
        match r.dump.and_then(|t| dump::parse(&name, &t)) {
            Ok(d) => return Ok(d),
            Err(e) if why.is_empty() => why = e,
            Err(_) => {}
        }
    }
    Err(Error::Cluster(format!("no ztunnel could be read: {why}")))
}

/// Without a cluster, verify compares manifests with dumps: say so instead of explain's hint.
fn offline_hint(e: Error) -> Error {
    match e {
        Error::Cluster(msg) => match msg.strip_suffix("; use -f FILE to explain manifests") {
            Some(m) => Error::Cluster(format!(
                "{m}; to verify without a cluster, give the manifests with -f and each node's dump with --ztunnel-dump FILE"
            )),
            None => Error::Cluster(msg),
        },
        e => e,
    }
}
