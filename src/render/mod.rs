//! Pure functions from an Explanation to text.

pub mod check;
pub mod diagram;
pub mod diff;
pub mod findings;
pub mod github;
pub mod layout;
pub mod origins;
mod pretty;
pub mod report_json;
pub mod sarif;
pub mod sections;
pub mod style;
pub mod table;
pub mod verify;

use crate::explain::report::Explanation;
use std::io::Write;

/// An identity as users write it in a policy's `principals` (`TD/ns/NS/sa/SA`): text output
/// shows this one form; JSON keeps the schema's SPIFFE URIs.
pub fn principal(identity: &str) -> &str {
    identity.trim_start_matches("spiffe://")
}

/// Streams pretty JSON (a report, a SARIF log) to `w`: a big mesh gives tens of megabytes,
/// so no intermediate string. A report whose paths and workloads are still to be built
/// (`explain::Late`) is written by `report_json`.
pub fn write_json<T: serde::Serialize + ?Sized>(
    value: &T,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let mut buf = std::io::BufWriter::with_capacity(1 << 16, w);
    pretty::to_writer(&mut buf, value)?;
    buf.write_all(b"\n")?;
    buf.flush()
}

pub fn yaml(e: &Explanation) -> Result<String, String> {
    serde_saphyr::to_string(e).map_err(|err| format!("cannot render YAML: {err}"))
}
