/**
 * Tenant isolation, route by route. Two tenants share one pipeline: A has jobs in five statuses, accounts and a
 * webhook subscription; B has its own. For every route of definitions/functions.ts, B aims at A's ids (jobs,
 * accounts, webhooks, list cursors): the answer is a 404 exactly like an id that never existed, or B's own
 * view (a PUT makes B its own account, stats count B's jobs only), never A's data. Afterwards A's resources are
 * unchanged, A's account still publishes with A's tokens, A's webhook secret still works, and the EventBridge
 * stand-in (which evaluates the real rule patterns) delivered none of A's events to B's subscription.
 *
 * The matrix is keyed by route: a route added to definitions/functions.ts without a row fails the first test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import type { Job } from '../../lambdas/api/schemas.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver.ts';
import { callerFor, testPipeline, waitFor, waitForJob, type ApiResponse, type Caller, type ErrorBody } from './harness.ts';

const SECRET_HEADER = 'x-pinrelay-webhook-secret';
/** In every title, description and metadata of A's: a B answer that contains it leaked A's data. */
const MARK = 'alpha-only';
const A_STATUSES = ['succeeded', 'failed', 'scheduled', 'cancelled', 'queued'] as const;
type AStatus = (typeof A_STATUSES)[number];
const JOB_EVENTS = ['scheduled', 'queued', 'running', 'retry_scheduled', 'succeeded', 'failed', 'cancelled'].map((s) => `job.${s}`);

interface Side {
  tenantId: string;
  api: Caller;
  hook: WebhookReceiver;
  webhook: { id: string; secret: string };
}
interface World {
  a: Side;
  b: Side;
  aJobs: Record<AStatus, Job>;
  bJobs: Job[];
  /** A's view of its own resources before B's attempts. */
  aBefore: unknown;
}

let pipeline: Pipeline;
let w: World;
let probesRun = 0;

const ROUTES = (FUNCTIONS as readonly FunctionDefinition[]).flatMap((fn) => (fn.trigger.kind === 'api' ? fn.trigger.routes : []));
const routeKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

function noLeak(res: ApiResponse<unknown>) {
  const text = JSON.stringify(res.body);
  expect(text).not.toContain(MARK);
  expect(text).not.toContain(w.a.tenantId);
}
function expectNotFound(res: ApiResponse<unknown>) {
  expect(res.status, JSON.stringify(res.body)).toBe(404);
  expect((res.body as ErrorBody).error.code).toBe('not_found');
  noLeak(res);
}
/** B's answer for A's id is the answer for an id that never existed: same status and code. */
async function sameAsUnknown(res: ApiResponse<unknown>, unknown: () => Promise<ApiResponse<unknown>>) {
  expectNotFound(res);
  const never = await unknown();
  expect([never.status, (never.body as ErrorBody).error.code]).toEqual([res.status, (res.body as ErrorBody).error.code]);
}
const itemsOf = (res: ApiResponse<unknown>) => (res.body as { items: { id: string }[] }).items.map((i) => i.id);
const bJobIds = () => new Set(w.bJobs.map((j) => j.id));

