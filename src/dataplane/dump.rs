//! ztunnel's configuration dump, read in every form users have (../shared/ZTUNNEL-DUMP.md):
//! `/config_dump` as ztunnel serves it and `istioctl ztunnel-config all -o json|yaml` (the same,
//! raw); the lossy `istioctl ztunnel-config policy|workload|service -o json` lists; collections
//! as lists (ztunnel since 2024) or as maps keyed by address or UID (older ztunnels and
//! istioctl's testdata, `configdump.go#unmarshalListOrMap`); camelCase keys, and the
//! snake_case keys of ztunnels before istio/ztunnel#925 (2024-04).
//!
//! Field names follow `ztunnel/src/state/workload.rs#Workload`, `src/state/service.rs#Service`
//! and `src/rbac.rs#Authorization`/`RbacMatch` (camelCase; every match field omitted when
//! empty); StringMatch is externally tagged (`{"Exact": "..."}`).

use super::{Dump, Form, Policy, Service, Workload};
use crate::enforce::ztunnel::{Action, Cidr, Clause, Match, Scope, StringMatch, ZRule};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// Parses one dump. `name` is the file or node it came from, for messages. The caller bounds
/// the text (the manifests' limits); serde_json bounds nesting.
pub fn parse(name: &str, text: &str) -> Result<Dump, String> {
    let json;
    let body = match text.trim_start().as_bytes().first() {
        Some(b'{') | Some(b'[') => text,
        None => return Err(format!("{name}: empty, not a ztunnel config dump")),
        _ => {
            // `istioctl ztunnel-config all -o yaml`.
            json = crate::source::documents::yaml_to_json(text).map_err(|e| match e.at {
                Some((line, col)) => {
                    format!("{name}:{line}:{col}: not a ztunnel config dump (not JSON, nor one YAML document: {})", e.message)
                }
                None => format!(
                    "{name}: not a ztunnel config dump (not JSON, nor one YAML document: {})",
                    e.message
                ),
            })?;
            &json
        }
    };
    let decode =
        |e: serde_json::Error| format!("{name}: not a ztunnel config dump: {}", one_line(&e));
    if body.trim_start().starts_with('[') {
        let items: Vec<serde_json::Value> = serde_json::from_str(body).map_err(decode)?;
        return list_form(name, &items, decode);
    }
    if !body.trim_start().starts_with('{') {
        return Err(format!(
            "{name}: not a ztunnel config dump (neither an object nor a list)"
        ));
    }
    // Straight into the slim shapes, no tree of the whole dump (dumps of big meshes are
    // hundreds of MB).
    let raw: RawDump = serde_json::from_str(body).map_err(decode)?;
    if raw.workloads.is_none() && raw.services.is_none() && raw.policies.is_none() {
        let hint = if raw.kind.is_some() {
            " (a Kubernetes object or List: give manifests with -f)"
        } else {
            ""
        };
        return Err(format!(
            "{name}: not a ztunnel config dump{hint}: no workloads, services or policies; give the output of `istioctl ztunnel-config all -o json` or ztunnel's /config_dump"
        ));
    }
    let lacks = lacks_of(&raw);
    Ok(Dump {
        source: name.to_string(),
        form: Form::ConfigDump,
        workloads: raw
            .workloads
            .map(|c| once_each(c.0.into_iter().map(workload), |w| w.uid.clone())),
        services: raw.services.map(|c| {
            once_each(c.0.into_iter().map(service), |s| {
                format!("{}/{}", s.namespace, s.name)
            })
        }),
        policies: raw
            .policies
            .map(|c| c.0.into_iter().map(policy).collect::<Result<_, _>>())
            .transpose()
            .map_err(|e| format!("{name}: {e}"))?,
        lacks,
    })
}

/// Maps keyed by address or VIP hold an object once per address: keep the first of each.
fn once_each<T>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items.filter(|x| seen.insert(key(x))).collect()
}

fn one_line(e: &serde_json::Error) -> String {
    e.to_string().replace('\n', " ")
}

