// The http_get tool: GET a URL on an allow-listed host, with a timeout and a cap on the
// response size, so a workflow file cannot reach arbitrary hosts or exhaust memory.
import { z } from 'zod';
import { ToolError, type ToolFunction } from './types.ts';

export const HttpGetConfigSchema = z
  .object({
    /** Hosts the tool may contact: `example.com`, `*.example.com` (subdomains), or `host:port`. Empty = none. */
    allowHosts: z.array(z.string().min(1)).default([]),
    /** Upper bound per request; a node's `timeoutMs` may only lower it. */
    timeoutMs: z.number().int().positive().default(10_000),
    /** Upper bound on the response body; a node's `maxBytes` may only lower it. */
    maxBytes: z.number().int().positive().default(5 * 1024 * 1024),
    maxRedirects: z.number().int().min(0).default(5),
  })
  .strict();

export type HttpGetConfig = z.infer<typeof HttpGetConfigSchema>;
export type HttpGetConfigInput = z.input<typeof HttpGetConfigSchema>;

export interface HttpGetOutput {
  url: string;
  status: number;
  contentType: string;
  /** The body as text. */
  content: string;
  /** The parsed body when the response is JSON. */
  json?: unknown;
}

function isAllowed(url: URL, allowHosts: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowHosts.some((entry) => {
    const [pattern = '', allowedPort] = entry.toLowerCase().split(/:(?=\d+$)/);
    if (allowedPort !== undefined && allowedPort !== port) return false;
    return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
  });
}

function checkedUrl(raw: unknown, allowHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new ToolError('invalid_request', `http_get: not a URL: '${String(raw)}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ToolError('invalid_request', `http_get: only http and https URLs, not '${url.protocol}'`);
  }
  if (!isAllowed(url, allowHosts)) {
    throw new ToolError('tool_error', `http_get: host '${url.host}' is not in the allow-list (${allowHosts.join(', ') || 'empty'})`);
  }
  return url;
}

/** Reads the body, stopping as soon as it exceeds `maxBytes`. */
async function readCapped(response: Response, maxBytes: number, url: URL): Promise<string> {
  const tooLarge = () => new ToolError('tool_error', `http_get: response from ${url.host} exceeds ${maxBytes} bytes`);
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) return '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function lowerBound(configured: number, requested: unknown): number {
  return typeof requested === 'number' && requested > 0 ? Math.min(configured, requested) : configured;
}

async function fetchFollowing(url: URL, init: RequestInit, config: HttpGetConfig): Promise<{ response: Response; url: URL }> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await fetch(current, { ...init, redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
    await response.body?.cancel();
    if (hop >= config.maxRedirects) throw new ToolError('tool_error', `http_get: more than ${config.maxRedirects} redirects`);
    // Each hop is checked against the allow-list again.
    current = checkedUrl(new URL(location, current).href, config.allowHosts);
  }
}

export function createHttpGetTool(input: HttpGetConfigInput = {}): ToolFunction {
  const config = HttpGetConfigSchema.parse(input);
  return async (args, ctx): Promise<HttpGetOutput> => {
    const url = checkedUrl(args.url, config.allowHosts);
    const timeoutMs = lowerBound(config.timeoutMs, args.timeoutMs);
    const maxBytes = lowerBound(config.maxBytes, args.maxBytes);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const headers = (args.headers ?? {}) as Record<string, string>;
    try {
      const { response, url: finalUrl } = await fetchFollowing(url, { signal, headers }, config);
      if (!response.ok) {
        await response.body?.cancel();
        throw new ToolError('tool_error', `http_get: ${finalUrl.host} answered HTTP ${response.status}`, {
          retryable: response.status === 429 || response.status >= 500,
        });
      }
      const content = await readCapped(response, maxBytes, finalUrl);
      const contentType = response.headers.get('content-type') ?? '';
      const output: HttpGetOutput = { url: finalUrl.href, status: response.status, contentType, content };
      if (/\bjson\b/i.test(contentType)) {
        try {
          output.json = JSON.parse(content);
        } catch {
          // Mislabelled body: the text is still the output.
        }
      }
      return output;
    } catch (err) {
      if (err instanceof ToolError) throw err;
      if (ctx.signal.aborted) throw ctx.signal.reason ?? err;
      if (timeout.aborted) throw new ToolError('timeout', `http_get: no complete response from ${url.host} within ${timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ToolError('network', `http_get: ${url.host}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
    }
  };
}
