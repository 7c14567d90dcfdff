// A route is declared once — method, path, parameter schemas, response schemas and the
// handler — and both the Express router and the OpenAPI document are built from the
// declarations, so the document cannot drift from what is served.
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod/v4';
import { ACCESS_TOKEN_PARAM } from '../auth/api-key-auth.ts';
import { HttpError, invalidParameter } from './errors.ts';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface HeaderParameter {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;
const NO_PARAMETERS = z.object({}).strict();

export interface RouteContext<Q, P> {
  projectId: string;
  query: Q;
  params: P;
  req: Request;
  res: Response;
}

export interface RouteDefinition<Q extends AnyObject, P extends AnyObject> {
  method: 'get' | 'delete';
  /** Express path, e.g. `/api/runs/:runId`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  headers?: HeaderParameter[];
  /** Success and route-specific error responses; 400, 401 and 500 are added to every route. */
  responses: Record<number, ResponseSpec>;
  /** Returns the JSON body (sent with status 200), or undefined when it wrote the response itself (streams). */
  handle(ctx: RouteContext<z.output<Q>, z.output<P>>): Promise<unknown>;
}

export interface Route {
  method: 'get' | 'delete';
  path: string;
  definition: RouteDefinition<AnyObject, AnyObject>;
  handler: RequestHandler;
}

function httpErrorOf(issues: readonly z.core.$ZodIssue[]): HttpError {
  const issue = issues[0]!;
  if (issue.code === 'unrecognized_keys') return new HttpError(400, `unknown parameter "${issue.keys[0]}"`);
  const name = String(issue.path[0] ?? '');
  if (issue.message === 'required') return new HttpError(400, `missing parameter "${name}"`);
  return invalidParameter(name, issue.message);
}

function parse<S extends AnyObject>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw httpErrorOf(result.error.issues);
  return result.data;
}

/** The query without the credential parameter the authenticator reads. */
function queryOf(req: Request): Record<string, unknown> {
  const { [ACCESS_TOKEN_PARAM]: _credential, ...rest } = req.query as Record<string, unknown>;
  return rest;
}

export function defineRoute<Q extends AnyObject = typeof NO_PARAMETERS, P extends AnyObject = typeof NO_PARAMETERS>(
  definition: RouteDefinition<Q, P>,
): Route {
  const querySchema = (definition.query ?? NO_PARAMETERS).strict();
  const paramsSchema = definition.params ?? NO_PARAMETERS;
  const handler: RequestHandler = async (req, res) => {
    const params = parse(paramsSchema, req.params);
    const query = parse(querySchema, queryOf(req));
    const body = await definition.handle({ projectId: res.locals.projectId as string, query, params, req, res } as RouteContext<
      z.output<Q>,
      z.output<P>
    >);
    if (body !== undefined) res.status(200).json(body);
  };
  return { method: definition.method, path: definition.path, definition: definition as unknown as RouteDefinition<AnyObject, AnyObject>, handler };
}

export function mountRoutes(router: Router, routes: readonly Route[]): void {
  for (const route of routes) router[route.method](route.path, route.handler);
}

// ---------------------------------------------------------------- OpenAPI 3.1

type JsonSchema = Record<string, unknown>;

function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ErrorBody = z.object({ error: z.string().describe('What was wrong, e.g. `invalid parameter "from": expected an ISO-8601 time`.') });

/** OpenAPI parameters from a zod object of path or query parameters. */
function parametersOf(schema: AnyObject | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const object = jsonSchemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return { name, in: location, required: location === 'path' || (object.required ?? []).includes(name), description, schema: propertySchema };
  });
}

/** An OpenAPI response object. */
function responseObject(spec: ResponseSpec): JsonSchema {
  if (spec.schema === undefined) return { description: spec.description };
  return { description: spec.description, content: { [spec.contentType ?? 'application/json']: { schema: jsonSchemaOf(spec.schema, 'output') } } };
}

export interface ApiInfo {
  title: string;
  version: string;
  description: string;
}

/** What an OpenAPI operation is documented from; read routes and workflow operations both have it. */
export interface DocumentedOperation {
  method: string;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: AnyObject;
  query?: AnyObject;
  headers?: HeaderParameter[];
  body?: z.ZodType;
}

/** Adds one operation, with these responses, to an OpenAPI `paths` object. */
export function addOperation(paths: Record<string, Record<string, JsonSchema>>, d: DocumentedOperation, responses: Record<number, ResponseSpec>): void {
  const path = d.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
  const parameters = [
    ...parametersOf(d.params, 'path'),
    ...parametersOf(d.query, 'query'),
    ...(d.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: false, description: h.description, schema: h.schema })),
  ];
  paths[path] ??= {};
  paths[path][d.method] = {
    operationId: d.operationId,
    summary: d.summary,
    ...(d.description && { description: d.description }),
    tags: [d.tag],
    ...(parameters.length > 0 && { parameters }),
    ...(d.body && { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(d.body, 'input') } } } }),
    security: [{}, { bearer: [] }],
    responses: Object.fromEntries(Object.entries(responses).map(([status, spec]) => [status, responseObject(spec)])),
  };
}

const READ_RESPONSES: Record<number, ResponseSpec> = {
  400: { description: 'A malformed parameter, named in the message.', schema: ErrorBody },
  401: { description: 'Missing or invalid API key (requests from loopback need none).', schema: ErrorBody },
  500: { description: 'Internal error.', schema: ErrorBody },
};

export function openApiDocument(routes: readonly Route[], info: ApiInfo): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { definition: d } of routes) addOperation(paths, d, { ...READ_RESPONSES, ...d.responses });
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `API key (FLOWTRACE_API_KEYS). EventSource clients, which cannot send headers, may pass it as ?${ACCESS_TOKEN_PARAM}=.`,
        },
      },
    },
    paths,
  };
}
