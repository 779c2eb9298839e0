import { beforeEach, describe, expect, it } from 'vitest';
import { transition, type JobRecord } from '../../../lambdas/domain/job.ts';
import { pinProblems } from '../../../lambdas/api/schemas.ts';
import { requeueJob } from '../../../lambdas/use-cases/jobs.ts';
import { TokenRefreshError } from '../../../lambdas/use-cases/ports.ts';
import { publishJob } from '../../../lambdas/use-cases/publish.ts';
import { releaseDue } from '../../../lambdas/use-cases/release-due.ts';
import { ACCOUNT, claimedRecord, httpError, jobMessage, jobRecord, pinterestPin, TENANT, transportError } from '../builders.ts';
import { accountRecord, fakePublishDeps } from '../fakes.ts';

/** The worker's use case: what a delivery does to the job, one attempt at a time and across runs. */
const NOW = '2026-03-01T12:10:00.000Z';
const at = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString();
const BOARD = '549755885175';
const PIN_ID = '813744226420795884';

let deps: ReturnType<typeof fakePublishDeps>;
let seeded: JobRecord;
const stored = () => deps.jobs.stored(TENANT, seeded.job.id)!;
const run = (extra = {}) => publishJob(deps, jobMessage(stored(), extra));
const seed = (record: JobRecord) => {
  seeded = record;
  deps.jobs.seed(record);
};
const pinterestOps = () => deps.pinterest.calls.map((c) => c.op);
/** What the delay queue does when the retry is due, then the worker's next delivery. */
async function retryWhenDue() {
  deps.clock.set(stored().job.next_attempt_at!);
  await expect(releaseDue(deps, jobMessage(stored()))).resolves.toBe('queued');
  return run();
}

beforeEach(() => {
  deps = fakePublishDeps(NOW);
  deps.tenants.accounts.set(`${TENANT}/${ACCOUNT}`, accountRecord(TENANT, ACCOUNT, NOW));
  seed(jobRecord());
});

describe('publishJob: deliveries that change nothing', () => {
  it.each([
    ...(['scheduled', 'retry_scheduled', 'succeeded', 'failed', 'cancelled'] as const).map(
      (status) => [`a ${status} job`, () => jobRecord({ status }), `job is ${status}`] as const,
    ),
    [
      'a running job whose lease is still valid',
      () => claimedRecord({ startedAt: at(-30_000), leaseUntil: at(1) }),
      'another worker holds the job',
    ] as const,
  ])('skips %s', async (_what, record, reason) => {
    seed(record());

    await expect(run()).resolves.toEqual({ kind: 'skipped', reason });

    expect(stored()).toEqual(seeded);
    expect(deps.log).toEqual([`jobs.get ${seeded.job.id}`]);
  });

  it('skips a job that does not exist', async () => {
    await expect(publishJob(deps, { job_id: seeded.job.id, tenant_id: 'ten_other', version: 1 })).resolves.toEqual({
      kind: 'skipped',
      reason: 'job not found',
    });
    expect(deps.log).toEqual([`jobs.get ${seeded.job.id}`]);
  });
});

describe('publishJob: claim and success', () => {
  it('claims (running, attempt 1, lease = start + leaseMs), creates once and records the success', async () => {
    let during: JobRecord | undefined;
    deps.pinterest.creates.push(() => {
      during = structuredClone(stored());
      deps.clock.advance(1500);
      return pinterestPin();
    });

    const result = await run();

    expect(during).toMatchObject({
      version: 2,
      leaseUntil: at(60_000),
      job: { status: 'running', attempt_count: 1, next_attempt_at: null },
    });
    const open = {
      number: 1,
      started_at: NOW,
      finished_at: null,
      outcome: null,
      http_status: null,
      error_code: null,
      error_message: null,
      retry_at: null,
    };
    expect(during!.job.attempts).toEqual([open]);
    const { job } = stored();
    expect(result).toEqual({ kind: 'recorded', job, classification: null });
    expect(stored()).toMatchObject({ version: 3, leaseUntil: null });
    expect(job).toMatchObject({
      status: 'succeeded',
      failure: null,
      result: { pin_id: PIN_ID, pin_url: `https://www.pinterest.com/pin/${PIN_ID}/`, verified: false },
    });
    expect(job.attempts).toEqual([{ ...open, finished_at: at(1500), outcome: 'succeeded' }]);
    expect(deps.pinterest.calls).toEqual([{ op: 'createPin', token: 'token-1', pin: seeded.job.pin }]);
  });

  it('a lost claim stops without any Pinterest call', async () => {
    deps.jobs.beforeNextReplace = () => deps.jobs.seed(transition(seeded, 'cancelled', new Date(NOW)));

    await expect(run()).resolves.toEqual({ kind: 'skipped', reason: 'claimed by another worker' });
    expect(deps.tokens.calls).toEqual([]);
    expect(deps.pinterest.calls).toEqual([]);
    expect(stored().job.status).toBe('cancelled');
  });
});

