//! GitHub Actions workflow commands: one `::error|warning|notice file=...,line=...,title=...::`
//! annotation per finding, placed on the manifest document when it was read from a file.
//! Escaping follows the Actions toolkit (`@actions/core` command.ts): `%`, CR and LF in the
//! message; also `:` and `,` in property values.

use super::origins::Origins;
use crate::findings::{Finding, Severity};

/// The message part (after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn render(findings: &[Finding], origins: &Origins) -> String {
    let mut out = String::new();
    for f in findings {
        let mut props = Vec::new();
        if let Some(o) = origins.get(&f.resource) {
            props.push(format!("file={}", escape_property(&o.file)));
            props.push(format!("line={}", o.line));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} {}", f.code, f.resource))
        ));
        let message = format!("{}\nfix: {}", f.message, f.resolution);
        out.push_str(&format!(
            "::{} {}::{}\n",
            command(f.severity),
            props.join(","),
            escape_data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_as_the_actions_toolkit() {
        assert_eq!(escape_data("100% sure\r\nnext"), "100%25 sure%0D%0Anext");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        assert_eq!(escape_property("a: b, c%\n"), "a%3A b%2C c%25%0A");
    }
}
