import { beforeEach, describe, expect, it } from 'vitest';
import { PinterestResponseError } from '../../../lambdas/adapters/pinterest-client.ts';
import { maxCrashes } from '../../../lambdas/domain/backoff.ts';
import { transition, type JobRecord } from '../../../lambdas/domain/job.ts';
import { TokenRefreshError } from '../../../lambdas/use-cases/ports.ts';
import { describeError, publishJob } from '../../../lambdas/use-cases/publish.ts';
import { releaseDue } from '../../../lambdas/use-cases/release-due.ts';
import { requeueJob } from '../../../lambdas/use-cases/jobs.ts';
import { ACCOUNT, claimedRecord, httpError, jobMessage, jobRecord, pinterestPin, TENANT, transportError } from '../builders.ts';
import { accountRecord, fakePublishDeps } from '../fakes.ts';

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
    ...(['scheduled', 'retry_scheduled', 'succeeded', 'failed', 'cancelled'] as const).map((status) => [`a ${status} job`, () => jobRecord({ status }), `job is ${status}`] as const),
    ['a running job whose lease is still valid', () => claimedRecord({ startedAt: at(-30_000), leaseUntil: at(1) }), 'another worker holds the job'] as const,
  ])('skips %s', async (_what, record, reason) => {
    seed(record());

    await expect(run()).resolves.toEqual({ kind: 'skipped', reason });

    expect(stored()).toEqual(seeded);
    expect(deps.log).toEqual([`jobs.get ${seeded.job.id}`]);
  });

  it('skips a job that does not exist', async () => {
    await expect(publishJob(deps, { job_id: seeded.job.id, tenant_id: 'ten_other', version: 1 })).resolves.toEqual({ kind: 'skipped', reason: 'job not found' });
    expect(deps.log).toEqual([`jobs.get ${seeded.job.id}`]);
  });
});

