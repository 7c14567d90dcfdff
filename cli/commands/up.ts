import type { Command } from 'commander';
import { loadConfig, type ConfigInput } from '../../core/config.ts';
import { runDemo, simulatorPortFromEnv } from '../../executor/demo/index.ts';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../pipeline/embedded.ts';
import { untilSignal } from '../lifecycle.ts';
import { parsePort } from '../options.ts';

interface UpOptions {
  config?: string;
  home?: string;
  otlpPort?: number;
  apiPort?: number;
  clickhousePort?: number;
  project?: string;
  demo?: boolean;
}

function overridesFrom(opts: UpOptions): ConfigInput {
  const overrides: ConfigInput = {};
  if (opts.home) overrides.home = opts.home;
  if (opts.project) overrides.projectId = opts.project;
  if (opts.otlpPort !== undefined) overrides.otlpHttp = { port: opts.otlpPort };
  if (opts.apiPort !== undefined) overrides.api = { port: opts.apiPort };
  if (opts.clickhousePort !== undefined) overrides.clickhouseHttp = { port: opts.clickhousePort };
  return overrides;
}

function banner(p: EmbeddedPipeline): string {
  const sql = p.endpoints.clickhouseHttp
    ? `  SQL:           flowtrace sql "SELECT * FROM runs ORDER BY StartTime DESC LIMIT 10"\n                 or any ClickHouse HTTP client / Grafana at ${p.endpoints.clickhouseHttp}\n`
    : '';
  return (
    'FlowTrace is up (embedded pipeline).\n' +
    `  Send spans:    OTEL_EXPORTER_OTLP_ENDPOINT=${p.endpoints.otlpHttp}  (OTLP/HTTP, protobuf or JSON: POST /v1/traces)\n` +
    `  Live view:     ${p.endpoints.api}/   API: ${p.endpoints.api}/api/runs   OpenAPI: ${p.endpoints.api}/api/openapi.json\n` +
    sql +
    '  Stop:          Ctrl-C (accepted spans are committed before exit)\n'
  );
}

/** Runs until SIGINT/SIGTERM, then flushes and exits cleanly. */
export async function runUp(opts: UpOptions, extra?: (pipeline: EmbeddedPipeline) => Promise<() => Promise<void>>): Promise<void> {
  const config = loadConfig({ file: opts.config, overrides: overridesFrom(opts) });
  const pipeline = await startEmbeddedPipeline(config);
  process.stdout.write(banner(pipeline));
  const stopExtra = extra ? await extra(pipeline) : async () => {};
  await untilSignal(
    async () => {
      await stopExtra();
      await pipeline.stop();
    },
    { stopping: (signal) => `\n${signal}: committing ${pipeline.queuedSpans()} queued spans and stopping…` },
  );
}

/** `--demo`: once the pipeline is up, the provider simulator and the demo runs (executor/demo). */
function demo(opts: UpOptions): (pipeline: EmbeddedPipeline) => Promise<() => Promise<void>> {
  // Settings are checked before anything starts.
  const simulatorPort = simulatorPortFromEnv();
  const { home } = loadConfig({ file: opts.config, overrides: overridesFrom(opts) });
  return async (pipeline) => (await runDemo({ endpoints: pipeline.endpoints, home, simulatorPort })).stop;
}

export function register(program: Command): void {
  program
    .command('up')
    .description('run the embedded pipeline: OTLP/HTTP ingest → processors → embedded ClickHouse → live views')
    .option('--config <file>', 'JSON config file (default ./flowtrace.config.json when present)')
    .option('--home <dir>', 'where FlowTrace keeps its data (default .flowtrace)')
    .option('--project <id>', 'project id for ingested spans (default "default")')
    .option('--otlp-port <port>', 'OTLP/HTTP port (default 4318)', parsePort)
    .option('--api-port <port>', 'API, SSE and live page port (default 8787)', parsePort)
    .option('--clickhouse-port <port>', 'ClickHouse HTTP interface port (default 8123)', parsePort)
    .option('--demo', 'also start the provider simulator (FLOWTRACE_SIMULATOR_PORT, default 4010) and run the demo workflows: a retry, a fallback, a cache hit')
    .action((opts: UpOptions) => runUp(opts, opts.demo ? demo(opts) : undefined));
}
