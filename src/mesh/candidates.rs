//! The pods a selector can match, found without scanning: pods by namespace, and by
//! (namespace, label, value). Built once with the Mesh and read by every stage that binds
//! Services to pods or places selector policies (the Index used to build its own copy).

use crate::model::Pod;
use crate::selector::Labels;
use foldhash::{HashMap, HashMapExt};

pub struct Candidates<'a> {
    by_ns: HashMap<&'a str, InNamespace<'a>>,
}

/// One namespace's pods, and its pods by (label, value). Kept per namespace, and built one
/// namespace at a time, so that the table being filled is that namespace's, not one of
/// every pod's labels: past a few tens of thousands of pods the single table no longer
/// stayed in the CPU's caches and its inserts grew faster than the pods (issue 16).
#[derive(Default)]
struct InNamespace<'a> {
    pods: Vec<usize>,
    by_label: HashMap<(&'a str, &'a str), Vec<usize>>,
}

impl<'a> Candidates<'a> {
    pub fn new(pods: &'a [Pod]) -> Self {
        let mut by_ns: HashMap<&str, InNamespace> = HashMap::new();
        for (d, pod) in pods.iter().enumerate() {
            (by_ns
                .entry(pod.metadata.namespace.as_str())
                .or_default()
                .pods)
                .push(d);
        }
        for ns in by_ns.values_mut() {
            for &d in &ns.pods {
                for (k, v) in &pods[d].metadata.labels {
                    ns.by_label.entry((k, v)).or_default().push(d);
                }
            }
        }
        Candidates { by_ns }
    }

    /// The pods of `ns`, ascending.
    pub fn in_ns(&self, ns: &str) -> &[usize] {
        self.by_ns.get(ns).map_or(&[][..], |n| n.pods.as_slice())
    }

    /// The namespaces that have pods, in no order.
    pub fn namespaces(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.by_ns.keys().copied()
    }

    /// The pods of `ns` that carry the rarest of `labels` there (ascending): every pod the
    /// selector can match, and few others. Empty `labels` give no pods.
    pub fn rarest<'s>(&'s self, ns: &'s str, labels: &'s Labels) -> &'s [usize] {
        let Some(n) = self.by_ns.get(ns) else {
            return &[];
        };
        labels
            .iter()
            .map(|(k, v)| n.by_label.get(&(k, v)).map_or(&[][..], Vec::as_slice))
            .min_by_key(|c| c.len())
            .unwrap_or(&[])
    }

    /// As `rarest`, but every pod of `ns` for empty `labels` (a selector without labels
    /// selects the whole namespace).
    pub fn selected_by<'s>(&'s self, ns: &'s str, labels: &'s Labels) -> &'s [usize] {
        if labels.is_empty() {
            self.in_ns(ns)
        } else {
            self.rarest(ns, labels)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Candidates;
    use crate::model::Pod;
    use crate::selector::Labels;

    fn pod(ns: &str, labels: &[(&str, &str)]) -> Pod {
        let mut p = Pod::default();
        p.metadata.namespace = ns.into();
        p.metadata.labels = (labels.iter())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p
    }

    #[test]
    fn finds_pods_by_their_rarest_label_within_a_namespace() {
        let pods = [
            pod("a", &[("app", "web"), ("tier", "front")]),
            pod("a", &[("app", "db"), ("tier", "front")]),
            pod("b", &[("app", "web"), ("tier", "front")]),
            pod("a", &[("app", "web"), ("tier", "front")]),
        ];
        let c = Candidates::new(&pods);
        let sel = |e: &[(&str, &str)]| -> Labels {
            e.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(c.in_ns("a"), [0, 1, 3]);
        assert_eq!(c.in_ns("c"), [] as [usize; 0]);
        // tier=front has three pods in a, app=web two: the rarer.
        assert_eq!(
            c.rarest("a", &sel(&[("app", "web"), ("tier", "front")])),
            [0, 3]
        );
        assert_eq!(c.rarest("b", &sel(&[("app", "web")])), [2]);
        assert_eq!(
            c.rarest("a", &sel(&[("app", "web"), ("x", "y")])),
            [] as [usize; 0]
        );
        assert_eq!(c.rarest("a", &sel(&[])), [] as [usize; 0]);
        assert_eq!(c.selected_by("a", &sel(&[])), [0, 1, 3]);
        let mut ns: Vec<&str> = c.namespaces().collect();
        ns.sort();
        assert_eq!(ns, ["a", "b"]);
    }
}
