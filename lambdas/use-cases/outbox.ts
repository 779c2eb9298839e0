import { jobEventFor, jobEventOf, type JobEventDetail } from '../domain/events.ts';
import { OWES_MESSAGE, type JobRecord } from '../domain/job.ts';
import type { OutboxEntry } from '../domain/outbox.ts';
import type { Deps, EventPublisher, OutgoingEvent, PendingOutbox, PublishResult } from './ports.ts';

/**
 * The outbox (docs/adr/0001-outbox-for-enqueue.md): every version of a job written to the jobs table owes
 * the queue message its status calls for and, when it changed the status, one event on the pinrelay bus.
 * The stream relay does both for each change and confirms them on the job; the sweeper does whatever is
 * still unconfirmed after a grace period. Both are safe to repeat: a message re-sent within 5 minutes is
 * dropped by FIFO deduplication and the worker ignores messages for versions or statuses that are no
 * longer current; an event published again has the same id, and receivers dedupe on it.
 */

export type OutboxDeps = Pick<Deps, 'jobs' | 'queue' | 'clock'> & {
  readonly events: EventPublisher;
  /** The relay's memory of the stream records it has relayed in full (absent: every record is relayed). */
  readonly relayed?: RelayedChanges;
};

/**
 * Stream records one relay container has relayed in full: message sent, event published, both confirmed.
 * The stream retries a batch from its first failed record, so every later record of that batch — other
 * jobs' changes, long relayed — comes back, and relaying them again only makes copies: the FIFO queue
 * drops the message, but each event would reach the bus, and every webhook, once more (the chaos run
 * measured 3.6 copies per event under sparse PutEvents failures). Memory only, bounded, per container:
 * a record it does not remember is relayed again, which is always safe.
 */
export class RelayedChanges {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.add(id);
    // A Set iterates in insertion order: the first id is the oldest.
    for (const oldest of this.ids) {
      if (this.ids.size <= this.capacity) break;
      this.ids.delete(oldest);
    }
  }
}

/** Some events were not accepted by the bus; they stay owed (the stream retries the change, the sweeper the job). */
export class EventsNotPublishedError extends Error {
  constructor(readonly failures: readonly { readonly eventId: string; readonly errorCode: string; readonly errorMessage: string }[]) {
    super(
      `the event bus refused ${failures.length} event(s): ${failures.map((f) => `${f.eventId} ${f.errorCode}: ${f.errorMessage}`).join('; ')}`,
    );
    this.name = 'EventsNotPublishedError';
  }
}

export function outgoingEvent(detail: JobEventDetail): OutgoingEvent {
  return { detailType: detail.type, detail };
}

/** The queue message a waiting status owes: queued → its FIFO group, scheduled/retry_scheduled → the delay queue. */
async function sendMessage(deps: Pick<OutboxDeps, 'queue' | 'clock'>, record: JobRecord): Promise<void> {
  if (record.job.status === 'queued') await deps.queue.enqueue(record);
  else await deps.queue.hold(record, deps.clock.now());
}

export interface RelayOutcome {
  /** A queue message was sent for the change. */
  readonly dispatched: boolean;
  /** The event published for it, if the change was a status change. */
  readonly event: JobEventDetail | null;
  /** The record came back with a retried batch after this container had relayed it in full: nothing was done. */
  readonly repeated?: boolean;
}

/** One stream record's before/after pair. */
export interface JobChange {
  readonly before: JobRecord | null;
  readonly after: JobRecord | null;
  /** The stream record's identity (the same when a retried batch brings it back). */
  readonly id?: string;
}

/** What a batch of changes came to: an outcome per change relayed, the changes that failed (to retry), why. */
export interface BatchOutcome<T> {
  readonly relayed: readonly { readonly item: T; readonly change: JobChange; readonly outcome: RelayOutcome }[];
  readonly failed: readonly T[];
  readonly errors: readonly unknown[];
}

