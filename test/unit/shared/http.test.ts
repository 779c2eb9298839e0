import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

vi.hoisted(() => {
  // Before powertools.ts builds its logger/metrics/tracer at import time: keep the test output quiet.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_TRACE_ENABLED = 'false';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { CreatePinRequest } from '../../../lambdas/api/schemas.ts';
import {
  InvalidRequestError,
  PayloadTooLargeError,
  refusalOf,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../../lambdas/common/http-errors.ts';
import * as domainErrors from '../../../lambdas/domain/errors.ts';
import {
  AccountNotConnected,
  Conflict,
  DomainError,
  IdempotencyKeyReused,
  InvalidInput,
  InvalidPinFields,
  JobNotCancellable,
  JobNotFound,
  NotFound,
  PublishAtTooFarAhead,
  type ErrorDetail,
} from '../../../lambdas/domain/errors.ts';
import {
  httpHandler,
  json,
  MAX_BODY_BYTES,
  parseJsonBody,
  parseWith,
  tenantOf,
  zodDetails,
  type ApiRequest,
  type ApiResponse,
} from '../../../lambdas/common/http.ts';
import { lambdaContext } from '../builders.ts';

const FIXTURE: APIGatewayProxyEvent = JSON.parse(
  readFileSync(new URL('../../fixtures/api-gateway-proxy-event.json', import.meta.url), 'utf8'),
);
const proxyEvent = (patch: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent => ({ ...structuredClone(FIXTURE), ...patch });

function apiRequest(contentType: string | undefined, body: string | null): ApiRequest {
  return {
    tenantId: 'ten_a',
    method: 'POST',
    path: '/v1/pins',
    pathParameters: {},
    query: {},
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body,
    requestId: 'req-1',
  };
}

const anything = z.unknown();

/** What `call` throws (it must throw). */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseJsonBody', () => {
  it.each([
    ['application/json'],
    ['application/json; charset=utf-8'],
    ['Application/JSON;charset="UTF8"'],
    ['application/merge-patch+json'],
  ])('accepts Content-Type %j', (contentType) => {
    expect(parseJsonBody(apiRequest(contentType, '{"a":[1]}'), anything)).toEqual({ a: [1] });
  });

  it.each([
    [undefined],
    ['text/plain'],
    ['application/x-www-form-urlencoded'],
    ['application/jsonp'],
    ['text/json'],
    ['multipart/form-data; boundary=x'],
  ])('rejects Content-Type %j with 415', (contentType) => {
    const call = () => parseJsonBody(apiRequest(contentType, '{}'), anything);
    expect(call).toThrow(UnsupportedMediaTypeError);
    expect(refusalOf(thrownBy(call))).toMatchObject({ status: 415, error: { code: 'unsupported_media_type' } });
  });

  it('rejects a non-UTF-8 charset with 415', () => {
    expect(() => parseJsonBody(apiRequest('application/json; charset=latin1', '{}'), anything)).toThrow(UnsupportedMediaTypeError);
  });

  it.each([[null], ['']])('rejects an empty body (%j) with 400', (body) => {
    expect(() => parseJsonBody(apiRequest('application/json', body), anything)).toThrow(InvalidRequestError);
  });

  it('accepts exactly 256 KB and rejects one byte more with 413, counting bytes not characters', () => {
    const exactly = `"${'x'.repeat(MAX_BODY_BYTES - 2)}"`;
    const multibyte = `"${'é'.repeat(MAX_BODY_BYTES / 2)}"`; // fewer characters than the limit, more bytes

    expect(MAX_BODY_BYTES).toBe(262_144);
    expect(parseJsonBody(apiRequest('application/json', exactly), anything)).toHaveLength(MAX_BODY_BYTES - 2);
    expect(() => parseJsonBody(apiRequest('application/json', `${exactly} `), anything)).toThrow(PayloadTooLargeError);
    expect(refusalOf(thrownBy(() => parseJsonBody(apiRequest('application/json', multibyte), anything)))).toMatchObject({
      status: 413,
      error: { code: 'payload_too_large' },
    });
  });

  // Bad input is always a 4xx with details: the 413 says what the limit is, at `(root)`.
  it('explains a 413 in details', () => {
    const call = () => parseJsonBody(apiRequest('application/json', `"${'x'.repeat(MAX_BODY_BYTES)}"`), anything);
    expect(call).toThrow(expect.objectContaining({ details: [expect.objectContaining({ path: '(root)' })] }));
  });

  it.each([['{'], ['{"a":1,}'], ["{'a':1}"], ['undefined']])('rejects malformed JSON %j with 400', (body) => {
    expect(refusalOf(thrownBy(() => parseJsonBody(apiRequest('application/json', body), anything)))).toMatchObject({
      status: 400,
      error: { code: 'validation_error', details: [expect.objectContaining({ path: '(root)' })] },
    });
  });

  // JSON.parse's own messages quote the text around the error ("Unexpected token '}', "{"access_token":"pina_…"…
  // is not valid JSON"): on PUT /v1/accounts that is a token, copied into the answer and the logs.
  it.each([
    ['a trailing brace', '{"access_token":"pina_SECRET_4242"}}'],
    ['an unquoted value', '{"access_token":pina_SECRET_4242}'],
    ['an unterminated string', '{"access_token":"pina_SECRET_4242'],
    ['a bare word', 'pina_SECRET_4242'],
    ['a single-quoted body', "{'access_token':'pina_SECRET_4242'}"],
    ['an unexpected token right after the secret', '{"access_token":"pina_SECRET_4242" "x"}'],
  ])('never echoes the body of unparseable JSON (%s), at most a character offset', (_name, body) => {
    let thrown: unknown;
    try {
      parseJsonBody(apiRequest('application/json', body), anything);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidRequestError);
    const error = thrown as InvalidRequestError;
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(/SECRET|4242|pina|access_token/);
    expect(error.details).toEqual([{ path: '(root)', message: expect.stringMatching(/^not valid JSON( \(at character \d+\))?$/) }]);
  });

  it('reports where the JSON breaks as a character offset', () => {
    expect(() => parseJsonBody(apiRequest('application/json', '{"a":1,}'), anything)).toThrow(
      expect.objectContaining({ details: [{ path: '(root)', message: 'not valid JSON (at character 7)' }] }),
    );
  });

  it('never echoes the Content-Type or charset it refuses', () => {
    for (const contentType of ['text/plain; token=pina_SECRET', 'application/json; charset=pina_SECRET']) {
      let thrown: unknown;
      try {
        parseJsonBody(apiRequest(contentType, '{}'), anything);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UnsupportedMediaTypeError);
      expect(JSON.stringify((thrown as UnsupportedMediaTypeError).details) + (thrown as Error).message).not.toContain('SECRET');
    }
  });

  it('validates against the schema with field paths', () => {
    const body = JSON.stringify({
      account_id: 'acme',
      board_id: 'x',
      media_source: { source_type: 'image_url', url: 'https://e.com/a.jpg' },
    });
    expect(() => parseJsonBody(apiRequest('application/json', body), CreatePinRequest)).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ path: 'board_id' })] }),
    );
  });
});

