//! The order of a Snapshot's lists: by namespace, then name, stably. Lists read from an API
//! server come in that order already (etcd's keys are `/registry/<kind>/<namespace>/<name>`)
//! and cost one pass, or nearly (`etcd_order`); merged files and generated meshes do not,
//! and with 100,000 pods a comparison that follows two pointers into the pods for every step
//! of the sort was the one part of reading that grew faster than the pods (issue 16).

use crate::model::ObjectMeta;
use foldhash::{HashMap, HashSet};
use std::cmp::Ordering;

/// Sorts `v` stably by (namespace, name, `then`). The order is found on small keys (the
/// namespace's rank, the name's first 16 bytes, the place), which compare without touching
/// the elements; only names alike in their first 16 bytes are compared whole. Then each
/// element is moved at most twice, however big: sorting big structs in place moves each
/// about log n times.
pub(super) fn sort<T>(
    v: &mut [T],
    meta: impl Fn(&T) -> &ObjectMeta,
    then: impl Fn(&T, &T) -> Ordering,
) {
    // Within a namespace: what the keys below fall back on once their ranks are equal.
    let by_name = |a: &T, b: &T| (meta(a).name.cmp(&meta(b).name)).then_with(|| then(a, b));
    let cmp =
        |a: &T, b: &T| (meta(a).namespace.cmp(&meta(b).namespace)).then_with(|| by_name(a, b));
    if v.windows(2).all(|w| cmp(&w[0], &w[1]).is_le()) {
        return;
    }
    if let Some(mut order) = etcd_order(v, &meta, by_name) {
        apply(v, &mut order);
        return;
    }
    let mut namespaces: Vec<&str> = Vec::new();
    let mut rank: HashMap<&str, u32> = HashMap::default();
    for x in v.iter() {
        let ns = meta(x).namespace.as_str();
        if !rank.contains_key(ns) {
            rank.insert(ns, 0);
            namespaces.push(ns);
        }
    }
    namespaces.sort_unstable();
    for (i, ns) in namespaces.iter().enumerate() {
        rank.insert(ns, i as u32);
    }
    let mut keys: Vec<Key> = (v.iter().enumerate())
        .map(|(at, x)| Key {
            namespace: rank[meta(x).namespace.as_str()],
            prefix: prefix(&meta(x).name),
            at: at as u32,
        })
        .collect();
    drop(rank);
    // Ties broken by place: stable, without a buffer of half the list.
    keys.sort_unstable_by(|a, b| {
        (a.namespace.cmp(&b.namespace))
            .then(a.prefix.cmp(&b.prefix))
            .then_with(|| by_name(&v[a.at as usize], &v[b.at as usize]))
            .then(a.at.cmp(&b.at))
    });
    let mut order: Vec<u32> = keys.into_iter().map(|k| k.at).collect();
    apply(v, &mut order);
}

/// The order that sorts a list in etcd's order: by `<namespace>/<name>` as bytes, which is
/// by namespace, then name, except for a namespace named as the start of another followed
/// by a byte below `/` (`a-b/x` comes before `a/x`). Each namespace is then one run, sorted
/// within: only the runs change places, and no key is made. `None` for any other order.
fn etcd_order<T>(
    v: &[T],
    meta: impl Fn(&T) -> &ObjectMeta,
    by_name: impl Fn(&T, &T) -> Ordering,
) -> Option<Vec<u32>> {
    // (namespace, start) of each run; the runs end where the next starts.
    let mut runs: Vec<(&str, usize)> = Vec::new();
    // A namespace in two runs is no etcd order: given up at once, as a list in no order
    // (merged files, a generated mesh) starts a run at nearly every element.
    let mut seen: HashSet<&str> = HashSet::default();
    for (i, x) in v.iter().enumerate() {
        let ns = meta(x).namespace.as_str();
        match runs.last() {
            Some(&(run, _)) if run == ns => {
                if by_name(&v[i - 1], x).is_gt() {
                    return None;
                }
            }
            _ if !seen.insert(ns) => return None,
            _ => runs.push((ns, i)),
        }
    }
    let ends: Vec<usize> = (runs.iter().skip(1).map(|r| r.1))
        .chain([v.len()])
        .collect();
    let mut sorted: Vec<(&str, usize, usize)> = (runs.iter().zip(ends))
        .map(|(&(ns, start), end)| (ns, start, end))
        .collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    Some(
        (sorted.iter())
            .flat_map(|&(_, start, end)| start as u32..end as u32)
            .collect(),
    )
}

/// Sorts `v` stably by (namespace, name).
pub(super) fn by_name<T>(v: &mut [T], meta: impl Fn(&T) -> &ObjectMeta) {
    sort(v, meta, |_, _| Ordering::Equal)
}

/// 24 bytes: the prefix as two halves keeps the alignment at 8 (a `u128` would make it 32).
struct Key {
    prefix: (u64, u64),
    namespace: u32,
    at: u32,
}

/// The first 16 bytes of `s` as numbers that order as they do: big-endian, shorter names
/// padded with zeros, below any byte a name can hold; equal prefixes compare whole.
fn prefix(s: &str) -> (u64, u64) {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    let half = |h: &[u8]| u64::from_be_bytes(h.try_into().expect("8 bytes"));
    (half(&b[..8]), half(&b[8..]))
}

