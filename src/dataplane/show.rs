//! Rules in the dump's own JSON shape (`rules: [[[Match]]]`, camelCase, StringMatch
//! externally tagged), to show both sides of a disagreement as ztunnel writes them, and in a
//! canonical form (lists sorted, CIDRs masked) to compare them.

use crate::enforce::ztunnel::{Cidr, Match, StringMatch, ZRule};
use serde_json::{json, Map, Value};
use std::net::IpAddr;

/// The rules as ztunnel's dump writes them.
pub fn rules(rs: &[ZRule]) -> Value {
    shape(rs, false)
}

/// The rules in a form where two equal conversions are equal values: value lists sorted,
/// CIDRs with their host bits cleared. Rule and clause order are kept: istiod keeps them.
pub fn canonical(rs: &[ZRule]) -> Value {
    shape(rs, true)
}

fn shape(rs: &[ZRule], canon: bool) -> Value {
    Value::Array(
        rs.iter()
            .map(|r| {
                Value::Array(
                    r.clauses
                        .iter()
                        .map(|c| {
                            let mut ms: Vec<Value> =
                                c.matches.iter().map(|m| rbac_match(m, canon)).collect();
                            if canon {
                                ms.sort_by_key(|v| v.to_string());
                            }
                            Value::Array(ms)
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

fn rbac_match(m: &Match, canon: bool) -> Value {
    let mut o = Map::new();
    let mut put = |k: &str, mut v: Vec<Value>| {
        if !v.is_empty() {
            if canon {
                v.sort_by_key(|x| x.to_string());
                v.dedup();
            }
            o.insert(k.into(), Value::Array(v));
        }
    };
    let strings = |v: &[StringMatch]| v.iter().map(string_match).collect();
    let sas = |v: &[(String, String)]| {
        v.iter()
            .map(|(ns, sa)| json!({"namespace": ns, "serviceAccount": sa}))
            .collect()
    };
    let cidrs = |v: &[Cidr]| v.iter().map(|c| Value::String(cidr(c, canon))).collect();
    let ports = |v: &[u16]| v.iter().map(|p| json!(p)).collect();
    put("namespaces", strings(&m.namespaces));
    put("notNamespaces", strings(&m.not_namespaces));
    put("serviceAccounts", sas(&m.service_accounts));
    put("notServiceAccounts", sas(&m.not_service_accounts));
    put("principals", strings(&m.principals));
    put("notPrincipals", strings(&m.not_principals));
    put("sourceIps", cidrs(&m.source_ips));
    put("notSourceIps", cidrs(&m.not_source_ips));
    put("destinationIps", cidrs(&m.destination_ips));
    put("notDestinationIps", cidrs(&m.not_destination_ips));
    put("destinationPorts", ports(&m.destination_ports));
    put("notDestinationPorts", ports(&m.not_destination_ports));
    Value::Object(o)
}

fn string_match(s: &StringMatch) -> Value {
    match s {
        StringMatch::Exact(x) => json!({ "Exact": x }),
        StringMatch::Prefix(x) => json!({ "Prefix": x }),
        StringMatch::Suffix(x) => json!({ "Suffix": x }),
        StringMatch::Presence => json!({ "Presence": [] }),
    }
}

fn cidr(c: &Cidr, canon: bool) -> String {
    let addr = if canon { masked(c) } else { c.addr };
    format!("{addr}/{}", c.prefix)
}

fn masked(c: &Cidr) -> IpAddr {
    match c.addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(c.prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(c.prefix))
                .unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    }
}
