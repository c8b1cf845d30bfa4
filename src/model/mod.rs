//! Slim serde types for the Kubernetes, Gateway API and Istio objects the analysis reads.
//! Only the fields the analysis needs are decoded; unknown fields are ignored so that newer
//! API versions keep working.

mod cidr;
mod core;
mod gateway;
pub mod labels;
mod meta;
mod netpol;
mod security;
mod workload;

pub use self::core::*;
pub use cidr::Cidr;
pub use gateway::*;
pub use meta::*;
pub use netpol::*;
pub use security::*;
pub use workload::*;

use serde::{Deserialize, Deserializer};

/// `null` (as `kubectl get -o yaml` prints for empty maps and lists) decodes like an absent field.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A status condition, as istiod and Gateway API controllers write them.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub type_: String,
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    #[serde(default, deserialize_with = "null_default")]
    pub reason: String,
    #[serde(default, deserialize_with = "null_default")]
    pub message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConditionsStatus {
    #[serde(default, deserialize_with = "null_default")]
    pub conditions: Vec<Condition>,
}

/// The conditions of the given types, in that order.
pub fn conditions_of(conds: &[Condition], types: &[&str]) -> Vec<Condition> {
    types
        .iter()
        .filter_map(|t| find_condition(conds, t).cloned())
        .collect()
}

pub fn find_condition<'a>(conds: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conds.iter().find(|c| c.type_ == type_)
}
