#!/usr/bin/env bash
# Re-captures tests/fixtures/ztunnel/*/config_dump.json from a real ztunnel.
#
# NOT run by CI and not used by any test: the fixtures are committed, this only reproduces them.
#
# It does not fetch or build ztunnel. Give it a ztunnel binary built from the commit recorded in
# tests/fixtures/ztunnel/README.md (features tls-ring,testing; see ztunnel's Development.md):
#
#   ZTUNNEL_BIN=/path/to/ztunnel scripts/ztunnel-fixtures/capture.sh [scenario...]
#
# For each scenario it runs ztunnel without Kubernetes (FAKE_CA=true, XDS_ADDRESS="",
# LOCAL_XDS_PATH=<scenario>/local-config.yaml, PROXY_MODE=dedicated), opens one TLS connection to
# its HBONE port 15008 on 127.0.0.1 so that it issues (fake-CA) certificates for its own identity
# and the dump has a `certificates` entry, saves GET localhost:15000/config_dump byte for byte
# as <scenario>/config_dump.json, and stops it. Then it rewrites the derived bookinfo forms
# (istioctl_forms.py). ztunnel binds 15000 (admin, loopback), 15001/15006/15008 (proxy),
# 15020 (stats), 15021 (readiness) and 15053 (DNS, loopback); they must be free.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fixtures="$root/tests/fixtures/ztunnel"
bin="${ZTUNNEL_BIN:?set ZTUNNEL_BIN to a ztunnel binary (see tests/fixtures/ztunnel/README.md)}"

# scenario -> PROXY_WORKLOAD_INFO (namespace/name/serviceAccount of the workload this dedicated
# ztunnel stands for; it appears in the dump's config.proxyWorkloadInformation and certificates)
declare -A proxy_for=(
  [bookinfo]=default/productpage-v1-7c9f8d6b5-abcde/bookinfo-productpage
  [l4-policy]=ambient-demo/httpbin-6c8f4d7b9f-h7k2m/httpbin
  [l4-policy-waypoint]=ambient-demo/httpbin-6c8f4d7b9f-h7k2m/httpbin
  [live-dump]=shop/httpbin-6d4f8c7b9-k2x7p/httpbin
  [trap-AMB010]=shop/httpbin-5f6d8c9b7d-r4t8n/httpbin
  [trap-AMB019]=shop/httpbin-5f6d8c9b7d-r4t8n/httpbin
  [trap-AMB027]=shop/httpbin-5f6d8c9b7d-r4t8n/httpbin
  [trap-AMB027-auto-allow]=shop/httpbin-5f6d8c9b7d-r4t8n/httpbin
)

if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  mapfile -t scenarios < <(printf '%s\n' "${!proxy_for[@]}" | sort)
fi

port_busy() {
  if command -v ss >/dev/null; then
    ss -ltn "sport = :$1" | grep -q LISTEN
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
for p in 15000 15001 15006 15008 15020 15021 15053; do
  if port_busy "$p"; then
    echo "port $p is in use; stop whatever listens there first" >&2
    exit 1
  fi
done

capture() {
  local name="$1" dir="$fixtures/$1" info="${proxy_for[$1]:-}"
  [ -n "$info" ] || { echo "unknown scenario $name" >&2; return 1; }
  local log
  log="$(mktemp)"
  FAKE_CA=true XDS_ADDRESS="" LOCAL_XDS_PATH="$dir/local-config.yaml" PROXY_MODE=dedicated \
    PROXY_WORKLOAD_INFO="$info" RUST_LOG=info "$bin" >"$log" 2>&1 &
  local pid=$!
  local ok=""
  for _ in $(seq 1 60); do
    if curl -sf -o /dev/null http://localhost:15000/config_dump; then ok=1; break; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.5
  done
  if [ -z "$ok" ]; then
    echo "ztunnel did not come up for $name:" >&2
    cat "$log" >&2
    kill "$pid" 2>/dev/null || true
    return 1
  fi
  if grep -qP '\t(error|warn)\t' "$log"; then
    echo "ztunnel logged errors for $name (see below); the dump is saved anyway" >&2
    grep -P '\t(error|warn)\t' "$log" >&2 || true
  fi
  # One TLS handshake to the HBONE listener makes ztunnel fetch its own certificate.
  if command -v openssl >/dev/null; then
    timeout 5 openssl s_client -connect 127.0.0.1:15008 </dev/null >/dev/null 2>&1 || true
    sleep 1
  fi
  curl -sf -o "$dir/config_dump.json" http://localhost:15000/config_dump
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
  echo "captured $name"
}

for s in "${scenarios[@]}"; do
  capture "$s"
done

if [[ " ${scenarios[*]} " == *" bookinfo "* ]]; then
  python3 "$here/istioctl_forms.py" "$fixtures/bookinfo"
fi