describe('publishJob: outcomes', () => {
  it.each([
    ['5xx', httpError(503), 'retry_now', 503, null, 3], // ceil(0.5 × 5 s)
    ['transport before_send', transportError('before_send'), 'retry_now', null, null, 3],
    ['429 without Retry-After', httpError(429, { code: 8 }), 'retry_later', 429, 8, 15], // ceil(0.5 × 6 × 5 s)
    ['code 8 on another status', httpError(403, { code: 8 }), 'retry_later', 403, 8, 15],
    ['transport after_send', transportError('after_send'), 'unknown', null, null, 60], // settle floor
  ] as const)('%s ⇒ retry_scheduled at now + backoff', async (_what, error, outcome, httpStatus, code, seconds) => {
    deps.pinterest.creates.push(error);

    const result = await run();

    const { job } = stored();
    expect(result).toMatchObject({ kind: 'recorded', classification: { outcome } });
    expect(job).toMatchObject({ status: 'retry_scheduled', next_attempt_at: at(seconds * 1000), attempt_count: 1, failure: null });
    expect(job.attempts).toEqual([
      {
        number: 1,
        started_at: NOW,
        finished_at: NOW,
        outcome,
        http_status: httpStatus,
        error_code: code,
        error_message: error.message,
        retry_at: at(seconds * 1000),
      },
    ]);
    expect(stored().leaseUntil).toBeNull();
    // The pacer learns what the create's answer means: a 429 counts towards the lower-limit verdict; a 5xx or
    // a lost answer is a create that proves nothing about the limit. The grant time identifies the create.
    const signal =
      outcome === 'retry_later'
        ? { bucket: 'write', kind: 'rate_limited', grantAtMs: Date.parse(NOW), retryAfterSeconds: null }
        : { bucket: 'write', kind: 'unproven', grantAtMs: Date.parse(NOW) };
    expect(deps.pacer.reports).toEqual([{ account: { tenantId: TENANT, accountId: ACCOUNT, limitPerMinute: 100 }, signal }]);
  });

  it.each([
    [3, 0, 3],
    [3, 0.5, 15],
    [100, 0.5, 100],
  ])(
    '429 with Retry-After %i s (random %d) ⇒ retry in %i s, and the whole account is held for it',
    async (retryAfterSeconds, random, seconds) => {
      deps.random = () => random;
      deps.pinterest.creates.push(httpError(429, { retryAfterSeconds }));

      await run();

      expect(stored().job.attempts[0]!.retry_at).toBe(at(seconds * 1000));
      expect(deps.pacer.reports.map((r) => r.signal)).toEqual([
        { bucket: 'write', kind: 'rate_limited', grantAtMs: Date.parse(NOW), retryAfterSeconds },
      ]);
    },
  );

  it.each([
    ['400', httpError(400, { code: 1 }), 'client', 'invalid_request', 400, 1, /correct the pin fields/],
    ['403 code 235', httpError(403, { code: 235 }), 'client', 'broken_image', 403, 235, /publicly reachable/],
    ['404 code 40', httpError(404, { code: 40 }), 'ops', 'board_not_found', 404, 40, new RegExp(`board ${BOARD}`, 'i')],
  ] as const)('%s ⇒ failed after one attempt', async (_what, error, route, reason, httpStatus, code, remediation) => {
    deps.pinterest.creates.push(error);

    await run();

    const { job } = stored();
    expect(job).toMatchObject({ status: 'failed', attempt_count: 1, next_attempt_at: null, result: null });
    expect(job.failure).toEqual({
      route,
      reason,
      http_status: httpStatus,
      error_code: code,
      message: error.message,
      remediation: expect.stringMatching(remediation),
    });
    expect(job.attempts[0]).toMatchObject({ number: 1, http_status: httpStatus, error_code: code, retry_at: null, finished_at: NOW });
    expect(deps.tenants.accounts.get(`${TENANT}/${ACCOUNT}`)!.connection_status).toBe('connected');
  });
});

