//! `explain -o json` with its workloads and paths built as they are written, on every core
//! (`sections`): the report's members in the order and form of `Explanation`'s derived
//! serialization, which a test holds this to byte for byte (tests/properties.rs).

use super::pretty::{self, Pretty};
use super::sections::{self, Held};
use crate::explain::report::{Explanation, Section};
use crate::parallel::Split;
use serde::Serialize;
use std::io::{self, BufWriter, Write};

/// Writes `report` with these sections, then a newline, as `write_json` writes a report
/// held whole.
pub fn write(
    report: &Explanation<(), ()>,
    workloads: &impl Section,
    paths: &impl Section,
    split: Split,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, out);
    w.write_all(b"{")?;
    let mut o = Members {
        w: &mut w,
        first: true,
    };
    let e = report;
    // A policy's JSON can be megabytes (a root-namespace policy lists every pod it is
    // enforced at): held sections go one element at a time, so that few wait in memory.
    let one = Split {
        per_piece: 1,
        ..split
    };
    o.value("apiVersion", &e.api_version)?;
    o.value("kind", &e.kind)?;
    o.value("namespace", &e.namespace)?;
    o.value("assumptions", &e.assumptions)?;
    o.key("policies")?;
    sections::write(o.w, 1, &Held(&e.policies), one)?;
    o.key("findings")?;
    sections::write(o.w, 1, &Held(&e.findings), one)?;
    o.value("summary", &e.summary)?;
    o.key("workloads")?;
    sections::write(o.w, 1, workloads, split)?;
    o.key("services")?;
    sections::write(o.w, 1, &Held(&e.services), one)?;
    o.value("waypoints", &e.waypoints)?;
    o.key("paths")?;
    sections::write(o.w, 1, paths, split)?;
    o.value("skipped", &e.skipped)?;
    o.value("incomplete", &e.incomplete)?;
    o.value("versionRules", &e.version_rules)?;
    Pretty::at(0).newline(&mut w, true)?;
    w.write_all(b"}\n")?;
    w.flush()
}

/// The members of the report's object, one per line.
struct Members<'w> {
    w: &'w mut dyn Write,
    first: bool,
}

impl Members<'_> {
    /// `"name": `, on a line of its own.
    fn key(&mut self, name: &str) -> io::Result<()> {
        Pretty::at(1).newline(self.w, self.first)?;
        self.first = false;
        write!(self.w, "\"{name}\": ")
    }

    fn value<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> io::Result<()> {
        self.key(name)?;
        pretty::to_writer_at(&mut *self.w, 1, value).map_err(io::Error::from)
    }
}
