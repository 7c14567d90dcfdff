// The embedded engine writes the Native format as the plain HTTP interface does
// (protocol revision 0). A client that sends `client_protocol_version=<n>` — the Go
// client behind Grafana's ClickHouse data source does — expects the TCP protocol's
// block layout instead: a BlockInfo before each block and, from revision 54454, a
// "custom serialization" flag after each column's type. The column data itself is the
// same for the types below, so this rewrites the framing around it; finding where a
// column's data ends needs its type, hence the small type walker.

/** Revision from which each column carries a custom-serialization flag. */
const MIN_REVISION_WITH_CUSTOM_SERIALIZATION = 54454;

export class NativeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NativeFormatError';
  }
}

/** Rewrites revision-0 Native blocks for a client speaking protocol `revision` (> 0). */
export function nativeForRevision(body: Buffer, revision: number): Buffer {
  if (revision <= 0) return body;
  const reader = new Reader(body);
  const out: Buffer[] = [];
  // BlockInfo: field 1 is_overflows = false, field 2 bucket_num = -1, end marker.
  const blockInfo = Buffer.from([1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]);
  while (!reader.done()) {
    const blockStart = reader.pos;
    const columns = reader.varUInt();
    const rows = reader.varUInt();
    out.push(blockInfo, body.subarray(blockStart, reader.pos));
    for (let c = 0; c < columns; c++) {
      const headerStart = reader.pos;
      reader.skipString(); // name
      const type = parseType(reader.string());
      out.push(body.subarray(headerStart, reader.pos));
      if (revision >= MIN_REVISION_WITH_CUSTOM_SERIALIZATION) out.push(Buffer.from([0]));
      if (rows > 0) {
        const dataStart = reader.pos;
        skipPrefix(reader, type);
        skipData(reader, type, rows);
        out.push(body.subarray(dataStart, reader.pos));
      }
    }
  }
  return Buffer.concat(out);
}

interface TypeNode {
  name: string;
  args: TypeNode[];
  /** The raw argument text, for parameters that are not types (sizes, precisions, enum values). */
  rawArgs: string[];
}

function parseType(text: string): TypeNode {
  const open = text.indexOf('(');
  if (open < 0) return { name: text.trim(), args: [], rawArgs: [] };
  const name = text.slice(0, open).trim();
  const rawArgs = splitArgs(text.slice(open + 1, text.lastIndexOf(')')));
  // Named tuple elements (`Tuple(a String, b UInt8)`) carry a name before the type.
  const typeArgs = name === 'Tuple' ? rawArgs.map(stripElementName) : rawArgs;
  const args = ['Nullable', 'Array', 'Map', 'Tuple', 'LowCardinality', 'SimpleAggregateFunction'].includes(name) ? typeArgs.map(parseType) : [];
  return { name, args, rawArgs };
}

function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '`' || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(text.slice(start).trim());
  return args;
}

