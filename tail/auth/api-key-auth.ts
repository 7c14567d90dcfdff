// Resolves the project a request may see. Keys are kept only as SHA-256 digests, so a key
// never sits in memory dumps or logs in clear, and looking one up compares digests, not
// the secret itself character by character.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { UnauthenticatedError } from '../../core/errors.ts';
import type { ApiKey } from '../config.ts';

/** Query parameter for clients that cannot send headers (the browser's EventSource), per RFC 6750 §2.3. */
export const ACCESS_TOKEN_PARAM = 'access_token';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export class ApiKeyAuthenticator {
  private readonly projects = new Map<string, string>();

  constructor(
    keys: readonly ApiKey[],
    private readonly defaultProjectId: string,
  ) {
    for (const { key, projectId } of keys) this.projects.set(digest(key), projectId);
  }

  /**
   * The request's project: the key's project when it carries a valid key, the default
   * project for loopback requests without one. Throws UnauthenticatedError otherwise.
   */
  projectOf(req: IncomingMessage, accessToken?: string): string {
    const header = req.headers.authorization;
    if (header !== undefined && header !== '') {
      const match = BEARER.exec(header);
      if (!match) throw new UnauthenticatedError('Authorization header: expected "Bearer <key>"');
      return this.projectOfKey(match[1]!);
    }
    if (accessToken !== undefined && accessToken !== '') return this.projectOfKey(accessToken);
    if (isLoopback(req.socket.remoteAddress)) return this.defaultProjectId;
    throw new UnauthenticatedError('an API key is required: send Authorization: Bearer <key>');
  }

  private projectOfKey(key: string): string {
    const project = this.projects.get(digest(key));
    if (project === undefined) throw new UnauthenticatedError('invalid API key');
    return project;
  }

  /** Express middleware: sets `res.locals.projectId`, or answers 401. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      try {
        const token = req.query[ACCESS_TOKEN_PARAM];
        res.locals.projectId = this.projectOf(req, typeof token === 'string' ? token : undefined);
        next();
      } catch (err) {
        if (!(err instanceof UnauthenticatedError)) throw err;
        res.status(401).set('WWW-Authenticate', 'Bearer realm="flowtrace"').json({ error: err.message });
      }
    };
  }
}
