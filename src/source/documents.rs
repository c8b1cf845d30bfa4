//! From manifest text to object text, without a tree of the whole file: YAML streams are split
//! into documents at `---` lines and each document is transcoded to compact JSON as it is
//! parsed; JSON is scanned once for its head (`apiVersion`, `kind`, `metadata.name`) and, for
//! a `kind: List`, the raw text of each item. The model types then decode straight from
//! that text, skipping every field they do not read.

use super::limits::*;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// One non-empty document of a YAML stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlDoc<'a> {
    /// 1-based, counting only documents with content (as users count them).
    pub number: usize,
    /// 1-based line of the document's first content line.
    pub line: usize,
    /// 1-based line where `text` starts in the file, to map parser locations back.
    pub first_line: usize,
    pub text: &'a str,
}

/// Splits a YAML stream at its `---` (and `...`) marker lines. YAML forbids these markers at
/// the start of a line inside a document, so a line scan finds exactly the documents the
/// parser would, in linear time, and lets each be parsed (and bounded) alone.
/// Errs when the stream holds more than `budget` documents.
pub fn split_yaml<'a>(text: &'a str, budget: usize) -> Result<Vec<YamlDoc<'a>>, usize> {
    let mut docs = Vec::new();
    let mut start = 0; // byte offset of the current document's text
    let mut first_line = 1;
    let mut content: Option<usize> = None;
    let mut offset = 0;
    let push = |docs: &mut Vec<YamlDoc<'a>>, start: usize, end: usize, first_line, content| {
        if let Some(line) = content {
            if docs.len() >= budget {
                return Err(docs.len() + 1);
            }
            docs.push(YamlDoc {
                number: docs.len() + 1,
                line,
                first_line,
                text: &text[start..end],
            });
        }
        Ok(())
    };
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = i + 1;
        let l = raw.trim_end_matches(['\n', '\r']);
        let marker = |m: &str| {
            l.strip_prefix(m)
                .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
        };
        if marker("---") || marker("...") {
            push(&mut docs, start, offset, first_line, content)?;
            // Content after `---` on the same line (`--- {a: 1}`) belongs to the new document;
            // the marker itself is dropped by starting the text after it.
            start = offset + 3;
            first_line = line_no;
            content = None;
            if l.starts_with("---") && is_content(&l[3..]) {
                content = Some(line_no);
            }
            if l.starts_with("...") {
                start = offset + raw.len();
                first_line = line_no + 1;
            }
        } else if content.is_none() && is_content(l) {
            content = Some(line_no);
        }
        offset += raw.len();
    }
    push(&mut docs, start, text.len(), first_line, content)?;
    Ok(docs)
}

/// The 1-based first line of each item of a top-level `items:` block sequence, as
/// `kubectl get -o yaml` prints a List: a line scan, trusted by the caller only when it finds
/// as many items as the parser did.
pub fn yaml_list_item_lines(doc: &YamlDoc) -> Vec<usize> {
    let mut out = Vec::new();
    let mut lines = doc.text.lines().enumerate();
    if !lines.any(|(_, l)| l.trim_end() == "items:") {
        return out;
    }
    let mut prefix: Option<String> = None;
    for (i, l) in lines {
        if !is_content(l) {
            continue;
        }
        let indent = l.len() - l.trim_start_matches(' ').len();
        let p = prefix.get_or_insert_with(|| l[..indent].to_string());
        let item = l.len() > p.len()
            && l.starts_with(p.as_str())
            && (l[p.len()..].starts_with("- ") || l[p.len()..].trim_end() == "-");
        if item {
            out.push(doc.first_line + i);
        } else if indent <= p.len() && !l[indent..].starts_with('-') {
            break; // back at the List's own keys
        }
    }
    out
}

/// A line that holds YAML content: not blank, not a comment, not a directive.
fn is_content(l: &str) -> bool {
    let t = l.trim_start();
    !t.is_empty() && !t.starts_with('#') && !l.starts_with('%')
}

/// Parser settings for one untrusted YAML document: aliases and nesting are bounded; size is
/// bounded by the file limit already.
fn yaml_options() -> serde_saphyr::Options {
    let huge = MAX_FILE_BYTES as usize;
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 1,
            max_aliases: MAX_YAML_ALIASES,
            max_anchors: MAX_YAML_ALIASES,
            max_depth: MAX_YAML_DEPTH,
            flow_nesting_limit: MAX_YAML_DEPTH,
            max_events: huge,
            max_nodes: huge,
            max_total_scalar_bytes: huge,
            max_total_comment_bytes: huge,
            max_recorded_anchor_events: MAX_YAML_ALIAS_EXPANSION,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_YAML_ALIAS_EXPANSION,
        },
        with_snippet: false,
    }
}

