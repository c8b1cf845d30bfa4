//! `k8s.io.apimachinery.pkg.apis.meta.v1` messages, slimmed to the fields the model reads.
//! Field numbers are those of apimachinery's `pkg/apis/meta/v1/generated.proto`; any field
//! not declared here is skipped by the decoder without being copied.

use crate::model::{Condition, ObjectMeta, OwnerReference};
use crate::selector::{LabelSelector, Operator, Requirement};
use bytes::Bytes;
use prost::Message;
use std::collections::BTreeMap;

#[derive(Clone, PartialEq, Message)]
pub struct ObjectMetaPb {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "3")]
    pub namespace: String,
    #[prost(message, optional, tag = "8")]
    pub creation_timestamp: Option<Time>,
    #[prost(btree_map = "string, string", tag = "11")]
    pub labels: BTreeMap<String, String>,
    /// A map on the wire is a repeated (key = 1, value = 2) message: read that way, the
    /// values of annotations the analysis ignores (last-applied-configuration, checksums)
    /// stay slices of the page and are never copied.
    #[prost(message, repeated, tag = "12")]
    pub annotations: Vec<Entry>,
    #[prost(message, repeated, tag = "13")]
    pub owner_references: Vec<OwnerReferencePb>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Entry {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(bytes = "bytes", tag = "2")]
    pub value: Bytes,
}

#[derive(Clone, PartialEq, Message)]
pub struct OwnerReferencePb {
    #[prost(string, tag = "1")]
    pub kind: String,
    #[prost(string, tag = "3")]
    pub name: String,
}

/// `metav1.Time`. The API server writes whole seconds (`Time.ProtoTime` leaves out the
/// nanoseconds, as the JSON form does).
#[derive(Clone, PartialEq, Message)]
pub struct Time {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct ListMeta {
    #[prost(string, optional, tag = "3")]
    pub cont: Option<String>,
    #[prost(int64, optional, tag = "4")]
    pub remaining_item_count: Option<i64>,
}

/// The list's head only: its `metadata` (1); the items (2) are skipped unread.
#[derive(Clone, PartialEq, Message)]
pub struct ListHead {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ListMeta>,
}

/// `metav1.Status`: what an error answer says.
#[derive(Clone, PartialEq, Message)]
pub struct Status {
    #[prost(string, tag = "3")]
    pub message: String,
    #[prost(message, optional, tag = "5")]
    pub details: Option<StatusDetails>,
}

#[derive(Clone, PartialEq, Message)]
pub struct StatusDetails {
    #[prost(int32, tag = "5")]
    pub retry_after_seconds: i32,
}

#[derive(Clone, PartialEq, Message)]
pub struct ConditionPb {
    #[prost(string, tag = "1")]
    pub type_: String,
    #[prost(string, tag = "2")]
    pub status: String,
    #[prost(string, tag = "5")]
    pub reason: String,
    #[prost(string, tag = "6")]
    pub message: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct LabelSelectorPb {
    #[prost(btree_map = "string, string", tag = "1")]
    pub match_labels: BTreeMap<String, String>,
    #[prost(message, repeated, tag = "2")]
    pub match_expressions: Vec<RequirementPb>,
}

#[derive(Clone, PartialEq, Message)]
pub struct RequirementPb {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(string, tag = "2")]
    pub operator: String,
    #[prost(string, repeated, tag = "3")]
    pub values: Vec<String>,
}

/// `k8s.io.apimachinery.pkg.util.intstr.IntOrString`: type 0 int, 1 string.
#[derive(Clone, PartialEq, Message)]
pub struct IntOrString {
    #[prost(int64, tag = "1")]
    pub type_: i64,
    #[prost(int32, tag = "2")]
    pub int_val: i32,
    #[prost(string, tag = "3")]
    pub str_val: String,
}

impl IntOrString {
    /// The JSON value the model holds (a number or a name).
    pub fn into_json(self) -> serde_json::Value {
        if self.type_ == 1 {
            serde_json::Value::String(self.str_val)
        } else {
            serde_json::Value::from(self.int_val)
        }
    }
}

impl ObjectMetaPb {
    pub fn into_model(self) -> Result<ObjectMeta, String> {
        let mut annotations = crate::selector::Labels::new();
        for e in self.annotations {
            if crate::model::relevant_annotation(&e.key) {
                let v = String::from_utf8(e.value.to_vec())
                    .map_err(|_| format!("annotation {:?} is not UTF-8", e.key))?;
                annotations.insert(e.key, v);
            }
        }
        Ok(ObjectMeta {
            name: self.name,
            namespace: self.namespace,
            labels: self.labels.into_iter().collect(),
            annotations,
            creation_timestamp: match self.creation_timestamp {
                Some(t) => rfc3339(t.seconds)?,
                None => String::new(),
            },
            owner_references: self
                .owner_references
                .into_iter()
                .map(|o| OwnerReference {
                    kind: o.kind,
                    name: o.name,
                })
                .collect(),
            origin: None,
        })
    }
}

/// The JSON form of a `metav1.Time` (`2026-01-01T00:00:00Z`), which the model compares as text.
fn rfc3339(seconds: i64) -> Result<String, String> {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .map_err(|_| format!("timestamp {seconds} is out of range"))
}

impl ConditionPb {
    pub fn into_model(self) -> Condition {
        Condition {
            type_: self.type_,
            status: self.status,
            reason: self.reason,
            message: self.message,
        }
    }
}

impl LabelSelectorPb {
    pub fn into_model(self) -> Result<LabelSelector, String> {
        Ok(LabelSelector {
            match_labels: self.match_labels.into_iter().collect(),
            match_expressions: self
                .match_expressions
                .into_iter()
                .map(|r| {
                    Ok(Requirement {
                        operator: Operator::from_api(&r.operator).ok_or_else(|| {
                            format!("unknown label selector operator {:?}", r.operator)
                        })?,
                        key: r.key,
                        values: r.values,
                    })
                })
                .collect::<Result<_, String>>()?,
        })
    }
}
