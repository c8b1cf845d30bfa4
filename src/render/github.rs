//! GitHub Actions workflow commands: one `::error|warning|notice file=...,line=...,title=...::`
//! annotation per file and finding code, placed on the first manifest document of those
//! findings when they were read from a file (GitHub shows only the first few annotations of
//! a step, so the same trap in 80 policies of a file is one annotation that lists them).
//! Escaping follows the Actions toolkit (`@actions/core` command.ts): `%`, CR and LF in the
//! message; also `:` and `,` in property values.

use super::findings::{kinds_text, names, without_kind};
use super::origins::Origins;
use crate::findings::{group, Finding, Key, Severity};

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

/// The file (none for findings not read from a file) and the code of one annotation.
type Bucket<'a> = (Option<&'a str>, &'a str);

pub fn render(findings: &[Finding], origins: &Origins) -> String {
    // One annotation per file and code (findings without a file: one per code). GitHub
    // shows only the first few annotations of a run, so 80 policies with the same trap in
    // one file are one annotation listing them, not 80.
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort();
    // In the order of their first finding: by severity, code, resource.
    let mut buckets: Vec<(Bucket, Vec<&Finding>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for f in sorted {
        let key = (
            origins.get(&f.resource).map(|o| o.file.as_str()),
            f.code.as_str(),
        );
        let i = *index.entry(key).or_insert_with(|| {
            buckets.push((key, vec![]));
            buckets.len() - 1
        });
        buckets[i].1.push(f);
    }
    let mut out = String::new();
    for ((file, code), fs) in &buckets {
        let mut props = Vec::new();
        if let Some(file) = file {
            let line = fs
                .iter()
                .filter_map(|f| origins.get(&f.resource))
                .map(|o| o.line)
                .min()
                .unwrap_or(1);
            props.push(format!("file={}", escape_property(file)));
            props.push(format!("line={line}"));
        }
        let title = match &fs[..] {
            [f] => format!("{} {}", f.code, f.resource),
            _ => {
                let mut kinds = std::collections::BTreeMap::new();
                for f in fs {
                    *kinds
                        .entry(Key::of(&f.resource).kind.to_string())
                        .or_default() += 1;
                }
                format!("{code} on {}", kinds_text(&kinds))
            }
        };
        props.push(format!("title={}", escape_property(&title)));
        let severity = fs
            .iter()
            .map(|f| f.severity)
            .min()
            .unwrap_or(Severity::Info);
        out.push_str(&format!(
            "::{} {}::{}\n",
            command(severity),
            props.join(","),
            escape_data(&message(fs, origins))
        ));
    }
    out
}

/// Shape groups shown in one annotation before the rest are counted.
const GROUPS: usize = 10;
/// Resources named per group before the rest are counted.
const NAMES: usize = 10;

/// The annotation's text: for one finding its message and fix; for several, each group of
/// the same finding with its resources (and their lines), then the fix.
fn message(fs: &[&Finding], origins: &Origins) -> String {
    if let [f] = fs {
        return format!("{}\nfix: {}", f.message, f.resolution);
    }
    let groups = group(fs.iter().copied());
    let one_fix = groups
        .iter()
        .all(|g| g.resolution() == groups[0].resolution());
    let one_kind = groups.iter().all(|g| g.kind() == groups[0].kind());
    let mut blocks = Vec::new();
    for g in groups.iter().take(GROUPS) {
        let at: Vec<String> = g
            .resources()
            .map(|r| {
                let name = if one_kind { without_kind(r) } else { r };
                match origins.get(r) {
                    Some(o) => format!("{name} (line {})", o.line),
                    None => name.to_string(),
                }
            })
            .collect();
        let at: Vec<&str> = at.iter().map(String::as_str).collect();
        let mut block = format!("{}: {}", names(&at, Some(NAMES)), g.message());
        if !one_fix {
            block.push_str(&format!("\nfix: {}", g.resolution()));
        }
        blocks.push(block);
    }
    let rest: usize = groups.iter().skip(GROUPS).map(|g| g.len()).sum();
    if rest > 0 {
        blocks.push(format!(
            "and {rest} more (-o sarif or -o json lists every finding)"
        ));
    }
    if one_fix {
        blocks.push(format!("fix: {}", groups[0].resolution()));
    }
    blocks.join("\n")
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
