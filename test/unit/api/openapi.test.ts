import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../lambdas/api/openapi.ts';
import { FUNCTIONS } from '../../../definitions/functions.ts';

const doc = openApiDocument();
type Operation = {
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { headers?: object }>;
  security?: unknown[];
};
const operation = (path: string, method: string) => (doc.paths[path] as Record<string, Operation> | undefined)?.[method];

const ROUTES = FUNCTIONS.flatMap((fn) => (fn.trigger.kind === 'api' ? fn.trigger.routes.map((route) => ({ fn: fn.name, ...route })) : []));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

describe('openApiDocument', () => {
  it('is OpenAPI 3.0.x and survives a JSON round trip', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('has API routes to check', () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(7);
  });

  it.each(ROUTES)('$fn: documents $method $path with its path parameters and security', ({ method, path, authorized }) => {
    const op = operation(path, method.toLowerCase());

    expect(op).toBeDefined();
    for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
      expect(op!.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
    }
    if (authorized) {
      expect(op!.security).toEqual([{ apiKey: [] }]);
      expect(op!.responses).toHaveProperty('401');
    } else {
      expect(op!.security ?? []).toEqual([]);
    }
  });

  it('documents no route that no function serves', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('documents POST /v1/pins: Idempotency-Key header, 202 new, 200 replay, 422 reused key', () => {
    const op = operation('/v1/pins', 'post')!;

    expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '404', '413', '415', '422']));
    expect(op.responses['200']!.headers).toHaveProperty('Idempotent-Replayed');
    expect(op.responses['202']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } });
    expect(op.responses['422']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  });

  it('documents cancel conflicts and lookups of unknown ids', () => {
    expect(operation('/v1/jobs/{job_id}/cancel', 'post')!.responses).toHaveProperty('409');
    expect(operation('/v1/jobs/{job_id}', 'get')!.responses).toHaveProperty('404');
    expect(operation('/v1/accounts/{account_id}', 'get')!.responses).toHaveProperty('404');
  });

  it('has the public schemas as components, closed to unknown fields where requests are', () => {
    const schemas = doc.components?.schemas as Record<string, Record<string, unknown>>;

    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Job', 'CreatePinRequest', 'Error', 'Account', 'PutAccountRequest', 'JobList']),
    );
    expect(schemas.CreatePinRequest).toMatchObject({
      additionalProperties: false,
      required: expect.arrayContaining(['account_id', 'board_id', 'media_source']),
    });
    expect(schemas.PutAccountRequest).toMatchObject({ additionalProperties: false, required: ['access_token'] });
    expect(schemas.Error).toMatchObject({ required: ['error'] });
    expect(doc.components?.securitySchemes).toMatchObject({ apiKey: { type: 'http', scheme: 'bearer' } });
  });

  it('documents incidents on every job: always present, each with a kind and, for dead letters, its queue', () => {
    const schemas = doc.components?.schemas as Record<string, { required?: string[]; properties: Record<string, Record<string, unknown>> }>;

    expect(schemas.Job!.required).toContain('incidents');
    expect(schemas.Job!.properties.incidents).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/Incident' } });
    expect(schemas.Incident!.required).toEqual(['at', 'kind', 'detail']);
    expect(schemas.Incident!.properties.kind).toMatchObject({
      enum: ['message_dead_lettered', 'redispatched', 'lease_expired', 'stranded'],
    });
    expect(schemas.Incident!.properties.queue).toMatchObject({ enum: ['publish', 'delay'] });
  });

  // Clients generated from /v1/openapi.json must know Pinterest's limits (JSON Schema maxLength counts code
  // points, exactly Pinterest's rule).
  it('documents the Pinterest text limits', () => {
    const pin = (doc.components!.schemas as Record<string, { properties: Record<string, { maxLength?: number }> }>).CreatePinRequest!;
    expect(pin.properties.title?.maxLength).toBe(100);
    expect(pin.properties.description?.maxLength).toBe(800);
    expect(pin.properties.alt_text?.maxLength).toBe(500);
  });
});

describe('openApiDocument: events', () => {
  const schemas = doc.components?.schemas as Record<
    string,
    { description?: string; required?: string[]; properties?: Record<string, unknown>; oneOf?: unknown[] }
  >;

  it('has the job event detail and the webhook delivery body as described components (OpenAPI 3.0 has no webhooks section)', () => {
    expect(schemas.JobEvent).toMatchObject({
      description: expect.stringContaining('EventBridge'),
      required: ['id', 'type', 'schema_version', 'created_at', 'timestamp', 'tenant_id', 'data'],
    });
    expect(schemas.WebhookDelivery).toMatchObject({ description: expect.stringContaining('webhook'), oneOf: expect.any(Array) });
    expect(schemas.JobEventDelivery!.required).toEqual(['id', 'type', 'created_at', 'data']);
    expect(schemas.WebhookTestDelivery!.properties!.type).toMatchObject({ enum: ['webhook.test'] });
    expect(schemas.EventJob).toBeDefined();
  });

  it('points at the JSON Schema document of the events, a public route', () => {
    const op = operation('/v1/events/schema.json', 'get')!;

    expect(op).toBeDefined();
    expect(op.security ?? []).toEqual([]);
    expect(JSON.stringify(op)).toContain('#/components/schemas/JobEvent');
  });
});
