// SSE fan-out under live load: spans of new runs are written as the embedded pipeline takes
// them — processed, handed to a GroupCommitWriter with the default queue settings, inserted,
// and published on the bus once committed — while many firehose clients read them.
import type { SpanRecord } from '../../core/span.ts';
import { ConfigSchema } from '../../core/config.ts';
import type { InProcessSpanBus } from '../../pipeline/bus/span-bus.ts';
import { GroupCommitWriter } from '../../pipeline/group-commit/group-commit-writer.ts';
import { createProcessorChain } from '../../processors/chain.ts';
import type { SpanStore } from '../../storage/store.ts';
import { deriveEvents } from '../../tail/events/derive.ts';
import { fromEnrichedSpan } from '../../tail/events/stream-span.ts';
import { chunksOf, ClientProcess, sleepUntil, wallMs, weightedPercentile } from './client-process.ts';
import { Random, RunsGenerator } from './runs-generator.ts';

export interface FanOutOptions {
  subscribers: number;
  eventsPerSecond: number;
  seconds: number;
  /** Spans reach the pipeline in writes this far apart (an OTLP exporter's batches). */
  writeIntervalMs: number;
}

export interface FanOutFigures {
  subscribers: number;
  refused: string[];
  commits: Array<{ publishedMs: number; events: number; bytes: number }>;
  events: number;
  spans: number;
  latency: { p50: number; p99: number; max: number };
  endToEnd: { p50: number; p99: number };
  dropped: Array<{ client: number; reason: string }>;
  missingEvents: number;
  openAtEnd: number;
  clientCpuMs: number;
  serverCpuMs: number;
  mbPerSecond: number;
}

interface Write {
  records: SpanRecord[];
  events: number;
}

/** Live spans of realistic runs, cut into writes of at least eventsPerSecond·interval trace events each. */
function liveWrites(count: number, options: FanOutOptions): Write[] {
  const generator = new RunsGenerator({ seed: 99, endMs: Date.now(), spreadMs: 3_600_000, otherProjectShare: 0 });
  const sizes = new Random(7);
  const chain = createProcessorChain();
  const perWrite = (options.eventsPerSecond * options.writeIntervalMs) / 1000;
  const writes: Write[] = [];
  let current: Write = { records: [], events: 0 };
  while (writes.length < count) {
    const run = generator.run(Date.now() - 60_000, sizes.int(20, 80));
    const enriched = chain.process(run.spans);
    for (let i = 0; i < run.spans.length && writes.length < count; i++) {
      current.records.push(run.spans[i]!);
      current.events += deriveEvents(fromEnrichedSpan(enriched[i]!)).length;
      if (current.events >= perWrite) {
        writes.push(current);
        current = { records: [], events: 0 };
      }
    }
  }
  return writes;
}

/** The spans of a write end at the moment they are written, in their export order, 1 µs apart; durations and event offsets are kept. */
function retime(records: SpanRecord[], writtenMs: number): void {
  const writtenNs = BigInt(Math.round(writtenMs * 1000)) * 1000n;
  records.forEach((span, i) => {
    const end = writtenNs - BigInt(records.length - i) * 1000n;
    const shift = end - span.endTimeUnixNano;
    span.startTimeUnixNano += shift;
    span.endTimeUnixNano = end;
    for (const event of span.events) event.timeUnixNano += shift;
  });
}

/**
 * A write's spans end when they are written (t0 + k·interval), so the first event id of a
 * chunk names its first write, and through it the commit that carried it.
 */
