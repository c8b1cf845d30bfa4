//! The documentation holds together: every relative link of the README, CONTRIBUTING.md,
//! BENCHMARKS.md and docs/*.md points at a file that exists and, with an anchor, at a heading
//! of that file (as GitHub makes anchors of headings); the README links every page of docs/.
//! The content of the pages is tested where it is produced: the findings in tests/cli.rs, the
//! examples of check and diff in tests/check.rs and tests/diff.rs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files that link to each other.
fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "BENCHMARKS.md"]
        .iter()
        .map(|p| root().join(p))
        .collect();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The lines outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .into_iter()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|h| slug(h.trim_start_matches('#')))
        .collect()
}

/// `[text](target)` link targets, outside code blocks and code spans.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        // Drop code spans: `a](b)` inside backticks is not a link.
        let plain: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = plain.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let end = rest.find(')').expect("a link closes on its line");
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn slugs_are_githubs() {
    for (heading, want) in [
        (
            "diff: what would this change do?",
            "diff-what-would-this-change-do",
        ),
        ("JSON and YAML output", "json-and-yaml-output"),
        ("AMB001", "amb001"),
        ("From a cluster to files", "from-a-cluster-to-files"),
    ] {
        assert_eq!(slug(heading), want);
    }
}

#[test]
fn relative_links_resolve() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            let name = page.strip_prefix(root()).unwrap().display().to_string();
            if !target.exists() {
                broken.push(format!("{name}: {link}: no such file"));
                continue;
            }
            if !anchor.is_empty() {
                let body = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&body).contains(anchor) {
                    broken.push(format!("{name}: {link}: no such heading"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn readme_links_every_docs_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let linked = links(&readme);
    for page in pages()
        .iter()
        .filter(|p| p.parent() == Some(&root().join("docs")))
    {
        let name = format!("docs/{}", page.file_name().unwrap().to_string_lossy());
        assert!(
            linked
                .iter()
                .any(|l| l.split('#').next() == Some(name.as_str())),
            "the README does not link {name}"
        );
    }
    assert!(linked.iter().any(|l| l == "CONTRIBUTING.md"));
}

/// The README stays short enough to read through: the reference lives in docs/.
#[test]
fn readme_is_a_summary() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 320,
        "README.md has {lines} lines; move reference text to docs/"
    );
}

/// docs/versions.md lists every row of the one rule table, as the code has it.
#[test]
fn versions_page_lists_every_rule_row() {
    let page = std::fs::read_to_string(root().join("docs/versions.md")).expect("docs/versions.md");
    for r in ambient_policy::versions::TABLE {
        let row = format!(
            "| `{}` | {} | {} | {} |",
            r.rule,
            r.range.replace('|', "\\|"),
            r.applied.replace('|', "\\|"),
            r.source.replace('|', "\\|")
        );
        assert!(
            page.lines().any(|l| l == row),
            "docs/versions.md lacks the row\n{row}"
        );
    }
}
