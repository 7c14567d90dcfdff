// `flowtrace simulate`: the provider simulator as a standalone server, for running the
// executor, demos and benchmarks against the real SDKs without provider accounts.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ProviderSimulator, validateSimulatorConfig, type SimulatedCall, type SimulatorConfig } from '../../executor/simulator/index.ts';
import { untilSignal } from '../lifecycle.ts';

const DEFAULT_PORT = 4010;
const DEFAULT_HOST = '127.0.0.1';

interface SimulateFlags {
  port?: string;
  host?: string;
  config?: string;
  quiet?: boolean;
}

function parsePort(raw: string, source: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`${source}: expected a port number between 0 and 65535, got "${raw}"`);
  return port;
}

function readConfig(file: string): SimulatorConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`simulator config ${file}: ${(err as Error).message}`);
  }
  try {
    return validateSimulatorConfig(parsed);
  } catch (err) {
    throw new Error(`simulator config ${file}: ${(err as Error).message}`);
  }
}

function logCall(call: SimulatedCall): void {
  const kind = call.stream ? 'stream' : 'call';
  process.stdout.write(`${new Date().toISOString()} ${call.provider} ${call.model} ${kind} #${call.call}: ${call.fault ?? 'ok'}\n`);
}

async function simulate(flags: SimulateFlags): Promise<void> {
  const env = process.env;
  const port = flags.port !== undefined
    ? parsePort(flags.port, '--port')
    : env.FLOWTRACE_SIMULATOR_PORT
      ? parsePort(env.FLOWTRACE_SIMULATOR_PORT, 'FLOWTRACE_SIMULATOR_PORT')
      : DEFAULT_PORT;
  const host = flags.host ?? (env.FLOWTRACE_SIMULATOR_HOST || DEFAULT_HOST);
  const configFile = flags.config ?? (env.FLOWTRACE_SIMULATOR_CONFIG || undefined);
  const config = configFile ? readConfig(configFile) : {};

  const simulator = new ProviderSimulator(config, { host, port, onCall: flags.quiet ? undefined : logCall });
  const address = await simulator.start();
  process.stdout.write(
    [
      `provider simulator listening on ${address.anthropicBaseUrl}${configFile ? ` (config ${configFile})` : ''}`,
      `  OpenAI base URL:    ${address.openaiBaseUrl}`,
      `  Anthropic base URL: ${address.anthropicBaseUrl}`,
      `  admin: GET /_simulator/stats, GET|PUT /_simulator/config, POST /_simulator/reset, GET /health`,
      '',
    ].join('\n'),
  );
  await untilSignal(() => simulator.stop());
  process.exit();
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('Run the local OpenAI / Anthropic API simulator: deterministic answers and usage, latency, fault injection')
    .option('-p, --port <port>', `port to listen on (env FLOWTRACE_SIMULATOR_PORT, default ${DEFAULT_PORT}; 0 = any free port)`)
    .option('--host <host>', `interface to bind (env FLOWTRACE_SIMULATOR_HOST, default ${DEFAULT_HOST})`)
    .option('-c, --config <file>', 'JSON configuration: latency, fault rules, caching (env FLOWTRACE_SIMULATOR_CONFIG)')
    .option('-q, --quiet', 'do not log each call')
    .action((flags: SimulateFlags) => simulate(flags));
}
