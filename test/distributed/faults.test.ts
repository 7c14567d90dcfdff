// Faults on the distributed path, each under load and each ending with exact counts and cost
// sums: processors crashing mid-batch (SIGKILL, five times), shutting down (SIGTERM), the
// Kafka broker away for 20 s, and ClickHouse refusing inserts for 20 s.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutRealComponents } from '../support/real-components.ts';
import { exportSpans, genAiWorkload, type Workload } from './support/genai-workload.ts';
import { SPANS_TOPIC, startDistributedStack, type DistributedStack } from './support/stack.ts';
import { exactly, storedTotals, waitUntilStored } from './support/totals.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipWithoutRealComponents('kafka', 'collector'))('distributed pipeline under faults', () => {
  let stack: DistributedStack;

  beforeAll(async () => {
    stack = await startDistributedStack(2);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** `runs` runs of 4 calls (9 spans each), sent in requests of 90 spans every `intervalMs`. */
  function load(name: string, runs: number, intervalMs: number): { workload: Workload; sent: Promise<void> } {
    const workload = genAiWorkload(`${name}-${randomUUID().slice(0, 8)}`, runs, 4);
    return { workload, sent: exportSpans(stack.collector.otlpHttpEndpoint, workload.spans, 90, intervalMs) };
  }

  async function expectExact(workload: Workload, timeoutMs: number): Promise<void> {
    await waitUntilStored(stack.clickhouse, stack.admin, stack.groupId, SPANS_TOPIC, workload.label, workload.expected.spans, timeoutMs);
    expect(await storedTotals(stack.clickhouse, workload.label)).toEqual(exactly(workload.expected));
  }

  it('stays exact when processors are SIGKILLed mid-batch five times', async () => {
    const { workload, sent } = load('sigkill', 600, 400); // 5,400 spans over ~25 s
    for (let kill = 0; kill < 5; kill++) {
      const victim = stack.processors[kill % 2]!;
      // Kill while it is working: right after its processed-span counter moved.
      const before = await victim.metric('flowtrace_processor_spans_processed_total');
      const deadline = Date.now() + 15_000;
      while ((await victim.metric('flowtrace_processor_spans_processed_total')) === before && Date.now() < deadline) await sleep(50);
      await victim.kill();
      await victim.restart();
      await sleep(1_500);
    }
    await sent;

    await expectExact(workload, 120_000);
  }, 240_000);

  it('shuts down on SIGTERM after finishing its batch, exit code 0, and stays exact', async () => {
    const { workload, sent } = load('sigterm', 200, 300);
    await sleep(2_000);
    const victim = stack.processors[0]!;
    expect(await victim.stop()).toBe(0);
    expect(victim.log()).toContain('process: SIGTERM: finishing the batches in flight');
    await victim.restart();
    await sent;

    await expectExact(workload, 90_000);
  }, 180_000);

  it('rides out the Kafka broker stopped for 20 s and restarted', async () => {
    const { workload, sent } = load('broker-outage', 300, 250);
    await sleep(3_000);
    await stack.broker.stop();
    await sleep(20_000);
    await stack.broker.restart();
    await sent;

    await expectExact(workload, 150_000);
    expect(stack.processors.every((p) => p.running)).toBe(true);
  }, 240_000);

  it('retries inserts ClickHouse refuses for 20 s with backoff, committing no offset meanwhile', async () => {
    const { workload, sent } = load('clickhouse-outage', 300, 250);
    await sleep(2_000);
    await stack.clickhouse.refuseInserts(true);
    const failuresBefore = await stack.metricSum('insert_failures_total');
    await sleep(2_000); // inserts that were already running finish and commit
    const committed = await stack.admin.fetchOffsets({ groupId: stack.groupId, topics: [SPANS_TOPIC] });
    await sleep(17_000);
    const committedLater = await stack.admin.fetchOffsets({ groupId: stack.groupId, topics: [SPANS_TOPIC] });
    const refused = await stack.clickhouse.refusedInserts();
    const failures = (await stack.metricSum('insert_failures_total')) - failuresBefore;
    await stack.clickhouse.refuseInserts(false);
    await sent;

    expect(committedLater).toEqual(committed);
    expect(refused).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(0);
    // Backoff: two processors retrying for ~19 s with delays doubling up to 5 s make a few dozen attempts, not thousands.
    expect(failures).toBeLessThan(100);
    await expectExact(workload, 120_000);
  }, 240_000);
});
