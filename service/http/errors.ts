// Errors the workflow API answers with on purpose. The body is always `{error, ...}`: a
// message a person can act on, plus `issues` (every invalid path) when there are several.
import { HttpError } from '../../tail/http/errors.ts';

export { HttpError };

export interface RequestIssue {
  /** Where in the request body, e.g. `graph_json.nodes[2].config.model`; empty for the body itself. */
  path: string;
  message: string;
}

/** 400 listing every problem of the request body. */
export class InvalidBodyError extends HttpError {
  override name = 'InvalidBodyError';
  constructor(
    summary: string,
    readonly issues: RequestIssue[],
  ) {
    super(400, `${summary}: ${issues.map((issue) => `${issue.path || '(body)'}: ${issue.message}`).join('; ')}`);
  }
}

/** The JSON body of an error response. */
export function errorBody(err: HttpError): Record<string, unknown> {
  return err instanceof InvalidBodyError ? { error: err.message, issues: err.issues } : { error: err.message };
}
