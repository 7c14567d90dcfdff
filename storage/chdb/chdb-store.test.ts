import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSpan } from '../fixtures.ts';
import { StoreClosedError, StoreQueryError } from '../store.ts';
import { ChdbStore } from './chdb-store.ts';

// chdb binds one data directory per process: the file shares one store (a second
// store on the same directory is allowed and shares the engine, see below).
const root = mkdtempSync(join(tmpdir(), 'flowtrace-chdb-'));
const dataDir = join(root, 'data');
const store = new ChdbStore({ dataDir });

beforeAll(() => store.migrate());
afterAll(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

const scalar = async (sql: string): Promise<string> => (await store.query(sql, 'TabSeparatedWithNames')).split('\n')[1]!;

describe('ChdbStore.insertSpans', () => {
  it('inserts a batch once per dedup token: a retried batch changes no count or cost sum', async () => {
    const run = 'dedup-run';
    const spans = Array.from({ length: 50 }, (_, i) =>
      makeSpan({
        run: { ...makeSpan().run, runId: run },
        cost: { usd: `0.${String(i + 1).padStart(12, '0')}`, status: 'priced', priceRef: 'p', reason: '', savedUsd: null },
      }),
    );
    const expectedCost = spans.reduce((sum, s) => sum + BigInt(s.cost!.usd!.replace('0.', '')), 0n);
    const totals = async () => ({
      traces: await scalar(`SELECT count() FROM otel_traces WHERE SpanAttributes['flowtrace.run.id'] = 'run-1' AND SpanId IN (${spans.map((s) => `'${s.spanId}'`).join(',')})`),
      facts: await scalar(`SELECT count() FROM span_facts WHERE RunId = '${run}'`),
      cost: await scalar(`SELECT toString(sum(CostUsd)) FROM span_facts WHERE RunId = '${run}'`),
      lookups: await scalar(`SELECT count() FROM otel_traces_trace_id_ts WHERE TraceId IN (${spans.map((s) => `'${s.traceId}'`).join(',')})`),
    });

    await store.insertSpans(spans, 'batch-1');
    const first = await totals();
    expect(first).toEqual({ traces: '50', facts: '50', cost: `0.${expectedCost.toString().padStart(12, '0')}`, lookups: '50' });

    await store.insertSpans(spans, 'batch-1');
    await store.insertSpans([...spans], 'batch-1');
    expect(await totals()).toEqual(first);
  });

  it('collapses a duplicate that arrives under another token when read with FINAL (the backstop)', async () => {
    const span = makeSpan({ run: { ...makeSpan().run, runId: 'backstop-run' } });
    await store.insertSpans([span], 'backstop-1');
    await store.insertSpans([span], 'backstop-2');
    expect(await scalar(`SELECT count() FROM span_facts FINAL WHERE RunId = 'backstop-run'`)).toBe('1');
    expect(await scalar(`SELECT count() FROM llm_calls WHERE RunId = 'backstop-run'`)).toBe('1');
  });

  it('does nothing for an empty batch and refuses an empty token', async () => {
    await expect(store.insertSpans([], 'empty')).resolves.toBeUndefined();
    await expect(store.insertSpans([makeSpan()], '')).rejects.toThrow('insertSpans needs a non-empty dedupToken');
  });
});

describe('ChdbStore.execute', () => {
  it('returns raw bytes in the requested format with read statistics', async () => {
    const result = await store.execute({ sql: 'SELECT number FROM numbers(3)', format: 'CSV' });
    expect(result.body.toString()).toBe('0\n1\n2\n');
    expect(result.rowsRead).toBe(3);
    expect(result.elapsedNs).toBeGreaterThan(0);
  });

  it('applies per-statement settings without leaking them to other statements', async () => {
    const setting = "SELECT getSetting('max_execution_time') AS v";
    const withSetting = await store.execute({ sql: setting, format: 'TSV', settings: { max_execution_time: '17' } });
    expect(withSetting.body.toString()).toBe('17\n');
    expect((await store.execute({ sql: setting, format: 'TSV' })).body.toString()).toBe('0\n');
  });

  it('binds {name:Type} parameters', async () => {
    const result = await store.execute({ sql: 'SELECT {who:String} AS who, {n:UInt8} + 1 AS n', format: 'TSV', params: { who: "it's\ta", n: '41' } });
    expect(result.body.toString()).toBe("it\\'s\\ta\t42\n");
  });

  it('enforces readonly in the engine', async () => {
    const refused = store.execute({ sql: "INSERT INTO span_facts (RunId) VALUES ('x')", readOnly: true });
    await expect(refused).rejects.toBeInstanceOf(StoreQueryError);
    await expect(refused).rejects.toMatchObject({ code: 164 });
    await expect(store.execute({ sql: 'SELECT 1 SETTINGS readonly = 0', readOnly: true })).rejects.toMatchObject({ code: 164 });
    expect((await store.execute({ sql: 'SELECT count() FROM span_facts', readOnly: true, format: 'TSV' })).body.toString()).toMatch(/^\d+\n$/);
  });

  it('inserts rows sent in the request body, with their dedup token', async () => {
    const sql = 'INSERT INTO span_facts (RunId, SpanId) FORMAT JSONEachRow';
    const data = Buffer.from('{"RunId":"body-run","SpanId":"1"}\n{"RunId":"body-run","SpanId":"2"}\n');
    const first = await store.execute({ sql, data, settings: { insert_deduplication_token: 'body-1' } });
    // The two spans, and the run's row in run_totals that the materialized view writes.
    expect(first.rowsWritten).toBe(3);
    await store.execute({ sql, data, settings: { insert_deduplication_token: 'body-1' } });
    expect(await scalar(`SELECT count() FROM span_facts WHERE RunId = 'body-run'`)).toBe('2');
    await expect(store.execute({ sql, data, readOnly: true })).rejects.toMatchObject({ code: 164 });
  });

  it('reports engine errors with their ClickHouse code and message', async () => {
    await expect(store.execute({ sql: 'SELECT * FROM no_such_table' })).rejects.toMatchObject({
      code: 60,
      message: expect.stringMatching(/^Code: 60\. DB::Exception: .*no_such_table.*\(UNKNOWN_TABLE\)/s),
    });
    await expect(store.execute({ sql: 'SELECT 1', settings: { 'bad name': '1' } })).rejects.toMatchObject({ code: 115 });
  });
});

describe('two stores in one process', () => {
  it('shares the engine between stores on the same directory', async () => {
    const second = new ChdbStore({ dataDir });
    try {
      expect(await second.query("SELECT count() AS n FROM span_facts WHERE RunId = 'dedup-run'")).toBe('{"n":50}\n');
    } finally {
      await second.close();
    }
    // Closing one store leaves the other working.
    expect(await scalar('SELECT 1')).toBe('1');
  });

  it('refuses a second data directory while one is open, saying why', () => {
    expect(() => new ChdbStore({ dataDir: join(root, 'other') })).toThrow(
      /cannot open the embedded ClickHouse data directory .*other: .*only one active data directory per process/,
    );
  });
});

describe('ChdbStore.close', () => {
  it('waits for running statements, is idempotent, and refuses later calls', async () => {
    const closing = new ChdbStore({ dataDir });
    const running = closing.query('SELECT sum(number) AS s FROM numbers(20000000)');
    const closed = closing.close();
    expect(await running).toBe('{"s":199999990000000}\n');
    await closed;
    await closing.close();
    await expect(closing.query('SELECT 1')).rejects.toBeInstanceOf(StoreClosedError);
    await expect(closing.insertSpans([makeSpan()], 't')).rejects.toThrow('the span store is closed');
  });
});
