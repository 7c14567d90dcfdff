// The data of an SSE `trace` event, for the OpenAPI document and the tests.
import { z } from 'zod/v4';
import { TRACE_EVENT_KINDS } from '../events/derive.ts';

export const TraceEventSchema = z
  .object({
    id: z.string().describe('`<span end ns>:<span id>:<n>`; the SSE id when the event was sent in order.'),
    ts: z.string().describe('ISO-8601 time the event happened (a request at its span start, a response at its end).'),
    kind: z.enum(TRACE_EVENT_KINDS),
    run_id: z.string(),
    step_id: z.string().describe('Empty for run-level events.'),
    span_id: z.string(),
    service: z.string(),
    payload: z
      .record(z.string(), z.unknown())
      .describe(
        'llm.request: provider, model, attempt, fallback_from, node_id, semantic_label[, input_messages, system_instructions]. ' +
          'llm.response: provider, model, response_model, attempt, fallback_from, status, latency_ms, input/output/cache_read/cache_write/reasoning_tokens, cost_usd, cost_status[, failure_class, failure_reason, error_type, status_message, output_messages]. ' +
          'tool.request: tool, node_id[, call_id, arguments]. tool.response: tool, status, latency_ms[, failure…, result]. ' +
          'retry: attempt, delay_ms, reason. fallback: from, to, reason. cache.hit: key_hash, saved_input_tokens, saved_output_tokens, saved_cost_usd. ' +
          'log: level, source (step|budget|guardrail), message, …. run.status: status, workflow_id, workflow_name, workflow_version, duration_ms[, failure…]. ' +
          'Content fields appear only when content capture was on.',
      ),
  })
  .strict();