const pin = (account: string, board: string, title: string, extra: Record<string, unknown> = {}) => ({
  account_id: account,
  board_id: board,
  title,
  media_source: { source_type: 'image_url', url: `https://cdn.example.com/${encodeURIComponent(title)}.jpg` },
  ...extra,
});
async function post(api: Caller, key: string, body: Record<string, unknown>): Promise<Job> {
  const res = await api<Job>('POST', '/v1/pins', { body, headers: { 'Idempotency-Key': key } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

/** A's view of what B must not change: its jobs (the fields a status change or an attempt would move), accounts, webhooks. */
async function aView() {
  const stable = (j: Job) => ({
    id: j.id,
    status: j.status,
    pin: j.pin,
    attempts: j.attempts,
    result: j.result,
    failure: j.failure,
    history: j.status_history,
  });
  const jobs = await Promise.all(A_STATUSES.map(async (s) => stable((await w.a.api<Job>('GET', `/v1/jobs/${w.aJobs[s].id}`)).body)));
  const accounts = await Promise.all(
    ['a-main', 'a-slow', 'a-spare', 'common'].map(async (id) => (await w.a.api('GET', `/v1/accounts/${id}`)).body),
  );
  const webhooks = (await w.a.api('GET', '/v1/webhooks')).body;
  return { jobs, accounts, webhooks };
}

type Probe = readonly [name: string, run: () => Promise<void>];
const perAJob = (what: string, run: (job: Job) => Promise<ApiResponse<unknown>>, unknown: () => Promise<ApiResponse<unknown>>): Probe[] =>
  A_STATUSES.map((status) => [
    `${what} A's ${status} job ⇒ 404 like an unknown id`,
    async () => sameAsUnknown(await run(w.aJobs[status]), unknown),
  ]);
const NO_JOB = 'job_00000000000000000000000000';
const NO_HOOK = 'whk_00000000000000000000000000';

/** One row per route: what B tries against A, and what it must get. */
const MATRIX: Record<string, readonly Probe[]> = {
  'POST /v1/pins': [
    [
      "a pin on A's account id ⇒ 404 (not B's account), no job for A",
      async () => {
        const res = await w.b.api('POST', '/v1/pins', {
          body: pin('a-main', '7100000001', 'b-on-a'),
          headers: { 'Idempotency-Key': 'b-on-a' },
        });
        expectNotFound(res);
      },
    ],
    [
      "A's Idempotency-Key ⇒ B's own new job, never a replay of A's",
      async () => {
        const res = await w.b.api<Job>('POST', '/v1/pins', {
          body: pin('common', '7200000001', 'b-same-key'),
          headers: { 'Idempotency-Key': 'a-succeeded' },
        });
        expect(res.status).toBe(202);
        expect(res.headers.get('idempotent-replayed')).toBeNull();
        expect(res.body.id).not.toBe(w.aJobs.succeeded.id);
        w.bJobs.push(res.body);
        noLeak(res);
        expect((await waitForJob(w.b.api, res.body.id)).status).toBe('succeeded'); // settled before the listings and stats below
      },
    ],
  ],
  'GET /v1/jobs/{job_id}': perAJob(
    'reading',
    (j) => w.b.api('GET', `/v1/jobs/${j.id}`),
    () => w.b.api('GET', `/v1/jobs/${NO_JOB}`),
  ),
  'POST /v1/jobs/{job_id}/cancel': perAJob(
    'cancelling',
    (j) => w.b.api('POST', `/v1/jobs/${j.id}/cancel`),
    () => w.b.api('POST', `/v1/jobs/${NO_JOB}/cancel`),
  ),
  'POST /v1/jobs/{job_id}/requeue': perAJob(
    'requeueing',
    (j) => w.b.api('POST', `/v1/jobs/${j.id}/requeue`),
    () => w.b.api('POST', `/v1/jobs/${NO_JOB}/requeue`),
  ),
  'GET /v1/jobs': [
    [
      "no filter ⇒ B's jobs only",
      async () => {
        const res = await w.b.api('GET', '/v1/jobs?limit=100');
        expect(itemsOf(res).sort()).toEqual([...bJobIds()].sort());
        noLeak(res);
      },
    ],
    ...['account_id=a-main', 'account_id=a-slow&status=queued', 'status=failed', 'status=cancelled'].map(
      (q): Probe => [
        `?${q} (A's) ⇒ B's own, empty view`,
        async () => {
          const res = await w.b.api('GET', `/v1/jobs?${q}`);
          expect(res.status).toBe(200);
          expect(itemsOf(res)).toEqual([]);
        },
      ],
    ),
    ...['', 'status=scheduled&'].map(
      (q): Probe => [
        `A's cursor (${q || 'no filter'}) ⇒ 400, never A's page`,
        async () => {
          const aPage = await w.a.api<{ next_cursor: string }>('GET', `/v1/jobs?${q}limit=1`);
          expect(aPage.body.next_cursor).toEqual(expect.any(String));
          const res = await w.b.api<ErrorBody>('GET', `/v1/jobs?${q}limit=1&cursor=${aPage.body.next_cursor}`);
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('validation_error');
          noLeak(res);
        },
      ],
    ),
    [
      "A's cursor rewritten to B's tenant ⇒ B's own jobs or 400, never A's",
      async () => {
        const aPage = await w.a.api<{ next_cursor: string }>('GET', '/v1/jobs?limit=1');
        const forged = Buffer.from(
          Buffer.from(aPage.body.next_cursor, 'base64url').toString('utf8').replaceAll(w.a.tenantId, w.b.tenantId),
        ).toString('base64url');
        const res = await w.b.api('GET', `/v1/jobs?limit=100&cursor=${forged}`);
        expect([200, 400]).toContain(res.status);
        if (res.status === 200) for (const id of itemsOf(res)) expect(bJobIds()).toContain(id);
        noLeak(res);
      },
    ],
  ],
  'GET /v1/accounts/{account_id}': [
    ...['a-main', 'a-slow'].map(
      (id): Probe => [
        `A's ${id} ⇒ 404 like an unknown account`,
        async () => sameAsUnknown(await w.b.api('GET', `/v1/accounts/${id}`), () => w.b.api('GET', '/v1/accounts/never-existed')),
      ],
    ),
    [
      "an id both tenants use (common) ⇒ B's own account",
      async () => {
        const res = await w.b.api<{ rate_limit_per_minute: number }>('GET', '/v1/accounts/common');
        expect(res.body.rate_limit_per_minute).toBe(45); // A's is 30
      },
    ],
  ],
  'PUT /v1/accounts/{account_id}': [
    [
      "over A's account id ⇒ B's own new account; A's keeps A's tokens and still publishes to A's user",
      async () => {
        const res = await w.b.api<{ account_id: string; created_at: string }>('PUT', '/v1/accounts/a-spare', {
          body: { ...tokensOf('userB'), rate_limit_per_minute: 45 },
        });
        expect(res.status).toBe(200);
        noLeak(res);
        const job = await waitForJob(w.a.api, (await post(w.a.api, 'a-spare-after', pin('a-spare', '7100000001', `${MARK} spare`))).id);
        expect(job.status).toBe('succeeded');
        expect(pipeline.sandbox!.pins().find((p) => p.id === job.result!.pin_id)?.user).toBe('userA');
      },
    ],
  ],
  'GET /v1/accounts/{account_id}/rate': [
    [
      "A's a-main ⇒ 404 like an unknown account",
      async () => sameAsUnknown(await w.b.api('GET', '/v1/accounts/a-main/rate'), () => w.b.api('GET', '/v1/accounts/never-existed/rate')),
    ],
    [
      "an id both tenants use (common) ⇒ B's own meter",
      async () => {
        const res = await w.b.api<{ limit: number }>('GET', '/v1/accounts/common/rate');
        expect(res.body.limit).toBe(45);
      },
    ],
  ],
  'GET /v1/stats': [
    [
      "counts B's jobs and accounts only, never A's",
      async () => {
        const res = await w.b.api<{ counts: Record<string, number>; total: number; accounts: { account_id: string }[] }>(
          'GET',
          '/v1/stats',
        );
        const own = (await w.b.api<{ items: Job[] }>('GET', '/v1/jobs?limit=100')).body.items;
        const byStatus: Record<string, number> = {};
        for (const job of own) byStatus[job.status] = (byStatus[job.status] ?? 0) + 1;
        expect(Object.fromEntries(Object.entries(res.body.counts).filter(([, n]) => n > 0))).toEqual(byStatus);
        expect(res.body.total).toBe(own.length);
        for (const account of res.body.accounts) expect(['b-main', 'common', 'a-spare']).toContain(account.account_id);
        noLeak(res);
      },
    ],
  ],
  'POST /v1/webhooks': [
    [
      "B's subscription matches B's tenant only: it received none of A's job events",
      async () => {
        await pipeline.events.idle();
        const delivered = w.b.hook.deliveries().map((d) => (d.json as { type: string; data: { job?: Job } }).data.job?.id);
        expect(delivered.length).toBeGreaterThan(0);
        for (const id of delivered) expect(bJobIds()).toContain(id);
        expect(JSON.stringify(w.b.hook.deliveries().map((d) => d.body))).not.toContain(MARK);
      },
    ],
  ],
  'GET /v1/webhooks': [
    [
      "B's subscriptions only",
      async () => {
        const res = await w.b.api('GET', '/v1/webhooks');
        expect(itemsOf(res)).toEqual([w.b.webhook.id]);
        noLeak(res);
      },
    ],
  ],
  'GET /v1/webhooks/{webhook_id}': [
    [
      "A's subscription ⇒ 404",
      async () => sameAsUnknown(await w.b.api('GET', `/v1/webhooks/${w.a.webhook.id}`), () => w.b.api('GET', `/v1/webhooks/${NO_HOOK}`)),
    ],
  ],
  'DELETE /v1/webhooks/{webhook_id}': [
    [
      "A's subscription ⇒ 404; it still exists",
      async () => {
        await sameAsUnknown(await w.b.api('DELETE', `/v1/webhooks/${w.a.webhook.id}`), () => w.b.api('DELETE', `/v1/webhooks/${NO_HOOK}`));
        expect((await w.a.api('GET', `/v1/webhooks/${w.a.webhook.id}`)).status).toBe(200);
        expect(pipeline.events.rules().filter((r) => r.name.endsWith(w.a.webhook.id))).toHaveLength(1);
      },
    ],
  ],
  'POST /v1/webhooks/{webhook_id}/rotate-secret': [
    [
      "A's subscription ⇒ 404 (A's secret is checked at the end)",
      async () =>
        sameAsUnknown(await w.b.api('POST', `/v1/webhooks/${w.a.webhook.id}/rotate-secret`), () =>
          w.b.api('POST', `/v1/webhooks/${NO_HOOK}/rotate-secret`),
        ),
    ],
  ],
  'POST /v1/webhooks/{webhook_id}/test': [
    [
      "A's subscription ⇒ 404 (A's receiver gets no test event from it: checked at the end)",
      async () =>
        sameAsUnknown(await w.b.api('POST', `/v1/webhooks/${w.a.webhook.id}/test`), () => w.b.api('POST', `/v1/webhooks/${NO_HOOK}/test`)),
    ],
  ],
  ...Object.fromEntries(
    ['GET /v1/openapi.json', 'GET /v1/events/schema.json'].map((route) => [
      route,
      [
        [
          'public document: no tenant data in it',
          async () => {
            const res = await w.b.api('GET', route.split(' ')[1]!);
            expect(res.status).toBe(200);
            noLeak(res);
          },
        ] as Probe,
      ],
    ]),
  ),
};

const SANDBOX_USERS: Record<string, string[]> = { userA: ['7100000001'], userA2: ['7100000002'], userB: ['7200000001'] };
const tokens = new Map<string, { accessToken: string; refreshToken: string }>();
const tokensOf = (user: string) => ({ access_token: tokens.get(user)!.accessToken, refresh_token: tokens.get(user)!.refreshToken });

async function side(name: string): Promise<Side> {
  const created = await pipeline.createTenant(name);
  const api = callerFor(pipeline, created.apiKey);
  const hook = await startWebhookReceiver({ log: () => undefined });
  const sub = await api<{ id: string; secret: string }>('POST', '/v1/webhooks', {
    body: { url: hook.url, events: JOB_EVENTS, description: name === 'tenant-a' ? `${MARK} hook` : 'b hook' },
  });
  expect(sub.status, JSON.stringify(sub.body)).toBe(201);
  return { tenantId: created.tenantId, api, hook, webhook: { id: sub.body.id, secret: sub.body.secret } };
}

async function connect(api: Caller, account: string, user: string, rate: number) {
  const res = await api('PUT', `/v1/accounts/${account}`, { body: { ...tokensOf(user), rate_limit_per_minute: rate } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

beforeAll(async () => {
  pipeline = await testPipeline({
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
    webhookRetry: { firstDelayMs: 200, maxDelayMs: 1500 },
  });
  for (const [username, boards] of Object.entries(SANDBOX_USERS)) tokens.set(username, pipeline.sandbox!.addUser({ username, boards }));
  const [a, b] = [await side('tenant-a'), await side('tenant-b')];
  for (const [account, user, rate] of [
    ['a-main', 'userA', 600],
    ['a-slow', 'userA2', 1],
    ['a-spare', 'userA', 600],
    ['common', 'userA', 30],
  ] as const)
    await connect(a.api, account, user, rate);
  for (const [account, rate] of [
    ['b-main', 600],
    ['common', 45],
  ] as const)
    await connect(b.api, account, 'userB', rate);

  const aPin = (title: string, extra: Record<string, unknown> = {}) =>
    pin('a-main', '7100000001', `${MARK} ${title}`, { metadata: { note: MARK }, ...extra });
  const succeeded = await post(a.api, 'a-succeeded', aPin('ok'));
  const failed = await post(a.api, 'a-failed', pin('a-main', '55555', `${MARK} no board`));
  const scheduled = await post(a.api, 'a-scheduled', aPin('later', { publish_at: tomorrow() }));
  const cancelled = await post(a.api, 'a-cancelled', aPin('cancel me', { publish_at: tomorrow() }));
  expect((await a.api('POST', `/v1/jobs/${cancelled.id}/cancel`)).status).toBe(200);
  // a-slow allows 1 create a minute: the first job takes it, the second waits queued (a pacing hold) for minutes.
  const first = await post(a.api, 'a-slow-1', pin('a-slow', '7100000002', `${MARK} slow 1`));
  const queued = await post(a.api, 'a-slow-2', pin('a-slow', '7100000002', `${MARK} slow 2`));
  const bJobs = [
    await post(b.api, 'b-1', pin('b-main', '7200000001', 'b one')),
    await post(b.api, 'b-2', pin('b-main', '7200000001', 'b two', { publish_at: tomorrow() })),
  ];

  w = { a, b, aJobs: { succeeded, failed, scheduled, cancelled, queued }, bJobs, aBefore: undefined };
  for (const job of [succeeded, failed, first]) await waitForJob(a.api, job.id);
  await waitForJob(b.api, bJobs[0]!.id);
  // Every event so far delivered: A's reached A's receiver (so they were published and matched A's rule).
  await waitFor(() => a.hook.deliveries().some((d) => (d.json as { data: { job?: Job } }).data.job?.id === failed.id), {
    what: "A's job.failed at A's receiver",
  });
  await pipeline.events.idle();
  for (const status of A_STATUSES) expect((await a.api<Job>('GET', `/v1/jobs/${w.aJobs[status].id}`)).body.status).toBe(status);
  w.aBefore = await aView();
}, 60_000);

afterAll(async () => {
  console.log(
    `[tenant-isolation] matrix: ${Object.keys(MATRIX).length} routes, ${Object.values(MATRIX).flat().length} probes, ${probesRun} passed${probesRun === Object.values(MATRIX).flat().length ? ": no answer to B carried A's data" : ''}`,
  );
  await Promise.allSettled([w?.a.hook.stop(), w?.b.hook.stop()]);
  await pipeline?.stop();
});

describe('tenant isolation matrix', () => {
  it('has a row for every route of definitions/functions.ts, and no other', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(ROUTES.map(routeKey).sort());
    for (const probes of Object.values(MATRIX)) expect(probes.length).toBeGreaterThan(0);
  });

  describe.each(Object.entries(MATRIX))('%s', (_route, probes) => {
    it.each(probes.map(([name, run]) => [name, run] as const))('B: %s', async (_name, run) => {
      await run();
      probesRun++;
    });
  });

  it("afterwards A's jobs, accounts and webhooks are unchanged, and A's webhook still delivers with A's secret", async () => {
    expect(await aView()).toEqual(w.aBefore);
    const sent = await w.a.api<{ event_id: string }>('POST', `/v1/webhooks/${w.a.webhook.id}/test`);
    expect(sent.status).toBe(202);
    const delivery = await waitFor(() => w.a.hook.deliveries().find((d) => d.webhookId === sent.body.event_id), {
      what: "A's test delivery",
    });
    expect(delivery.headers[SECRET_HEADER]).toBe(w.a.webhook.secret);
    await pipeline.events.idle();
    expect(w.a.hook.deliveries().filter((d) => (d.json as { type: string }).type === 'webhook.test')).toHaveLength(1);
    for (const d of w.a.hook.deliveries()) {
      const job = (d.json as { data: { job?: Job } }).data.job;
      if (job) expect(bJobIds()).not.toContain(job.id);
    }
  });
});
