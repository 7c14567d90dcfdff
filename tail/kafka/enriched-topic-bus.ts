// The live feed of a stand-alone tail (distributed mode): `flowtrace process` stores spans,
// then names them on the `flowtrace.enriched` topic. Those records carry summaries only (no
// attributes, so no content, and no span events), so each record's spans are read back from
// storage — where they are committed — and published as enriched spans. Live events are then
// exactly the events a history replay derives, retries, fallbacks and cache hits included.
import { hostname } from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { z } from 'zod/v4';
import { KAFKA_TOPICS } from '../../core/defaults.ts';
import { FLOWTRACE, GEN_AI } from '../../core/semconv.ts';
import type { EnrichedSpan, RunFacts } from '../../core/span.ts';
import { parseEnrichedRecord, type EnrichedRunRecord } from '../../exporters/kafka-enriched/index.ts';
import { InProcessSpanBus } from '../../pipeline/bus/span-bus.ts';
import type { SpanStore } from '../../storage/store.ts';
import type { Params } from '../query/rows.ts';
import { readSpanPage, type StoredSpan } from '../query/span-reader.ts';

export const EnrichedTopicBusConfigSchema = z
  .object({
    topic: z.string().min(1).default(KAFKA_TOPICS.ENRICHED),
    /**
     * Every tail instance needs every record, so each one is its own consumer group; it
     * starts at the topic's end (what came before is in storage).
     */
    groupId: z.string().min(1).default(`flowtrace-tail-${hostname()}-${process.pid}`),
  })
  .strict();

export type EnrichedTopicBusConfig = z.input<typeof EnrichedTopicBusConfigSchema>;

/** A stored span as the processors' EnrichedSpan, for the live hub (which reads only these fields). */
export function toEnrichedSpan(span: StoredSpan): EnrichedSpan {
  const attributes = { ...span.attributes };
  if (span.workflowName !== '') attributes[GEN_AI.WORKFLOW_NAME] = span.workflowName;
  if (span.routerBranch !== '') attributes[FLOWTRACE.ROUTER_BRANCH] = span.routerBranch;
  return {
    projectId: span.projectId,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    traceState: '',
    name: span.name,
    kind: 'Unspecified',
    startTimeUnixNano: span.startNs,
    endTimeUnixNano: span.endNs,
    serviceName: span.serviceName,
    resourceAttributes: {},
    scopeName: '',
    scopeVersion: '',
    attributes,
    statusCode: span.statusCode as EnrichedSpan['statusCode'],
    statusMessage: span.statusMessage,
    events: span.events,
    links: [],
    genai: {
      dialect: 'none',
      operation: span.operation,
      provider: span.provider,
      requestModel: span.requestModel,
      responseModel: span.responseModel,
      usage: { input: span.inputTokens, output: span.outputTokens, cacheRead: span.cacheReadTokens, cacheWrite: span.cacheWriteTokens, reasoning: span.reasoningTokens },
      isInference: span.isInference,
      finishReasons: [],
      errorType: span.errorType,
    },
    run: {
      runId: span.runId,
      stepId: span.stepId,
      nodeId: span.nodeId,
      nodeType: span.nodeType,
      workflowId: span.workflowId,
      workflowVersion: span.workflowVersion,
      semanticLabel: span.semanticLabel,
      attempt: span.attempt,
      fallbackFrom: span.fallbackFrom,
      cacheHit: span.cacheHit,
      role: span.role as RunFacts['role'],
    },
    cost: { usd: span.costUsd, status: span.costStatus as NonNullable<EnrichedSpan['cost']>['status'], priceRef: span.priceRef, reason: span.costReason, savedUsd: span.savedCostUsd },
    ...(span.failureClass !== '' && {
      failure: { failureClass: span.failureClass as NonNullable<EnrichedSpan['failure']>['failureClass'], reason: span.failureReason as NonNullable<EnrichedSpan['failure']>['reason'], evidence: span.failureEvidence },
    }),
  };
}

export class EnrichedTopicBus extends InProcessSpanBus {
  private readonly config: z.output<typeof EnrichedTopicBusConfigSchema>;
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    private readonly store: SpanStore,
    config: EnrichedTopicBusConfig = {},
  ) {
    super();
    this.config = EnrichedTopicBusConfigSchema.parse(config);
    this.consumer = kafka.consumer({ groupId: this.config.groupId });
  }

  /** Joins the topic at its end and publishes every later record's spans, in record order. Resolves once in the group. */
  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.config.topic, fromBeginning: false });
    const joined = new Promise<void>((resolve) => {
      const off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value === null) return;
        let record: EnrichedRunRecord;
        try {
          record = parseEnrichedRecord(message.value);
        } catch (err) {
          process.emitWarning(`flowtrace tail: skipped a record of ${this.config.topic}: ${(err as Error).message}`);
          return;
        }
        this.publish((await this.read(record)).map(toEnrichedSpan));
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private read(record: EnrichedRunRecord): Promise<StoredSpan[]> {
    const params: Params = { run: record.runId, spans: JSON.stringify(record.spans.map((s) => [s.traceId, s.spanId])) };
    return readSpanPage(this.store, {
      projectId: record.projectId,
      where: ['RunId = {run:String}', "(TraceId, SpanId) IN JSONExtract({spans:String}, 'Array(Tuple(String, String))')"],
      params,
      orderBy: 'end',
      limit: record.spans.length,
      attributes: 'stream',
    });
  }
}
