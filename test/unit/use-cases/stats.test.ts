import { beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import { transition, type JobRecord } from '../../../lambdas/domain/job.ts';
import { finishedSince, jobCounts, mapLimit, tenantStats, type StatsDeps } from '../../../lambdas/use-cases/stats.ts';
import { jobRecord, OTHER_TENANT, pinRequest, T0, TENANT } from '../builders.ts';
import { accountRecord, InMemoryTenantStore } from '../fakes.ts';
import { FakeRateView, InMemoryTenantDirectory, OpsJobStore } from '../ops-fakes.ts';

const T0_MS = Date.parse(T0);
const at = (ms: number) => new Date(T0_MS + ms).toISOString();
const MIN = 60_000;

let jobs: OpsJobStore;
let tenants: InMemoryTenantStore;
let deps: StatsDeps & { clock: ReturnType<typeof fixedClock>; pacer: FakeRateView };

beforeEach(() => {
  jobs = new OpsJobStore();
  tenants = new InMemoryTenantStore();
  deps = { jobs, tenants, directory: new InMemoryTenantDirectory(tenants), pacer: new FakeRateView(), clock: fixedClock(at(120 * MIN)) };
});

let n = 0;
/** A job on `account` in `status`, created at `createdMs`; a finished one finished at `finishedMs`. */
function job(
  status: JobRecord['job']['status'],
  options: { account?: string; tenantId?: string; createdMs?: number; finishedMs?: number } = {},
): JobRecord {
  const createdMs = options.createdMs ?? 100 * MIN;
  const request = pinRequest({
    account_id: options.account ?? 'acme-main',
    ...(status === 'scheduled' ? { publish_at: at(createdMs + 3_600_000) } : {}),
  });
  if (status === 'succeeded' || status === 'failed') {
    const running = jobRecord({ key: `k${n++}`, tenantId: options.tenantId ?? TENANT, request, status: 'running', now: at(createdMs) });
    const record = transition(running, status, new Date(at(options.finishedMs ?? createdMs + 5000)));
    jobs.seed(record, null);
    return record;
  }
  const record = jobRecord({ key: `k${n++}`, tenantId: options.tenantId ?? TENANT, request, status, now: at(createdMs) });
  jobs.seed(record, null);
  return record;
}

describe('jobCounts', () => {
  it('one count per status, the tenant only', async () => {
    job('queued');
    job('queued');
    job('running');
    job('succeeded');
    job('failed');
    job('cancelled');
    job('scheduled');
    job('retry_scheduled');
    job('succeeded', { tenantId: OTHER_TENANT });

    const { counts, partial } = await jobCounts(deps, TENANT);

    expect(counts).toEqual({ scheduled: 1, queued: 2, running: 1, retry_scheduled: 1, succeeded: 1, failed: 1, cancelled: 1 });
    expect(partial).toEqual([]);
  });

  it('a count that runs out of pages is reported as partial (a lower bound)', async () => {
    jobs.pageSize = 2;
    for (let i = 0; i < 5; i++) job('succeeded');
    const { counts, partial } = await jobCounts(deps, TENANT, { maxPages: 2 });
    expect(counts.succeeded).toBe(4);
    expect(partial).toEqual(['succeeded']);
  });
});

describe('finishedSince', () => {
  it('counts jobs that finished since, among those created in the lookback', async () => {
    job('succeeded', { finishedMs: 100 * MIN }); // finished 20 min ago
    job('succeeded', { finishedMs: 30 * MIN }); // 90 min ago: not in the last hour
    job('failed', { finishedMs: 119 * MIN });
    job('succeeded', { createdMs: 0, finishedMs: 110 * MIN }); // created 2 h ago: outside a 1 h lookback
    const now = new Date(at(120 * MIN));

    expect(await finishedSince(deps, TENANT, new Date(at(60 * MIN)), now)).toEqual({ succeeded: 2, failed: 1, complete: true });
    expect(await finishedSince(deps, TENANT, new Date(at(60 * MIN)), now, { lookbackHours: 1 })).toEqual({
      succeeded: 1,
      failed: 1,
      complete: true,
    });
  });
});

describe('tenantStats', () => {
  it('counts, the last hour, and per account the backlog and the rate at its own or the default limit', async () => {
    tenants.accounts.set(`${TENANT}/acme-main`, { ...accountRecord(TENANT, 'acme-main', T0), rate_limit_per_minute: 60 });
    tenants.accounts.set(`${TENANT}/acme-second`, accountRecord(TENANT, 'acme-second', T0));
    tenants.accounts.set(`${OTHER_TENANT}/theirs`, accountRecord(OTHER_TENANT, 'theirs', T0));
    job('queued');
    job('queued', { account: 'acme-second' });
    job('retry_scheduled', { account: 'acme-second' });
    job('scheduled');
    job('succeeded', { finishedMs: 110 * MIN });
    job('succeeded', { finishedMs: 10 * MIN });
    job('failed', { finishedMs: 115 * MIN });
    job('queued', { tenantId: OTHER_TENANT, account: 'theirs' });

    const stats = await tenantStats(deps, TENANT, { defaultPerMinute: 10 });

    expect(stats).toMatchObject({
      generated_at: at(120 * MIN),
      counts: { scheduled: 1, queued: 2, running: 0, retry_scheduled: 1, succeeded: 2, failed: 1, cancelled: 0 },
      total: 7,
      partial_counts: [],
      last_hour: { since: at(60 * MIN), succeeded: 1, failed: 1, per_minute: 0.03 },
      accounts_truncated: false,
    });
    expect(stats.accounts.map((a) => [a.account_id, a.connection_status, a.backlog, a.rate.limit])).toEqual([
      ['acme-main', 'connected', { scheduled: 1, queued: 1, running: 0, retry_scheduled: 0, total: 2 }, 60],
      ['acme-second', 'connected', { scheduled: 0, queued: 1, running: 0, retry_scheduled: 1, total: 2 }, 10],
    ]);
    expect(deps.pacer.views).toEqual([
      { tenantId: TENANT, accountId: 'acme-main', limitPerMinute: 60 },
      { tenantId: TENANT, accountId: 'acme-second', limitPerMinute: 10 },
    ]);
  });

  it('lists at most maxAccounts accounts and says so', async () => {
    for (const id of ['a1', 'a2', 'a3']) tenants.accounts.set(`${TENANT}/${id}`, accountRecord(TENANT, id, T0));
    const stats = await tenantStats(deps, TENANT, { defaultPerMinute: 10, maxAccounts: 2 });
    expect(stats.accounts.map((a) => a.account_id)).toEqual(['a1', 'a2']);
    expect(stats.accounts_truncated).toBe(true);
  });

  it('an empty tenant: zeros, no accounts', async () => {
    const stats = await tenantStats(deps, TENANT, { defaultPerMinute: 10 });
    expect(stats).toMatchObject({ total: 0, accounts: [], last_hour: { succeeded: 0, failed: 0, per_minute: 0 } });
  });
});

describe('mapLimit', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, x));
      running--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});
