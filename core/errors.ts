// Errors that cross component boundaries and carry meaning a caller acts on: a receiver
// turns them into the matching protocol status (OTLP/HTTP 429, 503, 401) instead of a 500.

/** The pipeline is full: the sender should slow down and retry (OTLP/HTTP 429). */
export class BackpressureError extends Error {
  override name = 'BackpressureError';
  constructor(
    message: string,
    /** How long the sender should wait before retrying (sent as Retry-After). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Storage cannot take writes right now; retrying later may succeed (OTLP/HTTP 503). */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(
    message: string,
    /** How long the sender should wait before retrying (sent as Retry-After). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The request carries no valid credentials, e.g. an unknown API key (HTTP 401). */
export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
}
