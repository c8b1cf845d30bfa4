//! Credentials never reach the terminal. The kubeconfig's secrets (tokens, passwords, client
//! keys, auth-provider and exec settings, token and key files) are remembered when it is read,
//! and every message about the cluster passes through `scrub`, which also removes what looks
//! like a credential whatever its origin (bearer tokens, JWTs, PEM blocks, URL passwords,
//! an exec plugin's captured output). A panic hook scrubs panic messages the same way.

use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

const REDACTED: &str = "<redacted>";

/// Shorter strings are not remembered: redacting them would garble ordinary words.
const MIN_SECRET: usize = 6;

/// Remembers a secret (and, for a PEM or base64 text, its parts) so that `scrub` removes it.
pub fn remember(secret: &str) {
    let mut all = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    let mut add = |s: &str| {
        let s = s.trim();
        if s.len() >= MIN_SECRET && !all.iter().any(|x| x == s) {
            all.push(s.to_string());
        }
    };
    add(secret);
    // A PEM key's body lines, in case an error quotes one.
    for line in secret.lines() {
        if !line.starts_with("-----") {
            add(line);
        }
    }
    // `client-key-data` is base64 of the PEM: remember the decoded text too.
    if let Some(decoded) = base64_decode(secret.trim()) {
        if let Ok(text) = String::from_utf8(decoded) {
            add(&text);
            for line in text.lines() {
                if !line.starts_with("-----") {
                    add(line);
                }
            }
        }
    }
    // Longest first, so that a secret containing another is removed whole.
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Remembers the secrets of a kubeconfig: every credential field of every user, and the
/// contents of the files they name.
pub fn remember_kubeconfig(kc: &kube::config::Kubeconfig) {
    // Serialising exposes the `SecretString` fields (kube writes them back out this way).
    let Ok(v) = serde_json::to_value(kc) else {
        return;
    };
    for user in v["users"].as_array().into_iter().flatten() {
        let u = &user["user"];
        for key in ["token", "password", "client-key-data"] {
            if let Some(s) = u[key].as_str() {
                remember(s);
            }
        }
        for key in ["tokenFile", "client-key"] {
            if let Some(path) = u[key].as_str() {
                if let Ok(text) = std::fs::read_to_string(path) {
                    remember(&text);
                }
            }
        }
        if let Some(config) = u["auth-provider"]["config"].as_object() {
            config
                .values()
                .filter_map(|x| x.as_str())
                .for_each(remember);
        }
        for env in u["exec"]["env"].as_array().into_iter().flatten() {
            if let Some(s) = env["value"].as_str() {
                remember(s);
            }
        }
    }
}

/// The message without anything that is or looks like a credential.
pub fn scrub(msg: &str) -> String {
    // The YAML parser (kubeconfigs, exec plugin output) shows the input around an error
    // after ` --> <input>:LINE:COL`: keep the position and the reason, drop the input.
    let msg = msg.split(" --> <input>").next().unwrap_or_default();
    let mut out = msg.to_string();
    for s in SECRETS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    let out = redact_pem(&out);
    let out = redact_after(&out, "Bearer ");
    let out = redact_after(&out, "bearer ");
    let out = redact_exec_output(&out);
    let out = redact_url_passwords(&out);
    redact_jwts(&out)
}

/// `-----BEGIN X-----...-----END X-----` (or to the end when cut off).
fn redact_pem(s: &str) -> String {
    let Some(start) = s.find("-----BEGIN") else {
        return s.to_string();
    };
    let rest = &s[start..];
    let end = rest
        .find("-----END")
        .and_then(|e| rest[e + 8..].find("-----").map(|f| e + 8 + f + 5))
        .unwrap_or(rest.len());
    format!("{}{REDACTED}{}", &s[..start], redact_pem(&rest[end..]))
}

/// The word after `marker` (e.g. an `Authorization` header value).
fn redact_after(s: &str, marker: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i + marker.len()]);
        rest = &rest[i + marker.len()..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
            .unwrap_or(rest.len());
        if end > 0 {
            out.push_str(REDACTED);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// kube prints a failed exec plugin's captured output (`Output { status: .., stdout: .. }`),
/// which may hold the credential it was about to return.
fn redact_exec_output(s: &str) -> String {
    match s.find("Output {") {
        Some(i) => format!("{}<exec plugin output {REDACTED}>", &s[..i]),
        None => s.to_string(),
    }
}

/// `scheme://user:password@host` -> `scheme://<redacted>@host`.
fn redact_url_passwords(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let authority_end = rest
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            out.push_str(REDACTED);
            rest = &rest[at..];
        }
    }
    out.push_str(rest);
    out
}

