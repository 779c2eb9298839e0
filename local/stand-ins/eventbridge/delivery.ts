/**
 * Delivery of matched events to targets, the way EventBridge does it for API destinations (and,
 * because it is cheap, SQS queues), with retries, a per-destination rate limit and dead-letter
 * queues.
 *
 * API destinations (target Arn = an ApiDestinationArn):
 * - one request per event, built and classified as invoke-target.ts describes; a request times out
 *   after 5 s (`requestTimeoutMs`);
 * - 2xx is delivered; 401, 407, 409, 429, 5xx, timeouts and network errors are retried; any other
 *   status fails at once, without retries;
 * - retries wait for `Retry-After` (seconds or an HTTP date) when the response has one, else an
 *   exponential backoff with jitter (`RetryTiming`, delivery-timing.ts), until the target's RetryPolicy runs out:
 *   MaximumRetryAttempts retries, or MaximumEventAgeInSeconds since the event was accepted (a retry
 *   that would start later than that is not made);
 * - a failed event is dead-lettered or dropped (dead-letter.ts), and recorded either way (`failures()`);
 * - InvocationRateLimitPerSecond: at most that many requests start in any one-second window per
 *   destination (shared by all targets using it); events wait their turn;
 * - the connection and destination are read at each attempt, so UpdateConnection (a rotated API
 *   key) applies to the next request, retries included; a deleted destination or connection fails
 *   the event (NO_RESOURCE), as does a connection that is not AUTHORIZED.
 *
 * Ordering: per rule target, one request at a time, oldest event first among those due — so events
 * go out in order unless one is waiting for a retry: a failing event does not hold up later ones
 * (as on EventBridge, which does not guarantee order; holding them would stall a tenant's webhooks
 * for up to a day behind one bad event).
 *
 * Error codes (ERROR_CODE) used: SDK_CLIENT_ERROR (the endpoint answered an error status),
 * TIMEOUT, CONNECTION_FAILURE (network errors), NO_RESOURCE, NO_PERMISSIONS (connection not
 * authorized), EVENT_EXPIRED (too old before an attempt could start), INVALID_JSON,
 * UNSUPPORTED_TARGET (a target kind the stand-in does not invoke, e.g. Lambda; recorded and dropped).
 */
import { deadLetter, deliveryIds, failureRecord, type ExhaustedRetryCondition, type FailedDelivery } from './dead-letter.ts';
import { backoffDelay, RateLimiter, type RetryTiming } from './delivery-timing.ts';
import { renderTargetInput } from './input-transformer.ts';
import {
  buildApiDestinationRequest,
  createSqsSender,
  invokeHttp,
  sqsFailure,
  type AttemptFailure,
  type AttemptResult,
  type DestinationLookup,
} from './invoke-target.ts';
import {
  DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
  DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
  isApiDestinationArn,
  isSqsQueueArn,
  type RuleMatch,
  type StoredTarget,
} from './rules.ts';
import type { BusEvent } from './types.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** One attempt to deliver one event to one target. */
export interface DeliveryAttempt {
  readonly eventId: string;
  readonly eventBusName: string;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly targetId: string;
  readonly targetArn: string;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  readonly method?: string;
  readonly url?: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
  /** The HTTP status the endpoint answered with. */
  readonly statusCode?: number;
  /** Why there is no status: timeout, network error, SQS error, missing resource, … */
  readonly error?: string;
  /** delivered; retry (another attempt is scheduled); failed (no more attempts for this event). */
  readonly outcome: 'delivered' | 'retry' | 'failed';
  /** For `retry`: how long until the next attempt may start (Retry-After or backoff). */
  readonly retryInMs?: number;
}

export interface DeliveryEngineOptions extends DestinationLookup {
  readonly retry: RetryTiming;
  readonly requestTimeoutMs: number;
  /** SQS endpoint for dead-letter queues and SQS targets; without it such sends fail (and are recorded). */
  readonly sqsEndpoint?: string;
  /** Told about each event a target did not get. */
  readonly onFailure: (failure: FailedDelivery) => void;
  /** Entries kept by `attempts()` and `failures()` (oldest dropped first). @default 10000 */
  readonly historyLimit?: number;
  /** For tests of the jitter. @default Math.random */
  readonly random?: () => number;
}

