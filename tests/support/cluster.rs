//! Running the real binary against the test API server (`apiserver`): the bundled example as
//! API objects, a scratch directory with a kubeconfig for the server, and the binary run with
//! that kubeconfig (and a HOME of its own, so that no ~/.kube of the machine leaks in).

use super::apiserver::ApiServer;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

pub const EXE: &str = env!("CARGO_BIN_EXE_kubectl-ambient_policy");
pub const EXAMPLE: &str = "examples/bookinfo";

/// `--request-timeout` when none is given.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The product ends a whole read within six times `--request-timeout`. A test allows that plus
/// a minute to start the process on a loaded machine: only a hang misses it. How promptly a
/// failure comes is counted in requests (`World::run_asking`); speed is for the benchmarks.
pub fn read_bound(request_timeout: Duration) -> Duration {
    request_timeout * 6 + Duration::from_secs(60)
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// The bundled example's objects, in file order, as the API server serves them.
pub fn example_objects() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            serde_saphyr::from_multiple::<Value>(&std::fs::read_to_string(p).unwrap()).unwrap()
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// A fresh, empty directory under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `explain -f EXAMPLE -o json EXTRA...`: what a live read of the same objects must print.
pub fn files_json(extra: &[&str]) -> String {
    let mut args = vec!["explain", "-f", EXAMPLE, "-o", "json"];
    args.extend_from_slice(extra);
    let o = Command::new(EXE)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    // The one thing a live read says differently: no NetworkPolicy there means none exist,
    // where manifests may just not carry them.
    let offline = "\"value\": \"none in the input\",\n      \"source\": \"offline: none given, or not exported (add `kubectl get networkpolicies -A -o yaml`)\"";
    let live = "\"value\": \"none\",\n      \"source\": \"none exist in the namespaces read: the CNI admits every path\"";
    let out = text(&o.stdout);
    assert!(
        out.contains(offline),
        "the offline NetworkPolicy assumption changed: {out}"
    );
    out.replace(offline, live)
}

/// A test API server, its scratch directory and a kubeconfig for it.
pub struct World {
    pub server: ApiServer,
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
}

impl World {
    /// Serves `objects`; the kubeconfig in `scratch(name)` has `contexts` (name, namespace,
    /// token), the first one current.
    pub fn start(name: &str, objects: Vec<Value>, contexts: &[(&str, Option<&str>, &str)]) -> Self {
        let server = ApiServer::start(objects);
        let dir = scratch(name);
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, server.kubeconfig(contexts)).unwrap();
        World {
            server,
            dir,
            kubeconfig,
        }
    }

    /// The binary in the crate root, reading `kubeconfig` through KUBECONFIG.
    pub fn command_with(&self, kubeconfig: &Path) -> Command {
        let mut c = Command::new(EXE);
        c.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("KUBECONFIG", kubeconfig)
            .env("HOME", &self.dir);
        c
    }

    pub fn command(&self) -> Command {
        self.command_with(&self.kubeconfig)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(&self.kubeconfig, args)
    }

    pub fn run_with(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        self.command_with(kubeconfig).args(args).output().unwrap()
    }

    /// Runs `args`: the output, and the most times the run asked the server for one same
    /// path (a retry asks again; an answer that cannot change is asked for once).
    pub fn run_asking(&self, args: &[&str]) -> (Output, usize) {
        let before = self.server.requests().len();
        let o = self.run(args);
        let mut asks = std::collections::BTreeMap::<String, usize>::new();
        for (m, p) in &self.server.requests()[before..] {
            *asks.entry(format!("{m} {p}")).or_default() += 1;
        }
        (o, asks.into_values().max().unwrap_or(0))
    }
}
