import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../../definitions/functions.ts';
import { GATEWAY_RESPONSES, gatewayResponseBody, gatewayResponseStatus } from '../../../definitions/gateway-responses.ts';
import { ERROR_CODES, ErrorEnvelope } from '../../../lambdas/api/schemas.ts';
import { censusTaker } from './census.ts';
import { DEFAULT_RUNS, FUZZ_RUNS, fuzzOptions, propertyTimeoutMs } from './config.ts';
import { STATUS_OF_CODE } from './invariants.ts';
import { encode } from './materialize.ts';
import { fuzzRoute } from './property.ts';
import { ROUTES } from './routes.ts';
import { closeConnections, send } from './wire.ts';
import { buildWorld, TENANTS, type World } from './world.ts';

/**
 * Fuzzing the whole public API (seeded; `npm run fuzz -- --runs 2000 --seed S` runs more): one property per
 * route of definitions/functions.ts, each request built from valid ones and broken — bodies, headers,
 * API keys, ids in paths, query strings — and sent through the local API Gateway (authorizer, then the
 * handler) to a world of two tenants with real accounts, jobs and webhooks (world.ts). On every case:
 * never a 5xx; every refusal in the error envelope with the documented code for its status; every
 * success in its documented shape, without undocumented fields; nothing stored that the answer does not
 * account for, and nothing of another tenant changed; no marker, id, key, secret or cursor of another
 * tenant in the answer, and no token ever; another tenant's id answered exactly like an id nobody has.
 */

let world: World;
let census: ReturnType<typeof censusTaker>;

beforeAll(async () => {
  world = await buildWorld();
  census = censusTaker(world.pipeline);
}, 120_000);

afterAll(async () => {
  census?.close();
  closeConnections();
  await world?.stop();
});

describe('the fuzzers cover the API', () => {
  it('has a property for every route with an api trigger in definitions/functions.ts', () => {
    const routes = FUNCTIONS.flatMap((fn) => (fn.trigger.kind === 'api' ? fn.trigger.routes.map((r) => `${r.method} ${r.path}`) : []));
    expect(ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual(routes);
  });

  it("renders API Gateway's own errors (definitions/gateway-responses.ts) in the same envelope, with the documented code for their status", () => {
    for (const def of GATEWAY_RESPONSES) {
      const body = ErrorEnvelope.parse(JSON.parse(gatewayResponseBody(def)));
      expect(ERROR_CODES, def.type).toContain(body.error.code);
      expect(STATUS_OF_CODE[body.error.code], def.type).toBe(gatewayResponseStatus(def));
    }
  });
});

describe('every route keeps the API contract under fuzzed requests', () => {
  for (const route of ROUTES) {
    it(
      `${route.method} ${route.path} (${route.name})`,
      async () => {
        const { statuses } = await fuzzRoute(world, census, route);
        console.info(`fuzz ${route.name}: ${FUZZ_RUNS} requests, statuses ${JSON.stringify(statuses)}`);
        // Both sides must be exercised, or the property proves little: some requests get through, many do not
        // (the public documents refuse nothing: they take no key, parameter or body).
        if (FUZZ_RUNS >= DEFAULT_RUNS) {
          const count = (from: number, to: number) =>
            Object.entries(statuses).reduce((n, [s, c]) => (+s >= from && +s < to ? n + c : n), 0);
          expect(count(200, 300), 'successes').toBeGreaterThan(0);
          if (route.authorized) expect(count(400, 500), 'refusals').toBeGreaterThan(FUZZ_RUNS / 10);
        }
      },
      propertyTimeoutMs(),
    );
  }
});

describe('requests outside the routes', () => {
  it(
    'answers unknown routes and methods in the envelope, with the documented code for its status, never a 5xx',
    async () => {
      const segments = fc.oneof(
        fc.constantFrom('v1', 'v2', 'pins', 'jobs', 'accounts', 'webhooks', 'stats', 'admin', '..', '', 'openapi.json'),
        fc.string({ maxLength: 6 }),
      );
      // Made-up paths, and the real ones (ids filled in) with every method: a wrong method is an unknown route too.
      const made = fc.array(segments, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.map((p) => encode(p, false)).join('/')}`);
      const real = fc.constantFrom(...ROUTES.map((r) => r.path.replace(/\{[a-z_]+\}/, 'x')));
      const request = fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        path: fc.oneof(made, real),
        keyed: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ method, path, keyed }) => {
          const headers: Array<[string, string]> = keyed ? [['Authorization', `Bearer ${world.tenants.A.apiKey}`]] : [];
          const res = await send(world.pipeline.apiUrl, { method, path, headers });
          expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(500);
          if (res.status >= 400) {
            const { error } = ErrorEnvelope.parse(JSON.parse(res.text));
            expect(STATUS_OF_CODE[error.code]).toBe(res.status);
          }
          for (const tenant of TENANTS.filter((t) => !keyed || t !== 'A')) {
            for (const marker of world.markersOf(tenant)) expect(res.text).not.toContain(marker);
          }
        }),
        fuzzOptions('unknown routes'),
      );
    },
    propertyTimeoutMs(),
  );
});

// What the fuzzers found, pinned as plain requests so each stays fixed whatever the seed.
describe('regressions the fuzzers found', () => {
  const as = (path: string, headers: Array<[string, string]> = []) =>
    send(world.pipeline.apiUrl, { method: 'GET', path, headers: [['Authorization', `Bearer ${world.tenants.A.apiKey}`], ...headers] });

  it('refuses a listing cursor forged with an empty or oversize sort key with 400 at cursor, not a 500 from DynamoDB', async () => {
    const { cursor } = world.tenants.A.listings[0] as { cursor: string };
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, string>;
    for (const sortKey of ['', 'x'.repeat(1_100), `2026-01-01T00:00:00.000Z#${'j'.repeat(1_050)}`]) {
      const forged = Buffer.from(JSON.stringify({ ...key, list_sk: sortKey }), 'utf8').toString('base64url');
      const res = await as(`/v1/jobs?cursor=${forged}`);
      expect(res.status, res.text).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'validation_error', details: [{ path: 'cursor' }] } });
    }
  });

  it('refuses `__proto__` and `constructor` query parameters like any unknown one (400), and takes a header of that name like any other', async () => {
    for (const path of ['/v1/jobs?__proto__=x', '/v1/stats?constructor=x', '/v1/stats?__proto__=']) {
      const res = await as(path);
      expect(res.status, `${path}: ${res.text}`).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'validation_error', details: [{ message: 'unknown field' }] } });
    }
    const res = await as('/v1/stats', [['__proto__', 'x']]);
    expect(res.status, res.text).toBe(200);
  });
});

describe('after the fuzzing', () => {
  it("delivered each tenant's webhook events to its own subscriptions only", async () => {
    await world.pipeline.events.idle();
    const deliveries = world.receiverDeliveries();
    for (const tenant of TENANTS) {
      const own = deliveries.filter((d) => d.path.includes(world.tenants[tenant].marker));
      for (const other of TENANTS.filter((t) => t !== tenant)) {
        for (const d of own) for (const marker of world.markersOf(other)) expect(d.body).not.toContain(marker);
      }
    }
    console.info(`fuzz world: ${deliveries.length} webhook deliveries, none across tenants`);
  });
});
