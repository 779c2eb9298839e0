import { beforeEach, describe, expect, it } from 'vitest';
import { jobIdFor } from '../../../lambdas/domain/ids.ts';
import { AccountNotConnected, IdempotencyKeyReused, PublishAtTooFarAhead } from '../../../lambdas/domain/errors.ts';
import { MAX_SCHEDULE_AHEAD_DAYS, submitPin } from '../../../lambdas/use-cases/submit-pin.ts';
import { ACCOUNT, OTHER_TENANT, pinRequest, T0, TENANT } from '../builders.ts';
import { accountRecord, fakeDeps } from '../fakes.ts';

const DAY = 86_400_000;
let deps: ReturnType<typeof fakeDeps>;

beforeEach(() => {
  deps = fakeDeps(T0);
  deps.tenants.accounts.set(`${TENANT}/${ACCOUNT}`, accountRecord(TENANT, ACCOUNT, T0));
});

describe('submitPin', () => {
  it('creates a queued job named after the idempotency key', async () => {
    // Act
    const { job, replayed } = await submitPin(deps, { tenantId: TENANT, idempotencyKey: 'cms-4411', request: pinRequest() });

    // Assess
    expect(replayed).toBe(false);
    expect(job).toMatchObject({ id: jobIdFor(TENANT, 'cms-4411'), status: 'queued', idempotency_key: 'cms-4411', account_id: ACCOUNT });
    expect(deps.jobs.stored(TENANT, job.id)?.job).toEqual(job);
    expect(deps.jobs.isPending(TENANT, job.id)).toBe(true); // the outbox owes it a message
    expect(deps.queue.sent).toEqual([]); // intake never enqueues itself
  });

  it('replays the same job for the same key and the same body in another key order', async () => {
    // Prepare
    const first = await submitPin(deps, {
      tenantId: TENANT,
      idempotencyKey: 'cms-4411',
      request: pinRequest({ metadata: { a: 1, b: { c: 2, d: 3 } } }),
    });
    deps.clock.advance(60_000);
    const reordered = {
      metadata: { b: { d: 3, c: 2 }, a: 1 },
      media_source: { url: 'https://example.com/images/chair.jpg', source_type: 'image_url' as const },
      link: 'https://example.com/products/oak-chair',
      title: 'Oak chair',
      board_id: '549755885175',
      account_id: ACCOUNT,
    };

    // Act
    const second = await submitPin(deps, { tenantId: TENANT, idempotencyKey: 'cms-4411', request: reordered });

    // Assess
    expect(second).toEqual({ job: first.job, replayed: true });
    expect(deps.jobs.rows.size).toBe(1);
  });

  it('refuses the same key with another body, naming the existing job, and leaves it unchanged', async () => {
    const first = await submitPin(deps, { tenantId: TENANT, idempotencyKey: 'cms-4411', request: pinRequest() });

    const attempt = submitPin(deps, { tenantId: TENANT, idempotencyKey: 'cms-4411', request: pinRequest({ title: 'Walnut chair' }) });

    await expect(attempt).rejects.toBeInstanceOf(IdempotencyKeyReused);
    await expect(attempt).rejects.toThrow(first.job.id);
    expect(deps.jobs.stored(TENANT, first.job.id)?.job).toEqual(first.job);
  });

  it('treats the same key from another tenant as a different job', async () => {
    deps.tenants.accounts.set(`${OTHER_TENANT}/${ACCOUNT}`, accountRecord(OTHER_TENANT, ACCOUNT, T0));
    const mine = await submitPin(deps, { tenantId: TENANT, idempotencyKey: 'cms-4411', request: pinRequest() });

    const theirs = await submitPin(deps, { tenantId: OTHER_TENANT, idempotencyKey: 'cms-4411', request: pinRequest({ title: 'Other' }) });

    expect(theirs.replayed).toBe(false);
    expect(theirs.job.id).not.toBe(mine.job.id);
  });

  it('refuses an account that is not connected, and stores nothing', async () => {
    const attempt = submitPin(deps, { tenantId: TENANT, idempotencyKey: 'k', request: pinRequest({ account_id: 'not-connected' }) });

    await expect(attempt).rejects.toBeInstanceOf(AccountNotConnected);
    await expect(attempt).rejects.toMatchObject({ details: [{ path: 'account_id' }] });
    expect(deps.jobs.rows.size).toBe(0);
  });

  it("does not see another tenant's account", async () => {
    const attempt = submitPin(deps, { tenantId: OTHER_TENANT, idempotencyKey: 'k', request: pinRequest() });
    await expect(attempt).rejects.toBeInstanceOf(AccountNotConnected);
  });

  it.each([
    ['1 ms in the future', 1, 'scheduled'],
    ['365 days ahead', MAX_SCHEDULE_AHEAD_DAYS * DAY, 'scheduled'],
    ['in the past', -DAY, 'queued'],
  ] as const)('publish_at %s ⇒ %s', async (_what, offset, status) => {
    const publishAt = new Date(Date.parse(T0) + offset).toISOString();

    const { job } = await submitPin(deps, { tenantId: TENANT, idempotencyKey: 'k', request: pinRequest({ publish_at: publishAt }) });

    expect(job.status).toBe(status);
    expect(job.next_attempt_at).toBe(status === 'scheduled' ? publishAt : null);
  });

  it('refuses publish_at more than 365 days ahead before touching any store', async () => {
    const publishAt = new Date(Date.parse(T0) + MAX_SCHEDULE_AHEAD_DAYS * DAY + 1).toISOString();

    const attempt = submitPin(deps, { tenantId: TENANT, idempotencyKey: 'k', request: pinRequest({ publish_at: publishAt }) });

    await expect(attempt).rejects.toBeInstanceOf(PublishAtTooFarAhead);
    await expect(attempt).rejects.toMatchObject({ details: [{ path: 'publish_at' }] });
    expect(deps.jobs.rows.size).toBe(0);
    expect(deps.log).toEqual([]);
  });
});
