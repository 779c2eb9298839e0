/**
 * A webhook receiver for trying pinrelay locally: prints every delivery and answers like a
 * well-behaved subscriber.
 *
 *   node --import tsx local/webhook-receiver.ts --port 4000 --secret S [--fail-first N]
 *     [--fail-status 500] [--retry-after SECONDS]
 *
 * - listens on 127.0.0.1 only, any method, any path;
 * - checks the `x-pinrelay-webhook-secret` header against --secret (or the WEBHOOK_SECRET
 *   environment variable, which keeps the secret out of `ps`), in constant time: 401 when it does
 *   not match, 204 when it does;
 * - dedupes on `webhook-id`: a repeat of an acknowledged delivery prints "duplicate delivery" and is
 *   still answered 204 (a receiver must acknowledge retries of what it already processed);
 * - `--fail-first N` answers the first N authenticated deliveries with --fail-status (default 500,
 *   optionally with `Retry-After`), to watch retries happen; failed deliveries are not remembered
 *   for deduplication, so their retries are processed normally;
 * - prints one block per delivery: method and path, `webhook-id`, `webhook-timestamp`, the body
 *   (pretty-printed when it is JSON), and the answer;
 * - stops cleanly on SIGINT/SIGTERM.
 *
 * Tests use `startWebhookReceiver(options)` directly (port 0 = any free port; `respond` overrides
 * answers; `log` silences output).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const SECRET_HEADER = 'x-pinrelay-webhook-secret';
const MAX_BODY_BYTES = 1024 * 1024;

export interface ReceivedDelivery {
  /** 1-based, in arrival order (every request counts, rejected ones too). */
  readonly number: number;
  readonly receivedAt: Date;
  readonly method: string;
  readonly path: string;
  /** Lower-cased names, as Node reports them. */
  readonly headers: IncomingHttpHeaders;
  /** The raw body, exactly as received (UTF-8). */
  readonly body: string;
  /** The body parsed as JSON, when it is JSON. */
  readonly json?: unknown;
  readonly webhookId?: string;
  readonly webhookTimestamp?: string;
  /** The secret header matched (always true when no secret is configured). */
  readonly authorized: boolean;
  /** An acknowledged delivery with this webhook-id was received before. */
  readonly duplicate: boolean;
  /** The status answered. */
  readonly status: number;
}

/** A custom answer: status and extra headers. */
export interface ReceiverAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering (e.g. to trip a client timeout). */
  readonly delayMs?: number;
}

