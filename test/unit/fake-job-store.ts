import { PUBLISH_QUEUE } from '../../definitions/queues.ts';
import { InvalidCursor } from '../../lambdas/domain/errors.ts';
import { isTerminal, type Incident, type JobRecord } from '../../lambdas/domain/job.ts';
import { decodeOutboxEntry, encodeOutboxEntry, outboxEntriesOf, type OutboxEntry } from '../../lambdas/domain/outbox.ts';
import { expectedMoveBy } from '../../lambdas/domain/reconciliation.ts';
import type { CreateOutcome, JobFilter, JobPage, JobStore, PendingOutbox } from '../../lambdas/use-cases/ports.ts';

/**
 * The JobStore fake: what the DynamoDB adapter does (lambdas/adapters/dynamo-job-store.ts), in memory, held
 * to it by the contract both run (test/contracts/job-store.ts). Records are copied in and out, as a real
 * store would, so a use case cannot change stored state by mutating what it read; every call is appended
 * to `log`, so tests can assert the order of side effects.
 */

const copy = <T>(value: T): T => structuredClone(value);
const rowKey = (tenantId: string, jobId: string) => `${tenantId}/${jobId}`;

/**
 * The record as the table gives it back where that differs in meaning: a lease only while the job runs
 * (toItem writes none otherwise), incidents always a list. The fake keeps a null lease or an empty list
 * of sent pins as given: they read the same as none (the contract compares them so).
 */
function asStored(record: JobRecord): JobRecord {
  const { leaseUntil, ...rest } = copy(record);
  return {
    ...rest,
    job: { ...rest.job, incidents: rest.job.incidents ?? [] },
    ...(leaseUntil === undefined ? {} : { leaseUntil: rest.job.status === 'running' ? leaseUntil : null }),
  };
}

/** The listing index a filter reads, named by its partition, as the adapter chooses it. */
function listingPartition(tenantId: string, filter: JobFilter): string {
  if (filter.status && filter.accountId) return `T#${tenantId}#A#${filter.accountId}#S#${filter.status}`;
  if (filter.status) return `T#${tenantId}#S#${filter.status}`;
  if (filter.accountId) return `T#${tenantId}#A#${filter.accountId}`;
  return `T#${tenantId}`;
}

