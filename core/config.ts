// FlowTrace configuration: flags > environment (FLOWTRACE_*) > file > defaults, validated
// once at start with messages that name the offending setting.
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

export const ConfigSchema = z
  .object({
    /** Everything FlowTrace keeps on disk: engine data, cache, checkpoints, server info. */
    home: z.string().min(1).default('.flowtrace'),
    projectId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64 chars)').default('default'),
    otlpHttp: z
      .object({
        host: host.default('127.0.0.1'),
        port: port.default(4318),
        maxRequestBytes: z.number().int().positive().default(16 * 1024 * 1024),
        maxDecompressedBytes: z.number().int().positive().default(64 * 1024 * 1024),
        maxAttributesPerSpan: z.number().int().positive().default(1024),
        maxAttributeValueBytes: z.number().int().positive().default(256 * 1024),
      })
      .strict()
      .default({}),
    api: z.object({ host: host.default('127.0.0.1'), port: port.default(8787) }).strict().default({}),
    clickhouseHttp: z
      .object({ enabled: z.boolean().default(true), host: host.default('127.0.0.1'), port: port.default(8123), readonly: z.boolean().default(true) })
      .strict()
      .default({}),
    /** A ClickHouse server instead of the embedded engine. */
    clickhouse: z
      .object({
        url: z.string().url().optional(),
        database: z.string().default('default'),
        username: z.string().default('default'),
        password: z.string().default(''),
      })
      .strict()
      .default({}),
    queue: z
      .object({
        /** Spans held in memory waiting for storage; beyond this the receiver answers 429. */
        maxQueuedSpans: z.number().int().positive().default(50_000),
        /** Group commit: one insert takes up to this many spans ... */
        maxBatchSpans: z.number().int().positive().default(20_000),
        /** ... or whatever arrived within this window after the first waiting request. */
        maxBatchDelayMs: z.number().int().min(0).default(50),
      })
      .strict()
      .default({}),
    pricing: z.object({ overrideFile: z.string().optional() }).strict().default({}),
    retentionDays: z.number().int().positive().optional(),
  })
  .strict();

export type FlowTraceConfig = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables and the setting each one sets. */
const ENV_SETTINGS: Array<[string, string[], 'string' | 'number' | 'boolean']> = [
  ['FLOWTRACE_HOME', ['home'], 'string'],
  ['FLOWTRACE_PROJECT_ID', ['projectId'], 'string'],
  ['FLOWTRACE_OTLP_HTTP_HOST', ['otlpHttp', 'host'], 'string'],
  ['FLOWTRACE_OTLP_HTTP_PORT', ['otlpHttp', 'port'], 'number'],
  ['FLOWTRACE_MAX_REQUEST_BYTES', ['otlpHttp', 'maxRequestBytes'], 'number'],
  ['FLOWTRACE_MAX_ATTRIBUTE_VALUE_BYTES', ['otlpHttp', 'maxAttributeValueBytes'], 'number'],
  ['FLOWTRACE_API_HOST', ['api', 'host'], 'string'],
  ['FLOWTRACE_API_PORT', ['api', 'port'], 'number'],
  ['FLOWTRACE_CLICKHOUSE_HTTP_PORT', ['clickhouseHttp', 'port'], 'number'],
  ['FLOWTRACE_CLICKHOUSE_HTTP_READONLY', ['clickhouseHttp', 'readonly'], 'boolean'],
  ['FLOWTRACE_CLICKHOUSE_URL', ['clickhouse', 'url'], 'string'],
  ['FLOWTRACE_CLICKHOUSE_DATABASE', ['clickhouse', 'database'], 'string'],
  ['FLOWTRACE_CLICKHOUSE_USER', ['clickhouse', 'username'], 'string'],
  ['FLOWTRACE_CLICKHOUSE_PASSWORD', ['clickhouse', 'password'], 'string'],
  ['FLOWTRACE_PRICE_OVERRIDES', ['pricing', 'overrideFile'], 'string'],
  ['FLOWTRACE_RETENTION_DAYS', ['retentionDays'], 'number'],
];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseEnvValue(name: string, raw: string, type: 'string' | 'number' | 'boolean'): unknown {
  if (type === 'string') return raw;
  if (type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
  }
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${name}: expected a number, got "${raw}"`);
  return n;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

function readConfigFile(path: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${path}: expected a JSON object`);
    return parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
}

export interface LoadConfigOptions {
  /** Explicit config file; else ./flowtrace.config.json when present. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings from command-line flags (highest precedence). */
  overrides?: ConfigInput;
}

/** Resolves the configuration; throws ConfigError naming every invalid setting. */
export function loadConfig(options: LoadConfigOptions = {}): FlowTraceConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.FLOWTRACE_CONFIG ?? (existsSync('flowtrace.config.json') ? 'flowtrace.config.json' : undefined);
  const fromFile = file ? readConfigFile(resolve(file)) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, path, type] of ENV_SETTINGS) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(fromEnv, path, parseEnvValue(name, raw, type));
  }
  const merged = deepMerge(deepMerge(fromFile, fromEnv), (options.overrides ?? {}) as Record<string, unknown>);
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration${file ? ` (file ${file})` : ''}:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}
