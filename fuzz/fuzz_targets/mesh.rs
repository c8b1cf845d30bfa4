//! Structure-aware: the fuzz input picks a mesh (namespaces, pods, Services, waypoints and
//! other Gateways, ServiceEntries, routes, every policy kind, mesh config, istiod flags) from
//! small vocabularies of names, labels and rule fields, including odd values. Almost every
//! input loads, so the fuzzer spends its time in the analysis and the renderers rather than
//! in the YAML parser. Same checks as `explain`.
#![no_main]

#[path = "../../tests/support/robust.rs"]
mod robust;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use serde_json::{json, Map, Value};

const NS: &[&str] = &["default", "istio-system", "a", "b", ""];
const NAMES: &[&str] = &[
    "x", "y", "wp", "waypoint", "default", "istio", "istiod", "gw",
];
const LABEL_KEYS: &[&str] = &[
    "app",
    "istio.io/dataplane-mode",
    "istio.io/use-waypoint",
    "istio.io/use-waypoint-namespace",
    "istio.io/waypoint-for",
    "istio.io/ingress-use-waypoint",
    "istio-injection",
    "istio.io/rev",
    "sidecar.istio.io/inject",
    "gateway.networking.k8s.io/gateway-name",
    "kubernetes.io/metadata.name",
];
const LABEL_VALUES: &[&str] = &[
    "ambient",
    "none",
    "enabled",
    "disabled",
    "true",
    "false",
    "x",
    "y",
    "wp",
    "waypoint",
    "service",
    "workload",
    "all",
    "Service",
    "a",
    "b",
    "default",
    "istio-system",
    "gw",
    "",
];
const ANNOTATIONS: &[(&str, &str)] = &[
    ("ambient.istio.io/redirection", "enabled"),
    ("ambient.istio.io/redirection", "disabled"),
    (
        "sidecar.istio.io/status",
        "{\"containers\":[\"istio-proxy\"]}",
    ),
    ("istio.io/dry-run", "true"),
    ("istio.io/dry-run", "false"),
];
const ACTIONS: &[&str] = &["", "ALLOW", "DENY", "AUDIT", "CUSTOM", "bogus"];
const MODES: &[&str] = &["STRICT", "PERMISSIVE", "DISABLE", "UNSET", ""];
const SOURCE_FIELDS: &[&str] = &[
    "principals",
    "notPrincipals",
    "requestPrincipals",
    "notRequestPrincipals",
    "namespaces",
    "notNamespaces",
    "serviceAccounts",
    "ipBlocks",
    "notIpBlocks",
    "remoteIpBlocks",
    "trustDomains",
];
const OPERATION_FIELDS: &[&str] = &[
    "hosts",
    "notHosts",
    "ports",
    "notPorts",
    "methods",
    "notMethods",
    "paths",
    "notPaths",
];
const VALUES: &[&str] = &[
    "*",
    "",
    "x",
    "cluster.local/ns/a/sa/x",
    "cluster.local/ns/default/sa/waypoint",
    "spiffe://cluster.local/ns/a/sa/x",
    "*/ns/a/sa/*",
    "a",
    "10.0.0.0/8",
    "::1/128",
    "not-an-ip",
    "80",
    "8080",
    "99999",
    "-1",
    "GET",
    "/admin/*",
    "example.com",
];
const WHEN_KEYS: &[&str] = &[
    "source.ip",
    "source.namespace",
    "source.principal",
    "destination.port",
    "destination.ip",
    "connection.sni",
    "request.headers[x-debug]",
    "request.auth.claims[iss]",
    "experimental.envoy.filters.x",
    "bogus",
];
const REF_KINDS: &[(&str, &str)] = &[
    ("Service", ""),
    ("Service", "core"),
    ("Gateway", "gateway.networking.k8s.io"),
    ("Gateway", ""),
    ("GatewayClass", "gateway.networking.k8s.io"),
    ("ServiceEntry", "networking.istio.io"),
    ("Pod", ""),
];
const CLASSES: &[&str] = &["istio-waypoint", "istio", "istio-east-west", "other"];
const FLAGS: &[&str] = &[
    "PILOT_AUTO_ALLOW_WAYPOINT_POLICY",
    "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY",
    "ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES",
    "ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY",
];

fn pick<'a, T>(u: &mut Unstructured, from: &'a [T]) -> Result<&'a T> {
    u.choose(from)
}

fn labels(u: &mut Unstructured) -> Result<Value> {
    let mut m = Map::new();
    for _ in 0..u.int_in_range(0..=3)? {
        m.insert(
            pick(u, LABEL_KEYS)?.to_string(),
            json!(pick(u, LABEL_VALUES)?),
        );
    }
    Ok(Value::Object(m))
}

