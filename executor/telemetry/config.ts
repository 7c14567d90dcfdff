// Resolves the telemetry settings once, at the edge: explicit options win over the
// standard OTEL_* variables, which win over FlowTrace's defaults.
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface TelemetryConfig {
  /** OTLP/HTTP base endpoint (`/v1/traces` is appended), like OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint?: string;
  /** `service.name`; else OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES; else `flowtrace`. */
  serviceName?: string;
  /** Record prompts and completions on spans. Off unless set here or by environment. */
  captureContent?: boolean;
  /** Where finished spans go instead of OTLP (tests pass an InMemorySpanExporter). */
  exporter?: SpanExporter;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
export const DEFAULT_SERVICE_NAME = 'flowtrace';
/** Short, so a CLI run's spans leave within a fraction of a second (OTEL_BSP_SCHEDULE_DELAY overrides). */
export const DEFAULT_SCHEDULE_DELAY_MS = 200;

const TRUE_VALUES = /^(1|true|yes|on|span_only|span_and_event)$/i;

/**
 * Content capture from the environment: FLOWTRACE_CAPTURE_CONTENT, or the instrumentation
 * libraries' OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (boolean or the Python
 * util's SPAN_ONLY / SPAN_AND_EVENT modes).
 */
export function captureContentFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = env.FLOWTRACE_CAPTURE_CONTENT ?? env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
  return value !== undefined && TRUE_VALUES.test(value.trim());
}

/**
 * The URL to pass the OTLP exporter, or undefined to let it read
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT itself.
 */
export function tracesUrl(endpoint: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new TypeError(`telemetry endpoint: not a URL: "${endpoint}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`telemetry endpoint: expected http(s), got "${url.protocol}" in "${endpoint}"`);
    }
    return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  }
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${DEFAULT_ENDPOINT}/v1/traces`;
}

/** True when the standard switches turn tracing export off. */
export function exportDisabled(env: NodeJS.ProcessEnv): boolean {
  return /^true$/i.test(env.OTEL_SDK_DISABLED ?? '') || /^none$/i.test(env.OTEL_TRACES_EXPORTER ?? '');
}
