// Response bodies of the read API. They document the API (OpenAPI) and the tests check
// real responses against them. Costs are decimal strings (exact, never floats).
import { z } from 'zod/v4';

export const FAILURE_CLASSES = ['model', 'tool', 'retrieval', 'orchestration'] as const;
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'canceled'] as const;

const usd = z.string().describe('USD, exact decimal string (e.g. "0.00036").');
const nullableUsd = usd.nullable();
const time = z.string().describe('ISO-8601 time (UTC).');
const count = z.number().int().nonnegative();
const rate = z.number().min(0).max(1).nullable().describe('0..1; null when there is nothing to divide by.');

export const RunTotalsSchema = z.object({
  steps: count,
  llm_calls: count.describe('Inference attempts (each retry and fallback is one).'),
  tool_calls: count,
  retries: count.describe('Inference attempts after the first of their step that stayed on the same provider and model (the `runs` view\'s Retries).'),
  fallbacks: count.describe('Switches of a step to a fallback provider or model (the `runs` view\'s Fallbacks).'),
  cache_hits: count.describe('Steps answered from the exact-match cache.'),
  error_spans: count,
  input_tokens: count.describe('Includes cache reads and writes.'),
  output_tokens: count.describe('Includes reasoning tokens.'),
  cache_read_tokens: count,
  cache_write_tokens: count,
  reasoning_tokens: count,
  total_tokens: count,
  cost_usd: usd.describe('Provider cost of every priced attempt (failed ones included).'),
  unpriced_calls: count.describe('Attempts whose model has no known price (cost_status unknown_model; not in cost_usd).'),
  saved_cost_usd: nullableUsd.describe('What the cache hits would have cost.'),
});

export const RunSummarySchema = z.object({
  run_id: z.string(),
  trace_id: z.string(),
  run_name: z.string(),
  workflow_id: z.string(),
  workflow_version: z.string(),
  workflow_name: z.string(),
  service_name: z.string().describe('Service of the run span (empty while running).'),
  status: z.enum(RUN_STATUSES).describe('running until the run span is stored.'),
  failure_class: z.string(),
  failure_reason: z.string(),
  start_time: time,
  end_time: time,
  duration_ms: z.number().describe('First span start to last span end.'),
  elapsed_ms: z.number().describe('duration_ms for finished runs; time since the start for running ones.'),
  totals: RunTotalsSchema,
});

export const RunsPageSchema = z.object({
  runs: z.array(RunSummarySchema).describe('Newest first (by start time, then run id).'),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});

const spanEvent = z.object({ ts: time, name: z.string(), attributes: z.record(z.string(), z.string()) });

const spanFields = {
  span_id: z.string(),
  parent_span_id: z.string(),
  kind: z.enum(['step', 'llm', 'tool', 'other']),
  name: z.string(),
  status: z.enum(['ok', 'error', 'unset']),
  start_time: time,
  end_time: time,
  latency_ms: z.number(),
  failure_class: z.string(),
  failure_reason: z.string(),
  error_type: z.string(),
  status_message: z.string(),
  attributes: z
    .record(z.string(), z.string())
    .describe('All span attributes. gen_ai.input.messages / gen_ai.output.messages / gen_ai.system_instructions / gen_ai.tool.call.arguments / gen_ai.tool.call.result hold content when capture was on.'),
  events: z.array(spanEvent).describe('Span events (flowtrace.retry, flowtrace.fallback, flowtrace.cache.hit, exception, …).'),
};

export const AttemptSchema = z.object({
  ...spanFields,
  attempt: count,
  provider: z.string(),
  request_model: z.string(),
  response_model: z.string(),
  fallback_from: z.string(),
  input_tokens: count,
  output_tokens: count,
  cache_read_tokens: count,
  cache_write_tokens: count,
  reasoning_tokens: count,
  cost_usd: nullableUsd,
  cost_status: z.string(),
  cost_reason: z.string(),
  price_ref: z.string(),
});

