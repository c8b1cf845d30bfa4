//! A label (or annotation) map as Kubernetes objects carry them: a handful of entries, read
//! far more often than written. Kept packed: the keys and values back to back in one string,
//! in key order, with where each ends. A lookup is a binary search over a few contiguous
//! bytes, not a pointer per string: a mesh of 50,000 pods, each with two such maps, reads
//! them for every pod at every stage, and separate allocations per key and value were the
//! cache misses that made the work per pod grow with the mesh (issue 16). The same order
//! and lookups as a B-tree map; a map is rebuilt when written, which is rare and small.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Labels {
    /// One allocation, so that a lookup reads one place in memory, not two: first where
    /// each key and each value ends in the text (two per entry, `END` bytes each), then the
    /// text, k0 v0 k1 v1 ..., keys ascending and unique. With the ends in a slice of their
    /// own, every read of a pod's labels in a pass over 80,000 pods missed the caches twice
    /// (issue 16).
    packed: Box<str>,
    entries: u32,
    /// One bit per key (`key_bit`), in the struct's padding: most lookups are of Istio's
    /// labels on pods that carry none, and these are answered without reading `packed`, a
    /// cache miss per pod in every pass over the pods of a big mesh (issue 16).
    keys: u32,
}

/// The bit of `keys` that key `k` sets: from its length and three of its bytes, enough to
/// tell apart the few keys of one map most of the time (a shared bit only costs a search).
fn key_bit(k: &str) -> u32 {
    let b = k.as_bytes();
    let byte = |i: usize| u32::from(b.get(i).copied().unwrap_or(0));
    let h = (b.len() as u32
        ^ (byte(0) << 8)
        ^ (byte(b.len() / 2) << 16)
        ^ (byte(b.len().wrapping_sub(1)) << 24))
        .wrapping_mul(0x9E37_79B9);
    1 << (h >> 27)
}

/// An end is written as `END` ASCII bytes of 7 bits each, most significant first: the
/// packed text stays a `str` without unsafe code. 35 bits: no map held in memory is longer.
const END: usize = 5;

impl Labels {
    pub fn new() -> Self {
        Labels::default()
    }

    /// From entries sorted by key, each key once.
    fn packed<'a>(entries: impl ExactSizeIterator<Item = (&'a str, &'a str)> + Clone) -> Self {
        let n = entries.len();
        let size: usize = entries.clone().map(|(k, v)| k.len() + v.len()).sum();
        let mut packed = String::with_capacity(2 * END * n + size);
        let mut end = 0;
        let mut keys = 0;
        for (k, v) in entries.clone() {
            keys |= key_bit(k);
            end += k.len();
            push_end(&mut packed, end);
            end += v.len();
            push_end(&mut packed, end);
        }
        for (k, v) in entries {
            packed.push_str(k);
            packed.push_str(v);
        }
        Labels {
            packed: packed.into_boxed_str(),
            entries: u32::try_from(n).expect("a label map of fewer than 2^32 entries"),
            keys,
        }
    }

    /// From entries in any order; a key given twice keeps its last value.
    fn from_entries<K: AsRef<str>, V: AsRef<str>>(mut entries: Vec<(K, V)>) -> Self {
        // Stable: among equal keys the last given stays last, and is the one kept.
        entries.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut kept: Vec<(&str, &str)> = Vec::with_capacity(entries.len());
        for (k, v) in &entries {
            match kept.last_mut() {
                Some(last) if last.0 == k.as_ref() => last.1 = v.as_ref(),
                _ => kept.push((k.as_ref(), v.as_ref())),
            }
        }
        Labels::packed(kept.into_iter())
    }

    /// Where the `i`th key or value ends in the text.
    fn end(&self, i: usize) -> usize {
        let digits = &self.packed.as_bytes()[i * END..(i + 1) * END];
        digits.iter().fold(0, |n, &d| (n << 7) | usize::from(d))
    }

    fn span(&self, i: usize) -> &str {
        let text = 2 * END * self.len();
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        &self.packed[text + start..text + self.end(i)]
    }

    fn key(&self, i: usize) -> &str {
        self.span(2 * i)
    }

    fn value(&self, i: usize) -> &str {
        self.span(2 * i + 1)
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.key(mid).cmp(key) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        if self.keys & key_bit(key) == 0 {
            return None;
        }
        self.find(key).ok().map(|i| self.value(i))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.keys & key_bit(key) != 0 && self.find(key).is_ok()
    }

    /// Sets `key`, returning the value it replaces.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        let mut entries: Vec<(&str, &str)> = self.iter().collect();
        let old = match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut entries[i].1, &value).to_string()),
            Err(i) => {
                entries.insert(i, (&key, &value));
                None
            }
        };
        *self = Labels::packed(entries.into_iter());
        old
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.find(key).ok()?;
        let old = self.value(i).to_string();
        let entries: Vec<(&str, &str)> = (self.iter().enumerate())
            .filter(|&(j, _)| j != i)
            .map(|(_, e)| e)
            .collect();
        *self = Labels::packed(entries.into_iter());
        Some(old)
    }

    pub fn len(&self) -> usize {
        self.entries as usize
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            labels: self,
            next: 0..self.len(),
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(_, v)| v)
    }

    /// Keeps the entries `keep` says to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        let entries: Vec<(&str, &str)> = self.iter().filter(|&(k, v)| keep(k, v)).collect();
        if entries.len() != self.len() {
            *self = Labels::packed(entries.into_iter());
        }
    }
}

