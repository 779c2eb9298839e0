import { describe, expect, it } from 'vitest';
import { transition, type JobRecord } from '../../lambdas/domain/job.ts';
import type { OutboxEntry } from '../../lambdas/domain/outbox.ts';
import { OTHER_TENANT, TENANT } from '../unit/builders.ts';
import { at, createAll, encoded, FAR_FUTURE, idsOf, incident, iso, job, owed, type ContractJobStore } from './job-store-fixtures.ts';

/**
 * The JobStore contract's part for the outbox (what each version owes until confirmed: the relay and the
 * sweeper) and for due times (when a job should have moved: the reconciler). Run by describeJobStoreContract.
 */
export function describeOutboxAndDueTimes(makeStore: () => Promise<ContractJobStore>): void {
  describe('the outbox', () => {
    it('a created job owes its message and its event, pending since its last change', async () => {
      const store = await makeStore();
      const queued = job('k1', 0);
      await createAll(store, [queued]);

      const pending = await store.listPendingOutbox(FAR_FUTURE, 10);

      expect(pending.map((p) => p.record)).toEqual([queued]);
      expect(owed(pending[0])).toEqual(
        encoded({ kind: 'message', version: 1 }, { kind: 'event', version: 1, status: 'queued', at: iso(0) }),
      );
      expect(await store.listPendingOutbox(at(0), 10)).toEqual([]); // pending since T0: not before T0
      expect(await store.listPendingOutbox(new Date(at(0).getTime() + 1), 10)).toHaveLength(1);
    });

    it('a replace adds what the new version owes to what older versions still owe, and keeps the first pending time', async () => {
      const store = await makeStore();
      const queued = job('k1', 0);
      await createAll(store, [queued]);
      const running = transition(queued, 'running', at(5));

      expect(await store.replace(running, 1)).toBe(true);

      const [pending, ...more] = await store.listPendingOutbox(at(1), 10);
      expect(more).toEqual([]);
      expect(pending!.record).toEqual(running); // the job as it is now
      expect(owed(pending)).toEqual(
        encoded(
          { kind: 'message', version: 1 },
          { kind: 'event', version: 1, status: 'queued', at: iso(0) },
          { kind: 'event', version: 2, status: 'running', at: iso(5) },
        ),
      );
    });

    it('confirming part of what is owed leaves the rest; confirming all of it takes the job off the pending list', async () => {
      const store = await makeStore();
      const queued = job('k1', 0);
      await createAll(store, [queued]);
      const message: OutboxEntry = { kind: 'message', version: 1 };
      const event: OutboxEntry = { kind: 'event', version: 1, status: 'queued', at: iso(0) };

      await store.confirmOutbox(TENANT, queued.job.id, [message]);
      const [pending] = await store.listPendingOutbox(at(1), 10);
      expect(owed(pending)).toEqual(encoded(event));

      await store.confirmOutbox(TENANT, queued.job.id, [event]);
      expect(await store.listPendingOutbox(FAR_FUTURE, 10)).toEqual([]);
      expect(await store.get(TENANT, queued.job.id)).toEqual(queued); // confirming changes nothing else
    });

    it('confirming everything at once, again, something never owed, or for a missing job is harmless', async () => {
      const store = await makeStore();
      const queued = job('k1', 0);
      const other = job('k2', 1);
      await createAll(store, [queued, other]);
      const all: OutboxEntry[] = [
        { kind: 'message', version: 1 },
        { kind: 'event', version: 1, status: 'queued', at: iso(0) },
      ];

      await store.confirmOutbox(TENANT, queued.job.id, all);
      await store.confirmOutbox(TENANT, queued.job.id, all);
      await store.confirmOutbox(TENANT, other.job.id, [{ kind: 'message', version: 7 }]);
      await store.confirmOutbox(TENANT, 'job_missing', all);

      const pending = await store.listPendingOutbox(FAR_FUTURE, 10);
      expect(idsOf(pending.map((p) => p.record))).toEqual([other.job.id]);
      expect(owed(pending[0])).toEqual(
        encoded({ kind: 'message', version: 1 }, { kind: 'event', version: 1, status: 'queued', at: iso(1) }),
      );
      expect(await store.get(TENANT, 'job_missing')).toBeNull();
    });

    it('lists the jobs pending since before `olderThan`, oldest first, at most `limit`, whatever their tenant', async () => {
      const store = await makeStore();
      const records = [job('k3', 3), job('k1', 1), job('k2', 2, { tenantId: OTHER_TENANT }), job('k4', 4)];
      await createAll(store, records);
      const [third, first, second] = records;

      expect(idsOf((await store.listPendingOutbox(at(3), 10)).map((p) => p.record))).toEqual(idsOf([first!, second!]));
      expect(idsOf((await store.listPendingOutbox(FAR_FUTURE, 3)).map((p) => p.record))).toEqual(idsOf([first!, second!, third!]));
    });
  });

  describe('due times', () => {
    it('lists the non-terminal jobs due before `before`, earliest first, at most `limit`, whatever their tenant', async () => {
      const store = await makeStore();
      const records = [
        job('k2', 2),
        job('k1', 1, { tenantId: OTHER_TENANT }),
        job('k3', 3),
        job('done', 0, { status: 'succeeded' }),
        job('gone', 0, { status: 'cancelled' }),
      ];
      await createAll(store, records);
      const [second, first, third] = records;

      expect(idsOf(await store.listDue(FAR_FUTURE, 10))).toEqual(idsOf([first!, second!, third!]));
      expect(idsOf(await store.listDue(FAR_FUTURE, 2))).toEqual(idsOf([first!, second!]));
      expect(idsOf(await store.listDue(at(2), 10))).toEqual(idsOf([first!])); // due at T0 + 2 s: not before it
      expect(await store.listOverdue(at(3), 10)).toEqual([
        { record: first, dueAt: iso(1) },
        { record: second, dueAt: iso(2) },
      ]);
    });

    it('a job leaves the due list when it ends, and a running one is due when its lease and redelivery are over', async () => {
      const store = await makeStore();
      const queued = job('k1', 0);
      await createAll(store, [queued]);
      const running: JobRecord = { ...transition(queued, 'running', at(1)), leaseUntil: iso(61) };
      expect(await store.replace(running, 1)).toBe(true);

      const [overdue] = await store.listOverdue(FAR_FUTURE, 10);
      expect(Date.parse(overdue!.dueAt)).toBeGreaterThan(at(61).getTime()); // lease end + the queue's visibility timeout

      expect(await store.replace(transition(running, 'succeeded', at(2)), 2)).toBe(true);
      expect(await store.listDue(FAR_FUTURE, 10)).toEqual([]);
      expect(await store.listOverdue(FAR_FUTURE, 10)).toEqual([]);
    });

    it('extendDue moves the due time of the job at that version, and writes no new version', async () => {
      const store = await makeStore();
      const queued = job('k1', 0);
      await createAll(store, [queued]);

      expect(await store.extendDue(TENANT, queued.job.id, 1, at(90))).toBe(true);

      expect(await store.listOverdue(FAR_FUTURE, 10)).toEqual([{ record: queued, dueAt: iso(90) }]);
      expect(await store.listDue(at(90), 10)).toEqual([]);
      expect(await store.get(TENANT, queued.job.id)).toEqual(queued);
    });

    it('extendDue and addIncident refuse another version, an ended job and a missing one', async () => {
      const store = await makeStore();
      const queued = job('k1', 0);
      const ended = job('k2', 0, { status: 'failed' });
      await createAll(store, [queued, ended]);

      expect(await store.extendDue(TENANT, queued.job.id, 2, at(90))).toBe(false);
      expect(await store.extendDue(TENANT, ended.job.id, ended.version, at(90))).toBe(false);
      expect(await store.extendDue(OTHER_TENANT, queued.job.id, 1, at(90))).toBe(false);
      expect(await store.addIncident(TENANT, queued.job.id, 2, incident('redispatched', 5))).toBe(false);
      expect(await store.addIncident(TENANT, ended.job.id, ended.version, incident('redispatched', 5))).toBe(false);
      expect(await store.addIncident(TENANT, 'job_missing', 1, incident('redispatched', 5))).toBe(false);

      expect(await store.get(TENANT, queued.job.id)).toEqual(queued);
      expect(await store.get(TENANT, ended.job.id)).toEqual(ended);
      expect(await store.listOverdue(FAR_FUTURE, 10)).toEqual([{ record: queued, dueAt: iso(0) }]);
    });

    it('addIncident appends to the job at that version without a new version; with dueAt it also sets the due time', async () => {
      const store = await makeStore();
      const queued = job('k1', 0);
      await createAll(store, [queued]);
      const first = incident('message_dead_lettered', 5);
      const second = incident('redispatched', 6);

      expect(await store.addIncident(TENANT, queued.job.id, 1, first)).toBe(true);
      expect(await store.listOverdue(FAR_FUTURE, 10)).toEqual([
        { record: { ...queued, job: { ...queued.job, incidents: [first] } }, dueAt: iso(0) },
      ]);
      expect(await store.addIncident(TENANT, queued.job.id, 1, second, new Date(0))).toBe(true);

      const withBoth = { ...queued, job: { ...queued.job, incidents: [first, second] } };
      expect(await store.get(TENANT, queued.job.id)).toEqual(withBoth);
      expect(await store.listOverdue(FAR_FUTURE, 10)).toEqual([{ record: withBoth, dueAt: new Date(0).toISOString() }]);
    });
  });
}
