//! Rules in the dump's own JSON shape (`rules: [[[Match]]]`, camelCase, StringMatch
//! externally tagged), to show both sides of a disagreement as ztunnel writes them, and in a
//! canonical form (lists sorted, CIDRs masked) to compare them.

use crate::enforce::ztunnel::{Cidr, Match, StringMatch, ZRule};
use serde_json::{json, Map, Value};

/// The rules as ztunnel's dump writes them.
pub fn rules(rs: &[ZRule]) -> Value {
    shape(rs, false)
}

/// The rules in a form where two rule sets that mean the same are equal values: value lists,
/// matches, clauses and rules sorted (each level is an OR or an AND, whose order does not
/// matter), CIDRs with their host bits cleared.
pub fn canonical(rs: &[ZRule]) -> Value {
    let mut v = shape(rs, true);
    if let Value::Array(rules) = &mut v {
        for r in rules.iter_mut() {
            if let Value::Array(clauses) = r {
                clauses.sort_by_key(|c| c.to_string());
            }
        }
        rules.sort_by_key(|r| r.to_string());
    }
    v
}

/// Where two rule sets differ, as a reader looks for it: the first rule, clause and match
/// that differ, and per field the values only one side has.
pub fn difference(model: &[ZRule], held: &[ZRule]) -> Option<String> {
    if model.len() != held.len() {
        return Some(format!(
            "the model has {} rule(s), ztunnel {}",
            model.len(),
            held.len()
        ));
    }
    let (m, h) = (shape(model, true), shape(held, true));
    for (i, (mr, hr)) in arr(&m).iter().zip(arr(&h)).enumerate() {
        let (mc, hc) = (arr(mr), arr(hr));
        if mc.len() != hc.len() {
            return Some(format!(
                "rule {}: the model has {} clause(s), ztunnel {}",
                i + 1,
                mc.len(),
                hc.len()
            ));
        }
        for (j, (mm, hm)) in mc.iter().zip(hc).enumerate() {
            let (ms, hs) = (arr(mm), arr(hm));
            for (k, (a, b)) in ms.iter().zip(hs).enumerate() {
                if a != b {
                    return Some(format!(
                        "rule {}, clause {}, match {}: {}",
                        i + 1,
                        j + 1,
                        k + 1,
                        fields_differ(a, b)
                    ));
                }
            }
            if ms.len() != hs.len() {
                return Some(format!(
                    "rule {}, clause {}: the model has {} match(es), ztunnel {}",
                    i + 1,
                    j + 1,
                    ms.len(),
                    hs.len()
                ));
            }
        }
    }
    None
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// `principals: only in the model: a; only in ztunnel: b` for each field that differs.
fn fields_differ(a: &Value, b: &Value) -> String {
    let empty = Map::new();
    let (a, b) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.len() == 1 => {
            let (k, x) = o
                .iter()
                .next()
                .map(|(k, x)| (k.as_str(), x))
                .unwrap_or_default();
            match x {
                Value::String(s) => format!("{k} {s}"),
                _ => k.to_string(),
            }
        }
        other => other.to_string(),
    };
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let (xa, xb) = (
                arr(a.get(k).unwrap_or(&Value::Null)),
                arr(b.get(k).unwrap_or(&Value::Null)),
            );
            let only = |x: &[Value], y: &[Value]| {
                let v: Vec<String> = x.iter().filter(|e| !y.contains(e)).map(text).collect();
                if v.is_empty() {
                    "nothing".to_string()
                } else {
                    v.join(", ")
                }
            };
            format!(
                "{k}: only in the model: {}; only in ztunnel: {}",
                only(xa, xb),
                only(xb, xa)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
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
    let addr = if canon { c.network() } else { c.addr };
    format!("{addr}/{}", c.prefix)
}
