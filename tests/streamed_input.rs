//! Big JSON Lists (`kubectl get -A -o json` of a cluster) are read as a stream, so their text
//! is never held whole beside the objects (issue 16, the offline peak). A streamed file must
//! give exactly what the same text gives read whole (stdin is never streamed): the same
//! report with the same lines, and the same one-line errors for the inputs the stream does
//! not take (a big object that is no List, broken JSON, an item in error).

mod support;
#[allow(dead_code)]
#[path = "support/synthetic.rs"]
mod synthetic;

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::cluster::{scratch, text, EXE};

/// Files from this size on are streamed (`STREAM_MIN_BYTES`, 4 MiB): every input here is
/// above it.
const STREAMED: u64 = 4 << 20;

/// `args` (a subcommand first) on (the file given with `-f`, the same bytes on stdin).
fn both(file: &Path, args: &[&str]) -> (Output, Output) {
    let path = file.to_str().unwrap();
    let (sub, rest) = args.split_first().unwrap();
    let with_file: Vec<&str> = [*sub, "-f", path]
        .into_iter()
        .chain(rest.iter().copied())
        .collect();
    let streamed = Command::new(EXE).args(&with_file).output().unwrap();
    let with_stdin: Vec<&str> = [*sub, "-f", "-"]
        .into_iter()
        .chain(rest.iter().copied())
        .collect();
    let mut child = Command::new(EXE)
        .args(&with_stdin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(file).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let whole = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (streamed, whole)
}

/// The synthetic mesh as `kubectl get -o json` prints a List (indented, an item over many
/// lines), with `edit` applied to its items.
fn mesh(dir: &Path, pods: usize, edit: impl Fn(&mut Vec<Value>)) -> std::path::PathBuf {
    let mut compact = Vec::new();
    synthetic::write_list(pods, synthetic::Workloads::Deployments, &mut compact).unwrap();
    let mut list: Value = serde_json::from_slice(&compact).unwrap();
    edit(list["items"].as_array_mut().unwrap());
    let f = dir.join("mesh.json");
    std::fs::write(&f, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    assert!(std::fs::metadata(&f).unwrap().len() >= STREAMED);
    f
}

#[test]
fn a_streamed_list_reads_as_the_whole_text() {
    let dir = scratch("streamed-list");
    let f = mesh(&dir, 1500, |_| {});
    let (streamed, whole) = both(&f, &["explain", "-A", "-o", "json"]);
    assert!(streamed.status.success(), "{}", text(&streamed.stderr));
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    assert!(
        text(&streamed.stdout) == text(&whole.stdout),
        "outputs differ"
    );
    // SARIF names each finding's file and line (stdin has none): each line is where the
    // object's item begins, though items span many lines and the reads.
    let o = Command::new(EXE)
        .args(["explain", "-A", "-o", "sarif", "-f", f.to_str().unwrap()])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let file = std::fs::read_to_string(&f).unwrap();
    let lines: Vec<&str> = file.lines().collect();
    let mut located = 0;
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let loc = &r["locations"][0];
        let Some(line) = loc["physicalLocation"]["region"]["startLine"].as_u64() else {
            continue;
        };
        let resource = loc["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        // `Kind/ns/name`, or `Kind/name` for a cluster-scoped object.
        let parts: Vec<&str> = resource.split('/').collect();
        let (ns, name) = match parts[..] {
            [_, ns, name] => (Some(ns), name),
            [_, name] => (None, name),
            _ => panic!("{resource}"),
        };
        let at = line as usize - 1;
        assert_eq!(lines[at].trim(), "{", "{resource} at line {line}");
        let head = lines[at..at + 12].join("\n");
        assert!(
            head.contains(&format!("\"name\": \"{name}\""))
                && ns.is_none_or(|ns| head.contains(&format!("\"namespace\": \"{ns}\""))),
            "{resource} at line {line}: {head}"
        );
        located += 1;
    }
    assert!(located >= 100, "only {located} findings located");
}

#[test]
fn what_the_stream_does_not_take_reads_as_the_whole_text() {
    let dir = scratch("streamed-other");
    // A big object that is not a List: a ConfigMap with a large value.
    let big = "x".repeat(STREAMED as usize);
    let cm = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"big\", \"namespace\": \"shop\"}}, \"data\": {{\"blob\": \"{big}\"}}}}"
    );
    let mut cases: Vec<(&str, Vec<u8>)> = vec![("object", cm.into_bytes())];
    // An item without metadata.name, half-way down.
    let f = mesh(&dir, 1500, |items| {
        let n = items.len() / 2;
        items[n]["metadata"].as_object_mut().unwrap().remove("name");
    });
    cases.push(("nameless", std::fs::read(&f).unwrap()));
    // Broken JSON at the end: a missing closing brace.
    let mut broken = std::fs::read(mesh(&dir, 1500, |_| {})).unwrap();
    let end = broken.iter().rposition(|&b| b == b'}').unwrap();
    broken.truncate(end);
    cases.push(("broken", broken));
    // A raw control character inside a string, half-way down: the scanner skips through
    // strings, and the decoder's error sends the file to the whole read.
    let f = mesh(&dir, 1500, |items| {
        let n = items.len() / 2;
        items[n]["metadata"]["labels"]["note"] = Value::from("CONTROL");
    });
    let raw = std::fs::read_to_string(&f)
        .unwrap()
        .replace("CONTROL", "a\tb");
    cases.push(("control", raw.into_bytes()));
    // A List whose kind comes after its items and is not a List: the items are no objects
    // of the input.
    let f = mesh(&dir, 1500, |_| {});
    let list = std::fs::read_to_string(&f)
        .unwrap()
        .replace("\"kind\": \"List\"", "\"kind\": \"Inventory\"");
    cases.push(("not-a-list", list.into_bytes()));
    for (case, bytes) in cases {
        let f = dir.join(format!("{case}.json"));
        std::fs::write(&f, &bytes).unwrap();
        let (streamed, whole) = both(&f, &["explain", "-A", "-o", "json"]);
        assert_eq!(streamed.status.code(), whole.status.code(), "{case}");
        let name = f.to_str().unwrap();
        assert_eq!(
            text(&streamed.stderr),
            text(&whole.stderr).replace("<stdin>", name),
            "{case}"
        );
        assert!(
            text(&streamed.stdout) == text(&whole.stdout).replace("<stdin>", name),
            "{case}: outputs differ"
        );
        if matches!(case, "nameless" | "broken" | "control") {
            assert_eq!(streamed.status.code(), Some(2), "{case}");
            assert_eq!(
                text(&streamed.stderr).trim_end().lines().count(),
                1,
                "{case}"
            );
        } else {
            assert!(
                streamed.status.success(),
                "{case}: {}",
                text(&streamed.stderr)
            );
        }
    }
}
