// What both provider clients share around the SDK call: the deadline, the classification
// of failures, and the checks that catch a stream that ended without a proper answer.
import type { ProviderName } from '../contracts.ts';
import { callScope } from './deadline.ts';
import { ProviderCallError, classifyProviderError } from './errors.ts';
import type { ProviderRequest, ProviderResponse } from './types.ts';

export async function guardedCall(
  provider: ProviderName,
  req: ProviderRequest,
  signal: AbortSignal,
  call: (signal: AbortSignal) => Promise<ProviderResponse>,
): Promise<ProviderResponse> {
  const scope = callScope(signal, req.timeoutMs);
  try {
    const response = await call(scope.signal);
    // Both SDKs end a stream loop silently when its signal aborts: a complete-looking answer may be cut.
    if (scope.signal.aborted) throw scope.signal.reason;
    return response;
  } catch (err) {
    throw classifyProviderError(provider, err, scope);
  } finally {
    scope.dispose();
  }
}

/** A 200 response that carries no usable answer: worth another attempt. */
export function brokenResponse(provider: ProviderName, what: string): ProviderCallError {
  return new ProviderCallError(provider, 'provider_error', `malformed response: ${what}`, { transient: true });
}

/** Streaming bookkeeping: chunk count and time to the first chunk. */
export class StreamClock {
  chunks = 0;
  firstChunkMs: number | undefined;
  private readonly started = performance.now();

  tick(): void {
    if (this.chunks++ === 0) this.firstChunkMs = performance.now() - this.started;
  }
}

/** `server.address` / `server.port` of a base URL, which is checked here, once. */
export function serverOf(provider: ProviderName, baseUrl: string): { address: string; port: number } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`providers.${provider}.baseUrl: not a URL: "${baseUrl}"`);
  }
  return { address: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
}

export function missingKey(provider: ProviderName, envName: string): ProviderCallError {
  return new ProviderCallError(provider, 'auth', `no API key: set ${envName} or providers.${provider}.apiKey`, { transient: false });
}