/** `a String` → `String`; a bare type (`String`, `DateTime64(3, 'UTC')`) has no name-space-type shape. */
function stripElementName(arg: string): string {
  return /^(?:`[^`]*`|"[^"]*"|[A-Za-z_][A-Za-z0-9_]*)\s+(.+)$/s.exec(arg)?.[1] ?? arg;
}

const FIXED_WIDTHS: Record<string, number> = {
  UInt8: 1, Int8: 1, Bool: 1, Enum8: 1, Nothing: 1,
  UInt16: 2, Int16: 2, Date: 2, Enum16: 2, BFloat16: 2,
  UInt32: 4, Int32: 4, Float32: 4, DateTime: 4, Date32: 4, IPv4: 4, Decimal32: 4, Time: 4,
  UInt64: 8, Int64: 8, Float64: 8, DateTime64: 8, Decimal64: 8, Time64: 8,
  IntervalNanosecond: 8, IntervalMicrosecond: 8, IntervalMillisecond: 8, IntervalSecond: 8, IntervalMinute: 8,
  IntervalHour: 8, IntervalDay: 8, IntervalWeek: 8, IntervalMonth: 8, IntervalQuarter: 8, IntervalYear: 8,
  UInt128: 16, Int128: 16, Decimal128: 16, UUID: 16, IPv6: 16,
  UInt256: 32, Int256: 32, Decimal256: 32,
};

/** Geo types are aliases of tuples and arrays of Float64. */
const ALIASES: Record<string, string> = {
  Point: 'Tuple(Float64, Float64)',
  Ring: 'Array(Tuple(Float64, Float64))',
  LineString: 'Array(Tuple(Float64, Float64))',
  Polygon: 'Array(Array(Tuple(Float64, Float64)))',
  MultiLineString: 'Array(Array(Tuple(Float64, Float64)))',
  MultiPolygon: 'Array(Array(Array(Tuple(Float64, Float64))))',
};

function fixedWidth(type: TypeNode): number | undefined {
  if (type.name === 'Decimal') {
    const precision = Number(type.rawArgs[0]);
    return precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
  }
  if (type.name === 'FixedString') return Number(type.rawArgs[0]);
  return FIXED_WIDTHS[type.name];
}

/** State prefixes come first in a column's data, in type order; only LowCardinality has one here. */
function skipPrefix(reader: Reader, type: TypeNode): void {
  if (ALIASES[type.name]) return;
  if (type.name === 'LowCardinality') {
    reader.skip(8); // key serialization version
    return;
  }
  for (const arg of type.args) skipPrefix(reader, arg);
}

function skipData(reader: Reader, type: TypeNode, rows: number): void {
  const alias = ALIASES[type.name];
  if (alias) return skipData(reader, parseType(alias), rows);
  const width = fixedWidth(type);
  if (width !== undefined) return reader.skip(width * rows);
  switch (type.name) {
    case 'String':
      for (let i = 0; i < rows; i++) reader.skipString();
      return;
    case 'Nullable':
      reader.skip(rows);
      return skipData(reader, type.args[0]!, rows);
    case 'SimpleAggregateFunction':
      return skipData(reader, type.args[type.args.length - 1]!, rows);
    case 'Array':
    case 'Map': {
      const total = rows === 0 ? 0 : lastOffset(reader, rows);
      for (const element of type.args) skipData(reader, element, total);
      return;
    }
    case 'Tuple':
      for (const element of type.args) skipData(reader, element, rows);
      return;
    case 'LowCardinality':
      return skipLowCardinality(reader, type.args[0]!, rows);
    default:
      throw new NativeFormatError(`the Native format for client_protocol_version does not support columns of type ${type.name} here; select it as String or use another format`);
  }
}

/** Offsets are cumulative UInt64s: the last one is the element count. */
function lastOffset(reader: Reader, rows: number): number {
  reader.skip(8 * (rows - 1));
  return reader.uint64();
}

const LOW_CARDINALITY_HAS_ADDITIONAL_KEYS = 1n << 9n;
const LOW_CARDINALITY_INDEX_WIDTHS = [1, 2, 4, 8];

/** LowCardinality data comes in parts: index type, dictionary keys, then one index per row. */
function skipLowCardinality(reader: Reader, inner: TypeNode, rows: number): void {
  // The dictionary of LowCardinality(Nullable(T)) is T (NULL is index 0).
  const dictionaryType = inner.name === 'Nullable' ? inner.args[0]! : inner;
  let remaining = rows;
  while (remaining > 0) {
    const flags = reader.uint64Big();
    if (flags & LOW_CARDINALITY_HAS_ADDITIONAL_KEYS) skipData(reader, dictionaryType, reader.uint64());
    const indexes = reader.uint64();
    reader.skip(indexes * LOW_CARDINALITY_INDEX_WIDTHS[Number(flags & 0xffn)]!);
    remaining -= indexes;
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buffer: Buffer) {}

  done(): boolean {
    return this.pos >= this.buffer.length;
  }

  skip(bytes: number): void {
    if (this.pos + bytes > this.buffer.length) throw new NativeFormatError('Native data ended inside a column');
    this.pos += bytes;
  }

  varUInt(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buffer.length) throw new NativeFormatError('Native data ended inside a number');
      const byte = this.buffer[this.pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }

  string(): string {
    const length = this.varUInt();
    this.skip(length);
    return this.buffer.toString('utf8', this.pos - length, this.pos);
  }

  skipString(): void {
    this.skip(this.varUInt());
  }

  uint64Big(): bigint {
    this.skip(8);
    return this.buffer.readBigUInt64LE(this.pos - 8);
  }

  uint64(): number {
    return Number(this.uint64Big());
  }
}
