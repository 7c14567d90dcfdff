import { describe, expect, it } from 'vitest';
import type { FailureClass, FailureReason } from '../../core/span.ts';
import { DialectNormaliser } from '../normalise/index.ts';
import { spanRecord, type SpanSketch } from '../testing.ts';
import { FailureClassifier } from './index.ts';

const normaliser = new DialectNormaliser();
const classifier = new FailureClassifier();
const classify = (sketch: SpanSketch) => classifier.classify(normaliser.normalise(spanRecord(sketch))).failure;

const chat = (attributes: Record<string, string> = {}) => ({
  'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', ...attributes,
});
const exception = (type: string, message = '') => ({
  name: 'exception', attributes: { 'exception.type': type, 'exception.message': message, 'exception.stacktrace': 'at x (y.js:1:1)' },
});
const toolSpan = (attributes: Record<string, string> = {}) => ({
  'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order', ...attributes,
});

const cases: Array<[string, SpanSketch, FailureClass, FailureReason, string]> = [
  ['OpenAI SDK RateLimitError', { statusCode: 'Error', statusMessage: '429 Rate limit reached for gpt-4o', attributes: chat({ 'error.type': 'RateLimitError' }) },
    'model', 'rate_limit', 'error.type=RateLimitError'],
  ['Anthropic rate_limit_error type', { statusCode: 'Error', attributes: chat({ 'gen_ai.provider.name': 'anthropic', 'error.type': 'rate_limit_error' }) },
    'model', 'rate_limit', 'error.type=rate_limit_error'],
  ['HTTP 429 alone', { statusCode: 'Error', attributes: chat({ 'http.response.status_code': '429' }) }, 'model', 'rate_limit', 'http.response.status_code=429'],
  ['Anthropic overloaded_error (529)', { statusCode: 'Error', attributes: chat({ 'error.type': 'overloaded_error', 'http.response.status_code': '529' }) },
    'model', 'overloaded', 'error.type=overloaded_error'],
  ['HTTP 503 alone', { statusCode: 'Error', attributes: chat({ 'http.response.status_code': '503' }) }, 'model', 'overloaded', 'http.response.status_code=503'],
  ['APIConnectionTimeoutError', { statusCode: 'Error', statusMessage: 'Request timed out.', attributes: chat({ 'error.type': 'APIConnectionTimeoutError' }) },
    'model', 'timeout', 'error.type=APIConnectionTimeoutError'],
  ['Python httpx.ReadTimeout exception event', { statusCode: 'Error', events: [exception('httpx.ReadTimeout', 'The read operation timed out')], attributes: chat() },
    'model', 'timeout', 'exception.type=httpx.ReadTimeout'],
  ['Anthropic native client_timeout_error', { statusCode: 'Error', attributes: chat({ 'error.type': 'client_timeout_error' }) }, 'model', 'timeout', 'client_timeout_error'],
  ['APIConnectionError', { statusCode: 'Error', statusMessage: 'Connection error.', attributes: chat({ 'error.type': 'APIConnectionError' }) },
    'model', 'network', 'error.type=APIConnectionError'],
  ['ECONNREFUSED in the message only', { statusCode: 'Error', statusMessage: 'connect ECONNREFUSED 127.0.0.1:4000', attributes: chat() },
    'model', 'network', 'status_message~"connect ECONNREFUSED'],
  ['AuthenticationError (401)', { statusCode: 'Error', attributes: chat({ 'error.type': 'AuthenticationError', 'http.response.status_code': '401' }) },
    'model', 'auth', 'error.type=AuthenticationError'],
  ['HTTP 403 alone', { statusCode: 'Error', attributes: chat({ 'http.response.status_code': '403' }) }, 'model', 'auth', 'http.response.status_code=403'],
  ['BadRequestError whose message is about the context window', {
    statusCode: 'Error',
    statusMessage: "400 This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.",
    attributes: chat({ 'error.type': 'BadRequestError', 'http.response.status_code': '400' }),
  }, 'model', 'context_length', 'status_message~"400 This model\'s maximum context length'],
  ['Anthropic "prompt is too long"', {
    statusCode: 'Error', statusMessage: '400 {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}',
    attributes: chat({ 'gen_ai.provider.name': 'anthropic', 'error.type': 'invalid_request_error' }),
  }, 'model', 'context_length', 'prompt is too long'],
  ['plain BadRequestError', { statusCode: 'Error', statusMessage: "400 Invalid value for 'temperature'", attributes: chat({ 'error.type': 'BadRequestError' }) },
    'model', 'invalid_request', 'error.type=BadRequestError'],
  ['NotFoundError (unknown model)', { statusCode: 'Error', attributes: chat({ 'error.type': 'NotFoundError' }) }, 'model', 'invalid_request', 'NotFoundError'],
  ['content policy rejection', {
    statusCode: 'Error', statusMessage: "400 The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
    attributes: chat({ 'error.type': 'BadRequestError' }),
  }, 'model', 'content_filter', 'content management policy'],
  ['InternalServerError (500)', { statusCode: 'Error', attributes: chat({ 'error.type': 'InternalServerError', 'http.response.status_code': '500' }) },
    'model', 'provider_error', 'http.response.status_code=500'],
  ['HTTP 502 alone', { statusCode: 'Error', attributes: chat({ 'http.response.status_code': '502' }) }, 'model', 'provider_error', 'http.response.status_code=502'],
  ['Anthropic api_error type', { statusCode: 'Error', attributes: chat({ 'error.type': 'api_error' }) }, 'model', 'provider_error', 'error.type=api_error'],
  ['tool threw', { statusCode: 'Error', statusMessage: 'order service returned no rows', attributes: toolSpan() }, 'tool', 'tool_error', 'status_message=order service'],
  ['tool timed out', { statusCode: 'Error', events: [exception('TimeoutError', 'The operation was aborted due to timeout')], attributes: toolSpan() },
    'tool', 'timeout', 'exception.type=TimeoutError'],
  ['LangChain ToolException in an agent span', { statusCode: 'Error', events: [exception('ToolException', 'bad input')], attributes: { 'gen_ai.operation.name': 'invoke_agent' } },
    'tool', 'tool_error', 'exception.type=ToolException'],
  ['retrieval from a datastore failed', { statusCode: 'Error', statusMessage: 'index not ready', attributes: { 'gen_ai.operation.name': 'retrieval', 'gen_ai.data_source.id': 'kb' } },
    'retrieval', 'unknown', 'status_message=index not ready'],
  ['datastore tool rate-limited', { statusCode: 'Error', attributes: toolSpan({ 'gen_ai.tool.type': 'datastore', 'http.response.status_code': '429' }) },
    'retrieval', 'rate_limit', 'http.response.status_code=429'],
  ['structured output not JSON', { statusCode: 'Error', events: [exception('SyntaxError', 'Unexpected token } in JSON at position 42')],
    attributes: { 'flowtrace.step.id': 's1', 'flowtrace.node.id': 'extract', 'flowtrace.node.type': 'llm' } }, 'model', 'parse_error', 'exception.type=SyntaxError'],
  ['router could not parse its branch', { statusCode: 'Error', events: [exception('json.decoder.JSONDecodeError', 'Expecting value: line 1 column 1')],
    attributes: { 'flowtrace.step.id': 's2', 'flowtrace.node.id': 'route', 'flowtrace.node.type': 'router' } }, 'orchestration', 'parse_error', 'JSONDecodeError'],
  ['run stopped by the USD budget', { parent: false, statusCode: 'Error', statusMessage: 'budget of $0.50 exceeded',
    events: [{ name: 'flowtrace.guardrail', attributes: { 'flowtrace.guardrail.limit': 'usd', 'flowtrace.reason': 'budget_exceeded' } }],
    attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': 'r1' } }, 'orchestration', 'budget_exceeded', 'event=flowtrace.guardrail'],
  ['hard budget event', { parent: false, statusCode: 'Error', events: [{ name: 'flowtrace.budget', attributes: { 'flowtrace.budget.kind': 'hard' } }],
    attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': 'r1' } }, 'orchestration', 'budget_exceeded', 'event=flowtrace.budget'],
  ['BudgetExceededError type', { statusCode: 'Error', attributes: { 'error.type': 'BudgetExceededError' } }, 'orchestration', 'budget_exceeded', 'error.type=BudgetExceededError'],
  ['run stopped by a guardrail', { parent: false, statusCode: 'Error', statusMessage: 'max nodes reached',
    events: [{ name: 'flowtrace.guardrail', attributes: { 'flowtrace.guardrail.limit': 'max_nodes' } }],
    attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': 'r1' } }, 'orchestration', 'limit_exceeded', 'event=flowtrace.guardrail'],
  ['LangGraph GraphRecursionError', { statusCode: 'Error', events: [exception('GraphRecursionError', 'Recursion limit of 25 reached without hitting a stop condition.')] },
    'orchestration', 'limit_exceeded', 'exception.type=GraphRecursionError'],
  ['user abort', { statusCode: 'Error', attributes: chat({ 'error.type': 'APIUserAbortError' }) }, 'orchestration', 'cancelled', 'error.type=APIUserAbortError'],
  ['cancelled run', { parent: false, statusCode: 'Error', statusMessage: 'run cancelled by user', attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': 'r1' } },
    'orchestration', 'cancelled', 'status_message~"run cancelled by user"'],
  ['run failed because its last llm step was rate-limited', { parent: false, statusCode: 'Error', statusMessage: 'step classify failed: 429 Rate limit reached',
    attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': 'r1', 'error.type': 'RateLimitError' } }, 'model', 'rate_limit', 'error.type=RateLimitError'],
  ['FlowTrace step that states its reason in error.type', { statusCode: 'Error', statusMessage: 'all attempts failed',
    events: [exception('FlowTraceRunError', 'all attempts failed')],
    attributes: { 'flowtrace.step.id': 's', 'flowtrace.node.id': 'n', 'flowtrace.node.type': 'llm', 'error.type': 'network' } }, 'model', 'network', 'error.type=network'],
  ['FlowTrace tool step with tool_error', { statusCode: 'Error', attributes: { 'flowtrace.step.id': 's', 'flowtrace.node.id': 'n', 'flowtrace.node.type': 'tool', 'error.type': 'tool_error' } },
    'tool', 'tool_error', 'error.type=tool_error'],
  ['run that failed after a soft budget warning: the warning is not the reason', { parent: false, statusCode: 'Error', statusMessage: 'step answer failed',
    events: [{ name: 'flowtrace.budget', attributes: { 'flowtrace.budget.kind': 'soft', 'flowtrace.budget.spent_usd': '0.4', 'flowtrace.budget.limit_usd': '0.5' } }],
    attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': 'r1', 'error.type': 'overloaded' } }, 'model', 'overloaded', 'error.type=overloaded'],
  ['error without any detail', { statusCode: 'Error', attributes: { 'flowtrace.step.id': 's', 'flowtrace.node.id': 'n', 'flowtrace.node.type': 'router' } },
    'orchestration', 'unknown', 'status=Error'],
  ['error.type _OTHER only', { attributes: chat({ 'error.type': '_OTHER' }) }, 'model', 'unknown', 'error.type=_OTHER'],
];

describe('FailureClassifier', () => {
  it.each(cases)('%s → %s / %s', (_label, sketch, failureClass, reason, evidence) => {
    const failure = classify(sketch);
    expect(failure).toBeDefined();
    expect(failure!.failureClass).toBe(failureClass);
    expect(failure!.reason).toBe(reason);
    expect(failure!.evidence).toContain(evidence);
  });

  it('covers every reason of the taxonomy', () => {
    const reasons = new Set(cases.map(([, , , reason]) => reason));
    expect([...reasons].sort()).toEqual([
      'auth', 'budget_exceeded', 'cancelled', 'content_filter', 'context_length', 'invalid_request', 'limit_exceeded',
      'network', 'overloaded', 'parse_error', 'provider_error', 'rate_limit', 'timeout', 'tool_error', 'unknown',
    ]);
  });

  it('treats a content_filter finish on a successful span as a model failure', () => {
    const failure = classify({ statusCode: 'Ok', attributes: chat({ 'gen_ai.response.finish_reasons': '["content_filter"]' }) });
    expect(failure).toEqual({ failureClass: 'model', reason: 'content_filter', evidence: 'finish_reason=content_filter' });
    const refusal = classify({ attributes: chat({ 'gen_ai.provider.name': 'anthropic', 'gen_ai.response.finish_reasons': '["refusal"]' }) });
    expect(refusal?.reason).toBe('content_filter');
  });

  it('treats Anthropic\'s model_context_window_exceeded stop as a context_length failure', () => {
    const failure = classify({ name: 'anthropic.messages.create', scopeName: 'com.anthropic.sdk.typescript',
      attributes: chat({ 'gen_ai.provider.name': 'anthropic', 'anthropic.message.stop_reason': 'model_context_window_exceeded' }) });
    expect(failure).toMatchObject({ reason: 'context_length', evidence: 'finish_reason=model_context_window_exceeded' });
  });

  it('does not treat a length / max_tokens finish as a failure', () => {
    expect(classify({ statusCode: 'Ok', attributes: chat({ 'gen_ai.response.finish_reasons': '["length"]' }) })).toBeUndefined();
    expect(classify({ attributes: chat({ 'anthropic.message.stop_reason': 'max_tokens' }) })).toBeUndefined();
  });

  it('leaves successful spans alone', () => {
    expect(classify({ statusCode: 'Ok', attributes: chat({ 'gen_ai.response.finish_reasons': '["stop"]' }) })).toBeUndefined();
    expect(classify({ attributes: { 'http.response.status_code': '404' } })).toBeUndefined();
  });

  it('a recorded exception makes a span failed even without Error status', () => {
    expect(classify({ events: [exception('RateLimitError', '429')], attributes: chat() })).toMatchObject({ reason: 'rate_limit' });
  });

  it('shortens long messages in the evidence', () => {
    const failure = classify({ statusCode: 'Error', statusMessage: `quota exceeded ${'x'.repeat(1000)}`, attributes: chat() });
    expect(failure!.reason).toBe('rate_limit');
    expect(failure!.evidence.length).toBeLessThan(200);
  });
});
