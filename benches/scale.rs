//! Scale benchmark of the file source and the analysis (issues 9 and 16): offline
//! `explain -A -f mesh.json -o json` on synthetic meshes (tests/support/synthetic.rs) of two
//! shapes, applications of five pods (issue 9's) and few big namespaces (issue 16's: apps of
//! 20 replicas sharing their namespace's labels, namespace-wide policies), each from 10k to
//! 100k pods by doublings, side by side with CPython's `json.load` of the same file, with the
//! peak RSS of each. Targets for both shapes: at 10k pods at most 0.4x json.load's time, each
//! doubling of the pods at most 2.1x the time, peak RSS at most 2.5x the input from 10k pods
//! up. The first shape with Deployments instead of pods (10k and 40k) checks that workloads
//! made from pod templates scale alike. The machine's load average is printed before and
//! after: on a shared machine, compare runs only at like loads.
//! Run: `cargo bench --bench scale` (`-- --quick` for 1k and 10k only). Needs python3.
//! Under `cargo test` it runs once on tiny meshes, as a smoke test of itself.

#[path = "support/measure.rs"]
mod measure;
#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use measure::{load_average, median, python, Measure, RUN_CHILD};
use std::process::Command;
use synthetic::{Shape, Workloads};

/// json.load alone, timed inside the interpreter (its start-up is not counted).
const JSON_LOAD: &str = "import json,resource,sys,time\n\
t=time.perf_counter()\n\
c=time.process_time()\n\
with open(sys.argv[1]) as f: json.load(f)\n\
dt=time.perf_counter()-t\n\
dc=time.process_time()-c\n\
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss*1024, dc)";

