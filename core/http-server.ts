// Starting and stopping the project's HTTP servers in one way: a taken port is reported
// with the component's name and address, and a graceful stop answers the requests in
// flight without waiting for idle keep-alive connections to time out.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListenAddress {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface ListeningServer {
  server: Server;
  /** The bound address, e.g. `127.0.0.1` or `::1`. */
  host: string;
  port: number;
  /** `http://host:port`, IPv6 addresses in brackets. */
  url: string;
}

/** Listening failed; `code` is the system error's (e.g. `EADDRINUSE` when the port is taken). */
export class ListenError extends Error {
  override name = 'ListenError';
  readonly code: string | undefined;

  constructor(what: string, address: ListenAddress, cause: NodeJS.ErrnoException) {
    super(`${what} cannot listen on ${address.host}:${address.port}: ${cause.message}`, { cause });
    this.code = cause.code;
  }
}

/** Serves `handler` on `address`; `what` names the server in the error when it cannot listen. */
export async function listen(handler: RequestListener, address: ListenAddress, what: string): Promise<ListeningServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => reject(new ListenError(what, address, err));
    server.once('error', fail);
    server.listen(address.port, address.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return { server, host: bound.address, port: bound.port, url: `http://${hostForUrl(bound.address)}:${bound.port}` };
}

/** A host as it appears in a URL: IPv6 addresses go in brackets. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export interface CloseOptions {
  /** Connections still open after this long (streams, long polls) are cut; by default they are awaited. */
  forceAfterMs?: number;
}

/** Stops accepting connections and resolves once the requests in flight are answered. */
export function closeGracefully(server: Server, options: CloseOptions = {}): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // Keep-alive connections turn idle as their last request is answered: close them as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 25);
    const force = options.forceAfterMs === undefined ? undefined : setTimeout(() => server.closeAllConnections(), options.forceAfterMs);
    server.close((err) => {
      clearInterval(sweep);
      clearTimeout(force);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** Stops accepting connections and cuts every open one, requests in flight included. */
export function closeNow(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * The server of a component with start() and stop(): at most one runs, start() while it
 * runs is an error, stop() when none runs does nothing.
 */
export class HttpServerHandle {
  private server: Server | undefined;

  /** `what` names the component in errors, e.g. `OTLP/HTTP receiver`. */
  constructor(private readonly what: string) {}

  async start(handler: RequestListener, address: ListenAddress): Promise<ListeningServer> {
    if (this.server) throw new Error(`${this.what} is already started`);
    const listening = await listen(handler, address, this.what);
    this.server = listening.server;
    return listening;
  }

  /** Stops the running server with `close` (default closeGracefully). */
  async stop(close: (server: Server) => Promise<void> = closeGracefully): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await close(server);
  }
}
