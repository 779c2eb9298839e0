/**
 * Per-tenant throttling in local mode: the local API Gateway (local/http-api.ts) plays the usage plan each
 * tenant's usage-plan key belongs to in AWS (`tenantLimits.*`). The invariant: one tenant cannot starve the
 * others. A tenant flooding the API gets 429 `rate_limited` in the error envelope with Retry-After, never more
 * successes than its bucket allows (burst + rate × time), and a refused request never reaches a handler (no
 * job is written for it); another tenant's requests at the same time all succeed. The daily quota answers
 * 429 too, per tenant, until the next UTC day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import { startLocalApi, type LocalApi } from '../../local/http-api.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { callerFor, testPipeline, waitFor, type ApiResponse, type Caller, type ErrorBody } from './harness.ts';

const LIMITS = { rateLimit: 5, burstLimit: 10, dailyQuota: 0 };
const FLOOD = { seconds: 3, concurrency: 12 };
const CALM_EVERY_MS = 250; // tenant B: 4 requests a second, under its own limit of 5

let pipeline: Pipeline;
const extraApis: LocalApi[] = [];

beforeAll(async () => {
  pipeline = await testPipeline({ worker: false, api: { tenantLimits: LIMITS } });
});

afterAll(async () => {
  await Promise.allSettled(extraApis.map((api) => api.stop()));
  await pipeline?.stop();
});

/** A tenant with a connected account (`main`), created while its bucket is full. */
async function tenant(name: string): Promise<{ tenantId: string; api: Caller }> {
  const created = await pipeline.createTenant(name);
  const api = callerFor(pipeline, created.apiKey);
  const put = await api('PUT', '/v1/accounts/main', { body: { access_token: `pina_${name}`, rate_limit_per_minute: 60 } });
  expect(put.status).toBe(200);
  return { tenantId: created.tenantId, api };
}

const pinBody = (key: string) => ({
  account_id: 'main',
  board_id: '987654321',
  title: `flood ${key}`,
  media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
});

describe('per-tenant throttling (local usage plan)', () => {
  it(`a tenant flooding the API (creates, ${FLOOD.concurrency} at a time for ${FLOOD.seconds} s) gets 429s; another tenant's requests meanwhile all succeed`, async () => {
    const a = await tenant('flooder');
    const b = await tenant('neighbour');
    // The PUT took one token from each bucket: let them refill so the bound below starts from a full bucket.
    await new Promise((r) => setTimeout(r, 1000 / LIMITS.rateLimit + 50)); // a refill interval, not a wait for an outcome

    const started = Date.now();
    const until = started + FLOOD.seconds * 1000;
    const flood: ApiResponse<Job | ErrorBody>[] = [];
    let next = 0;
    const flooder = async () => {
      while (Date.now() < until) {
        const key = `flood-${next++}`;
        flood.push(await a.api<Job | ErrorBody>('POST', '/v1/pins', { body: pinBody(key), headers: { 'Idempotency-Key': key } }));
      }
    };
    // B's requests, all sent while A floods.
    const calm: ApiResponse<unknown>[] = [];
    const neighbour = async () => {
      while (Date.now() < until - CALM_EVERY_MS) {
        calm.push(await b.api('GET', '/v1/jobs'));
        await new Promise((r) => setTimeout(r, CALM_EVERY_MS)); // B's own pace, not a wait for an outcome
      }
    };
    await Promise.all([neighbour(), ...Array.from({ length: FLOOD.concurrency }, flooder)]);
    const elapsedS = (Date.now() - started) / 1000;

    const accepted = flood.filter((r) => r.status === 202);
    const throttled = flood.filter((r) => r.status === 429);
    const figures = {
      flood: {
        sent: flood.length,
        accepted: accepted.length,
        throttled: throttled.length,
        other: flood.length - accepted.length - throttled.length,
      },
      neighbour: { sent: calm.length, ok: calm.filter((r) => r.status === 200).length },
      elapsedS: Number(elapsedS.toFixed(2)),
      bound: Math.floor(LIMITS.burstLimit + LIMITS.rateLimit * elapsedS) + 1,
    };
    console.log(`[tenant-throttling] ${JSON.stringify(figures)}`);

    // A: throttled, in the envelope, with Retry-After; never more than its bucket allows; nothing else.
    expect(figures.flood.other, JSON.stringify(flood.filter((r) => r.status !== 202 && r.status !== 429).slice(0, 3))).toBe(0);
    expect(throttled.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThanOrEqual(LIMITS.burstLimit);
    expect(accepted.length).toBeLessThanOrEqual(figures.bound);
    for (const r of throttled) {
      expect(r.body).toEqual({ error: { code: 'rate_limited', message: 'Too many requests; slow down and retry.' } });
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('content-type')).toBe('application/json');
    }
    // B: every request succeeded while A was refused.
    expect(figures.neighbour.ok).toBe(calm.length);
    expect(calm.length).toBeGreaterThanOrEqual(5);

    // A refused request reached no handler: A's stored jobs are exactly the accepted ones.
    const listed = await waitFor(async () => a.api<{ items: Job[]; next_cursor: string | null }>('GET', '/v1/jobs?limit=100'), {
      until: (r) => r.status === 200,
      what: "tenant A's bucket to refill for one listing",
    });
    expect(listed.body.next_cursor).toBeNull();
    expect(listed.body.items.map((j) => j.id).sort()).toEqual(accepted.map((r) => (r.body as Job).id).sort());
  });

  it("the daily quota: 429 once a tenant's requests for the UTC day are used up, other tenants unaffected, again the next day", async () => {
    let now = Date.parse('2026-03-01T23:59:00.000Z');
    const quotaApi = await startLocalApi({
      host: '127.0.0.1',
      port: 0,
      limits: { authorizerCacheSeconds: 0, tenantLimits: { rateLimit: 100, burstLimit: 100, dailyQuota: 3 } },
      now: () => now,
    });
    extraApis.push(quotaApi);
    const a = await pipeline.createTenant('quota-a');
    const b = await pipeline.createTenant('quota-b');
    const get = async (apiKey: string) => callerFor({ ...pipeline, apiUrl: quotaApi.url }, apiKey)<ErrorBody>('GET', '/v1/jobs');

    const used = [await get(a.apiKey), await get(a.apiKey), await get(a.apiKey)];
    const over = await get(a.apiKey);
    const other = await get(b.apiKey);
    now = Date.parse('2026-03-02T00:00:00.000Z');
    const nextDay = await get(a.apiKey);

    expect(used.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(over.status).toBe(429);
    expect(over.body.error).toEqual({ code: 'rate_limited', message: "Today's request quota is used up; it resets at 00:00 UTC." });
    expect(other.status).toBe(200);
    expect(nextDay.status).toBe(200);
  });
});