describe('publishJob: crash recovery (running, lease expired)', () => {
  const notFound = { items: [pinterestPin({ id: 'older', created_at: '2026-03-01T11:00:00Z' })], bookmark: null };
  const found = { items: [pinterestPin({ id: '4242', created_at: '2026-03-01T12:09:01Z' })], bookmark: null };
  it.each([
    ['ending now; pin not on the board ⇒ create', at(0), notFound, ['listBoardPins', 'createPin'], { pin_id: PIN_ID, verified: false }],
    ['long gone; pin found ⇒ no create', at(-1), found, ['listBoardPins'], { pin_id: '4242', verified: true }],
    ['missing; pin not on the board ⇒ create', null, notFound, ['listBoardPins', 'createPin'], { pin_id: PIN_ID, verified: false }],
  ])('marks the open attempt unknown and acknowledges; the next run verifies before any create: lease %s', async (_what, leaseUntil, listing, ops, result) => {
    seed(claimedRecord({ startedAt: at(-60_000), leaseUntil }));
    deps.pinterest.listings.push(listing);
    deps.pinterest.creates.push(pinterestPin());

    // The redelivered message only records the crash: the job moves to retry_scheduled (one new message,
    // sent by the outbox) and this delivery is acknowledged, so crashes never multiply messages.
    await expect(run()).resolves.toMatchObject({ kind: 'recorded', classification: { outcome: 'unknown', reason: 'handler_exception' } });
    expect(pinterestOps()).toEqual([]);
    expect(stored()).toMatchObject({ crashCount: 1, leaseUntil: null, job: { status: 'retry_scheduled', next_attempt_at: NOW } });

    await expect(retryWhenDue()).resolves.toMatchObject({ kind: 'recorded', classification: null });

    expect(pinterestOps()).toEqual(ops);
    expect(deps.pinterest.calls[0]!.page).toEqual({ pageSize: 250 });
    const { job } = stored();
    expect(job).toMatchObject({ status: 'succeeded', attempt_count: 2, result: { ...result, pin_url: `https://www.pinterest.com/pin/${result.pin_id}/` } });
    expect(job.attempts.map((a) => [a.number, a.outcome, a.finished_at])).toEqual([
      [1, 'unknown', NOW],
      [2, 'succeeded', NOW],
    ]);
    expect(job.attempts[0]!.error_message).toMatch(/lease expired/);
    expect(job.status_history.map((h) => h.status)).toEqual(['queued', 'running', 'retry_scheduled', 'queued', 'running', 'succeeded']);
  });

  it('a job whose worker keeps dying fails to engineering after the crash budget; a requeue still checks the board first', async () => {
    const budget = maxCrashes(deps.policy);
    seed({ ...claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) }), crashCount: budget - 1 });

    await expect(run()).resolves.toMatchObject({ kind: 'recorded', classification: { outcome: 'bug', route: 'engineering' } });

    expect(stored()).toMatchObject({ crashCount: budget, job: { status: 'failed', failure: { route: 'engineering', reason: 'worker_crashed' } } });
    expect(stored().job.failure!.message).toContain(`crash ${budget} of at most ${budget}`);
    expect(pinterestOps()).toEqual([]);

    await requeueJob(deps, TENANT, seeded.job.id);
    expect(stored().crashCount).toBe(0);
    deps.pinterest.listings.push({ items: [], bookmark: null });
    deps.pinterest.creates.push(pinterestPin());
    await run();
    expect(pinterestOps()).toEqual(['listBoardPins', 'createPin']);
    expect(stored().job.status).toBe('succeeded');
  });

  it('stops when the recovery write loses to a concurrent change', async () => {
    seed(claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) }));
    deps.jobs.beforeNextReplace = () => deps.jobs.seed({ ...seeded, version: seeded.version + 1 });

    await expect(run()).resolves.toEqual({ kind: 'skipped', reason: 'job changed concurrently' });
    expect(deps.pacer.admits).toEqual([]);
    expect(deps.pacer.writes).toEqual([]);
    expect(deps.pinterest.calls).toEqual([]);
  });

  const other = (createdAt: string) => pinterestPin({ id: '1', title: 'Something else', created_at: createdAt });
  it.each([
    ['reads the next page while it can still hold the pin', [{ items: [other('2026-03-01T12:09:30Z')], bookmark: 'b2' }, found], [undefined, 'b2'], true],
    ['stops once a page reaches back before the first attempt minus skew', [{ items: [other('2026-03-01T12:06:59Z')], bookmark: 'b2' }], [undefined], false],
  ])('pages the board: %s', async (_what, pages, bookmarks, verified) => {
    seed(claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) }));
    deps.pinterest.listings.push(...pages);
    deps.pinterest.creates.push(pinterestPin());

    await run();
    await retryWhenDue();

    expect(deps.pinterest.calls.filter((c) => c.op === 'listBoardPins').map((c) => c.page?.bookmark)).toEqual(bookmarks);
    expect(stored().job.result?.verified).toBe(verified);
  });

  // Pinterest's zone-less created_at is UTC: read as local time east of UTC, paging would stop early,
  // miss the pin on the next page and create a duplicate.
  it('pages by UTC even when the process runs east of UTC', async () => {
    const tz = process.env['TZ'];
    process.env['TZ'] = 'Asia/Tokyo';
    try {
      seed(claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) }));
      deps.pinterest.listings.push({ items: [other('2026-03-01T12:09:30')], bookmark: 'b2' }, { items: [pinterestPin({ id: '4242', created_at: '2026-03-01T12:09:01' })], bookmark: null });
      deps.pinterest.creates.push(pinterestPin({ id: 'duplicate' }));

      await run();
      await retryWhenDue();

      expect(stored().job.result).toMatchObject({ pin_id: '4242', verified: true });
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
  });
});

