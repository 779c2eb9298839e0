import { describe, expect, it } from 'vitest';
import { InvalidCursor } from '../../lambdas/domain/errors.ts';
import { transition, type JobRecord } from '../../lambdas/domain/job.ts';
import type { JobStatistics, JobStore } from '../../lambdas/use-cases/ports.ts';
import { jobRecord, OTHER_TENANT, pinRequest, TENANT } from '../unit/builders.ts';
import { allPages, at, createAll, idsOf, iso, job, readable, type ContractJobStore } from './job-store-fixtures.ts';
import { describeOutboxAndDueTimes } from './job-store-outbox.ts';

/**
 * What every JobStore must do, as the use cases rely on it: run against the in-memory fake (the unit tier)
 * and against the DynamoDB adapter on DynamoDB Local (the integration tier), so the fake the unit tests
 * trust cannot drift from the table. Also the operators' queries the adapter answers beside the port
 * (JobStatistics, OverdueJobs). `makeStore` gives each test a store of its own, empty: listPendingOutbox
 * and listDue read across tenants.
 */
export type { ContractJobStore } from './job-store-fixtures.ts';

export function describeJobStoreContract(name: string, makeStore: () => Promise<ContractJobStore>): void {
  describe(`JobStore contract: ${name}`, () => {
    describe('create and get', () => {
      it('stores a new job and reads it back as written', async () => {
        const store = await makeStore();
        const record = job('k1', 0);

        expect(await store.create(record)).toEqual({ created: true });

        expect(await store.get(TENANT, record.job.id)).toEqual(record);
      });

      it('a second create of the same job writes nothing and answers the stored job', async () => {
        const store = await makeStore();
        const first = job('k1', 0);
        const second = jobRecord({ key: 'k1', now: iso(5), request: pinRequest({ title: 'Another body' }) });
        expect(second.job.id).toBe(first.job.id);
        await createAll(store, [first]);

        expect(await store.create(second)).toEqual({ created: false, existing: first });

        expect(await store.get(TENANT, first.job.id)).toEqual(first);
      });

      it('keys jobs by tenant: the same job id in another tenant is another job, and neither tenant reads the other', async () => {
        const store = await makeStore();
        const mine = job('k1', 0);
        const theirs: JobRecord = { ...job('k1', 3), tenantId: OTHER_TENANT };
        await createAll(store, [mine, theirs]);

        expect(await store.get(TENANT, mine.job.id)).toEqual(mine);
        expect(await store.get(OTHER_TENANT, mine.job.id)).toEqual(theirs);
        expect(await store.get(OTHER_TENANT, job('only-mine', 0).job.id)).toBeNull();
        expect(await store.get(TENANT, 'job_unknown')).toBeNull();
      });

      it('a lease is kept only while the job runs', async () => {
        const store = await makeStore();
        const queued = job('k1', 0);
        const withLeftovers: JobRecord = { ...queued, leaseUntil: iso(60), crashCount: 0, runAfterAttempt: 0, sentPins: [] };

        await createAll(store, [withLeftovers]);

        const read = await store.get(TENANT, queued.job.id);
        expect(read!.leaseUntil ?? null).toBeNull();
        expect(readable(read)).toEqual(queued);
      });

      it('what get answers is a copy: changing it changes nothing stored', async () => {
        const store = await makeStore();
        const record = job('k1', 0);
        await createAll(store, [record]);

        const read = (await store.get(TENANT, record.job.id))!;
        read.job.status_history.push({ status: 'running', at: iso(1) });
        (read.job.metadata as Record<string, unknown>).changed = true;

        expect(await store.get(TENANT, record.job.id)).toEqual(record);
      });
    });

    describe('replace', () => {
      it('writes the next version over the expected one, optional parts included', async () => {
        const store = await makeStore();
        const queued = job('k1', 0);
        await createAll(store, [queued]);
        const running: JobRecord = {
          ...transition(queued, 'running', at(1), { attempt_count: 1 }),
          leaseUntil: iso(61),
          crashCount: 1,
          runAfterAttempt: 1,
          sentPins: [{ board_id: queued.job.pin.board_id, link: queued.job.pin.link, title: queued.job.pin.title }],
        };

        expect(await store.replace(running, 1)).toBe(true);
        expect(await store.get(TENANT, queued.job.id)).toEqual(running);

        // The next version without them: they are gone, not left over from the last write.
        const retrying = transition({ ...running, leaseUntil: null, crashCount: 0, sentPins: [] }, 'retry_scheduled', at(2), {
          next_attempt_at: iso(30),
        });
        expect(await store.replace(retrying, 2)).toBe(true);
        const { leaseUntil: _lease, crashCount: _crashes, sentPins: _sent, ...expected } = retrying;
        expect(readable(await store.get(TENANT, queued.job.id))).toEqual(expected);
      });

      it('refuses a stale expected version and leaves the job as it was', async () => {
        const store = await makeStore();
        const queued = job('k1', 0);
        await createAll(store, [queued]);
        const running = transition(queued, 'running', at(1));
        expect(await store.replace(running, 1)).toBe(true);

        expect(await store.replace(transition(queued, 'cancelled', at(2)), 1)).toBe(false);

        expect(await store.get(TENANT, queued.job.id)).toEqual(running);
      });

      it('refuses a job that was never created', async () => {
        const store = await makeStore();
        const queued = job('k1', 0);

        expect(await store.replace(transition(queued, 'running', at(1)), 1)).toBe(false);

        expect(await store.get(TENANT, queued.job.id)).toBeNull();
      });

      it('with dueBefore: only while the stored due time is still before it', async () => {
        const store = await makeStore();
        const queued = job('k1', 0); // a queued job is due at its last change: T0
        await createAll(store, [queued]);
        const running = transition(queued, 'running', at(1)); // due when its claim would come back: long after T0 + 2 s

        expect(await store.replace(running, 1, { dueBefore: at(0) })).toBe(false);
        expect(await store.replace(running, 1, { dueBefore: at(1) })).toBe(true);

        expect(await store.replace(transition(running, 'retry_scheduled', at(2)), 2, { dueBefore: at(2) })).toBe(false);
        expect(await store.get(TENANT, queued.job.id)).toEqual(running);
      });
    });

    describeOutboxAndDueTimes(makeStore);

    describe('list', () => {
      it("lists the tenant's own jobs, newest first", async () => {
        const store = await makeStore();
        const mine = [job('k1', 1), job('k3', 3), job('k2', 2)];
        await createAll(store, [...mine, job('k4', 4, { tenantId: OTHER_TENANT })]);

        const page = await store.list(TENANT, {}, { limit: 10 });

        expect(page).toEqual({ items: [mine[1], mine[2], mine[0]], nextCursor: null });
        expect(await store.list('ten_without_jobs', {}, { limit: 10 })).toEqual({ items: [], nextCursor: null });
      });

      it('filters by status, by account, and by both', async () => {
        const store = await makeStore();
        const records = [
          job('a-queued', 1, { account: 'a' }),
          job('a-failed', 2, { account: 'a', status: 'failed' }),
          job('b-queued', 3, { account: 'b' }),
          job('b-failed', 4, { account: 'b', status: 'failed' }),
        ];
        await createAll(store, records);
        const ids = async (filter: Parameters<JobStore['list']>[1]) => idsOf((await store.list(TENANT, filter, { limit: 10 })).items);
        const [aQueued, aFailed, bQueued, bFailed] = records;

        expect(await ids({ status: 'failed' })).toEqual(idsOf([bFailed!, aFailed!]));
        expect(await ids({ accountId: 'a' })).toEqual(idsOf([aFailed!, aQueued!]));
        expect(await ids({ status: 'queued', accountId: 'b' })).toEqual(idsOf([bQueued!]));
        expect(await ids({ status: 'running' })).toEqual([]);
      });

      it('pages with a cursor: at most `limit` a page, newest first, every job once', async () => {
        const store = await makeStore();
        const records = [0, 1, 2, 3, 4].map((i) => job(`k${i}`, i));
        await createAll(store, records);

        const pages = await allPages(store, TENANT, {}, 2);

        expect(pages.map((p) => p.ids.length)).toEqual([2, 2, 1]);
        expect(pages.flatMap((p) => p.ids)).toEqual(idsOf([...records].reverse()));
        expect(pages.at(-1)!.nextCursor).toBeNull();
      });

      it('a page that ends on the last job still has a cursor; the page after it is empty, with none', async () => {
        const store = await makeStore();
        const records = [0, 1, 2, 3].map((i) => job(`k${i}`, i, { account: 'a' }));
        await createAll(store, [...records, job('b', 9, { account: 'b' })]);

        const pages = await allPages(store, TENANT, { accountId: 'a' }, 2);

        expect(pages.map((p) => p.ids.length)).toEqual([2, 2, 0]);
        expect(pages.flatMap((p) => p.ids)).toEqual(idsOf([...records].reverse()));
        expect(pages.map((p) => p.nextCursor === null)).toEqual([false, false, true]);
      });

      it('refuses a cursor from another tenant, from another filter, or that is no cursor at all', async () => {
        const store = await makeStore();
        await createAll(
          store,
          [0, 1, 2].flatMap((i) => [job(`k${i}`, i), job(`k${i}`, i, { tenantId: OTHER_TENANT })]),
        );
        const { nextCursor } = await store.list(TENANT, {}, { limit: 1 });
        expect(nextCursor).not.toBeNull();
        const cursor = nextCursor!;

        await expect(store.list(OTHER_TENANT, {}, { limit: 1, cursor })).rejects.toThrow(InvalidCursor);
        await expect(store.list(TENANT, { status: 'queued' }, { limit: 1, cursor })).rejects.toThrow(InvalidCursor);
        await expect(store.list(TENANT, { accountId: 'acme-main' }, { limit: 1, cursor })).rejects.toThrow(InvalidCursor);
        await expect(store.list(TENANT, {}, { limit: 1, cursor: 'not-a-cursor' })).rejects.toThrow(InvalidCursor);
        await expect(store.list(TENANT, {}, { limit: 1, cursor: Buffer.from('{"pk":1}').toString('base64url') })).rejects.toThrow(
          InvalidCursor,
        );
        expect((await store.list(TENANT, {}, { limit: 1, cursor })).items).toHaveLength(1);
      });
    });

    describe('count (JobStatistics)', () => {
      it("counts the tenant's jobs in a status, optionally of one account, created or changed since a time", async () => {
        const store = await makeStore();
        await createAll(store, [
          job('a1', 0, { account: 'a' }),
          job('a2', 10, { account: 'a' }),
          job('b1', 20, { account: 'b' }),
          job('a-done', 0, { account: 'a', status: 'succeeded' }), // changed at T0 + 2 s
          job('theirs', 0, { tenantId: OTHER_TENANT }),
        ]);
        const count = (query: Parameters<JobStatistics['count']>[1]) => store.count(TENANT, query);

        expect(await count({ status: 'queued' })).toEqual({ count: 3, complete: true });
        expect(await count({ status: 'queued', accountId: 'a' })).toEqual({ count: 2, complete: true });
        expect(await count({ status: 'queued', createdSince: at(10) })).toEqual({ count: 2, complete: true });
        expect(await count({ status: 'succeeded', changedSince: at(2) })).toEqual({ count: 1, complete: true });
        expect(await count({ status: 'succeeded', changedSince: at(3) })).toEqual({ count: 0, complete: true });
        expect(await count({ status: 'failed' })).toEqual({ count: 0, complete: true });
        expect(await store.count(TENANT, { status: 'queued' }, { maxPages: 1 })).toEqual({ count: 3, complete: true });
        expect(await store.count(OTHER_TENANT, { status: 'queued' })).toEqual({ count: 1, complete: true });
      });
    });
  });
}
