// A real tail service for tests: the embedded engine (chdb) in a temporary directory, the
// processor chain, an in-process bus and the server on a free port. `ingest` does what the
// embedded pipeline does: process, insert (committed), then publish. Test support only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnrichedSpan, SpanRecord } from '../../core/span.ts';
import { InProcessSpanBus, type SpanBus } from '../../pipeline/bus/span-bus.ts';
import { createProcessorChain } from '../../processors/chain.ts';
import { ChdbStore } from '../../storage/chdb/chdb-store.ts';
import type { SpanStore } from '../../storage/store.ts';
import type { TailConfig } from '../config.ts';
import { createTailServer, type TailServer } from '../server.ts';

export interface TailHarness {
  store: ChdbStore;
  bus: SpanBus;
  server: TailServer;
  baseUrl: string;
  /** Processes, stores (committed) and publishes one batch, like the embedded pipeline. */
  ingest(records: SpanRecord[]): Promise<EnrichedSpan[]>;
  /** GET/DELETE a JSON endpoint. */
  json<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

let batchNumber = 0;

export interface HarnessOptions {
  /** Wraps the store the server reads (e.g. to hold a history query at a chosen moment). */
  wrapStore?: (store: SpanStore) => SpanStore;
  /** The bus the server listens to (default an in-process bus). */
  bus?: (store: SpanStore) => SpanBus;
  /** How `ingest` announces committed spans (default: publish on the bus). */
  announce?: (spans: EnrichedSpan[]) => Promise<void>;
}

export async function startTailHarness(config: TailConfig = {}, options: HarnessOptions = {}): Promise<TailHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'flowtrace-tail-'));
  const store = new ChdbStore({ dataDir: dir });
  await store.migrate();
  const bus = options.bus ? options.bus(store) : new InProcessSpanBus();
  const announce = options.announce ?? (async (spans: EnrichedSpan[]) => bus.publish(spans));
  const chain = createProcessorChain();
  const served = options.wrapStore ? options.wrapStore(store) : store;
  const server = createTailServer({ store: served, bus, config: { ...config, port: 0, host: '127.0.0.1' } });
  const { port } = await server.start();
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    store,
    bus,
    server,
    baseUrl,
    async ingest(records) {
      const spans = chain.process(records);
      await store.insertSpans(spans, `test-batch-${process.pid}-${++batchNumber}`);
      await announce(spans);
      return spans;
    },
    async json<T>(path: string, init?: RequestInit) {
      const res = await fetch(`${baseUrl}${path}`, init);
      return { status: res.status, body: (await res.json()) as T };
    },
    async close() {
      await server.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
