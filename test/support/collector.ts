// The real OpenTelemetry Collector built from collector/builder-config.yaml, running the
// repository's otel-collector-config.yaml with loopback endpoints on free ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_ENV } from '../../core/defaults.ts';
import { freePorts } from './ports.ts';
import { forgetOnExit, ManagedProcess, removeOnExit, waitUntilReady } from './process.ts';
import { COLLECTOR_CONFIG, collectorBinary } from './real-components.ts';

export interface CollectorOptions {
  /** Comma-separated Kafka bootstrap servers, e.g. `broker.bootstrap`. */
  kafkaBrokers: string;
  /** Default: a free port. */
  otlpHttpPort?: number;
  /** Default: a free port. */
  otlpGrpcPort?: number;
  /** Time allowed until the health check reports ready. Default 30 s. */
  startTimeoutMs?: number;
}

export interface RunningCollector {
  /** OTLP/HTTP base URL, e.g. `http://127.0.0.1:41234` (traces at `/v1/traces`). */
  readonly otlpHttpEndpoint: string;
  /** OTLP/gRPC endpoint, e.g. `http://127.0.0.1:41235`. */
  readonly otlpGrpcEndpoint: string;
  /** The collector's own Prometheus metrics (`otelcol_exporter_sent_spans` etc.). */
  readonly metricsUrl: string;
  /** collector.log: the collector's stdout and stderr (removed by stop()). */
  readonly logFile: string;
  /** Graceful shutdown (the collector flushes its queue to Kafka while it can), then removes its files. */
  stop(): Promise<void>;
}

async function isHealthy(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  return response.ok;
}

/**
 * Starts the collector and resolves once its health check reports ready. Throws
 * MissingComponentError (pointing to scripts/setup-real-components.sh) when it was not built.
 * The process is killed when the test process exits.
 */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const binary = collectorBinary();
  const workDir = mkdtempSync(join(tmpdir(), 'flowtrace-collector-'));
  removeOnExit(workDir);
  const [httpPort, grpcPort, healthPort, metricsPort] = await freePorts(4);
  const otlpHttpPort = options.otlpHttpPort ?? httpPort;
  const otlpGrpcPort = options.otlpGrpcPort ?? grpcPort;
  const logFile = join(workDir, 'collector.log');

  const proc = await ManagedProcess.start({
    name: 'otel collector',
    command: binary,
    args: ['--config', COLLECTOR_CONFIG],
    logFile,
    env: {
      ...process.env,
      [COLLECTOR_ENV.OTLP_HTTP_ENDPOINT]: `127.0.0.1:${otlpHttpPort}`,
      [COLLECTOR_ENV.OTLP_GRPC_ENDPOINT]: `127.0.0.1:${otlpGrpcPort}`,
      [COLLECTOR_ENV.HEALTH_CHECK_ENDPOINT]: `127.0.0.1:${healthPort}`,
      [COLLECTOR_ENV.METRICS_HOST]: '127.0.0.1',
      [COLLECTOR_ENV.METRICS_PORT]: String(metricsPort),
      [COLLECTOR_ENV.KAFKA_BROKERS]: options.kafkaBrokers,
    },
  });
  const healthUrl = `http://127.0.0.1:${healthPort}/`;
  try {
    await waitUntilReady(proc, () => isHealthy(healthUrl), options.startTimeoutMs ?? 30_000, 'healthy');
  } catch (err) {
    await proc.kill();
    throw err;
  }

  return {
    otlpHttpEndpoint: `http://127.0.0.1:${otlpHttpPort}`,
    otlpGrpcEndpoint: `http://127.0.0.1:${otlpGrpcPort}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    logFile,
    stop: async () => {
      await proc.stop();
      rmSync(workDir, { recursive: true, force: true });
      forgetOnExit(workDir);
    },
  };
}
