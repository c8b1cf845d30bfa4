//! `serde_json`'s pretty printing, byte for byte, with each line's indentation written in
//! one piece: `PrettyFormatter` writes it two spaces at a time, a few percent of the time
//! to write a big mesh's report, which is mostly short indented lines (issue 16).

use serde_json::ser::Formatter;
use std::io::{self, Write};

/// A comma, a newline and the deepest indentation written in one piece.
const BREAK: &[u8] = b",\n                                                                ";

#[derive(Default)]
pub struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// A formatter writing a value that starts on a line indented `depth` levels: a member
    /// of an object or array written in pieces (`render::sections`).
    pub fn at(depth: usize) -> Self {
        Pretty {
            depth,
            has_value: false,
        }
    }

    /// A comma (unless `first`), a newline and the indentation of the current depth.
    pub fn newline<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        let start = usize::from(first);
        let width = 2 * self.depth;
        match BREAK.get(start..2 + width) {
            Some(piece) => w.write_all(piece),
            None => {
                w.write_all(&BREAK[start..2])?;
                (0..self.depth).try_for_each(|_| w.write_all(b"  "))
            }
        }
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, true)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `serde_json::to_writer_pretty`, with `Pretty`.
pub fn to_writer<W: Write, T: ?Sized + serde::Serialize>(
    w: W,
    value: &T,
) -> serde_json::Result<()> {
    to_writer_at(w, 0, value)
}

/// The same for a value starting on a line indented `depth` levels.
pub fn to_writer_at<W: Write, T: ?Sized + serde::Serialize>(
    w: W,
    depth: usize,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, Pretty::at(depth));
    value.serialize(&mut ser)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ours(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        to_writer(&mut out, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Byte for byte `serde_json`'s pretty output: empty and nested containers, and depths
    /// past the piece written at once.
    #[test]
    fn writes_what_serde_json_writes() {
        let mut deep = json!({"leaf": [1, {"a": []}]});
        for i in 0..40 {
            deep = json!({ format!("k{i}"): [deep, {}, [], "s", null] });
        }
        for v in [
            json!(null),
            json!([]),
            json!({}),
            json!([[], {}, [[]], {"a": {}}]),
            json!({"a": 1, "b": [true, "x\n\"y"], "c": {"d": [], "e": {"f": [1, 2]}}}),
            deep,
        ] {
            assert_eq!(ours(&v), serde_json::to_string_pretty(&v).unwrap());
        }
    }
}
