//! The panic hook end to end (issue 9, item 5): a process that installs the hook the binary
//! installs (`main` calls it first) and then panics with credentials in the message prints
//! one line on stderr, without them, and exits non-zero. The binary has no way to panic on
//! purpose, and should not have one, so this test runs its own executable again as that
//! process.

use ambient_policy::source::secrets;
use std::process::Command;

const CHILD: &str = "AMBIENT_POLICY_PANIC_HOOK_CHILD";
const TOKEN: &str = "remembered-token-7c1e40b9";
const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq\n-----END RSA PRIVATE KEY-----\n";
const BEARER: &str = "sha256~c2VjcmV0LXRva2Vu";

#[test]
fn a_panic_prints_one_line_without_credentials_and_fails() {
    if std::env::var_os(CHILD).is_some() {
        // As `kubeconfig` reading does: the token is remembered, the rest is shaped like a
        // credential.
        secrets::remember(TOKEN);
        secrets::install_panic_hook();
        panic!("unexpected state\nwhile using {TOKEN}\nAuthorization: Bearer {BEARER}\nclient key {KEY}");
    }
    let o = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_panic_prints_one_line_without_credentials_and_fails",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let all = format!("{}{err}", String::from_utf8_lossy(&o.stdout));
    assert!(
        !o.status.success(),
        "the panicking process succeeded: {all}"
    );
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(
        err.starts_with(
            "error: internal error (a bug; please report it): unexpected state while using <redacted> Authorization: Bearer <redacted> client key <redacted> at tests/panic_hook.rs:"
        ),
        "{err}"
    );
    for secret in [
        TOKEN,
        BEARER,
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo",
        "PRIVATE KEY",
    ] {
        assert!(!all.contains(secret), "{secret} printed: {all}");
    }
    // Nothing of Rust's default hook (its "panicked at" line and backtrace note).
    assert!(
        !err.contains("panicked at") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}
