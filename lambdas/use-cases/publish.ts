import { maxCrashes, type RetryPolicy } from '../domain/backoff.ts';
import { classifyAttempt, requiresReauthorization, type AttemptInput, type Classification } from '../domain/classify.ts';
import type { Clock } from '../domain/clock.ts';
import { sentPinOf, transition, type Job, type JobRecord } from '../domain/job.ts';
import {
  crashBudgetSpentOutcome,
  crashOutcome,
  deadlineOutcome,
  recordOutcome,
  verificationOutcome,
  type AttemptOutcome,
} from '../domain/outcome.ts';
import { pacingSignalOf, type PacedCall } from '../domain/pacing.ts';
import { isCurrentMessage } from '../domain/reconciliation.ts';
import { recoverExpiredLease } from '../domain/recovery.ts';
import { boardCheckOnly, needsVerification, unknownCount, verificationBudgetSpent } from '../domain/retry-policy.ts';
import {
  AppCredentialsMissingError,
  PinterestError,
  TokenRefreshError,
  TokenStoreUnavailableError,
  type AccountRecord,
  type JobMessage,
  type JobQueue,
  type JobStore,
  type PacedAccount,
  type Pacer,
  type PinterestApi,
  type TenantStore,
  type TokenProvider,
} from './ports.ts';
import { boardsOf, verifyOnBoards, withSentPin } from './publish-verification.ts';

/**
 * The worker's use case: one publish-queue message → at most one Pinterest create.
 *
 * 1. Load the job. A message for an older version of the job is stale and acknowledged without effect
 *    (the job got a newer message since); so is anything but `queued`, or `running` with a dead lease.
 * 2. A `running` job whose lease expired was claimed from this very message by a worker that died: the
 *    attempt is recorded as unknown and the job goes to `retry_scheduled` (lambdas/domain/recovery.ts).
 *    This delivery is acknowledged, so the outbox's one new message is the job's only live message.
 * 3. Admit (lambdas/domain/pacing.ts): may the account create now — no Retry-After hold, no earlier
 *    reservation waiting, a token in its bucket, room in its last minute (and read budget, if the job must
 *    verify)? Nothing is taken yet. Without a go, park the job in the delay queue with a reserved slot — no
 *    attempt is counted and the FIFO message is deleted, so pacing never pushes a healthy message towards
 *    the DLQ.
 * 4. Claim: `queued → running` with a conditional write on the job's version and a lease; a second
 *    worker holding the same message loses the write and stops.
 * 5. If an earlier attempt's outcome is unknown (timeout, dropped connection, crashed worker), list the
 *    board(s) and look for every version of the pin the job has sent before creating anything
 *    (lambdas/use-cases/publish-verification.ts). Each listing takes a token of the account's read budget.
 * 6. Take the write token (the app's, then the account's) immediately before the create — after the
 *    token refresh and the listings, so their latency never moves a create into a later window. In the
 *    rare case it is not there (the app bucket, a lost race), the claim is released: the job is queued
 *    again without an attempt.
 * 7. Create, classify the result (lambdas/domain/classify.ts), tell the pacer what it means for the
 *    account (a 429: Retry-After hold or lower-limit verdict; never for a listing's 429 on the write
 *    budget), record the attempt and the next status (lambdas/domain/outcome.ts; retry or fail is
 *    lambdas/domain/retry-policy.ts's call). An exception after the claim is recorded too — as a crash that
 *    may be retried a bounded number of times — instead of leaving the job running for a redelivery to find.
 */

export interface PublishDeps {
  readonly jobs: JobStore;
  readonly tenants: Pick<TenantStore, 'getAccount' | 'markReauthorizationRequired'>;
  readonly tokens: TokenProvider;
  readonly pinterest: PinterestApi;
  readonly pacer: Pacer;
  readonly queue: Pick<JobQueue, 'holdForPacing'>;
  readonly clock: Clock;
  readonly random: () => number;
  /** Only for pacing waits of at most a second (no long sleeps in Lambda). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly policy: RetryPolicy;
  /** Pacing when the account sets no rate_limit_per_minute. */
  readonly defaultAccountPerMinute: number;
  /** How long a claim is trusted before a redelivery treats the attempt as crashed. */
  readonly leaseMs: number;
  /** Time one Pinterest call may take (its timeout plus margin). */
  readonly callBudgetMs: number;
  /** Where problems that do not change the job's outcome go (a pacing report that could not be stored). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * The invocation's remaining time (Lambda's `getRemainingTimeInMillis`). A Pinterest call needs up to
 * `callBudgetMs`; starting one with less left would let Lambda kill the worker mid-call and turn a clean
 * outcome into an unknown one.
 */
export interface PublishInvocation {
  readonly remainingMs: () => number;
}

export type PublishResult =
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'held'; readonly waitMs: number }
  | {
      readonly kind: 'recorded';
      readonly job: Job;
      readonly classification: Classification | null;
      /** The exception a crashed attempt was recorded for: the handler logs it with its stack. */
      readonly error?: unknown;
    };

