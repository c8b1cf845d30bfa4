use super::{null_default, Condition, ObjectMeta};
use crate::selector::LabelSelector;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Gateway {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: GatewaySpec,
    #[serde(default, deserialize_with = "null_default")]
    pub status: GatewayStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    #[serde(default, deserialize_with = "null_default")]
    pub gateway_class_name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub port: u32,
    #[serde(default, deserialize_with = "null_default")]
    pub protocol: String,
    #[serde(default)]
    pub allowed_routes: Option<AllowedRoutes>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AllowedRoutes {
    #[serde(default)]
    pub namespaces: Option<RouteNamespaces>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RouteNamespaces {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub selector: Option<LabelSelector>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GatewayStatus {
    #[serde(default, deserialize_with = "null_default")]
    pub addresses: Vec<GatewayAddress>,
    #[serde(default, deserialize_with = "null_default")]
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GatewayAddress {
    #[serde(rename = "type", default)]
    pub type_: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GatewayClass {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: GatewayClassSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayClassSpec {
    #[serde(default, deserialize_with = "null_default")]
    pub controller_name: String,
}

/// HTTPRoute, GRPCRoute, TCPRoute or TLSRoute: only the parents matter here.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Route {
    #[serde(skip)]
    pub kind: String,
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub spec: RouteSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteSpec {
    #[serde(default, deserialize_with = "null_default")]
    pub parent_refs: Vec<ParentRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ParentRef {
    /// Gateway API default: `gateway.networking.k8s.io`.
    #[serde(default)]
    pub group: Option<String>,
    /// Gateway API default: `Gateway`.
    #[serde(default)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
}