describe('publishJob: tokens', () => {
  it('401 ⇒ one forced refresh, then the create is retried within the same attempt', async () => {
    deps.pinterest.creates.push(httpError(401), pinterestPin());

    await run();

    expect(deps.tokens.calls.map((c) => c.forceRefresh)).toEqual([false, true]);
    expect(deps.pinterest.calls.map((c) => c.token)).toEqual(['token-1', 'token-2']);
    expect(stored().job).toMatchObject({ status: 'succeeded', attempt_count: 1 });
    expect(deps.log).not.toContain(`tenants.markReauthorizationRequired ${ACCOUNT}`);
  });

  it.each([
    ['a second 401 after the refresh', () => deps.pinterest.creates.push(httpError(401), httpError(401)), 401, 2],
    [
      'the forced refresh refused',
      () => {
        deps.pinterest.creates.push(httpError(401));
        deps.tokens.failures.set(2, new TokenRefreshError(400, 'refused'));
      },
      400,
      1,
    ],
    ['no usable refresh token', () => deps.tokens.failures.set(1, new TokenRefreshError(null, 'no refresh token')), null, 0],
  ])('%s ⇒ failed, route ops, reauthorization_required, account marked', async (_what, script, httpStatus, creates) => {
    script();

    await run();

    expect(stored().job).toMatchObject({
      status: 'failed',
      attempt_count: 1,
      failure: { route: 'ops', reason: 'reauthorization_required', http_status: httpStatus },
    });
    expect(deps.tokens.calls.filter((c) => c.forceRefresh)).toHaveLength(creates === 0 ? 0 : 1);
    expect(deps.pinterest.calls).toHaveLength(creates);
    expect(deps.log).toContain(`tenants.markReauthorizationRequired ${ACCOUNT}`);
    expect(deps.tenants.accounts.get(`${TENANT}/${ACCOUNT}`)!.connection_status).toBe('reauthorization_required');
  });
});

describe('publishJob: invocation deadline', () => {
  it('hands a job to the next invocation, untouched and without spending a token, when too little time is left', async () => {
    const result = await publishJob(deps, jobMessage(stored()), { remainingMs: () => 12_999 });

    expect(result).toEqual({ kind: 'held', waitMs: 0 });
    expect(stored().job).toMatchObject({ status: 'queued', attempt_count: 0 });
    expect(deps.pacer.admits).toHaveLength(0);
    expect(deps.pacer.writes).toHaveLength(0);
    expect(deps.queue.sent).toMatchObject([{ kind: 'pacing', waitMs: 0 }]);
    expect(pinterestOps()).toEqual([]);
  });

  it('never sends a create it might not see answered: a clean retry_now instead of an unknown outcome', async () => {
    let remaining = 20_000;
    deps.pinterest.listings.push({ items: [], bookmark: null });
    const result = await publishJob(deps, jobMessage(stored()), { remainingMs: () => (remaining -= 5_000) });

    expect(result).toMatchObject({ kind: 'recorded', classification: { outcome: 'retry_now', reason: 'worker_deadline' } });
    expect(stored().job).toMatchObject({
      status: 'retry_scheduled',
      attempts: [{ outcome: 'retry_now', error_message: expect.stringContaining('before sending the create') }],
    });
    expect(pinterestOps()).not.toContain('createPin');
  });
});