/// JSON Web Tokens (service-account and OIDC tokens): `eyJ...` header, payload, signature.
fn redact_jwts(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("eyJ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')))
            .unwrap_or(tail.len());
        if tail[..end].matches('.').count() >= 2 {
            out.push_str(REDACTED);
        } else {
            out.push_str(&tail[..end]);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let s = s.trim_end_matches('=');
    if s.len() < 16 || s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for b in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == b)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Panics print one scrubbed line, never a credential that reached a panic message. The
/// process still ends as a panic does (exit code 101).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{}", panic_line(info.payload(), info.location()));
    }));
}

/// The line a panic prints: its message without credentials (scrubbed before its lines are
/// joined, so that a remembered multi-line secret is still recognised whole), on one line,
/// with where it happened.
pub fn panic_line(
    payload: &(dyn std::any::Any + Send),
    location: Option<&std::panic::Location<'_>>,
) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    let message = scrub(&message);
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = location
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!("error: internal error (a bug; please report it): {message}{at}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_and_shaped_secrets_are_removed() {
        remember("s3cr3t-token-value");
        let key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
        remember(&b64(key));
        let msg = format!(
            "failed: s3cr3t-token-value; Authorization: Bearer abc.def; url https://me:pw@host/x; \
             jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln; key {key} line MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"
        );
        let out = scrub(&msg);
        for leak in [
            "s3cr3t-token-value",
            "abc.def",
            "me:pw",
            "eyJhbGciOiJSUzI1NiJ9",
            "MIGHAgEAMBMGByqGSM49",
            "PRIVATE KEY",
        ] {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        assert!(out.starts_with("failed: <redacted>;"), "{out}");
        assert!(out.contains("https://<redacted>@host/x"), "{out}");
        // Ordinary text is untouched.
        assert_eq!(
            scrub("listing pods in default failed: 500 etcd is unhappy"),
            "listing pods in default failed: 500 etcd is unhappy"
        );
        assert_eq!(
            scrub("auth exec command 'x' failed with status exit status: 1: Output { status: 1, stdout: \"tok\" }"),
            "auth exec command 'x' failed with status exit status: 1: <exec plugin output <redacted>>"
        );
    }

    #[test]
    fn a_panic_is_one_line_without_credentials() {
        let token = "kubeconfig-token-5f2c9a";
        remember(token);
        let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkqFSE1iCv0mB8a\nAoGCCqGSM49AwEHoUQDQgAE\n-----END EC PRIVATE KEY-----";
        let message = format!(
            "request failed:\n  token {token}\n  Authorization: Bearer sha256~Zm9vYmFy\n  key {key}\n  jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
        );
        let here = std::panic::Location::caller();
        let line = panic_line(&message, Some(here));
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(
            line.starts_with("error: internal error (a bug; please report it): request failed: token <redacted> Authorization: Bearer <redacted> key <redacted>"),
            "{line}"
        );
        assert!(
            line.ends_with(&format!(" at {}:{}", here.file(), here.line())),
            "{line}"
        );
        for leak in [
            token,
            "sha256~Zm9vYmFy",
            "MHcCAQEE",
            "AoGCCqGSM49",
            "PRIVATE KEY",
            "eyJhbGci",
        ] {
            assert!(!line.contains(leak), "{leak} in {line}");
        }
        // `panic!("literal")` carries a &str; other payloads have no message to print.
        let literal: &str = "index out of range";
        assert_eq!(
            panic_line(&literal, None),
            "error: internal error (a bug; please report it): index out of range"
        );
        assert_eq!(
            panic_line(&42_u8, None),
            "error: internal error (a bug; please report it): (no message)"
        );
    }

    fn b64(s: &str) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in s.as_bytes().chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        while !out.len().is_multiple_of(4) {
            out.push('=');
        }
        out
    }
}