/** One job's changes in a batch, in stream order, and what has been done for them. */
interface JobBatch<T> {
  readonly changes: { readonly item: T; readonly change: JobChange; outcome: RelayOutcome | null }[];
  readonly done: OutboxEntry[];
  /** The index of the first change that failed: it and every later change of the job are retried. */
  failAt: number;
}

/**
 * One stream record's change; see relayJobChanges. Throws when the change could not be relayed in full.
 */
export async function relayJobChange(deps: OutboxDeps, change: JobChange): Promise<RelayOutcome> {
  const result = await relayJobChanges(
    deps,
    [change],
    () => 'job',
    (c) => c,
  );
  if (result.failed.length > 0) throw result.errors[0];
  return result.relayed[0]?.outcome ?? { dispatched: false, event: null };
}

/**
 * A stream batch of job changes. A change of version owes what the new version owes: its queue message
 * (the job's progress never waits for the event bus), then its event; a rewrite of the same version (a
 * confirmation, an incident, a due time) and a removal owe nothing. Per batch, with as few requests as
 * that allows:
 *   1. messages, each job's in stream order (jobs side by side). A message for a version that a later
 *      change in the batch superseded is not sent, only confirmed: the worker would drop it.
 *   2. events in rounds: a round publishes the next event of every job whose earlier events were all
 *      accepted, together (the publisher sends ≤ 10 per request). A job's event never shares a request
 *      with its next one, so no event reaches the bus before the events of the job's earlier changes.
 *   3. one confirmation per job of everything done for it in the batch.
 * A job's first failure (a message not sent, an event refused) fails that change and every later change
 * of the job in the batch (the stream retries from the first failure); what was done before is confirmed
 * all the same (a retry repeats it harmlessly, but the sweeper need not). Other jobs are not held back.
 */
