// The processor chain every ingest path runs: normalise → cost → taxonomy. Same code in
// the embedded pipeline and behind Kafka (DESIGN.md §1).
import type { EnrichedSpan, SpanRecord } from '../core/span.ts';
import { CostEnricher } from './cost/index.ts';
import { DialectNormaliser } from './normalise/index.ts';
import { FailureClassifier } from './taxonomy/index.ts';

export interface ProcessorChainConfig {
  /** JSON file of user price overrides (processors/cost/README.md); none by default. */
  priceOverrideFile?: string;
}

export interface ProcessorChain {
  /** One enriched span per record, in order; never drops a record. */
  process(records: readonly SpanRecord[]): EnrichedSpan[];
}

const CONFIG_KEYS: ReadonlySet<string> = new Set(['priceOverrideFile']);

function validateConfig(config: ProcessorChainConfig): void {
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.has(key)) throw new TypeError(`processor chain config: unknown option '${key}' (known: ${[...CONFIG_KEYS].join(', ')})`);
  }
  const file = config.priceOverrideFile;
  if (file !== undefined && (typeof file !== 'string' || file === '')) {
    throw new TypeError('processor chain config: priceOverrideFile must be a non-empty file path');
  }
}

/** Builds the chain; throws (with the file and the exact place) when the price override file is invalid. */
export function createProcessorChain(config: ProcessorChainConfig = {}): ProcessorChain {
  validateConfig(config);
  const normaliser = new DialectNormaliser();
  const costs = new CostEnricher(config.priceOverrideFile === undefined ? {} : { priceOverrideFile: config.priceOverrideFile });
  const failures = new FailureClassifier();
  return {
    process(records) {
      const enriched = new Array<EnrichedSpan>(records.length);
      for (let i = 0; i < records.length; i++) {
        enriched[i] = failures.classify(costs.enrich(normaliser.normalise(records[i]!)));
      }
      return enriched;
    },
  };
}
