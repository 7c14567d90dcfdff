// `flowtrace tail`: the tail service on its own — live page, SSE trace streams and the
// read API — over a ClickHouse server (FLOWTRACE_CLICKHOUSE_URL) or an embedded data
// directory that no `flowtrace up` is serving (`flowtrace up` already includes the tail).
import type { Command } from 'commander';
import { loadConfig, type ConfigInput } from '../../core/config.ts';
import { InProcessSpanBus } from '../../pipeline/bus/span-bus.ts';
import { openStore, storeConfigFrom } from '../../storage/index.ts';
import { tailConfigFrom } from '../../tail/config.ts';
import { createTailServer } from '../../tail/server.ts';
import { parsePort } from '../options.ts';

interface TailOptions {
  config?: string;
  home?: string;
  host?: string;
  port?: number;
  dataDir?: string;
}

function overridesFrom(opts: TailOptions): ConfigInput {
  const overrides: ConfigInput = {};
  if (opts.home) overrides.home = opts.home;
  if (opts.host !== undefined || opts.port !== undefined) overrides.api = { host: opts.host, port: opts.port };
  return overrides;
}

async function runTail(opts: TailOptions): Promise<void> {
  const config = loadConfig({ file: opts.config, overrides: overridesFrom(opts) });
  const store = openStore(storeConfigFrom(config, opts.dataDir));
  await store.migrate();
  const server = createTailServer({ store, bus: new InProcessSpanBus(), config: tailConfigFrom(config) });
  const { host, port } = await server.start();
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  process.stdout.write(
    `flowtrace tail: live page ${base}/   API ${base}/api/runs   OpenAPI ${base}/api/openapi.json\n` +
      '  Streams replay stored runs; live events need a span bus feeding this process (flowtrace up embeds one).\n',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.stop();
  await store.close();
}

export function register(program: Command): void {
  program
    .command('tail')
    .description('serve the live page, SSE trace streams and the read API over stored spans')
    .option('--config <file>', 'JSON config file (default ./flowtrace.config.json when present)')
    .option('--home <dir>', 'where FlowTrace keeps its data (default .flowtrace)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; env FLOWTRACE_API_HOST)')
    .option('--port <port>', 'port (default 8787; env FLOWTRACE_API_PORT)', parsePort)
    .option('--data-dir <dir>', 'embedded engine data directory (default <home>/data); ignored with FLOWTRACE_CLICKHOUSE_URL')
    .addHelpText(
      'after',
      `
API keys for clients not on this machine: FLOWTRACE_API_KEYS="key:project,key2:project2"
(a key of at least 16 characters; requests from loopback without a key see the default project).`,
    )
    .action((opts: TailOptions) => runTail(opts));
}
