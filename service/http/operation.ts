// An API operation is declared once — method, path, parameter and body schemas, responses
// and the handler — and both the Express router and the OpenAPI paths are built from the
// declarations (as tail/http/route.ts does for the read API), so the document cannot drift
// from what is served. Unlike the read API, operations here take JSON bodies.
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod/v4';
import { ACCESS_TOKEN_PARAM } from '../../tail/auth/api-key-auth.ts';
import { addOperation, type HeaderParameter, type ResponseSpec } from '../../tail/http/route.ts';
import { HttpError, InvalidBodyError, errorBody, type RequestIssue } from './errors.ts';

type AnyObject = z.ZodObject<z.ZodRawShape>;
type JsonSchema = Record<string, unknown>;

const NO_PARAMETERS = z.object({}).strict();

export interface OperationContext<P, Q, B> {
  projectId: string;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface OperationDefinition<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express path, e.g. `/api/workflows/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  /** JSON request body; absent for operations without one. */
  body?: B;
  headers?: HeaderParameter[];
  /** Status of a successful answer (default 200). */
  status?: number;
  /** Success and operation-specific error responses; 400, 401, 413 and 500 are added to every operation. */
  responses: Record<number, ResponseSpec>;
  /** Returns the JSON body sent with `status`, or a Reply. */
  handle(ctx: OperationContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}

/** An answer with a status or headers other than the operation's defaults. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

export interface Operation {
  definition: OperationDefinition<AnyObject, AnyObject, z.ZodType>;
  handler: RequestHandler;
}

/** `nodes[2].config` from a zod issue path. */
export function issuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : text === '' ? String(key) : `.${String(key)}`;
  return text;
}

function bodyIssues(issues: readonly z.core.$ZodIssue[]): RequestIssue[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: issuePath([...issue.path, key]), message: 'unknown field' }))
      : [{ path: issuePath(issue.path), message: issue.message }],
  );
}

function parameters<S extends AnyObject>(schema: S, input: unknown, kind: 'path' | 'query'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw new HttpError(400, `unknown ${kind} parameter "${issue.keys[0]}"`);
  return invalid(`invalid ${kind} parameter "${String(issue.path[0] ?? '')}": ${issue.message}`);
}

function invalid(message: string): never {
  throw new HttpError(400, message);
}

function parseBody<B extends z.ZodType>(schema: B, req: Request): z.output<B> {
  if (req.body === undefined) throw new HttpError(415, 'expected a JSON request body (Content-Type: application/json)');
  const result = schema.safeParse(req.body);
  if (!result.success) throw new InvalidBodyError('invalid request body', bodyIssues(result.error.issues));
  return result.data;
}

/** The query without the credential parameter the authenticator reads. */
function queryOf(req: Request): Record<string, unknown> {
  const { [ACCESS_TOKEN_PARAM]: _credential, ...rest } = req.query as Record<string, unknown>;
  return rest;
}

export function defineOperation<P extends AnyObject = typeof NO_PARAMETERS, Q extends AnyObject = typeof NO_PARAMETERS, B extends z.ZodType = z.ZodUndefined>(
  definition: OperationDefinition<P, Q, B>,
): Operation {
  const paramsSchema = definition.params ?? NO_PARAMETERS;
  const querySchema = (definition.query ?? NO_PARAMETERS).strict();
  const handler: RequestHandler = async (req, res) => {
    const params = parameters(paramsSchema, req.params, 'path');
    const query = parameters(querySchema, queryOf(req), 'query');
    const body = definition.body ? parseBody(definition.body, req) : undefined;
    const result = await definition.handle({ projectId: res.locals.projectId as string, params, query, body, req, res } as OperationContext<
      z.output<P>,
      z.output<Q>,
      z.output<B>
    >);
    if (result instanceof Reply) res.status(result.status).set(result.headers).json(result.body);
    else res.status(definition.status ?? 200).json(result);
  };
  return { definition: definition as unknown as OperationDefinition<AnyObject, AnyObject, z.ZodType>, handler };
}

/** What body-parser reports for a body it could not read. */
interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  length?: number;
  message: string;
}

/** Body-parser failures and HttpErrors become precise 4xx answers; anything else goes to the next handler (500). */
const operationErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) return next(err);
  if (err instanceof HttpError) {
    res.status(err.status).set(err.headers).json(errorBody(err));
    return;
  }
  const parserError = err as BodyParserError;
  switch (parserError.type) {
    case 'entity.parse.failed':
      res.status(400).json({ error: `malformed JSON body: ${parserError.message}` });
      return;
    case 'entity.too.large':
      res.status(413).json({
        error: `request body${parserError.length === undefined ? '' : ` of ${parserError.length} bytes`} is larger than the limit of ${parserError.limit} bytes`,
      });
      return;
    case 'encoding.unsupported':
    case 'charset.unsupported':
      res.status(415).json({ error: parserError.message });
      return;
    default:
      next(err);
  }
};

/** An Express router serving the operations; JSON bodies up to `maxBodyBytes`. */
export function operationsRouter(operations: readonly Operation[], maxBodyBytes: number): Router {
  const router = express.Router();
  const json = express.json({ limit: maxBodyBytes });
  for (const { definition, handler } of operations) {
    if (definition.body) router[definition.method](definition.path, json, handler);
    else router[definition.method](definition.path, handler);
  }
  router.use(operationErrors);
  return router;
}

// ---------------------------------------------------------------- OpenAPI 3.1

const ErrorBody = z.object({
  error: z.string().describe('What was wrong, e.g. `invalid request body: graph_json.nodes[0].type: …`.'),
  issues: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .describe('Every problem of an invalid body, each with its path in the body.'),
});

const STANDARD_RESPONSES: Record<number, ResponseSpec> = {
  400: { description: 'A malformed parameter or body, named in the message.', schema: ErrorBody },
  401: { description: 'Missing or invalid API key (requests from loopback need none).', schema: ErrorBody },
  500: { description: 'Internal error.', schema: ErrorBody },
};

const BODY_RESPONSES: Record<number, ResponseSpec> = {
  413: { description: 'The body is larger than the configured limit.', schema: ErrorBody },
  415: { description: 'The body is not JSON.', schema: ErrorBody },
};

/** The OpenAPI `paths` of the operations, to merge into the read API's document. */
export function openApiPaths(operations: readonly Operation[]): Record<string, Record<string, JsonSchema>> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { definition: d } of operations) addOperation(paths, d, { ...STANDARD_RESPONSES, ...(d.body ? BODY_RESPONSES : {}), ...d.responses });
  return paths;
}
