// Where the real Kafka jars and the built collector live, and the one error tests raise when
// they are missing. Both are produced by scripts/setup-real-components.sh into .cache/, in a
// folder named after the hash of their recipe (scripts/kafka/pom.xml, collector/builder-config.yaml)
// so a changed recipe never runs stale artefacts.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SETUP_SCRIPT = 'scripts/setup-real-components.sh';
export const COLLECTOR_CONFIG = join(REPO_ROOT, 'otel-collector-config.yaml');
export const KAFKA_LOG4J_CONFIG = join(REPO_ROOT, 'scripts/kafka/log4j2.properties');

const KAFKA_POM = join(REPO_ROOT, 'scripts/kafka/pom.xml');
const COLLECTOR_MANIFEST = join(REPO_ROOT, 'collector/builder-config.yaml');
const COLLECTOR_BINARY_NAME = 'otelcol-flowtrace';

export type RealComponent = 'kafka' | 'collector';

export class MissingComponentError extends Error {
  override name = 'MissingComponentError';
}

/** Same as `sha256sum FILE | cut -c1-16` in the scripts. */
function recipeHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
}

function kafkaLibsCandidate(): string {
  return join(REPO_ROOT, '.cache/kafka', recipeHash(KAFKA_POM), 'libs');
}

function collectorBinaryCandidate(): string {
  return join(REPO_ROOT, '.cache/collector', recipeHash(COLLECTOR_MANIFEST), COLLECTOR_BINARY_NAME);
}

function isPresent(component: RealComponent): boolean {
  return component === 'kafka'
    ? existsSync(join(kafkaLibsCandidate(), '../.complete'))
    : existsSync(collectorBinaryCandidate());
}

function missing(what: string): MissingComponentError {
  return new MissingComponentError(`${what} not found. Run \`bash ${SETUP_SCRIPT}\` (needs Java 17+, Maven and Go 1.26+).`);
}

/** The folder holding the Kafka broker's jars for the pinned pom. */
export function kafkaLibsDir(): string {
  if (!isPresent('kafka')) throw missing(`Kafka jars for scripts/kafka/pom.xml (${kafkaLibsCandidate()})`);
  return kafkaLibsCandidate();
}

/** The collector binary built from the current builder manifest. */
export function collectorBinary(): string {
  if (!isPresent('collector')) throw missing(`Collector binary for collector/builder-config.yaml (${collectorBinaryCandidate()})`);
  return collectorBinaryCandidate();
}

/**
 * True when a test needing these components should be skipped: only if they are missing AND the
 * developer opted out with FLOWTRACE_SKIP_REAL_COMPONENTS=1 outside CI. Everywhere else the test
 * runs and fails with the MissingComponentError message — CI never skips silently.
 * Use: `describe.skipIf(skipWithoutRealComponents('kafka', 'collector'))(...)`.
 */
export function skipWithoutRealComponents(...components: RealComponent[]): boolean {
  const optedOut = process.env.FLOWTRACE_SKIP_REAL_COMPONENTS === '1' && process.env.CI !== 'true';
  const absent = components.filter((c) => !isPresent(c));
  if (optedOut && absent.length > 0) {
    console.warn(`skipping: ${absent.join(', ')} missing and FLOWTRACE_SKIP_REAL_COMPONENTS=1 (run bash ${SETUP_SCRIPT})`);
    return true;
  }
  return false;
}
