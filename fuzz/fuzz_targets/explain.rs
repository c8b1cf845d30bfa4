//! The whole analysis on whatever the loader accepts: explain one namespace and all of them,
//! render every format. Nothing may panic; the JSON must parse back.
#![no_main]

#[path = "../../tests/support/robust.rs"]
mod robust;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    robust::explain_all(data);
});
