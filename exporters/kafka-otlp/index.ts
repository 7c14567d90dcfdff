export { KafkaOtlpExporter, type KafkaOtlpExporterConfig } from './kafka-otlp-exporter.ts';
export { collectorCompatiblePartitioner, saramaCompatPartition } from './partitioner.ts';
export { splitByTraceId, type TraceRequest } from './split-by-trace.ts';
