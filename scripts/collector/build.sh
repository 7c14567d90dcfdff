#!/usr/bin/env bash
# Builds FlowTrace's collector from collector/builder-config.yaml with the OpenTelemetry
# Collector Builder (ocb). Idempotent: the binary lives in .cache/collector/<manifest hash>/,
# so an unchanged manifest is never rebuilt and a changed one never reuses a stale binary.
# Prints the binary's path on the last line of stdout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
manifest="$root/collector/builder-config.yaml"
cache="$root/.cache/collector"
name="otelcol-flowtrace"

fail() { echo "collector build: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || fail "Go is not installed (need Go >= 1.26 on PATH). Install it, then re-run scripts/setup-real-components.sh."
go_minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
[[ "$go_minor" =~ ^[0-9]+$ && "$go_minor" -ge 26 ]] || fail "Go $(go env GOVERSION) is too old; the collector modules need Go >= 1.26."

# ocb is released together with the core collector modules, so its version is the
# otlpreceiver's version in the manifest: one place to bump.
ocb_version="$(awk '/go.opentelemetry.io\/collector\/receiver\/otlpreceiver /{print $NF; exit}' "$manifest")"
[[ -n "$ocb_version" ]] || fail "cannot read the otlpreceiver version from $manifest"

hash="$(sha256sum "$manifest" | cut -c1-16)"
out="$cache/$hash"
binary="$out/$name"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one build at a time; a second caller waits and then finds the binary

if [[ -x "$binary" ]]; then
  echo "collector: up to date ($binary)" >&2
  echo "$binary"
  exit 0
fi

builder="$cache/bin/$ocb_version/builder"
if [[ ! -x "$builder" ]]; then
  echo "collector: installing ocb $ocb_version" >&2
  GOBIN="$cache/bin/$ocb_version" go install "go.opentelemetry.io/collector/cmd/builder@$ocb_version"
fi

# ocb takes the output directory only from the manifest, so build from a copy that adds it.
staging="$cache/.staging-$hash"
rm -rf "$staging"
mkdir -p "$staging"
sed "/^dist:/a\\  output_path: $staging" "$manifest" >"$cache/.manifest-$hash.yaml"

echo "collector: building $name (manifest $hash); a cold build downloads modules and compiles for several minutes" >&2
started=$SECONDS
"$builder" --config="$cache/.manifest-$hash.yaml" >&2
rm -f "$cache/.manifest-$hash.yaml"
[[ -x "$staging/$name" ]] || fail "ocb finished but $staging/$name is missing"

# Publish atomically and drop binaries of older manifests (each is ~50 MB).
find "$cache" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9a-f]\{16\}' ! -name "$hash" -exec rm -rf {} +
mv "$staging" "$out"
echo "collector: built in $((SECONDS - started)) s → $binary" >&2
echo "$binary"
