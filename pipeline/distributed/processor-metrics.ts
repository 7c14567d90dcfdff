// The processor's Prometheus metrics (prom-client, one registry per service so several can
// live in one process): consumer lag per partition read from the broker at scrape time, and
// counters of what was processed, inserted and dead-lettered.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PartitionLag } from '../../ingest/kafka/index.ts';

const PREFIX = 'flowtrace_processor_';

export class ProcessorMetrics {
  readonly registry = new Registry();
  readonly records = this.counter('records_total', 'Kafka records consumed and committed (dead-lettered ones included)');
  readonly spans = this.counter('spans_processed_total', 'Spans inserted into ClickHouse and committed');
  readonly inserts = this.counter('inserts_total', 'Acknowledged ClickHouse inserts');
  readonly insertFailures = this.counter('insert_failures_total', 'Failed ClickHouse inserts (each is retried until it succeeds)');
  readonly rejectedSpans = this.counter('rejected_spans_total', 'Spans dropped inside decodable records (e.g. invalid ids)');
  readonly enrichedFailures = this.counter('enriched_publish_failures_total', 'Batches stored but not published to the enriched topic');
  readonly restarts = this.counter('consumer_restarts_total', 'Times the Kafka consumer failed and restarted itself');
  readonly deadLetters = new Counter({
    name: `${PREFIX}dead_letter_records_total`,
    help: 'Records sent to the dead-letter topic, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly insertSeconds = new Histogram({
    name: `${PREFIX}insert_duration_seconds`,
    help: 'Latency of acknowledged ClickHouse inserts',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(topic: string, lag: () => Promise<PartitionLag[]>) {
    // Registered with the registry; read only through it.
    new Gauge({
      name: `${PREFIX}consumer_lag`,
      help: 'Records in the partition not yet committed by the group, for partitions this member owns',
      labelNames: ['topic', 'partition'] as const,
      registers: [this.registry],
      async collect() {
        // A scrape while the broker is away keeps the last known values.
        const partitions = await lag().catch(() => undefined);
        if (!partitions) return;
        this.reset();
        for (const p of partitions) this.set({ topic, partition: String(p.partition) }, Number(p.lag));
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name: `${PREFIX}${name}`, help, registers: [this.registry] });
  }
}
