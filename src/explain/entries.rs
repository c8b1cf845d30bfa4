//! Accumulates enforcement entries, merging those with the same component, path, identity
//! and effect into one row with all their targets.

use super::report::Enforcement;
use std::sync::Arc;

/// (enforced by, waypoint, path, identity, effect, the waypoint's share of the requests).
type Key = (String, Option<String>, String, String, String, Option<u32>);

/// A policy has a handful of distinct rows but may add a target to one of them for every
/// pod of a namespace: rows are found by comparing borrowed text (no key is allocated per
/// target), and targets are pushed, then sorted and deduplicated once in `finish`.
#[derive(Default)]
pub struct Entries(Vec<(Key, Vec<Arc<str>>)>);

impl Entries {
    pub fn add(
        &mut self,
        by: &str,
        waypoint: Option<&str>,
        path: &str,
        identity: &str,
        effect: &str,
        targets: impl IntoIterator<Item = Arc<str>>,
    ) {
        self.row(by, waypoint, path, identity, effect, None)
            .extend(targets);
    }

    /// The targets of the row with this key, added if new.
    fn row(
        &mut self,
        by: &str,
        waypoint: Option<&str>,
        path: &str,
        identity: &str,
        effect: &str,
        share: Option<u32>,
    ) -> &mut Vec<Arc<str>> {
        let found = self.0.iter().position(|(k, _)| {
            k.0 == by
                && k.1.as_deref() == waypoint
                && k.2 == path
                && k.3 == identity
                && k.4 == effect
                && k.5 == share
        });
        let i = found.unwrap_or_else(|| {
            let key = (
                by.into(),
                waypoint.map(str::to_string),
                path.into(),
                identity.into(),
                effect.into(),
                share,
            );
            self.0.push((key, Vec::new()));
            self.0.len() - 1
        });
        &mut self.0[i].1
    }

    /// Enforced by waypoint `key` itself, which receives `share` percent of the requests to
    /// the targets when a canary splits them with another waypoint (`None`: all of them).
    pub fn at_waypoint_share(
        &mut self,
        key: &str,
        share: Option<u32>,
        effect: &str,
        targets: impl IntoIterator<Item = Arc<str>>,
    ) {
        self.row("waypoint", Some(key), "waypoint", "client", effect, share)
            .extend(targets);
    }

    /// Enforced by waypoint `key` itself, which sees the client's identity.
    pub fn at_waypoint(
        &mut self,
        key: &str,
        effect: &str,
        targets: impl IntoIterator<Item = Arc<str>>,
    ) {
        self.add("waypoint", Some(key), "waypoint", "client", effect, targets);
    }

    /// Enforced by the Envoy of ingress gateway `name`, which sees the client's identity.
    pub fn at_gateway(
        &mut self,
        name: &str,
        effect: &str,
        targets: impl IntoIterator<Item = Arc<str>>,
    ) {
        self.add("gateway", Some(name), "ingress", "client", effect, targets);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in key order, each with its targets sorted and once, or the single
    /// `none` / `not-enforced` entry when nothing enforces it.
    pub fn finish(mut self) -> Vec<Enforcement> {
        if self.0.is_empty() {
            return vec![not_enforced()];
        }
        self.0.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.0
            .into_iter()
            .map(
                |((by, waypoint, path, ident, effect, weight), mut targets)| {
                    targets.sort_unstable();
                    targets.dedup();
                    Enforcement {
                        enforced_by: by,
                        waypoint,
                        weight,
                        path,
                        source_identity: ident,
                        effect,
                        targets,
                    }
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
