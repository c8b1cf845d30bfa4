#!/usr/bin/env python3
"""Derives, from a captured ztunnel /config_dump, the other shapes the same state takes.

Usage: istioctl_forms.py tests/fixtures/ztunnel/bookinfo

Reads <dir>/config_dump.json (as served by ztunnel 62d8265) and writes beside it:

  zc-policy.json         `istioctl ztunnel-config policy -o json`   (istio/istio 86c9f01)
  zc-workload.json       `istioctl ztunnel-config workload -o json` (istio/istio 86c9f01)
  config_dump-map.json   the dump as ztunnel 1.22 served it: collections are maps keyed by
                         address / VIP / policy key (istio/ztunnel c57fa6b)
  config_dump-snake.json the dump as ztunnel served it before the camelCase pass (#920, #923,
                         #925): the internal stores flattened, snake_case keys (istio/ztunnel ffc22dd)

Each shape follows the Go structs or serde attributes at the commit named; the comments below
cite file and line of the rule they follow. Not run by CI; capture.sh calls it.
"""
import json
import os
import sys

# ---------------------------------------------------------------------------------------------
# Go encoding/json, as `json.MarshalIndent(v, "", "    ")` + fmt.Fprintln prints it
# (istioctl/pkg/writer/ztunnel/configdump/policies.go#PrintPolicyDump, workload.go#PrintWorkloadDump).
# Struct fields keep declaration order; Go escapes <, > and & in strings and writes UTF-8.


