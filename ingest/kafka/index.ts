export { createKafkaClient, parseBrokers, type KafkaClientConfig } from './client.ts';
export type { KafkaSpanSourceConfig, ResolvedKafkaSpanSourceConfig } from './config.ts';
export { DEAD_LETTER_HEADERS, type DeadLetter, type DeadLetterReason } from './dead-letter.ts';
export { KafkaSpanSource, type BatchWriter, type PartitionLag, type RetriedStep, type SourceObserver } from './kafka-span-source.ts';
export type { SourceBatch } from './record-chunks.ts';
