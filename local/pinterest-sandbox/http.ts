/** The sandbox's wire: reading bodies, sending JSON replies, dropping connections, and the two kinds of credentials. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Limiter } from './types.ts';

export const MAX_BODY_BYTES = 20 * 1024 * 1024;

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Logged, not sent: the rate limiter that refused the request. */
  limiter?: Limiter;
}

/** The whole body as UTF-8; undefined when larger than MAX_BODY_BYTES (drained, not kept); null when the client aborted. */
export function readBody(request: IncomingMessage): Promise<string | undefined | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(null));
  });
}

export function send(response: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...reply.headers,
  });
  response.end(body);
}

/** No response at all: the client sees the connection close (ECONNRESET / "other side closed"). */
export function drop(response: ServerResponse): void {
  response.socket?.destroy();
}

export function bearerToken(request: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

export function basicCredentials(request: IncomingMessage): { id: string; secret: string } | undefined {
  const encoded = /^Basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}
