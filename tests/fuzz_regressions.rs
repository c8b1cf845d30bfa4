//! Replays, without the fuzzer, every input the fuzz targets (fuzz/) crashed on, and the
//! seeds they start from, through the same checks (tests/support/robust.rs): the loader
//! gives a Snapshot or a one-line error; the analysis and every renderer never panic.

#[path = "support/robust.rs"]
mod robust;

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    v.sort();
    v
}

fn replay(dir: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let inputs = files(&dir);
    for p in &inputs {
        let data = std::fs::read(p).unwrap();
        // One input per panic message: name the file that failed.
        let r = std::panic::catch_unwind(|| robust::explain_all(&data));
        assert!(r.is_ok(), "{} fails the fuzz checks", p.display());
    }
    inputs.len()
}

/// The fuzzers' hand-written seeds are valid manifests; they, and every input a fuzz target
/// ever failed on (`tests/fuzz-regressions/`, one file each), pass the fuzz checks.
#[test]
fn fuzz_seeds_and_past_crashes_pass_the_fuzz_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for p in files(&dir) {
        let data = std::fs::read(&p).unwrap();
        assert!(
            robust::load(&data).is_some(),
            "{} does not load",
            p.display()
        );
    }
    assert!(replay("fuzz/seeds") >= 2);
    replay("tests/fuzz-regressions");
}
