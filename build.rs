//! Build metadata for `kubectl ambient-policy version`: the git commit of the checkout and the
//! target triple. Outside a git checkout of this crate (crates.io, a source archive) the commit
//! is "unknown"; a parent directory's repository never counts.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The crate's directory as Cargo gives it when the script runs (not `env!`, fixed when the
/// script was compiled: a target directory copied from another checkout would report that
/// checkout's commit).
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default())
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(manifest_dir())
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

fn main() {
    let manifest_dir = manifest_dir();
    let ours = git(&["rev-parse", "--show-toplevel"])
        .and_then(|t| Path::new(&t).canonicalize().ok())
        .is_some_and(|t| manifest_dir.canonicalize().is_ok_and(|m| m == t));
    let commit = ours
        .then(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .flatten()
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=AMBIENT_POLICY_GIT_COMMIT={commit}");
    println!(
        "cargo:rustc-env=AMBIENT_POLICY_TARGET={}",
        std::env::var("TARGET").unwrap_or_else(|_| "unknown".into())
    );
    // Re-run when HEAD moves: HEAD itself (a branch switch) and the branch it points to (a
    // loose ref, else packed-refs). Only existing files: a missing one would rebuild always.
    if ours {
        let path = |dir: Option<String>, file: &str| dir.map(|d| manifest_dir.join(d).join(file));
        let common = git(&["rev-parse", "--git-common-dir"]);
        let branch = git(&["symbolic-ref", "-q", "HEAD"])
            .and_then(|r| path(common.clone(), &r))
            .filter(|p| p.exists())
            .or_else(|| path(common, "packed-refs"));
        for p in [path(git(&["rev-parse", "--git-dir"]), "HEAD"), branch]
            .into_iter()
            .flatten()
            .filter(|p| p.exists())
        {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
