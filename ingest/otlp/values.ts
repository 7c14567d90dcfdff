// OTLP values as the collector's ClickHouse exporter stores them: every attribute value
// becomes pdata's `Value.AsString()` (strings as-is, ints/bools/doubles as text, bytes as
// base64, arrays and kvlists as Go-encoded JSON without HTML escaping), so rows written by
// FlowTrace and by the exporter read the same.
import type { AnyValueMessage, Int64 } from './schema.ts';

const TWO_POW_32 = 4294967296;

/** An unsigned 64-bit integer (OTLP fixed64 timestamps) as a bigint. */
export function uint64ToBigInt(value: Int64 | null | undefined): bigint {
  if (value == null) return 0n;
  if (typeof value === 'string') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

/** A signed 64-bit integer as decimal text, like Go's strconv.FormatInt. */
export function int64ToString(value: Int64 | null | undefined): string {
  if (value == null) return '0';
  if (typeof value === 'string') return value;
  const { high, low } = value;
  // Within ±2^53 the double arithmetic is exact and avoids a bigint.
  if (high >= -0x200000 && high < 0x200000) return String(high * TWO_POW_32 + (low >>> 0));
  return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)).toString();
}

/**
 * A double as pdata formats it: ES6 number-to-string (which Go's float64AsString copies),
 * except that Go keeps the sign of negative zero.
 */
export function doubleToString(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** pdata `Value.AsString()` of one AnyValue; an absent or empty value is ''. */
export function anyValueToString(value: AnyValueMessage | null | undefined): string {
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'intValue':
      return int64ToString(value.intValue);
    case 'boolValue':
      return value.boolValue ? 'true' : 'false';
    case 'doubleValue':
      return doubleToString(value.doubleValue ?? 0);
    case 'bytesValue':
      return value.bytesValue ? base64(value.bytesValue) : '';
    case 'arrayValue':
    case 'kvlistValue':
      return goJsonOrEmpty(value);
    default:
      return '';
  }
}

/** Go's encoding/json refuses NaN and ±Inf; pdata then returns an empty string. */
class UnsupportedJsonValue extends Error {}

function goJsonOrEmpty(value: AnyValueMessage): string {
  try {
    return goJson(value);
  } catch (err) {
    if (err instanceof UnsupportedJsonValue) return '';
    throw err;
  }
}

/**
 * Go `json.Encoder` (SetEscapeHTML(false)) output for `Value.AsRaw()`: map keys sorted
 * byte-wise, U+2028/U+2029 escaped, bytes as base64 strings, empty values as null.
 */
function goJson(value: AnyValueMessage | null | undefined): string {
  switch (value?.value) {
    case 'stringValue':
      return goJsonString(value.stringValue ?? '');
    case 'intValue':
      return int64ToString(value.intValue);
    case 'boolValue':
      return value.boolValue ? 'true' : 'false';
    case 'doubleValue': {
      const number = value.doubleValue ?? 0;
      if (!Number.isFinite(number)) throw new UnsupportedJsonValue();
      return doubleToString(number);
    }
    case 'bytesValue':
      return `"${value.bytesValue ? base64(value.bytesValue) : ''}"`;
    case 'arrayValue':
      return `[${(value.arrayValue?.values ?? []).map(goJson).join(',')}]`;
    case 'kvlistValue': {
      // AsRaw builds a Go map: a repeated key keeps its last value.
      const entries = new Map<string, AnyValueMessage | null | undefined>();
      for (const kv of value.kvlistValue?.values ?? []) entries.set(kv.key ?? '', kv.value);
      const keys = [...entries.keys()].sort(compareCodePoints);
      return `{${keys.map((key) => `${goJsonString(key)}:${goJson(entries.get(key))}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

const LINE_SEPARATORS = /[\u2028\u2029]/g;

function goJsonString(text: string): string {
  // JSON.stringify matches Go's escaping (short forms for \b \f \n \r \t, lower-case \u00xx)
  // except for U+2028/U+2029, which Go always escapes.
  return JSON.stringify(text).replace(LINE_SEPARATORS, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

/** Code-point order, which is the byte order of UTF-8 (Go compares strings byte-wise). */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
