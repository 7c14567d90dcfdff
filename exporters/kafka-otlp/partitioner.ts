// The partition the collector's Kafka exporter picks for a keyed record: franz-go's
// StickyKeyPartitioner with SaramaCompatHasher(FNV-1a 32) — the exporter's default
// `record_partitioner` (sticky_key, hasher sarama_compat). Using the same function means a
// trace lands on the same partition whether it came through the collector or `flowtrace
// ingest --kafka`, so one processor sees all of a trace's records in order.
import type { ICustomPartitioner } from 'kafkajs';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a32(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** SaramaCompatHasher: `int32(hash) % n`, negated when negative (Go's remainder keeps the dividend's sign, as JS's does). */
export function saramaCompatPartition(key: Uint8Array, partitions: number): number {
  const partition = (fnv1a32(key) | 0) % partitions;
  return partition < 0 ? -partition : partition;
}

export const collectorCompatiblePartitioner: ICustomPartitioner = () => ({ partitionMetadata, message }) => {
  const key = message.key;
  if (key === null || key === undefined) throw new TypeError('collector-compatible partitioning needs a record key');
  return saramaCompatPartition(typeof key === 'string' ? Buffer.from(key) : key, partitionMetadata.length);
};
