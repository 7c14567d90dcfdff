// OTLP/HTTP response bodies in the request's encoding: ExportTraceServiceResponse on 200,
// google.rpc.Status on every 4xx/5xx (with a google.rpc.BadRequest detail for bad data, as
// the specification recommends). JSON forms follow the proto3 JSON mapping.
import { BadRequest, ExportTraceServiceResponse, RpcStatus, type OtlpEncoding } from './schema.ts';

export interface PartialSuccess {
  rejectedSpans: number;
  /** Why spans were rejected, or a warning about accepted data (then rejectedSpans is 0). */
  errorMessage: string;
}

export interface FieldViolation {
  /** Path of the offending value, e.g. `resourceSpans[0].scopeSpans[0].spans[3].kind`. */
  field: string;
  description: string;
}

export interface RpcStatusBody {
  /** google.rpc.Code (informational in OTLP/HTTP; clients act on the HTTP status). */
  code: number;
  message: string;
  fieldViolations?: FieldViolation[];
}

const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';
const utf8 = new TextEncoder();

/**
 * The 200 body. Without `partialSuccess` the field is left unset, as the specification
 * requires for full success (an empty protobuf message, `{}` in JSON).
 */
export function encodeExportTraceResponse(encoding: OtlpEncoding, partialSuccess?: PartialSuccess): Uint8Array {
  if (encoding === 'protobuf') return ExportTraceServiceResponse.encode({ partialSuccess }).finish();
  if (!partialSuccess) return utf8.encode('{}');
  const { rejectedSpans, errorMessage } = partialSuccess;
  // proto3 JSON: int64 as a string, fields with default values omitted.
  const json: Record<string, string> = {};
  if (rejectedSpans !== 0) json.rejectedSpans = String(rejectedSpans);
  if (errorMessage !== '') json.errorMessage = errorMessage;
  return utf8.encode(JSON.stringify({ partialSuccess: json }));
}

/** A google.rpc.Status body for a 4xx/5xx response. */
export function encodeRpcStatus(encoding: OtlpEncoding, status: RpcStatusBody): Uint8Array {
  const violations = status.fieldViolations ?? [];
  if (encoding === 'json') {
    const details = violations.length > 0 ? [{ '@type': BAD_REQUEST_TYPE_URL, fieldViolations: violations }] : undefined;
    return utf8.encode(JSON.stringify({ code: status.code, message: status.message, details }));
  }
  const details =
    violations.length > 0 ? [{ typeUrl: BAD_REQUEST_TYPE_URL, value: BadRequest.encode({ fieldViolations: violations }).finish() }] : [];
  return RpcStatus.encode({ code: status.code, message: status.message, details }).finish();
}