export async function relayJobChanges<T>(
  deps: OutboxDeps,
  items: readonly T[],
  keyOf: (item: T) => string,
  changeOf: (item: T) => JobChange,
): Promise<BatchOutcome<T>> {
  const jobs = new Map<string, JobBatch<T>>();
  for (const item of items) {
    const key = keyOf(item);
    const job = jobs.get(key) ?? { changes: [], done: [], failAt: Number.POSITIVE_INFINITY };
    job.changes.push({ item, change: changeOf(item), outcome: null });
    jobs.set(key, job);
  }
  const errors: unknown[] = [];
  const fail = (job: JobBatch<T>, at: number, error: unknown) => {
    job.failAt = Math.min(job.failAt, at);
    errors.push(error);
  };
  /** The new version a change owes for: none for a rewrite, a removal, or a change this container relayed in full. */
  const owing = ({ before, after, id }: JobChange): JobRecord | null =>
    after && (!before || before.version !== after.version) && !(id !== undefined && deps.relayed?.has(id)) ? after : null;

  await Promise.all(
    [...jobs.values()].map(async (job) => {
      for (const [i, entry] of job.changes.entries()) {
        const { before, after, id } = entry.change;
        if (!after || (before && before.version === after.version)) entry.outcome = { dispatched: false, event: null };
        else if (id !== undefined && deps.relayed?.has(id)) entry.outcome = { dispatched: false, event: null, repeated: true };
        const record = owing(entry.change);
        if (!record || !OWES_MESSAGE.has(record.job.status)) continue;
        const superseded = job.changes.slice(i + 1).some((later) => (later.change.after?.version ?? 0) > record.version);
        try {
          if (!superseded) await sendMessage(deps, record);
          job.done.push({ kind: 'message', version: record.version });
          entry.outcome = { dispatched: !superseded, event: null };
        } catch (error) {
          fail(job, i, error);
          return;
        }
      }
    }),
  );

  // Each job's events still to publish, in order, up to its first failure.
  const owed = [...jobs.values()].map((job) => ({
    job,
    events: job.changes.flatMap((entry, i) => {
      const record = owing(entry.change);
      const event = record && i < job.failAt ? jobEventFor(entry.change.before, record) : null;
      return event && record ? [{ i, entry, event, record }] : [];
    }),
  }));
  for (let round = 0; ; round++) {
    const batch = owed.flatMap(({ job, events }) => {
      const next = events[round];
      return next && next.i < job.failAt ? [{ job, ...next }] : [];
    });
    if (batch.length === 0) break;
    const results = await publishAll(
      deps.events,
      batch.map((b) => b.event),
    );
    batch.forEach(({ job, i, entry, event, record }, k) => {
      const result = results[k];
      if (result?.ok) {
        job.done.push({ kind: 'event', version: record.version, status: record.job.status, at: event.created_at });
        entry.outcome = { dispatched: entry.outcome?.dispatched ?? false, event };
      } else fail(job, i, new EventsNotPublishedError([failureOf(event, result)]));
    });
  }

  await Promise.all(
    [...jobs.values()].map(async (job) => {
      const record = job.changes.findLast((c) => c.change.after)?.change.after;
      if (!record || job.done.length === 0) return;
      try {
        await deps.jobs.confirmOutbox(record.tenantId, record.job.id, job.done);
      } catch (error) {
        // Not confirmed: the job's changes are relayed again (when they had not failed already).
        if (Number.isFinite(job.failAt)) return;
        fail(
          job,
          job.changes.findIndex((c) => owing(c.change)),
          error,
        );
      }
    }),
  );

  const relayed: { item: T; change: JobChange; outcome: RelayOutcome }[] = [];
  const failed = new Set<T>();
  for (const job of jobs.values()) {
    for (const [i, entry] of job.changes.entries()) {
      if (i >= job.failAt) {
        failed.add(entry.item);
        continue;
      }
      const outcome = entry.outcome ?? { dispatched: false, event: null };
      if (entry.change.id !== undefined && owing(entry.change)) deps.relayed?.add(entry.change.id);
      relayed.push({ item: entry.item, change: entry.change, outcome });
    }
  }
  const position = new Map(items.map((item, i) => [item, i]));
  relayed.sort((x, y) => (position.get(x.item) ?? 0) - (position.get(y.item) ?? 0));
  return { relayed, failed: items.filter((item) => failed.has(item)), errors };
}

/** The publisher's results; a publisher that throws fails every event it was given. */
async function publishAll(events: EventPublisher, details: readonly JobEventDetail[]): Promise<readonly (PublishResult | undefined)[]> {
  try {
    return await events.publish(details.map(outgoingEvent));
  } catch (error) {
    return details.map(() => ({ ok: false, errorCode: (error as Error)?.name ?? 'Error', errorMessage: messageOf(error) }));
  }
}

function failureOf(event: JobEventDetail, result: PublishResult | undefined) {
  return result && !result.ok
    ? { eventId: event.id, errorCode: result.errorCode, errorMessage: result.errorMessage }
    : { eventId: event.id, errorCode: 'NoResult', errorMessage: 'the publisher gave no result for this event' };
}

/**
 * Runs `run` over a batch of stream records so that each job's changes are handled in stream order and
 * different jobs side by side. After a job's change fails, its later changes in the batch are not run
 * and are reported failed too: the stream retries from the first failure, and an event must not reach
 * the bus before the events of the job's earlier changes.
 */
export async function inJobOrder<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  run: (item: T) => Promise<void>,
): Promise<{ failed: T[]; errors: unknown[] }> {
  const byJob = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    byJob.set(key, [...(byJob.get(key) ?? []), item]);
  }
  const failed = new Set<T>();
  const errors: unknown[] = [];
  await Promise.all(
    [...byJob.values()].map(async (changes) => {
      for (const [i, item] of changes.entries()) {
        try {
          await run(item);
        } catch (error) {
          errors.push(error);
          for (const rest of changes.slice(i)) failed.add(rest);
          return;
        }
      }
    }),
  );
  return { failed: items.filter((item) => failed.has(item)), errors };
}

