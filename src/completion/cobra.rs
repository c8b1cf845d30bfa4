//! cobra's completion protocol, which kubectl (1.26+) uses for plugins: kubectl runs
//! `kubectl_complete-ambient_policy ARGS... CURRENT_WORD` from PATH and reads one candidate per
//! line (`value<TAB>description`) and then `:<directive>` (spf13/cobra completions.go;
//! kubernetes/kubectl pkg/cmd/cmd.go, plugin completion). The same answer comes from
//! `kubectl-ambient_policy __complete ARGS... CURRENT_WORD`, as from any cobra program.

use super::Completions;
use clap::CommandFactory;

/// The name kubectl looks for on PATH to complete the plugin's arguments.
pub const COMPLETE_BIN: &str = "kubectl_complete-ambient_policy";

/// The hidden argument cobra programs answer completion requests on.
pub const REQUEST: &str = "__complete";

/// Whether `argv0` is the completion link (with or without a Windows `.exe`).
pub fn invoked_as_completer(argv0: &std::ffi::OsStr) -> bool {
    let p = std::path::Path::new(argv0);
    let stem = if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("exe")) {
        p.file_stem()
    } else {
        p.file_name()
    };
    stem.is_some_and(|s| s == COMPLETE_BIN)
}

/// Answers one request; `args` are the words after the program name, the last one being
/// the word under the cursor (empty when the cursor follows a space).
pub fn answer(args: &[String]) -> String {
    let (current, words) = match args.split_last() {
        Some((c, w)) => (c.as_str(), w),
        None => ("", &[][..]),
    };
    let mut cmd = crate::cli::Cli::command();
    cmd.build();
    format(&super::complete(&cmd, words, current))
}

/// The protocol's text: descriptions on one line, tabs only as the separator.
pub fn format(c: &Completions) -> String {
    let mut out = String::new();
    for cand in &c.candidates {
        let help = cand.help.split_whitespace().collect::<Vec<_>>().join(" ");
        if help.is_empty() {
            out.push_str(&cand.value);
        } else {
            out.push_str(&format!("{}\t{help}", cand.value));
        }
        out.push('\n');
    }
    out.push_str(&format!(":{}\n", c.directive));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_link_name() {
        for name in [
            "kubectl_complete-ambient_policy",
            "/home/u/.krew/bin/kubectl_complete-ambient_policy",
            "kubectl_complete-ambient_policy.exe",
        ] {
            assert!(invoked_as_completer(name.as_ref()), "{name}");
        }
        for name in ["kubectl-ambient_policy", "/x/kubectl_complete-other"] {
            assert!(!invoked_as_completer(name.as_ref()), "{name}");
        }
    }

    #[test]
    fn lines_then_directive() {
        let out = answer(&["explain".into(), "--color".into(), "".into()]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.last(), Some(&":4"));
        assert!(lines.contains(&"auto"), "{out}");
        let out = answer(&["completion".into(), "f".into()]);
        assert_eq!(out, "fish\tFish script\n:4\n");
        assert_eq!(answer(&[]).lines().last(), Some(":4"));
    }
}
