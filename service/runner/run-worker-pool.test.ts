import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkflowSpec } from '../../executor/index.ts';
import { RunWorkerPool } from './run-worker-pool.ts';

const checkpointDir = mkdtempSync(join(tmpdir(), 'flowtrace-pool-'));
afterAll(() => rmSync(checkpointDir, { recursive: true, force: true }));

/** A workflow of one template step: no provider, no network. */
const templateFlow = {
  version: '1',
  name: 'greet',
  entry: 'greet',
  nodes: [{ id: 'greet', type: 'tool', config: { tool: 'template', template: 'hello' } }],
  edges: [],
} as unknown as WorkflowSpec;

describe('RunWorkerPool', () => {
  it('starts its worker threads with the first run, not before', async () => {
    // No span export: the pool, not telemetry, is under test (workers copy the environment when they start).
    const exporter = process.env.OTEL_TRACES_EXPORTER;
    process.env.OTEL_TRACES_EXPORTER = 'none';
    const pool = new RunWorkerPool({ workers: 1, runtime: {}, checkpointDir, limits: {} });
    try {
      expect(pool.running).toBe(false);
      const outcome = await pool.execute({ runId: 'pool-run-1', spec: templateFlow, inputs: {}, resume: false, signal: new AbortController().signal });
      expect(outcome).toMatchObject({ status: 'succeeded' });
      expect(pool.running).toBe(true);
    } finally {
      await pool.close();
      if (exporter === undefined) delete process.env.OTEL_TRACES_EXPORTER;
      else process.env.OTEL_TRACES_EXPORTER = exporter;
    }
    expect(pool.running).toBe(false);
    await expect(pool.execute({ runId: 'late', spec: templateFlow, inputs: {}, resume: false, signal: new AbortController().signal })).rejects.toThrow(/closed/);
  });
});
