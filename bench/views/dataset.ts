// The stored dataset of the views benchmark: realistic runs (runs-generator.ts) run
// through the processor chain and inserted with store.insertSpans in large batches, into
// an embedded-engine data directory cached under .cache/bench-views/ — keyed by the
// generator version, the options and the migrations, so a rerun reuses it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpanRecord } from '../../core/span.ts';
import { createProcessorChain } from '../../processors/chain.ts';
import { ChdbStore } from '../../storage/chdb/chdb-store.ts';
import { loadMigrations } from '../../storage/migrate.ts';
import { Random, RunsGenerator, type GeneratedRun, type RunsGeneratorOptions } from './runs-generator.ts';

/** Bump whenever the generator's output changes: cached datasets of other versions are ignored. */
export const GENERATOR_VERSION = 1;

const CACHE_ROOT = fileURLToPath(new URL('../../.cache/bench-views/', import.meta.url));

export interface DatasetOptions extends RunsGeneratorOptions {
  runs: number;
  spans: number;
  /** Spans per insertSpans call. */
  batchSpans: number;
}

export interface DatasetManifest {
  generatorVersion: number;
  options: DatasetOptions;
  runs: number;
  spans: number;
  statuses: Record<string, number>;
  buildMs: { total: number; generateAndProcess: number; insertWait: number; merges: number };
}

export interface Dataset {
  /** The engine's data directory (do not write to it: copy it first). */
  dataDir: string;
  manifest: DatasetManifest;
  /** False when this call built it. */
  cached: boolean;
}

/** The generator version, the options and the schema (a store built under other migrations is not reused). */
export function datasetKey(options: DatasetOptions): string {
  const hash = createHash('sha256').update(JSON.stringify(options));
  for (const migration of loadMigrations()) hash.update(migration.checksum);
  return `v${GENERATOR_VERSION}-${hash.digest('hex').slice(0, 12)}`;
}

/** The cached dataset for these options, built first if there is none. */
export async function ensureDataset(options: DatasetOptions, log: (line: string) => void): Promise<Dataset> {
  const dir = join(CACHE_ROOT, datasetKey(options));
  const manifestFile = join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    return { dataDir: join(dir, 'data'), manifest: JSON.parse(readFileSync(manifestFile, 'utf8')) as DatasetManifest, cached: true };
  }
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const manifest = await buildDataset(options, join(building, 'data'), log);
  writeFileSync(join(building, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return { dataDir: join(dir, 'data'), manifest, cached: false };
}

/** Start times in order and a span budget per run that adds up to exactly `options.spans`. */
function* plannedRuns(options: DatasetOptions, generator: RunsGenerator): Generator<GeneratedRun> {
  const starts = Array.from({ length: options.runs }, () => generator.nextStartMs()).sort((a, b) => a - b);
  const jitter = new Random(options.seed ^ 0x5bd1e995);
  let remaining = options.spans;
  for (let i = 0; i < starts.length; i++) {
    const left = starts.length - i;
    if (left === 1) {
      // The last run takes exactly what is left: redraw until one runs to completion.
      for (;;) {
        const run = generator.run(starts[i]!, remaining, { inFlightAllowed: false });
        if (run.spans.length === remaining) {
          yield run;
          return;
        }
      }
    }
    const mean = remaining / left;
    const budget = Math.max(2, Math.min(remaining - 2 * (left - 1), Math.round(mean * (0.4 + 1.2 * jitter.next()))));
    const run = generator.run(starts[i]!, budget);
    remaining -= run.spans.length;
    yield run;
  }
}

async function buildDataset(options: DatasetOptions, dataDir: string, log: (line: string) => void): Promise<DatasetManifest> {
  const started = performance.now();
  const store = new ChdbStore({ dataDir });
  await store.migrate();
  const chain = createProcessorChain();
  const generator = new RunsGenerator(options);
  const statuses: Record<string, number> = {};
  let runs = 0;
  let spans = 0;
  let batch: SpanRecord[] = [];
  let batchNumber = 0;
  let inserting: Promise<void> = Promise.resolve();
  const tokenPrefix = `bench-views-${datasetKey(options)}`;
  let cpuMs = 0;
  let waitMs = 0;
  const flush = async () => {
    const t0 = performance.now();
    const enriched = chain.process(batch);
    batch = [];
    const t1 = performance.now();
    cpuMs += t1 - t0;
    // The previous insert ran while this batch was generated and processed.
    await inserting;
    waitMs += performance.now() - t1;
    inserting = store.insertSpans(enriched, `${tokenPrefix}-${++batchNumber}`);
    log(`  inserted ${spans.toLocaleString('en-US')} / ${options.spans.toLocaleString('en-US')} spans (${Math.round((performance.now() - started) / 1000)} s)`);
  };
  try {
    let t = performance.now();
    for (const run of plannedRuns(options, generator)) {
      runs++;
      spans += run.spans.length;
      statuses[run.status] = (statuses[run.status] ?? 0) + 1;
      for (const span of run.spans) batch.push(span);
      if (batch.length >= options.batchSpans) {
        cpuMs += performance.now() - t;
        await flush();
        t = performance.now();
      }
    }
    cpuMs += performance.now() - t;
    if (batch.length > 0) await flush();
    const t2 = performance.now();
    await inserting;
    waitMs += performance.now() - t2;
    const t3 = performance.now();
    await waitForMerges(store, log);
    const mergesMs = performance.now() - t3;
    if (runs !== options.runs || spans !== options.spans) throw new Error(`generated ${runs} runs / ${spans} spans, expected ${options.runs} / ${options.spans}`);
    return {
      generatorVersion: GENERATOR_VERSION,
      options,
      runs,
      spans,
      statuses,
      buildMs: { total: Math.round(performance.now() - started), generateAndProcess: Math.round(cpuMs), insertWait: Math.round(waitMs), merges: Math.round(mergesMs) },
    };
  } finally {
    await store.close();
  }
}

/** Lets the engine's background merges settle, as they would on a store that has been up a while. */
async function waitForMerges(store: ChdbStore, log: (line: string) => void): Promise<void> {
  const deadline = performance.now() + 300_000;
  let quiet = 0;
  while (performance.now() < deadline && quiet < 3) {
    const running = Number(JSON.parse((await store.query('SELECT count() AS n FROM system.merges')).trim()).n);
    quiet = running === 0 ? quiet + 1 : 0;
    if (running > 0) log(`  waiting for ${running} background merge(s)`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
