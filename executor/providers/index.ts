// The provider clients a run can call, by name. Base URLs and keys come from the config
// (`providers.<name>.baseUrl` / `.apiKey`), else OPENAI_* / ANTHROPIC_* variables.
import { FlowTraceRunError } from '../telemetry/errors.ts';
import type { ProviderName } from '../contracts.ts';
import { AnthropicProvider } from './anthropic.ts';
import { OpenAiProvider } from './openai.ts';
import type { ProviderClient, ProvidersConfig } from './types.ts';

export type { AnthropicEndpointConfig, ProviderClient, ProviderEndpointConfig, ProviderRequest, ProviderResponse, ProvidersConfig } from './types.ts';
export { ProviderCallError, classifyProviderError, retryAfterMs } from './errors.ts';
export { OpenAiProvider, openAiUsage } from './openai.ts';
export { AnthropicProvider, anthropicUsage } from './anthropic.ts';

export const PROVIDER_NAMES: readonly ProviderName[] = ['openai', 'anthropic'];

export interface ProviderRegistry {
  /** Throws FlowTraceRunError `invalid_request` naming the known providers for anything else. */
  get(name: string): ProviderClient;
}

export function createProviders(config: ProvidersConfig = {}, env: NodeJS.ProcessEnv = process.env): ProviderRegistry {
  const clients: Record<ProviderName, ProviderClient> = {
    openai: new OpenAiProvider(config.openai, env),
    anthropic: new AnthropicProvider(config.anthropic, env),
  };
  return {
    get(name) {
      if (!Object.hasOwn(clients, name)) {
        throw new FlowTraceRunError('invalid_request', `unknown provider "${name}" (known: ${PROVIDER_NAMES.join(', ')})`);
      }
      return clients[name as ProviderName];
    },
  };
}
