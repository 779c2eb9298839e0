import { beforeEach, describe, expect, it } from 'vitest';
import { pinProblems } from '../../../lambdas/api/schemas.ts';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import { transition, type Job, type JobRecord } from '../../../lambdas/domain/job.ts';
import { DUE_IMMEDIATELY } from '../../../lambdas/domain/reconciliation.ts';
import { listFailedJobs, requeueFailedJobs } from '../../../lambdas/use-cases/ops-jobs.ts';
import { listStuckJobs, nudgeStuckJobs, plannedAction } from '../../../lambdas/use-cases/ops-stuck-jobs.ts';
import { reconcileStranded, type ReconcileOptions } from '../../../lambdas/use-cases/reconcile.ts';
import { claimedRecord, jobRecord, OTHER_TENANT, pinRequest, T0, TENANT } from '../builders.ts';
import { InMemoryTenantStore } from '../fakes.ts';
import { InMemoryTenantDirectory, OpsJobStore } from '../ops-fakes.ts';

type JobFailure = NonNullable<Job['failure']>;

const T0_MS = Date.parse(T0);
const at = (ms: number) => new Date(T0_MS + ms).toISOString();

const BOARD_404: JobFailure = {
  route: 'ops',
  reason: 'board_not_found',
  http_status: 404,
  error_code: 40,
  message: 'Board not found.',
  remediation:
    'Board 55555 was not found for account acme-main: check board_id or reconnect the account that owns it, then requeue the job.',
};
const BAD_REQUEST: JobFailure = {
  route: 'client',
  reason: 'invalid_request',
  http_status: 400,
  error_code: 1,
  message: 'Invalid parameters.',
  remediation: 'Fix the request, then submit it again.',
};

/** A failed job (through the real state machine), failed `failedAtMs` after T0. */
function failed(
  key: string,
  failure: JobFailure,
  options: { tenantId?: string; account?: string; board?: string; createdAtMs?: number; failedAtMs?: number } = {},
): JobRecord {
  const running = jobRecord({
    key,
    tenantId: options.tenantId ?? TENANT,
    request: pinRequest({ account_id: options.account ?? 'acme-main', board_id: options.board ?? '55555' }),
    status: 'running',
    now: at(options.createdAtMs ?? 0),
  });
  return transition(running, 'failed', new Date(T0_MS + (options.failedAtMs ?? 10_000)), { failure, attempt_count: 1 });
}

let jobs: OpsJobStore;
let tenants: InMemoryTenantStore;
let directory: InMemoryTenantDirectory;
let clock: ReturnType<typeof fixedClock>;

beforeEach(() => {
  jobs = new OpsJobStore();
  tenants = new InMemoryTenantStore();
  directory = new InMemoryTenantDirectory(tenants);
  clock = fixedClock(at(60_000));
  for (const tenantId of [TENANT, OTHER_TENANT]) tenants.tenants.set(tenantId, { tenantId, name: tenantId, createdAt: T0 });
});

const seed = (...records: JobRecord[]) => {
  for (const r of records) jobs.seed(r, null);
};

