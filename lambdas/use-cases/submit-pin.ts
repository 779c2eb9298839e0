import { AccountNotConnected, IdempotencyKeyReused, PublishAtTooFarAhead } from '../domain/errors.ts';
import { bodyHash, jobIdFor } from '../domain/ids.ts';
import { newJob, type Job, type SubmitPinCommand } from '../domain/job.ts';
import type { Deps } from './ports.ts';

/** How far ahead `publish_at` may be: a year keeps scheduled jobs inside anyone's retention window. */
export const MAX_SCHEDULE_AHEAD_DAYS = 365;

export interface SubmitPinInput {
  readonly tenantId: string;
  readonly idempotencyKey: string;
  readonly request: SubmitPinCommand;
}

export interface SubmitPinResult {
  readonly job: Job;
  /** true when the key was seen before with the same body: the caller gets the existing job. */
  readonly replayed: boolean;
}

/**
 * Idempotent intake: one conditional write keyed by (tenant, idempotency key). Concurrent duplicates
 * race on that write; exactly one creates the job, the others read it back from the failed condition.
 * Enqueueing is not done here: the jobs table stream (outbox) does it, so a crash after the write
 * cannot strand the job (docs/adr/0001-outbox-for-enqueue.md).
 */
export async function submitPin(deps: Pick<Deps, 'jobs' | 'tenants' | 'clock'>, input: SubmitPinInput): Promise<SubmitPinResult> {
  const now = deps.clock.now();
  const { request } = input;
  if (request.publish_at) {
    const ahead = new Date(request.publish_at).getTime() - now.getTime();
    if (ahead > MAX_SCHEDULE_AHEAD_DAYS * 86_400_000) throw new PublishAtTooFarAhead(MAX_SCHEDULE_AHEAD_DAYS);
  }
  const account = await deps.tenants.getAccount(input.tenantId, request.account_id);
  if (!account) throw new AccountNotConnected(request.account_id);
  const hash = bodyHash(request);
  const record = newJob({
    tenantId: input.tenantId,
    jobId: jobIdFor(input.tenantId, input.idempotencyKey),
    idempotencyKey: input.idempotencyKey,
    request,
    bodyHash: hash,
    now,
  });
  const outcome = await deps.jobs.create(record);
  if (outcome.created) return { job: record.job, replayed: false };
  if (outcome.existing.bodyHash === hash) return { job: outcome.existing.job, replayed: true };
  throw new IdempotencyKeyReused(outcome.existing.job.id);
}