/// A YAML parse error: the message and, when known, its 1-based line and column in the
/// document's text.
#[derive(Debug)]
pub struct YamlError {
    pub message: String,
    pub at: Option<(u64, u64)>,
}

/// Transcodes one YAML document to compact JSON text, streaming parser events into the JSON
/// writer (no intermediate tree). Duplicate keys are refused by the parser.
pub fn yaml_to_json(doc: &str) -> Result<String, YamlError> {
    let mut out = Vec::with_capacity(doc.len());
    let res = serde_saphyr::with_deserializer_from_str_with_options(doc, yaml_options(), |de| {
        let mut ser = serde_json::Serializer::new(&mut out);
        serde_transcode::transcode(de, &mut ser)
            .map_err(|e| <serde_saphyr::Error as de::Error>::custom(e.to_string()))
    });
    match res {
        Ok(()) => Ok(String::from_utf8(out).expect("serde_json writes UTF-8")),
        Err(e) => {
            // The transcoder flattens the parser's error to text; parse again, on this rare
            // path only, for the structured location.
            let located = serde_saphyr::from_str_with_options::<IgnoredAny>(doc, yaml_options())
                .err()
                .unwrap_or(e);
            Err(YamlError {
                message: one_line(&located.to_string()),
                at: located.location().map(|l| (l.line(), l.column())),
            })
        }
    }
}

/// `apiVersion`, `kind` and `metadata.name` of an object, and the raw `items` of a list.
#[derive(Debug, Default)]
pub struct Head<'a> {
    /// False when the document is not a mapping.
    pub object: bool,
    pub api_version: Option<Value>,
    pub kind: Option<Value>,
    pub name: Option<Value>,
    pub items: Option<Items<'a>>,
}

#[derive(Debug)]
pub enum Items<'a> {
    Seq(Vec<&'a RawValue>),
    Null,
    Other,
}

