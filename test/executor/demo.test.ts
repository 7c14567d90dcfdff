// `flowtrace up --demo`'s runDemo against the embedded pipeline: it completes, prints a
// summary per run, and the stored runs show the retry, the fallback and the cache hit —
// on every start, not only the first, although the cache lives on in the FlowTrace home.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { runDemo, simulatorPortFromEnv } from '../../executor/demo/index.ts';
import type { RunSummary } from '../../executor/index.ts';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../pipeline/embedded.ts';
import { sqlString } from './support/stack.ts';

let home: string;
let pipeline: EmbeddedPipeline;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'flowtrace-demo-'));
  pipeline = await startEmbeddedPipeline(loadConfig({ env: {}, overrides: { home, otlpHttp: { port: 0 }, api: { port: 0 }, clickhouseHttp: { port: 0 } } }));
});
afterAll(async () => {
  await pipeline?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function rows<T>(sql: string): Promise<T[]> {
  const text = await pipeline.store.query(sql, 'JSONEachRow');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

interface RunRow {
  RunId: string;
  WorkflowId: string;
  Status: string;
  LlmCalls: number;
  Retries: number;
  Fallbacks: number;
  CacheHits: number;
  Cost: string | null;
  Saved: string | null;
}

/** One demo start on the shared home: its printed lines, its summaries and its stored runs in run order. */
async function startDemo(options: { simulatorPort?: number } = {}) {
  let printed = '';
  const demo = await runDemo({ endpoints: pipeline.endpoints, home, simulatorPort: options.simulatorPort ?? 0, write: (text) => void (printed += text) });
  let summaries: RunSummary[];
  try {
    summaries = await demo.done;
  } finally {
    await demo.stop();
  }
  const stored = await rows<RunRow>(
    `SELECT *, toString(CostUsd) AS Cost, toString(SavedCostUsd) AS Saved FROM runs WHERE RunId IN (${summaries.map((s) => sqlString(s.runId)).join(', ')})`,
  );
  const ordered = summaries.map((s) => stored.find((row) => row.RunId === s.runId)!);
  return { printed, summaries, stored: ordered, simulator: demo.simulator };
}

function expectDemoShown(start: Awaited<ReturnType<typeof startDemo>>) {
  const { summaries, stored, printed } = start;
  expect(summaries.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  const [retried, fellBack, cached] = stored;
  // 1: the research summary's first call was rate limited and retried.
  expect(retried).toMatchObject({ WorkflowId: 'research-summarize-decide-deep', Status: 'succeeded', Fallbacks: 0, CacheHits: 0 });
  expect(Number(retried!.Retries)).toBe(1);
  // 2: the CSV analysis fell back from OpenAI to Anthropic.
  expect(fellBack).toMatchObject({ WorkflowId: 'csv-analysis-writeup', Status: 'succeeded', Fallbacks: 1, CacheHits: 0 });
  // 3: the research run again, answered from the cache.
  expect(cached).toMatchObject({ WorkflowId: 'research-summarize-decide-deep', Status: 'succeeded', LlmCalls: 0, CacheHits: 2 });
  expect(Number(cached!.Cost ?? 0)).toBe(0);
  expect(cached!.Saved).toBe(retried!.Cost);
  expect(summaries[2]!.totals).toMatchObject({ cacheHits: 2, llmCalls: 0, costUsd: '0' });

  // Live event lines and one summary per run, with status, steps, tokens, cost, retries, fallbacks and cache hits.
  expect(printed).toMatch(/↻ summarize: rate_limit — retry \(attempt 2\) in 400 ms/);
  expect(printed).toMatch(/⇢ analysis: openai\/gpt-4o-mini failed \(overloaded\) — falling back to anthropic\/claude-3-5-haiku-latest/);
  expect(printed.match(/⚡ (summarize|deep): cache hit/g)).toHaveLength(2);
  for (const summary of summaries) {
    const { totals } = summary;
    expect(printed).toContain(`${totals.tokens.total} tokens, $${totals.costUsd}`);
    expect(printed).toContain(`/api/runs/${summary.runId}`);
  }
  expect(printed).toMatch(/✓ succeeded in \d+ ms: 4 steps \(1 skipped\), router → deep, \d+ tokens, \$0\.\d+, 3 llm calls, 1 retry, 0 fallbacks, 0 cache hits/);
  expect(printed).toMatch(/✓ succeeded in \d+ ms: 6 steps, \d+ tokens, \$0\.\d+, 3 llm calls, 0 retries, 1 fallback, 0 cache hits/);
  expect(printed).toMatch(/✓ succeeded in \d+ ms: 4 steps \(1 skipped\), router → deep, 0 tokens, \$0, 0 llm calls, 0 retries, 0 fallbacks, 2 cache hits/);
  expect(printed).toContain('Demo done; FlowTrace keeps serving');
}

describe('runDemo', () => {
  it('shows a retry, a fallback and a cache hit, stored in the pipeline', async () => {
    expectDemoShown(await startDemo());
  });

  it('shows them again on the next start with the same home (the cache does not swallow the faulted runs)', async () => {
    expectDemoShown(await startDemo());
  });

  it('moves the simulator to a free port when the asked one is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const start = await startDemo({ simulatorPort: taken });
      expect(start.printed).toContain(`port ${taken} is taken; the simulator uses a free port instead`);
      expect(start.simulator.port).not.toBe(taken);
      expectDemoShown(start);
    } finally {
      blocker.close();
    }
  });
});

describe('simulatorPortFromEnv', () => {
  it('reads FLOWTRACE_SIMULATOR_PORT, defaults to 4010 and names the variable when it is wrong', () => {
    expect(simulatorPortFromEnv({})).toBe(4010);
    expect(simulatorPortFromEnv({ FLOWTRACE_SIMULATOR_PORT: '5010' })).toBe(5010);
    expect(() => simulatorPortFromEnv({ FLOWTRACE_SIMULATOR_PORT: 'x1' })).toThrow('FLOWTRACE_SIMULATOR_PORT: expected a port number 0-65535, got "x1"');
    expect(() => simulatorPortFromEnv({ FLOWTRACE_SIMULATOR_PORT: '70000' })).toThrow('FLOWTRACE_SIMULATOR_PORT');
  });
});