describe('publishJob: across runs', () => {
  it('after an after_send failure the next run lists the board before creating; attempts keep counting', async () => {
    deps.pinterest.creates.push(transportError('after_send'), pinterestPin());
    deps.pinterest.listings.push({ items: [], bookmark: null });

    await run();
    await retryWhenDue();

    expect(deps.log.filter((l) => l.startsWith('pinterest'))).toEqual([
      'pinterest.createPin token-1',
      `pinterest.listBoardPins ${BOARD}`,
      'pinterest.createPin token-1',
    ]);
    expect(stored().job).toMatchObject({ status: 'succeeded', attempt_count: 2, result: { verified: false } });
    expect(stored().job.attempts.map((a) => [a.number, a.outcome])).toEqual([
      [1, 'unknown'],
      [2, 'succeeded'],
    ]);
  });

  it('fails with <reason>_retries_exhausted and the last status once the class cap is reached', async () => {
    deps.pinterest.creates.push(httpError(503), httpError(502));

    await run();
    const result = await retryWhenDue();

    const { job } = stored();
    expect(result).toMatchObject({ kind: 'recorded', classification: { outcome: 'retry_now' } });
    expect(job).toMatchObject({ status: 'failed', attempt_count: 2, next_attempt_at: null });
    expect(job.failure).toMatchObject({
      route: 'ops',
      reason: 'server_error_retries_exhausted',
      http_status: 502,
      remediation: expect.stringContaining('2 attempts'),
    });
    expect(job.attempts.map((a) => [a.number, a.http_status, a.retry_at === null])).toEqual([
      [1, 503, false],
      [2, 502, true],
    ]);
  });

  it('a requeued job gets its retry budget again; attempt numbers continue', async () => {
    deps.pinterest.creates.push(httpError(503), httpError(502), httpError(503), pinterestPin());
    await run();
    await retryWhenDue();
    expect(stored().job.status).toBe('failed'); // cap of 2 reached

    await expect(requeueJob({ ...deps, checkPin: pinProblems }, TENANT, seeded.job.id)).resolves.toMatchObject({ status: 'queued' });
    await run(); // 503 again: the new run has its own budget, so it retries
    expect(stored().job.status).toBe('retry_scheduled');
    await retryWhenDue();

    expect(stored().job).toMatchObject({ status: 'succeeded', attempt_count: 4 });
    expect(stored().job.attempts.map((a) => a.number)).toEqual([1, 2, 3, 4]);
  });

  // An unknown job's last create may have landed: the board is checked once more before it fails.
  it('an unknown outcome is never failed without looking on the board after the last create', async () => {
    deps.pinterest.creates.push(transportError('after_send'), transportError('after_send'), transportError('after_send'));
    deps.pinterest.listings.push(...Array.from({ length: 4 }, () => ({ items: [], bookmark: null })));

    await run();
    for (let i = 0; i < 3 && stored().job.status === 'retry_scheduled'; i++) await retryWhenDue();

    expect(stored().job.failure).toMatchObject({ reason: 'outcome_unknown' });
    expect(pinterestOps().at(-1)).toBe('listBoardPins');
  });

  it('an exception from the create is recorded as a crash after sending: unknown, verified next time', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    deps.pinterest.creates.push(bug);

    await expect(run()).resolves.toMatchObject({
      kind: 'recorded',
      error: bug,
      classification: { outcome: 'unknown', reason: 'handler_exception' },
    });

    expect(stored()).toMatchObject({ crashCount: 1, leaseUntil: null, job: { status: 'retry_scheduled', failure: null } });
    expect(stored().job.attempts[0]).toMatchObject({
      outcome: 'unknown',
      error_message: expect.stringMatching(/after sending the create: TypeError: Cannot read properties of undefined/),
    });
  });

  it('does not record an attempt whose lease was taken over meanwhile', async () => {
    deps.pinterest.creates.push(() => {
      deps.jobs.seed({ ...stored(), version: 9 });
      return pinterestPin();
    });

    await expect(run()).resolves.toEqual({ kind: 'skipped', reason: 'lease lost before the attempt was recorded' });
    expect(stored().version).toBe(9);
  });
});

describe('publishJob: stale messages (the job moved on since the message was sent)', () => {
  it('acknowledges a message for an older version without touching the job', async () => {
    seed(jobRecord()); // queued at version 1
    const newer = { ...stored(), version: 3 };
    deps.jobs.seed(newer);

    await expect(publishJob(deps, jobMessage(seeded))).resolves.toEqual({
      kind: 'skipped',
      reason: 'stale message: version 1, the job is at version 3 (queued)',
    });

    expect(stored()).toEqual(newer);
    expect(deps.pacer.admits).toEqual([]);
  });

  it('accepts the redelivery of the message a running job was claimed from (version + 1)', async () => {
    const claimed = claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) });
    seed(claimed);

    await expect(publishJob(deps, jobMessage(claimed, { version: claimed.version - 1 }))).resolves.toMatchObject({ kind: 'recorded' });
    await expect(publishJob(deps, jobMessage(claimed, { version: claimed.version - 2 }))).resolves.toMatchObject({ kind: 'skipped' });
  });
});
