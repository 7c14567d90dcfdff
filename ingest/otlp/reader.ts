// A protobufjs reader that never rejects a request for invalid UTF-8: proto3 strings are
// decoded with U+FFFD replacement (protobufjs would throw), and the repaired strings are
// remembered so the decoder can say where they were instead of fixing them silently.
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';

export class Utf8RepairingReader extends protobuf.BufferReader {
  /** Strings that held invalid UTF-8, as decoded (with U+FFFD); null while there are none. */
  repaired: Set<string> | null = null;

  constructor(buffer: Buffer) {
    super(buffer);
    // Unknown fields (newer OTLP versions, profiling-only fields) are skipped, not kept.
    this.discardUnknown = true;
  }

  override string(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw new RangeError(`index out of range: ${start} + ${length} > ${this.len}`);
    this.pos = end;
    const buf = this.buf as Buffer;
    // Node's decoder (native, one allocation) replaces invalid sequences with U+FFFD as the WHATWG decoder does.
    const text = buf.toString('utf8', start, end);
    // U+FFFD is rare in real text, so the byte check only runs when it shows up.
    if (text.includes('\uFFFD') && !isUtf8(buf.subarray(start, end))) (this.repaired ??= new Set()).add(text);
    return text;
  }

  /** protobufjs calls this for proto3 strings, whose default is strict UTF-8 validation. */
  override stringVerify(): string {
    return this.string();
  }
}