/// `istioctl ztunnel-config policy|workload|service -o json`: a list of one kind, re-marshalled
/// through istioctl's Go structs, which drop fields (ZTUNNEL-DUMP.md section 1).
fn list_form(
    name: &str,
    items: &[serde_json::Value],
    decode: impl Fn(serde_json::Error) -> String,
) -> Result<Dump, String> {
    let has = |k: &str| items.first().and_then(|v| v.get(k)).is_some();
    let mut d = Dump {
        source: name.to_string(),
        form: Form::ConfigDump,
        workloads: None,
        services: None,
        policies: None,
        lacks: Vec::new(),
    };
    if items.is_empty() {
        return Err(format!(
            "{name}: an empty list: nothing to compare (give `istioctl ztunnel-config all -o json`)"
        ));
    }
    if has("action") || has("scope") {
        let raw: Vec<RawPolicy> = serde_json::from_value(items.to_vec().into()).map_err(decode)?;
        d.form = Form::PolicyList;
        d.policies = Some(
            raw.into_iter()
                .map(policy)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{name}: {e}"))?,
        );
        if d.policies.iter().flatten().all(|p| p.dry_run.is_none()) {
            d.lacks.push("dryRun");
        }
        d.lacks.extend(["workloads", "services"]);
    } else if has("workloadIps") || has("workload_ips") || has("protocol") {
        let raw: Vec<RawWorkload> =
            serde_json::from_value(items.to_vec().into()).map_err(decode)?;
        d.form = Form::WorkloadList;
        d.workloads = Some(raw.into_iter().map(workload).collect());
        d.lacks
            .extend(["policies", "services", "workload services", "networkMode"]);
    } else if has("vips") || has("hostname") {
        let raw: Vec<RawService> = serde_json::from_value(items.to_vec().into()).map_err(decode)?;
        d.form = Form::ServiceList;
        d.services = Some(raw.into_iter().map(service).collect());
        d.lacks.extend(["policies", "workloads"]);
    } else {
        return Err(format!(
            "{name}: a list, but not of ztunnel policies, workloads or services"
        ));
    }
    Ok(d)
}

/// What a raw dump lacks that the comparison would use.
fn lacks_of(raw: &RawDump) -> Vec<&'static str> {
    let mut v = Vec::new();
    for (present, what) in [
        (raw.workloads.is_some(), "workloads"),
        (raw.services.is_some(), "services"),
        (raw.policies.is_some(), "policies"),
    ] {
        if !present {
            v.push(what);
        }
    }
    // `dryRun` is always serialised since ztunnel 1.29 (#1659): its absence says "older".
    if raw
        .policies
        .as_ref()
        .is_some_and(|p| !p.0.is_empty() && p.0.iter().all(|p| p.dry_run.is_none()))
    {
        v.push("dryRun");
    }
    v
}

