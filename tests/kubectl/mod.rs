//! Finds the real kubectl client for the tests that go through it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// `KUBECTL`, else `kubectl` on PATH; `None` (with one "skipped" line) outside CI.
///
/// Google Cloud SDK installs a version-dispatching `kubectl` that first asks the API server
/// for its version (5 s against a silent server) and then runs `kubectl.1.NN` beside it. The
/// newest of those is the client itself, so tests that time kubectl use it directly.
pub fn kubectl() -> Option<PathBuf> {
    let found = std::env::var_os("KUBECTL").map(PathBuf::from).or_else(|| {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("kubectl"))
                .find(|k| k.is_file())
        })
    });
    let Some(found) = found else {
        assert!(std::env::var_os("CI").is_none(), "kubectl is not on PATH");
        eprintln!("skipped: kubectl is not on PATH");
        return None;
    };
    let version = Command::new(&found)
        .args(["version", "--client"])
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !version.contains("dispatcher") {
        return Some(found);
    }
    let real = found.canonicalize().ok()?;
    let dir = real.parent()?;
    let newest = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let minor: u32 = name.strip_prefix("kubectl.1.")?.parse().ok()?;
            Some((minor, dir.join(name)))
        })
        .max();
    Some(newest.map_or(found, |(_, p)| p))
}
