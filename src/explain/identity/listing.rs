//! Short lists of names in findings' messages: "a, b, c, d and 6 more".

/// A short list of keys, by name only when `short` (workloads; waypoints keep `ns/name`):
/// the first few distinct names in order, and how many more. A finding may name tens of
/// thousands of pods: they are counted through a hash set, never sorted (issue 16).
pub(super) fn names<'a>(keys: impl Iterator<Item = &'a str>, short: bool) -> String {
    const MAX: usize = 4;
    let distinct: foldhash::HashSet<&str> = keys
        .map(|k| {
            if short {
                k.rsplit('/').next().unwrap_or(k)
            } else {
                k
            }
        })
        .collect();
    let mut first: Vec<&str> = Vec::with_capacity(MAX + 1);
    for &k in &distinct {
        if first.len() < MAX || first.last().is_some_and(|last| k < *last) {
            let at = first.partition_point(|f| *f < k);
            first.insert(at, k);
            first.truncate(MAX);
        }
    }
    let mut s = first.join(", ");
    if distinct.len() > MAX {
        s.push_str(&format!(" and {} more", distinct.len() - MAX));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn names_are_the_first_few_in_order_and_how_many_more() {
        assert_eq!(names(["ns/b", "ns/a", "ns/b"].into_iter(), true), "a, b");
        assert_eq!(names(["x/b", "x/a"].into_iter(), false), "x/a, x/b");
        assert_eq!(names(std::iter::empty(), true), "");
        let many: Vec<String> = (0..10).rev().map(|i| format!("ns/p{i}")).collect();
        let listed = names(many.iter().chain(&many).map(String::as_str), true);
        assert_eq!(listed, "p0, p1, p2, p3 and 6 more");
    }

    proptest::proptest! {
        /// As sorting them all would list them.
        #[test]
        fn names_as_sorted(keys in proptest::collection::vec("[a-c]{0,2}/[a-e]{1,2}", 0..40)) {
            let mut v: Vec<&str> = keys.iter().map(|k| k.rsplit('/').next().unwrap()).collect();
            v.sort();
            v.dedup();
            let mut want = v.iter().take(4).copied().collect::<Vec<_>>().join(", ");
            if v.len() > 4 {
                want.push_str(&format!(" and {} more", v.len() - 4));
            }
            proptest::prop_assert_eq!(names(keys.iter().map(String::as_str), true), want);
        }
    }
}
