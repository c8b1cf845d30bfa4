//! Accumulates enforcement entries, merging those with the same component, path, identity
//! and effect into one row with all their targets.

use super::report::Enforcement;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// (enforced by, waypoint, path, identity, effect, the waypoint's share of the requests).
type Key = (String, Option<String>, String, String, String, Option<u32>);

#[derive(Default)]
pub struct Entries(BTreeMap<Key, BTreeSet<Arc<str>>>);

impl Entries {
    pub fn add(
        &mut self,
        by: &str,
        waypoint: Option<String>,
        path: &str,
        identity: &str,
        effect: &str,
        targets: impl IntoIterator<Item = Arc<str>>,
    ) {
        self.0
            .entry((
                by.into(),
                waypoint,
                path.into(),
                identity.into(),
                effect.into(),
                None,
            ))
            .or_default()
            .extend(targets);
    }

    /// Enforced by waypoint `key` itself, which receives `share` percent of the requests to
    /// the targets when a canary splits them with another waypoint (`None`: all of them).
    pub fn at_waypoint_share(
        &mut self,
        key: String,
        share: Option<u32>,
        effect: &str,
        targets: impl IntoIterator<Item = Arc<str>>,
    ) {
        let k = (
            "waypoint".into(),
            Some(key),
            "waypoint".into(),
            "client".into(),
            effect.into(),
            share,
        );
        self.0.entry(k).or_default().extend(targets);
    }

    /// Enforced by waypoint `key` itself, which sees the client's identity.
    pub fn at_waypoint(
        &mut self,
        key: String,
        effect: &str,
        targets: impl IntoIterator<Item = Arc<str>>,
    ) {
        self.add("waypoint", Some(key), "waypoint", "client", effect, targets);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, or the single `none` / `not-enforced` entry when nothing enforces it.
    pub fn finish(self) -> Vec<Enforcement> {
        if self.0.is_empty() {
            return vec![not_enforced()];
        }
        self.0
            .into_iter()
            .map(
                |((by, waypoint, path, ident, effect, weight), targets)| Enforcement {
                    enforced_by: by,
                    waypoint,
                    weight,
                    path,
                    source_identity: ident,
                    effect,
                    targets: targets.into_iter().collect(),
                },
            )
            .collect()
    }
}

pub fn not_enforced() -> Enforcement {
    Enforcement {
        enforced_by: "none".into(),
        waypoint: None,
        weight: None,
        path: "none".into(),
        source_identity: "none".into(),
        effect: "not-enforced".into(),
        targets: vec![],
    }
}
