// Configuration of the tail service (SSE, read API, live page), validated once at the edge.
import { z } from 'zod/v4';
import type { FlowTraceConfig } from '../core/config.ts';
import { DEFAULT_PORTS } from '../core/defaults.ts';

const PROJECT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const projectId = z.string().regex(PROJECT_ID, 'letters, digits, _ . - (1-64 chars)');

export const ApiKeySchema = z
  .object({
    key: z.string().min(16, 'an API key needs at least 16 characters').regex(/^[\x21-\x7e]+$/, 'an API key is printable ASCII without spaces'),
    projectId,
  })
  .strict();

export type ApiKey = z.infer<typeof ApiKeySchema>;

export const SseConfigSchema = z
  .object({
    /** Comment line sent on idle streams so proxies and browsers keep them open. */
    heartbeatMs: z.number().int().positive().default(15_000),
    /** Live connections (run streams and firehoses together); beyond this the server answers 503. */
    maxConnections: z.number().int().positive().default(1_000),
    /** Bytes a connection may have waiting in its socket buffer before it is dropped as a slow consumer. */
    maxBufferedBytes: z.number().int().positive().default(1024 * 1024),
    /** Live events held for a connection while it replays history; beyond this it is dropped as a slow consumer. */
    maxPendingEvents: z.number().int().positive().default(20_000),
    /** Spans read from storage per history query while replaying. */
    historyPageSpans: z.number().int().positive().default(2_000),
    /** While replaying history, how long a connection may take to drain a full buffer before it is dropped as a slow consumer. */
    replayDrainTimeoutMs: z.number().int().positive().default(30_000),
    /** How long a client may take to read the slow-consumer notice before its socket is destroyed. */
    disconnectGraceMs: z.number().int().min(0).default(2_000),
    /** Reconnection delay suggested to EventSource clients (the SSE `retry:` field). */
    retryMs: z.number().int().min(0).default(2_000),
  })
  .strict();

export const TailConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(DEFAULT_PORTS.API),
    /** Project of requests from loopback that carry no API key (single-user embedded mode). */
    defaultProjectId: projectId.default('default'),
    /** Keys for non-loopback use; a request with `Authorization: Bearer <key>` sees only that key's project. */
    apiKeys: z.array(ApiKeySchema).default([]),
    sse: SseConfigSchema.prefault({}),
  })
  .strict();

/** What callers pass (every field optional); createTailServer validates it. */
export type TailConfig = z.input<typeof TailConfigSchema>;
export type ResolvedTailConfig = z.output<typeof TailConfigSchema>;
export type SseConfig = z.output<typeof SseConfigSchema>;

export class TailConfigError extends Error {
  override name = 'TailConfigError';
}

/** Validates the configuration; the message names every invalid setting (never an API key's value). */
export function resolveTailConfig(config: TailConfig = {}): ResolvedTailConfig {
  const result = TailConfigSchema.safeParse(config);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new TailConfigError(`invalid tail configuration:\n  ${lines.join('\n  ')}`);
}

/**
 * Parses `FLOWTRACE_API_KEYS`: `key:project,key2:project2`. Errors name the entry by
 * position only, so a key never ends up in a log.
 */
export function parseApiKeys(text: string, source = 'FLOWTRACE_API_KEYS'): ApiKey[] {
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return entries.map((entry, index) => {
    const colon = entry.lastIndexOf(':');
    const parsed = ApiKeySchema.safeParse({ key: colon < 0 ? entry : entry.slice(0, colon), projectId: colon < 0 ? '' : entry.slice(colon + 1) });
    if (!parsed.success) {
      const problem = colon < 0 ? 'expected key:project' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new TailConfigError(`${source} entry ${index + 1}: ${problem}`);
    }
    return parsed.data;
  });
}

/** The tail configuration of a FlowTrace process: API host/port and project from its config, keys from the environment. */
export function tailConfigFrom(config: FlowTraceConfig, env: NodeJS.ProcessEnv = process.env): TailConfig {
  const keys = env.FLOWTRACE_API_KEYS;
  return {
    host: config.api.host,
    port: config.api.port,
    defaultProjectId: config.projectId,
    apiKeys: keys === undefined || keys.trim() === '' ? [] : parseApiKeys(keys),
  };
}
