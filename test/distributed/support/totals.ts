// What the pipeline stored for one workload, read back through ClickHouse (FINAL and the
// views), and a wait for the consumer group to have committed everything in the topic.
import type { Admin } from 'kafkajs';
import type { ClickHouseHarness } from './clickhouse-harness.ts';
import type { Expected } from './genai-workload.ts';

export interface StoredTotals extends Expected {
  /** Distinct (TraceId, SpanId) in otel_traces FINAL: equal to `spans` when nothing is doubled. */
  distinctSpans: number;
  spanFacts: number;
  /** Runs and cost again, from the `runs` view. */
  runsViewLlmCalls: number;
  runsViewCostUsd: string;
}

/** ClickHouse prints decimals without trailing zeros already; this makes '12.50' and '12.5' alike anyway. */
function decimal(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

export async function storedTotals(clickhouse: ClickHouseHarness, label: string): Promise<StoredTotals> {
  const where = `ServiceName = '${label}'`;
  const [traces] = await clickhouse.query<{ n: number; distinct: number }>(`SELECT count() AS n, uniqExact(TraceId, SpanId) AS distinct FROM otel_traces FINAL WHERE ${where}`);
  const [facts] = await clickhouse.query<{ n: number }>(`SELECT count() AS n FROM span_facts FINAL WHERE ${where}`);
  const [calls] = await clickhouse.query<{ n: number; input: number; output: number; cost: string }>(
    `SELECT count() AS n, sum(InputTokens) AS input, sum(OutputTokens) AS output, toString(sum(CostUsd)) AS cost FROM llm_calls WHERE ${where}`,
  );
  const [runs] = await clickhouse.query<{ n: number; calls: number; cost: string }>(
    `SELECT count() AS n, sum(LlmCalls) AS calls, toString(sum(CostUsd)) AS cost FROM runs WHERE startsWith(RunId, '${label}-')`,
  );
  return {
    spans: traces!.n,
    distinctSpans: traces!.distinct,
    spanFacts: facts!.n,
    llmCalls: calls!.n,
    inputTokens: calls!.input,
    outputTokens: calls!.output,
    costUsd: decimal(calls!.cost),
    runs: runs!.n,
    runsViewLlmCalls: runs!.calls,
    runsViewCostUsd: decimal(runs!.cost),
  };
}

/** What storedTotals must equal for a workload stored exactly once. */
export function exactly(expected: Expected): StoredTotals {
  return { ...expected, distinctSpans: expected.spans, spanFacts: expected.spans, runsViewLlmCalls: expected.llmCalls, runsViewCostUsd: expected.costUsd };
}

/** Records in `topic` the group has not committed yet (all partitions). */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [watermarks, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  let lag = 0;
  for (const w of watermarks) {
    const offset = Number(committed?.partitions.find((p) => p.partition === w.partition)?.offset ?? -1);
    lag += Number(w.high) - (offset >= 0 ? offset : Number(w.low));
  }
  return lag;
}

/**
 * Waits until the workload's spans are all stored and the group has committed every record
 * in the topic; then the totals are final and can be compared exactly.
 */
export async function waitUntilStored(
  clickhouse: ClickHouseHarness,
  admin: Admin,
  groupId: string,
  topic: string,
  label: string,
  expectedSpans: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const lag = await groupLag(admin, groupId, topic).catch(() => -1);
    const [row] = await clickhouse.query<{ n: number }>(`SELECT uniqExact(TraceId, SpanId) AS n FROM otel_traces WHERE ServiceName = '${label}'`).catch(() => [{ n: -1 }]);
    if (lag === 0 && row!.n >= expectedSpans) return;
    last = `lag ${lag}, ${row!.n} of ${expectedSpans} spans stored`;
    if (Date.now() > deadline) throw new Error(`workload ${label} not stored within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
