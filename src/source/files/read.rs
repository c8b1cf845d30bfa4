//! Reading the inputs: `-f` files and directories (walked recursively, in order) and stdin,
//! each within the limits of `limits`, as UTF-8 text.

use super::{Input, KUSTOMIZATION_FILES};
use crate::error::{Error, Result};
use crate::source::limits::*;
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// Collects input texts within the limits, remembering what directories held that is not
/// Kubernetes YAML.
#[derive(Default)]
pub(super) struct Reader {
    pub(super) inputs: Vec<Input>,
    total: u64,
    files: usize,
    pub(super) skipped: BTreeMap<String, usize>,
}

impl Reader {
    /// Expands one argument: `-` is stdin, a directory is walked.
    pub(super) fn read_arg(&mut self, arg: &str) -> Result<()> {
        if arg == "-" {
            let bytes = read_limited(std::io::stdin().lock(), "<stdin>", 0)?;
            return self.push("<stdin>".into(), bytes, true);
        }
        let path = Path::new(arg);
        let meta = std::fs::metadata(path).map_err(cannot_read(arg))?;
        if !meta.is_dir() {
            return self.read_file(path, true);
        }
        if path.join("Chart.yaml").is_file() {
            return Err(Error::Input(format!(
                "{arg}: a Helm chart holds templates, not objects; render it: helm template NAME {arg} | kubectl ambient-policy explain -f -"
            )));
        }
        let mut files = Vec::new();
        let skipped_before: usize = self.skipped.values().sum();
        self.walk(path, &mut files, &mut HashSet::new())?;
        if files.is_empty() && self.skipped.values().sum::<usize>() == skipped_before {
            return Err(Error::Input(format!(
                "{arg}: directory has no .yaml, .yml or .json files"
            )));
        }
        for f in files {
            self.read_file(&f, false)?;
        }
        Ok(())
    }

    /// Collects manifest files under `dir`, sorted, following symbolic links but visiting
    /// each directory once (a link loop ends there). Hidden entries (`.git`, `.github`) are
    /// not manifests; a Helm chart (a directory with `Chart.yaml`) holds templates, not
    /// objects, and is skipped whole.
    fn walk(
        &mut self,
        dir: &Path,
        out: &mut Vec<PathBuf>,
        seen: &mut HashSet<PathBuf>,
    ) -> Result<()> {
        let read_err = |e: std::io::Error| {
            Error::Input(format!("{}: cannot read: {}", dir.display(), io_reason(&e)))
        };
        if !seen.insert(dir.canonicalize().map_err(read_err)?) {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read_err)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(read_err)?;
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                if p.join("Chart.yaml").is_file() {
                    self.skip("Helm chart (render it: helm template ... | -f -)");
                } else {
                    self.walk(&p, out, seen)?;
                }
            } else if KUSTOMIZATION_FILES.contains(&name) {
                self.skip("kustomization.yaml (render it: -k DIR)");
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e))
            {
                if out.len() >= MAX_FILES {
                    return Err(Error::Input(format!(
                        "{}: more than {MAX_FILES} manifest files (limit)",
                        dir.display()
                    )));
                }
                out.push(p);
            }
        }
        Ok(())
    }

    fn skip(&mut self, what: &str) {
        *self.skipped.entry(what.to_string()).or_default() += 1;
    }

    fn read_file(&mut self, path: &Path, explicit: bool) -> Result<()> {
        let name = path.display().to_string();
        let cannot = cannot_read(&name);
        let f = std::fs::File::open(path).map_err(cannot)?;
        // Refuse a big regular file before reading it; devices and pipes are cut at the limit.
        let len = f.metadata().map_err(cannot)?.len();
        if len > MAX_FILE_BYTES {
            return Err(too_big(&name));
        }
        self.files += 1;
        if len >= STREAM_MIN_BYTES && starts_json_object(&name, &f)? {
            self.count(&name, len)?;
            self.inputs.push(Input {
                name,
                text: String::new(),
                explicit,
                stream: Some(path.to_path_buf()),
            });
            return Ok(());
        }
        let bytes = read_limited(f, &name, len as usize)?;
        self.push(name, bytes, explicit)
    }

    /// Adds an input's size to the total, within its limit.
    fn count(&mut self, name: &str, len: u64) -> Result<()> {
        self.total += len;
        if self.total > MAX_TOTAL_BYTES {
            return Err(Error::Input(format!(
                "{name}: the inputs together exceed {} MiB (limit)",
                MAX_TOTAL_BYTES >> 20
            )));
        }
        Ok(())
    }

    pub(super) fn push(&mut self, name: String, bytes: Vec<u8>, explicit: bool) -> Result<()> {
        self.count(&name, bytes.len() as u64)?;
        let text = decode_text(&name, bytes)?;
        self.inputs.push(Input {
            name,
            text,
            explicit,
            stream: None,
        });
        Ok(())
    }
}

