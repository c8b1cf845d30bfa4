//! A big JSON `kind: List` (`kubectl get -o json`) read as a stream: each item's text is
//! handed on with its line as soon as it is complete, and the bytes before it are dropped,
//! so the file's text is never held whole beside the objects decoded from it (it was the
//! peak of an offline run: BENCHMARKS.md, "where the offline peak is").
//!
//! The scanner only finds where items begin and end (strings, escapes, brackets); each item
//! is then decoded, and so validated, by serde_json. Anything it does not expect (another
//! shape of document, broken JSON) stops it with `Stop::Fallback`: the caller then reads
//! the file whole as before, which gives the precise error.

use serde_json::Value;
use std::io::Read;

/// How much is read at a time.
const CHUNK: usize = 1 << 20;

/// The bytes that mean something outside a string: quotes, brackets, newlines (counted).
/// Everything else there (indentation, `:`, `,`, numbers, literals) is skipped.
const STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    let bytes = *b"\"{}[]\n";
    while k < bytes.len() {
        t[bytes[k] as usize] = true;
        k += 1;
    }
    t
};

/// Why the stream stopped before the end of the List.
#[derive(Debug)]
pub(super) enum Stop<E> {
    /// Not a JSON object with an `items` sequence, or not valid JSON: read it whole.
    Fallback,
    Io(std::io::Error),
    /// A NUL byte: binary data.
    Binary,
    /// Invalid UTF-8 at this line.
    NotUtf8(usize),
    /// The caller's error for one item.
    Item(E),
}

/// The top-level fields of the List besides its items.
#[derive(Debug, Default)]
pub(super) struct ListHead {
    pub api_version: Option<Value>,
    pub kind: Option<Value>,
}

struct Scanner<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    /// Lines ended before `buf[pos]`.
    newlines: usize,
    /// Where the value being scanned starts in `buf`: kept when `buf` is refilled (the
    /// bytes before it are dropped, and the index moves with them).
    keep: Option<usize>,
    eof: bool,
}

impl<R: Read> Scanner<R> {
    /// The next byte, without consuming it; `None` at the end of the input.
    #[inline]
    fn peek<E>(&mut self) -> Result<Option<u8>, Stop<E>> {
        if self.pos == self.buf.len() && !self.fill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }

    #[inline]
    fn next<E>(&mut self) -> Result<u8, Stop<E>> {
        let b = self.peek()?.ok_or(Stop::Fallback)?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads more, first dropping what is no longer wanted. `false` at the end of the input.
    fn fill<E>(&mut self) -> Result<bool, Stop<E>> {
        if self.eof {
            return Ok(false);
        }
        let drop = self.keep.unwrap_or(self.pos);
        self.buf.drain(..drop);
        self.pos -= drop;
        self.keep = self.keep.map(|k| k - drop);
        let start = self.buf.len();
        self.buf.resize(start + CHUNK, 0);
        let n = loop {
            match self.r.read(&mut self.buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Stop::Io(e)),
            }
        };
        self.buf.truncate(start + n);
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        if self.buf[start..].contains(&0) {
            return Err(Stop::Binary);
        }
        Ok(true)
    }

