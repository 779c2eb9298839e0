import { beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { TokenRefreshError } from '../../../lambdas/use-cases/ports.ts';
import { publishJob } from '../../../lambdas/use-cases/publish.ts';
import { releaseDue } from '../../../lambdas/use-cases/release-due.ts';
import { ACCOUNT, httpError, jobMessage, jobRecord, pinterestPin, TENANT, transportError } from '../builders.ts';
import { accountRecord, fakePublishDeps } from '../fakes.ts';

/** The worker and the pacer: admission before the claim, tokens at send time, holds and released claims. */
const NOW = '2026-03-01T12:10:00.000Z';
const at = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString();
const BOARD = '549755885175';

let deps: ReturnType<typeof fakePublishDeps>;
let seeded: JobRecord;
const stored = () => deps.jobs.stored(TENANT, seeded.job.id)!;
const run = (extra = {}) => publishJob(deps, jobMessage(stored(), extra));
const seed = (record: JobRecord) => {
  seeded = record;
  deps.jobs.seed(record);
};

beforeEach(() => {
  deps = fakePublishDeps(NOW);
  deps.tenants.accounts.set(`${TENANT}/${ACCOUNT}`, accountRecord(TENANT, ACCOUNT, NOW));
  seed(jobRecord());
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
    deps.pinterest.creates.push(() => {
      leaseUntil = stored().leaseUntil;
      return pinterestPin();
    });

    await run();

    expect(deps.sleeps).toEqual([waitMs]);
    expect(deps.pacer.admits.map((a) => a.reservedSlotMs)).toEqual([undefined, slotMs]);
    expect(deps.pacer.writes.map((a) => a.reservedSlotMs)).toEqual([slotMs]);
    expect(stored().job.attempts[0]!.started_at).toBe(at(waitMs));
    expect(leaseUntil).toBe(at(waitMs + 60_000));
  });

  it.each([
    ['a long wait', [{ granted: false, waitMs: 1001, slotMs: 99_000 }], 1001, 99_000, []],
    [
      'still no token after the sleep',
      [
        { granted: false, waitMs: 300, slotMs: 5_000 },
        { granted: false, waitMs: 2500, slotMs: 7_000 },
      ],
      2500,
      7_000,
      [300],
    ],
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
    [
      'still no write token after a short sleep',
      () => deps.pacer.writeAnswers.push({ granted: false, waitMs: 500 }, { granted: false, waitMs: 800 }),
      false,
    ],
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

    expect(stored().job).toMatchObject({
      status: 'retry_scheduled',
      attempts: [{ outcome: 'unknown' }, { outcome: 'retry_later', http_status: 429 }],
    });
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
    expect(warnings).toEqual([
      {
        message: 'the pacing report could not be stored',
        details: expect.objectContaining({ account_id: ACCOUNT, error: 'ProvisionedThroughputExceededException' }),
      },
    ]);
  });
});
