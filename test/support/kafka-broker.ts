// A real single-node Apache Kafka 4.1 broker (KRaft, combined broker+controller) run from the
// Maven jars that scripts/kafka/fetch.sh resolves. Ports are chosen at start and kept across
// restarts, so clients can be pointed at one bootstrap address for a whole outage test.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_MAX_MESSAGE_BYTES } from '../../core/defaults.ts';
import { forgetOnExit, ManagedProcess, removeOnExit, waitUntilReady } from './process.ts';
import { freePorts } from './ports.ts';
import { KAFKA_LOG4J_CONFIG, kafkaLibsDir } from './real-components.ts';

export interface KafkaBrokerOptions {
  /** Partitions of auto-created topics (the collector's topic is auto-created). Default 1. */
  defaultPartitions?: number;
  /** Maximum JVM heap. Default 512. */
  heapMb?: number;
  /** Time allowed for the broker to answer metadata requests after (re)start. Default 90 s. */
  startTimeoutMs?: number;
}

export interface KafkaBroker {
  /** `127.0.0.1:<port>`, the same for the broker's whole life, restarts included. */
  readonly bootstrap: string;
  /** Holds server.properties, broker.log and the log dirs. */
  readonly dataDir: string;
  /** Graceful shutdown (SIGTERM, controlled shutdown). Data and ports are kept for restart(). */
  stop(): Promise<void>;
  /** SIGKILL, as in a crash. Data and ports are kept for restart(). */
  kill(): Promise<void>;
  /** Starts again with the same ports and data (stopping first if running); resolves when it serves. */
  restart(): Promise<void>;
  /** Creates a topic (replication 1) and waits for its partition leaders; no-op if it exists. */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Stops the broker and deletes its data. */
  destroy(): Promise<void>;
}

const JVM_FLAGS = [
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxDirectMemorySize=256m',
  '-Djava.awt.headless=true',
];

function serverProperties(dataDir: string, brokerPort: number, controllerPort: number, partitions: number): string {
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    // Static voters: a plain `format` works, no --standalone bootstrap needed.
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(dataDir, 'data')}`,
    `num.partitions=${partitions}`,
    'auto.create.topics.enable=true',
    `message.max.bytes=${KAFKA_MAX_MESSAGE_BYTES}`,
    // Single node: every internal topic has one replica and (for start-up speed) one partition.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // After kill(), the controller refuses the restarted broker (DUPLICATE_BROKER_REGISTRATION)
    // until the old session expires: 3 s instead of the default 9 s.
    'broker.session.timeout.ms=3000',
    'broker.heartbeat.interval.ms=750',
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
  ].join('\n')}\n`;
}

/** A Kafka cluster id: 16 random bytes, base64url; Kafka rejects ids starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

class LocalKafkaBroker implements KafkaBroker {
  private process: ManagedProcess | undefined;
  private readonly kafka: Kafka;

  constructor(
    readonly bootstrap: string,
    readonly dataDir: string,
    private readonly javaArgs: string[],
    private readonly startTimeoutMs: number,
  ) {
    this.kafka = new Kafka({ clientId: 'flowtrace-test-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  }

  async start(): Promise<void> {
    this.process = await ManagedProcess.start({
      name: `kafka broker ${this.bootstrap}`,
      command: 'java',
      args: this.javaArgs,
      logFile: join(this.dataDir, 'broker.log'),
    });
    await waitUntilReady(this.process, () => this.answersMetadata(), this.startTimeoutMs, 'serving metadata');
  }

  private async answersMetadata(): Promise<boolean> {
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }

  async kill(): Promise<void> {
    await this.process?.kill();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
    forgetOnExit(this.dataDir);
  }
}

async function formatStorage(libs: string, properties: string, logDir: string): Promise<void> {
  const tool = await ManagedProcess.start({
    name: 'kafka storage format',
    command: 'java',
    args: ['-Xmx256m', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG}`, `-Dkafka.logs.dir=${logDir}`,
      '-cp', join(libs, '*'), 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties, '--ignore-formatted'],
    logFile: join(logDir, 'format.log'),
  });
  const exit = await tool.exited;
  if (exit.code !== 0) throw tool.failure('formatting the storage failed');
}

/**
 * Starts a fresh broker in a new temporary directory and resolves once it answers metadata
 * requests. Throws MissingComponentError (pointing to scripts/setup-real-components.sh) when the
 * jars were not fetched. The broker is killed and its data removed when the test process exits.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const libs = kafkaLibsDir();
  const dataDir = mkdtempSync(join(tmpdir(), 'flowtrace-kafka-'));
  removeOnExit(dataDir);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir);
  const [brokerPort, controllerPort] = await freePorts(2);
  const properties = join(dataDir, 'server.properties');
  writeFileSync(properties, serverProperties(dataDir, brokerPort, controllerPort, options.defaultPartitions ?? 1));
  await formatStorage(libs, properties, logDir);

  const heapMb = options.heapMb ?? 512;
  const javaArgs = [`-Xms${Math.min(256, heapMb)}m`, `-Xmx${heapMb}m`, ...JVM_FLAGS,
    `-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG}`, `-Dkafka.logs.dir=${logDir}`,
    '-cp', join(libs, '*'), 'kafka.Kafka', properties];
  const broker = new LocalKafkaBroker(`127.0.0.1:${brokerPort}`, dataDir, javaArgs, options.startTimeoutMs ?? 90_000);
  try {
    await broker.start();
  } catch (err) {
    await broker.kill();
    throw err;
  }
  return broker;
}
