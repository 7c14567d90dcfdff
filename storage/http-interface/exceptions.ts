// ClickHouse exceptions as the HTTP interface reports them: the code, the
// `Code: N. DB::Exception: … (NAME)` text and the HTTP status clickhouse-server uses
// for that code (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp).

/** ClickHouse error codes (src/Common/ErrorCodes.cpp) of the exceptions raised here. */
export const ERROR_CODES = {
  UNSUPPORTED_METHOD: 1,
  BAD_ARGUMENTS: 36,
  CANNOT_PARSE_INPUT_ASSERTION_FAILED: 27,
  NOT_IMPLEMENTED: 48,
  SYNTAX_ERROR: 62,
  UNKNOWN_TYPE_OF_QUERY: 78,
  UNKNOWN_DATABASE: 81,
  READONLY: 164,
  QUERY_IS_TOO_LARGE: 229,
  ACCESS_DENIED: 497,
  AUTHENTICATION_FAILED: 516,
  UNSUPPORTED_MEDIA_TYPE: 779,
  STD_EXCEPTION: 1001,
} as const;

export type ErrorName = keyof typeof ERROR_CODES;

export class ClickHouseException extends Error {
  readonly code: number;

  constructor(
    message: string,
    readonly errorName: ErrorName | undefined,
    readonly httpStatus?: number,
    code?: number,
    /** The engine's complete exception text, when the engine raised it. */
    readonly engineText?: string,
  ) {
    super(message);
    this.name = 'ClickHouseException';
    this.code = code ?? ERROR_CODES[errorName!];
  }

  /** An exception from the engine, whose text is already in ClickHouse's form. */
  static fromEngine(text: string, code: number): ClickHouseException {
    return new ClickHouseException(text, undefined, undefined, code, text);
  }
}

export function exceptionText(exception: ClickHouseException, version: string): string {
  if (exception.engineText !== undefined) return exception.engineText;
  const message = exception.message.endsWith('.') ? exception.message : `${exception.message}.`;
  return `Code: ${exception.code}. DB::Exception: ${message} (${exception.errorName}) (version ${version} (flowtrace))`;
}

const BAD_REQUEST = new Set([36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 37, 123, 8, 167, 168, 223, 62, 117, 53, 321]);
const NOT_FOUND = new Set([60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511]);
const FORBIDDEN = new Set([192, 193, 516, 512, 497]);

/** The HTTP status clickhouse-server answers an exception code with. */
export function httpStatusFor(code: number): number {
  if (code === 194) return 401;
  if (FORBIDDEN.has(code)) return 403;
  if (BAD_REQUEST.has(code)) return 400;
  if (NOT_FOUND.has(code)) return 404;
  if (code === 229) return 413;
  if (code === 48) return 501;
  if (code === 209 || code === 76 || code === 439) return 503;
  if (code === 381) return 411;
  if (code === 159) return 408;
  if (code === 779) return 415;
  return 500;
}
