export { EnrichedSpanPublisher, type EnrichedSpanPublisherConfig } from './enriched-span-publisher.ts';
export { ENRICHED_SCHEMA, parseEnrichedRecord, summarize, type EnrichedRunRecord, type EnrichedSpanSummary } from './summary.ts';
