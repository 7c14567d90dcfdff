#!/usr/bin/env bash
# Fetches the real components the integration tests run: the Apache Kafka broker jars (Maven
# Central) and FlowTrace's OpenTelemetry Collector (built with ocb from Go modules). Both steps are
# idempotent and cached in .cache/, so a second run takes about a second.
# Needs Java >= 17, Maven and Go >= 1.26 on PATH.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

timed() {
  local label="$1"; shift
  local started=$SECONDS
  "$@" >/dev/null
  echo "setup: $label ready in $((SECONDS - started)) s" >&2
}

timed "kafka jars" bash "$here/kafka/fetch.sh"
timed "collector" bash "$here/collector/build.sh"
