// `GET /metrics` in the Prometheus text format, on its own port (default 127.0.0.1:9464,
// the conventional Prometheus exporter port) so it can be scraped without exposing anything else.
import express from 'express';
import type { Registry } from 'prom-client';
import { closeNow, HttpServerHandle } from '../../core/http-server.ts';

export class MetricsServer {
  private readonly server = new HttpServerHandle('metrics endpoint');

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
    const { url } = await this.server.start(app, { host: this.host, port: this.port });
    return `${url}/metrics`;
  }

  stop(): Promise<void> {
    return this.server.stop(closeNow);
  }
}
