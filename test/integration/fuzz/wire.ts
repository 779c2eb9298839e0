import { Agent, request } from 'node:http';

/**
 * The fuzzers' HTTP client: node:http rather than fetch, because fetch normalises what a hostile client
 * sends as it is — repeated headers, `..` and `%2F` in paths, bodies on GET, any method.
 */

/** A request exactly as it goes on the wire: the path already percent-encoded, headers in order, repeats kept. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: string;
}

export interface WireResponse {
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** The headers as node:http's raw list (name, value, name, value…): order, repeats and any name (`__proto__`) kept. */
function rawHeaders(headers: WireRequest['headers']): string[] {
  return headers.flat();
}

export function send(apiUrl: string, req: WireRequest): Promise<WireResponse> {
  const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
  // With raw headers node:http adds none of its own: the Host, and a body's length (curl and browsers send
  // it, for a GET or DELETE body too).
  const framing: Array<readonly [string, string]> = [
    ['Host', new URL(apiUrl).host],
    ...(body ? [['Content-Length', String(body.length)] as const] : []),
  ];
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${apiUrl}${req.path}`,
      { method: req.method, headers: rawHeaders([...req.headers, ...framing]), agent, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer to ${req.method} ${req.path} within 30 s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Closes the keep-alive connections (after the file, so the API server can stop at once). */
export function closeConnections(): void {
  agent.destroy();
}

/** One line per request for failure messages: method, path (shortened) and the body's size. */
export function describeRequest(req: WireRequest): string {
  const path = req.path.length > 200 ? `${req.path.slice(0, 200)}… (${req.path.length} chars)` : req.path;
  const headers = req.headers.map(([n, v]) => `${n}: ${v.length > 80 ? `${v.slice(0, 80)}… (${v.length})` : v}`).join(' | ');
  const body =
    req.body === undefined ? 'no body' : req.body.length > 300 ? `${req.body.slice(0, 300)}… (${req.body.length} chars)` : req.body;
  return `${req.method} ${path} [${headers}] ${body}`;
}