fn push_end(packed: &mut String, end: usize) {
    for d in (0..END).rev() {
        packed.push(char::from((end >> (7 * d)) as u8 & 0x7f));
    }
}

/// The entries of a [`Labels`], in key order.
#[derive(Clone)]
pub struct Iter<'a> {
    labels: &'a Labels,
    next: std::ops::Range<usize>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        let i = self.next.next()?;
        Some((self.labels.key(i), self.labels.value(i)))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.next.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let i = self.next.next_back()?;
        Some((self.labels.key(i), self.labels.value(i)))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// As a map of entries in key order: the order a B-tree map compares in.
impl Ord for Labels {
    fn cmp(&self, other: &Self) -> Ordering {
        self.iter().cmp(other.iter())
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(entries: I) -> Self {
        Labels::from_entries(entries.into_iter().collect())
    }
}

impl Extend<(String, String)> for Labels {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, entries: I) {
        let mut all: Vec<(Cow<str>, Cow<str>)> = (self.iter())
            .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
            .collect();
        all.extend(
            entries
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v))),
        );
        let merged = Labels::from_entries(all);
        *self = merged;
    }
}

impl<const N: usize> From<[(String, String); N]> for Labels {
    fn from(entries: [(String, String); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A map of strings; a key given twice keeps its last value, as a B-tree map would.
/// Strings are borrowed from the input where the decoder can, and copied once, packed.
impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Labels;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Labels, A::Error> {
                let mut entries: Vec<(Text<'de>, Text<'de>)> =
                    Vec::with_capacity(m.size_hint().unwrap_or(0).min(64));
                while let Some(e) = m.next_entry::<Text<'de>, Text<'de>>()? {
                    entries.push(e);
                }
                Ok(Labels::from_entries(entries))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// A string as decoded: borrowed from the input when it has no escapes.
struct Text<'de>(Cow<'de, str>);

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::Labels;

    fn labels(entries: &[(&str, &str)]) -> Labels {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Ends past 7, 14 and 21 bits (several digits each), multi-byte text, the empty key
    /// and value: every entry reads back whole.
    #[test]
    fn long_and_empty_entries_read_back() {
        let long = "é".repeat(1 << 21);
        let mid = "x".repeat(200);
        let entries = [
            ("", ""),
            ("a", long.as_str()),
            ("b", ""),
            ("é", mid.as_str()),
        ];
        let l = labels(&entries);
        assert_eq!(l.len(), 4);
        for (k, v) in entries {
            assert_eq!(l.get(k), Some(v), "{k}");
        }
        assert_eq!(l.iter().collect::<Vec<_>>(), entries);
        assert!(Labels::new().is_empty() && Labels::new().iter().next().is_none());
    }

    #[test]
    fn behaves_as_a_sorted_map() {
        let mut l = labels(&[("b", "2"), ("a", "1"), ("c", "3"), ("a", "one")]);
        assert_eq!(l.len(), 3);
        assert_eq!(l.get("a"), Some("one"));
        assert!(l.contains_key("c") && !l.contains_key("d"));
        let keys: Vec<&str> = l.keys().collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(l.insert("b".into(), "two".into()).as_deref(), Some("2"));
        assert_eq!(l.remove("a").as_deref(), Some("one"));
        assert_eq!(format!("{l:?}"), r#"{"b": "two", "c": "3"}"#);
        assert_eq!(l, labels(&[("c", "3"), ("b", "two")]));
        assert_eq!(l.insert("a".into(), "".into()), None);
        assert_eq!(l.insert("bb".into(), "x".into()), None);
        let all: Vec<(&str, &str)> = l.iter().collect();
        assert_eq!(all, [("a", ""), ("b", "two"), ("bb", "x"), ("c", "3")]);
        assert_eq!(l.iter().next_back(), Some(("c", "3")));
        assert_eq!(l.values().collect::<Vec<_>>(), ["", "two", "x", "3"]);
        assert_eq!(l.get(""), None);
        l.retain(|k, v| k != "bb" && !v.is_empty());
        assert_eq!(l, labels(&[("b", "two"), ("c", "3")]));
        l.extend([("c".to_string(), "4".to_string()), ("0".into(), "z".into())]);
        assert_eq!(format!("{l:?}"), r#"{"0": "z", "b": "two", "c": "4"}"#);
        assert_eq!(Labels::new(), labels(&[]));
        assert!(Labels::new().is_empty() && Labels::new().get("a").is_none());
    }

    #[test]
    fn the_key_filter_hides_no_key() {
        // Keys of every length up to 40 and each byte at the places `key_bit` reads, in maps
        // of one to twelve entries: every lookup answers as a B-tree map does, and keys
        // that share a bit (32 bits, more keys) are told apart by the search.
        let keys: Vec<String> = (0..40)
            .flat_map(|n| {
                [b'a', b'z', b'/', b'.'].map(|c| {
                    let mut k = vec![b'k'; n];
                    for i in [0, n / 2, n.saturating_sub(1)]
                        .into_iter()
                        .filter(|&i| i < n)
                    {
                        k[i] = c;
                    }
                    String::from_utf8(k).unwrap()
                })
            })
            .chain(["app", "topology.istio.io/network", "istio.io/use-waypoint"].map(String::from))
            .collect();
        for size in 1..=12 {
            for start in (0..keys.len()).step_by(7) {
                let mine: Vec<(&str, &str)> = (keys.iter().cycle().skip(start).step_by(5))
                    .take(size)
                    .map(|k| (k.as_str(), "v"))
                    .collect();
                let l = labels(&mine);
                let map: std::collections::BTreeMap<&str, &str> = mine.iter().copied().collect();
                for k in &keys {
                    assert_eq!(l.get(k), map.get(k.as_str()).copied(), "{k:?} in {mine:?}");
                    assert_eq!(l.contains_key(k), map.contains_key(k.as_str()));
                }
            }
        }
    }

    #[test]
    fn orders_by_entries_as_a_map_would() {
        // Packed, {"a": "z"} is the text "az" and {"ab": ""} "ab": the entries decide.
        let (az, ab) = (labels(&[("a", "z")]), labels(&[("ab", "")]));
        assert!(az < ab);
        let (a1, a1b) = (labels(&[("a", "1")]), labels(&[("a", "1"), ("b", "")]));
        assert!(a1 < a1b && labels(&[]) < a1);
        assert_ne!(labels(&[("a", "b")]), labels(&[("ab", "")]));
    }

    #[test]
    fn decodes_and_writes_as_a_map() {
        let l: Labels = serde_json::from_str(r#"{"z": "1", "a": "2", "z": "3"}"#).unwrap();
        assert_eq!(serde_json::to_string(&l).unwrap(), r#"{"a":"2","z":"3"}"#);
        let err = serde_json::from_str::<Labels>(r#"{"a": 1}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
        assert!(serde_json::from_str::<Labels>("[]").is_err());
        // Escaped strings are decoded (owned), as from a value tree.
        let l: Labels = serde_json::from_str(r#"{"k\"e\u00e9y": "v\\"}"#).unwrap();
        assert_eq!(l.get("k\"eéy"), Some("v\\"));
        let v = serde_json::json!({"b": "1", "a": "2"});
        let l: Labels = serde_json::from_value(v).unwrap();
        assert_eq!(l.keys().collect::<Vec<_>>(), ["a", "b"]);
        let l: Labels = serde_saphyr::from_str("b: x\na: y\n").unwrap();
        assert_eq!(l.get("a"), Some("y"));
    }
}
