/**
 * AWS requests counted where they arrive, not estimated (bench/compare.ts): a counting loopback proxy in
 * front of DynamoDB Local and fauxqs (the pipeline is given the proxies' endpoints, so the functions, the
 * stream poller and the SQS pollers all go through them), and the in-process servers — the Secrets Manager
 * and EventBridge stand-ins, the local API — counted on the server side through Node's
 * `http.server.request.start` diagnostics channel, by the port they listen on. Nothing in the pipeline
 * changes: the proxy forwards every byte, adding only `ReturnConsumedCapacity: INDEXES` to DynamoDB calls
 * that accept it, so each write's request units (table and indexes, by item size) are read from the answer.
 *
 * Each request is one count under its service and operation (`X-Amz-Target`, or the query protocol's
 * `Action`), with what the answer held: SQS receives and stream reads record how many messages/records came
 * back (an empty receive is a poller's idle long poll, not work), SQS requests their 64 KB billing chunks.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Service = 'dynamodb' | 'dynamodb-streams' | 'sqs' | 'secretsmanager' | 'eventbridge' | 'api';

export interface RequestRow {
  readonly service: Service;
  readonly operation: string;
  /** The queue (SQS) or route (API) the requests went to, when that matters; '' otherwise. */
  readonly resource: string;
  readonly requests: number;
  /** Receives that returned no message, stream reads that returned no record. */
  readonly empty: number;
  /** Messages received, stream records read, entries put. */
  readonly items: number;
  /** SQS: billed requests (one per started 64 KB of request or answer). */
  readonly chunks: number;
  /** DynamoDB: request units consumed, table and indexes (as the emulator reports them). */
  readonly capacityUnits: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The requests seen so far, by service, operation and resource. */
export class RequestCounter {
  private rows = new Map<string, Mutable<RequestRow>>();

  add(entry: Pick<RequestRow, 'service' | 'operation'> & Partial<Omit<RequestRow, 'service' | 'operation' | 'requests'>>): void {
    const resource = entry.resource ?? '';
    const key = `${entry.service} ${entry.operation} ${resource}`;
    const row = this.rows.get(key) ?? {
      service: entry.service,
      operation: entry.operation,
      resource,
      requests: 0,
      empty: 0,
      items: 0,
      chunks: 0,
      capacityUnits: 0,
    };
    row.requests += 1;
    row.empty += entry.empty ?? 0;
    row.items += entry.items ?? 0;
    row.chunks += entry.chunks ?? 0;
    row.capacityUnits += entry.capacityUnits ?? 0;
    this.rows.set(key, row);
  }

  /** The rows, sorted by service then requests (most first). */
  snapshot(): RequestRow[] {
    return [...this.rows.values()]
      .map((r) => ({ ...r }))
      .sort((a, b) => a.service.localeCompare(b.service) || b.requests - a.requests || a.operation.localeCompare(b.operation));
  }

  reset(): void {
    this.rows = new Map();
  }
}

/** `DynamoDB_20120810.PutItem` → `PutItem`; the query protocol's `Action=SendMessage` when there is no target. */
export function operationOf(target: string | undefined, body: string): string {
  if (target) return target.slice(target.indexOf('.') + 1);
  const action = new URLSearchParams(body).get('Action');
  return action ?? 'unknown';
}

const DYNAMO_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** How a DynamoDB operation is billed: read or write request units, or not per request (control plane). */
export function dynamoKind(operation: string): 'read' | 'write' | 'control' {
  if (DYNAMO_READS.has(operation)) return 'read';
  if (DYNAMO_WRITES.has(operation)) return 'write';
  return 'control';
}

/** SQS bills each started 64 KB of a request's payload as one request. */
export const SQS_CHUNK_BYTES = 64 * 1024;
export const sqsChunks = (requestBytes: number, answerBytes: number): number =>
  Math.max(1, Math.ceil(Math.max(requestBytes, answerBytes) / SQS_CHUNK_BYTES));

/** The queue's name without the run's prefix: the last path segment of `QueueUrl`. */
export function queueNameOf(body: string): string {
  try {
    const url = (JSON.parse(body) as { QueueUrl?: string }).QueueUrl ?? new URLSearchParams(body).get('QueueUrl') ?? '';
    return url.slice(url.lastIndexOf('/') + 1);
  } catch {
    return new URLSearchParams(body).get('QueueUrl')?.split('/').pop() ?? '';
  }
}