describe('listFailedJobs', () => {
  it('lists the failed jobs of every tenant by route with reason and remediation; other statuses are not listed', async () => {
    seed(
      failed('a', BOARD_404),
      failed('b', BAD_REQUEST, { failedAtMs: 20_000 }),
      failed('c', BOARD_404, { tenantId: OTHER_TENANT, account: 'other-main' }),
      jobRecord({ key: 'ok', status: 'succeeded' }),
      jobRecord({ key: 'waiting', status: 'queued' }),
    );

    const report = await listFailedJobs({ jobs, directory }, { limit: 50 });

    expect(report.tenants).toEqual([OTHER_TENANT, TENANT].sort());
    expect(report.jobs.map((j) => [j.tenant_id, j.idempotency_key, j.route, j.reason]).sort()).toEqual(
      [
        [TENANT, 'a', 'ops', 'board_not_found'],
        [TENANT, 'b', 'client', 'invalid_request'],
        [OTHER_TENANT, 'c', 'ops', 'board_not_found'],
      ].sort(),
    );
    const a = report.jobs.find((j) => j.idempotency_key === 'a')!;
    expect(a).toMatchObject({
      board_id: '55555',
      http_status: 404,
      error_code: 40,
      remediation: BOARD_404.remediation,
      attempt_count: 1,
      failed_at: at(10_000),
    });
    expect(report.by_route).toEqual([
      { route: 'ops', count: 2, reasons: [{ reason: 'board_not_found', count: 2 }] },
      { route: 'client', count: 1, reasons: [{ reason: 'invalid_request', count: 1 }] },
    ]);
    expect(report.truncated).toBe(false);
  });

  it('filters by tenant, route, reason and account, and stops at the limit (truncated)', async () => {
    seed(
      failed('a', BOARD_404),
      failed('b', BAD_REQUEST),
      failed('c', BOARD_404, { account: 'acme-second' }),
      failed('d', BOARD_404, { tenantId: OTHER_TENANT }),
    );

    const byRoute = await listFailedJobs({ jobs, directory }, { tenantId: TENANT, route: 'ops', limit: 50 });
    expect(byRoute.jobs.map((j) => j.idempotency_key).sort()).toEqual(['a', 'c']);
    expect(byRoute.tenants).toEqual([TENANT]);

    const byAccount = await listFailedJobs({ jobs }, { tenantId: TENANT, reason: 'board_not_found', accountId: 'acme-second', limit: 50 });
    expect(byAccount.jobs.map((j) => j.idempotency_key)).toEqual(['c']);

    const limited = await listFailedJobs({ jobs, directory }, { route: 'ops', limit: 2 });
    expect(limited.jobs).toHaveLength(2);
    expect(limited.truncated).toBe(true);
  });

  it('reads page after page (more failed jobs than one page)', async () => {
    for (let i = 0; i < 230; i++) seed(failed(`k${i}`, i % 2 === 0 ? BOARD_404 : BAD_REQUEST, { failedAtMs: i }));
    const report = await listFailedJobs({ jobs }, { tenantId: TENANT, route: 'client', limit: 1000 });
    expect(report.jobs).toHaveLength(115);
  });

  it('reports progress per tenant', async () => {
    seed(failed('a', BOARD_404), failed('d', BOARD_404, { tenantId: OTHER_TENANT }));
    const progress: string[] = [];
    await listFailedJobs({ jobs, directory }, { limit: 50 }, (p) => progress.push(`${p.tenantsDone}/${p.tenants} ${p.found}`));
    expect(progress).toEqual(['0/2 0', '1/2 1', '2/2 2']);
  });
});

