#!/usr/bin/env bash
# Resolves the Apache Kafka broker jars pinned in scripts/kafka/pom.xml from Maven Central into
# .cache/kafka/<pom hash>/libs. Idempotent: an unchanged pom is never resolved twice, a changed
# one gets a fresh folder. Prints the libs folder on the last line of stdout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pom="$root/scripts/kafka/pom.xml"
cache="$root/.cache/kafka"

fail() { echo "kafka fetch: $*" >&2; exit 1; }

command -v java >/dev/null 2>&1 || fail "java is not installed (Kafka 4.x needs Java >= 17 on PATH)."
java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')"
[[ "$java_major" =~ ^[0-9]+$ && "$java_major" -ge 17 ]] || fail "Java $java_major is too old; Kafka 4.x needs Java >= 17."

hash="$(sha256sum "$pom" | cut -c1-16)"
out="$cache/$hash"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # concurrent callers wait for one resolution

if [[ -f "$out/.complete" ]]; then
  echo "kafka: jars up to date ($out/libs)" >&2
  echo "$out/libs"
  exit 0
fi

command -v mvn >/dev/null 2>&1 || fail "mvn (Apache Maven) is not installed; it resolves the Kafka jars from Maven Central."

echo "kafka: resolving jars from Maven Central (pom $hash)" >&2
started=$SECONDS
rm -rf "$out"
# The plugin version is pinned: a bare `dependency:` prefix resolves the ancient 2.8 under Maven 3.8.
mvn -B -q -f "$pom" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$out/libs" >&2

core="$(ls "$out/libs" | sed -n 's/^log4j-core-\(.*\)\.jar$/\1/p')"
bridge="$(ls "$out/libs" | sed -n 's/^log4j-slf4j-impl-\(.*\)\.jar$/\1/p')"
[[ -n "$core" && "$core" == "$bridge" ]] || fail "log4j-core ($core) and log4j-slf4j-impl ($bridge) differ; align log4j2.version in $pom"
ls "$out/libs"/kafka_2.13-*.jar >/dev/null 2>&1 || fail "kafka_2.13 jar missing from $out/libs"

touch "$out/.complete"
# Drop jars of older pom versions.
find "$cache" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9a-f]\{16\}' ! -name "$hash" -exec rm -rf {} +
echo "kafka: $(ls "$out/libs" | wc -l) jars in $((SECONDS - started)) s → $out/libs" >&2
echo "$out/libs"
