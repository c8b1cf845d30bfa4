//! The house rules of `src/`, read from the source itself (no rustc, no external crate):
//!
//! (a) no import cycle between modules (one module per file);
//! (b) imports follow the pipeline: every top-level module has a rank, and an import goes
//!     to a lower rank, or sideways only where `SIDEWAYS` says why; `render` reads the
//!     consumers' results, never their resolution (`RENDER_READS`);
//! (c) no source file over `MAX_LINES` lines.
//!
//! An import is a path that starts with `crate::`, `super::`, `self::` or the name of a
//! child module (`read::Reader` in `files/mod.rs`), in a `use` tree or anywhere in code
//! (`crate::a::b(..)`), or in a string that is only such a path (serde's
//! `deserialize_with`). Comments, other strings and `#[cfg(test)]` items (the unit tests)
//! do not count. A module using what its ancestor declares does not count either: the
//! parent is the facade of its children (as in `tools/modgraph.py`).
//!
//! What the engine rewrite still has to fix is in the allowlist at the end of the rules,
//! each entry with its reason; an entry that no longer occurs fails the test, so that the
//! list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rank of each top-level module: an import goes from a higher rank to a lower one.
/// The pipeline, top down: the command line, rendering, the consumers of the engine, the
/// engine, the mesh and the sources, the Snapshot, the model, label matching.
const RANKS: &[(&str, u8)] = &[
    ("app", 8),
    ("cli", 8),
    ("completion", 8),
    ("render", 7),
    ("explain", 6),
    ("check", 6),
    ("diff", 6),
    ("enforce", 5),
    ("dataplane", 5),
    ("mesh", 4),
    ("source", 4),
    ("snapshot", 3),
    ("workloads", 3),
    ("overlay", 3),
    ("model", 2),
    ("selector", 1),
    // Leaves, usable from anywhere; they import nothing of the crate.
    ("findings", 0),
    ("error", 0),
    ("contract", 0),
    ("versions", 0),
    ("interned", 0),
    ("parallel", 0),
    ("allocator", 0),
];

/// Imports between two modules of the same rank: (from, to or a module above it, why).
const SIDEWAYS: &[(&str, &str, &str)] = &[
    (
        "dataplane",
        "enforce",
        "a dump's rules are the engine's ztunnel rules, and the model's side is the engine's",
    ),
    ("app", "cli", "app runs the command line that cli defines"),
    ("app", "completion", "app runs the `completion` subcommand"),
    (
        "completion",
        "cli",
        "completion completes the one clap definition",
    ),
    (
        "snapshot",
        "workloads",
        "the Snapshot expands controllers into workloads when it normalises",
    ),
    (
        "overlay",
        "snapshot",
        "an overlay lays manifests over a Snapshot",
    ),
    (
        "overlay",
        "workloads",
        "a replaced controller takes its workloads with it",
    ),
    ("diff", "explain::report", "diff compares two Explanations"),
];

/// The modules of the consumers that `render` may import: where their results are declared.
/// (`check::grammar`: how reports name objects, `Kind/NS/NAME` from a `--from`/`--to` form.)
const RENDER_READS: &[&str] = &[
    "explain::report",
    "check::report",
    "check::matrix",
    "check::grammar",
    "diff",
];
const CONSUMERS: &[&str] = &["explain", "check", "diff"];

/// No source file is longer: one concern per file.
const MAX_LINES: usize = 650;

// The allowlist: exceptions still to fix. Empty since the engine became one (issue 12); an
// entry that no longer occurs fails the test.

/// Cycles, by their modules (sorted).
const ALLOWED_CYCLES: &[&[&str]] = &[];

/// Imports against the rules: (from, to, why it is still there).
const ALLOWED_EDGES: &[(&str, &str, &str)] = &[];

/// Files over `MAX_LINES`.
const ALLOWED_LONG_FILES: &[&str] = &[];

#[test]
fn the_house_rules_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crate_ = Crate::read(&root.join("src"));
    let mut problems = Vec::new();
    let mut allowed = Allowed::default();
    cycles(&crate_, &mut problems, &mut allowed);
    layering(&crate_, &mut problems, &mut allowed);
    file_sizes(&crate_, root, &mut problems, &mut allowed);
    allowed.stale(&mut problems);
    assert!(
        problems.is_empty(),
        "src/ breaks the house rules of tests/architecture.rs:\n  - {}\n",
        problems.join("\n  - ")
    );
}