/** A cursor names its listing and where the page stopped; like the adapter's, it only works for that listing. */
function encodeCursor(partition: string, sortKey: string): string {
  return Buffer.from(JSON.stringify({ partition, sortKey }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, partition: string): string {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const k = key as { partition?: unknown; sortKey?: unknown } | undefined;
  if (!k || typeof k !== 'object' || k.partition !== partition || typeof k.sortKey !== 'string') {
    throw new InvalidCursor();
  }
  return k.sortKey;
}

interface JobRow {
  record: JobRecord;
  /** Like the table's `outbox` string set: what each version owes (messages, events), until confirmed. */
  outbox: Set<string>;
  /**
   * Like the table's pending_enqueue_since: set by the first write that owes something, kept while anything
   * is owed (later writes add to `outbox` but keep it), cleared by confirmOutbox when nothing is left.
   */
  pendingSince: string | null;
  /** Like the table's due_at: derived on every write (expectedMoveBy), moved by extendDue/addIncident; null when terminal. */
  dueAt: string | null;
}

export class InMemoryJobStore implements JobStore {
  readonly rows = new Map<string, JobRow>();
  /** Runs once before the next `replace`: simulates a concurrent writer winning the race. */
  beforeNextReplace: (() => void) | undefined;
  /** The publish queue's visibility timeout, as the adapter's toItem uses it for running jobs' due time. */
  redeliveryMs = PUBLISH_QUEUE.visibilityTimeoutSeconds * 1000;

  constructor(private readonly log: string[] = []) {}

  /**
   * Puts a record as if written earlier (bypasses the conditional create), owing what its version owes
   * since `pendingSince` (default: its last change); `null`: the outbox already did everything.
   */
  seed(record: JobRecord, pendingSince: string | null = record.job.updated_at): void {
    const dueAt = expectedMoveBy(record, this.redeliveryMs)?.toISOString() ?? null;
    const outbox = new Set(pendingSince === null ? [] : outboxEntriesOf(record).map(encodeOutboxEntry));
    this.rows.set(rowKey(record.tenantId, record.job.id), {
      record: asStored(record),
      outbox,
      pendingSince: outbox.size > 0 ? pendingSince : null,
      dueAt,
    });
  }

  /** A job marked pending as the code before outbox entries marked it: the marker alone. */
  seedLegacyMarker(record: JobRecord, pendingSince: string = record.job.updated_at): void {
    this.seed(record, null);
    this.rows.get(rowKey(record.tenantId, record.job.id))!.pendingSince = pendingSince;
  }

  /** The stored due time (the table's due_at), or null. */
  dueAt(tenantId: string, jobId: string): string | null {
    return this.rows.get(rowKey(tenantId, jobId))?.dueAt ?? null;
  }

  stored(tenantId: string, jobId: string): JobRecord | undefined {
    return this.rows.get(rowKey(tenantId, jobId))?.record;
  }

  /** Whether the job's current version still owes its queue message. */
  isPending(tenantId: string, jobId: string): boolean {
    const row = this.rows.get(rowKey(tenantId, jobId));
    return row?.outbox.has(encodeOutboxEntry({ kind: 'message', version: row.record.version })) ?? false;
  }

  /** What the outbox still owes the job (encoded, sorted), and whether it is in the pending index at all. */
  outboxOf(tenantId: string, jobId: string): { entries: string[]; marked: boolean } {
    const row = this.rows.get(rowKey(tenantId, jobId));
    return { entries: [...(row?.outbox ?? [])].sort(), marked: (row?.pendingSince ?? null) !== null };
  }

  async create(record: JobRecord): Promise<CreateOutcome> {
    this.log.push(`jobs.create ${record.job.id}`);
    const existing = this.rows.get(rowKey(record.tenantId, record.job.id));
    if (existing) return { created: false, existing: copy(existing.record) };
    this.seed(record);
    return { created: true };
  }

  async get(tenantId: string, jobId: string): Promise<JobRecord | null> {
    this.log.push(`jobs.get ${jobId}`);
    const row = this.rows.get(rowKey(tenantId, jobId));
    return row ? copy(row.record) : null;
  }

  /** Like a Query with Limit: a full page has a cursor even when nothing follows it (the next page is then empty). */
  async list(tenantId: string, filter: JobFilter, page: { limit: number; cursor?: string }): Promise<JobPage> {
    this.log.push('jobs.list');
    const partition = listingPartition(tenantId, filter);
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, partition);
    const sortKey = (r: JobRecord) => `${r.job.created_at}#${r.job.id}`;
    const matching = [...this.rows.values()]
      .map((row) => row.record)
      .filter((r) => r.tenantId === tenantId)
      .filter((r) => !filter.status || r.job.status === filter.status)
      .filter((r) => !filter.accountId || r.job.account_id === filter.accountId)
      .filter((r) => after === undefined || sortKey(r) < after)
      .sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : -1));
    const items = matching.slice(0, page.limit).map(copy);
    const last = items.at(-1);
    return { items, nextCursor: items.length === page.limit && last ? encodeCursor(partition, sortKey(last)) : null };
  }

  async replace(next: JobRecord, expectedVersion: number, condition?: { readonly dueBefore: Date }): Promise<boolean> {
    const hook = this.beforeNextReplace;
    this.beforeNextReplace = undefined;
    hook?.();
    this.log.push(`jobs.replace ${next.job.id} v${expectedVersion}->v${next.version}${condition ? ' if due' : ''}`);
    const row = this.rows.get(rowKey(next.tenantId, next.job.id));
    if (!row || row.record.version !== expectedVersion) return false;
    if (condition && !(row.dueAt !== null && row.dueAt < condition.dueBefore.toISOString())) return false;
    // Like the adapter's UpdateItem: the new version's obligations are added to those still owed.
    const owed = row.outbox;
    const since = row.pendingSince;
    this.seed(next);
    const updated = this.rows.get(rowKey(next.tenantId, next.job.id))!;
    for (const entry of owed) updated.outbox.add(entry);
    updated.pendingSince = updated.outbox.size > 0 ? (since ?? updated.pendingSince ?? next.job.updated_at) : null;
    return true;
  }

  async confirmOutbox(tenantId: string, jobId: string, done: readonly OutboxEntry[]): Promise<void> {
    this.log.push(`jobs.confirmOutbox ${jobId} ${done.map(encodeOutboxEntry).join(', ')}`);
    const row = this.rows.get(rowKey(tenantId, jobId));
    if (!row) return;
    for (const entry of done) row.outbox.delete(encodeOutboxEntry(entry));
    if (row.outbox.size === 0) row.pendingSince = null;
  }

  async extendDue(tenantId: string, jobId: string, version: number, dueAt: Date): Promise<boolean> {
    this.log.push(`jobs.extendDue ${jobId} v${version} ${dueAt.toISOString()}`);
    const row = this.currentRow(tenantId, jobId, version);
    if (!row) return false;
    row.dueAt = dueAt.toISOString();
    return true;
  }

  async addIncident(tenantId: string, jobId: string, version: number, incident: Incident, dueAt?: Date): Promise<boolean> {
    this.log.push(`jobs.addIncident ${jobId} v${version} ${incident.kind}${dueAt ? ` due ${dueAt.toISOString()}` : ''}`);
    const row = this.currentRow(tenantId, jobId, version);
    if (!row) return false;
    row.record = { ...row.record, job: { ...row.record.job, incidents: [...row.record.job.incidents, copy(incident)] } };
    if (dueAt) row.dueAt = dueAt.toISOString();
    return true;
  }

  async listDue(before: Date, limit: number): Promise<readonly JobRecord[]> {
    this.log.push(`jobs.listDue ${before.toISOString()} ${limit}`);
    const cutoff = before.toISOString();
    return [...this.rows.values()]
      .filter((row): row is JobRow & { dueAt: string } => row.dueAt !== null && row.dueAt < cutoff)
      .sort((a, b) => (a.dueAt < b.dueAt ? -1 : 1))
      .slice(0, limit)
      .map((row) => copy(row.record));
  }

  /** The row at `version`, if the job is still non-terminal (the adapter's UpdateItem condition). */
  private currentRow(tenantId: string, jobId: string, version: number): JobRow | undefined {
    const row = this.rows.get(rowKey(tenantId, jobId));
    return row && row.record.version === version && !isTerminal(row.record.job.status) ? row : undefined;
  }

  async listPendingOutbox(olderThan: Date, limit: number): Promise<readonly PendingOutbox[]> {
    this.log.push(`jobs.listPendingOutbox ${olderThan.toISOString()} ${limit}`);
    const before = olderThan.toISOString();
    return [...this.rows.values()]
      .filter((row): row is JobRow & { pendingSince: string } => row.pendingSince !== null && row.pendingSince < before)
      .sort((a, b) => (a.pendingSince < b.pendingSince ? -1 : 1))
      .slice(0, limit)
      .map((row) => ({
        record: copy(row.record),
        entries: [...row.outbox].map(decodeOutboxEntry).filter((e): e is OutboxEntry => e !== null),
      }));
  }
}