pub(super) fn too_big(name: &str) -> Error {
    Error::Input(format!(
        "{name}: larger than {} MiB (limit)",
        MAX_FILE_BYTES >> 20
    ))
}

/// Reads at most one byte more than the limit, so endless inputs (`/dev/zero`, a pipe that
/// never closes) stop there; binary data is recognised in its first block, before the rest
/// is read. `size`: the expected size (a regular file's length, else 0), so that the text is
/// held in one allocation of its size rather than in one grown by doubling.
fn read_limited(mut r: impl Read, name: &str, size: usize) -> Result<Vec<u8>> {
    let cannot = cannot_read(name);
    let mut bytes = Vec::with_capacity(size.max(SNIFF_BYTES) + 1);
    bytes.resize(SNIFF_BYTES, 0);
    let mut n = 0;
    while n < SNIFF_BYTES {
        match r.read(&mut bytes[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cannot(e)),
        }
    }
    bytes.truncate(n);
    check_not_binary(name, &bytes)?;
    r.take(MAX_FILE_BYTES + 1 - n as u64)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(name));
    }
    Ok(bytes)
}

/// JSON files from this size on are read as a stream when they hold a List (`stream`).
const STREAM_MIN_BYTES: u64 = 4 << 20;

/// Whether a file's text begins with `{` (after a BOM and white space), judged on its first
/// block, which is checked for binary data as a whole read would. Rewinds the file.
fn starts_json_object(name: &str, mut f: &std::fs::File) -> Result<bool> {
    use std::io::{Seek, SeekFrom};
    let cannot = cannot_read(name);
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut f)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(cannot)?;
    f.seek(SeekFrom::Start(0)).map_err(cannot)?;
    check_not_binary(name, &head)?;
    let body = head.strip_prefix(&BOM).unwrap_or(&head);
    Ok(body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

/// Opens a streamed input past its BOM, if any.
pub(super) fn open_stream(name: &str, path: &Path) -> Result<std::fs::File> {
    use std::io::{Seek, SeekFrom};
    let cannot = cannot_read(name);
    let mut f = std::fs::File::open(path).map_err(cannot)?;
    let mut bom = [0u8; 3];
    let n = (&mut f).take(3).read(&mut bom).map_err(cannot)?;
    if n < 3 || bom != BOM {
        f.seek(SeekFrom::Start(0)).map_err(cannot)?;
    }
    Ok(f)
}

/// How much of an input is looked at for binary data before reading the rest (as git does).
const SNIFF_BYTES: usize = 8192;

fn check_not_binary(name: &str, bytes: &[u8]) -> Result<()> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Error::Input(format!(
            "{name}: UTF-16 text; convert it to UTF-8"
        )));
    }
    if bytes.contains(&0) {
        return Err(binary(name));
    }
    Ok(())
}

/// Manifests are UTF-8 text; say clearly what else a file is.
fn decode_text(name: &str, mut bytes: Vec<u8>) -> Result<String> {
    check_not_binary(name, &bytes)?;
    if bytes.starts_with(&BOM) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        not_utf8(name, line)
    })
}

/// UTF-8's byte order mark, which some editors write first.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// `NAME: cannot read: REASON`, for `map_err`.
pub(super) fn cannot_read(name: &str) -> impl Fn(std::io::Error) -> Error + Copy + '_ {
    move |e| Error::Input(format!("{name}: cannot read: {}", io_reason(&e)))
}

pub(super) fn binary(name: &str) -> Error {
    Error::Input(format!("{name}: binary data (NUL bytes), not YAML or JSON"))
}

pub(super) fn not_utf8(name: &str, line: usize) -> Error {
    Error::Input(format!("{name}:{line}: not UTF-8 text (invalid byte)"))
}

pub(super) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}

/// One input that is not a manifest (a ztunnel config dump): a file, or `-` for stdin, as
/// text within the same limits as manifests, with the same one-line errors.
pub fn read_text(arg: &str) -> Result<String> {
    if arg == "-" {
        let bytes = read_limited(std::io::stdin().lock(), "stdin", 0)?;
        return decode_text("stdin", bytes);
    }
    let p = Path::new(arg);
    let cannot = cannot_read(arg);
    if p.is_dir() {
        return Err(Error::Input(format!(
            "{arg}: a directory; give one dump file per node"
        )));
    }
    let f = std::fs::File::open(p).map_err(cannot)?;
    let len = f.metadata().map_err(cannot)?.len();
    if len > MAX_FILE_BYTES {
        return Err(too_big(arg));
    }
    let bytes = read_limited(f, arg, len as usize)?;
    decode_text(arg, bytes)
}
