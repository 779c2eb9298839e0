/**
 * A counting proxy in front of an emulator (DynamoDB Local, fauxqs): every AWS JSON-protocol request is
 * forwarded unchanged and logged with its operation (`X-Amz-Target`), start and duration (ms epoch, the
 * clock the sandbox and the bus stand-in also use) and the job ids its request and answer name. The overhead benchmark reads round trips per job and the per-stage
 * timeline from it, whatever SDK client or wiring the functions use. Listens on 127.0.0.1 only.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedCall {
  /** `DynamoDB.PutItem`, `DynamoDBStreams.GetRecords`, `SQS.SendMessage`, … */
  readonly op: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: number;
  /** Job ids (`job_…`) named in the request body. */
  readonly requestJobs: readonly string[];
  /** Job ids named in the answer body (ReceiveMessage, a failed condition's old item). */
  readonly responseJobs: readonly string[];
  /** The table or queue the call addressed, when the body names one. */
  readonly resource: string | undefined;
  readonly requestBytes: number;
  /** The kind of DynamoDB item addressed: the key's leading segments, e.g. `JOB`, `TENANT/ACCOUNT`, `PACING/BUCKET`. */
  readonly itemKind: string | undefined;
  /** The request body of a DynamoDB PutItem (the baseline copies the intake's item from it). */
  readonly putBody?: string;
}

export interface CountingProxy {
  readonly url: string;
  calls(): readonly ProxiedCall[];
  /** Forget the calls so far (a new phase). */
  reset(): void;
  stop(): Promise<void>;
}

/** lambdas/domain/ids.ts JOB_ID_PATTERN, unanchored. */
const JOB_ID = /job_[0-9a-z]{26}/g;

/** `DynamoDB_20120810.PutItem` → `DynamoDB.PutItem`; `AmazonSQS.SendMessage` → `SQS.SendMessage`. */
export function operationOf(target: string | undefined, body: string): string {
  if (target) {
    const [service = '', op = '?'] = target.split('.');
    const name = service.startsWith('DynamoDBStreams')
      ? 'DynamoDBStreams'
      : service.startsWith('DynamoDB')
        ? 'DynamoDB'
        : service === 'AmazonSQS'
          ? 'SQS'
          : service;
    return `${name}.${op}`;
  }
  // The query protocol (an older SQS client): Action=SendMessage&…
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
  return action ? `SQS.${action}` : 'unknown';
}

/** `{"pk":{"S":"TENANT#ten_x"},"sk":{"S":"ACCOUNT#a"}}` → `TENANT/ACCOUNT`: which kind of item a call reads or writes. */
export function itemKindOf(body: string): string | undefined {
  const pk = /"pk"\s*:\s*\{\s*"S"\s*:\s*"([A-Za-z_]+)/.exec(body)?.[1];
  if (!pk) return undefined;
  const sk = /"sk"\s*:\s*\{\s*"S"\s*:\s*"([A-Za-z_]+)/.exec(body)?.[1];
  return sk ? `${pk}/${sk}` : pk;
}

/** The distinct job ids in a body, in order of first appearance. */
export function jobIdsIn(body: string): string[] {
  return [...new Set(body.match(JOB_ID) ?? [])];
}

/** The table (`TableName`) or queue (last segment of `QueueUrl`) a JSON request addresses. */
export function resourceOf(body: string): string | undefined {
  const table = /"TableName"\s*:\s*"([^"]+)"/.exec(body)?.[1];
  if (table) return table;
  const queue = /"QueueUrl"\s*:\s*"([^"]+)"/.exec(body)?.[1];
  return queue ? queue.slice(queue.lastIndexOf('/') + 1) : undefined;
}

const readAll = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(upstream.hostname))
    throw new Error(`the proxy forwards to loopback only, not ${target}`);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let log: ProxiedCall[] = [];

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startMs = Date.now();
    const t0 = performance.now();
    const body = await readAll(req);
    const text = body.toString('utf8');
    const target = req.headers['x-amz-target'];
    const headers = { ...req.headers, host: upstream.host };
    const answer = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (up) => {
        readAll(up).then((b) => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: b }), reject);
      });
      out.on('error', reject);
      out.end(body);
    });
    const op = operationOf(typeof target === 'string' ? target : undefined, text);
    log.push({
      op,
      startMs,
      durationMs: performance.now() - t0,
      status: answer.status,
      requestJobs: jobIdsIn(text),
      // Only answers that can carry other jobs than the request's are read (the rest would only cost time).
      responseJobs: /ReceiveMessage|GetRecords|Query|Scan|PutItem|UpdateItem/.test(op) ? jobIdsIn(answer.body.toString('utf8')) : [],
      resource: resourceOf(text),
      itemKind: op.startsWith('DynamoDB.') ? itemKindOf(text) : undefined,
      requestBytes: body.length,
      ...(op === 'DynamoDB.PutItem' ? { putBody: text } : {}),
    });
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  const server = createServer((req, res) => {
    forward(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${String(error)}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => log,
    reset: () => {
      log = [];
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
