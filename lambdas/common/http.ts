import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { METRICS } from '../../definitions/metrics.ts';
import type { ErrorDetail } from '../domain/errors.ts';
import { InvalidRequestError, PayloadTooLargeError, refusalOf, UnauthorizedError, UnsupportedMediaTypeError } from './http-errors.ts';
import { observedHandler } from './handlers.ts';
import { count, setJobContext } from './observability.ts';
import { logger } from './powertools.ts';

/** Bodies above this are refused before parsing, with a 413: parsing them would already cost memory and time. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ApiRequest {
  /** The caller's tenant, from the authorizer context; undefined only on public routes. */
  readonly tenantId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  readonly requestId: string;
}

export interface ApiResponse {
  readonly statusCode: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, body, headers };
}

/** The tenant of an authorized route; the authorizer guarantees it, this guards against misconfiguration. */
export function tenantOf(req: ApiRequest): string {
  if (!req.tenantId) throw new UnauthorizedError('missing or invalid API key');
  return req.tenantId;
}

/**
 * A map without a prototype. API Gateway hands over every name the caller sent, `__proto__` and
 * `constructor` included (JSON.parse makes them own keys); in a plain object, assigning `__proto__`
 * would change its prototype instead and the name would vanish, so an unknown parameter could slip
 * past the schemas that refuse unknown names.
 */
function nameMap(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

export function toApiRequest(event: APIGatewayProxyEvent): ApiRequest {
  const headers = nameMap();
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values && values.length > 0) headers[name.toLowerCase()] = values.join(', ');
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && headers[name.toLowerCase()] === undefined) headers[name.toLowerCase()] = value;
  }
  const query = nameMap();
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  const pathParameters = nameMap();
  for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
    if (value !== undefined) pathParameters[name] = value;
  }
  const rawBody = event.body ?? null;
  const body = rawBody !== null && event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody;
  const tenant = event.requestContext?.authorizer?.tenant_id;
  return {
    tenantId: typeof tenant === 'string' && tenant.length > 0 ? tenant : undefined,
    method: event.httpMethod,
    path: event.path,
    pathParameters,
    query,
    headers,
    body,
    requestId: event.requestContext?.requestId ?? 'unknown',
  };
}

/** zod issues → the envelope's `details`, paths joined with dots (`media_source.url`, `items.0.url`). */
export function zodDetails(error: z.ZodError, prefix?: string): ErrorDetail[] {
  const join = (parts: readonly PropertyKey[]) =>
    [prefix, ...parts.map(String)].filter((p) => p !== undefined && p !== '').join('.') || '(root)';
  return error.issues.flatMap((issue) => {
    // One detail per unknown field, at the field's own path, so a caller sees exactly what to remove.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'unknown field' }));
    }
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      return [{ path: join(issue.path), message: `required (${issue.expected})` }];
    }
    return [{ path: join(issue.path), message: issue.message }];
  });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix?: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(`invalid ${what}`, zodDetails(parsed.error, prefix));
  return parsed.data;
}

/**
 * JSON body rules shared by every write route: JSON content type, ≤ 256 KB, parseable, then the schema.
 * Each failure is a distinct 4xx so a caller knows what to fix.
 */
export function parseJsonBody<S extends z.ZodType>(req: ApiRequest, schema: S): z.infer<S> {
  const contentType = req.headers['content-type'];
  if (!contentType || !/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())) {
    // The header is the caller's text: say what is expected rather than repeating what was sent.
    throw new UnsupportedMediaTypeError('Content-Type must be application/json', [
      {
        path: 'headers.content-type',
        message: contentType ? 'not a JSON media type; send application/json' : 'missing; send application/json',
      },
    ]);
  }
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1];
  if (charset && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
    throw new UnsupportedMediaTypeError('only UTF-8 JSON is accepted', [
      { path: 'headers.content-type', message: 'charset must be utf-8 (or omitted)' },
    ]);
  }
  if (req.body === null || req.body.length === 0) {
    throw new InvalidRequestError('request body is required', [{ path: '(root)', message: 'empty body' }]);
  }
  const size = Buffer.byteLength(req.body, 'utf8');
  if (size > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`request body is ${size} bytes; the limit is ${MAX_BODY_BYTES}`, [
      { path: '(root)', message: `at most ${MAX_BODY_BYTES} bytes; send large images as image_url rather than image_base64` },
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(req.body);
  } catch (error) {
    throw new InvalidRequestError('request body is not valid JSON', [{ path: '(root)', message: unparseableJsonMessage(error) }]);
  }
  return parseWith(schema, value, 'request body');
}

/**
 * A fixed message, plus where parsing stopped when the parser says so. JSON.parse's own messages quote
 * the text around the error (`Unexpected token '}', "{"access_token":"pina_…"... is not valid JSON`),
 * which would copy a token or other secret into the answer and the logs; only the offset is kept.
 */
export function unparseableJsonMessage(error: unknown): string {
  const position = error instanceof Error ? /\bat position (\d+)\b/.exec(error.message)?.[1] : undefined;
  return position === undefined ? 'not valid JSON' : `not valid JSON (at character ${position})`;
}

function render(response: ApiResponse): APIGatewayProxyResult {
  const hasBody = response.body !== undefined && response.statusCode !== 204;
  return {
    statusCode: response.statusCode,
    headers: {
      ...(hasBody ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
      'Cache-Control': 'no-store',
      ...response.headers,
    },
    body: hasBody ? JSON.stringify(response.body) : '',
  };
}

/** Maps any thrown value to a response: typed errors to their envelope (lambdas/common/http-errors.ts), anything else to a logged 500. */
export function errorResponse(error: unknown, requestId: string): APIGatewayProxyResult {
  const refusal = refusalOf(error);
  if (refusal) {
    logger.info('request rejected', { code: refusal.error.code, status: refusal.status, details: refusal.error.details ?? [] });
    return render(json(refusal.status, { error: refusal.error }));
  }
  logger.error('unhandled error', error as Error);
  count(METRICS.UnhandledApiErrors);
  return render(json(500, { error: { code: 'internal', message: `internal error; quote request id ${requestId} when reporting it` } }));
}

/** 2xx, 4xx or 5xx: the status class of an answer (handlers never redirect). */
function statusClass(statusCode: number): '2xx' | '4xx' | '5xx' {
  return statusCode >= 500 ? '5xx' : statusCode >= 400 ? '4xx' : '2xx';
}

/**
 * Wraps a route's use-case call as a Lambda handler: Powertools tracing/logging/metrics through
 * observedHandler (lambdas/common/handlers.ts), the caller's tenant as a log key and trace annotation,
 * API Gateway event → ApiRequest, result or typed error → JSON response. Handlers stay ~20 lines.
 */
export function httpHandler(route: (req: ApiRequest) => Promise<ApiResponse>) {
  return observedHandler(async (event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> => {
    const req = toApiRequest(event);
    if (req.tenantId) setJobContext({ tenant_id: req.tenantId });
    let result: APIGatewayProxyResult;
    try {
      result = render(await route(req));
    } catch (error) {
      result = errorResponse(error, req.requestId);
    }
    count(METRICS.ApiResponses, statusClass(result.statusCode));
    return result;
  });
}
