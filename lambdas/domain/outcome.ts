import type { RetryPolicy } from './backoff.ts';
import { classifyAttempt, type AttemptInput, type Classification, type ClassifyContext } from './classify.ts';
import { transition, type JobRecord } from './job.ts';
import { countCrash, crashOrdinal, decideRetry, type RetryContext } from './retry-policy.ts';

/**
 * What an attempt's outcome does to the job: the attempt is recorded, and the job moves on as the retry
 * policy (lambdas/domain/retry-policy.ts) decides for the class lambdas/domain/classify.ts gave it. Pure.
 */

export type AttemptOutcome =
  | { readonly pin: { readonly id: string }; readonly verified: boolean; readonly classification: null }
  | {
      readonly pin: null;
      readonly classification: Classification;
      readonly input: AttemptInput;
      /** Goes into the attempt and the failure record: never a token or a request body. */
      readonly message: string;
      /** The worker crashed during this attempt: counts against the run's crash budget. */
      readonly crashed?: boolean;
    };

export function pinUrl(pinId: string): string {
  return `https://www.pinterest.com/pin/${pinId}/`;
}

/**
 * The board listing settled nothing by itself: several unowned pins match (`ambiguous`), or the unknown
 * budget is spent and the pin is not there (`not_found`). `boards` are the boards the job sent its pin to.
 */
export function verificationOutcome(
  input: Extract<AttemptInput, { kind: 'verification' }>,
  boards: readonly string[],
  context: ClassifyContext,
): AttemptOutcome {
  const where = boards.join(', ');
  const message =
    input.result === 'ambiguous'
      ? `${input.candidatePinIds.length} pins on board ${where} match this job and no other job recorded them: ${input.candidatePinIds.join(', ')}`
      : `Pinterest never confirmed the pin in ${input.unknowns} attempts and it is not on board ${where}`;
  return { pin: null, input, message, classification: classifyAttempt(input, context) };
}

/**
 * The last attempt of a run whose crash budget is spent found no pin on the board: no create is sent (the
 * crashes are a bug to fix first), and the job fails to engineering. Not a crash itself.
 */
export function crashBudgetSpentOutcome(record: JobRecord, boards: readonly string[]): AttemptOutcome {
  const input: AttemptInput = { kind: 'crash', phase: 'after_send', retriesLeft: false };
  return {
    pin: null,
    input,
    message: `the worker crashed ${record.crashCount ?? 0} times in this run; the pin is not on board ${boards.join(', ')} and no new create was sent`,
    classification: classifyAttempt(input),
  };
}

/** The attempt ran out of invocation time before its create was sent: a clean retry. */
export function deadlineOutcome(remainingMs: number): AttemptOutcome {
  const input: AttemptInput = { kind: 'deadline' };
  return {
    pin: null,
    input,
    message: `the worker stopped before sending the create: ${remainingMs} ms left in the invocation`,
    classification: classifyAttempt(input),
  };
}

/**
 * An exception after the claim: classified by whether a create may have left the process, and failed to
 * engineering once the run's crash budget is spent. The message names the error's class and text with
 * anything token-like removed (parser errors quote their input, which may be a secret).
 */
export function crashOutcome(record: JobRecord, error: unknown, createSent: boolean, policy: RetryPolicy): AttemptOutcome {
  const { crashes, max, retriesLeft } = countCrash(record, policy, createSent);
  const input: AttemptInput = { kind: 'crash', phase: createSent ? 'after_send' : 'before_send', retriesLeft };
  return {
    pin: null,
    input,
    classification: classifyAttempt(input),
    message: `worker ${crashOrdinal(crashes, max)}, ${createSent ? 'after sending the create' : 'before any create was sent'}: ${describeError(error)}`,
    crashed: true,
  };
}

/** `Class: message`, without quoted input and without anything shaped like a Pinterest token; bounded. */
export function describeError(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const raw = error instanceof Error ? error.message : String(error);
  const text = raw
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '"…"')
    .replace(/\bpin[a-z]?_[A-Za-z0-9._~+/=-]+/g, '[redacted]')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
    .replace(/[\u0000-\u001f\u007f]/g, ' ');
  return `${name}: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}

/** The next step once a retryable class ran out: where to look depends on what kept failing. */
function exhaustedRemediation(reason: string, attempts: number): string {
  if (reason === 'token_store_unavailable') {
    return `The account's tokens could not be read from Secrets Manager through ${attempts} attempts: check Secrets Manager's health and the worker's access to the account's secret, then requeue the job.`;
  }
  return `Pinterest kept failing (${reason}) through ${attempts} attempts: check Pinterest's status and the account, then requeue the job.`;
}

function statusAndCode(input: AttemptInput): { httpStatus: number | null; errorCode: number | null } {
  if (input.kind === 'http') return { httpStatus: input.status, errorCode: input.code };
  if (input.kind === 'token_refresh_failed') return { httpStatus: input.status, errorCode: null };
  return { httpStatus: null, errorCode: null };
}

/**
 * Records the running job's last attempt and moves the job on: `succeeded`, `retry_scheduled` (the
 * outbox parks it in the delay queue), or `failed` with a route and a remediation.
 */
export function recordOutcome(record: JobRecord, outcome: AttemptOutcome, context: RetryContext): JobRecord {
  const { now } = context;
  const at = now.toISOString();
  const attempts = [...record.job.attempts];
  const last = attempts.at(-1);
  if (!last) throw new Error(`job ${record.job.id} has no attempt to record an outcome for: the claim starts one`);
  const done: JobRecord = {
    ...record,
    leaseUntil: null,
    ...(outcome.pin === null && outcome.crashed ? { crashCount: (record.crashCount ?? 0) + 1 } : {}),
  };

  if (outcome.classification === null) {
    attempts[attempts.length - 1] = { ...last, finished_at: at, outcome: 'succeeded' };
    return transition(done, 'succeeded', now, {
      attempts,
      result: { pin_id: outcome.pin.id, pin_url: pinUrl(outcome.pin.id), verified: outcome.verified },
      failure: null,
    });
  }

  const { classification, input } = outcome;
  const { httpStatus, errorCode } = statusAndCode(input);
  const finished = {
    ...last,
    finished_at: at,
    outcome: classification.outcome,
    http_status: httpStatus,
    error_code: errorCode,
    error_message: outcome.message,
  };
  const decision = decideRetry(record, classification, context);

  if (decision.retry) {
    const retryAt = decision.retryAt.toISOString();
    attempts[attempts.length - 1] = { ...finished, retry_at: retryAt };
    return transition(done, 'retry_scheduled', now, { attempts, next_attempt_at: retryAt });
  }

  attempts[attempts.length - 1] = { ...finished, retry_at: null };
  const candidates = input.kind === 'verification' && input.result === 'ambiguous' ? { candidate_pin_ids: [...input.candidatePinIds] } : {};
  const failure = decision.exhausted
    ? {
        route: 'ops' as const,
        reason: `${classification.reason}_retries_exhausted`,
        http_status: httpStatus,
        error_code: errorCode,
        message: outcome.message,
        remediation: exhaustedRemediation(classification.reason, attempts.length),
      }
    : {
        route: classification.route ?? 'engineering',
        reason: classification.reason,
        http_status: httpStatus,
        error_code: errorCode,
        message: outcome.message,
        remediation: classification.remediation ?? 'Report this job to engineering.',
        ...candidates,
      };
  return transition(done, 'failed', now, { attempts, failure, next_attempt_at: null });
}