describe('publishJob: pacing', () => {
  // Admission before the claim takes nothing; the write token is taken immediately before the create.
  it.each([
    ['the account limit and the message slot', 30, { slot_ms: 1234 }, 30, 1234],
    ['the default limit', null, {}, 100, undefined],
  ])('admits, then takes the write token with %s', async (_what, accountLimit, extra, limitPerMinute, reservedSlotMs) => {
    deps.tenants.accounts.set(`${TENANT}/${ACCOUNT}`, { ...accountRecord(TENANT, ACCOUNT, NOW), rate_limit_per_minute: accountLimit });
    deps.pinterest.creates.push(pinterestPin());

    await run(extra);

    const account = { tenantId: TENANT, accountId: ACCOUNT, limitPerMinute };
    expect(deps.pacer.admits).toEqual([{ account, reservedSlotMs, reads: false }]);
    expect(deps.pacer.writes).toEqual([{ account, reservedSlotMs }]);
    expect(deps.log.filter((l) => /^(pacer|pinterest|tokens|jobs\.replace)/.test(l))).toEqual([
      `pacer.admit ${ACCOUNT}${reservedSlotMs !== undefined ? ` slot ${reservedSlotMs}` : ''}`,
      expect.stringMatching(/^jobs\.replace/), // the claim
      `tokens.accessToken ${ACCOUNT}`,
      `pacer.takeWrite ${ACCOUNT}${reservedSlotMs !== undefined ? ` slot ${reservedSlotMs}` : ''}`,
      'pinterest.createPin token-1',
      expect.stringMatching(/^jobs\.replace/), // the outcome
    ]);
  });

  it.each([400, 1000])('sleeps a short wait (%i ms), then admits again with the reserved slot and takes with it', async (waitMs) => {
    const slotMs = Date.parse(NOW) + waitMs;
    deps.pacer.answers.push({ granted: false, waitMs, slotMs });
    let leaseUntil: string | null | undefined;
    deps.pinterest.creates.push(() => ((leaseUntil = stored().leaseUntil), pinterestPin()));

    await run();

    expect(deps.sleeps).toEqual([waitMs]);
    expect(deps.pacer.admits.map((a) => a.reservedSlotMs)).toEqual([undefined, slotMs]);
    expect(deps.pacer.writes.map((a) => a.reservedSlotMs)).toEqual([slotMs]);
    expect(stored().job.attempts[0]!.started_at).toBe(at(waitMs));
    expect(leaseUntil).toBe(at(waitMs + 60_000));
  });

  it.each([
    ['a long wait', [{ granted: false, waitMs: 1001, slotMs: 99_000 }], 1001, 99_000, []],
    ['still no token after the sleep', [{ granted: false, waitMs: 300, slotMs: 5_000 }, { granted: false, waitMs: 2500, slotMs: 7_000 }], 2500, 7_000, [300]],
  ])('holds the job in the delay queue with its slot on %s: job untouched, no attempt', async (_what, answers, waitMs, slotMs, sleeps) => {
    deps.pacer.answers.push(...answers);

    await expect(run()).resolves.toEqual({ kind: 'held', waitMs });

    expect(deps.queue.sent).toEqual([{ kind: 'pacing', record: seeded, waitMs, slotMs }]);
    expect(stored()).toEqual(seeded);
    // The reconciler must not take the waiting job for a stranded one: its due time moves to the slot.
    expect(deps.jobs.dueAt(TENANT, seeded.job.id)).toBe(new Date(slotMs).toISOString());
    expect(deps.sleeps).toEqual(sleeps);
    expect(deps.tokens.calls).toEqual([]);
    expect(deps.pacer.writes).toEqual([]);
    expect(deps.pinterest.calls).toEqual([]);
  });
});

