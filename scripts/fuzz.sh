#!/usr/bin/env bash
# Runs one coverage-guided fuzz target (cargo-fuzz / libFuzzer) for a fixed time.
#
#   scripts/fuzz.sh TARGET [SECONDS]     TARGET: load | explain | mesh; SECONDS defaults to 60
#
# Needs `cargo install cargo-fuzz` and a nightly toolchain (`rustup toolchain install
# nightly`); without one it falls back to the stable compiler with RUSTC_BOOTSTRAP=1.
# The corpus (fuzz/corpus/TARGET) is seeded from examples/bookinfo, fuzz/seeds and any
# YAML/JSON fixture under tests/; crashes land in fuzz/artifacts/TARGET/. One process, one
# core. Extra arguments after SECONDS go to libFuzzer (e.g. -runs=0 to replay the corpus).
set -euo pipefail

target=${1:?usage: scripts/fuzz.sh load|explain|mesh [SECONDS] [libFuzzer args...]}
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/fuzz/corpus/$target"
mkdir -p "$corpus"

# Seeds, named by content so that reruns do not duplicate them. `mesh` reads its input as
# choices, not text: it starts from nothing.
seed() {
  [ "$target" != mesh ] || return 0
  cp "$1" "$corpus/seed-$(cksum <"$1" | cut -d' ' -f1)"
}
for f in "$root"/examples/bookinfo/*.yaml "$root"/fuzz/seeds/*; do seed "$f"; done
while IFS= read -r -d '' f; do seed "$f"; done < <(
  find "$root/tests" \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -size -64k -print0)
# The whole example as one input: the analysis target needs a mesh, not a fragment.
all=$(mktemp)
for f in "$root"/examples/bookinfo/*.yaml; do cat "$f"; printf '\n---\n'; done >"$all"
seed "$all"
rm -f "$all"

if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  toolchain=()
  export RUSTC_BOOTSTRAP=1
fi

# Text targets read manifests (dictionary, inputs up to 64 KiB, grown gradually); `mesh`
# reads choices, and needs a few hundred bytes from the start.
if [ "$target" = mesh ]; then
  shape=(-max_len=4096 -len_control=0)
else
  shape=(-max_len=65536 -dict="$root/fuzz/manifest.dict")
fi

cd "$root/fuzz"
# -s none: safe Rust, so AddressSanitizer adds cost and little else; debug assertions on for
# overflow checks. Bounds: 10 s per input, 2 GB of memory.
exec cargo "${toolchain[@]}" fuzz run "$target" -s none --debug-assertions "$corpus" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "${shape[@]}" \
  -print_final_stats=1 "$@"