export const StepSchema = z.object({
  ...AttemptSchema.shape,
  step_id: z.string(),
  node_id: z.string(),
  node_type: z.string(),
  semantic_label: z.string(),
  router_branch: z.string(),
  cache_hit: z.boolean(),
  saved_cost_usd: nullableUsd,
  totals: z.object({
    attempts: count,
    retries: count.describe('Attempts after the first (as in the run totals).'),
    fallbacks: count.describe('Attempts on a fallback target.'),
    input_tokens: count,
    output_tokens: count,
    cost_usd: usd,
  }).describe("Over the step's inference attempts (for a span outside any step: itself)."),
  children: z.array(AttemptSchema).describe('Attempts, tool calls and other spans inside the step, by start time.'),
});

export const RunTraceSchema = z.object({
  run: RunSummarySchema,
  run_events: z.array(spanEvent).describe('Events on the run span (budget, guardrail); first page only.'),
  steps: z.array(StepSchema).describe('Steps by start time; spans of other producers that are not inside a step appear here too.'),
  next_cursor: z.string().nullable(),
});

export const DeleteResultSchema = z.object({
  run_id: z.string(),
  deleted_spans: count,
});

const dateRange = z.object({ start_date: time, end_date: time });

const providerModel = z.object({
  provider: z.string(),
  model: z.string(),
  calls: count,
  failed_calls: count,
  input_tokens: count,
  output_tokens: count,
  cache_read_tokens: count,
  cost_usd: usd,
  unpriced_calls: count.describe('Attempts whose model has no known price (not in cost_usd).'),
});

export const AnalyticsSummarySchema = z.object({
  date_range: dateRange,
  execution_analytics: z.object({
    total_executions: count,
    status_counts: z.record(z.enum(RUN_STATUSES), count),
    success_rate: rate.describe('Succeeded out of finished runs.'),
    workflow_counts: z.record(z.string(), count),
    duration_stats: z.object({
      avg_duration_ms: z.number().nullable(),
      min_duration_ms: z.number().nullable(),
      max_duration_ms: z.number().nullable(),
      p50_duration_ms: z.number().nullable(),
      p95_duration_ms: z.number().nullable(),
    }).describe('Finished runs only.'),
  }),
  llm_call_analytics: z.object({
    total_calls: count.describe('Provider calls (attempts); cache hits excluded.'),
    provider_counts: z.record(z.string(), count),
    model_counts: z.record(z.string(), count),
    token_stats: z.object({
      total_input_tokens: count,
      total_output_tokens: count,
      total_cache_read_tokens: count,
      total_tokens: count,
      total_cost: usd,
    }),
    by_provider_model: z.array(providerModel),
  }),
  cache_analytics: z.object({
    cache_hits: count,
    cache_hit_rate: rate.describe('Cache hits out of LLM requests (a request = a step that called a provider, or a cache hit).'),
    cost_saved_usd: usd,
  }),
  fallback_rate: rate.describe('Requests that fell back to another target, out of requests that called a provider.'),
  failed_attempt_cost_usd: usd.describe('Cost of inference attempts that failed.'),
});

const outcomeCounts = {
  failures: count,
  recovered: count.describe('A later retry or fallback (or the enclosing step) succeeded.'),
  terminal: count,
  pending: count.describe('The enclosing span has not been stored yet.'),
};

export const FailuresBreakdownSchema = z.object({
  date_range: dateRange,
  totals: z.object(outcomeCounts),
  by_class: z.array(z.object({ failure_class: z.string(), ...outcomeCounts })),
  by_reason: z.array(z.object({ failure_class: z.string(), failure_reason: z.string(), ...outcomeCounts, runs: count })),
});

export const CostByLabelSchema = z.object({
  date_range: dateRange,
  labels: z.array(
    z.object({
      semantic_label: z.string().describe('flowtrace.semantic_label; empty for calls without one.'),
      calls: count,
      cache_hits: count,
      input_tokens: count,
      output_tokens: count,
      cost_usd: usd,
      saved_cost_usd: usd,
      unpriced_calls: count.describe('Attempts whose model has no known price (not in cost_usd).'),
    }),
  ),
});