describe('publishJob: pacing at send time (token after the refresh and the listings; reads apart from writes)', () => {
  const ACCT = { tenantId: TENANT, accountId: ACCOUNT, limitPerMinute: 100 };
  /** A first attempt whose answer was lost: the next run must verify on the board before any create. */
  async function afterLostAnswer() {
    deps.pinterest.creates.push(transportError('after_send'));
    await run();
    deps.log.length = 0;
    for (const calls of [deps.pacer.admits, deps.pacer.writes, deps.pacer.reads, deps.pacer.reports]) calls.length = 0;
    deps.clock.set(stored().job.next_attempt_at!);
    await expect(releaseDue(deps, jobMessage(stored()))).resolves.toBe('queued');
  }
  const pacingAndCalls = () => deps.log.filter((l) => /^(pacer|pinterest|tokens)/.test(l));

  it('a job that must verify is admitted with its reads, lists the board on read tokens, then takes the write token right before the create', async () => {
    await afterLostAnswer();
    deps.pinterest.listings.push({ items: [], bookmark: null });
    deps.pinterest.creates.push(pinterestPin());

    await run();

    expect(pacingAndCalls()).toEqual([
      `pacer.admit ${ACCOUNT} reads`,
      `tokens.accessToken ${ACCOUNT}`,
      `pacer.takeRead ${ACCOUNT}`,
      `pinterest.listBoardPins ${BOARD}`,
      `pacer.takeWrite ${ACCOUNT}`,
      'pinterest.createPin token-1',
    ]);
    expect(stored().job.status).toBe('succeeded');
  });

  it('a pin found on the board takes no write token', async () => {
    await afterLostAnswer();
    deps.pinterest.listings.push({ items: [pinterestPin({ id: '4343', created_at: '2026-03-01T12:10:00' })], bookmark: null });

    await run();

    expect(stored().job.result).toMatchObject({ pin_id: '4343', verified: true });
    expect(deps.pacer.writes).toEqual([]);
  });

  it('every create takes its own token: a 401, the refresh, and the second create take two', async () => {
    deps.pinterest.creates.push(httpError(401), pinterestPin());

    await run();

    expect(pacingAndCalls()).toEqual([
      `pacer.admit ${ACCOUNT}`,
      `tokens.accessToken ${ACCOUNT}`,
      `pacer.takeWrite ${ACCOUNT}`,
      'pinterest.createPin token-1',
      `tokens.accessToken ${ACCOUNT} forceRefresh`,
      `pacer.takeWrite ${ACCOUNT}`,
      'pinterest.createPin token-2',
    ]);
  });

  it('a short wait at send time (the app bucket) is slept out and the token taken again', async () => {
    deps.pacer.writeAnswers.push({ granted: false, waitMs: 300 });
    deps.pinterest.creates.push(pinterestPin());

    await run();

    expect(deps.sleeps).toEqual([300]);
    expect(deps.pacer.writes).toHaveLength(2);
    expect(stored().job).toMatchObject({ status: 'succeeded', attempt_count: 1 });
  });

  it.each([
    ['no write token at send time', () => deps.pacer.writeAnswers.push({ granted: false, waitMs: 5000 }), false],
    ['no read token for the listing', () => deps.pacer.readAnswers.push({ granted: false, waitMs: 5000 }), true],
    ['still no write token after a short sleep', () => deps.pacer.writeAnswers.push({ granted: false, waitMs: 500 }, { granted: false, waitMs: 800 }), false],
  ])('%s: the claim is released — queued again, no attempt counted, nothing created', async (_what, script, verifying) => {
    if (verifying) await afterLostAnswer();
    const before = stored();
    script();

    await expect(run()).resolves.toMatchObject({ kind: 'held' });

    const after = stored();
    expect(after.job).toMatchObject({ status: 'queued', attempt_count: before.job.attempt_count, attempts: before.job.attempts });
    expect(after.job.status_history.slice(-2).map((h) => h.status)).toEqual(['running', 'queued']);
    expect(after.version).toBe(before.version + 2); // claimed, then released: the outbox owes it one fresh message
    expect(after.leaseUntil).toBeNull();
    expect(after.sentPins ?? []).toEqual(before.sentPins ?? []); // nothing was sent under this claim
    expect(deps.pinterest.calls.filter((c) => c.op === 'createPin')).toHaveLength(verifying ? 1 : 0); // the lost one only
    expect(deps.pacer.reports).toEqual([]);
  });

  it('a 429 on a board listing holds the read budget only: the write budget never hears of it', async () => {
    await afterLostAnswer();
    deps.pinterest.listings.push(httpError(429, { code: 8, retryAfterSeconds: 7, operation: 'list_board_pins' }));

    await run();

    expect(stored().job).toMatchObject({ status: 'retry_scheduled', attempts: [{ outcome: 'unknown' }, { outcome: 'retry_later', http_status: 429 }] });
    expect(deps.pacer.reports).toEqual([{ account: ACCT, signal: { bucket: 'read', kind: 'rate_limited', retryAfterSeconds: 7 } }]);
    expect(deps.pacer.writes).toEqual([]);
  });

  it('a 429 on the token refresh changes no budget (the job retries later)', async () => {
    deps.tokens.failures.set(1, new TokenRefreshError(429, 'Pinterest token refresh: HTTP 429'));

    await run();

    expect(stored().job).toMatchObject({ status: 'retry_scheduled', attempts: [{ outcome: 'retry_later' }] });
    expect(deps.pacer.reports).toEqual([]);
    expect(deps.pacer.writes).toEqual([]);
  });

  it('a success tells the pacer nothing; a report that cannot be stored is logged and the outcome still recorded', async () => {
    deps.pinterest.creates.push(pinterestPin());
    await run();
    expect(deps.pacer.reports).toEqual([]);

    const warnings: unknown[] = [];
    const withWarn = { ...deps, warn: (message: string, details: Record<string, unknown>) => warnings.push({ message, details }) };
    seed(jobRecord({ key: 'second-intent' }));
    deps.pinterest.creates.push(httpError(429, { code: 8 }));
    deps.pacer.reportFailure = new Error('ProvisionedThroughputExceededException');

    await publishJob(withWarn, jobMessage(stored()));

    expect(stored().job.status).toBe('retry_scheduled');
    expect(warnings).toEqual([{ message: 'the pacing report could not be stored', details: expect.objectContaining({ account_id: ACCOUNT, error: 'ProvisionedThroughputExceededException' }) }]);
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

    expect(during).toMatchObject({ version: 2, leaseUntil: at(60_000), job: { status: 'running', attempt_count: 1, next_attempt_at: null } });
    const open = { number: 1, started_at: NOW, finished_at: null, outcome: null, http_status: null, error_code: null, error_message: null, retry_at: null };
    expect(during!.job.attempts).toEqual([open]);
    const { job } = stored();
    expect(result).toEqual({ kind: 'recorded', job, classification: null });
    expect(stored()).toMatchObject({ version: 3, leaseUntil: null });
    expect(job).toMatchObject({ status: 'succeeded', failure: null, result: { pin_id: PIN_ID, pin_url: `https://www.pinterest.com/pin/${PIN_ID}/`, verified: false } });
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
      { number: 1, started_at: NOW, finished_at: NOW, outcome, http_status: httpStatus, error_code: code, error_message: error.message, retry_at: at(seconds * 1000) },
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
  ])('429 with Retry-After %i s (random %d) ⇒ retry in %i s, and the whole account is held for it', async (retryAfterSeconds, random, seconds) => {
    deps.random = () => random;
    deps.pinterest.creates.push(httpError(429, { retryAfterSeconds }));

    await run();

    expect(stored().job.attempts[0]!.retry_at).toBe(at(seconds * 1000));
    expect(deps.pacer.reports.map((r) => r.signal)).toEqual([{ bucket: 'write', kind: 'rate_limited', grantAtMs: Date.parse(NOW), retryAfterSeconds }]);
  });

  it.each([
    ['400', httpError(400, { code: 1 }), 'client', 'invalid_request', 400, 1, /correct the pin fields/],
    ['403 code 235', httpError(403, { code: 235 }), 'client', 'broken_image', 403, 235, /publicly reachable/],
    ['404 code 40', httpError(404, { code: 40 }), 'ops', 'board_not_found', 404, 40, new RegExp(`board ${BOARD}`, 'i')],
  ] as const)('%s ⇒ failed after one attempt', async (_what, error, route, reason, httpStatus, code, remediation) => {
    deps.pinterest.creates.push(error);

    await run();

    const { job } = stored();
    expect(job).toMatchObject({ status: 'failed', attempt_count: 1, next_attempt_at: null, result: null });
    expect(job.failure).toEqual({ route, reason, http_status: httpStatus, error_code: code, message: error.message, remediation: expect.stringMatching(remediation) });
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
    ['the forced refresh refused', () => (deps.pinterest.creates.push(httpError(401)), deps.tokens.failures.set(2, new TokenRefreshError(400, 'refused'))), 400, 1],
    ['no usable refresh token', () => deps.tokens.failures.set(1, new TokenRefreshError(null, 'no refresh token')), null, 0],
  ])('%s ⇒ failed, route ops, reauthorization_required, account marked', async (_what, script, httpStatus, creates) => {
    script();

    await run();

    expect(stored().job).toMatchObject({ status: 'failed', attempt_count: 1, failure: { route: 'ops', reason: 'reauthorization_required', http_status: httpStatus } });
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
    expect(stored().job).toMatchObject({ status: 'retry_scheduled', attempts: [{ outcome: 'retry_now', error_message: expect.stringContaining('before sending the create') }] });
    expect(pinterestOps()).not.toContain('createPin');
  });
});

