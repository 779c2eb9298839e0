import type { Job } from '../api/schemas.ts';
import { attemptInputOf, type PinterestApi, type PinterestPin } from '../adapters/pinterest-client.ts';
import type { JobMessage } from '../adapters/sqs-job-queue.ts';
import { classMaxAttempts, isRetryable, nextDelaySeconds, shouldRetry, type RetryPolicy } from '../domain/backoff.ts';
import { classifyAttempt, type AttemptInput, type Classification } from '../domain/classify.ts';
import type { Clock } from '../domain/clock.ts';
import { transition, type JobRecord } from '../domain/job.ts';
import { findMatchingPin, parsePinterestTime } from '../domain/pin-match.ts';
import { TokenRefreshError, type JobQueue, type JobStore, type Pacer, type TenantStore, type TokenProvider } from './ports.ts';

/**
 * The worker's use case: one publish-queue message → at most one Pinterest create.
 *
 * 1. Load the job; anything but `queued` (or `running` with a dead lease) is a duplicate or stale
 *    delivery and is acknowledged without effect.
 * 2. Pace: take a token from the account's and the app's bucket; without one, park the job in the delay
 *    queue for the wait — no attempt is counted and the FIFO message is deleted, so pacing can never
 *    push a healthy message towards the DLQ.
 * 3. Claim: `queued → running` with a conditional write on the job's version and a lease; a second
 *    worker holding the same message loses the write and stops.
 * 4. If an earlier attempt's outcome is unknown (timeout, dropped connection, crashed worker), list the
 *    board and look for the pin before creating anything (lambdas/domain/pin-match.ts).
 * 5. Create, classify the result (lambdas/domain/classify.ts), record the attempt and the next status:
 *    succeeded, retry_scheduled (the outbox parks it in the delay queue), or failed with a route.
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
  /** Only for pacing waits of at most a second (DESIGN: no long sleeps in Lambda). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly policy: RetryPolicy;
  /** Pacing when the account sets no rate_limit_per_minute. */
  readonly defaultAccountPerMinute: number;
  /** How long a claim is trusted before a redelivery treats the attempt as crashed. */
  readonly leaseMs: number;
  /** Time one Pinterest call may take (its timeout plus margin). */
  readonly callBudgetMs: number;
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
  | { readonly kind: 'recorded'; readonly job: Job; readonly classification: Classification | null };

/** The longest the worker sleeps for a token instead of parking the job in the delay queue. */
export const MAX_SLEEP_MS = 1000;

/** How many board pages (250 pins each) a verification reads at most. */
const VERIFY_MAX_PAGES = 4;

export function pinUrl(pinId: string): string {
  return `https://www.pinterest.com/pin/${pinId}/`;
}

const UNBOUNDED: PublishInvocation = { remainingMs: () => Number.POSITIVE_INFINITY };

export async function publishJob(deps: PublishDeps, message: JobMessage, invocation: PublishInvocation = UNBOUNDED): Promise<PublishResult> {
  let record = await deps.jobs.get(message.tenant_id, message.job_id);
  if (!record) return { kind: 'skipped', reason: 'job not found' };
  const now = deps.clock.now();

  if (record.job.status === 'running') {
    if (record.leaseUntil && new Date(record.leaseUntil).getTime() > now.getTime()) {
      return { kind: 'skipped', reason: 'another worker holds the job' };
    }
    // The worker that claimed it died mid-attempt: whether it created the pin is unknown.
    const recovered = recoverCrashedAttempt(record, now);
    if (!(await deps.jobs.replace(recovered, record.version))) return { kind: 'skipped', reason: 'job changed concurrently' };
    record = recovered;
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
  const limit = account?.rate_limit_per_minute ?? deps.defaultAccountPerMinute;
  let pace = await deps.pacer.acquire(record.tenantId, record.job.account_id, limit, message.slot_ms);
  if (!pace.granted && pace.waitMs <= MAX_SLEEP_MS) {
    // A wait this short costs less Lambda time than a round trip through the delay queue.
    await deps.sleep(pace.waitMs);
    pace = await deps.pacer.acquire(record.tenantId, record.job.account_id, limit, pace.slotMs ?? message.slot_ms);
  }
  if (!pace.granted) {
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
      { number, started_at: startedAt.toISOString(), finished_at: null, outcome: null, http_status: null, error_code: null, error_message: null, retry_at: null },
    ],
  });
  const leased: JobRecord = { ...claimed, leaseUntil: new Date(startedAt.getTime() + deps.leaseMs).toISOString() };
  if (!(await deps.jobs.replace(leased, record.version))) return { kind: 'skipped', reason: 'claimed by another worker' };

  const outcome = await attempt(deps, leased, invocation);
  const finished = finish(deps, leased, outcome);
  if (outcome.classification?.reason === 'reauthorization_required') {
    await deps.tenants.markReauthorizationRequired(leased.tenantId, leased.job.account_id, deps.clock.now().toISOString());
  }
  if (outcome.classification?.outcome === 'retry_later' && outcome.classification.retryAfterSeconds === null) {
    await deps.pacer.penalize(leased.tenantId, leased.job.account_id, limit);
  }
  if (!(await deps.jobs.replace(finished, leased.version))) {
    // Only a worker that found our lease expired can have moved the job; its own attempt is recorded.
    return { kind: 'skipped', reason: 'lease lost before the attempt was recorded' };
  }
  return { kind: 'recorded', job: finished.job, classification: outcome.classification };
}

