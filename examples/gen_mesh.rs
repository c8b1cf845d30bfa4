//! Writes a synthetic mesh of N pods (N/5 Services, N/10 AuthorizationPolicies, 20 waypoints,
//! 10 namespaces) as `kubectl get -o json` prints a List, for trying the plugin at scale:
//!
//!     cargo run --release --example gen_mesh -- 10000 > mesh.json
//!     kubectl-ambient_policy explain -A -f mesh.json -o json > /dev/null

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

fn main() {
    let pods = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<usize>().ok());
    let Some(pods) = pods else {
        eprintln!("usage: gen_mesh PODS > mesh.json");
        std::process::exit(2);
    };
    if let Err(e) = synthetic::write_list(pods, std::io::stdout().lock()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
