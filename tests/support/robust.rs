//! The checks the fuzz targets make (fuzz/fuzz_targets/*.rs include this file), so that every
//! input they found replays in `cargo test` without the fuzzer (tests/fuzz_regressions.rs).

use ambient_policy::explain::{explain, Scope};
use ambient_policy::render;
use ambient_policy::snapshot::Snapshot;
use ambient_policy::source::files::from_texts;

/// The manifest loader on arbitrary bytes: a Snapshot, or an error of one line plus at most
/// one hint line. Panics (the fuzzer's crash) otherwise.
pub fn load(data: &[u8]) -> Option<Snapshot> {
    // The file source refuses invalid UTF-8 before parsing; lossy text keeps the rest of the
    // input useful.
    let text = String::from_utf8_lossy(data).into_owned();
    // JSON is detected by content, or by a `.json` name whatever the content: try both.
    let json = check(from_texts(&[("fuzz.json".into(), text.clone())], "default"));
    check(from_texts(&[("fuzz.yaml".into(), text)], "default")).or(json)
}

fn check(r: ambient_policy::error::Result<Snapshot>) -> Option<Snapshot> {
    match r {
        Ok(snap) => Some(snap),
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.trim().is_empty(), "empty error message");
            assert!(
                msg.lines().count() <= 2,
                "error is more than one line plus a hint: {msg:?}"
            );
            None
        }
    }
}

/// The whole analysis on whatever the loader accepts: one namespace and all of them, every
/// renderer. The JSON must parse back to what was serialised.
pub fn explain_all(data: &[u8]) {
    let Some(snap) = load(data) else { return };
    for namespace in [Some("default".to_string()), None] {
        let e = explain(
            &snap,
            &Scope {
                namespace,
                selector: None,
            },
        );
        let mut json = Vec::new();
        render::write_json(&e, &mut json).expect("JSON renders");
        let parsed: serde_json::Value = serde_json::from_slice(&json).expect("JSON output parses");
        assert_eq!(
            parsed,
            serde_json::to_value(&e).expect("serialises"),
            "JSON output round-trips"
        );
        render::yaml(&e).expect("YAML renders");
        use render::table::Listing;
        for (wide, findings) in [
            (false, Listing::Auto),
            (true, Listing::All),
            (false, Listing::Summary),
            (false, Listing::None),
        ] {
            render::table::render(
                &e,
                &render::table::Options {
                    wide,
                    findings,
                    ..Default::default()
                },
            );
        }
        // The summary is the count of the findings.
        assert_eq!(
            e.summary.iter().map(|c| c.count).sum::<usize>(),
            e.findings.len(),
            "summary counts every finding"
        );
    }
}
