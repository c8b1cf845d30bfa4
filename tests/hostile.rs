//! Hostile input (issue 9.2), through the real binary: each is refused, or handled, with
//! bounded work (memory, and the bytes read where the input is big), with one clear line on
//! stderr and exit 2 (or a normal run). Big inputs are generated here, in a temporary
//! directory, never committed. No test measures speed: that is the benchmarks' job.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Stops a hung process, and nothing else: not a measure of speed. The slowest input here
/// takes seconds in a debug build on a quiet machine; on a loaded one it may take several
/// times that, and still ends long before this.
const HANG: Duration = Duration::from_secs(300);

/// The address space the binary may use, in KiB: a memory blow-up (an alias bomb expanded,
/// a file copied many times) fails an allocation, which aborts the process, and the test
/// fails on its exit status. The largest input here is 100 MB.
const MEMORY_KIB: u64 = 1 << 20;

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The work a run did, as the kernel counted it.
struct Work {
    /// Bytes the process read (`rchar` of /proc/PID/io: files, pipes, devices), or `None`
    /// where the kernel does not say.
    bytes_read: Option<u64>,
}

/// `rchar` of a process: /proc/PID/io still holds it while the exited process waits to be
/// reaped.
fn bytes_read(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
}

/// Whether a child has exited but is not reaped yet (a zombie), from /proc/PID/stat.
fn exited_unreaped(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(|st| st == "Z"))
        })
        .unwrap_or(false)
}

/// Runs the binary under a memory limit (`ulimit -v`, through `sh`), and kills it and fails
/// the test only if it hangs (`HANG`).
fn run_bounded(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_counted(args, stdin).0
}

