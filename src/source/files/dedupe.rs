//! One object given more than once: the last copy wins, as with `kubectl apply`.

use crate::model::{resource_key, ObjectMeta};
use crate::snapshot::{InputNote, Snapshot};
use std::collections::BTreeMap;

/// One object given more than once (same kind, namespace and name: the same file named
/// twice, a kustomize base beside a rendered copy). `kubectl apply` applies documents in
/// order and each apply replaces the object, so the cluster ends with the last copy: that
/// is what a kubectl user expects here too, rather than a refusal that `kubectl apply`
/// would not give. The earlier copies are dropped, so the analysis does not depend on the
/// order they came in (only on which one is last), and the report says which one won.
pub(super) fn dedupe(snap: &mut Snapshot) {
    fn keep_last<T>(
        list: &mut Vec<T>,
        key: impl Fn(&T) -> (&str, &ObjectMeta),
        notes: &mut Vec<InputNote>,
    ) {
        // Hashed, borrowed keys: one lookup per object however many there are (a sorted
        // map of owned keys was a string comparison per level, in a list of 100,000 pods).
        let mut last: foldhash::HashMap<(&str, &str, &str), usize> =
            foldhash::HashMap::with_capacity_and_hasher(list.len(), Default::default());
        for (i, o) in list.iter().enumerate() {
            let (kind, m) = key(o);
            last.insert((kind, m.namespace.as_str(), m.name.as_str()), i);
        }
        if last.len() == list.len() {
            return;
        }
        let mut dropped: BTreeMap<(&str, &str, &str), Vec<usize>> = BTreeMap::new();
        for (i, o) in list.iter().enumerate() {
            let (kind, m) = key(o);
            let k = (kind, m.namespace.as_str(), m.name.as_str());
            if last[&k] != i {
                dropped.entry(k).or_default().push(i);
            }
        }
        let at = |i: usize| {
            key(&list[i])
                .1
                .origin
                .as_ref()
                .map_or_else(|| "?".to_string(), |o| format!("{}:{}", o.file, o.document))
        };
        for (k, earlier) in &dropped {
            let earlier: Vec<String> = earlier.iter().map(|&i| at(i)).collect();
            notes.push(InputNote {
                setting: format!("duplicate {}", resource_key(k.0, k.1, k.2)),
                value: format!("kept {}", at(last[k])),
                source: format!(
                    "also in {} (FILE:DOCUMENT); kubectl apply keeps the last one applied",
                    earlier.join(", ")
                ),
            });
        }
        let mut keep = vec![false; list.len()];
        for i in last.into_values() {
            keep[i] = true;
        }
        let mut i = 0;
        list.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    let mut notes = Vec::new();
    let n = &mut notes;
    keep_last(&mut snap.namespaces, |o| ("Namespace", &o.metadata), n);
    keep_last(&mut snap.pods, |o| (o.kind(), &o.metadata), n);
    keep_last(&mut snap.controllers, |o| (o.kind.as_str(), &o.metadata), n);
    keep_last(&mut snap.services, |o| ("Service", &o.metadata), n);
    keep_last(
        &mut snap.service_entries,
        |o| ("ServiceEntry", &o.metadata),
        n,
    );
    keep_last(&mut snap.gateways, |o| ("Gateway", &o.metadata), n);
    keep_last(
        &mut snap.gateway_classes,
        |o| ("GatewayClass", &o.metadata),
        n,
    );
    keep_last(
        &mut snap.authorization_policies,
        |o| ("AuthorizationPolicy", &o.metadata),
        n,
    );
    keep_last(
        &mut snap.peer_authentications,
        |o| ("PeerAuthentication", &o.metadata),
        n,
    );
    keep_last(&mut snap.extensions, |o| (o.kind.as_str(), &o.metadata), n);
    keep_last(&mut snap.routes, |o| (o.kind.as_str(), &o.metadata), n);
    keep_last(
        &mut snap.network_policies,
        |o| ("NetworkPolicy", &o.metadata),
        n,
    );
    notes.sort_by(|a, b| a.setting.cmp(&b.setting));
    // A directory given twice repeats every object: name the first few, count the rest.
    if notes.len() > MAX_DUPLICATE_NOTES {
        let more = notes.len() - MAX_DUPLICATE_NOTES;
        notes.truncate(MAX_DUPLICATE_NOTES);
        notes.push(InputNote {
            setting: "duplicate objects".into(),
            value: format!("{more} more"),
            source: "each keeps its last copy, as above (the same file or directory given twice?)"
                .into(),
        });
    }
    snap.input_notes.extend(notes);
}

/// Duplicate objects named one by one in the assumptions; more are counted.
const MAX_DUPLICATE_NOTES: usize = 10;