export interface SweepOutcome {
  /** Queue messages sent. */
  readonly dispatched: number;
  /** Events published. */
  readonly published: number;
  /** What is still owed after this run (retried by the next). */
  readonly failures: readonly { readonly jobId: string; readonly error: string }[];
}

/**
 * Safety net behind the stream: jobs with outbox entries still unconfirmed `graceSeconds` after they were
 * first owed get them now (the relay gave up on a change, or is down). Per job: the message of the
 * current version, if its status owes one (entries for older versions are superseded and only confirmed);
 * then every owed event, oldest change first, carrying the job as it is now. One job's failure does not
 * hold back the others; what failed stays owed for the next run.
 */
export async function sweepPendingOutbox(deps: OutboxDeps, options: { graceSeconds: number; limit: number }): Promise<SweepOutcome> {
  const olderThan = new Date(deps.clock.now().getTime() - options.graceSeconds * 1000);
  const pending = await deps.jobs.listPendingOutbox(olderThan, options.limit);
  // Each job with the entries done for it so far: those are confirmed at the end.
  const jobs = pending.map((p) => ({ p, done: [] as OutboxEntry[] }));
  const failures: { jobId: string; error: string }[] = [];
  let dispatched = 0;

  for (const { p, done } of jobs) {
    for (const entry of entriesOf(p).filter((e) => e.kind === 'message')) {
      if (entry.version !== p.record.version || !OWES_MESSAGE.has(p.record.job.status)) {
        done.push(entry); // superseded by a newer version, which owes its own message
        continue;
      }
      try {
        await sendMessage(deps, p.record);
        done.push(entry);
        dispatched++;
      } catch (error) {
        failures.push({ jobId: p.record.job.id, error: messageOf(error) });
      }
    }
  }

  const owed = jobs.flatMap(({ p, done }) =>
    entriesOf(p)
      .filter((e): e is Extract<OutboxEntry, { kind: 'event' }> => e.kind === 'event')
      .sort((a, b) => a.version - b.version)
      .map((entry) => ({ p, done, entry, event: jobEventOf(p.record, entry) })),
  );
  let published = 0;
  if (owed.length > 0) {
    let results: readonly PublishResult[];
    try {
      results = await deps.events.publish(owed.map((o) => outgoingEvent(o.event)));
    } catch (error) {
      results = owed.map(() => ({ ok: false, errorCode: (error as Error)?.name ?? 'Error', errorMessage: messageOf(error) }));
    }
    owed.forEach((o, i) => {
      const result = results[i];
      if (result?.ok) {
        o.done.push(o.entry);
        published++;
      } else {
        const f = failureOf(o.event, result);
        failures.push({ jobId: o.p.record.job.id, error: `${o.event.type} ${f.eventId}: ${f.errorCode} ${f.errorMessage}` });
      }
    });
  }

  for (const { p, done: confirmed } of jobs) {
    // A job that owed nothing (marked before entries existed) is confirmed with none: it leaves the index.
    if (confirmed.length === 0 && entriesOf(p).length > 0) continue; // nothing done: all of it stays owed
    try {
      await deps.jobs.confirmOutbox(p.record.tenantId, p.record.job.id, confirmed);
    } catch (error) {
      failures.push({ jobId: p.record.job.id, error: messageOf(error) });
    }
  }
  return { dispatched, published, failures };
}

/**
 * What a pending job owes. A job marked by the code before outbox entries existed carries the marker
 * alone, which then meant "the current status owes its message".
 */
function entriesOf(p: PendingOutbox): readonly OutboxEntry[] {
  if (p.entries.length > 0) return p.entries;
  return OWES_MESSAGE.has(p.record.job.status) ? [{ kind: 'message', version: p.record.version }] : [];
}

const messageOf = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
