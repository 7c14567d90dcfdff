export { DistributedProcessor, type DistributedProcessorConfig, type DistributedProcessorDeps } from './distributed-processor.ts';
export { ProcessorMetrics } from './processor-metrics.ts';
