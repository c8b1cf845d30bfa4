//! A report's long arrays (its paths and workloads, most of a big mesh's report) built and
//! written on every core (`parallel::in_order`): each thread builds whole pieces of a
//! section and renders their elements into a buffer, and the buffers are written in report
//! order. Only bytes cross threads, never the elements: freeing one thread's strings on
//! another cost more than building them on two cores saved (BENCHMARKS.md, 2026-12-05,
//! issue 16).

use super::pretty::{self, Pretty};
use crate::explain::report::Section;
use crate::parallel::{self, Split};
use std::io::{self, Write};
use std::sync::Mutex;

/// Parts (destinations, workloads) per piece handed out.
pub const PER_PIECE: usize = 32;

/// A section already built (the policies, the findings): only its serialization is shared
/// out, a few percent of a big mesh's run for the policies' targets alone.
pub struct Held<'a, T>(pub &'a [T]);

impl<'a, T: serde::Serialize + Sync> Section for Held<'a, T> {
    type Part = usize;
    type State = ();
    type Item = &'a T;

    fn parts(&self) -> Vec<usize> {
        (0..self.0.len()).collect()
    }

    fn state(&self) {}

    fn build(&self, _: &mut (), &i: &usize, emit: &mut dyn FnMut(&'a T)) {
        emit(&self.0[i])
    }
}

/// Writes `section` as a JSON array, pretty-printed as a member whose line is indented
/// `depth` levels: the bytes `serde_json` would write for the `Vec` of its elements.
pub fn write<S: Section>(
    w: &mut dyn Write,
    depth: usize,
    section: &S,
    split: Split,
) -> io::Result<()> {
    let parts = section.parts();
    // Buffers written out, filled again: fresh ones of a few hundred KiB each would be
    // fresh pages to fault in, on every thread at once.
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::default();
    let build = |state: &mut S::State, piece: &[S::Part]| {
        let mut buf = parallel::lock(&spare).pop().unwrap_or_default();
        render(section, state, piece, depth + 1, &mut buf).map(|()| buf)
    };
    w.write_all(b"[")?;
    let mut any = false;
    let mut put = |built: io::Result<Vec<u8>>| -> io::Result<()> {
        let mut elements = built?;
        if !elements.is_empty() {
            // Each element is written after its separator; the first has no comma.
            let comma = usize::from(!any);
            any = true;
            w.write_all(&elements[comma..])?;
        }
        elements.clear();
        parallel::lock(&spare).push(elements);
        Ok(())
    };
    parallel::in_order(&parts, split, || section.state(), build, &mut put)?;
    section.finish();
    if any {
        Pretty::at(depth).newline(w, true)?;
    }
    w.write_all(b"]")
}

/// The elements of `piece`'s parts, each after its separator (`,`, a newline, the
/// indentation of `depth`) and pretty-printed at `depth`.
fn render<S: Section>(
    section: &S,
    state: &mut S::State,
    piece: &[S::Part],
    depth: usize,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    let separator = Pretty::at(depth);
    let mut failed = None;
    for part in piece {
        section.build(state, part, &mut |item| {
            if failed.is_none() {
                failed = separator
                    .newline(buf, false)
                    .map_err(serde_json::Error::io)
                    .and_then(|()| pretty::to_writer_at(&mut *buf, depth, &item))
                    .err();
            }
        });
    }
    failed.map_or(Ok(()), |e| Err(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::report::Section;

    /// Part `n` has `n % 3` elements (none for some), each a small object.
    struct Numbers(usize);

    impl Section for Numbers {
        type Part = usize;
        type State = usize;
        type Item = serde_json::Value;

        fn parts(&self) -> Vec<usize> {
            (0..self.0).collect()
        }

        fn state(&self) -> usize {
            0
        }

        fn build(&self, built: &mut usize, &n: &usize, emit: &mut dyn FnMut(serde_json::Value)) {
            for k in 0..n % 3 {
                *built += 1;
                emit(serde_json::json!({"part": n, "k": k, "list": [n, {"deep": []}]}));
            }
        }
    }

    fn expected(parts: usize) -> String {
        let mut items = Vec::new();
        Numbers(parts)
            .parts()
            .iter()
            .for_each(|p| Numbers(parts).build(&mut 0, p, &mut |v| items.push(v)));
        let mut out = Vec::new();
        pretty::to_writer(&mut out, &serde_json::json!({ "s": [{ "a": items }] })).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The section at depth 3, inside `{"s": [{"a": ...}]}`.
    fn written(parts: usize, split: Split) -> String {
        let mut out = b"{\n  \"s\": [\n    {\n      \"a\": ".to_vec();
        write(&mut out, 3, &Numbers(parts), split).unwrap();
        out.extend_from_slice(b"\n    }\n  ]\n}");
        String::from_utf8(out).unwrap()
    }

    /// Byte for byte what serde_json writes for the elements held, whatever the threads and
    /// piece sizes, with empty parts first, between and last, and for an empty section.
    #[test]
    fn writes_the_elements_in_order_whatever_the_split() {
        for parts in [0, 1, 2, 3, 4, 7, 100] {
            for (threads, per) in [(1, 1), (1, 1000), (2, 1), (3, 1), (3, 2), (8, 5), (0, 0)] {
                let split = Split {
                    threads,
                    per_piece: per,
                };
                assert_eq!(written(parts, split), expected(parts), "{parts} {split:?}");
            }
        }
    }

    /// A writer that fails after some bytes: the error comes back, and no builder is left
    /// waiting.
    #[test]
    fn a_failed_write_stops_every_thread() {
        struct Failing(usize);
        impl Write for Failing {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                if self.0 < b.len() {
                    return Err(io::Error::other("disk full"));
                }
                self.0 -= b.len();
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        for room in [0, 10, 1000] {
            let split = Split {
                threads: 3,
                per_piece: 1,
            };
            let err = write(&mut Failing(room), 1, &Numbers(10_000), split).unwrap_err();
            assert_eq!(err.to_string(), "disk full");
        }
    }
}
