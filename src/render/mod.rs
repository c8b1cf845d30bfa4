//! Pure functions from an Explanation to text.

pub mod table;

use crate::explain::report::Explanation;

pub fn json(e: &Explanation) -> String {
    let mut s =
        serde_json::to_string_pretty(e).unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    s.push('\n');
    s
}

pub fn yaml(e: &Explanation) -> Result<String, String> {
    serde_saphyr::to_string(e).map_err(|err| format!("cannot render YAML: {err}"))
}
