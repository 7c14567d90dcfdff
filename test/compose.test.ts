// docker-compose.yml, otel-collector-config.yaml and the code share names, ports and limits that
// nothing else checks before a user runs `docker compose up` (there is no Docker engine here).
// These tests hold them to core/defaults.ts, core/config.ts, the CLI and the files in the repo.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commands } from '../cli/commands/index.ts';
import { loadConfig } from '../core/config.ts';
import { COLLECTOR_ENV, DEFAULT_PORTS, FLOWTRACE_ENV, KAFKA_MAX_MESSAGE_BYTES, KAFKA_TOPICS, SPANS_ENCODING } from '../core/defaults.ts';
import { REPO_ROOT } from './support/real-components.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- parsed YAML is checked field by field */
type Yaml = any;

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const compose: Yaml = parse(read('docker-compose.yml'), { merge: true });
const collectorConfigText = read('otel-collector-config.yaml');
const collectorConfig: Yaml = parse(collectorConfigText);
const services: Record<string, Yaml> = compose.services;
const kafkaExporter: Yaml = collectorConfig.exporters.kafka;

/** Compose-style `${NAME:-default}` interpolation with an empty environment. */
function interpolate(value: unknown): string {
  return String(value).replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g, (_m, fallback: string | undefined) => fallback ?? '');
}

/** The collector's `${env:NAME:-default}` references: name → default. */
function collectorEnvDefaults(): Map<string, string> {
  const refs = new Map<string, string>();
  for (const m of collectorConfigText.matchAll(/\$\{env:([A-Z0-9_]+)(?::-([^}]*))?\}/g)) refs.set(m[1], m[2] ?? '');
  return refs;
}

function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

/** `[host:]hostPort:containerPort` → container port. */
function publishedContainerPorts(service: Yaml): number[] {
  return (service.ports ?? []).map((p: string) => portOf(interpolate(p)));
}

function env(service: Yaml): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
}

/** Bind mounts as [host path relative to the repo, container path]. */
function bindMounts(service: Yaml): Array<[string, string]> {
  return (service.volumes ?? [])
    .filter((v: string) => v.startsWith('./'))
    .map((v: string) => v.split(':').slice(0, 2) as [string, string]);
}

const flowtraceServices = Object.entries(services).filter(([, s]) => s.build === '.');

describe('otel-collector-config.yaml', () => {
  it('exports traces to the spans topic as OTLP protobuf, one trace per record', () => {
    expect(kafkaExporter.traces.topic).toBe(KAFKA_TOPICS.SPANS);
    expect(kafkaExporter.traces.encoding).toBe(SPANS_ENCODING);
    expect(kafkaExporter.partition_traces_by_id).toBe(true);
    expect(collectorConfig.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'batch'], // the limiter must see data before anything buffers it
      exporters: ['kafka'],
    });
  });

  it('keeps a full batch under the record size limit the broker accepts', () => {
    const { send_batch_size, send_batch_max_size } = collectorConfig.processors.batch;
    expect(kafkaExporter.producer.max_message_bytes).toBe(KAFKA_MAX_MESSAGE_BYTES);
    expect(send_batch_size).toBeLessThanOrEqual(send_batch_max_size);
    expect(send_batch_max_size * 4096).toBeLessThanOrEqual(KAFKA_MAX_MESSAGE_BYTES);
  });

  it('retries and queues long enough to ride out a 20 s broker outage without dropping', () => {
    const retry = kafkaExporter.retry_on_failure;
    expect(retry.enabled).toBe(true);
    expect(durationMs(retry.max_elapsed_time)).toBeGreaterThanOrEqual(60_000);
    expect(durationMs(retry.max_interval)).toBeLessThanOrEqual(10_000); // resumes soon after the broker returns
    expect(kafkaExporter.sending_queue).toMatchObject({ enabled: true, block_on_overflow: true });
  });

  it('reads exactly the environment variables core/defaults.ts names, defaulting to loopback', () => {
    const refs = collectorEnvDefaults();
    expect([...refs.keys()].sort()).toEqual(Object.values(COLLECTOR_ENV).sort());
    expect(refs.get(COLLECTOR_ENV.OTLP_GRPC_ENDPOINT)).toBe(`127.0.0.1:${DEFAULT_PORTS.OTLP_GRPC}`);
    expect(refs.get(COLLECTOR_ENV.OTLP_HTTP_ENDPOINT)).toBe(`127.0.0.1:${DEFAULT_PORTS.OTLP_HTTP}`);
    expect(refs.get(COLLECTOR_ENV.HEALTH_CHECK_ENDPOINT)).toBe(`127.0.0.1:${DEFAULT_PORTS.COLLECTOR_HEALTH}`);
    expect(refs.get(COLLECTOR_ENV.KAFKA_BROKERS)).toBe(`127.0.0.1:${DEFAULT_PORTS.KAFKA}`);
  });
});

