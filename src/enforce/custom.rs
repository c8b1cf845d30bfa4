//! Several CUSTOM providers where one Envoy-based proxy applies the policies (docs/versions.md
//! `custom-providers`): istiod builds one ext_authz filter for the CUSTOM policies of a
//! workload (a sidecar) or of a waypoint's chain. Before 1.30, and from 1.30 without
//! `PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS`, policies naming different providers are
//! refused and their rules become DENY rules (`getBadCustomDenyRules`): a request they match
//! is denied and no provider is asked.

use super::ztunnel::Action;
use super::Index;
use crate::versions::Row;
use std::collections::BTreeSet;

/// The CUSTOM policies among those one proxy applies, when they name several providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeveralProviders {
    /// The provider names, sorted.
    pub providers: BTreeSet<String>,
    /// The CUSTOM policies (indices), dry-run ones included (istiod counts their providers).
    pub policies: Vec<usize>,
    /// Each provider is asked (1.30+ with the flag); otherwise their rules deny.
    pub allowed: bool,
    pub row: Row,
}

impl Index<'_> {
    /// Among `policies` (those one proxy applies), the CUSTOM ones when they name two or
    /// more providers, with what the release does (the row is recorded); else `None`.
    pub fn several_custom_providers(&self, policies: &[usize]) -> Option<SeveralProviders> {
        let custom: Vec<usize> = policies
            .iter()
            .copied()
            .filter(|&i| {
                self.conversions[i].action == Action::Custom && self.admitted_policy(i).is_some()
            })
            .collect();
        let providers: BTreeSet<String> = custom
            .iter()
            .map(|&i| {
                let p = &self.snap.authorization_policies[i];
                p.spec
                    .provider
                    .as_ref()
                    .map_or_else(String::new, |x| x.name.clone())
            })
            .collect();
        if providers.len() < 2 {
            return None;
        }
        let (allowed, row) = self.mesh.rules.several_custom_providers();
        Some(SeveralProviders {
            providers,
            policies: custom,
            allowed,
            row,
        })
    }

    /// The action with which one proxy applying `policies` applies policy `i`: `envoy_action`,
    /// except that CUSTOM becomes DENY where several providers are refused.
    pub fn envoy_actions(&self, policies: &[usize]) -> Vec<Action> {
        let refused = self
            .several_custom_providers(policies)
            .is_some_and(|s| !s.allowed);
        policies
            .iter()
            .map(|&i| match self.envoy_action(i) {
                Action::Custom if refused => Action::Deny,
                a => a,
            })
            .collect()
    }
}
