// OtlpHttpReceiver settings: defaults per the OTLP/HTTP specification and DESIGN.md §7,
// validated once at construction so a bad value fails at start with the setting's name.
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { ConfigError } from '../../core/config.ts';
import { DEFAULT_SPAN_LIMITS } from '../otlp/index.ts';

/**
 * The project a request's spans belong to, from its headers (e.g. an API key). Throw
 * core/errors UnauthenticatedError to answer 401.
 */
export type ProjectIdResolver = (request: { headers: IncomingHttpHeaders }) => string | Promise<string>;

const positiveInt = z.number().int().positive();

const ConfigSchema = z
  .object({
    /** Loopback unless configured: the receiver has no authentication by default. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4318),
    /** Largest request body as sent (compressed or not); larger requests get 413. */
    maxRequestBytes: positiveInt.default(16 * 1024 * 1024),
    /** Largest body after gzip decompression (the specification's recommended 64 MiB); larger gets 413. */
    maxDecompressedBytes: positiveInt.default(64 * 1024 * 1024),
    maxAttributesPerSpan: positiveInt.default(DEFAULT_SPAN_LIMITS.maxAttributesPerSpan),
    maxAttributeValueBytes: positiveInt.default(DEFAULT_SPAN_LIMITS.maxAttributeValueBytes),
    projectId: z
      .custom<ProjectIdResolver>((value) => typeof value === 'function', 'expected a function (request) => project id')
      .default(() => () => 'default'),
  })
  .strict();

export type OtlpHttpReceiverConfig = z.input<typeof ConfigSchema>;
export type ResolvedOtlpHttpReceiverConfig = z.output<typeof ConfigSchema>;

export function resolveConfig(config: OtlpHttpReceiverConfig): ResolvedOtlpHttpReceiverConfig {
  const result = ConfigSchema.safeParse(config);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const value = issue.path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
    const got = issue.path.length === 0 || value === undefined || typeof value === 'function' ? '' : ` (got ${JSON.stringify(value)})`;
    return `${issue.path.join('.') || '(config)'}: ${issue.message}${got}`;
  });
  throw new ConfigError(`invalid OTLP/HTTP receiver config: ${problems.join('; ')}`);
}