export async function measureFanOut(
  deps: { store: SpanStore; bus: InProcessSpanBus; port: number; openConnections: () => number },
  options: FanOutOptions,
  log: (line: string) => void,
): Promise<FanOutFigures> {
  const writeCount = Math.round((options.seconds * 1000) / options.writeIntervalMs);
  const writes = liveWrites(writeCount, options);
  const { clients, connected } = await ClientProcess.open('127.0.0.1', deps.port, options.subscribers);
  log(`  ${connected.open} SSE clients connected in ${connected.ms} ms${connected.refused.length ? `, refused: ${connected.refused.slice(0, 3).join('; ')}` : ''}`);

  const t0Ms = Math.ceil(wallMs()) + 500;
  const writeAt = (k: number) => t0Ms + k * options.writeIntervalMs;
  const writeOf = (endMs: number) => Math.round((endMs - t0Ms) / options.writeIntervalMs);
  const commits: Array<{ publishedMs: number; writes: number[] }> = [];
  const commitOfWrite = new Map<number, number>();
  const chain = createProcessorChain();
  const writer = new GroupCommitWriter(deps.store, ConfigSchema.parse({}).queue, (spans) => {
    const inCommit = [...new Set(spans.map((s) => writeOf(Number(s.endTimeUnixNano / 1_000_000n))))];
    for (const k of inCommit) commitOfWrite.set(k, commits.length);
    commits.push({ publishedMs: wallMs(), writes: inCommit });
    deps.bus.publish(spans);
  });
  const cpu0 = process.cpuUsage();
  const written: Array<Promise<void>> = [];
  for (const [k, write] of writes.entries()) {
    await sleepUntil(writeAt(k));
    retime(write.records, writeAt(k));
    written.push(writer.write(chain.process(write.records), `bench-views-live-${t0Ms}-${k}`));
  }
  await Promise.all(written);
  await writer.close();
  // Let the last commits reach every client.
  await sleepUntil(wallMs() + 3000);
  const cpu = process.cpuUsage(cpu0);
  const openAtEnd = deps.openConnections();
  const received = await clients.stop();

  const eventsOf = commits.map((c) => c.writes.reduce((sum, k) => sum + writes[k]!.events, 0));
  const bytesOf = commits.map(() => 0);
  const seen = Array.from({ length: options.subscribers }, () => new Set<number>());
  const latency: Array<[number, number]> = [];
  const endToEnd: Array<[number, number]> = [];
  for (const chunk of chunksOf(received)) {
    const commit = commitOfWrite.get(writeOf(chunk.firstIdMs));
    if (commit === undefined) continue;
    seen[chunk.client]!.add(commit);
    bytesOf[commit] = chunk.bytes;
    latency.push([chunk.receivedMs - commits[commit]!.publishedMs, eventsOf[commit]!]);
    for (const k of commits[commit]!.writes) endToEnd.push([chunk.receivedMs - writeAt(k), writes[k]!.events]);
  }
  let missingEvents = 0;
  for (const set of seen) for (let c = 0; c < commits.length; c++) if (!set.has(c)) missingEvents += eventsOf[c]!;
  const figures: FanOutFigures = {
    subscribers: connected.open,
    refused: connected.refused,
    commits: commits.map((c, i) => ({ publishedMs: c.publishedMs, events: eventsOf[i]!, bytes: bytesOf[i]! })),
    events: writes.reduce((sum, w) => sum + w.events, 0),
    spans: writes.reduce((sum, w) => sum + w.records.length, 0),
    latency: {
      p50: weightedPercentile(latency, 50),
      p99: weightedPercentile(latency, 99),
      max: latency.reduce((max, [ms]) => Math.max(max, ms), -Infinity),
    },
    endToEnd: { p50: weightedPercentile(endToEnd, 50), p99: weightedPercentile(endToEnd, 99) },
    dropped: received.dropped,
    missingEvents,
    openAtEnd,
    clientCpuMs: received.cpuMs,
    serverCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    mbPerSecond: received.bytes / 2 ** 20 / options.seconds,
  };
  log(`  ${commits.length} commits; publish → receipt p50 ${figures.latency.p50.toFixed(1)} ms, p99 ${figures.latency.p99.toFixed(1)} ms; ` +
    `dropped ${figures.dropped.length}; events not delivered ${missingEvents}; CPU server ${figures.serverCpuMs} ms, clients ${figures.clientCpuMs} ms`);
  return figures;
}
