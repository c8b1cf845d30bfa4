//! How the benchmarks measure a child process: wall time, peak RSS and CPU time, read by a
//! fresh python3 around it (RUSAGE_CHILDREN then holds exactly that child), and the machine's
//! load, printed beside the figures.
#![allow(dead_code)]

use std::process::Command;

/// Runs argv[1:]: prints wall seconds, peak RSS in bytes, CPU seconds (user + system).
pub const RUN_CHILD: &str = "import resource,subprocess,sys,time\n\
t=time.perf_counter()\n\
r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE)\n\
dt=time.perf_counter()-t\n\
if r.returncode!=0: sys.exit('exit %d: %s' % (r.returncode, r.stderr.decode()))\n\
u=resource.getrusage(resource.RUSAGE_CHILDREN)\n\
print(dt, u.ru_maxrss*1024, u.ru_utime+u.ru_stime)";

/// (wall seconds, peak RSS bytes, CPU seconds)
pub type Measure = (f64, u64, f64);

/// `python3 ARGS`, which prints a `Measure`.
pub fn python(args: &[&str]) -> Measure {
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

/// Runs `argv` as a measured child (environment inherited).
pub fn child(argv: &[&str]) -> Measure {
    let mut args = vec!["-c", RUN_CHILD];
    args.extend_from_slice(argv);
    python(&args)
}

/// The median by wall time.
pub fn median(mut v: Vec<Measure>) -> Measure {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v[v.len() / 2]
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
