//! `-k DIR`: a kustomize directory, rendered by `kubectl kustomize` (the plugin does not
//! reimplement kustomize); its output is one more input text.

use super::read::{io_reason, too_big, Reader};
use super::KUSTOMIZATION_FILES;
use crate::error::{Error, Result};
use crate::source::documents::one_line;
use crate::source::limits::MAX_FILE_BYTES;
use std::path::Path;

impl Reader {
    /// `-k DIR`: the objects `kubectl kustomize DIR` renders, as kubectl would apply them.
    pub(super) fn kustomize(&mut self, dir: &str) -> Result<()> {
        let path = Path::new(dir);
        if !path.is_dir() {
            return Err(Error::Input(match std::fs::metadata(path) {
                Err(e) => format!("{dir}: cannot read: {}", io_reason(&e)),
                Ok(_) => format!("{dir}: -k needs a kustomize directory (use -f for files)"),
            }));
        }
        if !KUSTOMIZATION_FILES.iter().any(|f| path.join(f).is_file()) {
            return Err(Error::Input(format!(
                "{dir}: not a kustomize directory (no kustomization.yaml); use -f to read its manifests"
            )));
        }
        let out = std::process::Command::new("kubectl")
            .args(["kustomize", dir])
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| {
                Error::Input(if e.kind() == std::io::ErrorKind::NotFound {
                    "cannot run `kubectl kustomize`: kubectl is not on PATH".to_string()
                } else {
                    format!("cannot run `kubectl kustomize`: {}", io_reason(&e))
                })
            })?;
        let name = format!("{dir} (kustomize)");
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let reason = err
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("no message");
            let reason = reason.strip_prefix("error: ").unwrap_or(reason);
            return Err(Error::Input(format!(
                "{dir}: kubectl kustomize failed: {}",
                one_line(reason)
            )));
        }
        if out.stdout.len() as u64 > MAX_FILE_BYTES {
            return Err(too_big(&name));
        }
        self.push(name, out.stdout, true)
    }
}