def go_marshal_indent(v):
    s = json.dumps(v, indent=4, ensure_ascii=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


# istioctl/pkg/writer/ztunnel/configdump/api.go: StringMatch {Exact,Suffix,Prefix string
# `omitempty`; Presence any `omitempty`}. `"Presence": []` unmarshals to a non-nil []any, which
# omitempty keeps (only a nil interface is empty).
def zc_string_match(m):
    out = {}
    for k in ("Exact", "Suffix", "Prefix"):
        if m.get(k):
            out[k] = m[k]
    if "Presence" in m and m["Presence"] is not None:
        out["Presence"] = m["Presence"]
    return out


# api.go#PolicyMatch: field order, all `omitempty`.
PM_FIELDS = [
    "namespaces", "notNamespaces", "principals", "notPrincipals", "sourceIps", "notSourceIps",
    "destinationIps", "notDestinationIps", "destinationPorts", "notDestinationPorts",
    "serviceAccounts", "notServiceAccounts",
]


def zc_match(m):
    out = {}
    for k in PM_FIELDS:
        v = m.get(k)
        if not v:
            continue
        if k in ("namespaces", "notNamespaces", "principals", "notPrincipals"):
            v = [zc_string_match(x) for x in v]
        elif k in ("serviceAccounts", "notServiceAccounts"):
            v = [{"namespace": x.get("namespace", ""), "serviceAccount": x.get("serviceAccount", "")}
                 for x in v]
        out[k] = v
    return out


# api.go#ZtunnelPolicy {name, namespace, scope, action, rules}: no dryRun.
# policies.go#PrintPolicyDump sorts by namespace, then name.
def zc_policies(dump):
    pols = [
        {
            "name": p.get("name", ""),
            "namespace": p.get("namespace", ""),
            "scope": p.get("scope", ""),
            "action": p.get("action", ""),
            "rules": [[[zc_match(m) for m in clause] for clause in rule] for rule in p["rules"]]
            if p.get("rules") is not None else None,
        }
        for p in dump.get("policies") or []
    ]
    pols.sort(key=lambda p: (p["namespace"], p["name"]))
    return pols


# api.go#ZtunnelWorkload, in declaration order. Locality and ApplicationTunnel are structs, so
# `omitempty` does nothing for them: `"locality": {}` and `"applicationTunnel": {"protocol": ""}`
# are always printed. GatewayAddress keeps only `destination`. networkMode, nativeTunnel,
# services and waypoint.hboneMtlsPort have no field and are dropped.
def zc_workload(w):
    out = {"uid": w.get("uid", ""), "workloadIps": w.get("workloadIps")}
    for k in ("waypoint", "networkGateway"):
        if w.get(k) is not None:
            out[k] = {"destination": w[k].get("destination", "")}
    out["protocol"] = w.get("protocol", "")
    for k in ("name", "namespace", "serviceAccount", "workloadName", "workloadType",
              "canonicalName", "canonicalRevision", "clusterId"):
        out[k] = w.get(k, "")
    if w.get("trustDomain"):
        out["trustDomain"] = w["trustDomain"]
    loc = w.get("locality") or {}
    out["locality"] = {k: loc[k] for k in ("region", "zone", "subzone") if loc.get(k)}
    out["node"] = w.get("node", "")
    if w.get("network"):
        out["network"] = w["network"]
    out["status"] = w.get("status", "")
    out["hostname"] = w.get("hostname", "")
    out["capacity"] = w.get("capacity", 0)
    at = w.get("applicationTunnel") or {}
    out["applicationTunnel"] = {"protocol": at.get("protocol", "")}
    if at.get("port") is not None:
        out["applicationTunnel"]["port"] = at["port"]
    if w.get("authorizationPolicies"):
        out["authorizationPolicies"] = w["authorizationPolicies"]
    return out


# workload.go#PrintWorkloadDump: no sort, the dump's order (ztunnel sorts by UID).
def zc_workloads(dump):
    return [zc_workload(w) for w in dump.get("workloads") or []]


# ---------------------------------------------------------------------------------------------
# Older ztunnel dumps. Both are rebuilt from the same state with the serde attributes of the
# commit named; fields those versions did not have are left out, as they would be.

def endpoint_key(uid, network, ip):
    # state/service.rs#endpoint_uid (both commits): "<workload uid>:<network>/<ip>"
    return f"{uid}:{network}/{ip}"


def workload_ips_keys(w):
    return [f"{w.get('network', '')}/{ip}" for ip in w.get("workloadIps") or []]


def old_endpoints(svc, workloads_by_uid, snake):
    """Service.endpoints then: endpoint uid -> {workloadUid, service, address, port}
    (state/service.rs#Endpoint at c57fa6b and ffc22dd)."""
    out = []
    host = f"{svc['namespace']}/{svc['hostname']}"
    for uid, ep in (svc.get("endpoints") or {}).items():
        w = workloads_by_uid.get(uid, {})
        for ip in w.get("workloadIps") or [None]:
            addr = None if ip is None else f"{w.get('network', '')}/{ip}"
            key = endpoint_key(uid, w.get("network", ""), ip) if ip else f"{uid}:"
            out.append((key, {
                "workloadUid": uid,
                "service": host,
                "address": addr,
                "port": ep.get("port", {}),
            }))
    return out


def old_gateway_address(g):
    # state/workload.rs#GatewayAddress (c57fa6b, ffc22dd): hbone_single_tls_port: Option<u16>,
    # no skip_serializing_if, so it is always printed (null).
    return {"destination": g["destination"], "hboneMtlsPort": g.get("hboneMtlsPort", 15008),
            "hboneSingleTlsPort": None}


# state/workload.rs#Workload at c57fa6b / ffc22dd: the current fields less networkMode
# (ztunnel 1.24), services, capacity (1.26); plus gatewayAddress (unset here).
OLD_WL_FIELDS = [
    "workloadIps", "waypoint", "networkGateway", "gatewayAddress", "protocol", "uid", "name",
    "namespace", "trustDomain", "serviceAccount", "network", "workloadName", "workloadType",
    "canonicalName", "canonicalRevision", "hostname", "node", "nativeTunnel", "applicationTunnel",
    "authorizationPolicies", "status", "clusterId", "locality",
]
ALWAYS = {"workloadIps", "protocol", "name", "namespace", "status", "clusterId"}


def old_workload(w, locality_always):
    out = {}
    for k in OLD_WL_FIELDS:
        v = w.get(k)
        if k in ("waypoint", "networkGateway") and v is not None:
            v = old_gateway_address(v)
        if k == "locality":
            # ffc22dd: `#[serde(default)] locality` (always, every field); c57fa6b skips default
            loc = {f: (v or {}).get(f, "") for f in ("region", "zone", "subzone")}
            if locality_always or any(loc.values()):
                out[k] = loc
            continue
        if k in ALWAYS:
            out[k] = v if v is not None else ""
        elif v not in (None, "", False, [], {}):
            out[k] = v
    return out


# rbac.rs#RbacMatch: camelCase at c57fa6b (#925); no rename at ffc22dd, so snake_case.
# ServiceAccountMatch did not exist before ztunnel 1.25 (#1402).
RBAC_FIELDS = [
    ("namespaces", "namespaces"), ("notNamespaces", "not_namespaces"),
    ("principals", "principals"), ("notPrincipals", "not_principals"),
    ("sourceIps", "source_ips"), ("notSourceIps", "not_source_ips"),
    ("destinationIps", "destination_ips"), ("notDestinationIps", "not_destination_ips"),
    ("destinationPorts", "destination_ports"), ("notDestinationPorts", "not_destination_ports"),
]


def old_policy(p, snake):
    def match(m):
        return {(s if snake else c): m[c] for c, s in RBAC_FIELDS if m.get(c)}
    # rbac.rs#Authorization: no dryRun before ztunnel 1.29 (#1659)
    return {
        "name": p["name"], "namespace": p["namespace"], "scope": p["scope"],
        "action": p["action"],
        "rules": [[[match(m) for m in clause] for clause in rule] for rule in p["rules"]],
    }


def old_service(s, workloads_by_uid, snake):
    # state/service.rs#Service: no cidrVips, ipFamilies, canonical, visibility,
    # weightedWaypoints then. ffc22dd has no skip_serializing_if on waypoint/loadBalancer
    # (added by #920), so they print as null.
    out = {
        "name": s["name"], "namespace": s["namespace"], "hostname": s["hostname"],
        "vips": s.get("vips", []), "ports": s.get("ports", {}),
        "endpoints": dict(old_endpoints(s, workloads_by_uid, snake)),
        "subjectAltNames": s.get("subjectAltNames", []),
    }
    wp = s.get("waypoint")
    lb = s.get("loadBalancer")
    if lb is not None:
        # LoadBalancer {routing_preferences, mode}: camelCase from #920; no healthPolicy then
        lb = {("routing_preferences" if snake else "routingPreferences"): lb["routingPreferences"],
              "mode": lb["mode"]}
    if snake:
        out["waypoint"] = old_gateway_address(wp) if wp else None
        out["loadBalancer"] = lb
    else:
        if wp:
            out["waypoint"] = old_gateway_address(wp)
        if lb is not None:
            out["loadBalancer"] = lb
    return out


def old_certs(dump, snake):
    # admin.rs#CertsDump then {identity, state, cert_chain}: the root certificates were the
    # last entries of the chain (no rootCerts field); snake_case before #923.
    out = []
    for c in dump.get("certificates") or []:
        chain = list(c.get("certChain") or []) + list(c.get("rootCerts") or [])
        if snake:
            chain = [{"pem": x["pem"], "serial_number": x["serialNumber"],
                      "valid_from": x["validFrom"], "expiration_time": x["expirationTime"]}
                     for x in chain]
            out.append({"identity": c["identity"], "state": c["state"], "cert_chain": chain})
        else:
            out.append({"certChain": chain, "identity": c["identity"], "state": c["state"]})
    return out


def sort_keys(v):
    """serde_json::to_value without preserve_order: every object's keys sorted."""
    if isinstance(v, dict):
        return {k: sort_keys(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [sort_keys(x) for x in v]
    return v


def map_dump(dump):
    """ztunnel c57fa6b (last commit before #1083, i.e. 1.22): state.rs#ProxyStateSerialization
    {workloads: by_addr, services: by_vip, servicesByHostname: by_host, stagedServices,
    policies: by_key}, all maps; admin.rs#handle_config_dump goes through serde_json::to_value,
    so keys are sorted. The certificates are kept; config, version and staticConfig are left
    out (not reconstructed)."""
    wl_by_uid = {w["uid"]: w for w in dump.get("workloads") or []}
    workloads = {}
    for w in dump.get("workloads") or []:
        for k in workload_ips_keys(w):
            workloads[k] = old_workload(w, locality_always=False)
    services, by_host = {}, {}
    for s in dump.get("services") or []:
        o = old_service(s, wl_by_uid, snake=False)
        for vip in s.get("vips") or []:
            services[vip] = o
        by_host.setdefault(s["hostname"], []).append(o)
    policies = {f"{p['namespace']}/{p['name']}": old_policy(p, snake=False)
                for p in dump.get("policies") or []}
    return sort_keys({
        "certificates": old_certs(dump, snake=False),
        "policies": policies,
        "services": services,
        "servicesByHostname": by_host,
        "stagedServices": {},
        "workloads": workloads,
    })


def snake_dump_text(dump):
    """ztunnel ffc22dd (parent of #920): ConfigDump { #[serde(flatten)] proxy_state, ... },
    ProxyState flattening WorkloadStore {by_addr, by_uid, by_hostname, by_identity},
    ServiceStore {staged_services, workload_to_services, by_vip, by_host}, PolicyStore {by_key,
    by_namespace} and ResolvedDnsStore {by_hostname}; handle_config_dump used
    serde_json::to_string_pretty on the struct, so keys are in field order (not sorted) and the
    two flattened `by_hostname` maps both appear. HashMap iteration order was arbitrary; this
    file sorts map keys to be stable. by_identity was never filled by WorkloadStore::insert at
    that commit; workload_to_services is filled as a local config loaded then (workloads before
    services: every endpoint was staged first). config, version and static_config are left out."""
    wl_by_uid = {w["uid"]: w for w in dump.get("workloads") or []}
    by_addr = {}
    for w in dump.get("workloads") or []:
        for k in workload_ips_keys(w):
            by_addr[k] = old_workload(w, locality_always=True)
    by_uid = {w["uid"]: old_workload(w, locality_always=True) for w in dump.get("workloads") or []}
    by_vip, by_host, w2s = {}, {}, {}
    for s in dump.get("services") or []:
        o = old_service(s, wl_by_uid, snake=True)
        for vip in s.get("vips") or []:
            by_vip[vip] = o
        by_host.setdefault(s["hostname"], []).append(o)
        for uid in (s.get("endpoints") or {}):
            w2s.setdefault(uid, []).append(f"{s['namespace']}/{s['hostname']}")
    by_key, by_ns = {}, {}
    for p in dump.get("policies") or []:
        key = f"{p['namespace']}/{p['name']}"
        by_key[key] = old_policy(p, snake=True)
        if p["scope"] == "Global":
            by_ns.setdefault("", []).append(key)
        elif p["scope"] == "Namespace":
            by_ns.setdefault(p["namespace"], []).append(key)

    def stable(m):
        # a HashMap's keys, sorted; the values (structs) keep their field order
        return {k: m[k] for k in sorted(m)}

    # Struct-order pairs; duplicate key kept, so the text is written by hand.
    pairs = [
        ("by_addr", stable(by_addr)),
        ("by_uid", stable(by_uid)),
        ("by_hostname", {}),
        ("by_identity", {}),
        ("staged_services", {}),
        ("workload_to_services", stable({k: sorted(v) for k, v in w2s.items()})),
        ("by_vip", stable(by_vip)),
        ("by_host", stable(by_host)),
        ("by_key", stable(by_key)),
        ("by_namespace", stable({k: sorted(v) for k, v in by_ns.items()})),
        ("by_hostname", {}),
        ("certificates", old_certs(dump, snake=True)),
    ]
    # serde_json's PrettyFormatter: two-space indent, "key": value, no trailing newline.
    body = ",\n".join(
        "  " + json.dumps(k) + ": " + json.dumps(v, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        for k, v in pairs)
    return "{\n" + body + "\n}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    with open(os.path.join(d, "config_dump.json")) as f:
        dump = json.load(f)
    with open(os.path.join(d, "zc-policy.json"), "w") as f:
        f.write(go_marshal_indent(zc_policies(dump)))
    with open(os.path.join(d, "zc-workload.json"), "w") as f:
        f.write(go_marshal_indent(zc_workloads(dump)))
    with open(os.path.join(d, "config_dump-map.json"), "w") as f:
        f.write(json.dumps(map_dump(dump), indent=2, ensure_ascii=False))
    with open(os.path.join(d, "config_dump-snake.json"), "w") as f:
        f.write(snake_dump_text(dump))


if __name__ == "__main__":
    main()
