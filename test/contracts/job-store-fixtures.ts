import { expect } from 'vitest';
import type { Incident, JobRecord, JobStatus } from '../../lambdas/domain/job.ts';
import { encodeOutboxEntry, type OutboxEntry } from '../../lambdas/domain/outbox.ts';
import type { JobStatistics, JobStore, OverdueJobs, PendingOutbox } from '../../lambdas/use-cases/ports.ts';
import { jobRecord, pinRequest, T0 } from '../unit/builders.ts';

/** Records, times and readings the JobStore contract (job-store.ts) is written with. */

/** What the contract runs against: the JobStore port and the operators' queries the adapter answers beside it. */
export type ContractJobStore = JobStore & JobStatistics & OverdueJobs;

export const at = (seconds: number): Date => new Date(Date.parse(T0) + seconds * 1000);
export const iso = (seconds: number): string => at(seconds).toISOString();
export const FAR_FUTURE = new Date('2100-01-01T00:00:00.000Z');

/** A job created `seconds` after T0 (status reached one second per step after that). */
export function job(key: string, seconds: number, options: { status?: JobStatus; tenantId?: string; account?: string } = {}): JobRecord {
  return jobRecord({
    key,
    now: iso(seconds),
    ...(options.status ? { status: options.status } : {}),
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
    ...(options.account ? { request: pinRequest({ account_id: options.account }) } : {}),
  });
}

/** What a pending job owes, as sorted strings (a DynamoDB string set has no order). */
export const owed = (p: PendingOutbox | undefined): string[] => (p?.entries ?? []).map(encodeOutboxEntry).sort();
export const encoded = (...entries: OutboxEntry[]): string[] => entries.map(encodeOutboxEntry).sort();
export const idsOf = (records: readonly { readonly job: { readonly id: string } }[]): string[] => records.map((r) => r.job.id);

/**
 * A record as its meaning goes: no lease, no crash count, no run boundary and no sent pins are the same
 * whether absent, null, 0 or empty (the table stores none of them; the fake may keep them as given).
 */
export function readable(record: JobRecord | null): JobRecord | null {
  if (!record) return record;
  const { leaseUntil, crashCount, runAfterAttempt, sentPins, ...rest } = record;
  return {
    ...rest,
    ...(leaseUntil ? { leaseUntil } : {}),
    ...(crashCount ? { crashCount } : {}),
    ...(runAfterAttempt ? { runAfterAttempt } : {}),
    ...(sentPins && sentPins.length > 0 ? { sentPins } : {}),
  };
}

export const incident = (kind: Incident['kind'], seconds: number): Incident => ({
  at: iso(seconds),
  kind,
  detail: `${kind} in the contract`,
});

export async function createAll(store: ContractJobStore, records: readonly JobRecord[]): Promise<void> {
  for (const record of records) expect(await store.create(record)).toEqual({ created: true });
}

/** Every page of a listing, following the cursor until it is null. */
export async function allPages(store: ContractJobStore, tenantId: string, filter: Parameters<JobStore['list']>[1], limit: number) {
  const pages: { ids: string[]; nextCursor: string | null }[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(tenantId, filter, { limit, ...(cursor ? { cursor } : {}) });
    pages.push({ ids: idsOf(page.items), nextCursor: page.nextCursor });
    cursor = page.nextCursor ?? undefined;
    if (pages.length > 20) throw new Error('the cursor never ran out');
  } while (cursor);
  return pages;
}