/** The longest the worker sleeps for a token instead of parking the job in the delay queue. */
export const MAX_SLEEP_MS = 1000;

const UNBOUNDED: PublishInvocation = { remainingMs: () => Number.POSITIVE_INFINITY };

export async function publishJob(
  deps: PublishDeps,
  message: JobMessage,
  invocation: PublishInvocation = UNBOUNDED,
): Promise<PublishResult> {
  const record = await deps.jobs.get(message.tenant_id, message.job_id);
  if (!record) return { kind: 'skipped', reason: 'job not found' };
  // A message for another version is stale: the job got a newer message since (a retry, a requeue, a
  // re-dispatch by the reconciler). The redelivery of the message a running job was claimed from is current.
  if (!isCurrentMessage(record, message.version)) {
    return {
      kind: 'skipped',
      reason: `stale message: version ${message.version}, the job is at version ${record.version} (${record.job.status})`,
    };
  }
  const now = deps.clock.now();

  if (record.job.status === 'running') {
    if (record.leaseUntil && new Date(record.leaseUntil).getTime() > now.getTime()) {
      return { kind: 'skipped', reason: 'another worker holds the job' };
    }
    const recovered = recoverExpiredLease(record, now, { maxCrashes: maxCrashes(deps.policy) });
    if (!(await deps.jobs.replace(recovered, record.version))) return { kind: 'skipped', reason: 'job changed concurrently' };
    const classification = classifyAttempt({ kind: 'crash', phase: 'after_send', retriesLeft: recovered.job.status !== 'failed' });
    return { kind: 'recorded', job: recovered.job, classification };
  }
  if (record.job.status !== 'queued') return { kind: 'skipped', reason: `job is ${record.job.status}` };

  // Starting now could leave an attempt this invocation may not live to finish: hand the job to the next
  // invocation through the delay queue instead (no token spent, no attempt, no receive; keeps its slot).
  const left = invocation.remainingMs();
  if (left < deps.callBudgetMs + MAX_SLEEP_MS) {
    await deps.queue.holdForPacing(record, 0, message.slot_ms);
    return { kind: 'held', waitMs: 0 };
  }

  const account = await deps.tenants.getAccount(record.tenantId, record.job.account_id);
  const paced: PacedAccount = {
    tenantId: record.tenantId,
    accountId: record.job.account_id,
    limitPerMinute: account?.rate_limit_per_minute ?? deps.defaultAccountPerMinute,
  };
  // Admission takes nothing: the write token is taken at send time (see attempt).
  const reads = needsVerification(record.job);
  let slotMs = message.slot_ms;
  let pace = await deps.pacer.admit(paced, { reservedSlotMs: slotMs, reads });
  if (!pace.granted && pace.waitMs <= MAX_SLEEP_MS) {
    // A wait this short costs less Lambda time than a round trip through the delay queue.
    slotMs = pace.slotMs ?? slotMs;
    await deps.sleep(pace.waitMs);
    pace = await deps.pacer.admit(paced, { reservedSlotMs: slotMs, reads });
  }
  if (!pace.granted) {
    // The job waits for its slot: move its due time there first, so the reconciler does not take a long
    // paced backlog for stranded jobs (if this write fails, the FIFO message simply comes back).
    const dueAt = new Date(pace.slotMs ?? deps.clock.now().getTime() + pace.waitMs);
    if (!(await deps.jobs.extendDue(record.tenantId, record.job.id, record.version, dueAt))) {
      return { kind: 'skipped', reason: 'job changed concurrently' };
    }
    await deps.queue.holdForPacing(record, pace.waitMs, pace.slotMs);
    return { kind: 'held', waitMs: pace.waitMs };
  }

  const number = record.job.attempt_count + 1;
  const startedAt = deps.clock.now();
  const claimed = transition(record, 'running', startedAt, {
    attempt_count: number,
    next_attempt_at: null,
    attempts: [
      ...record.job.attempts,
      {
        number,
        started_at: startedAt.toISOString(),
        finished_at: null,
        outcome: null,
        http_status: null,
        error_code: null,
        error_message: null,
        retry_at: null,
      },
    ],
  });
  const leased: JobRecord = {
    ...claimed,
    leaseUntil: new Date(startedAt.getTime() + deps.leaseMs).toISOString(),
    sentPins: withSentPin(record.sentPins, sentPinOf(record.job.pin)),
  };
  if (!(await deps.jobs.replace(leased, record.version))) return { kind: 'skipped', reason: 'claimed by another worker' };

  // From here on the job is ours: whatever happens is recorded on it, exceptions included.
  const progress: AttemptProgress = { createSent: false, connectionId: account?.connectionId ?? null, call: { kind: 'other' } };
  let outcome: AttemptOutcome;
  let error: unknown;
  try {
    outcome = await attempt(deps, leased, account, invocation, progress, { account: paced, slotMs });
  } catch (thrown) {
    if (thrown instanceof PacingDeferred) return giveBackClaim(deps, record, leased, thrown.waitMs);
    error = thrown;
    outcome = crashOutcome(leased, thrown, progress.createSent, deps.policy);
  }
  const finished = recordOutcome(leased, outcome, { now: deps.clock.now(), policy: deps.policy, random: deps.random });
  if (requiresReauthorization(outcome.classification)) {
    await deps.tenants.markReauthorizationRequired(
      leased.tenantId,
      leased.job.account_id,
      deps.clock.now().toISOString(),
      progress.connectionId,
    );
  }
  // Before the job's next message can exist: a Retry-After hold must be in place when it arrives.
  await reportToPacer(deps, paced, outcome.classification, progress.call);
  if (!(await deps.jobs.replace(finished, leased.version))) {
    // Only a worker that found our lease expired can have moved the job; its own attempt is recorded.
    return { kind: 'skipped', reason: 'lease lost before the attempt was recorded' };
  }
  return { kind: 'recorded', job: finished.job, classification: outcome.classification, ...(error !== undefined ? { error } : {}) };
}

