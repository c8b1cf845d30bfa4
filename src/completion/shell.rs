//! Standalone shell scripts (clap_complete, from the same clap definition) and
//! `completion install`, which links the binary under the name kubectl's plugin completion
//! looks for.

use super::cobra::COMPLETE_BIN;
use crate::cli::CompletionShell;
use crate::error::{Error, Result};
use clap::CommandFactory;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The binary the standalone scripts complete (users run `kubectl ambient-policy`, which
/// kubectl completes through the plugin protocol instead).
pub const BIN: &str = "kubectl-ambient_policy";

/// The file names in `completions/`, one per shell.
pub const SCRIPTS: &[(CompletionShell, &str)] = &[
    (CompletionShell::Bash, "kubectl-ambient_policy.bash"),
    (CompletionShell::Zsh, "_kubectl-ambient_policy"),
    (CompletionShell::Fish, "kubectl-ambient_policy.fish"),
    (CompletionShell::Powershell, "kubectl-ambient_policy.ps1"),
];

/// The completion script for `shell`; `None` for `install`, which is not a shell.
pub fn script(shell: CompletionShell) -> Option<String> {
    use clap_complete::Shell;
    let s = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
        CompletionShell::Install => return None,
    };
    // The scripts name functions after the command: the binary's name has no space.
    let mut cmd = crate::cli::Cli::command().name(BIN).bin_name(BIN);
    let mut buf = Vec::new();
    clap_complete::generate(s, &mut cmd, BIN, &mut buf);
    let script = String::from_utf8_lossy(&buf).into_owned();
    // clap_complete's bash script names the subcommand cases with every `-` of the binary's
    // name turned into `__subcmd__`, but dispatches to them with `-` turned into `__`, so no
    // subcommand of a dashed binary would ever complete: use the dispatch spelling.
    Some(match shell {
        CompletionShell::Bash => {
            script.replace("kubectl__subcmd__ambient_policy", "kubectl__ambient_policy")
        }
        _ => script,
    })
}

/// The plugin as kubectl found it: `argv0` when it is a path (kubectl runs plugins by their
/// PATH location, e.g. krew's `~/.krew/bin` link), else its PATH entry, else this executable.
/// Linking to the PATH location, not the resolved file, survives `kubectl krew upgrade`.
fn plugin_path(argv0: &OsStr) -> Option<PathBuf> {
    let p = Path::new(argv0);
    if p.components().count() > 1 {
        return std::path::absolute(p).ok();
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|d| d.join(p))
        .find(|c| c.is_file())
        .and_then(|c| std::path::absolute(c).ok())
        .or_else(|| std::env::current_exe().ok())
}

fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    s.split(" (os error").next().unwrap_or(&s).to_lowercase()
}

/// Creates `DIR/kubectl_complete-ambient_policy` pointing at the plugin; returns what was done.
pub fn install(dir: Option<&Path>, argv0: &OsStr) -> Result<String> {
    let plugin = plugin_path(argv0)
        .ok_or_else(|| Error::Usage("cannot find this executable's path".into()))?;
    let plugin_dir = plugin.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = match dir {
        Some(d) => std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()),
        None => plugin_dir.clone(),
    };
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "cannot install completion: {} is not a directory",
            dir.display()
        )));
    }
    let link = dir.join(format!("{COMPLETE_BIN}{}", std::env::consts::EXE_SUFFIX));
    // A relative link beside the plugin keeps working when the directory moves.
    let target = if dir == plugin_dir {
        PathBuf::from(plugin.file_name().unwrap_or_default())
    } else {
        plugin.clone()
    };
    let fail = |e: std::io::Error| {
        Error::Usage(format!(
            "cannot create {}: {}",
            link.display(),
            io_reason(&e)
        ))
    };
    if let Ok(meta) = link.symlink_metadata() {
        if meta.file_type().is_symlink() && std::fs::read_link(&link).ok() == Some(target.clone()) {
            return Ok(format!(
                "{} already links to {}: nothing to do",
                link.display(),
                target.display()
            ));
        }
        std::fs::remove_file(&link).map_err(fail)?;
    }
    make_link(&plugin, &target, &link).map_err(fail)?;
    let mut msg = format!(
        "linked {} -> {}\nkubectl (1.26+) now completes `kubectl ambient-policy` arguments",
        link.display(),
        target.display()
    );
    let on_path =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d == dir));
    if !on_path {
        msg.push_str(&format!(
            "\nnote: {} is not on PATH; kubectl only finds the link on PATH",
            dir.display()
        ));
    }
    Ok(msg)
}

#[cfg(unix)]
fn make_link(_plugin: &Path, target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// Symbolic links need a privilege on Windows: a hard link, else a copy.
#[cfg(not(unix))]
fn make_link(plugin: &Path, _target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::hard_link(plugin, link).or_else(|_| std::fs::copy(plugin, link).map(|_| ()))
}
