#!/usr/bin/env bash
# Builds the release archives and fills the krew manifest from them.
#
#   scripts/release.sh VERSION          e.g. scripts/release.sh v0.1.0
#
# For every krew platform whose Rust target this machine can build (the host always; others
# when their target is installed with rustup and a cross linker is found), builds the binary
# with the size-optimised `dist` profile and packs kubectl-ambient_policy[.exe], LICENSE and
# README.md into DIST_DIR/kubectl-ambient_policy_VERSION_OS_ARCH.tar.gz (.zip on Windows) with
# a .sha256 beside it. The other platforms are named as left to the release CI.
#
# Environment:
#   DIST_DIR         where the archives go (default: dist)
#   KREW_MANIFEST    the manifest to fill in place (default: krew/ambient-policy.yaml)
#   TARGETS          "host" to build only the host platform (default: every buildable one)
#   CARGO_TARGET_DIR as for cargo
set -euo pipefail

cd "$(dirname "$0")/.."

die() { echo "error: $*" >&2; exit 2; }

[ $# -eq 1 ] || die "usage: scripts/release.sh VERSION (e.g. v0.1.0)"
version="v${1#v}"
crate_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
[ "$version" = "v$crate_version" ] || die "VERSION $version differs from Cargo.toml's version $crate_version"

dist_dir=${DIST_DIR:-dist}
manifest=${KREW_MANIFEST:-krew/ambient-policy.yaml}
target_dir=${CARGO_TARGET_DIR:-target}
[ -f "$manifest" ] || die "no krew manifest at $manifest"
mkdir -p "$dist_dir"
dist_dir=$(cd "$dist_dir" && pwd)

host=$(rustc -vV | sed -n 's/^host: //p')
installed=$(rustup target list --installed 2>/dev/null || echo "$host")

# krew os/arch, Rust target, cross linker needed when it is not the host.
platforms=(
  "linux amd64 x86_64-unknown-linux-gnu x86_64-linux-gnu-gcc"
  "linux arm64 aarch64-unknown-linux-gnu aarch64-linux-gnu-gcc"
  "darwin amd64 x86_64-apple-darwin macos"
  "darwin arm64 aarch64-apple-darwin macos"
  "windows amd64 x86_64-pc-windows-gnu x86_64-w64-mingw32-gcc"
)
case "$host" in
  *-pc-windows-msvc) platforms[4]="windows amd64 $host msvc" ;;
esac

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# Why `target` cannot be built here, or nothing when it can.
cannot_build() {
  local target=$1 linker=$2
  [ "$target" = "$host" ] && return 0
  [ "${TARGETS:-all}" = host ] && { echo "only the host was requested (TARGETS=host)"; return 0; }
  grep -qx "$target" <<<"$installed" || { echo "needs a cross toolchain (rustup target add $target and a linker)"; return 0; }
  case "$linker" in
    macos) [ "$(uname -s)" = Darwin ] || echo "needs a cross toolchain (macOS SDK)" ;;
    msvc) ;;
    *) command -v "$linker" >/dev/null || echo "needs a cross toolchain ($linker)" ;;
  esac
}

built=()
skipped=()
for p in "${platforms[@]}"; do
  read -r os arch target linker <<<"$p"
  why=$(cannot_build "$target" "$linker")
  if [ -n "$why" ]; then
    skipped+=("${os}/${arch} ($target): $why")
    continue
  fi
  exe=""; [ "$os" = windows ] && exe=".exe"
  linker_env="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$target")_LINKER"
  if [ "$target" != "$host" ] && [ "$linker" != macos ] && [ "$linker" != msvc ] && [ -z "${!linker_env:-}" ]; then
    export "$linker_env=$linker"
  fi
  echo "building $target" >&2
  cargo build --locked --profile dist --target "$target" --bin kubectl-ambient_policy >&2
  name="kubectl-ambient_policy_${version}_${os}_${arch}"
  stage=$(mktemp -d)
  cp "$target_dir/$target/dist/kubectl-ambient_policy$exe" LICENSE README.md "$stage/"
  if [ "$os" = windows ]; then
    archive="$name.zip"
    rm -f "$dist_dir/$archive"
    (cd "$stage" && zip -q -X "$dist_dir/$archive" "kubectl-ambient_policy$exe" LICENSE README.md)
  else
    archive="$name.tar.gz"
    tar -C "$stage" -czf "$dist_dir/$archive" "kubectl-ambient_policy$exe" LICENSE README.md
  fi
  rm -rf "$stage"
  sum=$(sha256 "$dist_dir/$archive")
  echo "$sum  $archive" >"$dist_dir/$archive.sha256"
  built+=("$archive $sum")
done

# Fill the manifest: version, the version in every uri, the sha256 of each archive built.
tmp=$(mktemp)
awk -v version="$version" -v sums="$(printf '%s\n' "${built[@]}")" '
  BEGIN { n = split(sums, lines, "\n"); for (i = 1; i <= n; i++) { split(lines[i], f, " "); if (f[1] != "") sum[f[1]] = f[2] } }
  /^  version: / { print "  version: " version; next }
  /^ *uri: / {
    sub(/\/download\/v[^\/]*\//, "/download/" version "/")
    sub(/kubectl-ambient_policy_v[^_]*_/, "kubectl-ambient_policy_" version "_")
    file = $0; sub(/.*\//, "", file); pending = (file in sum) ? sum[file] : ""
    print; next
  }
  /^ *sha256: / && pending != "" { sub(/sha256: .*/, "sha256: \"" pending "\""); pending = "" }
  { print }
' "$manifest" >"$tmp"
mv "$tmp" "$manifest"

for b in "${built[@]}"; do echo "built $dist_dir/${b%% *}"; done
for s in "${skipped[@]}"; do echo "skipped $s; left to the release CI"; done
echo "filled $manifest"