export interface DeliveryEngine {
  /** Queue deliveries for one accepted event; never blocks. */
  enqueue(event: BusEvent, matches: readonly RuleMatch[], ingestedAt: Date): void;
  attempts(): DeliveryAttempt[];
  failures(): FailedDelivery[];
  /** Resolves when nothing is queued, waiting for a retry, in flight or being dead-lettered. */
  idle(): Promise<void>;
  /** Cancels queued deliveries and pending retries, waits for requests in flight. Idempotent. */
  stop(): Promise<void>;
}

interface Job {
  readonly seq: number;
  readonly busEvent: BusEvent;
  readonly rule: RuleMatch['rule'];
  readonly target: StoredTarget;
  readonly ingestedAt: number;
  readonly deadline: number;
  readonly maxRetries: number;
  readonly body?: string;
  readonly renderError?: string;
  attempts: number;
  dueAt: number;
}

interface Lane {
  readonly key: string;
  readonly jobs: Job[];
  busy: boolean;
  timer?: NodeJS.Timeout;
}

const DEFAULT_HISTORY_LIMIT = 10_000;

export function createDeliveryEngine(options: DeliveryEngineOptions): DeliveryEngine {
  const random = options.random ?? Math.random;
  const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const lanes = new Map<string, Lane>();
  const limiters = new Map<string, RateLimiter>();
  const attemptLog: DeliveryAttempt[] = [];
  const failureLog: FailedDelivery[] = [];
  const running = new Set<Promise<void>>();
  const sleeps = new Set<{ timer: NodeJS.Timeout; resolve: (completed: boolean) => void }>();
  let idleWaiters: (() => void)[] = [];
  let stopped = false;
  let stopping: Promise<void> | undefined;
  let seq = 0;
  const sqs = createSqsSender(options.sqsEndpoint);

  const remember = <T>(log: T[], entry: T) => {
    log.push(entry);
    if (log.length > historyLimit) log.splice(0, log.length - historyLimit);
  };

  function isIdle(): boolean {
    if (stopped) return running.size === 0;
    for (const lane of lanes.values()) if (lane.busy || lane.jobs.length > 0) return false;
    return true;
  }

  function checkIdle(): void {
    if (idleWaiters.length === 0 || !isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves true after `ms`, or false at once when the engine stops. */
  function sleep(ms: number): Promise<boolean> {
    if (stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          sleeps.delete(entry);
          resolve(true);
        }, ms),
        resolve,
      };
      sleeps.add(entry);
    });
  }

  function pump(lane: Lane): void {
    if (stopped || lane.busy) return;
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.jobs.length === 0) {
      lanes.delete(lane.key);
      checkIdle();
      return;
    }
    const now = Date.now();
    let next: Job | undefined;
    let earliest = Infinity;
    for (const job of lane.jobs) {
      if (job.dueAt <= now) {
        if (!next || job.seq < next.seq) next = job;
      } else {
        earliest = Math.min(earliest, job.dueAt);
      }
    }
    if (!next) {
      lane.timer = setTimeout(() => pump(lane), earliest - now);
      return;
    }
    lane.jobs.splice(lane.jobs.indexOf(next), 1);
    lane.busy = true;
    const run = runJob(lane, next)
      .catch((error: unknown) => {
        // A bug here must not wedge the lane; record it as a failure of this event.
        remember(
          failureLog,
          failureRecord(next, { code: 'INTERNAL_ERROR', message: String(error), retryable: false }, undefined, 'dropped', {
            dropReason: 'stand-in error',
          }),
        );
      })
      .finally(() => {
        running.delete(run);
        lane.busy = false;
        if (stopped) checkIdle();
        else pump(lane);
      });
    running.add(run);
  }

  async function runJob(lane: Lane, job: Job): Promise<void> {
    if (job.renderError !== undefined) {
      return finish(job, { code: 'INVALID_JSON', message: job.renderError, retryable: false }, undefined);
    }
    let result: AttemptResult;
    const startedAt = new Date();
    let method: string | undefined;
    let url: string | undefined;
    if (isApiDestinationArn(job.target.Arn)) {
      const destination = options.apiDestinationByArn(job.target.Arn);
      if (destination) {
        const limiter = limiters.get(destination.arn) ?? new RateLimiter();
        limiters.set(destination.arn, limiter);
        const wait = limiter.reserve(Date.now(), destination.invocationRateLimitPerSecond) - Date.now();
        if (wait > 0 && !(await sleep(wait))) return;
      }
      if (Date.now() > job.deadline) {
        return finish(
          job,
          { code: 'EVENT_EXPIRED', message: 'The event expired before it could be delivered.', retryable: false },
          'MaximumEventAgeInSeconds',
        );
      }
      const request = buildApiDestinationRequest(job.target, job.busEvent.event, job.body, options);
      job.attempts++;
      if ('failure' in request) {
        result = { ok: false, ...request.failure };
      } else {
        method = request.method;
        url = request.url;
        result = await invokeHttp(request, options.requestTimeoutMs);
      }
    } else if (isSqsQueueArn(job.target.Arn)) {
      job.attempts++;
      result = await sqs
        .send(job.target.Arn, job.body ?? '', {}, job.target.SqsParameters?.MessageGroupId, job.busEvent.event.id)
        .then((): AttemptResult => ({ ok: true }))
        .catch((error: unknown): AttemptResult => ({ ok: false, ...sqsFailure(error) }));
    } else {
      job.attempts++;
      result = {
        ok: false,
        code: 'UNSUPPORTED_TARGET',
        message: `The local EventBridge stand-in does not invoke targets like ${job.target.Arn}.`,
        retryable: false,
      };
    }
    const endedAt = new Date();
    const base = {
      ...deliveryIds(job),
      attempt: job.attempts,
      ...(method ? { method } : {}),
      ...(url ? { url } : {}),
      startedAt,
      endedAt,
      ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
    };
    if (result.ok) {
      remember(attemptLog, { ...base, outcome: 'delivered' });
      return;
    }
    const error = result.statusCode === undefined ? { error: result.message } : {};
    if (!result.retryable) {
      remember(attemptLog, { ...base, ...error, outcome: 'failed' });
      return finish(job, result, undefined);
    }
    const retriesDone = job.attempts - 1;
    if (retriesDone >= job.maxRetries) {
      remember(attemptLog, { ...base, ...error, outcome: 'failed' });
      return finish(job, result, 'MaximumRetryAttempts');
    }
    const delay = result.retryAfterMs ?? backoffDelay(retriesDone + 1, options.retry, random);
    const dueAt = Date.now() + delay;
    if (dueAt > job.deadline) {
      remember(attemptLog, { ...base, ...error, outcome: 'failed' });
      return finish(job, result, 'MaximumEventAgeInSeconds');
    }
    remember(attemptLog, { ...base, ...error, outcome: 'retry', retryInMs: delay });
    job.dueAt = dueAt;
    lane.jobs.push(job);
  }

  /** Dead-letters or drops an event the target will not get, and records it. */
  async function finish(job: Job, failure: AttemptFailure, exhausted: ExhaustedRetryCondition | undefined): Promise<void> {
    const record = await deadLetter(job, failure, exhausted, sqs);
    remember(failureLog, record);
    try {
      options.onFailure(record);
    } catch {
      /* a reporting callback must not break delivery */
    }
  }

  return {
    enqueue(busEvent, matches, ingestedAt) {
      if (stopped) return;
      for (const { rule, target } of matches) {
        const policy = target.RetryPolicy ?? {};
        const maxAgeMs = (policy.MaximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS) * 1000 * options.retry.ageScale;
        let body: string | undefined;
        let renderError: string | undefined;
        try {
          body = renderTargetInput(target, busEvent.event, { ruleArn: rule.arn, ruleName: rule.name, ingestionTime: ingestedAt });
        } catch (error) {
          renderError = `The target input could not be built: ${error instanceof Error ? error.message : String(error)}`;
        }
        const job: Job = {
          seq: seq++,
          busEvent,
          rule,
          target,
          ingestedAt: ingestedAt.getTime(),
          deadline: ingestedAt.getTime() + maxAgeMs,
          maxRetries: policy.MaximumRetryAttempts ?? DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
          ...(body !== undefined ? { body } : {}),
          ...(renderError !== undefined ? { renderError } : {}),
          attempts: 0,
          dueAt: 0,
        };
        const key = `${rule.arn}\n${target.Id}`;
        let lane = lanes.get(key);
        if (!lane) {
          lane = { key, jobs: [], busy: false };
          lanes.set(key, lane);
        }
        lane.jobs.push(job);
        pump(lane);
      }
    },
    attempts: () => [...attemptLog],
    failures: () => [...failureLog],
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        for (const lane of lanes.values()) {
          if (lane.timer) clearTimeout(lane.timer);
          lane.jobs.length = 0;
        }
        for (const entry of sleeps) {
          clearTimeout(entry.timer);
          entry.resolve(false);
        }
        sleeps.clear();
        await Promise.allSettled([...running]);
        lanes.clear();
        sqs.destroy();
        checkIdle();
      })();
      return stopping;
    },
  };
}