/** What the running attempt has done so far: read by the crash path to classify an exception. */
interface AttemptProgress {
  /** A create request may have left the process. */
  createSent: boolean;
  /** The connection whose tokens the attempt used (a dead-token verdict applies to it only). */
  connectionId: string | null;
  /** The Pinterest call in progress or last made: what the attempt's answer tells pacing about. */
  call: PacedCall;
}

/** The account being paced and the slot this job holds in its line. */
interface PacingContext {
  readonly account: PacedAccount;
  readonly slotMs: number | undefined;
}

/** The pacer had no token at send time: the claim is released and the job queued again, no attempt counted. */
class PacingDeferred extends Error {
  constructor(readonly waitMs: number) {
    super(`no pacing token at send time (wait ${waitMs} ms)`);
    this.name = 'PacingDeferred';
  }
}

/**
 * Gives the job back: `running → queued` without the open attempt (nothing was sent), so the outbox sends
 * it one fresh message and its next delivery is paced like any other. Rare: admission checked the token.
 */
async function giveBackClaim(deps: PublishDeps, before: JobRecord, leased: JobRecord, waitMs: number): Promise<PublishResult> {
  const { sentPins: _sent, ...queued } = transition(leased, 'queued', deps.clock.now(), {
    attempt_count: before.job.attempt_count,
    attempts: before.job.attempts,
  });
  const released: JobRecord = { ...queued, leaseUntil: null, ...(before.sentPins ? { sentPins: before.sentPins } : {}) };
  if (!(await deps.jobs.replace(released, leased.version))) return { kind: 'skipped', reason: 'lease lost before the claim was released' };
  return { kind: 'held', waitMs };
}

