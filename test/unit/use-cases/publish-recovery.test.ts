import { beforeEach, describe, expect, it } from 'vitest';
import { PinterestResponseError } from '../../../lambdas/adapters/pinterest/errors.ts';
import { maxCrashes } from '../../../lambdas/domain/backoff.ts';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { pinProblems } from '../../../lambdas/api/schemas.ts';
import { requeueJob } from '../../../lambdas/use-cases/jobs.ts';
import { publishJob } from '../../../lambdas/use-cases/publish.ts';
import { releaseDue } from '../../../lambdas/use-cases/release-due.ts';
import { ACCOUNT, claimedRecord, httpError, jobMessage, jobRecord, pinterestPin, TENANT, transportError } from '../builders.ts';
import { accountRecord, fakePublishDeps } from '../fakes.ts';

/** The worker after a crash or an unanswered create: recorded, then verified on the board before any create. */
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

describe('publishJob: crash recovery (running, lease expired)', () => {
  const notFound = { items: [pinterestPin({ id: 'older', created_at: '2026-03-01T11:00:00Z' })], bookmark: null };
  const found = { items: [pinterestPin({ id: '4242', created_at: '2026-03-01T12:09:01Z' })], bookmark: null };
  it.each([
    ['ending now; pin not on the board ⇒ create', at(0), notFound, ['listBoardPins', 'createPin'], { pin_id: PIN_ID, verified: false }],
    ['long gone; pin found ⇒ no create', at(-1), found, ['listBoardPins'], { pin_id: '4242', verified: true }],
    ['missing; pin not on the board ⇒ create', null, notFound, ['listBoardPins', 'createPin'], { pin_id: PIN_ID, verified: false }],
  ])(
    'marks the open attempt unknown and acknowledges; the next run verifies before any create: lease %s',
    async (_what, leaseUntil, listing, ops, result) => {
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
      expect(job).toMatchObject({
        status: 'succeeded',
        attempt_count: 2,
        result: { ...result, pin_url: `https://www.pinterest.com/pin/${result.pin_id}/` },
      });
      expect(job.attempts.map((a) => [a.number, a.outcome, a.finished_at])).toEqual([
        [1, 'unknown', NOW],
        [2, 'succeeded', NOW],
      ]);
      expect(job.attempts[0]!.error_message).toMatch(/lease expired/);
      expect(job.status_history.map((h) => h.status)).toEqual(['queued', 'running', 'retry_scheduled', 'queued', 'running', 'succeeded']);
    },
  );

  it('the crash that spends the budget leaves one board check: no pin ⇒ failed to engineering without a create; a requeue checks the board first', async () => {
    const budget = maxCrashes(deps.policy);
    seed({ ...claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) }), crashCount: budget - 1 });

    await expect(run()).resolves.toMatchObject({ kind: 'recorded', classification: { outcome: 'unknown' } });
    expect(stored()).toMatchObject({ crashCount: budget, job: { status: 'retry_scheduled' } });
    expect(stored().job.attempts.at(-1)!.error_message).toContain(`crash ${budget} of at most ${budget}`);
    expect(stored().job.attempts.at(-1)!.error_message).toContain('the next attempt only checks the board');

    deps.pinterest.listings.push(notFound);
    deps.pinterest.creates.push(pinterestPin());
    await expect(retryWhenDue()).resolves.toMatchObject({ kind: 'recorded', classification: { outcome: 'bug', route: 'engineering' } });
    expect(pinterestOps()).toEqual(['listBoardPins']);
    expect(stored()).toMatchObject({
      crashCount: budget,
      job: { status: 'failed', failure: { route: 'engineering', reason: 'handler_exception' } },
    });
    expect(stored().job.failure!.message).toContain('no new create was sent');

    await requeueJob({ ...deps, checkPin: pinProblems }, TENANT, seeded.job.id);
    expect(stored().crashCount).toBe(0);
    deps.pinterest.listings.push({ items: [], bookmark: null });
    await run();
    expect(pinterestOps()).toEqual(['listBoardPins', 'listBoardPins', 'createPin']);
    expect(stored().job.status).toBe('succeeded');
  });

  it('the crash that spends the budget leaves one board check: the pin is there ⇒ succeeded, verified (never failed while the pin exists)', async () => {
    seed({ ...claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) }), crashCount: maxCrashes(deps.policy) - 1 });
    await run();
    deps.pinterest.listings.push(found);

    await expect(retryWhenDue()).resolves.toMatchObject({ kind: 'recorded', classification: null });
    expect(pinterestOps()).toEqual(['listBoardPins']);
    expect(stored().job).toMatchObject({ status: 'succeeded', result: { pin_id: '4242', verified: true } });
  });

  it('a worker that dies during the last board check fails the job to engineering (worker_crashed): the crash loop ends', async () => {
    const budget = maxCrashes(deps.policy);
    seed({ ...claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) }), crashCount: budget });

    await expect(run()).resolves.toMatchObject({ kind: 'recorded', classification: { outcome: 'bug', route: 'engineering' } });
    expect(stored()).toMatchObject({
      crashCount: budget + 1,
      job: { status: 'failed', failure: { route: 'engineering', reason: 'worker_crashed' } },
    });
    expect(pinterestOps()).toEqual([]);
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
    [
      'reads the next page while it can still hold the pin',
      [{ items: [other('2026-03-01T12:09:30Z')], bookmark: 'b2' }, found],
      [undefined, 'b2'],
      true,
    ],
    [
      'stops once a page reaches back before the first attempt minus skew',
      [{ items: [other('2026-03-01T12:06:59Z')], bookmark: 'b2' }],
      [undefined],
      false,
    ],
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
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      seed(claimedRecord({ startedAt: at(-60_000), leaseUntil: at(-1) }));
      deps.pinterest.listings.push(
        { items: [other('2026-03-01T12:09:30')], bookmark: 'b2' },
        { items: [pinterestPin({ id: '4242', created_at: '2026-03-01T12:09:01' })], bookmark: null },
      );
      deps.pinterest.creates.push(pinterestPin({ id: 'duplicate' }));

      await run();
      await retryWhenDue();

      expect(stored().job.result).toMatchObject({ pin_id: '4242', verified: true });
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
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
    expect(first).toMatchObject({
      kind: 'recorded',
      error: parseError!,
      classification: { outcome: 'retry_now', reason: 'handler_exception' },
    });
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

    await requeueJob({ ...deps, checkPin: pinProblems }, TENANT, seeded.job.id, { board_id: '111', title: 'Oak chair, v2' });
    deps.pinterest.listings.push(
      // The first version's board holds the pin attempt 1 created under the old title …
      { items: [pinterestPin({ id: '7070', created_at: '2026-03-01T12:10:01' })], bookmark: null },
      // … and the corrected board is listed too.
      { items: [], bookmark: null },
    );
    deps.pinterest.creates.push(pinterestPin({ id: 'duplicate' }));
    await run();

    expect(stored().job).toMatchObject({ status: 'succeeded', result: { pin_id: '7070', verified: true } });
    expect(
      deps.pinterest.calls
        .filter((c) => c.op === 'listBoardPins')
        .slice(-2)
        .map((c) => c.boardId),
    ).toEqual([BOARD, '111']);
    expect(deps.pinterest.calls.filter((c) => c.op === 'createPin')).toHaveLength(2); // attempts 1 and 2 only
  });

  it('rules out a pin another job of the account recorded, and creates instead of stealing it', async () => {
    const other = jobRecord({ key: 'another-intent', status: 'succeeded' });
    deps.jobs.seed({
      ...other,
      job: { ...other.job, result: { pin_id: '6060', pin_url: 'https://www.pinterest.com/pin/6060/', verified: false } },
    });
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
      items: [
        pinterestPin({ id: '9002', created_at: '2026-03-01T12:10:02' }),
        pinterestPin({ id: '9001', created_at: '2026-03-01T12:10:01' }),
      ],
      bookmark: null,
    });
    await retryWhenDue();

    const { job } = stored();
    expect(job).toMatchObject({
      status: 'failed',
      failure: { route: 'ops', reason: 'verification_ambiguous', candidate_pin_ids: ['9001', '9002'] },
    });
    expect(pinterestOps()).toEqual(['createPin', 'listBoardPins']);
  });
});
