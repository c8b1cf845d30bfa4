//! Writes a synthetic mesh of N pods (N/5 Services, N/10 AuthorizationPolicies, 20 waypoints,
//! 10 namespaces) as `kubectl get -o json` prints a List, for trying the plugin at scale;
//! with `--deployments`, N Deployments of one replica stand for the pods; with
//! `--big-namespaces`, the pods are replicas of applications of 20 that share their
//! namespace's labels, with N/10 Services and namespace-wide policies (issue 16's shape):
//!
//!     cargo run --release --example gen_mesh -- 10000 > mesh.json
//!     cargo run --release --example gen_mesh -- 10000 --big-namespaces > big.json
//!     kubectl-ambient_policy explain -A -f mesh.json -o json > /dev/null

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use synthetic::{Shape, Workloads};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workloads = if args.iter().any(|a| a == "--deployments") {
        Workloads::Deployments
    } else {
        Workloads::Pods
    };
    let shape = if args.iter().any(|a| a == "--big-namespaces") {
        Shape::BigNamespaces
    } else {
        Shape::Apps
    };
    let pods = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse::<usize>().ok())
        .collect::<Vec<_>>();
    let [Some(pods)] = pods[..] else {
        eprintln!("usage: gen_mesh N [--deployments] [--big-namespaces] > mesh.json");
        std::process::exit(2);
    };
    if let Err(e) = synthetic::write_shaped(pods, workloads, shape, std::io::stdout().lock()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