/** Request units reported in a DynamoDB answer's ConsumedCapacity (one object, or one per table). */
export function capacityUnitsOf(answer: unknown): number {
  const consumed = (answer as { ConsumedCapacity?: unknown } | null)?.ConsumedCapacity;
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((sum: number, c) => sum + Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
}

const WITH_CAPACITY = new Set([...DYNAMO_READS, ...DYNAMO_WRITES]);

export interface CountingProxy {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A loopback HTTP proxy to `target` (DynamoDB Local or fauxqs) that counts each request into `counter`. */
export async function startCountingProxy(input: {
  readonly target: string;
  readonly kind: 'dynamodb' | 'sqs';
  readonly counter: RequestCounter;
}): Promise<CountingProxy> {
  const target = new URL(input.target);
  const server = createServer((request, response) => {
    void (async () => {
      let body = await readAll(request);
      const target_ = header(request, 'x-amz-target');
      const operation = operationOf(target_, body.toString('utf8'));
      if (input.kind === 'dynamodb' && WITH_CAPACITY.has(operation)) body = withCapacity(body);
      const forwarded = await forward(target, request, body);
      response.writeHead(forwarded.status, forwarded.headers);
      response.end(forwarded.body);
      input.counter.add(describe(input.kind, target_, operation, body, forwarded.body));
    })().catch(() => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => close(server) };
}

function describe(kind: 'dynamodb' | 'sqs', target: string | undefined, operation: string, body: Buffer, answer: Buffer) {
  const answerJson = parseJson(answer);
  if (kind === 'sqs') {
    const received = operation === 'ReceiveMessage' ? ((answerJson as { Messages?: unknown[] } | undefined)?.Messages?.length ?? 0) : 0;
    const entries = (parseJson(body) as { Entries?: unknown[] } | undefined)?.Entries?.length;
    return {
      service: 'sqs' as const,
      operation,
      resource: queueNameOf(body.toString('utf8')),
      empty: operation === 'ReceiveMessage' && received === 0 ? 1 : 0,
      items: operation === 'ReceiveMessage' ? received : (entries ?? 1),
      chunks: sqsChunks(body.length, answer.length),
    };
  }
  if (target?.startsWith('DynamoDBStreams')) {
    const records = operation === 'GetRecords' ? ((answerJson as { Records?: unknown[] } | undefined)?.Records?.length ?? 0) : 0;
    return {
      service: 'dynamodb-streams' as const,
      operation,
      empty: operation === 'GetRecords' && records === 0 ? 1 : 0,
      items: records,
    };
  }
  return {
    service: 'dynamodb' as const,
    operation,
    resource: dynamoResourceOf(parseJson(body)),
    capacityUnits: capacityUnitsOf(answerJson),
  };
}

/**
 * Which kind of item a DynamoDB call touched: `Table/PK prefix/SK prefix` (`TenantsTable/PACING#/BUCKET`,
 * `JobsTable/job_`), or `Table/index` for a query; ids are folded away so calls count together.
 */
export function dynamoResourceOf(input: unknown): string {
  const request = (input ?? {}) as {
    TableName?: string;
    IndexName?: string;
    Key?: Record<string, { S?: string }>;
    Item?: Record<string, { S?: string }>;
    TransactItems?: unknown[];
    RequestItems?: Record<string, unknown>;
  };
  if (request.TransactItems) return `transaction of ${request.TransactItems.length}`;
  if (request.RequestItems) return Object.keys(request.RequestItems).map(tableOf).join('+');
  const table = tableOf(request.TableName ?? '?');
  if (!request.Key && !request.Item) return `${table}/${request.IndexName ?? 'table'}`;
  const key = request.Key ?? request.Item ?? {};
  return [table, prefixOf(key.pk?.S), prefixOf(key.sk?.S)].filter((part) => part !== '').join('/');
}

/** The table's logical name: local mode prefixes names with the run's prefix and a dash. */
const tableOf = (name: string) => name.slice(name.lastIndexOf('-') + 1);

/** `PACING#acct` → `PACING#`, `job_abc` → `job_`, `BUCKET` → `BUCKET`. */
function prefixOf(value: string | undefined): string {
  if (value === undefined) return '';
  const match = /^[A-Za-z]+[#_]/.exec(value);
  return match ? match[0] : value.length <= 12 ? value : '…';
}

/** Asks DynamoDB to report the request units it consumed (table and indexes), unless the caller already asked. */
function withCapacity(body: Buffer): Buffer {
  const parsed = parseJson(body) as Record<string, unknown> | undefined;
  if (!parsed || parsed.ReturnConsumedCapacity !== undefined) return body;
  return Buffer.from(JSON.stringify({ ...parsed, ReturnConsumedCapacity: 'INDEXES' }));
}

function forward(target: URL, request: IncomingMessage, body: Buffer) {
  return new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = value;
    headers['content-length'] = String(body.length);
    const out = httpRequest({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers }, (answer) => {
      void readAll(answer).then((answerBody) => {
        const answerHeaders: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) answerHeaders[name] = value;
        answerHeaders['content-length'] = String(answerBody.length);
        delete answerHeaders['transfer-encoding'];
        resolve({ status: answer.statusCode ?? 502, headers: answerHeaders, body: answerBody });
      }, reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

/**
 * Counts the requests that reach this process's own servers (the stand-ins, the local API) by the port they
 * listen on. Returns the unsubscribe.
 */
export function countServerRequests(ports: ReadonlyMap<number, Service>, counter: RequestCounter): () => void {
  const onStart = (message: unknown) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    const port = (server.address() as AddressInfo | null)?.port;
    const service = port === undefined ? undefined : ports.get(port);
    if (!service) return;
    if (service === 'api') {
      counter.add({ service, operation: request.method ?? 'GET', resource: routeOf(request.url ?? '/') });
      return;
    }
    counter.add({ service, operation: operationOf(header(request, 'x-amz-target'), '') });
  };
  subscribe('http.server.request.start', onStart);
  return () => {
    unsubscribe('http.server.request.start', onStart);
  };
}

/** `/v1/jobs/job_x/cancel?a=b` → `/v1/jobs/{id}/cancel`: ids folded so routes count together. */
export function routeOf(url: string): string {
  const path = url.split('?')[0] ?? '/';
  return path
    .split('/')
    .map((part, i, parts) => (i >= 3 && ['jobs', 'accounts', 'webhooks'].includes(parts[i - 1] ?? '') ? '{id}' : part))
    .join('/');
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