struct Row {
    pods: usize,
    workloads: Workloads,
    shape: Shape,
    bytes: u64,
    plugin: Measure,
    python: Measure,
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let quick = std::env::args().any(|a| a == "--quick");
    use Shape::{Apps, BigNamespaces as Big};
    use Workloads::{Deployments, Pods};
    let doublings = [10_000, 20_000, 40_000, 80_000, 100_000];
    let sizes: Vec<(usize, Workloads, Shape)> = if !bench {
        vec![
            (200, Pods, Apps),
            (200, Deployments, Apps),
            (400, Pods, Big),
        ]
    } else if quick {
        vec![
            (1_000, Pods, Apps),
            (10_000, Pods, Apps),
            (10_000, Pods, Big),
        ]
    } else {
        let mut v = vec![(1_000, Pods, Apps)];
        for shape in [Apps, Big] {
            v.extend(doublings.iter().map(|&n| (n, Pods, shape)));
        }
        v.extend([(10_000, Deployments, Apps), (40_000, Deployments, Apps)]);
        v
    };
    if Command::new("python3").arg("--version").output().is_err() {
        println!("scale benchmark skipped: python3 is not on PATH");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_kubectl-ambient_policy");
    let dir = std::env::temp_dir().join(format!("ambient-policy-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = Vec::new();
    let load_before = load_average();
    // Every mesh is written (and on disk, so that no write-back runs during the timings)
    // before any is measured, and the sizes are measured in turn, round after round: a
    // shared host's slow minutes then fall on every size alike, not on one doubling.
    let meshes: Vec<(std::path::PathBuf, u64)> = (sizes.iter())
        .map(|&(pods, workloads, shape)| {
            let file = dir.join(format!("mesh-{pods}-{workloads:?}-{shape:?}.json"));
            let mut out = std::fs::File::create(&file).unwrap();
            synthetic::write_shaped(pods, workloads, shape, &mut out).unwrap();
            out.sync_all().unwrap();
            let path = file.to_str().unwrap();
            if !bench {
                check_workloads(exe, path, pods, workloads);
            }
            // Warm the page cache for both readers, through a small buffer: a child inherits
            // this process's peak RSS as its own (Linux keeps it across exec), and json.load's
            // is read from the child itself.
            let mut read = std::fs::File::open(&file).unwrap();
            let _ = std::io::copy(&mut read, &mut std::io::sink());
            let bytes = std::fs::metadata(&file).unwrap().len();
            (file, bytes)
        })
        .collect();
    // The doublings are the plugin's times, a median of 9 at every size (a run takes
    // about a second at most, and one was several percent off on a quiet machine);
    // json.load, the reference at 10k, takes seconds above 20k pods and runs once there.
    let rounds = if bench { 9 } else { 1 };
    let python_rounds = |pods: usize| if !bench || pods > 20_000 { 1 } else { 5 };
    let mut runs: Vec<(Vec<Measure>, Vec<Measure>)> =
        sizes.iter().map(|_| (vec![], vec![])).collect();
    for round in 0..rounds {
        for (i, &(pods, ..)) in sizes.iter().enumerate() {
            let path = meshes[i].0.to_str().unwrap();
            runs[i].0.push(python(&[
                "-c", RUN_CHILD, exe, "explain", "-A", "-f", path, "-o", "json",
            ]));
            if round < python_rounds(pods) {
                runs[i].1.push(python(&["-c", JSON_LOAD, path]));
            }
        }
    }
    for ((&(pods, workloads, shape), (p, q)), (file, bytes)) in sizes.iter().zip(runs).zip(meshes) {
        rows.push(Row {
            pods,
            workloads,
            shape,
            bytes,
            plugin: median(p),
            python: median(q),
        });
        let _ = std::fs::remove_file(&file);
    }
    let _ = std::fs::remove_dir_all(&dir);
    report(&rows, bench);
    if bench {
        println!(
            "load average (1, 5, 15 min) before: {load_before}; after: {}",
            load_average()
        );
    }
    check_smoke(&rows, bench);
}

fn mb(b: u64) -> f64 {
    b as f64 / 1e6
}

fn report(rows: &[Row], bench: bool) {
    if !bench {
        for r in rows {
            println!(
                "scale benchmark smoke run ({}, {:.1} MB): explain {:.0} ms, json.load {:.0} ms (timings are meaningful only under `cargo bench`)",
                label(r), mb(r.bytes), r.plugin.0 * 1e3, r.python.0 * 1e3
            );
        }
        return;
    }
    println!("offline explain -A -f mesh.json -o json vs CPython json.load (explain: median of 9, the sizes in turn; json.load: median of 5 up to 20k pods, else 1 run)");
    println!("| workloads | input | explain | json.load | ratio | explain CPU | json.load CPU | explain peak RSS | RSS / input | json.load peak RSS |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.0} MB | {:.2} s | {:.2} s | {:.2}x | {:.2} s | {:.2} s | {:.0} MB | {:.1}x | {:.0} MB |",
            label(r),
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
    for shape in [Shape::Apps, Shape::BigNamespaces] {
        let of = |r: &&Row| r.shape == shape && r.workloads == Workloads::Pods;
        let series: Vec<&Row> = rows
            .iter()
            .filter(of)
            .filter(|r| r.pods >= 10_000)
            .collect();
        let Some(first) = series.first().filter(|r| r.pods == 10_000) else {
            continue;
        };
        println!(
            "{shape:?}: 10k pods {:.2}x json.load (target <= 0.4); peak RSS at most {:.2}x the input from 10k up (target <= 2.5)",
            first.plugin.0 / first.python.0,
            series.iter().map(|r| r.plugin.1 as f64 / r.bytes as f64).fold(0.0, f64::max),
        );
        for w in series.windows(2).filter(|w| w[1].pods == 2 * w[0].pods) {
            println!(
                "{shape:?}: {}k -> {}k pods: time {:.2}x, CPU {:.2}x, for {:.2}x the input (target <= 2.1x)",
                w[0].pods / 1000,
                w[1].pods / 1000,
                w[1].plugin.0 / w[0].plugin.0,
                w[1].plugin.2 / w[0].plugin.2,
                w[1].bytes as f64 / w[0].bytes as f64
            );
        }
    }
}

/// /proc/loadavg's first three fields (empty where there is none).
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

fn label(r: &Row) -> String {
    let what = match r.workloads {
        Workloads::Pods => "pods",
        Workloads::Deployments => "Deployments",
    };
    match r.shape {
        Shape::Apps => format!("{} {what}", r.pods),
        Shape::BigNamespaces => format!("{} {what}, big namespaces", r.pods),
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