/// A collection as a list, or as a map whose keys (addresses, UIDs, `ns/name`) are dropped.
struct Collection<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Collection<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Collection<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list or a map")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Collection(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = s.next_element()? {
                    v.push(x);
                }
                Ok(Collection(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((_, x)) = m.next_entry::<de::IgnoredAny, T>()? {
                    v.push(x);
                }
                Ok(Collection(v))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The top level. Before ztunnel's camelCase pass (#920-#925, 2024-04) the stores were dumped
/// under their Rust names: workloads `by_uid` (also `by_addr`, one entry per address),
/// services `by_vip` (one per VIP), policies `by_key`.
#[derive(Deserialize)]
struct RawDump {
    #[serde(default, alias = "by_uid")]
    workloads: Option<Collection<RawWorkload>>,
    #[serde(default, alias = "by_vip")]
    services: Option<Collection<RawService>>,
    #[serde(default, alias = "by_key")]
    policies: Option<Collection<RawPolicy>>,
    /// A Kubernetes object's `kind`: only to say what the file is instead.
    #[serde(default)]
    kind: Option<de::IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawWorkload {
    #[serde(alias = "workload_ips")]
    workload_ips: Vec<String>,
    /// Before workloads had several addresses.
    #[serde(alias = "workload_ip")]
    workload_ip: Option<String>,
    waypoint: Option<RawGateway>,
    protocol: String,
    #[serde(alias = "network_mode")]
    network_mode: Option<String>,
    uid: String,
    name: String,
    namespace: String,
    #[serde(alias = "trust_domain")]
    trust_domain: Option<String>,
    #[serde(alias = "service_account")]
    service_account: Option<String>,
    #[serde(alias = "workload_name")]
    workload_name: Option<String>,
    node: Option<String>,
    #[serde(alias = "authorization_policies")]
    authorization_policies: Vec<String>,
    services: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawGateway {
    /// `"<network>/<ip>"` or `"<ns>/<hostname>"`; older dumps: an address object.
    destination: serde_json::Value,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawService {
    name: String,
    namespace: String,
    hostname: String,
    #[serde(alias = "addresses")]
    vips: Vec<String>,
    waypoint: Option<RawGateway>,
    #[serde(alias = "weighted_waypoints")]
    weighted_waypoints: Vec<RawWeighted>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawWeighted {
    destination: serde_json::Value,
    weight: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPolicy {
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    action: String,
    #[serde(default, alias = "groups")]
    rules: Vec<Vec<Vec<RawMatch>>>,
    #[serde(default, alias = "dry_run")]
    dry_run: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawMatch {
    /// Match kinds this plugin does not know (a newer ztunnel): named, never dropped silently.
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
    namespaces: Vec<RawString>,
    #[serde(alias = "not_namespaces")]
    not_namespaces: Vec<RawString>,
    #[serde(alias = "service_accounts")]
    service_accounts: Vec<RawSa>,
    #[serde(alias = "not_service_accounts")]
    not_service_accounts: Vec<RawSa>,
    principals: Vec<RawString>,
    #[serde(alias = "not_principals")]
    not_principals: Vec<RawString>,
    #[serde(alias = "source_ips")]
    source_ips: Vec<String>,
    #[serde(alias = "not_source_ips")]
    not_source_ips: Vec<String>,
    #[serde(alias = "destination_ips")]
    destination_ips: Vec<String>,
    #[serde(alias = "not_destination_ips")]
    not_destination_ips: Vec<String>,
    #[serde(alias = "destination_ports")]
    destination_ports: Vec<u16>,
    #[serde(alias = "not_destination_ports")]
    not_destination_ports: Vec<u16>,
}

/// `{"Exact": "x"}`, `{"Prefix": ..}`, `{"Suffix": ..}`, `{"Presence": []}` (any case, as
/// serde and Go's json print them).
#[derive(Deserialize)]
struct RawString(BTreeMap<String, serde_json::Value>);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSa {
    namespace: String,
    #[serde(alias = "service_account")]
    service_account: String,
}

fn destination(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        // Older shapes: {"address": {"network": .., "address": ..}} or {"hostname": ..}.
        serde_json::Value::Object(m) => m
            .get("address")
            .and_then(|a| a.get("address").or(Some(a)))
            .and_then(|a| a.as_str())
            .map(|ip| format!("/{ip}"))
            .or_else(|| {
                let h = m.get("hostname")?;
                let ns = h.get("namespace")?.as_str()?;
                Some(format!("{ns}/{}", h.get("hostname")?.as_str()?))
            }),
        _ => None,
    }
}

fn workload(w: RawWorkload) -> Workload {
    let mut ips = w.workload_ips;
    ips.extend(w.workload_ip);
    Workload {
        uid: w.uid,
        name: w.name,
        namespace: w.namespace,
        ips,
        captured: w.protocol.eq_ignore_ascii_case("HBONE"),
        protocol: w.protocol,
        host_network: w.network_mode.as_deref() == Some("HostNetwork"),
        trust_domain: w.trust_domain,
        service_account: w.service_account,
        waypoint: w.waypoint.and_then(|g| destination(&g.destination)),
        workload_name: w.workload_name,
        node: w.node,
        authorization_policies: w.authorization_policies,
        services: w.services,
    }
}

fn service(s: RawService) -> Service {
    Service {
        name: s.name,
        namespace: s.namespace,
        hostname: s.hostname,
        vips: s.vips,
        waypoint: s.waypoint.and_then(|g| destination(&g.destination)),
        weighted_waypoints: s
            .weighted_waypoints
            .into_iter()
            .filter_map(|w| Some((destination(&w.destination)?, w.weight)))
            .collect(),
    }
}

fn policy(p: RawPolicy) -> Result<Policy, String> {
    let key = format!("policy {}/{}", p.namespace, p.name);
    // ztunnel serialises Rust enum names; istioctl's Go structs the proto's upper case.
    let scope = match p.scope.to_ascii_lowercase().replace('_', "").as_str() {
        "global" => Scope::Global,
        "namespace" => Scope::Namespace,
        "workloadselector" => Scope::WorkloadSelector,
        other => return Err(format!("{key}: unknown scope {other:?}")),
    };
    let action = match p.action.to_ascii_uppercase().as_str() {
        "ALLOW" => Action::Allow,
        "DENY" => Action::Deny,
        other => return Err(format!("{key}: unknown action {other:?}")),
    };
    let mut unknown = Vec::new();
    let rules = p
        .rules
        .into_iter()
        .map(|clauses| {
            Ok(ZRule {
                clauses: clauses
                    .into_iter()
                    .map(|ms| {
                        Ok(Clause {
                            matches: ms
                                .into_iter()
                                .map(|m| rbac_match(m, &key, &mut unknown))
                                .collect::<Result<_, String>>()?,
                        })
                    })
                    .collect::<Result<_, String>>()?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Policy {
        name: p.name,
        namespace: p.namespace,
        scope,
        action,
        rules,
        dry_run: p.dry_run,
        unknown_fields: {
            unknown.sort();
            unknown.dedup();
            unknown
        },
    })
}

fn rbac_match(m: RawMatch, key: &str, unknown: &mut Vec<String>) -> Result<Match, String> {
    unknown.extend(m.other.keys().cloned());
    let strings = |v: Vec<RawString>| -> Result<Vec<StringMatch>, String> {
        v.into_iter().map(|s| string_match(s, key)).collect()
    };
    let cidrs = |v: Vec<String>| -> Result<Vec<Cidr>, String> {
        v.into_iter()
            .map(|s| Cidr::parse(&s).ok_or_else(|| format!("{key}: {s:?} is not an IP or CIDR")))
            .collect()
    };
    let sas = |v: Vec<RawSa>| {
        v.into_iter()
            .map(|s| (s.namespace, s.service_account))
            .collect()
    };
    Ok(Match {
        principals: strings(m.principals)?,
        not_principals: strings(m.not_principals)?,
        namespaces: strings(m.namespaces)?,
        not_namespaces: strings(m.not_namespaces)?,
        service_accounts: sas(m.service_accounts),
        not_service_accounts: sas(m.not_service_accounts),
        source_ips: cidrs(m.source_ips)?,
        not_source_ips: cidrs(m.not_source_ips)?,
        destination_ips: cidrs(m.destination_ips)?,
        not_destination_ips: cidrs(m.not_destination_ips)?,
        destination_ports: m.destination_ports,
        not_destination_ports: m.not_destination_ports,
    })
}

fn string_match(s: RawString, key: &str) -> Result<StringMatch, String> {
    let mut it = s.0.into_iter();
    let (Some((kind, v)), None) = (it.next(), it.next()) else {
        return Err(format!(
            "{key}: a string match needs exactly one of Exact, Prefix, Suffix, Presence"
        ));
    };
    let text = || {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{key}: {kind} needs a string"))
    };
    Ok(match kind.to_ascii_lowercase().as_str() {
        "exact" => StringMatch::Exact(text()?),
        "prefix" => StringMatch::Prefix(text()?),
        "suffix" => StringMatch::Suffix(text()?),
        "presence" => StringMatch::Presence,
        other => return Err(format!("{key}: unknown string match {other:?}")),
    })
}

#[cfg(test)]
#[path = "dump_tests.rs"]
mod tests;
