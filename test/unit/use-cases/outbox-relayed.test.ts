import { beforeEach, describe, expect, it } from 'vitest';
import { RelayedChanges, relayJobChange } from '../../../lambdas/use-cases/outbox.ts';
import { jobRecord } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

/**
 * The relay's memory of the stream records it relayed in full (found by the chaos run: a retried stream
 * batch brought back every later record of the batch, and the relay published their events again — 3.6
 * copies of each event on the bus, each one more webhook delivery). A record relayed in full is not
 * relayed again; one that failed part-way, or that this container never saw, is.
 */
const NOW = '2026-03-01T12:10:00.000Z';
let deps: ReturnType<typeof fakeDeps>;
let relayed: RelayedChanges;

beforeEach(() => {
  deps = fakeDeps(NOW);
  relayed = new RelayedChanges();
});

describe('relayJobChange with RelayedChanges', () => {
  it('a record relayed in full comes back with a retried batch: nothing sent, published or confirmed again', async () => {
    const v1 = jobRecord();
    deps.jobs.seed(v1);
    await relayJobChange({ ...deps, relayed }, { before: null, after: v1, id: 'JOB#1#seq-17' });
    const calls = deps.log.length;

    const again = await relayJobChange({ ...deps, relayed }, { before: null, after: v1, id: 'JOB#1#seq-17' });

    expect(again).toEqual({ dispatched: false, event: null, repeated: true });
    expect(deps.log).toHaveLength(calls);
    expect(deps.events.published).toHaveLength(1);
  });

  it('a record whose event was refused is not remembered: the retry publishes it', async () => {
    const v1 = jobRecord();
    deps.jobs.seed(v1);
    deps.events.refuse = () => 'InternalFailure';
    await expect(relayJobChange({ ...deps, relayed }, { before: null, after: v1, id: 'JOB#1#seq-17' })).rejects.toThrow(
      'the event bus refused 1 event(s)',
    );
    deps.events.refuse = undefined;

    const retried = await relayJobChange({ ...deps, relayed }, { before: null, after: v1, id: 'JOB#1#seq-17' });

    expect(retried.repeated).toBeUndefined();
    expect(deps.events.published.map((e) => e.detailType)).toEqual(['job.queued']);
  });

  it('another record, or no memory (another container), is relayed as before', async () => {
    const v1 = jobRecord();
    deps.jobs.seed(v1);
    await relayJobChange({ ...deps, relayed }, { before: null, after: v1, id: 'JOB#1#seq-17' });
    await relayJobChange({ ...deps, relayed }, { before: null, after: v1, id: 'JOB#1#seq-18' });
    await relayJobChange(deps, { before: null, after: v1, id: 'JOB#1#seq-17' });

    expect(deps.events.published).toHaveLength(3); // the same event id each time: receivers dedupe on it
  });
});

describe('RelayedChanges', () => {
  it('forgets the oldest records beyond its capacity', () => {
    const memory = new RelayedChanges(2);
    for (const id of ['a', 'b', 'c']) memory.add(id);

    expect(['a', 'b', 'c'].map((id) => memory.has(id))).toEqual([false, true, true]);
  });
});
