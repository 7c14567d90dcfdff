// The kafkajs client every FlowTrace Kafka component shares: brokers from one comma-separated
// setting, kafkajs' own log lines reduced to warnings and errors on stderr in one line each
// (its default logger prints JSON for every reconnect), and retries sized for riding out a
// broker restart rather than giving up after a few seconds.
import { Kafka, logLevel, type LogEntry, type RetryOptions } from 'kafkajs';

export interface KafkaClientConfig {
  /** Bootstrap servers, e.g. ['127.0.0.1:9092']. */
  brokers: string[];
  clientId: string;
  /** Retries of each request; the consumer restarts itself after the last one fails. */
  retry?: RetryOptions;
  /** Where kafkajs warnings and errors go. Default: one line on stderr. */
  log?: (line: string) => void;
}

const DEFAULT_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 5_000, retries: 8 };
const HOST_PORT = /^[^\s:,]+:\d{1,5}$/;

/** Parses `host:port[,host:port…]`; throws naming `source` (a flag or environment variable) on bad input. */
export function parseBrokers(text: string, source: string): string[] {
  const brokers = text.split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (brokers.length === 0) throw new Error(`${source}: expected host:port[,host:port…], got "${text}"`);
  for (const broker of brokers) {
    if (!HOST_PORT.test(broker)) throw new Error(`${source}: "${broker}" is not host:port`);
  }
  return brokers;
}

function describe(entry: LogEntry): string {
  const { message, error, broker, groupId, topic } = entry.log as Record<string, unknown>;
  const context = [broker && `broker ${broker}`, groupId && `group ${groupId}`, topic && `topic ${topic}`].filter(Boolean).join(', ');
  return `${message}${error ? `: ${error}` : ''}${context ? ` (${context})` : ''}`;
}

export function createKafkaClient(config: KafkaClientConfig): Kafka {
  const log = config.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: config.retry ?? DEFAULT_RETRY,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      // Per-request error responses (a rebalance in progress, a coordinator moving) are retried
      // by kafkajs; what still fails surfaces from the consumer or producer.
      if (entry.namespace === 'Connection' && String(entry.log.message).startsWith('Response ')) return;
      const level = entry.level === logLevel.ERROR ? 'error' : 'warn';
      log(`kafka ${level}: ${describe(entry)}`);
    },
  });
}
