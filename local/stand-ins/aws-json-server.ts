/**
 * A minimal HTTP server for AWS services that speak the AWS JSON 1.1 protocol (Secrets Manager,
 * EventBridge), good enough for the real AWS SDK v3 clients pointed at it with `endpoint`.
 *
 * Protocol, as the SDK sees it:
 * - request: `POST /`, `X-Amz-Target: <TargetPrefix>.<Operation>`, JSON body, SigV4 headers
 *   (accepted, never verified);
 * - success: 200, `Content-Type: application/x-amz-json-1.1`, JSON output (timestamps are epoch
 *   seconds, blobs base64 — handlers produce them in that shape);
 * - error: 4xx/5xx, `{"__type": "<Code>", "message": "..."}` plus `x-amzn-ErrorType: <Code>`,
 *   which the SDK turns into the service's typed exception class (e.g. ResourceNotFoundException).
 *
 * Binds 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error the service answers with, shaped like AWS's. */
export class AwsServiceError extends Error {
  constructor(
    /** The AWS error code, e.g. `ResourceNotFoundException`; becomes the SDK exception name. */
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export type AwsJsonInput = Record<string, unknown>;

export interface AwsJsonRequestContext {
  readonly operation: string;
  readonly requestId: string;
}

export type AwsJsonOperation = (input: AwsJsonInput, context: AwsJsonRequestContext) => unknown;

export interface AwsJsonServerOptions {
  /** `X-Amz-Target` prefix before the dot, e.g. `secretsmanager` or `AWSEvents`. */
  readonly targetPrefix: string;
  readonly operations: Readonly<Record<string, AwsJsonOperation>>;
  /** 0 (the default) picks a free loopback port. */
  readonly port?: number;
  /** Largest accepted request body. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Told about handler bugs (answered as 500 InternalFailure). @default console.error */
  readonly onInternalError?: (error: unknown, context: AwsJsonRequestContext) => void;
}

export interface RunningStandIn {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  /** Closes the listener and every open connection. Idempotent. */
  stop(): Promise<void>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<RunningStandIn> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const onInternalError =
    options.onInternalError ?? ((error, context) => console.error(`[${options.targetPrefix}.${context.operation}] internal error`, error));

  const server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' ? target.slice(options.targetPrefix.length + 1) : '';
    const context: AwsJsonRequestContext = { operation, requestId };
    try {
      const body = await readBody(request, maxBodyBytes);
      if (request.method !== 'POST') throw new AwsServiceError('UnknownOperationException', 'Only POST is supported.');
      const handler =
        typeof target === 'string' && target.startsWith(`${options.targetPrefix}.`) && Object.hasOwn(options.operations, operation)
          ? options.operations[operation]
          : undefined;
      if (!handler) throw new AwsServiceError('UnknownOperationException', `Unknown operation ${String(target ?? '(no X-Amz-Target)')}.`);
      const input = parseInput(body);
      const output = await handler(input, context);
      send(response, 200, requestId, output ?? {});
    } catch (error) {
      if (error instanceof AwsServiceError) {
        send(response, error.statusCode, requestId, { __type: error.code, message: error.message }, error.code);
        return;
      }
      onInternalError(error, context);
      send(
        response,
        500,
        requestId,
        { __type: 'InternalFailure', message: 'The request processing has failed because of an unknown error.' },
        'InternalFailure',
      );
    }
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
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => {
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Keep draining (so the error response can still be written) but stop buffering.
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    request.on('end', () => {
      if (tooLarge) reject(new AwsServiceError('SerializationException', `Request body is larger than ${maxBytes} bytes.`, 413));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function parseInput(body: string): AwsJsonInput {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsServiceError('SerializationException', 'Request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsServiceError('SerializationException', 'Request body must be a JSON object.');
  }
  return parsed as AwsJsonInput;
}

function send(response: ServerResponse, status: number, requestId: string, payload: unknown, errorType?: string): void {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
  });
  response.end(body);
}

// ---- small input helpers shared by the stand-ins -------------------------------------------------

/** A required, non-empty string member, or InvalidParameterException-style error with `code`. */
export function requireString(input: AwsJsonInput, member: string, code = 'ValidationException'): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') {
    throw new AwsServiceError(
      code,
      `1 validation error detected: Value at '${lowerFirst(member)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalString(input: AwsJsonInput, member: string, code = 'ValidationException'): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new AwsServiceError(
      code,
      `1 validation error detected: Value at '${lowerFirst(member)}' failed to satisfy constraint: Member must be a string`,
    );
  }
  return value;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** AWS JSON protocols carry timestamps as epoch seconds (fractions allowed). */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