fn meta(u: &mut Unstructured, namespaced: bool) -> Result<Value> {
    let mut m = json!({ "name": pick(u, NAMES)?, "labels": labels(u)? });
    if namespaced {
        m["namespace"] = json!(pick(u, NS)?);
    }
    if u.ratio(1, 4)? {
        let (k, v) = pick(u, ANNOTATIONS)?;
        m["annotations"] = json!({ *k: v });
    }
    if u.ratio(1, 3)? {
        m["creationTimestamp"] = json!(format!("2024-01-0{}T00:00:00Z", u.int_in_range(1..=9)?));
    }
    Ok(m)
}

fn strings(u: &mut Unstructured, from: &[&str]) -> Result<Value> {
    let n = u.int_in_range(0..=2)?;
    (0..n).map(|_| pick(u, from).map(|s| json!(s))).collect()
}

fn selector(u: &mut Unstructured) -> Result<Value> {
    Ok(json!({ "matchLabels": labels(u)? }))
}

fn target_ref(u: &mut Unstructured) -> Result<Value> {
    let (kind, group) = pick(u, REF_KINDS)?;
    let mut r = json!({ "kind": kind, "group": group, "name": pick(u, NAMES)? });
    if u.ratio(1, 6)? {
        r["namespace"] = json!(pick(u, NS)?);
    }
    Ok(r)
}

/// `selector`, `targetRef` or `targetRefs` (or none, or several at once).
fn attachment(u: &mut Unstructured, spec: &mut Value) -> Result<()> {
    if u.ratio(1, 2)? {
        spec["selector"] = selector(u)?;
    }
    if u.ratio(1, 6)? {
        spec["targetRef"] = target_ref(u)?;
    }
    if u.ratio(1, 2)? {
        let n = u.int_in_range(1..=2)?;
        spec["targetRefs"] = (0..n).map(|_| target_ref(u)).collect::<Result<Value>>()?;
    }
    Ok(())
}

fn rule(u: &mut Unstructured) -> Result<Value> {
    let mut r = json!({});
    if u.ratio(1, 2)? {
        let mut s = Map::new();
        for _ in 0..u.int_in_range(1..=2)? {
            s.insert(pick(u, SOURCE_FIELDS)?.to_string(), strings(u, VALUES)?);
        }
        r["from"] = json!([{ "source": s }]);
    }
    if u.ratio(1, 2)? {
        let mut o = Map::new();
        for _ in 0..u.int_in_range(1..=2)? {
            o.insert(pick(u, OPERATION_FIELDS)?.to_string(), strings(u, VALUES)?);
        }
        r["to"] = json!([{ "operation": o }]);
    }
    if u.ratio(1, 3)? {
        let values = if u.ratio(1, 2)? {
            "values"
        } else {
            "notValues"
        };
        r["when"] = json!([{ "key": pick(u, WHEN_KEYS)?, values: strings(u, VALUES)? }]);
    }
    Ok(r)
}

