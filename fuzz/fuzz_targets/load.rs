//! The manifest loader on arbitrary bytes: a Snapshot or one clear error line, never a panic,
//! within libFuzzer's -timeout and -rss_limit_mb.
#![no_main]

// Only `load` of the shared checks is used here.
#[allow(dead_code)]
#[path = "../../tests/support/robust.rs"]
mod robust;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    robust::load(data);
});
