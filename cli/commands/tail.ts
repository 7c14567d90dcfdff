// `flowtrace tail`: the tail service on its own — live page, SSE trace streams and the
// read API — over a ClickHouse server (FLOWTRACE_CLICKHOUSE_URL) or an embedded data
// directory that no `flowtrace up` is serving (`flowtrace up` already includes the tail).
// Live events come from the `flowtrace.enriched` topic when Kafka brokers are configured.
import type { Command } from 'commander';
import { loadConfig, type ConfigInput } from '../../core/config.ts';
import { FLOWTRACE_ENV, KAFKA_TOPICS } from '../../core/defaults.ts';
import { createKafkaClient } from '../../ingest/kafka/index.ts';
import { InProcessSpanBus } from '../../pipeline/bus/span-bus.ts';
import { openStore, storeConfigFrom } from '../../storage/index.ts';
import type { SpanStore } from '../../storage/store.ts';
import { tailConfigFrom } from '../../tail/config.ts';
import { EnrichedTopicBus } from '../../tail/kafka/enriched-topic-bus.ts';
import { createTailServer } from '../../tail/server.ts';
import { untilSignal } from '../lifecycle.ts';
import { parsePort } from '../options.ts';
import { brokersSetting, setting } from './kafka-settings.ts';

interface TailOptions {
  config?: string;
  home?: string;
  host?: string;
  port?: number;
  dataDir?: string;
  brokers?: string;
  enrichedTopic?: string;
}

function overridesFrom(opts: TailOptions): ConfigInput {
  const overrides: ConfigInput = {};
  if (opts.home) overrides.home = opts.home;
  if (opts.host !== undefined || opts.port !== undefined) overrides.api = { host: opts.host, port: opts.port };
  return overrides;
}

/** The live feed: the enriched topic when brokers are configured, else none (history only). */
async function liveFeed(opts: TailOptions, store: SpanStore): Promise<{ bus: InProcessSpanBus; stop(): Promise<void>; describe: string }> {
  if (opts.brokers === undefined && !process.env[FLOWTRACE_ENV.KAFKA_BROKERS]) {
    return { bus: new InProcessSpanBus(), stop: async () => {}, describe: 'no live feed (set FLOWTRACE_KAFKA_BROKERS): streams replay what is stored' };
  }
  const brokers = brokersSetting(opts.brokers);
  const topic = setting(opts.enrichedTopic, FLOWTRACE_ENV.KAFKA_ENRICHED_TOPIC, KAFKA_TOPICS.ENRICHED).value;
  const bus = new EnrichedTopicBus(createKafkaClient({ brokers, clientId: 'flowtrace-tail' }), store, { topic });
  await bus.start();
  return { bus, stop: () => bus.stop(), describe: `live from Kafka topic ${topic} (${brokers.join(',')})` };
}

async function runTail(opts: TailOptions): Promise<void> {
  const config = loadConfig({ file: opts.config, overrides: overridesFrom(opts) });
  const store = openStore(storeConfigFrom(config, opts.dataDir));
  await store.migrate();
  const feed = await liveFeed(opts, store);
  const server = createTailServer({ store, bus: feed.bus, config: tailConfigFrom(config) });
  const { host, port } = await server.start();
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  process.stdout.write(`flowtrace tail: live page ${base}/   API ${base}/api/runs   OpenAPI ${base}/api/openapi.json\n  ${feed.describe}\n`);
  await untilSignal(async () => {
    await server.stop();
    await feed.stop();
    await store.close();
  });
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
    .option('--brokers <list>', `Kafka bootstrap servers for live events (env ${FLOWTRACE_ENV.KAFKA_BROKERS})`)
    .option('--enriched-topic <name>', `topic \`flowtrace process\` announces stored spans on (env ${FLOWTRACE_ENV.KAFKA_ENRICHED_TOPIC}, default ${KAFKA_TOPICS.ENRICHED})`)
    .addHelpText(
      'after',
      `
API keys for clients not on this machine: FLOWTRACE_API_KEYS="key:project,key2:project2"
(a key of at least 16 characters; requests from loopback without a key see the default project).`,
    )
    .action((opts: TailOptions) => runTail(opts));
}