/// `run_bounded`, and the work the run did.
// Every path reaps the child (`wait_with_output` once it has exited, `wait` after a kill); the
// lint does not follow the exit seen in /proc.
#[allow(clippy::zombie_processes)]
fn run_counted(args: &[&str], stdin: Option<&[u8]>) -> (Output, Work) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_kubectl-ambient_policy"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        let mut w = child.stdin.take().unwrap();
        let input = input.to_vec();
        // A writer thread: the binary may refuse before reading everything.
        std::thread::spawn(move || {
            let _ = w.write_all(&input);
        });
    }
    let start = Instant::now();
    let pid = child.id();
    let proc_fs = Path::new("/proc/self/io").exists();
    loop {
        // With /proc, the counters are read before reaping: once reaped, /proc/PID is gone.
        let done = if proc_fs {
            exited_unreaped(pid)
        } else {
            child.try_wait().unwrap().is_some()
        };
        if done {
            let work = Work {
                bytes_read: bytes_read(pid),
            };
            return (child.wait_with_output().unwrap(), work);
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still running after {HANG:?}: hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The bytes read of a finished run; every Linux kernel reports them.
fn read_of(work: &Work) -> u64 {
    work.bytes_read
        .expect("/proc/PID/io gives the bytes a process read")
}

/// Exit 2, one line starting with `error: `, containing every `want`, nothing on stdout.
fn refused(o: &Output, wants: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in wants {
        assert!(err.contains(w), "want {w:?} in {err}");
    }
    assert!(o.stdout.is_empty());
    err
}

fn explain_file(path: &Path) -> Output {
    explain_counted(path).0
}

fn explain_counted(path: &Path) -> (Output, Work) {
    run_counted(
        &["explain", "-A", "-f", path.to_str().unwrap(), "-o", "json"],
        None,
    )
}

/// What a run may read besides its input (its own small reads, e.g. /proc and /etc files).
const OVERHEAD_BYTES: u64 = 1 << 20;

#[test]
fn yaml_alias_bomb_is_refused() {
    // "Billion laughs": nine levels of ten aliases each expand to 10^9 strings.
    let mut y = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [\"lol\"]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        y.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    let dir = scratch("alias");
    let f = dir.join("bomb.yaml");
    std::fs::write(&f, y).unwrap();
    refused(&explain_file(&f), &["bomb.yaml", "(document 1)", "limit"]);
}

#[test]
fn deep_nesting_is_refused() {
    let dir = scratch("deep");
    // YAML, block style: 200 nested mappings.
    let mut y = String::from("apiVersion: v1\nkind: Pod\nmetadata: {name: deep}\nspec:\n");
    for i in 0..200 {
        y.push_str(&format!("{}k:\n", "  ".repeat(i + 1)));
    }
    let f = dir.join("deep.yaml");
    std::fs::write(&f, y).unwrap();
    refused(&explain_file(&f), &["deep.yaml", "(document 1)", "64"]);
    // YAML, flow style: 100,000 opening brackets.
    let f = dir.join("flow.yaml");
    std::fs::write(&f, format!("a: {}", "[".repeat(100_000))).unwrap();
    refused(&explain_file(&f), &["flow.yaml", "invalid YAML"]);
    // JSON, in a field the plugin never reads: skipped without recursion, so handled.
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let f = dir.join("unread.json");
    std::fs::write(
        &f,
        format!(
            r#"{{"apiVersion": "v1", "kind": "Namespace", "metadata": {{"name": "n"}}, "x": {}}}"#,
            deep(100_000)
        ),
    )
    .unwrap();
    let o = explain_file(&f);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // JSON, in a field it reads: refused at serde_json's depth limit.
    let f = dir.join("deep.json");
    std::fs::write(
        &f,
        format!(
            r#"{{"apiVersion": "v1", "kind": "Service", "metadata": {{"name": "s"}}, "spec": {{"ports": [{{"port": 80, "targetPort": {}}}]}}}}"#,
            deep(100_000)
        ),
    )
    .unwrap();
    refused(
        &explain_file(&f),
        &[
            "deep.json (document 1, Service s)",
            "targetPort",
            "nested deeper than 128 levels",
        ],
    );
    // JSON that never closes its brackets.
    std::fs::write(&f, format!("{{\"spec\": {}", "[".repeat(100_000))).unwrap();
    refused(&explain_file(&f), &["deep.json:1:", "invalid JSON"]);
}

#[test]
fn oversized_and_endless_inputs_are_refused() {
    let dir = scratch("big");
    // Over the limit: refused from its size, before reading (a sparse file: no disk used).
    let f = dir.join("huge.yaml");
    let file = std::fs::File::create(&f).unwrap();
    file.set_len(ambient_policy::source::limits::MAX_FILE_BYTES + 1)
        .unwrap();
    let (o, work) = explain_counted(&f);
    refused(&o, &["huge.yaml", "larger than 512 MiB (limit)"]);
    assert!(read_of(&work) < OVERHEAD_BYTES, "read {}", read_of(&work));
    // 100 MB under the limit, but binary: refused from its first block.
    let f = dir.join("zeros.yaml");
    std::fs::File::create(&f)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let (o, work) = explain_counted(&f);
    refused(&o, &["zeros.yaml", "binary data"]);
    assert!(read_of(&work) < OVERHEAD_BYTES, "read {}", read_of(&work));
    // A device that never ends: refused from its first block too.
    if Path::new("/dev/zero").exists() {
        let (o, work) = explain_counted(Path::new("/dev/zero"));
        refused(&o, &["/dev/zero", "binary data"]);
        assert!(read_of(&work) < OVERHEAD_BYTES, "read {}", read_of(&work));
    }
}

/// 100 MB of comments before one Namespace: read once, split and skipped line by line, in the
/// memory limit (a copy per line, or the file held several times over, would exceed it).
#[test]
fn a_hundred_megabytes_of_yaml_is_read_once_in_bounded_memory() {
    let dir = scratch("100mb");
    let f = dir.join("big.yaml");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&f).unwrap());
    let line = format!("# {}\n", "x".repeat(98));
    for _ in 0..(100 << 20) / line.len() {
        w.write_all(line.as_bytes()).unwrap();
    }
    w.write_all(b"apiVersion: v1\nkind: Namespace\nmetadata: {name: big}\n")
        .unwrap();
    drop(w);
    let size = std::fs::metadata(&f).unwrap().len();
    let (o, work) = explain_counted(&f);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let read = read_of(&work);
    assert!(
        (size..size + OVERHEAD_BYTES).contains(&read),
        "read {read} bytes of a {size}-byte file: once, and no more"
    );
}

#[test]
fn binary_garbage_and_invalid_utf8_are_refused() {
    let dir = scratch("garbage");
    // Pseudo-random bytes (deterministic), NULs included.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let bytes: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let f = dir.join("garbage.yaml");
    std::fs::write(&f, &bytes).unwrap();
    refused(&explain_file(&f), &["garbage.yaml", "binary data"]);
    // Garbage without NULs is still not UTF-8.
    let no_nul: Vec<u8> = bytes.iter().map(|b| b | 0x80).collect();
    std::fs::write(&f, &no_nul).unwrap();
    refused(&explain_file(&f), &["garbage.yaml:1: not UTF-8 text"]);
    // One invalid byte in an otherwise fine manifest: the line is named.
    let f = dir.join("latin1.yaml");
    std::fs::write(
        &f,
        b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: caf\xe9\n".as_slice(),
    )
    .unwrap();
    refused(&explain_file(&f), &["latin1.yaml:4: not UTF-8 text"]);
    // Printable garbage that is not YAML either.
    let f = dir.join("text.yaml");
    std::fs::write(&f, "{{{ ]]] :::\n\t- - -\n").unwrap();
    refused(&explain_file(&f), &["text.yaml"]);
    // The same on stdin.
    let o = run_bounded(&["explain", "-f", "-"], Some(&bytes));
    refused(&o, &["<stdin>", "binary data"]);
}

#[test]
fn duplicate_keys_are_refused() {
    let dir = scratch("dup");
    let f = dir.join("dup.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    )
    .unwrap();
    refused(
        &explain_file(&f),
        &["dup.yaml:9:", "(document 2)", "duplicate"],
    );
    let f = dir.join("dup.json");
    std::fs::write(
        &f,
        r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "metadata": {"name": "b"}}"#,
    )
    .unwrap();
    refused(
        &explain_file(&f),
        &["dup.json (document 1, Pod", "duplicate field `metadata`"],
    );
}

/// The document count is bounded: past the limit the input is refused, not decoded on.
#[test]
fn a_million_tiny_documents_are_refused_at_the_document_limit() {
    let dir = scratch("million");
    let f = dir.join("million.yaml");
    std::fs::write(&f, "---\na: 1\n".repeat(1_000_000)).unwrap();
    refused(
        &explain_file(&f),
        &["million.yaml", "more than 250000 YAML documents", "limit"],
    );
    // Separators alone are no documents: a million of them is an empty input.
    std::fs::write(&f, "---\n".repeat(1_000_000)).unwrap();
    assert_eq!(explain_file(&f).status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn symlink_loops_in_directories_end() {
    use std::os::unix::fs::symlink;
    let dir = scratch("loop");
    let root = dir.join("manifests");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(
        root.join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: looped}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("sub/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: looped}\n",
    )
    .unwrap();
    symlink(&root, root.join("sub/up")).unwrap(); // sub/up -> manifests
    symlink("..", root.join("sub/parent")).unwrap(); // relative loop
    symlink(root.join("sub"), root.join("again")).unwrap(); // the same directory twice
    let o = explain_file(&root);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Each file read once: one pod, not one per path through the loops.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pods = v["workloads"].as_array().unwrap();
    assert_eq!(pods.len(), 1, "{pods:?}");
    // A file that is a link to itself cannot be read: one line naming it.
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    symlink(bad.join("self.yaml"), bad.join("self.yaml")).unwrap();
    refused(&explain_file(&bad), &["self.yaml: cannot read"]);
}
