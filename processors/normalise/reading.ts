import type { SpanRecord, TokenUsage } from '../../core/span.ts';

/** What one dialect reader makes of a span, before the normaliser adds the shared facts. */
export interface DialectReading {
  operation: string;
  provider: string;
  requestModel: string;
  responseModel: string;
  usage: TokenUsage | undefined;
  finishReasons: string[];
  /** An outer span that repeats the usage of the inference spans inside it (never billed). */
  wrapper: boolean;
}

export type DialectReader = (span: SpanRecord) => DialectReading;
