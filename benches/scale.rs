//! Scale benchmark of the file source and the analysis (issue 9): offline
//! `explain -A -f mesh.json -o json` on synthetic meshes of 1k, 10k, 40k and 100k pods
//! (tests/support/synthetic.rs), side by side with CPython's `json.load` of the same file,
//! with the peak RSS of each. Targets: at 10k pods at most 0.5x json.load's time and a peak
//! RSS at most 3x the input; 40k/10k time at most 4.6x; 100k completes. The same meshes with
//! Deployments instead of pods (10k and 40k) check that workloads made from pod templates
//! scale alike.
//! Run: `cargo bench --bench scale` (`-- --quick` for 1k and 10k only). Needs python3.
//! Under `cargo test` it runs once on a tiny mesh, as a smoke test of itself.

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use std::process::Command;
use synthetic::Workloads;

/// Times a child and reads its peak RSS and CPU time: a fresh python3 runs it, so
/// RUSAGE_CHILDREN holds exactly that child. Prints wall seconds, peak RSS in bytes, CPU
/// seconds (user + system).
const RUN_CHILD: &str = "import resource,subprocess,sys,time\n\
t=time.perf_counter()\n\
r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE)\n\
dt=time.perf_counter()-t\n\
if r.returncode!=0: sys.exit('exit %d: %s' % (r.returncode, r.stderr.decode()))\n\
u=resource.getrusage(resource.RUSAGE_CHILDREN)\n\
print(dt, u.ru_maxrss*1024, u.ru_utime+u.ru_stime)";

/// json.load alone, timed inside the interpreter (its start-up is not counted).
const JSON_LOAD: &str = "import json,resource,sys,time\n\
t=time.perf_counter()\n\
c=time.process_time()\n\
with open(sys.argv[1]) as f: json.load(f)\n\
dt=time.perf_counter()-t\n\
dc=time.process_time()-c\n\
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss*1024, dc)";

/// (wall seconds, peak RSS bytes, CPU seconds)
type Measure = (f64, u64, f64);

fn python(args: &[&str]) -> Measure {
    let out = Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    let mut it = s.split_whitespace();
    let t: f64 = it.next().unwrap().parse().unwrap();
    let rss: u64 = it.next().unwrap().parse().unwrap();
    let cpu: f64 = it.next().unwrap().parse().unwrap();
    (t, rss, cpu)
}

fn median(mut v: Vec<Measure>) -> Measure {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v[v.len() / 2]
}

