// The failure reasons and the evidence each is recognised by, most specific first.
// README.md documents the same table for users.
import type { FailureReason } from '../../core/span.ts';

export interface ReasonRule {
  reason: FailureReason;
  /** Error class / type names that settle the reason on their own (error.type, exception.type). */
  types?: RegExp;
  /** Status and exception messages. */
  text?: RegExp;
  /** HTTP response status codes. */
  http?: ReadonlySet<number>;
  /** Generic error types (BadRequestError, InternalServerError, ...) used only when nothing more specific matched. */
  weakTypes?: RegExp;
}

export const REASON_RULES: readonly ReasonRule[] = [
  {
    reason: 'budget_exceeded',
    types: /budget/i,
    text: /\bbudget\b.*\b(exceeded|limit|reached)\b|\b(exceeded|over)\b.*\bbudget\b/i,
  },
  {
    reason: 'limit_exceeded',
    types: /GraphRecursionError|Guardrail|LimitExceeded(Error|Exception)?$|RecursionLimit/i,
    text: /recursion limit|guardrail|\b(node|step|token|duration|time|iteration)s? limit\b.*\b(exceeded|reached)\b|\bmax(imum)?[ _](nodes|steps|iterations)\b/i,
  },
  {
    reason: 'context_length',
    types: /context_?length|context_?window|ContentTooLarge|request_too_large|TokenLimit/i,
    text: /context[ _]length|context[ _]window|prompt is too long|too many (input )?tokens|maximum (input )?tokens? .*exceed|reduce the length of the messages/i,
    http: new Set([413]),
  },
  {
    reason: 'content_filter',
    types: /content_?filter|content_?policy|ResponsibleAIPolicy|SafetyError|BlockedPrompt|guardrail_intervened/i,
    text: /content[ _](filter|management|policy)|flagged by|safety (system|filter)|responsible ai policy/i,
  },
  {
    reason: 'rate_limit',
    types: /RateLimit|rate_limit|TooManyRequests|Throttling|RESOURCE_EXHAUSTED|quota/i,
    text: /rate[ _-]?limit|too many requests|throttl|quota exceeded|exceeded your current quota|resource[ _]exhausted/i,
    http: new Set([429]),
  },
  {
    reason: 'overloaded',
    types: /Overloaded|ServiceUnavailable|\bUNAVAILABLE\b|overloaded_error/i,
    text: /overloaded|service unavailable|temporarily unavailable|capacity/i,
    http: new Set([503, 529]),
  },
  {
    reason: 'timeout',
    types: /Timeout|TimedOut|DEADLINE_EXCEEDED|client_timeout_error|ETIMEDOUT|ESOCKETTIMEDOUT/i,
    text: /timed? ?out|timeout|deadline exceeded|ETIMEDOUT/i,
    http: new Set([408, 504]),
  },
  {
    reason: 'cancelled',
    types: /Abort|Cancel/i,
    text: /\b(aborted|cancell?ed|interrupted by the user)\b/i,
    http: new Set([499]),
  },
  {
    reason: 'network',
    types: /APIConnectionError|connection_error|ConnectError|ConnectionError|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|NetworkError|FetchError/i,
    text: /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|network (error|is unreachable)|connection (error|refused|reset|closed)/i,
  },
  {
    reason: 'auth',
    types: /Authentication|PermissionDenied|Unauthori[sz]ed|Forbidden|AccessDenied|authentication_error|permission_error|invalid_api_key|PaymentRequired|UNAUTHENTICATED|PERMISSION_DENIED/i,
    text: /invalid (x-)?api[ _-]?key|incorrect api key|unauthori[sz]ed|permission denied|access denied|authentication/i,
    http: new Set([401, 402, 403]),
  },
  {
    reason: 'parse_error',
    types: /SyntaxError|JSONDecodeError|JsonParse|ParseError|ParsingException|OutputParser|ZodError|SchemaValidation/i,
    text: /unexpected token|is not valid json|invalid json|failed to parse|could not parse|json parse/i,
  },
  {
    reason: 'invalid_request',
    types: /NotFound|UnprocessableEntity|not_found_error|model_not_found|Conflict(Error)?$|ValidationException/i,
    http: new Set([400, 404, 409, 422]),
    weakTypes: /BadRequest|invalid_request|INVALID_ARGUMENT/i,
  },
  {
    reason: 'tool_error',
    types: /ToolException|ToolError|ToolExecution|ToolCall(Error|Exception)/i,
  },
  {
    reason: 'provider_error',
    types: /ModelStreamError|ModelError|server_error/i,
    weakTypes: /InternalServer|api_error|APIError|INTERNAL\b|BadGateway|ServerError/i,
  },
];

/**
 * `error.type` values that are the taxonomy's own reasons: FlowTrace's executor records
 * the reason it decided this way, and `timeout`, `rate_limit`, ... mean the same from
 * anyone. `unknown` is left out so other evidence can still say more.
 */
export const TAXONOMY_REASONS: ReadonlySet<string> = new Set<FailureReason>([
  'rate_limit', 'timeout', 'network', 'auth', 'invalid_request', 'context_length', 'content_filter', 'provider_error',
  'overloaded', 'tool_error', 'parse_error', 'budget_exceeded', 'limit_exceeded', 'cancelled',
]);

/** HTTP statuses of 500 and above that no rule above names. */
export const SERVER_ERROR_REASON: FailureReason = 'provider_error';

/** Finish reasons that make a span a failure even when its status is not Error. */
export const FAILURE_FINISH_REASONS: Readonly<Record<string, FailureReason>> = {
  content_filter: 'content_filter',
  refusal: 'content_filter',
  safety: 'content_filter',
  recitation: 'content_filter',
  prohibited_content: 'content_filter',
  blocklist: 'content_filter',
  spii: 'content_filter',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
  model_context_window_exceeded: 'context_length',
};