describe('publishJob: across runs', () => {
  it('after an after_send failure the next run lists the board before creating; attempts keep counting', async () => {
    deps.pinterest.creates.push(transportError('after_send'), pinterestPin());
    deps.pinterest.listings.push({ items: [], bookmark: null });

    await run();
    await retryWhenDue();

    expect(deps.log.filter((l) => l.startsWith('pinterest'))).toEqual(['pinterest.createPin token-1', `pinterest.listBoardPins ${BOARD}`, 'pinterest.createPin token-1']);
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
    expect(job.failure).toMatchObject({ route: 'ops', reason: 'server_error_retries_exhausted', http_status: 502, remediation: expect.stringContaining('2 attempts') });
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

    await expect(requeueJob(deps, TENANT, seeded.job.id)).resolves.toMatchObject({ status: 'queued' });
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

    await expect(run()).resolves.toMatchObject({ kind: 'recorded', error: bug, classification: { outcome: 'unknown', reason: 'handler_exception' } });

    expect(stored()).toMatchObject({ crashCount: 1, leaseUntil: null, job: { status: 'retry_scheduled', failure: null } });
    expect(stored().job.attempts[0]).toMatchObject({ outcome: 'unknown', error_message: expect.stringMatching(/after sending the create: TypeError: Cannot read properties of undefined/) });
  });

  it('does not record an attempt whose lease was taken over meanwhile', async () => {
    deps.pinterest.creates.push(() => (deps.jobs.seed({ ...stored(), version: 9 }), pinterestPin()));

    await expect(run()).resolves.toEqual({ kind: 'skipped', reason: 'lease lost before the attempt was recorded' });
    expect(stored().version).toBe(9);
  });
});

