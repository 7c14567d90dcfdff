// The tail service: SSE streams, the read API with its OpenAPI document, and the live
// page, over a SpanStore (history) and a SpanBus (live). `flowtrace up` embeds it; `flowtrace
// tail` runs it alone against a ClickHouse server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import { z } from 'zod/v4';
import type { SpanBus } from '../pipeline/bus/span-bus.ts';
import { StoreClosedError, type SpanStore } from '../storage/store.ts';
import { apiRoutes } from './api/api-routes.ts';
import { ApiKeyAuthenticator } from './auth/api-key-auth.ts';
import { resolveTailConfig, type TailConfig } from './config.ts';
import { HttpError } from './http/errors.ts';
import { defineRoute, mountRoutes, openApiDocument, type Route } from './http/route.ts';
import { LiveEventHub } from './sse/live-event-hub.ts';
import { SseService } from './sse/sse-service.ts';

/**
 * Operations another component serves under /api (the workflow service): mounted behind
 * the API-key check and before the read API, so a route it also declares (GET
 * /api/runs/:runId) is its; its OpenAPI paths are merged into the document.
 */
export interface MountedApi {
  readonly router: Router;
  openApiPaths(): Record<string, Record<string, unknown>>;
}

export interface TailServerDeps {
  store: SpanStore;
  bus: SpanBus;
  config: TailConfig;
  workflows?: MountedApi;
}

export interface TailServer {
  app: Express;
  /** Listens on the configured host and port (0: any free port). */
  start(): Promise<{ host: string; port: number }>;
  /** Ends every live stream (server_shutdown) and closes the listener. Idempotent. */
  stop(): Promise<void>;
  /** Open SSE streams (run streams and firehoses). */
  liveConnections(): number;
}

const PAGE_DIR = fileURLToPath(new URL('./page/public/', import.meta.url));

const API_INFO = {
  title: 'FlowTrace tail API',
  version: '1',
  description:
    'Read API, live trace streams (server-sent events) and analytics of FlowTrace. Requests from loopback without a key see ' +
    'the default project; other requests need `Authorization: Bearer <key>` and see only that key\'s project.',
};

/** Routes that need no API key: they expose no project data. */
function publicRoutes(document: () => unknown): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/openapi.json',
      operationId: 'openApi',
      tag: 'meta',
      summary: 'This OpenAPI 3.1 document',
      responses: { 200: { description: 'The document.', schema: z.record(z.string(), z.unknown()) } },
      handle: async () => document(),
    }),
    defineRoute({
      method: 'get',
      path: '/api/health',
      operationId: 'health',
      tag: 'meta',
      summary: 'Liveness',
      responses: { 200: { description: 'Serving.', schema: z.object({ status: z.literal('ok') }) } },
      handle: async () => ({ status: 'ok' }),
    }),
  ];
}

const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    res.status(err.status).set(err.headers).json({ error: err.message });
    return;
  }
  if (err instanceof StoreClosedError) {
    res.status(503).set('Retry-After', '5').json({ error: 'storage is not available' });
    return;
  }
  // The path only: a query string may carry an access token.
  process.stderr.write(`flowtrace tail: ${req.method} ${req.path} failed: ${(err as Error)?.message ?? String(err)}\n`);
  res.status(500).json({ error: 'internal error' });
};

function apiDocument(routes: Route[], mounted: MountedApi | undefined): unknown {
  const document = openApiDocument(routes, API_INFO) as { paths: Record<string, Record<string, unknown>> };
  for (const [path, operations] of Object.entries(mounted?.openApiPaths() ?? {})) {
    document.paths[path] = { ...document.paths[path], ...operations };
  }
  return document;
}

export function createTailServer(deps: TailServerDeps): TailServer {
  const config = resolveTailConfig(deps.config);
  const auth = new ApiKeyAuthenticator(config.apiKeys, config.defaultProjectId);
  const sse = new SseService(deps.store, new LiveEventHub(deps.bus), config.sse);
  const protectedRoutes = [...apiRoutes(deps.store), ...sse.routes()];
  let document: unknown;
  const open = publicRoutes(() => (document ??= apiDocument([...open, ...protectedRoutes], deps.workflows)));

  const app = express();
  app.disable('x-powered-by');
  const publicApi = express.Router();
  mountRoutes(publicApi, open);
  const api = express.Router();
  mountRoutes(api, protectedRoutes);
  app.use(publicApi);
  app.use('/api', auth.middleware());
  if (deps.workflows) app.use(deps.workflows.router);
  app.use(api);
  app.use('/api', (req, res) => {
    res.status(404).json({ error: `no such endpoint: ${req.method} ${req.baseUrl}${req.path} (see /api/openapi.json)` });
  });
  app.use(express.static(PAGE_DIR, { index: 'index.html', fallthrough: true }));
  app.use(errorHandler);

  let server: Server | undefined;
  let stopping: Promise<void> | undefined;
  return {
    app,
    async start() {
      if (server) throw new Error('the tail server is already started');
      const listening = createServer(app);
      server = listening;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(config.port, config.host, () => {
          listening.off('error', reject);
          resolve();
        });
      });
      sse.start();
      const address = listening.address() as AddressInfo;
      return { host: address.address, port: address.port };
    },
    liveConnections: () => sse.connectionCount,
    stop() {
      stopping ??= (async () => {
        sse.stop();
        const listening = server;
        if (!listening) return;
        await new Promise<void>((resolve) => {
          listening.close(() => resolve());
          listening.closeIdleConnections();
          // Streams were told to end; whatever is still open after their grace period is cut.
          setTimeout(() => listening.closeAllConnections(), config.sse.disconnectGraceMs + 500).unref();
        });
      })();
      return stopping;
    },
  };
}
