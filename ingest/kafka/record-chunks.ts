// Turns the records of one fetched partition batch into write-sized chunks of spans. Each
// chunk covers a contiguous offset range and is named by it, so a redelivery of the same
// range (after a crash or a rebalance) carries the same deduplication token.
import type { KafkaMessage } from 'kafkajs';
import type { SpanRecord } from '../../core/span.ts';
import { decodeExportTraceRequest, OtlpDecodeError, type DecodeOptions } from '../otlp/index.ts';
import type { DeadLetter } from './dead-letter.ts';

/** The spans of a contiguous range of one partition's records, ready to be written. */
export interface SourceBatch {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /**
   * `topic:partition:first-last@timestamp` (timestamp of the first record): the same for every
   * delivery of this range, and different for a recreated topic whose offsets start over.
   */
  dedupToken: string;
  /** Spans of the range's decodable records (possibly none). */
  spans: SpanRecord[];
  /** Records in the range, dead-lettered ones included. */
  records: number;
}

export interface DecodedChunk {
  batch: SourceBatch;
  deadLetters: DeadLetter[];
  /** Spans dropped inside decodable records (e.g. invalid ids), with the decoder's reasons. */
  rejectedSpans: number;
  problems: string[];
}

export interface ChunkLimits extends DecodeOptions {
  maxRecordBytes: number;
  maxBatchSpans: number;
}

class ChunkBuilder {
  spans: SpanRecord[] = [];
  deadLetters: DeadLetter[] = [];
  rejectedSpans = 0;
  problems: string[] = [];
  first: KafkaMessage | undefined;
  last: KafkaMessage | undefined;
  records = 0;

  constructor(
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  add(message: KafkaMessage): void {
    this.first ??= message;
    this.last = message;
    this.records++;
  }

  build(): DecodedChunk {
    const { topic, partition } = this;
    const first = this.first!.offset;
    const last = this.last!.offset;
    return {
      batch: { topic, partition, firstOffset: first, lastOffset: last, dedupToken: `${topic}:${partition}:${first}-${last}@${this.first!.timestamp}`, spans: this.spans, records: this.records },
      deadLetters: this.deadLetters,
      rejectedSpans: this.rejectedSpans,
      problems: this.problems,
    };
  }
}

/** Decodes one record's spans into the chunk, or files the record as a dead letter. */
function decodeInto(chunk: ChunkBuilder, topic: string, partition: number, message: KafkaMessage, limits: ChunkLimits): void {
  const letter = (reason: DeadLetter['reason'], error: string) => chunk.deadLetters.push({ reason, error, topic, partition, message });
  const value = message.value;
  if (value === null) return void letter('no_value', 'record has no value (a tombstone); expected an OTLP ExportTraceServiceRequest');
  if (value.length > limits.maxRecordBytes) {
    return void letter('oversized', `record value of ${value.length} bytes exceeds the limit of ${limits.maxRecordBytes} bytes`);
  }
  try {
    const result = decodeExportTraceRequest(value, 'protobuf', limits);
    for (const span of result.spans) chunk.spans.push(span);
    chunk.rejectedSpans += result.rejectedSpans;
    for (const problem of result.messages) chunk.problems.push(`${topic}/${partition}@${message.offset}: ${problem}`);
  } catch (err) {
    const reason = err instanceof OtlpDecodeError ? err.message : `decoder failed: ${(err as Error).message}`;
    letter('undecodable', `not an OTLP ExportTraceServiceRequest (protobuf): ${reason}`);
  }
}

/** Decodes `messages` lazily into chunks, closing one as soon as it holds `maxBatchSpans` spans (records are never split). */
export function* decodeChunks(topic: string, partition: number, messages: readonly KafkaMessage[], limits: ChunkLimits): Generator<DecodedChunk> {
  let chunk = new ChunkBuilder(topic, partition);
  for (const message of messages) {
    chunk.add(message);
    decodeInto(chunk, topic, partition, message, limits);
    if (chunk.spans.length >= limits.maxBatchSpans) {
      yield chunk.build();
      chunk = new ChunkBuilder(topic, partition);
    }
  }
  if (chunk.records > 0) yield chunk.build();
}