describe('docker-compose.yml', () => {
  const kafkaEnv = env(services.kafka);
  const kafkaAddress = kafkaEnv.KAFKA_ADVERTISED_LISTENERS.replace(/^PLAINTEXT:\/\//, '');
  const clickhouseEnv = env(services.clickhouse);

  it('runs the collector on the repository config, wired to Kafka and publishing the OTLP ports it listens on', () => {
    const collector = services.collector;
    const [[, target]] = bindMounts(collector).filter(([source]) => source === './otel-collector-config.yaml');
    expect(collector.command).toContain(`--config=${target}`);
    const collectorEnv = env(collector);
    for (const name of Object.keys(collectorEnv)) expect(Object.values(COLLECTOR_ENV)).toContain(name);
    expect(collectorEnv[COLLECTOR_ENV.KAFKA_BROKERS]).toBe(kafkaAddress);
    const listening = [COLLECTOR_ENV.OTLP_GRPC_ENDPOINT, COLLECTOR_ENV.OTLP_HTTP_ENDPOINT].map((k) => collectorEnv[k]);
    for (const endpoint of listening) expect(endpoint.startsWith('0.0.0.0:')).toBe(true);
    expect(publishedContainerPorts(collector).sort()).toEqual(listening.map(portOf).sort());
    expect(listening.map(portOf).sort()).toEqual([DEFAULT_PORTS.OTLP_GRPC, DEFAULT_PORTS.OTLP_HTTP]);
  });

  it('pins the collector and Kafka images to the versions the tests run', () => {
    const manifest = read('collector/builder-config.yaml');
    const otlpReceiver = /collector\/receiver\/otlpreceiver v(\S+)/.exec(manifest)![1];
    expect(services.collector.image).toBe(`otel/opentelemetry-collector-contrib:${otlpReceiver}`);
    const kafkaVersion = /<kafka\.version>([^<]+)</.exec(read('scripts/kafka/pom.xml'))![1];
    expect(services.kafka.image).toBe(`apache/kafka:${kafkaVersion}`);
  });

  it('configures the broker as the collector and the tests expect', () => {
    expect(Number(kafkaEnv.KAFKA_MESSAGE_MAX_BYTES)).toBe(KAFKA_MAX_MESSAGE_BYTES);
    expect(kafkaEnv.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafkaAddress).toBe(`kafka:${DEFAULT_PORTS.KAFKA}`);
  });

  it('points every FlowTrace service at the kafka and clickhouse services with matching credentials', () => {
    expect(flowtraceServices.map(([name]) => name)).toEqual(expect.arrayContaining(['processor', 'tail']));
    for (const name of ['processor', 'tail']) {
      const e = env(services[name]);
      expect(e[FLOWTRACE_ENV.KAFKA_BROKERS]).toBe(kafkaAddress);
      expect(e.FLOWTRACE_CLICKHOUSE_URL).toBe(`http://clickhouse:${DEFAULT_PORTS.CLICKHOUSE_HTTP}`);
      expect(e.FLOWTRACE_CLICKHOUSE_USER).toBe(clickhouseEnv.CLICKHOUSE_USER);
      expect(e.FLOWTRACE_CLICKHOUSE_PASSWORD).toBe(clickhouseEnv.CLICKHOUSE_PASSWORD);
      expect(e.FLOWTRACE_CLICKHOUSE_DATABASE).toBe(clickhouseEnv.CLICKHOUSE_DB);
    }
    expect(env(services.executor).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(`http://collector:${DEFAULT_PORTS.OTLP_HTTP}`);
  });

  it('sets only FLOWTRACE_* variables the code reads', () => {
    const outcome = (name: string, value: string) => {
      try {
        return JSON.stringify(loadConfig({ env: { [name]: value } }));
      } catch (err) {
        return (err as Error).message;
      }
    };
    const declared = new Set<string>(Object.values(FLOWTRACE_ENV));
    for (const [, service] of flowtraceServices) {
      for (const [name, value] of Object.entries(env(service))) {
        if (!name.startsWith('FLOWTRACE_') || declared.has(name)) continue;
        // A variable core/config.ts reads changes the configuration (or its error) when its value changes.
        expect(outcome(name, value), `${name} is neither in core/defaults.ts nor read by core/config.ts`).not.toBe(outcome(name, `${value}1`));
      }
    }
  });

  it('runs FlowTrace services with subcommands and flags the CLI has', () => {
    const program = new Command('flowtrace');
    for (const register of commands) register(program);
    for (const [name, service] of flowtraceServices) {
      const [subcommand, ...args] = service.command as string[];
      const command = program.commands.find((c) => c.name() === subcommand);
      expect(command, `service ${name}: no \`flowtrace ${subcommand}\` command`).toBeDefined();
      const known = command!.options.map((o) => o.long);
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(known, `service ${name}: flowtrace ${subcommand} ${flag}`).toContain(flag);
    }
  });

  it('gives Grafana everything its provisioning files reference', () => {
    const grafana = services.grafana;
    const grafanaEnv = env(grafana);
    expect(grafanaEnv.GF_INSTALL_PLUGINS).toContain('grafana-clickhouse-datasource');
    const provisioning = ['datasources/clickhouse.yaml', 'dashboards/flowtrace.yaml'].map((f) => read(`dashboards/provisioning/${f}`));
    const referenced = new Set(provisioning.flatMap((text) => [...text.matchAll(/\$\{?([A-Z0-9_]+)\}?/g)].map((m) => m[1])));
    for (const name of referenced) expect(grafanaEnv, `grafana env lacks ${name}`).toHaveProperty(name);
    expect(grafanaEnv.FLOWTRACE_CLICKHOUSE_HOST).toBe('clickhouse');
    expect(Number(grafanaEnv.FLOWTRACE_CLICKHOUSE_PORT)).toBe(DEFAULT_PORTS.CLICKHOUSE_HTTP);
    expect(grafanaEnv.FLOWTRACE_CLICKHOUSE_PASSWORD).toBe(clickhouseEnv.CLICKHOUSE_PASSWORD);

    const mounts = new Map(bindMounts(grafana));
    expect(mounts.get('./dashboards/provisioning/datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(mounts.get('./dashboards/provisioning/dashboards')).toBe('/etc/grafana/provisioning/dashboards');
    const provider: Yaml = parse(provisioning[1]);
    expect(mounts.get('./dashboards/json')).toBe(provider.providers[0].options.path);
    expect(readdirSync(join(REPO_ROOT, 'dashboards/json')).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
  });

  it('mounts only files and folders that exist in the repository', () => {
    const sources = Object.values(services).flatMap((s) => bindMounts(s).map(([source]) => source));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
  });

  it('builds FlowTrace services from a Dockerfile that runs the flowtrace bin', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    // Installs the locked dependencies (npm install: the lockfile lists only this platform's binaries).
    expect(dockerfile).toMatch(/^COPY package.json package-lock.json/m);
    expect(dockerfile).toMatch(/^RUN npm install\b/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/flowtrace\.js"\]$/m);
    expect(JSON.parse(read('package.json')).bin.flowtrace).toBe('bin/flowtrace.js');
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.cache', '.git']));
  });
});
