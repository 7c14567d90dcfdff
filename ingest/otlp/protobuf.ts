// Binary OTLP: ExportTraceServiceRequest bytes ⇄ the decoded message shape.
import { OtlpDecodeError } from './errors.ts';
import { Utf8RepairingReader } from './reader.ts';
import { ExportTraceServiceRequest, type ExportTraceRequestMessage, type ParsedTraceRequest } from './schema.ts';

/** A Buffer view of the same memory (protobufjs' Node reader needs Buffer methods). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseProtobufRequest(body: Uint8Array): ParsedTraceRequest {
  const reader = new Utf8RepairingReader(asBuffer(body));
  let message: ExportTraceRequestMessage;
  try {
    message = ExportTraceServiceRequest.decode(reader) as ExportTraceRequestMessage;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new OtlpDecodeError('', `malformed protobuf ExportTraceServiceRequest (${body.byteLength} bytes, failed near byte ${reader.pos}): ${reason}`);
  }
  const repaired = reader.repaired;
  return { message, isRepaired: repaired && ((text) => repaired.has(text)) };
}

/** The message as ExportTraceServiceRequest protobuf bytes. */
export function encodeRequestMessage(message: ExportTraceRequestMessage): Uint8Array {
  return ExportTraceServiceRequest.encode(message).finish();
}
