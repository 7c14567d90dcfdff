// `GET /metrics` in the Prometheus text format, on its own port (default 127.0.0.1:9464,
// the conventional Prometheus exporter port) so it can be scraped without exposing anything else.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Registry } from 'prom-client';

export class MetricsServer {
  private server: Server | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** Listens and resolves with the metrics URL (port 0 picks a free port). */
  async start(): Promise<string> {
    const app = express();
    app.disable('x-powered-by');
    app.get('/metrics', (_req, res, next) => {
      this.registry.metrics().then((text) => res.type(this.registry.contentType).send(text), next);
    });
    app.use((_req: express.Request, res: express.Response) => res.status(404).type('text/plain').send('not found; metrics are at GET /metrics\n'));
    const server = createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`metrics endpoint cannot listen on ${this.host}:${this.port}: ${err.message}`)));
      server.listen(this.port, this.host, resolve);
    });
    this.server = server;
    const { address, port } = server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