/// (a) No cycle between file modules.
fn cycles(c: &Crate, problems: &mut Vec<String>, allowed: &mut Allowed) {
    let graph: BTreeMap<&str, BTreeSet<&str>> = c
        .modules
        .keys()
        .map(|m| {
            let to = c
                .edges
                .keys()
                .filter(|(f, _)| f == m)
                .map(|(_, t)| t.as_str());
            (m.as_str(), to.collect())
        })
        .collect();
    for scc in strongly_connected(&graph) {
        if allowed.cycle(&scc) {
            continue;
        }
        let path = cycle_through(&graph, &scc);
        let steps: Vec<String> = path
            .windows(2)
            .map(|w| format!("{} -> {} ({})", w[0], w[1], c.at(w[0], w[1])))
            .collect();
        problems.push(format!(
            "import cycle between {}: {}; the pipeline runs one way, so one of these imports belongs the other way round (move the shared item down)",
            scc.join(", "),
            steps.join(", ")
        ));
    }
}

/// (b) Imports follow the ranks; sideways only where declared; render reads results.
fn layering(c: &Crate, problems: &mut Vec<String>, allowed: &mut Allowed) {
    let rank = |m: &str| RANKS.iter().find(|(t, _)| *t == top(m)).map(|(_, r)| *r);
    for m in c.modules.keys() {
        if rank(m).is_none() {
            problems.push(format!(
                "top-level module `{}` ({}) has no rank: give it one in RANKS of tests/architecture.rs, where the pipeline puts it",
                top(m),
                c.modules[m].display()
            ));
        }
    }
    for ((from, to), at) in &c.edges {
        let (Some(rf), Some(rt)) = (rank(from), rank(to)) else {
            continue;
        };
        let (tf, tt) = (top(from), top(to));
        let why = if tf == tt {
            None
        } else if rt > rf {
            Some(format!(
                "goes up the pipeline: `{tf}` (rank {rf}) imports `{tt}` (rank {rt}); move what it needs down to `{tf}`'s level or below"
            ))
        } else if rt == rf
            && !SIDEWAYS
                .iter()
                .any(|(f, t, _)| *f == tf && is_within(to, t))
        {
            Some(if CONSUMERS.contains(&tf) && CONSUMERS.contains(&tt) {
                format!(
                    "`{tf}` and `{tt}` consume the engine side by side: one reads the other's results only through its `report` module, and shares rules through the engine"
                )
            } else {
                format!(
                    "imports sideways at rank {rf} (`{tf}` -> `{tt}`) without a reason in SIDEWAYS"
                )
            })
        } else if tf == "render" && CONSUMERS.contains(&tt) && !RENDER_READS.contains(&to.as_str())
        {
            Some(format!(
                "render draws results: from `{tt}` it reads {} only, not `{to}`",
                RENDER_READS
                    .iter()
                    .filter(|r| top(r) == tt)
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else {
            None
        };
        if let Some(why) = why {
            if !allowed.edge(from, to) {
                problems.push(format!("import {from} -> {to} ({at}) {why}"));
            }
        }
    }
}

/// (c) No source file over `MAX_LINES` lines.
fn file_sizes(c: &Crate, root: &Path, problems: &mut Vec<String>, allowed: &mut Allowed) {
    for (file, lines) in &c.lines {
        let rel = file
            .strip_prefix(root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        if *lines > MAX_LINES && !allowed.long_file(&rel) {
            problems.push(format!(
                "{rel} has {lines} lines (at most {MAX_LINES}): split it by concern into a directory of modules named for the domain"
            ));
        }
    }
}

/// The allowlist entries met, to report those that no longer occur.
#[derive(Default)]
struct Allowed {
    cycles: BTreeSet<usize>,
    edges: BTreeSet<usize>,
    files: BTreeSet<usize>,
}

impl Allowed {
    fn cycle(&mut self, scc: &[String]) -> bool {
        let i = ALLOWED_CYCLES.iter().position(|c| *c == scc);
        i.map(|i| self.cycles.insert(i)).is_some()
    }
    fn edge(&mut self, from: &str, to: &str) -> bool {
        let i = ALLOWED_EDGES
            .iter()
            .position(|(f, t, _)| *f == from && *t == to);
        i.map(|i| self.edges.insert(i)).is_some()
    }
    fn long_file(&mut self, file: &str) -> bool {
        let i = ALLOWED_LONG_FILES.iter().position(|f| *f == file);
        i.map(|i| self.files.insert(i)).is_some()
    }
    fn stale(&self, problems: &mut Vec<String>) {
        let fix = "no longer occurs: remove it from the allowlist of tests/architecture.rs";
        for (i, c) in ALLOWED_CYCLES.iter().enumerate() {
            if !self.cycles.contains(&i) {
                problems.push(format!("allowed cycle {} {fix}", c.join(", ")));
            }
        }
        for (i, (f, t, _)) in ALLOWED_EDGES.iter().enumerate() {
            if !self.edges.contains(&i) {
                problems.push(format!("allowed import {f} -> {t} {fix}"));
            }
        }
        for (i, f) in ALLOWED_LONG_FILES.iter().enumerate() {
            if !self.files.contains(&i) {
                problems.push(format!("allowed long file {f} {fix}"));
            }
        }
    }
}

fn top(m: &str) -> &str {
    m.split("::").next().unwrap_or(m)
}

/// `m` is `within` or one of its descendants.
fn is_within(m: &str, within: &str) -> bool {
    m == within || m.starts_with(&format!("{within}::"))
}

/// The modules of `src/` (one per file), their imports and their sizes.
struct Crate {
    /// Module path (`render::table::paths`) -> file.
    modules: BTreeMap<String, PathBuf>,
    /// (from, to) -> where it is first imported (`src/a/b.rs:12`).
    edges: BTreeMap<(String, String), String>,
    lines: BTreeMap<PathBuf, usize>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut files = Vec::new();
        walk(src, &mut files);
        files.sort();
        let mut modules = BTreeMap::new();
        let mut lines = BTreeMap::new();
        let mut texts = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            lines.insert(f.clone(), text.lines().count());
            let rel = f.strip_prefix(src).unwrap();
            // The crate root and the binary's entry are no modules of the graph.
            if rel == Path::new("lib.rs") || rel == Path::new("main.rs") {
                continue;
            }
            let m = module_of(rel);
            modules.insert(m.clone(), f.clone());
            texts.push((m, f, text));
        }
        let known: BTreeSet<&str> = modules.keys().map(String::as_str).collect();
        let mut edges = BTreeMap::new();
        for (m, f, text) in &texts {
            for (path, line) in imports(m, text, &known) {
                let Some(to) = longest_module(&known, &path) else {
                    continue;
                };
                // Itself, or an ancestor (a facade's shared items): one unit.
                if is_within(m, to) {
                    continue;
                }
                let at = format!(
                    "{}:{line}",
                    f.strip_prefix(src.parent().unwrap()).unwrap().display()
                );
                edges.entry((m.clone(), to.to_string())).or_insert(at);
            }
        }
        Crate {
            modules,
            edges,
            lines,
        }
    }

    fn at(&self, from: &str, to: &str) -> &str {
        &self.edges[&(from.to_string(), to.to_string())]
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `render/table/mod.rs` -> `render::table`; `render/check.rs` -> `render::check`.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The longest known module that `path` (from the crate root) names or is inside.
fn longest_module<'k>(known: &BTreeSet<&'k str>, path: &[String]) -> Option<&'k str> {
    (1..=path.len())
        .rev()
        .find_map(|n| known.get(path[..n].join("::").as_str()).copied())
}

/// One token of Rust source, with its line.
#[derive(Debug, Clone, PartialEq)]
struct Tok {
    text: String,
    line: usize,
}

/// Tokens of `src` without comments, strings and char literals; a string that is only a
/// path from `crate`, `super` or `self` (`deserialize_with = "crate::model::x"`) is read as
/// that path.
fn tokens(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut out) = (0, 1, Vec::new());
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied().unwrap_or('\0');
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if ch == '"' || (matches!(ch, 'r' | 'b') && starts_string(&c[i..])) {
            let start_line = line;
            let (text, end) = string_at(&c, i);
            line += text.matches('\n').count();
            i = end;
            let is_path = text.split("::").count() > 1
                && text
                    .split("::")
                    .all(|s| !s.is_empty() && s.chars().all(ident))
                && ["crate::", "super::", "self::"]
                    .iter()
                    .any(|p| text.starts_with(p));
            if is_path {
                out.extend(tokens(&text).into_iter().map(|t| Tok {
                    line: start_line,
                    ..t
                }));
            }
        } else if ch == '\'' {
            // A char literal ('a', '\n', '\u{1F600}'), else a lifetime or a label.
            if next == '\\' {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && ident(c[i]) {
                    i += 1;
                }
            }
        } else if ident(ch) {
            let s = i;
            while i < c.len() && ident(c[i]) {
                i += 1;
            }
            // A raw identifier: `r#type`.
            let text: String = if c[s..i] == ['r'] && c.get(i) == Some(&'#') {
                let s = i + 1;
                i = s;
                while i < c.len() && ident(c[i]) {
                    i += 1;
                }
                c[s..i].iter().collect()
            } else {
                c[s..i].iter().collect()
            };
            out.push(Tok { text, line });
        } else if ch == ':' && next == ':' {
            out.push(Tok {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Tok {
                text: ch.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

/// `"`, `r"`, `r#"`, `b"`, `br"`, `br#"` at the start of `c`.
fn starts_string(c: &[char]) -> bool {
    let mut i = usize::from(c.first() == Some(&'b'));
    if c.get(i) == Some(&'r') {
        i += 1;
        while c.get(i) == Some(&'#') {
            i += 1;
        }
    }
    i > 0 && c.get(i) == Some(&'"')
}

/// The contents of the string literal at `i`, and the index after it.
fn string_at(c: &[char], mut i: usize) -> (String, usize) {
    if c[i] == 'b' {
        i += 1;
    }
    let raw = c[i] == 'r';
    let mut hashes = 0;
    if raw {
        i += 1;
        while c[i] == '#' {
            hashes += 1;
            i += 1;
        }
    }
    i += 1; // the opening quote
    let mut text = String::new();
    while i < c.len() {
        if !raw && c[i] == '\\' {
            text.push(c[i]);
            text.extend(c.get(i + 1));
            i += 2;
        } else if c[i] == '"' && (0..hashes).all(|k| c.get(i + 1 + k) == Some(&'#')) {
            return (text, i + 1 + hashes);
        } else {
            text.push(c[i]);
            i += 1;
        }
    }
    (text, i)
}

/// The tokens without the items under `#[cfg(test)]` (unit tests and their helpers).
fn without_tests(toks: Vec<Tok>) -> Vec<Tok> {
    let is = |toks: &[Tok], at: usize, s: &[&str]| {
        s.iter()
            .enumerate()
            .all(|(k, s)| toks.get(at + k).is_some_and(|t| t.text == *s))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if !is(&toks, i, &["#", "[", "cfg", "(", "test", ")", "]"]) {
            out.push(toks[i].clone());
            i += 1;
            continue;
        }
        i += 7;
        // Further attributes of the same item.
        while is(&toks, i, &["#", "["]) {
            i = after_group(&toks, i + 1);
        }
        // The item: up to a `;` outside brackets, or through its `{ ... }` body.
        while i < toks.len() {
            match toks[i].text.as_str() {
                ";" => {
                    i += 1;
                    break;
                }
                "{" => {
                    i = after_group(&toks, i);
                    break;
                }
                "(" | "[" => i = after_group(&toks, i),
                _ => i += 1,
            }
        }
    }
    out
}

/// The index after the bracketed group that opens at `i`.
fn after_group(toks: &[Tok], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < toks.len() {
        match toks[i].text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
        i += 1;
        if depth == 0 {
            break;
        }
    }
    i
}

/// Every path from the crate root that module `m` imports or names, with its line: `use`
/// trees expanded, `super`/`self` and child modules of `known` resolved (also inside an
/// inline `mod x { ... }`).
fn imports(m: &str, src: &str, known: &BTreeSet<&str>) -> Vec<(Vec<String>, usize)> {
    let toks = without_tests(tokens(src));
    let base: Vec<String> = m.split("::").map(String::from).collect();
    let mut out = Vec::new();
    // Inline modules: (name, brace depth inside them).
    let mut inline: Vec<(String, i32)> = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].text.as_str();
        match t {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d > depth) {
                    inline.pop();
                }
            }
            "mod" if toks.get(i + 2).is_some_and(|t| t.text == "{") => {
                inline.push((toks[i + 1].text.clone(), depth + 1));
            }
            _ => {}
        }
        let mut here = base.clone();
        here.extend(inline.iter().map(|(n, _)| n.clone()));
        let child = |name: &str| known.contains(format!("{}::{name}", here.join("::")).as_str());
        let starts_path = (matches!(t, "crate" | "super" | "self") || child(t))
            && toks.get(i + 1).is_some_and(|t| t.text == "::")
            && !(i > 0 && toks[i - 1].text == "::");
        if !starts_path {
            i += 1;
            continue;
        }
        let line = toks[i].line;
        // `crate::`, `self::`, `super::super::`, or a child: `child::item`.
        let prefix = match t {
            "crate" => {
                i += 2;
                Vec::new()
            }
            "self" => {
                i += 2;
                here
            }
            "super" => {
                let mut up = here;
                while toks.get(i).is_some_and(|t| t.text == "super") {
                    up.pop();
                    i += 2;
                }
                up
            }
            _ => here,
        };
        let (paths, end) = use_tree(&toks, i);
        for p in paths {
            let mut full = prefix.clone();
            full.extend(p);
            out.push((full, line));
        }
        i = end;
    }
    out
}

/// The paths of the tree at `i` (`a::b`, `a::{b, c::d}`, `a::*`, `a as b`), relative to
/// where it starts, and the index after it.
fn use_tree(toks: &[Tok], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut path = Vec::new();
    loop {
        let Some(t) = toks.get(i) else {
            return (vec![path], i);
        };
        if t.text == "{" {
            let mut all = Vec::new();
            i += 1;
            while toks.get(i).is_some_and(|t| t.text != "}") {
                let (sub, end) = use_tree(toks, i);
                all.extend(sub.into_iter().map(|s| {
                    let mut p = path.clone();
                    p.extend(s);
                    p
                }));
                i = end;
                if toks.get(i).is_some_and(|t| t.text == ",") {
                    i += 1;
                }
            }
            return (all, i + 1);
        }
        if t.text == "self" || t.text == "*" {
            return (vec![path], i + 1);
        }
        if !t.text.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            return (vec![path], i);
        }
        path.push(t.text.clone());
        i += 1;
        if toks.get(i).is_some_and(|t| t.text == "::") {
            i += 1;
        } else {
            if toks.get(i).is_some_and(|t| t.text == "as") {
                i += 2;
            }
            return (vec![path], i);
        }
    }
}

/// Tarjan's strongly connected components with more than one module, each sorted.
fn strongly_connected(g: &BTreeMap<&str, BTreeSet<&str>>) -> Vec<Vec<String>> {
    struct State<'g> {
        g: &'g BTreeMap<&'g str, BTreeSet<&'g str>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        let g = s.g;
        for &w in g.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for &v in g.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// One cycle through the first module of `scc`, as a list of modules that ends where it
/// starts (breadth first: the shortest).
fn cycle_through<'g>(g: &BTreeMap<&'g str, BTreeSet<&'g str>>, scc: &[String]) -> Vec<&'g str> {
    let inside = |m: &str| scc.iter().any(|s| s == m);
    let start = *g.keys().find(|k| **k == scc[0]).unwrap();
    let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &g[v] {
            if !inside(w) {
                continue;
            }
            if w == start {
                let mut path = vec![start, v];
                let mut at = v;
                while at != start {
                    at = prev[at];
                    path.push(at);
                }
                path.reverse();
                return path;
            }
            if !prev.contains_key(w) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start, start]
}

/// The reader finds paths where rustc would, and nowhere else.
#[test]
fn the_reader_finds_imports_where_rustc_does() {
    let src = r##"
//! Mentions `crate::in_doc::x` in a doc comment.
use super::{sibling::{self, Thing}, other as o};
use crate::a::{b::C, d::*};
/* block crate::in_comment::x /* nested */ */
#[serde(deserialize_with = "crate::model::null_default")]
struct S;
fn f<'a>(x: &'a str) -> char {
    let _ = "crate::in_string::x is prose";
    let _ = r#"see crate::raw::x"#;
    let q = '"';
    crate::e::f(self::inner::g(), super::super::top::h());
    child::item(not_a_child::x());
    q
}
pub(crate) fn visible() {}
mod inline {
    use super::sibling2;
}
#[cfg(test)]
#[allow(unused)]
mod tests {
    use crate::only_in_tests::x;
}
#[cfg(test)]
fn helper() -> crate::only_in_tests::Y { todo!() }
"##;
    let known = BTreeSet::from(["m::n", "m::n::child"]);
    let got: BTreeSet<String> = imports("m::n", src, &known)
        .into_iter()
        .map(|(p, _)| p.join("::"))
        .collect();
    let want: BTreeSet<String> = [
        "m::sibling",
        "m::sibling::Thing",
        "m::other",
        "a::b::C",
        "a::d",
        "model::null_default",
        "e::f",
        "m::n::inner::g",
        "top::h",
        "m::n::sibling2",
        "m::n::child::item",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(got, want);
    assert_eq!(module_of(Path::new("render/table/mod.rs")), "render::table");
    assert_eq!(module_of(Path::new("render/check.rs")), "render::check");
}

/// A cycle is found and told as a path of imports.
#[test]
fn a_cycle_is_told_as_its_imports() {
    let g: BTreeMap<&str, BTreeSet<&str>> = [
        ("a", BTreeSet::from(["b"])),
        ("b", BTreeSet::from(["c"])),
        ("c", BTreeSet::from(["a", "d"])),
        ("d", BTreeSet::new()),
    ]
    .into_iter()
    .collect();
    let sccs = strongly_connected(&g);
    assert_eq!(sccs, vec![vec!["a", "b", "c"]]);
    assert_eq!(cycle_through(&g, &sccs[0]), vec!["a", "b", "c", "a"]);
}