struct Row {
    pods: usize,
    workloads: Workloads,
    bytes: u64,
    plugin: Measure,
    python: Measure,
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let quick = std::env::args().any(|a| a == "--quick");
    use Workloads::{Deployments, Pods};
    let sizes: &[(usize, Workloads)] = if !bench {
        &[(200, Pods), (200, Deployments)]
    } else if quick {
        &[(1_000, Pods), (10_000, Pods)]
    } else {
        &[
            (1_000, Pods),
            (10_000, Pods),
            (40_000, Pods),
            (100_000, Pods),
            (10_000, Deployments),
            (40_000, Deployments),
        ]
    };
    if Command::new("python3").arg("--version").output().is_err() {
        println!("scale benchmark skipped: python3 is not on PATH");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_kubectl-ambient_policy");
    let dir = std::env::temp_dir().join(format!("ambient-policy-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = Vec::new();
    for &(pods, workloads) in sizes {
        let file = dir.join(format!("mesh-{pods}-{workloads:?}.json"));
        synthetic::write_list(pods, workloads, std::fs::File::create(&file).unwrap()).unwrap();
        let path = file.to_str().unwrap();
        let bytes = std::fs::metadata(&file).unwrap().len();
        if !bench {
            check_workloads(exe, path, pods, workloads);
        }
        let rounds = if !bench || pods > 10_000 { 1 } else { 5 };
        // Warm the page cache for both readers.
        let _ = std::fs::read(&file);
        let (mut p, mut q) = (vec![], vec![]);
        for _ in 0..rounds {
            p.push(python(&[
                "-c", RUN_CHILD, exe, "explain", "-A", "-f", path, "-o", "json",
            ]));
            q.push(python(&["-c", JSON_LOAD, path]));
        }
        rows.push(Row {
            pods,
            workloads,
            bytes,
            plugin: median(p),
            python: median(q),
        });
        let _ = std::fs::remove_file(&file);
    }
    let _ = std::fs::remove_dir_all(&dir);
    report(&rows, bench);
    check_smoke(&rows, bench);
}

fn mb(b: u64) -> f64 {
    b as f64 / 1e6
}

fn report(rows: &[Row], bench: bool) {
    if !bench {
        for r in rows {
            println!(
                "scale benchmark smoke run ({} {}, {:.1} MB): explain {:.0} ms, json.load {:.0} ms (timings are meaningful only under `cargo bench`)",
                r.pods, label(r.workloads), mb(r.bytes), r.plugin.0 * 1e3, r.python.0 * 1e3
            );
        }
        return;
    }
    println!("offline explain -A -f mesh.json -o json vs CPython json.load (median of 5 up to 10k pods, else 1 run)");
    println!("| workloads | input | explain | json.load | ratio | explain CPU | json.load CPU | explain peak RSS | RSS / input | json.load peak RSS |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} {} | {:.0} MB | {:.2} s | {:.2} s | {:.2}x | {:.2} s | {:.2} s | {:.0} MB | {:.1}x | {:.0} MB |",
            r.pods,
            label(r.workloads),
            mb(r.bytes),
            r.plugin.0,
            r.python.0,
            r.plugin.0 / r.python.0,
            r.plugin.2,
            r.python.2,
            mb(r.plugin.1),
            r.plugin.1 as f64 / r.bytes as f64,
            mb(r.python.1),
        );
    }
    let at = |n: usize, w: Workloads| rows.iter().find(|r| r.pods == n && r.workloads == w);
    for w in [Workloads::Pods, Workloads::Deployments] {
        if let (Some(a), Some(b)) = (at(10_000, w), at(40_000, w)) {
            println!(
                "{}: 40k/10k time {:.2}x (CPU {:.2}x) for {:.2}x the input (target <= 4.6x)",
                label(w),
                b.plugin.0 / a.plugin.0,
                b.plugin.2 / a.plugin.2,
                b.bytes as f64 / a.bytes as f64
            );
        }
    }
    if let Some(a) = at(10_000, Workloads::Pods) {
        println!(
            "10k pods: {:.2}x json.load (target <= 0.5), peak RSS {:.1}x the input (target <= 3)",
            a.plugin.0 / a.python.0,
            a.plugin.1 as f64 / a.bytes as f64
        );
    }
}

/// The smoke run checks that the plugin sees every workload of the mesh, pods or
/// Deployments, each in the ambient mesh.
fn check_workloads(exe: &str, path: &str, pods: usize, workloads: Workloads) {
    let out = Command::new(exe)
        .args(["explain", "-A", "-f", path, "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let seen = v["workloads"].as_array().unwrap();
    assert_eq!(seen.len(), pods, "{workloads:?}");
    let kind = match workloads {
        Workloads::Pods => "Pod",
        Workloads::Deployments => "Deployment",
    };
    for w in seen {
        assert_eq!(w["kind"], kind, "{w}");
        assert_eq!(w["dataplane"], "ambient", "{w}");
    }
}

fn label(w: Workloads) -> &'static str {
    match w {
        Workloads::Pods => "pods",
        Workloads::Deployments => "Deployments",
    }
}

/// The smoke run checks the benchmark measured something real.
fn check_smoke(rows: &[Row], bench: bool) {
    if bench {
        return;
    }
    for r in rows {
        assert!(r.bytes > 200 * 2_000, "workloads are realistic in size");
        assert!(r.plugin.0 > 0.0 && r.plugin.1 > 0 && r.python.1 > 0);
    }
}