    fn skip_ws<E>(&mut self) -> Result<(), Stop<E>> {
        while let Some(b) = self.peek()? {
            match b {
                b'\n' => self.newlines += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return Ok(()),
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn expect<E>(&mut self, want: u8) -> Result<(), Stop<E>> {
        self.skip_ws()?;
        if self.next()? == want {
            Ok(())
        } else {
            Err(Stop::Fallback)
        }
    }

    /// Past the closing quote of a string whose opening quote was consumed. A raw control
    /// character is invalid JSON (and would throw the line count off).
    fn skip_string<E>(&mut self) -> Result<(), Stop<E>> {
        self.skip_container(None)
    }

    /// Past the end of the string (`open`: `None`) or the object or array (`open`: its
    /// bracket, consumed) the scan is in: brackets balanced, at most `MAX_JSON_DEPTH` deep.
    /// A tight loop over what is buffered, refilled as it runs out.
    fn skip_container<E>(&mut self, open: Option<u8>) -> Result<(), Stop<E>> {
        let mut stack: Vec<u8> = open.into_iter().collect();
        let (mut in_string, mut escaped) = (open.is_none(), false);
        loop {
            if self.pos == self.buf.len() && !self.fill()? {
                return Err(Stop::Fallback);
            }
            let bytes = &self.buf[self.pos..];
            let mut newlines = 0;
            let mut end = None;
            let mut i = 0;
            while i < bytes.len() {
                let b = bytes[i];
                i += 1;
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if stack.is_empty() {
                            end = Some(i);
                            break;
                        }
                    } else {
                        // Most of a manifest is inside strings: jump to the next quote or
                        // escape. A control character there (invalid JSON) is left to the
                        // decoder, whose error sends the input to the whole read.
                        i = memchr::memchr2(b'"', b'\\', &bytes[i..])
                            .map_or(bytes.len(), |j| i + j);
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'\n' => {
                        newlines += 1;
                        // Pretty-printed JSON indents every line: skip to what matters.
                        while i < bytes.len() && !STRUCTURAL[bytes[i] as usize] {
                            i += 1;
                        }
                    }
                    b'{' | b'[' => {
                        if stack.len() >= crate::source::limits::MAX_JSON_DEPTH {
                            return Err(Stop::Fallback);
                        }
                        stack.push(b);
                    }
                    b'}' | b']' => {
                        let top = stack.pop();
                        if top != Some(if b == b'}' { b'{' } else { b'[' }) {
                            return Err(Stop::Fallback);
                        }
                        if stack.is_empty() {
                            end = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            self.newlines += newlines;
            match end {
                Some(n) => {
                    self.pos += n;
                    return Ok(());
                }
                None => self.pos = self.buf.len(),
            }
        }
    }

    /// Past one value: a string, an object or array, or a scalar.
    fn skip_value<E>(&mut self) -> Result<(), Stop<E>> {
        self.skip_ws()?;
        match self.next()? {
            b'"' => self.skip_string(),
            open @ (b'{' | b'[') => self.skip_container(Some(open)),
            b'}' | b']' | b',' | b':' => Err(Stop::Fallback),
            _ => {
                while let Some(b) = self.peek()? {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.pos += 1;
                }
                Ok(())
            }
        }
    }

    /// Skips one value and returns its text, which must be UTF-8.
    fn capture<E>(&mut self) -> Result<&str, Stop<E>> {
        self.skip_ws()?;
        self.keep = Some(self.pos);
        self.skip_value()?;
        let start = self.keep.take().unwrap_or_default();
        let bytes = &self.buf[start..self.pos];
        std::str::from_utf8(bytes).map_err(|e| {
            // `newlines` counts to the end of the text: count back the lines after the
            // invalid byte.
            let after = bytes[e.valid_up_to()..]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            Stop::NotUtf8(self.newlines + 1 - after)
        })
    }

    /// One value read whole (a top-level field other than `items`).
    fn value<E>(&mut self) -> Result<Value, Stop<E>> {
        serde_json::from_str(self.capture()?).map_err(|_| Stop::Fallback)
    }
}

/// Streams the items of the JSON List read from `r` into `item(text, line)`, then returns
/// the List's `apiVersion` and `kind`, which the caller checks (kubectl prints them after
/// the items). The first byte of `r` must be the first of the document (no BOM).
pub(super) fn list_items<E>(
    r: impl Read,
    mut item: impl FnMut(&str, usize) -> Result<(), E>,
) -> Result<ListHead, Stop<E>> {
    let mut s = Scanner {
        r,
        buf: Vec::with_capacity(CHUNK),
        pos: 0,
        newlines: 0,
        keep: None,
        eof: false,
    };
    let mut head = ListHead::default();
    let mut items = false;
    s.expect(b'{')?;
    s.skip_ws()?;
    if s.peek()? == Some(b'}') {
        return Err(Stop::Fallback);
    }
    loop {
        // A key: read whole (escapes decoded by serde_json).
        s.skip_ws()?;
        let key: String = match s.value()? {
            Value::String(k) => k,
            _ => return Err(Stop::Fallback),
        };
        s.expect(b':')?;
        match key.as_str() {
            "items" => {
                if items {
                    return Err(Stop::Fallback);
                }
                items = true;
                s.expect(b'[')?;
                s.skip_ws()?;
                if s.peek()? == Some(b']') {
                    s.pos += 1;
                } else {
                    loop {
                        s.skip_ws()?;
                        let line = s.newlines + 1;
                        item(s.capture()?, line).map_err(Stop::Item)?;
                        s.skip_ws()?;
                        match s.next()? {
                            b',' => {}
                            b']' => break,
                            _ => return Err(Stop::Fallback),
                        }
                    }
                }
            }
            "apiVersion" => head.api_version = Some(s.value()?),
            "kind" => head.kind = Some(s.value()?),
            _ => {
                s.value()?;
            }
        }
        s.skip_ws()?;
        match s.next()? {
            b',' => {}
            b'}' => break,
            _ => return Err(Stop::Fallback),
        }
    }
    s.skip_ws()?;
    if !items || s.peek()?.is_some() {
        return Err(Stop::Fallback);
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items with their lines, read through a reader that hands out `step` bytes at a time
    /// (so that items straddle the reads).
    fn items(text: &str, step: usize) -> Result<(Vec<(String, usize)>, ListHead), String> {
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(self.0.len()).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut got = Vec::new();
        let head = list_items(Slow(text.as_bytes(), step), |t, l| {
            got.push((t.to_string(), l));
            Ok::<(), ()>(())
        })
        .map_err(|e| format!("{e:?}"))?;
        Ok((got, head))
    }

    #[test]
    fn items_with_their_lines_whatever_the_reads() {
        let text = "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\"kind\": \"Pod\", \"s\": \"a \\\" ] }\"},\n\n    {\"kind\": \"Service\",\n \"x\": [1, {\"y\": null}]}\n  ],\n  \"kind\": \"List\",\n  \"metadata\": {\"resourceVersion\": \"\"}\n}\n";
        for step in [1, 2, 3, 7, 4096] {
            let (got, head) = items(text, step).unwrap();
            assert_eq!(
                got,
                vec![
                    (r#"{"kind": "Pod", "s": "a \" ] }"}"#.to_string(), 4),
                    (
                        "{\"kind\": \"Service\",\n \"x\": [1, {\"y\": null}]}".to_string(),
                        6
                    ),
                ],
                "step {step}"
            );
            assert_eq!(head.kind, Some(Value::String("List".into())));
            assert_eq!(head.api_version, Some(Value::String("v1".into())));
        }
    }

    #[test]
    fn empty_and_other_shapes() {
        let (got, _) = items("{\"items\": [], \"kind\": \"PodList\"}", 5).unwrap();
        assert!(got.is_empty());
        for other in [
            "[]",
            "{}",
            "{\"kind\": \"Pod\", \"metadata\": {}}",
            "{\"items\": {}}",
            "{\"items\": null}",
            "{\"items\": [{\"a\": 1}]} trailing",
            "{\"items\": [{\"a\": 1]}",
            "{\"items\": [{\"a\": 1}] \"kind\": \"List\"}",
            "{\"items\": [{\"a\": 1}], \"items\": []}",
            "{\"items\": [{\"a\": 1}",
        ] {
            assert_eq!(items(other, 3).unwrap_err(), "Fallback", "{other}");
        }
        // A control character inside a string is left to the decoder, which refuses it (the
        // item in error sends the file to the whole read): the scanner skips through
        // strings without looking at every byte.
        let (got, _) = items("{\"items\": [{\"a\": \"raw\nnewline\"}, {}]}", 3).unwrap();
        assert_eq!(got.len(), 2);
        assert!(serde_json::from_str::<Value>(&got[0].0).is_err());
    }

    #[test]
    fn binary_and_bad_utf8() {
        assert_eq!(
            items("{\"items\": [{\"a\": \"\0\"}]}", 64).unwrap_err(),
            "Binary"
        );
        let mut bytes = b"{\"items\": [\n{\"a\": \"".to_vec();
        bytes.extend([0xff, b'"', b'}', b']', b'}']);
        let mut got = 0;
        let e = list_items(&bytes[..], |_, _| {
            got += 1;
            Ok::<(), ()>(())
        })
        .unwrap_err();
        assert!(matches!(e, Stop::NotUtf8(2)), "{e:?}");
    }

    #[test]
    fn the_callers_error_stops_the_stream() {
        let e = list_items(&b"{\"items\": [{}, {}]}"[..], |_, _| Err("bad item")).unwrap_err();
        assert!(matches!(e, Stop::Item("bad item")));
    }
}