describe('requeueFailedJobs', () => {
  it('a dry run writes nothing and says which jobs would be requeued, and which the corrections would make invalid', async () => {
    const a = failed('a', BOARD_404);
    const b = failed('b', BOARD_404, { account: 'acme-second' });
    seed(a, b);
    const before = structuredClone([...jobs.rows.values()].map((r) => r.record));

    const report = await requeueFailedJobs(
      { jobs, clock, checkPin: pinProblems },
      { tenantId: TENANT, reason: 'board_not_found', corrections: { board_id: '1111111111' }, limit: 100, apply: false },
    );

    expect(report).toMatchObject({
      dry_run: true,
      matched: 2,
      would_requeue: 2,
      requeued: 0,
      not_requeued: 0,
      corrections: { board_id: '1111111111' },
    });
    expect([...jobs.rows.values()].map((r) => r.record)).toEqual(before);

    // The merged pin is checked with the pin rules it is given, job by job, as a real run would.
    const invalid = await requeueFailedJobs(
      { jobs, clock, checkPin: pinProblems },
      { tenantId: TENANT, corrections: { title: 'x'.repeat(101) }, limit: 100, apply: false },
    );
    expect(invalid).toMatchObject({ dry_run: true, matched: 2, would_requeue: 0, not_requeued: 2 });
    expect(invalid.jobs.map((j) => [j.outcome, j.detail])).toEqual([
      ['invalid', 'pin.title: must be at most 100 characters'],
      ['invalid', 'pin.title: must be at most 100 characters'],
    ]);
    expect([...jobs.rows.values()].map((r) => r.record)).toEqual(before);
  });

  it('--apply requeues each match through the requeue use case: queued again, corrections merged, failure cleared, same job and key', async () => {
    const a = failed('a', BOARD_404);
    const other = failed('b', BAD_REQUEST);
    seed(a, other);
    const progress: string[] = [];

    const report = await requeueFailedJobs(
      { jobs, clock, checkPin: pinProblems },
      {
        tenantId: TENANT,
        route: 'ops',
        corrections: { board_id: '1111111111' },
        limit: 100,
        apply: true,
        onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.requeued}`),
      },
    );

    expect(report).toMatchObject({ dry_run: false, matched: 1, requeued: 1, would_requeue: 0, not_requeued: 0 });
    expect(report.jobs).toEqual([
      { job_id: a.job.id, account_id: 'acme-main', route: 'ops', reason: 'board_not_found', outcome: 'requeued' },
    ]);
    const after = jobs.stored(TENANT, a.job.id)!;
    expect(after.job).toMatchObject({ status: 'queued', failure: null, idempotency_key: 'a', pin: { board_id: '1111111111' } });
    expect(after.version).toBe(a.version + 1);
    expect(jobs.isPending(TENANT, a.job.id)).toBe(true); // the outbox owes its message: it will run again
    expect(jobs.stored(TENANT, other.job.id)!.job.status).toBe('failed'); // not matched
    expect(progress).toEqual(['0/1 0', '1/1 1']);
  });

  it('a job that stopped being failed meanwhile is a conflict and left alone; the others are still requeued', async () => {
    const a = failed('a', BOARD_404, { createdAtMs: 0 });
    const b = failed('b', BOARD_404, { createdAtMs: 1000 }); // newer: listed first
    seed(a, b);
    // Someone requeues the newest (listed first) between the listing and the bulk requeue's write.
    jobs.beforeNextReplace = () => {
      const stored = jobs.stored(TENANT, b.job.id)!;
      jobs.seed({ ...transition(stored, 'queued', new Date(at(30_000))) }, null);
    };

    const report = await requeueFailedJobs({ jobs, clock, checkPin: pinProblems }, { tenantId: TENANT, limit: 100, apply: true });

    expect(report.jobs.map((j) => [j.job_id, j.outcome])).toEqual([
      [b.job.id, 'conflict'],
      [a.job.id, 'requeued'],
    ]);
    expect(report.jobs[0]!.detail).toMatch(/only failed jobs can be requeued/);
    expect(report).toMatchObject({ requeued: 1, not_requeued: 1 });
  });

  it('with --apply, a merged pin the rules refuse is reported invalid (through the requeue use case) and the job stays failed', async () => {
    seed(failed('a', BOARD_404));
    const report = await requeueFailedJobs(
      { jobs, clock, checkPin: pinProblems },
      { tenantId: TENANT, corrections: { board_id: 'abc' }, limit: 100, apply: true },
    );
    expect(report.jobs.map((j) => [j.outcome, j.detail])).toEqual([['invalid', 'pin.board_id: board_id must be a string of digits']]);
    expect(report).toMatchObject({ requeued: 0, not_requeued: 1 });
    expect(jobs.stored(TENANT, failed('a', BOARD_404).job.id)!.job.status).toBe('failed');
  });

  it('only the given job ids', async () => {
    const a = failed('a', BOARD_404);
    const b = failed('b', BOARD_404);
    seed(a, b);
    const report = await requeueFailedJobs(
      { jobs, clock, checkPin: pinProblems },
      { tenantId: TENANT, jobIds: [b.job.id, 'job_doesnotexist000000000000'], limit: 100, apply: true },
    );
    expect(report.jobs.map((j) => j.job_id)).toEqual([b.job.id]);
    expect(jobs.stored(TENANT, a.job.id)!.job.status).toBe('failed');
  });
});

describe('stuck jobs', () => {
  const OPTIONS: ReconcileOptions = { graceSeconds: 600, limit: 100, maxRedispatches: 3, maxCrashes: 3 };

  it('lists what the reconciler would take, with its planned action, and nothing before the grace', async () => {
    const queued = jobRecord({ key: 'q', status: 'queued' }); // due at T0
    const claimedLive = claimedRecord({ startedAt: T0, leaseUntil: at(3_600_000) });
    seed(queued);
    jobs.seed({ ...claimedLive, job: { ...claimedLive.job, id: 'job_live0000000000000000000000' } }, null);
    clock.set(at(600_000)); // exactly one grace: not yet

    expect((await listStuckJobs({ jobs, clock }, OPTIONS)).jobs).toEqual([]);

    clock.set(at(700_000));
    const report = await listStuckJobs({ jobs, clock }, OPTIONS);
    expect(report.jobs).toEqual([
      expect.objectContaining({
        job_id: queued.job.id,
        status: 'queued',
        due_at: T0,
        overdue_seconds: 700,
        dead_lettered: false,
        planned: 'redispatch',
        redispatches: 0,
      }),
    ]);
    expect(report).toMatchObject({ grace_seconds: 600, due_before: at(100_000), maybe_more: false });
  });

  it('a dead-lettered job is due at once: listed with dead_lettered and its incident', async () => {
    const queued = jobRecord({ key: 'q', status: 'queued', now: at(50_000) });
    seed(queued);
    await jobs.addIncident(
      TENANT,
      queued.job.id,
      queued.version,
      { at: at(55_000), kind: 'message_dead_lettered', queue: 'publish', detail: 'the publish queue dead-lettered it' },
      DUE_IMMEDIATELY,
    );

    const report = await listStuckJobs({ jobs, clock }, OPTIONS);

    expect(report.jobs).toEqual([
      expect.objectContaining({
        job_id: queued.job.id,
        dead_lettered: true,
        overdue_seconds: null,
        due_at: DUE_IMMEDIATELY.toISOString(),
        last_incident: `${at(55_000)} message_dead_lettered: the publish queue dead-lettered it`,
      }),
    ]);
  });

  it('plannedAction agrees with what reconcileStranded then does, job by job', async () => {
    const queued = jobRecord({ key: 'q', status: 'queued' });
    const retry = jobRecord({ key: 'r', status: 'retry_scheduled' });
    const expired = claimedRecord({ startedAt: T0, leaseUntil: at(60_000) });
    let tired = jobRecord({ key: 't', status: 'queued' });
    for (let i = 0; i < 3; i++)
      tired = {
        ...tired,
        job: { ...tired.job, incidents: [...tired.job.incidents, { at: at(i), kind: 'redispatched', detail: 'again' }] },
      };
    seed(queued, retry, expired, tired);
    clock.set(at(3_600_000));

    const planned = await listStuckJobs({ jobs, clock }, OPTIONS);
    const byId = Object.fromEntries(planned.jobs.map((j) => [j.job_id, j.planned]));
    expect(byId).toEqual({
      [queued.job.id]: 'redispatch',
      [retry.job.id]: 'redispatch',
      [expired.job.id]: 'recover_lease',
      [tired.job.id]: 'fail_stranded',
    });

    const done = await reconcileStranded({ jobs, clock }, OPTIONS);
    expect(done).toMatchObject({ redispatched: 2, recovered: 1, stranded: 1 });
    expect(jobs.stored(TENANT, tired.job.id)!.job.failure?.reason).toBe('stranded');
    expect(plannedAction(claimedRecord({ startedAt: T0, leaseUntil: at(4_000_000) }), new Date(at(3_600_000)), 3)).toBe('wait_for_lease');
  });

  it('nudge: a dry run lists and writes nothing; --apply runs the reconciler use case now', async () => {
    const queued = jobRecord({ key: 'q', status: 'queued' });
    seed(queued);
    clock.set(at(700_000));

    const dry = await nudgeStuckJobs({ jobs, clock }, { ...OPTIONS, apply: false });
    expect(dry).toMatchObject({ dry_run: true, result: null });
    expect(dry.stuck.jobs).toHaveLength(1);
    expect(jobs.stored(TENANT, queued.job.id)!.version).toBe(queued.version);

    const applied = await nudgeStuckJobs({ jobs, clock }, { ...OPTIONS, apply: true });
    expect(applied.result).toEqual({ examined: 1, redispatched: 1, recovered: 0, stranded: 0, skipped: 0, errors: [] });
    const after = jobs.stored(TENANT, queued.job.id)!;
    expect(after.version).toBe(queued.version + 1);
    expect(after.job.incidents.at(-1)?.kind).toBe('redispatched');
    expect((await listStuckJobs({ jobs, clock }, OPTIONS)).jobs).toEqual([]); // due again from now
  });
});