describe('publishJob: stale messages (the job moved on since the message was sent)', () => {
  it('acknowledges a message for an older version without touching the job', async () => {
    seed(jobRecord()); // queued at version 1
    const newer = { ...stored(), version: 3 };
    deps.jobs.seed(newer);

    await expect(publishJob(deps, jobMessage(seeded))).resolves.toEqual({ kind: 'skipped', reason: 'stale message: version 1, the job is at version 3 (queued)' });

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

describe('publishJob: crashes after the claim are recorded, never left for a redelivery', () => {
  it('a secret that cannot be parsed: retry_now before any create, then failed to engineering; no secret in the record', async () => {
    let parseError: Error;
    try {
      JSON.parse('pina_live_secret_token_value');
    } catch (error) {
      parseError = error as Error;
    }
    for (let call = 1; call <= 10; call++) deps.tokens.failures.set(call, parseError!);

    const first = await run();
    expect(first).toMatchObject({ kind: 'recorded', error: parseError!, classification: { outcome: 'retry_now', reason: 'handler_exception' } });
    expect(stored()).toMatchObject({ crashCount: 1, job: { status: 'retry_scheduled' } });
    expect(stored().job.attempts[0]!.error_message).toMatch(/before any create was sent: SyntaxError: /);
    for (let i = 0; i < 5 && stored().job.status === 'retry_scheduled'; i++) await retryWhenDue();

    const { job } = stored();
    expect(job).toMatchObject({ status: 'failed', failure: { route: 'engineering', reason: 'handler_exception' } });
    expect(job.attempts).toHaveLength(maxCrashes(deps.policy));
    expect(pinterestOps()).toEqual([]);
    expect(JSON.stringify(job)).not.toContain('pina_live');
    expect(JSON.stringify(job)).not.toContain('secret_token');
  });

  it('describeError keeps the class and drops quoted input and token-shaped text', () => {
    expect(describeError(new SyntaxError('Unexpected token \'p\', "pina_abc" is not valid JSON'))).toBe('SyntaxError: Unexpected token "…", "…" is not valid JSON');
    expect(describeError(new Error('refused pinr_XYZ.123 for account'))).toBe('Error: refused [redacted] for account');
    expect(describeError('x'.repeat(400))).toMatch(/^string: x{300}…$/);
  });
});

describe('publishJob: verification (item: never duplicate, never mis-attribute)', () => {
  it('a 2xx create whose body is not a pin is an unknown outcome: the next run finds the pin instead of creating it again', async () => {
    deps.pinterest.creates.push(new PinterestResponseError('create_pin', 201, 'Pinterest answered 201 with a body that is not a Pin', {}));

    await run();
    expect(stored().job).toMatchObject({ status: 'retry_scheduled', attempts: [{ outcome: 'unknown' }] });

    deps.pinterest.listings.push({ items: [pinterestPin({ id: '5151', created_at: '2026-03-01T12:10:00' })], bookmark: null });
    await retryWhenDue();

    expect(stored().job).toMatchObject({ status: 'succeeded', result: { pin_id: '5151', verified: true } });
    expect(pinterestOps()).toEqual(['createPin', 'listBoardPins']);
  });

  it('after a requeue with corrected fields, a pin created under the old fields on the old board is found', async () => {
    // Attempt 1 sends "Oak chair" to board A; its answer is lost. Attempt 2 finds nothing yet (Pinterest is
    // slow to list it) and gets a 404 for a section; ops requeue with another board and title.
    deps.pinterest.creates.push(transportError('after_send'));
    await run();
    deps.pinterest.listings.push({ items: [], bookmark: null });
    deps.pinterest.creates.push(httpError(404, { code: 2031 }));
    await retryWhenDue();
    expect(stored().job.status).toBe('failed');

    await requeueJob(deps, TENANT, seeded.job.id, { board_id: '111', title: 'Oak chair, v2' });
    deps.pinterest.listings.push(
      // The first version's board holds the pin attempt 1 created under the old title …
      { items: [pinterestPin({ id: '7070', created_at: '2026-03-01T12:10:01' })], bookmark: null },
      // … and the corrected board is listed too.
      { items: [], bookmark: null },
    );
    deps.pinterest.creates.push(pinterestPin({ id: 'duplicate' }));
    await run();

    expect(stored().job).toMatchObject({ status: 'succeeded', result: { pin_id: '7070', verified: true } });
    expect(deps.pinterest.calls.filter((c) => c.op === 'listBoardPins').slice(-2).map((c) => c.boardId)).toEqual([BOARD, '111']);
    expect(deps.pinterest.calls.filter((c) => c.op === 'createPin')).toHaveLength(2); // attempts 1 and 2 only
  });

  it('rules out a pin another job of the account recorded, and creates instead of stealing it', async () => {
    const other = jobRecord({ key: 'another-intent', status: 'succeeded' });
    deps.jobs.seed({ ...other, job: { ...other.job, result: { pin_id: '6060', pin_url: 'https://www.pinterest.com/pin/6060/', verified: false } } });
    deps.pinterest.creates.push(transportError('after_send'));
    await run();

    deps.pinterest.listings.push({ items: [pinterestPin({ id: '6060', created_at: '2026-03-01T12:10:00' })], bookmark: null });
    deps.pinterest.creates.push(pinterestPin({ id: '6161' }));
    await retryWhenDue();

    expect(stored().job).toMatchObject({ status: 'succeeded', result: { pin_id: '6161', verified: false } });
  });

  it('several unowned matches: failed to ops, verification_ambiguous, with the candidate pin ids; nothing created', async () => {
    deps.pinterest.creates.push(transportError('after_send'));
    await run();

    deps.pinterest.listings.push({
      items: [pinterestPin({ id: '9002', created_at: '2026-03-01T12:10:02' }), pinterestPin({ id: '9001', created_at: '2026-03-01T12:10:01' })],
      bookmark: null,
    });
    await retryWhenDue();

    const { job } = stored();
    expect(job).toMatchObject({ status: 'failed', failure: { route: 'ops', reason: 'verification_ambiguous', candidate_pin_ids: ['9001', '9002'] } });
    expect(pinterestOps()).toEqual(['createPin', 'listBoardPins']);
  });
});
