// The workflow service as `flowtrace up` runs it, for tests and the benchmark: the embedded
// engine (chdb) under a home directory, the OTLP/HTTP receiver → processor chain → group
// commit → in-process bus, the read API + SSE + live page with the workflow service mounted,
// and the service's runs sending their spans to that receiver. Providers are whatever the
// caller points at (the provider simulator). Test support only.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OtlpHttpReceiver } from '../../ingest/otlp-http/index.ts';
import { InProcessSpanBus } from '../../pipeline/bus/span-bus.ts';
import { GroupCommitWriter } from '../../pipeline/group-commit/group-commit-writer.ts';
import type { ProvidersConfig } from '../../executor/providers/index.ts';
import { createProcessorChain } from '../../processors/chain.ts';
import { ChdbStore } from '../../storage/chdb/chdb-store.ts';
import { createTailServer } from '../../tail/server.ts';
import type { WorkflowServiceConfig } from '../config.ts';
import { createWorkflowService, type WorkflowService } from '../workflow-service.ts';

export interface ServiceStackOptions {
  /** Data, checkpoints and the response cache go under it. */
  home: string;
  providers: ProvidersConfig;
  service?: Partial<WorkflowServiceConfig>;
  /** API port (default 0: any free port). */
  apiPort?: number;
  /** Use the exact-match response cache (default off, so every run calls the providers). */
  cache?: boolean;
}

export interface ServiceStack {
  baseUrl: string;
  store: ChdbStore;
  service: WorkflowService;
  /** Where the stack's OTLP/HTTP receiver takes spans. */
  otlpEndpoint: string;
  /** Like SIGTERM: runs get the grace period, spans are flushed and committed, storage closes. */
  stop(): Promise<void>;
}

export async function startServiceStack(options: ServiceStackOptions): Promise<ServiceStack> {
  mkdirSync(options.home, { recursive: true });
  const store = new ChdbStore({ dataDir: join(options.home, 'data') });
  await store.migrate();
  const chain = createProcessorChain();
  const bus = new InProcessSpanBus();
  const writer = new GroupCommitWriter(store, { maxQueuedSpans: 200_000, maxBatchSpans: 20_000, maxBatchDelayMs: 20 }, (spans) => bus.publish(spans));
  const receiver = new OtlpHttpReceiver({ port: 0 }, (batch) => writer.write(chain.process(batch.spans), batch.dedupKey));
  const otlp = await receiver.start();
  const otlpEndpoint = `http://127.0.0.1:${otlp.port}`;
  const service = createWorkflowService({
    store,
    runtime: { otlpEndpoint, providers: options.providers, cacheDir: options.cache ? join(options.home, 'cache') : undefined },
    config: { checkpointDir: join(options.home, 'checkpoints'), ...options.service },
  });
  const tail = createTailServer({ store, bus, config: { host: '127.0.0.1', port: options.apiPort ?? 0 }, workflows: service });
  await service.start();
  const api = await tail.start();
  return {
    baseUrl: `http://127.0.0.1:${api.port}`,
    store,
    service,
    otlpEndpoint,
    async stop() {
      await service.stop();
      await receiver.stop();
      await writer.close();
      await tail.stop();
      await store.close();
    },
  };
}
