// Errors a route raises on purpose; everything else is an internal error (500).

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** 400 naming the parameter: `invalid parameter "from": expected an ISO-8601 time`. */
export function invalidParameter(name: string, problem: string): HttpError {
  return new HttpError(400, `invalid parameter "${name}": ${problem}`);
}

export function notFound(what: string): HttpError {
  return new HttpError(404, `${what} not found`);
}