/// Puts the element at `order[i]` in place i, following the permutation's cycles; a place
/// is marked done by `order[i] == i`.
fn apply<T>(v: &mut [T], order: &mut [u32]) {
    for start in 0..v.len() {
        let mut at = start;
        while order[at] as usize != start {
            let from = order[at] as usize;
            v.swap(at, from);
            order[at] = at as u32;
            at = from;
        }
        order[at] = at as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(namespace: &str, name: &str) -> ObjectMeta {
        ObjectMeta {
            namespace: namespace.into(),
            name: name.into(),
            ..ObjectMeta::default()
        }
    }

    /// The same order as the standard stable sort, ties included: names alike in their
    /// first 16 bytes and beyond, names that are prefixes of others, the empty name and
    /// namespace, equal keys told apart by `then` or by place; random, sorted and reversed.
    #[test]
    fn sorts_as_the_standard_stable_sort() {
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = (seed.wrapping_mul(6364136223846793005)).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let stems = [
            "",
            "a",
            "ab",
            "reviews-v2-7f6b4c9d8",
            "reviews-v2-7f6b4",
            "é",
        ];
        for n in [0usize, 1, 2, 3, 10, 257, 1000] {
            let v: Vec<(ObjectMeta, u8, usize)> = (0..n)
                .map(|i| {
                    let ns = ["", "b", "a", "team-payments-production"][next(4) as usize];
                    let name = match next(3) {
                        0 => stems[next(stems.len() as u64) as usize].to_string(),
                        _ => format!("{}-{}", stems[next(6) as usize], next(20)),
                    };
                    (meta(ns, &name), next(3) as u8, i)
                })
                .collect();
            let standard = |v: &mut Vec<(ObjectMeta, u8, usize)>| {
                v.sort_by(|a, b| {
                    (&a.0.namespace, &a.0.name, a.1).cmp(&(&b.0.namespace, &b.0.name, b.1))
                })
            };
            let mut sorted = v.clone();
            standard(&mut sorted);
            let mut reversed = sorted.clone();
            reversed.reverse();
            for input in [v, sorted, reversed] {
                let mut want = input.clone();
                standard(&mut want);
                let mut got = input;
                sort(&mut got, |x| &x.0, |a, b| a.1.cmp(&b.1));
                let key = |v: &[(ObjectMeta, u8, usize)]| -> Vec<(String, String, u8, usize)> {
                    (v.iter())
                        .map(|x| (x.0.namespace.clone(), x.0.name.clone(), x.1, x.2))
                        .collect()
                };
                assert_eq!(key(&got), key(&want), "n = {n}");
            }
        }
    }

    /// A list in etcd's order, namespaces named as the start of others included, is put in
    /// order by its runs, as the standard stable sort orders it; a namespace in two runs is
    /// left to the sort.
    #[test]
    fn etcd_order_moves_runs() {
        let namespaces = ["a", "a-b", "a.b", "a0", "ab", "", "b", "istio-system"];
        let mut seed = 11u64;
        let mut next = |m: u64| {
            seed = (seed.wrapping_mul(6364136223846793005)).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for n in [2usize, 3, 10, 300] {
            let mut v: Vec<(ObjectMeta, usize)> = (0..n)
                .map(|i| {
                    let ns = namespaces[next(namespaces.len() as u64) as usize];
                    (meta(ns, &format!("p-{}", next(40))), i)
                })
                .collect();
            // As etcd lists them: by key, `<namespace>/<name>` as bytes.
            v.sort_by_key(|x| format!("{}/{}", x.0.namespace, x.0.name));
            let by_name =
                |a: &(ObjectMeta, usize), b: &(ObjectMeta, usize)| a.0.name.cmp(&b.0.name);
            assert!(etcd_order(&v, |x| &x.0, by_name).is_some(), "n = {n}");
            let mut want = v.clone();
            want.sort_by(|a, b| (&a.0.namespace, &a.0.name).cmp(&(&b.0.namespace, &b.0.name)));
            let mut got = v;
            by_name_sort(&mut got);
            let key = |v: &[(ObjectMeta, usize)]| -> Vec<(String, String, usize)> {
                (v.iter())
                    .map(|x| (x.0.namespace.clone(), x.0.name.clone(), x.1))
                    .collect()
            };
            assert_eq!(key(&got), key(&want), "n = {n}");
        }
        let split = [meta("b", "x"), meta("a", "x"), meta("b", "y")];
        assert!(etcd_order(&split, |m| m, |a, b| a.name.cmp(&b.name)).is_none());
        let unsorted = [meta("b", "y"), meta("b", "x"), meta("a", "x")];
        assert!(etcd_order(&unsorted, |m| m, |a, b| a.name.cmp(&b.name)).is_none());
        fn by_name_sort(v: &mut [(ObjectMeta, usize)]) {
            by_name(v, |x| &x.0)
        }
    }

    #[test]
    fn prefixes_order_as_their_bytes() {
        let names = [
            "",
            "a",
            "a-",
            "ab",
            "b",
            "productpage-v1-6",
            "productpage-v1-6b7",
        ];
        for a in names {
            for b in names {
                let (x, y) = (prefix(a), prefix(b));
                assert!(x.cmp(&y) == a.cmp(b) || x == y, "{a} {b}");
            }
        }
        assert_eq!(prefix("productpage-v1-6"), prefix("productpage-v1-6b7"));
    }
}
