// The embedded pipeline, `flowtrace up`: one process, composed here and nowhere else.
//
//   OtlpHttpReceiver ─► processor chain (normalise → cost → taxonomy)
//        ─► GroupCommitWriter (bounded queue, group commit) ─► SpanStore (chdb or server)
//        ─► InProcessSpanBus ─► tail (SSE, read API, live page, workflow service)
//   ClickHouseHttpInterface ─► SpanStore (read-only SQL for Grafana and `flowtrace sql`)
//
// Data flows one way; a receiver answers 200 only after the insert holding its spans
// committed. The workflow service's runs send their spans to this receiver like any agent.
import { join, resolve } from 'node:path';
import type { FlowTraceConfig } from '../core/config.ts';
import { OtlpHttpReceiver } from '../ingest/otlp-http/index.ts';
import { createProcessorChain } from '../processors/chain.ts';
import { openStore, type SpanStore } from '../storage/index.ts';
import { ClickHouseHttpInterface } from '../storage/http-interface/index.ts';
import { removeServerInfo, writeServerInfo } from '../storage/server-info.ts';
import { tailConfigFrom } from '../tail/config.ts';
import { createTailServer } from '../tail/server.ts';
import { createWorkflowService, workflowServiceConfigFrom } from '../service/index.ts';
import { InProcessSpanBus } from './bus/span-bus.ts';
import { GroupCommitWriter } from './group-commit/group-commit-writer.ts';

export interface EmbeddedPipeline {
  readonly store: SpanStore;
  readonly bus: InProcessSpanBus;
  readonly endpoints: { otlpHttp: string; api: string; clickhouseHttp?: string };
  /** Spans accepted and not yet committed. */
  queuedSpans(): number;
  /** Stops accepting, answers requests in flight, commits what was accepted, closes storage. */
  stop(): Promise<void>;
}

const url = (a: { host: string; port: number }) => `http://${a.host}:${a.port}`;

export async function startEmbeddedPipeline(config: FlowTraceConfig): Promise<EmbeddedPipeline> {
  const dataDir = join(resolve(config.home), 'data');
  const store = openStore({
    dataDir,
    clickhouse: config.clickhouse.url ? config.clickhouse : undefined,
    retentionDays: config.retentionDays,
  });
  await store.migrate();

  const chain = createProcessorChain(config.pricing.overrideFile ? { priceOverrideFile: config.pricing.overrideFile } : {});
  const bus = new InProcessSpanBus();
  const writer = new GroupCommitWriter(store, config.queue, (spans) => bus.publish(spans));
  const receiver = new OtlpHttpReceiver({ ...config.otlpHttp, projectId: () => config.projectId }, (batch) =>
    writer.write(chain.process(batch.spans), batch.dedupKey),
  );
  const clickhouseHttp = config.clickhouseHttp.enabled
    ? new ClickHouseHttpInterface(store, { host: config.clickhouseHttp.host, port: config.clickhouseHttp.port, readonly: config.clickhouseHttp.readonly })
    : undefined;

  const started: Array<{ stop(): Promise<void> }> = [];
  let stopRuns = async () => {};
  try {
    const otlp = await receiver.start();
    started.push(receiver);
    const runtime = { otlpEndpoint: url(otlp), cacheDir: join(resolve(config.home), 'cache') };
    const workflows = createWorkflowService({ store, runtime, config: workflowServiceConfigFrom(config), defaultProjectId: config.projectId });
    // Runs stop first (checkpointed, resumed at the next start) and flush their spans while the receiver takes them.
    stopRuns = () => workflows.stop();
    started.push({ stop: stopRuns });
    await workflows.start();
    const tail = createTailServer({ store, bus, config: tailConfigFrom(config), workflows });
    const api = await tail.start();
    started.push(tail);
    const ch = clickhouseHttp ? await clickhouseHttp.start() : undefined;
    if (clickhouseHttp) started.push(clickhouseHttp);
    const endpoints = { otlpHttp: url(otlp), api: url(api), clickhouseHttp: ch?.url };
    // Other processes (`flowtrace sql`) find this server, and go through it, by this record.
    if (endpoints.clickhouseHttp) writeServerInfo(dataDir, { otlpHttp: endpoints.otlpHttp, api: endpoints.api, clickhouseHttp: endpoints.clickhouseHttp });
    return {
      store,
      bus,
      endpoints,
      queuedSpans: () => writer.queued,
      async stop() {
        await stopRuns();
        await receiver.stop();
        await writer.close();
        for (const part of started.slice(2).reverse()) await part.stop();
        removeServerInfo(dataDir);
        await store.close();
      },
    };
  } catch (err) {
    for (const part of started.reverse()) await part.stop().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}
