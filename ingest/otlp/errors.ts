/**
 * The request as a whole cannot be decoded (malformed protobuf or JSON, a value of the
 * wrong type). `field` is the path of the offending value, e.g.
 * `resourceSpans[0].scopeSpans[1].spans[3].kind`, or '' when the body itself is unreadable.
 */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
  constructor(
    readonly field: string,
    readonly description: string,
  ) {
    super(field ? `${field}: ${description}` : description);
  }
}