type AttemptOutcome =
  | { readonly pin: PinterestPin; readonly verified: boolean; readonly classification: null }
  | { readonly pin: null; readonly classification: Classification; readonly input: AttemptInput; readonly message: string };

/** The running job's Pinterest calls. Only Pinterest/token errors are caught: our own bugs propagate. */
async function attempt(deps: PublishDeps, record: JobRecord, invocation: PublishInvocation): Promise<AttemptOutcome> {
  const { job } = record;
  const context = { boardId: job.pin.board_id, accountId: job.account_id, ...(job.pin.board_section_id ? { boardSectionId: job.pin.board_section_id } : {}) };
  let refreshed = false;
  for (;;) {
    try {
      const token = await deps.tokens.accessToken(record.tenantId, job.account_id, { forceRefresh: refreshed });
      if (needsVerification(job)) {
        const found = await verify(deps, token, job);
        if (found) return { pin: found, verified: true, classification: null };
        if (unknownCount(record) >= classMaxAttempts('unknown', deps.policy)) return notFoundAfterUnknowns(record);
      }
      // Never send a create that Lambda might cut off: that would make the outcome unknown.
      if (invocation.remainingMs() < deps.callBudgetMs) return deadlineBeforeCreate(invocation.remainingMs());
      const pin = await deps.pinterest.createPin(token, job.pin);
      return { pin, verified: false, classification: null };
    } catch (error) {
      const input: AttemptInput | null =
        error instanceof TokenRefreshError ? { kind: 'token_refresh_failed', status: error.status } : pinterestInput(error);
      if (!input) throw error;
      const classification = classifyAttempt(input, { ...context, afterRefresh: refreshed });
      if (classification.refreshToken && !refreshed) {
        refreshed = true; // a 401: refresh once and try again within this attempt
        continue;
      }
      return { pin: null, classification, input, message: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** Attempts since the job was last requeued (POST /v1/jobs/{id}/requeue): the retry caps count these. */
export function attemptsInCurrentRun(record: JobRecord, attempts: Job['attempts'] = record.job.attempts): Job['attempts'] {
  const after = record.runAfterAttempt ?? 0;
  return attempts.filter((a) => a.number > after);
}

function unknownCount(record: JobRecord): number {
  return attemptsInCurrentRun(record).filter((a) => a.outcome === 'unknown').length;
}

/**
 * The unknown-outcome budget is spent and the board, checked after the last lost create, does not have
 * the pin: stop creating (a human decides), and say exactly that.
 */
function notFoundAfterUnknowns(record: JobRecord): AttemptOutcome {
  const { job } = record;
  const unknowns = unknownCount(record);
  const message = `Pinterest never confirmed the pin in ${unknowns} attempts and it is not on board ${job.pin.board_id}`;
  return {
    pin: null,
    input: { kind: 'transport', phase: 'after_send' },
    message,
    classification: {
      outcome: 'needs_human',
      reason: 'outcome_unknown',
      route: 'ops',
      retryAfterSeconds: null,
      remediation: `The pin was not found on board ${job.pin.board_id} after ${unknowns} unanswered creates: check Pinterest's status, then requeue the job to publish it.`,
    },
  };
}

/** The attempt ran out of invocation time before its create was sent: a clean retry_now. */
function deadlineBeforeCreate(remainingMs: number): AttemptOutcome {
  return {
    pin: null,
    input: { kind: 'transport', phase: 'before_send' },
    message: `the worker stopped before sending the create: ${remainingMs} ms left in the invocation`,
    classification: { outcome: 'retry_now', reason: 'worker_deadline', route: null, retryAfterSeconds: null, remediation: null },
  };
}

function pinterestInput(error: unknown): AttemptInput | null {
  const input = attemptInputOf(error);
  return input.kind === 'crash' ? null : input;
}

/** An earlier attempt may have created the pin: look before creating again. */
function needsVerification(job: Job): boolean {
  return job.attempts.some((a) => a.outcome === 'unknown');
}

async function verify(deps: PublishDeps, token: string, job: Job) {
  const firstStarted = new Date(job.attempts[0]!.started_at);
  let bookmark: string | undefined;
  for (let page = 0; page < VERIFY_MAX_PAGES; page++) {
    const result = await deps.pinterest.listBoardPins(token, job.pin.board_id, { pageSize: 250, ...(bookmark ? { bookmark } : {}) });
    const match = findMatchingPin(result.items, job.pin, firstStarted);
    if (match) return match.pin;
    // Newest first: once a page reaches back before the first attempt, older pages cannot match.
    const oldest = parsePinterestTime(result.items.at(-1)?.created_at);
    if (!result.bookmark || (oldest !== null && oldest < firstStarted.getTime() - 120_000)) return null;
    bookmark = result.bookmark;
  }
  return null;
}

function recoverCrashedAttempt(record: JobRecord, now: Date): JobRecord {
  const attempts = record.job.attempts.map((a, i, all) =>
    i === all.length - 1 && a.finished_at === null
      ? { ...a, finished_at: now.toISOString(), outcome: 'unknown' as const, error_message: 'the worker stopped mid-attempt (lease expired); the pin is verified on the board before any new create' }
      : a,
  );
  return { ...transition(record, 'queued', now, { attempts }), leaseUntil: null };
}

function finish(deps: PublishDeps, record: JobRecord, outcome: AttemptOutcome): JobRecord {
  const now = deps.clock.now();
  const at = now.toISOString();
  const attempts = [...record.job.attempts];
  const last = attempts[attempts.length - 1]!;
  const done = { ...record, leaseUntil: null };

  if (outcome.classification === null) {
    attempts[attempts.length - 1] = { ...last, finished_at: at, outcome: 'succeeded' };
    return transition(done, 'succeeded', now, {
      attempts,
      result: { pin_id: outcome.pin.id, pin_url: pinUrl(outcome.pin.id), verified: outcome.verified },
      failure: null,
    });
  }

  const { classification, input } = outcome;
  const httpStatus = input.kind === 'http' ? input.status : input.kind === 'token_refresh_failed' ? input.status : null;
  const errorCode = input.kind === 'http' ? input.code : null;
  const run = attemptsInCurrentRun(record, attempts);
  const ofClass = run.filter((a) => a.outcome === classification.outcome).length + 1;
  const retry =
    isRetryable(classification.outcome) &&
    (shouldRetry({ outcome: classification.outcome, attemptsOfClass: ofClass, totalAttempts: run.length, policy: deps.policy }) ||
      // An unknown outcome is never failed blind: the next run only checks the board (see attempt()).
      (classification.outcome === 'unknown' && ofClass <= classMaxAttempts('unknown', deps.policy)));

  if (retry && isRetryable(classification.outcome)) {
    const delay = nextDelaySeconds({
      outcome: classification.outcome,
      attemptNumber: ofClass,
      policy: deps.policy,
      random: deps.random,
      retryAfterSeconds: classification.retryAfterSeconds,
    });
    const retryAt = new Date(now.getTime() + delay * 1000).toISOString();
    attempts[attempts.length - 1] = { ...last, finished_at: at, outcome: classification.outcome, http_status: httpStatus, error_code: errorCode, error_message: outcome.message, retry_at: retryAt };
    return transition(done, 'retry_scheduled', now, { attempts, next_attempt_at: retryAt });
  }

  attempts[attempts.length - 1] = { ...last, finished_at: at, outcome: classification.outcome, http_status: httpStatus, error_code: errorCode, error_message: outcome.message, retry_at: null };
  const exhausted = isRetryable(classification.outcome);
  const failure = exhausted
    ? {
        route: 'ops' as const,
        reason: `${classification.reason}_retries_exhausted`,
        http_status: httpStatus,
        error_code: errorCode,
        message: outcome.message,
        remediation: `Pinterest kept failing (${classification.reason}) through ${attempts.length} attempts: check Pinterest's status and the account, then requeue the job.`,
      }
    : {
        route: classification.route ?? 'engineering',
        reason: classification.reason,
        http_status: httpStatus,
        error_code: errorCode,
        message: outcome.message,
        remediation: classification.remediation ?? 'Report this job to engineering.',
      };
  return transition(done, 'failed', now, { attempts, failure, next_attempt_at: null });
}