/** Tells the pacer what the attempt's last answer means for the account; a failure to store it is only logged. */
async function reportToPacer(
  deps: PublishDeps,
  account: PacedAccount,
  classification: Classification | null,
  call: PacedCall,
): Promise<void> {
  const signal = pacingSignalOf(classification, call);
  if (!signal) return;
  try {
    await deps.pacer.report(account, signal);
  } catch (error) {
    deps.warn?.('the pacing report could not be stored', {
      account_id: account.accountId,
      signal,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Sleeps out a wait of at most MAX_SLEEP_MS and asks again; anything longer defers the job. */
async function pacedToken(
  deps: PublishDeps,
  invocation: PublishInvocation,
  ask: () => Promise<{ granted: boolean; waitMs: number; grantAtMs?: number }>,
) {
  let decision = await ask();
  if (!decision.granted && decision.waitMs <= MAX_SLEEP_MS && invocation.remainingMs() - decision.waitMs >= deps.callBudgetMs) {
    await deps.sleep(decision.waitMs);
    decision = await ask();
  }
  if (!decision.granted) throw new PacingDeferred(decision.waitMs);
  return decision;
}

/**
 * The running job's Pinterest calls. Pinterest and token errors become outcomes here; anything else
 * (our own bug, a secret that cannot be read) propagates to publishJob, which records it as a crash.
 */
async function attempt(
  deps: PublishDeps,
  record: JobRecord,
  account: AccountRecord | null,
  invocation: PublishInvocation,
  progress: AttemptProgress,
  pacing: PacingContext,
): Promise<AttemptOutcome> {
  const { job } = record;
  const context = {
    boardId: job.pin.board_id,
    accountId: job.account_id,
    ...(job.pin.board_section_id ? { boardSectionId: job.pin.board_section_id } : {}),
  };
  let refreshed = false;
  while (true) {
    try {
      progress.call = { kind: 'other' };
      const access = await deps.tokens.accessToken(record.tenantId, job.account_id, {
        forceRefresh: refreshed,
        connectionId: account?.connectionId ?? null,
      });
      progress.connectionId = access.connectionId;
      if (needsVerification(job)) {
        const found = await verifyOnBoards(deps, access.token, record, async () => {
          await pacedToken(deps, invocation, () => deps.pacer.takeRead(pacing.account));
          progress.call = { kind: 'read' };
        });
        if (found.kind === 'found') return { pin: found.pin, verified: true, classification: null };
        if (found.kind === 'ambiguous') {
          return verificationOutcome(
            { kind: 'verification', result: 'ambiguous', candidatePinIds: found.pinIds },
            boardsOf(record),
            context,
          );
        }
        if (verificationBudgetSpent(record, deps.policy)) {
          return verificationOutcome(
            { kind: 'verification', result: 'not_found', unknowns: unknownCount(record) },
            boardsOf(record),
            context,
          );
        }
      }
      // The run's crash budget is spent: the board check above was this attempt's last chance.
      if (boardCheckOnly(record, deps.policy)) return crashBudgetSpentOutcome(record, boardsOf(record));
      // Never send a create that Lambda might cut off: that would make the outcome unknown.
      if (invocation.remainingMs() < deps.callBudgetMs) return deadlineOutcome(invocation.remainingMs());
      // The write token, at send time: nothing but this create lies between the grant and the request.
      const grant = await pacedToken(deps, invocation, () => deps.pacer.takeWrite(pacing.account, pacing.slotMs));
      progress.call = { kind: 'create', grantAtMs: grant.grantAtMs ?? deps.clock.now().getTime() };
      progress.createSent = true;
      const pin = await deps.pinterest.createPin(access.token, job.pin);
      return { pin, verified: false, classification: null };
    } catch (error) {
      if (error instanceof PacingDeferred) throw error;
      if (error instanceof TokenRefreshError) progress.connectionId = error.connectionId ?? progress.connectionId;
      const input = inputOf(error);
      if (!input) throw error;
      const classification = classifyAttempt(input, { ...context, afterRefresh: refreshed });
      if (classification.refreshToken && !refreshed) {
        refreshed = true; // a 401: read the stored tokens again (or refresh) once and try again within this attempt
        continue;
      }
      return { pin: null, classification, input, message: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** Pinterest and token errors (the token store's outages included) as classifier input; null for anything else (a crash). */
function inputOf(error: unknown): AttemptInput | null {
  if (error instanceof TokenRefreshError) return { kind: 'token_refresh_failed', status: error.status };
  if (error instanceof AppCredentialsMissingError) return { kind: 'app_credentials_missing' };
  if (error instanceof TokenStoreUnavailableError) return { kind: 'token_store_unavailable' };
  if (error instanceof PinterestError) return error.attempt;
  return null;
}
