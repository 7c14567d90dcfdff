// OTLP trace decoding and encoding shared by every source (the OTLP/HTTP receiver, the
// Kafka source reading the collector's otlp_proto records).
import type { SpanRecord } from '../../core/span.ts';
import { toSpanRecords, type DecodeOptions } from './convert.ts';
import { parseJsonRequest } from './json.ts';
import { encodeRequestMessage, parseProtobufRequest } from './protobuf.ts';
import { DecodeReport } from './report.ts';
import type { OtlpEncoding, ParsedTraceRequest } from './schema.ts';
import { findStrings } from './walk.ts';

export { DEFAULT_SPAN_LIMITS, type DecodeOptions, type SpanLimits } from './convert.ts';
export { OtlpDecodeError } from './errors.ts';
export { encodeExportTraceResponse, encodeRpcStatus, type PartialSuccess, type RpcStatusBody, type FieldViolation } from './response.ts';
export type { OtlpEncoding, ParsedTraceRequest } from './schema.ts';

export interface DecodeResult {
  /** The spans that were accepted (possibly with truncated or dropped attributes). */
  spans: SpanRecord[];
  /** Spans that could not be stored (OTLP partial success `rejected_spans`). */
  rejectedSpans: number;
  /** What was rejected or changed, one line per kind of problem, naming the first place. */
  messages: string[];
}

/** Most places listed when strings held invalid UTF-8 (the count is always given). */
const MAX_REPAIRED_PATHS = 5;

/** Reads an ExportTraceServiceRequest; throws OtlpDecodeError when the body is not one. */
export function parseExportTraceRequest(body: Uint8Array, encoding: OtlpEncoding): ParsedTraceRequest {
  return encoding === 'protobuf' ? parseProtobufRequest(body) : parseJsonRequest(body);
}

/** SpanRecords of a parsed request, with the limits applied and every change reported. */
export function decodeParsedRequest(parsed: ParsedTraceRequest, options: DecodeOptions): DecodeResult {
  const report = new DecodeReport();
  const spans = toSpanRecords(parsed.message, options, report);
  const messages = report.messages();
  if (parsed.isRepaired) messages.push(repairedUtf8Message(parsed));
  return { spans, rejectedSpans: report.rejectedSpans, messages };
}

/** Decodes an OTLP/HTTP request body (already decompressed). Throws OtlpDecodeError. */
export function decodeExportTraceRequest(body: Uint8Array, encoding: OtlpEncoding, options: DecodeOptions): DecodeResult {
  return decodeParsedRequest(parseExportTraceRequest(body, encoding), options);
}

/** The parsed request as ExportTraceServiceRequest protobuf bytes (the collector's Kafka otlp_proto value). */
export function encodeParsedRequest(parsed: ParsedTraceRequest): Uint8Array {
  return encodeRequestMessage(parsed.message);
}

/** Re-encodes an OTLP/JSON request as protobuf bytes. Throws OtlpDecodeError. */
export function jsonRequestToProtobuf(body: Uint8Array): Uint8Array {
  return encodeParsedRequest(parseJsonRequest(body));
}

function repairedUtf8Message(parsed: ParsedTraceRequest): string {
  const paths = findStrings(parsed.message, parsed.isRepaired!);
  if (paths.length === 0) return 'invalid UTF-8 replaced with U+FFFD in fields FlowTrace does not store';
  const shown = paths.slice(0, MAX_REPAIRED_PATHS).join(', ');
  const more = paths.length > MAX_REPAIRED_PATHS ? ` and ${paths.length - MAX_REPAIRED_PATHS} more` : '';
  return `invalid UTF-8 replaced with U+FFFD in ${paths.length} string field(s): ${shown}${more}`;
}
