// Runs a single-node Kafka broker on free loopback ports until Ctrl-C, for trying the
// distributed path by hand: `npx tsx scripts/kafka/start.ts [--partitions N]`.
import { parseArgs } from 'node:util';
import { KAFKA_TOPICS } from '../../core/defaults.ts';
import { startKafkaBroker } from '../../test/support/kafka-broker.ts';

const { values } = parseArgs({ options: { partitions: { type: 'string', default: '3' } } });
const partitions = Number(values.partitions);
if (!Number.isInteger(partitions) || partitions < 1) {
  process.stderr.write(`--partitions: expected a positive integer, got "${values.partitions}"\n`);
  process.exit(1);
}

try {
  const broker = await startKafkaBroker({ defaultPartitions: partitions });
  for (const topic of Object.values(KAFKA_TOPICS)) await broker.createTopic(topic, partitions);
  process.stdout.write(`kafka broker ready: FLOWTRACE_KAFKA_BROKERS=${broker.bootstrap} (data ${broker.dataDir}); Ctrl-C stops it\n`);
  const shutdown = () => broker.destroy().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (err) {
  process.stderr.write(`kafka: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