fn object(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=13)? {
        0 => json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": meta(u, false)? }),
        1 | 2 => {
            let mut spec = json!({ "serviceAccountName": pick(u, NAMES)? });
            if u.ratio(1, 8)? {
                spec["hostNetwork"] = json!(true);
            }
            let mut pod = json!({ "apiVersion": "v1", "kind": "Pod",
                "metadata": meta(u, true)?, "spec": spec });
            if u.ratio(1, 2)? {
                pod["status"] = json!({ "phase": pick(u, &["Running", "Pending", "Succeeded"])? });
            }
            pod
        }
        3 => json!({ "apiVersion": "v1", "kind": "Service", "metadata": meta(u, true)?,
            "spec": { "selector": labels(u)?,
                      "ports": [{ "port": u.int_in_range(1..=9090u32)?, "targetPort": 8080 }] } }),
        4 => {
            let mut listener = json!({ "name": "mesh",
                "port": pick(u, &[15008u32, 80, 443])?,
                "protocol": pick(u, &["HBONE", "HTTP", "TCP"])? });
            if u.ratio(1, 2)? {
                listener["allowedRoutes"] = json!({ "namespaces": {
                    "from": pick(u, &["All", "Same", "Selector", "None"])?,
                    "selector": selector(u)? } });
            }
            let mut gw = json!({ "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": meta(u, true)?,
                "spec": { "gatewayClassName": pick(u, CLASSES)?, "listeners": [listener] } });
            if u.ratio(1, 2)? {
                gw["status"] = json!({
                    "addresses": [{ "type": "IPAddress", "value": "10.0.0.9" }],
                    "conditions": [{ "type": pick(u, &["Accepted", "Programmed"])?,
                                     "status": pick(u, &["True", "False"])? }] });
            }
            gw
        }
        5 => json!({ "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
            "metadata": { "name": pick(u, CLASSES)? },
            "spec": { "controllerName": pick(u, &["istio.io/mesh-controller",
                "istio.io/gateway-controller", "example.com/other"])? } }),
        6 | 7 => {
            let mut spec = json!({ "action": pick(u, ACTIONS)? });
            attachment(u, &mut spec)?;
            if u.ratio(3, 4)? {
                let n = u.int_in_range(0..=2)?;
                spec["rules"] = (0..n).map(|_| rule(u)).collect::<Result<Value>>()?;
            }
            if spec["action"] == "CUSTOM" && u.ratio(1, 2)? {
                spec["provider"] = json!({ "name": "ext-authz" });
            }
            let mut ap = json!({ "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                "metadata": meta(u, true)?, "spec": spec });
            if u.ratio(1, 4)? {
                ap["status"] = json!({ "conditions": [{
                    "type": pick(u, &["WaypointAccepted", "ZtunnelAccepted"])?,
                    "status": pick(u, &["True", "False"])?, "reason": "Accepted" }] });
            }
            ap
        }
        8 => {
            let mut spec = json!({});
            if u.ratio(1, 2)? {
                spec["selector"] = selector(u)?;
            }
            if u.ratio(3, 4)? {
                spec["mtls"] = json!({ "mode": pick(u, MODES)? });
            }
            if u.ratio(1, 3)? {
                spec["portLevelMtls"] =
                    json!({ *pick(u, &["8080", "80", "0", "x"])?: { "mode": pick(u, MODES)? } });
            }
            json!({ "apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                "metadata": meta(u, true)?, "spec": spec })
        }
        9 => {
            let (api, kind) = pick(
                u,
                &[
                    ("security.istio.io/v1", "RequestAuthentication"),
                    ("telemetry.istio.io/v1", "Telemetry"),
                    ("extensions.istio.io/v1alpha1", "WasmPlugin"),
                    ("networking.istio.io/v1alpha3", "EnvoyFilter"),
                ],
            )?;
            let mut spec = json!({});
            attachment(u, &mut spec)?;
            if u.ratio(1, 4)? {
                spec["workloadSelector"] = json!({ "labels": labels(u)? });
            }
            json!({ "apiVersion": api, "kind": kind, "metadata": meta(u, true)?, "spec": spec })
        }
        10 => {
            let mut spec = json!({ "hosts": [pick(u, &["example.com", "*.example.com", ""])?],
                "location": pick(u, &["MESH_EXTERNAL", "MESH_INTERNAL"])?,
                "resolution": pick(u, &["DNS", "STATIC", "NONE"])? });
            if u.ratio(1, 2)? {
                spec["workloadSelector"] = json!({ "labels": labels(u)? });
            }
            json!({ "apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                "metadata": meta(u, true)?, "spec": spec })
        }
        11 => {
            let (kind, group) = pick(u, REF_KINDS)?;
            json!({ "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": pick(u, &["HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute"])?,
                "metadata": meta(u, true)?,
                "spec": { "parentRefs": [{ "kind": kind, "group": group,
                    "name": pick(u, NAMES)? }] } })
        }
        12 => json!({ "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": { "name": "istio", "namespace": pick(u, NS)? },
            "data": { "mesh": format!("rootNamespace: {}\ntrustDomain: {}\n",
                pick(u, &["istio-system", "a", "default"])?,
                pick(u, &["cluster.local", "example.org"])?) } }),
        _ => {
            let env: Vec<Value> = (0..u.int_in_range(0..=3)?)
                .map(|_| {
                    Ok(json!({ "name": pick(u, FLAGS)?,
                    "value": pick(u, &["true", "false", "1", "x"])? }))
                })
                .collect::<Result<_>>()?;
            json!({ "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": { "name": "istiod", "namespace": "istio-system" },
                "spec": { "template": { "spec": { "containers": [{ "name": "discovery",
                    "image": pick(u, &["istio/pilot:1.28.0", "istio/pilot:1.24.2", "pilot"])?,
                    "env": env }] } } } })
        }
    })
}

fn mesh(u: &mut Unstructured) -> Result<Value> {
    let n = u.int_in_range(1..=24)?;
    let items = (0..n).map(|_| object(u)).collect::<Result<Vec<_>>>()?;
    Ok(json!({ "apiVersion": "v1", "kind": "List", "items": items }))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(list) = mesh(&mut Unstructured::new(data)) else {
        return;
    };
    robust::explain_all(serde_json::to_string(&list).unwrap().as_bytes());
});
