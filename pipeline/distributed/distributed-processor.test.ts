// DistributedProcessor in-process against a real Kafka broker and the embedded engine:
// records in, rows stored, run summaries published (keyed by run id, split past the record
// limit), and the Prometheus endpoint telling lag and counts.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { parseEnrichedRecord } from '../../exporters/kafka-enriched/index.ts';
import { createKafkaClient } from '../../ingest/kafka/index.ts';
import { ExportTraceServiceRequest } from '../../ingest/otlp/schema.ts';
import { ChdbStore } from '../../storage/chdb/chdb-store.ts';
import { startKafkaBroker, type KafkaBroker } from '../../test/support/kafka-broker.ts';
import { skipWithoutRealComponents } from '../../test/support/real-components.ts';
import { createTopic } from '../../test/distributed/support/stack.ts';
import { DistributedProcessor } from './distributed-processor.ts';

const hex = (bytes: number) => randomUUID().replaceAll('-', '').slice(0, bytes * 2);

/** One trace of `spans` chat spans of run `runId`. */
function runRequest(runId: string, spans: number): Buffer {
  const traceId = Buffer.from(hex(16), 'hex');
  const now = BigInt(Date.now()) * 1_000_000n;
  const message = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'processor-test' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId,
              spanId: Buffer.from(hex(8), 'hex'),
              name: 'chat gpt-4o-mini',
              kind: 3,
              startTimeUnixNano: now.toString(),
              endTimeUnixNano: (now + 500_000_000n).toString(),
              attributes: [
                { key: 'flowtrace.run.id', value: { stringValue: runId } },
                { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
                { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                { key: 'gen_ai.usage.input_tokens', value: { intValue: 1000 + i } },
                { key: 'gen_ai.usage.output_tokens', value: { intValue: 100 } },
              ],
            })),
          },
        ],
      },
    ],
  };
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(message)).finish());
}

describe.skipIf(skipWithoutRealComponents('kafka'))('DistributedProcessor', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  let store: ChdbStore;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'flowtrace-processor-test-'));
    store = new ChdbStore({ dataDir });
    await store.migrate();
    broker = await startKafkaBroker();
    kafka = createKafkaClient({ brokers: [broker.bootstrap], clientId: 'processor-test', log: () => {} });
  });

  afterAll(async () => {
    await broker?.destroy();
    await store?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores records, publishes run summaries keyed by run id, and serves lag and counts at GET /metrics', async () => {
    const topic = `spans-${randomUUID()}`;
    const enrichedTopic = `enriched-${randomUUID()}`;
    await createTopic(broker, topic, 2);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: runRequest('run-a', 5), partition: 0 }, { key: 'b', value: runRequest('run-b', 2), partition: 1 }] });
    await producer.disconnect();

    const lines: string[] = [];
    const processor = new DistributedProcessor(
      { kafka, store, log: (line) => lines.push(line) },
      { source: { topic, groupId: `group-${randomUUID()}`, fetchMaxWaitMs: 100 }, enriched: { topic: enrichedTopic, maxSpansPerRecord: 2 }, metrics: { port: 0 }, lagLogIntervalMs: 200 },
    );
    const { metricsUrl } = await processor.start();
    try {
      const metric = async (name: string) => {
        const line = (await (await fetch(metricsUrl!)).text()).split('\n').find((l) => l.startsWith(name));
        return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      const deadline = Date.now() + 30_000;
      while ((await metric('flowtrace_processor_spans_processed_total')) !== 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

      const [stored] = JSON.parse(`[${(await store.query("SELECT count() AS n, countIf(CostStatus = 'priced') AS priced FROM span_facts FINAL WHERE ServiceName = 'processor-test'")).trim()}]`);
      expect(stored).toEqual({ n: 7, priced: 7 });

      const text = await (await fetch(metricsUrl!)).text();
      expect(text).toContain(`flowtrace_processor_consumer_lag{topic="${topic}",partition="0"} 0`);
      expect(text).toContain(`flowtrace_processor_consumer_lag{topic="${topic}",partition="1"} 0`);
      expect(await metric('flowtrace_processor_records_total')).toBe(2);
      expect(await metric('flowtrace_processor_inserts_total')).toBeGreaterThanOrEqual(1);
      expect(await metric('flowtrace_processor_insert_duration_seconds_count')).toBe(await metric('flowtrace_processor_inserts_total'));
      expect((await fetch(metricsUrl!.replace('/metrics', '/other'))).status).toBe(404);
      expect(lines.some((l) => /^process: lag 0 record\(s\) \(p0 0, p1 0\); 7 span\(s\) processed so far$/.test(l))).toBe(true);

      const records: KafkaMessage[] = [];
      const reader = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
      await reader.connect();
      await reader.subscribe({ topic: enrichedTopic, fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void records.push(message) });
      while (records.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await reader.disconnect();

      // run-a's 5 spans in records of at most 2, run-b's 2 in one.
      const byRun = new Map<string, number[]>();
      for (const m of records) {
        const record = parseEnrichedRecord(m.value!);
        expect(m.key?.toString()).toBe(record.runId);
        byRun.set(record.runId, [...(byRun.get(record.runId) ?? []), record.spans.length]);
        for (const span of record.spans) expect(span.costStatus).toBe('priced');
      }
      expect(byRun.get('run-a')).toEqual([2, 2, 1]);
      expect(byRun.get('run-b')).toEqual([2]);
    } finally {
      await processor.stop();
    }
  }, 90_000);
});