impl<'a> Head<'a> {
    /// Reads the whole JSON text once (validating it) for its head and raw list items.
    pub fn scan(text: &'a str) -> Result<Head<'a>, serde_json::Error> {
        let mut head = Head::default();
        let mut de = serde_json::Deserializer::from_str(text);
        HeadSeed {
            head: &mut head,
            early: false,
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(head)
    }

    /// Reads only as far as the head of an already validated object: kubectl and the API
    /// server print `apiVersion`, `kind` and `metadata.name` first, so this costs a few bytes
    /// instead of a pass over the whole object. Falls back to reading it all.
    pub fn peek(text: &'a str) -> Head<'a> {
        let mut head = Head::default();
        let mut de = serde_json::Deserializer::from_str(text);
        // Stopping early leaves the object unfinished, which serde_json reports as an error:
        // the head read so far is what we wanted.
        let _ = HeadSeed {
            head: &mut head,
            early: true,
        }
        .deserialize(&mut de);
        head
    }

    fn complete(&self) -> bool {
        self.api_version.is_some() && self.kind.is_some() && self.name.is_some()
    }

    #[cfg(test)]
    pub fn kind_str(&self) -> Option<&str> {
        self.kind.as_ref().and_then(Value::as_str)
    }
}

struct HeadSeed<'h, 'a> {
    head: &'h mut Head<'a>,
    early: bool,
}

/// The error that ends an early read once the head is known.
const STOP: &str = "head read";

impl<'de, 'h> DeserializeSeed<'de> for HeadSeed<'h, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'h> Visitor<'de> for HeadSeed<'h, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.head.object = true;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::ApiVersion => self.head.api_version = Some(map.next_value()?),
                Key::Kind => self.head.kind = Some(map.next_value()?),
                Key::Metadata => map.next_value_seed(MetaSeed(&mut *self.head, self.early))?,
                Key::Items if !self.early => self.head.items = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if self.early && self.head.complete() {
                return Err(de::Error::custom(STOP));
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| ())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// `metadata`: only `name` is kept; anything that is not a mapping is left to the typed
/// decode, which reports it with its path.
struct MetaSeed<'h, 'a>(&'h mut Head<'a>, bool);

impl<'de, 'h, 'a> DeserializeSeed<'de> for MetaSeed<'h, 'a> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'h, 'a> Visitor<'de> for MetaSeed<'h, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("object metadata")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            if key == Key::Name {
                self.0.name = Some(map.next_value()?);
                if self.1 && self.0.complete() {
                    return Err(de::Error::custom(STOP));
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| ())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Items<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Items<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items<'de>, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    v.push(item);
                }
                Ok(Items::Seq(v))
            }
            fn visit_unit<E>(self) -> Result<Items<'de>, E> {
                Ok(Items::Null)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Items<'de>, A::Error> {
                IgnoredAny.visit_map(map).map(|_| Items::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Items<'de>, E> {
                Ok(Items::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Items<'de>, E> {
                Ok(Items::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Items<'de>, E> {
                Ok(Items::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Items<'de>, E> {
                Ok(Items::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Items<'de>, E> {
                Ok(Items::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys the head needs, recognised without allocating.
#[derive(PartialEq, Eq)]
enum Key {
    ApiVersion,
    Kind,
    Metadata,
    Items,
    Name,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, s: &str) -> Result<Key, E> {
                Ok(match s {
                    "apiVersion" => Key::ApiVersion,
                    "kind" => Key::Kind,
                    "metadata" => Key::Metadata,
                    "items" => Key::Items,
                    "name" => Key::Name,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// serde_json appends "at line L column C" to its messages; for objects decoded from their
/// own text that position means nothing to the user (the path says where).
pub fn without_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => &msg[..i],
        _ => msg,
    }
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Counts lines incrementally over increasing byte offsets of one text (linear overall).
pub struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(text: &'a str, first_line: usize) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: first_line,
        }
    }

    /// The 1-based line of `offset`; offsets must not decrease.
    pub fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len()).max(self.offset);
        self.line += self.text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        self.line
    }

    /// The 1-based line where `sub`, a slice of the text, starts.
    pub fn line_of(&mut self, sub: &str) -> usize {
        let offset = (sub.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        self.line_at(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(t: &str) -> Vec<(usize, usize, String)> {
        split_yaml(t, 100)
            .unwrap()
            .into_iter()
            .map(|d| (d.number, d.line, d.text.to_string()))
            .collect()
    }

    #[test]
    fn documents_follow_separators() {
        let d = split("a: 1\n---\nb: 2\n---\n# c\nc: [\n");
        assert_eq!(
            d.iter().map(|d| (d.0, d.1)).collect::<Vec<_>>(),
            vec![(1, 1), (2, 3), (3, 6)]
        );
        // A leading separator, empty and comment-only documents do not count.
        let d = split("---\n# Source: x\n---\n\n---\na: 1\n---\n");
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].0, d[0].1), (1, 6));
        // Content on the marker line stays; `---x` and indented markers are not markers.
        let d = split("--- {a: 1}\n---x: 2\n  ---\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].2, " {a: 1}\n---x: 2\n  ---\n");
        // `...` ends a document.
        let d = split("a: 1\n...\nb: 2\n");
        assert_eq!(d.iter().map(|d| d.1).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn list_item_lines() {
        let t = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec:\n    containers:\n    - name: a\n- apiVersion: v1\n  kind: Service\nkind: List\n";
        let d = &split_yaml(t, 10).unwrap()[0];
        assert_eq!(yaml_list_item_lines(d), vec![3, 8]);
        let t = "---\nitems:\n  # first\n  - kind: Pod\n  - kind: Pod\nkind: List\n";
        let d = &split_yaml(t, 10).unwrap()[0];
        assert_eq!(yaml_list_item_lines(d), vec![4, 5]);
    }

    #[test]
    fn document_budget() {
        assert_eq!(
            split_yaml("a: 1\n---\nb: 1\n---\nc: 1\n", 2).unwrap_err(),
            3
        );
        assert!(split_yaml("---\n---\n---\na: 1\n", 1).is_ok());
    }

    #[test]
    fn heads() {
        let t = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{}},"spec":{}}"#;
        let h = Head::peek(t);
        assert_eq!(h.kind_str(), Some("Pod"));
        assert_eq!(h.name, Some(Value::String("a".into())));
        let l = r#"{"apiVersion":"v1","items":[{"a":1},{"b":[2]}],"kind":"List"}"#;
        let h = Head::scan(l).unwrap();
        match h.items {
            Some(Items::Seq(v)) => assert_eq!(v[1].get(), r#"{"b":[2]}"#),
            other => panic!("{other:?}"),
        }
        assert!(Head::scan(r#"{"kind": "Pod",}"#).is_err());
        assert!(!Head::scan(r#""text""#).unwrap().object);
    }

    #[test]
    fn transcodes_yaml() {
        let j = yaml_to_json("a: &x [1, two]\nb: *x\nc: {d: null}\n").unwrap();
        assert_eq!(j, r#"{"a":[1,"two"],"b":[1,"two"],"c":{"d":null}}"#);
        let e = yaml_to_json("a: 1\na: 2\n").err().unwrap();
        assert!(e.message.contains("duplicate"), "{}", e.message);
        assert_eq!(e.at.map(|a| a.0), Some(2));
    }

    #[test]
    fn positions() {
        assert_eq!(
            without_position("invalid type: string \"x\", expected a sequence at line 1 column 9"),
            "invalid type: string \"x\", expected a sequence"
        );
        let mut c = LineCounter::new("a\nb\nc", 1);
        assert_eq!(c.line_at(0), 1);
        assert_eq!(c.line_at(2), 2);
        assert_eq!(c.line_at(4), 3);
    }
}