describe('zodDetails', () => {
  it('reports each unknown field at its own path, and missing fields as required', () => {
    const parsed = CreatePinRequest.safeParse({
      account_id: 'acme',
      extra_root: 1,
      media_source: { source_type: 'image_url', url: 'https://e.com/a.jpg', extra: 1, other: 2 },
    });

    expect(zodDetails(parsed.error!)).toEqual(
      expect.arrayContaining([
        { path: 'extra_root', message: 'unknown field' },
        { path: 'media_source.extra', message: 'unknown field' },
        { path: 'media_source.other', message: 'unknown field' },
        { path: 'board_id', message: 'required (string)' },
      ]),
    );
  });

  it('prefixes paths and names the root', () => {
    expect(zodDetails(z.object({ limit: z.number() }).safeParse({ limit: 'x' }).error!, 'query')).toEqual([
      { path: 'query.limit', message: expect.any(String) },
    ]);
    expect(zodDetails(z.object({}).safeParse(7).error!)).toEqual([{ path: '(root)', message: expect.any(String) }]);
    expect(zodDetails(z.array(z.string()).safeParse(['a', 1]).error!)).toEqual([{ path: '1', message: expect.any(String) }]);
  });
});

describe('httpHandler', () => {
  const invoke = (route: (req: ApiRequest) => Promise<ApiResponse>, event = proxyEvent()) => httpHandler(route)(event, lambdaContext());
  const JSON_TYPE = 'application/json; charset=utf-8';

  it('turns the API Gateway event into an ApiRequest', async () => {
    // Prepare
    let seen: ApiRequest | undefined;
    const event = proxyEvent({
      pathParameters: { job_id: 'job_1' },
      queryStringParameters: { limit: '5' },
      multiValueHeaders: { ...FIXTURE.multiValueHeaders, 'X-Tag': ['a', 'b'] },
      body: Buffer.from(FIXTURE.body!, 'utf8').toString('base64'),
      isBase64Encoded: true,
    });

    // Act
    await invoke(async (req) => {
      seen = req;
      return json(200, {});
    }, event);

    // Assess
    expect(seen).toMatchObject({
      tenantId: 'ten_8k3m9q2x7v1c4b6n',
      method: 'POST',
      path: '/v1/pins',
      pathParameters: { job_id: 'job_1' },
      query: { limit: '5' },
      body: FIXTURE.body,
      requestId: '8d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a',
    });
    expect(seen!.headers).toMatchObject({ 'content-type': JSON_TYPE, 'idempotency-key': 'cms-4411-pinterest', 'x-tag': 'a, b' });
    expect(Object.keys(seen!.headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('reads lower-cased headers from `headers` when multiValueHeaders is absent', async () => {
    let seen: ApiRequest | undefined;
    const { multiValueHeaders: _drop, ...event } = proxyEvent();
    await invoke(async (req) => {
      seen = req;
      return json(204, undefined);
    }, event as APIGatewayProxyEvent);
    expect(seen!.headers['idempotency-key']).toBe('cms-4411-pinterest');
    expect(seen!.headers['Idempotency-Key']).toBeUndefined();
  });

  // Found by the API fuzzer (test/integration/fuzz): assigned into a plain object, a `__proto__` name set the
  // prototype instead and vanished, so `GET /v1/stats?__proto__=x` passed a schema that refuses unknown parameters.
  it('keeps `__proto__` and `constructor` as ordinary names in the query, the headers and the path parameters', async () => {
    // Prepare: API Gateway's event is JSON, so these are own keys, as JSON.parse makes them
    let seen: ApiRequest | undefined;
    const event = proxyEvent({
      queryStringParameters: JSON.parse('{"__proto__":"x","constructor":"y","limit":"5"}'),
      multiValueHeaders: JSON.parse('{"__proto__":["h"],"Content-Type":["application/json"]}'),
      headers: JSON.parse('{"__proto__":"h","Content-Type":"application/json"}'),
      pathParameters: JSON.parse('{"__proto__":"p"}'),
    });

    // Act
    await invoke(async (req) => {
      seen = req;
      return json(200, {});
    }, event);

    // Assess
    expect(Object.entries(seen!.query)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
      ['limit', '5'],
    ]);
    expect(Object.entries(seen!.headers)).toEqual([
      ['__proto__', 'h'],
      ['content-type', 'application/json'],
    ]);
    expect(Object.entries(seen!.pathParameters)).toEqual([['__proto__', 'p']]);
    expect(() => parseWith(z.object({ limit: z.string() }).strict(), seen!.query, 'query string', 'query')).toThrow(
      expect.objectContaining({
        details: [
          { path: 'query.__proto__', message: 'unknown field' },
          { path: 'query.constructor', message: 'unknown field' },
        ],
      }),
    );
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('renders a result as JSON with the route headers', async () => {
    const result = await invoke(async () => json(202, { id: 'job_1', title: 'Café 😀' }, { Location: '/v1/jobs/job_1' }));

    expect(result).toEqual({
      statusCode: 202,
      headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store', Location: '/v1/jobs/job_1' },
      body: '{"id":"job_1","title":"Café 😀"}',
    });
  });

  it('renders 204 without a body or Content-Type', async () => {
    const result = await invoke(async () => json(204, { ignored: true }));
    expect(result).toEqual({ statusCode: 204, headers: { 'Cache-Control': 'no-store' }, body: '' });
  });

  const reused: readonly ErrorDetail[] = [
    { path: 'headers.idempotency-key', message: 'use a new key for a different pin, or resend the original body' },
  ];
  it.each<[string, DomainError | InvalidRequestError, number, readonly ErrorDetail[]]>([
    [
      'validation_error',
      new InvalidRequestError('invalid request body', [{ path: 'media_source.url', message: 'must be an absolute http(s) URL' }]),
      400,
      [{ path: 'media_source.url', message: 'must be an absolute http(s) URL' }],
    ],
    ['validation_error', new PublishAtTooFarAhead(365), 400, [{ path: 'publish_at', message: 'must be within 365 days from now' }]],
    [
      'validation_error',
      new InvalidPinFields([{ path: 'pin.title', message: 'must be at most 100 characters' }]),
      400,
      [{ path: 'pin.title', message: 'must be at most 100 characters' }],
    ],
    ['unauthorized', new UnauthorizedError('missing or invalid API key'), 401, []],
    ['not_found', new JobNotFound('job_1'), 404, []],
    ['not_found', new AccountNotConnected('acme'), 404, [{ path: 'account_id', message: 'connect it first with PUT /v1/accounts/acme' }]],
    ['conflict', new JobNotCancellable('job_1', 'running'), 409, []],
    ['payload_too_large', new PayloadTooLargeError('too big'), 413, []],
    [
      'unsupported_media_type',
      new UnsupportedMediaTypeError('json only', [{ path: 'headers.content-type', message: 'got none' }]),
      415,
      [{ path: 'headers.content-type', message: 'got none' }],
    ],
    ['idempotency_key_reused', new IdempotencyKeyReused('job_1'), 422, reused],
  ])('maps a thrown %s to its envelope', async (code, error, status, details) => {
    const result = await invoke(async () => {
      throw error;
    });

    expect(result.statusCode).toBe(status);
    expect(result.headers).toMatchObject({ 'Content-Type': JSON_TYPE });
    expect(JSON.parse(result.body)).toEqual({ error: { code, message: error.message, ...(details.length > 0 ? { details } : {}) } });
  });

  it('keeps the messages callers see (the domain errors say them now)', () => {
    expect(new JobNotFound('job_1').message).toBe('job job_1 not found');
    expect(new JobNotCancellable('job_1', 'running').message).toBe(
      'job job_1 is running; only queued, scheduled or retry_scheduled jobs can be cancelled',
    );
    expect(new IdempotencyKeyReused('job_1').message).toBe('Idempotency-Key was already used for a different request (job job_1)');
    expect(new AccountNotConnected('acme').message).toBe('account acme is not connected');
  });

  it('answers every domain error with a 4xx: each one belongs to a family the table maps', () => {
    const families = new Map<unknown, number>([
      [InvalidInput, 400],
      [NotFound, 404],
      [Conflict, 409],
      [IdempotencyKeyReused, 422],
    ]);
    const classes = (Object.values(domainErrors) as unknown[]).filter(
      (value): value is abstract new (...args: never[]) => DomainError =>
        typeof value === 'function' && value.prototype instanceof DomainError,
    );
    expect(classes.length).toBeGreaterThan(15);
    for (const type of classes) {
      // An instance without running the constructor: the mapping looks only at the class.
      const instance = Object.assign(Object.create(type.prototype) as DomainError, { message: type.name, details: [] });
      const family = [...families.keys()].find((f) => instance instanceof (f as typeof DomainError));
      expect(family, `${type.name} is in no family`).toBeDefined();
      expect(refusalOf(instance)?.status, type.name).toBe(families.get(family));
    }
  });

  it.each([[new Error('connect ECONNREFUSED 10.0.3.7:8000 password=hunter2')], ['a thrown string with hunter2']])(
    'maps anything else to a 500 that leaks nothing: %s',
    async (thrown) => {
      const result = await invoke(async () => {
        throw thrown;
      });

      const body = JSON.parse(result.body);
      expect(result.statusCode).toBe(500);
      expect(result.headers).toMatchObject({ 'Content-Type': JSON_TYPE });
      expect(body.error.code).toBe('internal');
      expect(body.error.message).toContain('8d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a');
      expect(result.body).not.toMatch(/hunter2|ECONNREFUSED|10\.0\.3\.7/);
    },
  );

  it('answers 401 through tenantOf when the authorizer context has no tenant', async () => {
    const event = proxyEvent();
    event.requestContext.authorizer = { principalId: 'anonymous' };

    const result = await invoke(async (req) => json(200, { tenant: tenantOf(req) }), event);

    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body).error.code).toBe('unauthorized');
  });
});

describe('tenantOf', () => {
  it.each([[undefined], ['']])('throws UnauthorizedError for tenant %j', (tenantId) => {
    expect(() => tenantOf({ ...apiRequest('application/json', null), tenantId })).toThrow(UnauthorizedError);
  });

  it('returns the tenant', () => {
    expect(tenantOf(apiRequest('application/json', null))).toBe('ten_a');
  });
});