export interface WebhookReceiverOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** Expected `x-pinrelay-webhook-secret`; undefined accepts any request (tests only — the CLI insists on one). */
  secret?: string;
  /** Answer the first N authenticated deliveries with `failStatus`. @default 0 */
  failFirst?: number;
  /** @default 500 */
  failStatus?: number;
  /** Sent as `Retry-After` with the deliberate failures. */
  retryAfter?: string;
  /**
   * Decide the answer to an authenticated, non-duplicate delivery yourself (after `failFirst`);
   * undefined = the usual 204. `number` counts such deliveries from 1.
   */
  respond?: (delivery: {
    readonly number: number;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
  }) => ReceiverAnswer | undefined;
  /** Where the printed blocks go; `() => {}` silences. @default console.log */
  log?: (text: string) => void;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Every request received so far, oldest first. */
  deliveries(): ReceivedDelivery[];
  /** Closes the listener and every open connection. Idempotent. */
  stop(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const log = options.log ?? ((text: string) => console.log(text));
  const failFirst = options.failFirst ?? 0;
  const failStatus = options.failStatus ?? 500;
  const expected = options.secret === undefined ? undefined : digest(options.secret);
  const received: ReceivedDelivery[] = [];
  const acknowledged = new Set<string>();
  let authenticatedCount = 0;
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      log(`webhook receiver: failed to handle a request: ${String(error)}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receivedAt = new Date();
    const body = await readBody(request);
    const number = received.length + 1;
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const webhookId = header('webhook-id');
    const webhookTimestamp = header('webhook-timestamp');
    const given = header(SECRET_HEADER);
    const authorized = expected === undefined || (given !== undefined && timingSafeEqual(digest(given), expected));

    let status = 204;
    let answerHeaders: Record<string, string> = {};
    let delayMs = 0;
    let duplicate = false;
    let note = '';
    if (body === undefined) {
      status = 413;
      note = `body larger than ${MAX_BODY_BYTES} bytes`;
    } else if (!authorized) {
      status = 401;
      note = given === undefined ? `missing ${SECRET_HEADER}` : `wrong ${SECRET_HEADER}`;
    } else if (webhookId !== undefined && acknowledged.has(webhookId)) {
      duplicate = true;
      note = 'duplicate delivery';
    } else {
      authenticatedCount++;
      if (authenticatedCount <= failFirst) {
        status = failStatus;
        if (options.retryAfter !== undefined) answerHeaders['Retry-After'] = options.retryAfter;
        note = `failing on purpose (${authenticatedCount} of ${failFirst})`;
      } else {
        const custom = options.respond?.({ number: authenticatedCount, headers: request.headers, body });
        if (custom) {
          status = custom.status;
          answerHeaders = { ...custom.headers };
          delayMs = custom.delayMs ?? 0;
        }
      }
      if (status >= 200 && status < 300 && webhookId !== undefined) acknowledged.add(webhookId);
    }

    const json = parseJson(body);
    received.push({
      number,
      receivedAt,
      method: request.method ?? '',
      path: request.url ?? '/',
      headers: request.headers,
      body: body ?? '',
      ...(json !== undefined ? { json: json.value } : {}),
      ...(webhookId !== undefined ? { webhookId } : {}),
      ...(webhookTimestamp !== undefined ? { webhookTimestamp } : {}),
      authorized,
      duplicate,
      status,
    });
    log(
      printBlock({
        number,
        receivedAt,
        method: request.method ?? '',
        path: request.url ?? '/',
        webhookId,
        webhookTimestamp,
        body,
        json,
        status,
        note,
      }),
    );

    if (delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, delayMs);
        timers.add(timer);
      });
    }
    if (!response.destroyed) response.writeHead(status, answerHeaders).end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deliveries: () => [...received],
    stop: () => {
      stopping ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

/** SHA-256 first, so the comparison takes the same time whatever the lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The body as text, or undefined when it is too large (the rest is drained, not kept). */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(body: string | undefined): { value: unknown } | undefined {
  if (body === undefined || body.trim() === '') return undefined;
  try {
    return { value: JSON.parse(body) as unknown };
  } catch {
    return undefined;
  }
}

function printBlock(delivery: {
  number: number;
  receivedAt: Date;
  method: string;
  path: string;
  webhookId: string | undefined;
  webhookTimestamp: string | undefined;
  body: string | undefined;
  json: { value: unknown } | undefined;
  status: number;
  note: string;
}): string {
  const timestamp = delivery.webhookTimestamp;
  const asDate = timestamp !== undefined && /^\d+$/.test(timestamp) ? ` (${new Date(Number(timestamp) * 1000).toISOString()})` : '';
  const body =
    delivery.body === undefined
      ? '(body too large)'
      : delivery.json
        ? JSON.stringify(delivery.json.value, null, 2)
        : delivery.body === ''
          ? '(no body)'
          : delivery.body;
  return [
    `── delivery #${delivery.number} · ${delivery.receivedAt.toISOString()} ──────────────────────────`,
    `${delivery.method} ${delivery.path}`,
    `webhook-id:        ${delivery.webhookId ?? '(none)'}`,
    `webhook-timestamp: ${timestamp ?? '(none)'}${asDate}`,
    body,
    `→ ${delivery.status}${delivery.note ? `  ${delivery.note}` : ''}`,
    '',
  ].join('\n');
}

// ---- command line -----------------------------------------------------------------------------------

const USAGE = `Usage: node --import tsx local/webhook-receiver.ts --port 4000 --secret S [options]

  --port N            port on 127.0.0.1 (default 4000; 0 = any free port)
  --secret S          expected x-pinrelay-webhook-secret (or set WEBHOOK_SECRET)
  --fail-first N      answer the first N deliveries with --fail-status, to watch retries
  --fail-status CODE  status for those failures (default 500)
  --retry-after SECS  send Retry-After with those failures
  --help              this text`;

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
  return value;
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      secret: { type: 'string' },
      'fail-first': { type: 'string' },
      'fail-status': { type: 'string' },
      'retry-after': { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
}

async function main(argv: string[]): Promise<void> {
  let values: ReturnType<typeof parseCommandLine>;
  try {
    values = parseCommandLine(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const secret = values.secret ?? process.env.WEBHOOK_SECRET;
  let options: WebhookReceiverOptions;
  try {
    if (!secret) throw new Error('a secret is required: --secret S or WEBHOOK_SECRET=S');
    options = {
      port: integer('port', values.port, 4000, 0, 65_535),
      secret,
      failFirst: integer('fail-first', values['fail-first'], 0, 0, 1_000_000),
      failStatus: integer('fail-status', values['fail-status'], 500, 100, 599),
      ...(values['retry-after'] !== undefined ? { retryAfter: String(integer('retry-after', values['retry-after'], 0, 0, 86_400)) } : {}),
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const receiver = await startWebhookReceiver(options);
  console.log(
    `Webhook receiver listening on ${receiver.url} (checking ${SECRET_HEADER}` +
      `${options.failFirst ? `; failing the first ${options.failFirst} with ${options.failStatus}` : ''}). Ctrl-C to stop.\n`,
  );
  const shutdown = (signal: string) => {
    console.log(`\n${signal}: stopping after ${receiver.deliveries().length} request(s).`);
    receiver.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2));
}
