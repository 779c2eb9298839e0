/**
 * Delivery of matched events to targets, the way EventBridge does it for API destinations (and,
 * because it is cheap, SQS queues), with retries, a per-destination rate limit and dead-letter
 * queues.
 *
 * API destinations (target Arn = an ApiDestinationArn):
 * - one request per event: the destination's HttpMethod to its InvocationEndpoint (`*` in it
 *   replaced by HttpParameters.PathParameterValues, in order), body = the target input (see
 *   input-transformer.ts; no body for GET and HEAD), headers: `User-Agent:
 *   Amazon/EventBridge/ApiDestinations`, `Content-Type: application/json; charset=utf-8`,
 *   `Range: bytes=0-1048575`, then the target's HeaderParameters, then the connection's
 *   InvocationHttpParameters headers, then its authorization (`<ApiKeyName>: <ApiKeyValue>` or
 *   `Authorization: Basic …`); query string = the target's QueryStringParameters plus the
 *   connection's; the connection's BodyParameters are added to a JSON-object body. HTTP parameter
 *   values starting with `$.` are JSON paths into the event (left out when the event has no value).
 * - a request times out after 5 s (`requestTimeoutMs`); redirects are not followed;
 * - 2xx is delivered; 401, 407, 409, 429, 5xx, timeouts and network errors are retried; any other
 *   status fails at once, without retries;
 * - retries wait for `Retry-After` (seconds or an HTTP date) when the response has one, else an
 *   exponential backoff with jitter (`RetryTiming`), until the target's RetryPolicy runs out:
 *   MaximumRetryAttempts retries, or MaximumEventAgeInSeconds since the event was accepted (a retry
 *   that would start later than that is not made);
 * - a failed event goes to the target's DeadLetterConfig queue (the original event JSON as the
 *   body, attributes ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION when retries ran out,
 *   RETRY_ATTEMPTS, RULE_ARN, TARGET_ARN), or is dropped when there is none (or sending fails);
 *   either way it is recorded (`failures()`);
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
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { ApiDestinationSnapshot, ConnectionSnapshot } from './connections.ts';
import { renderTargetInput, resolveHttpParameter } from './input-transformer.ts';
import {
  DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
  DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
  isApiDestinationArn,
  isSqsQueueArn,
  type RuleMatch,
  type StoredTarget,
} from './rules.ts';
import type { BusEvent } from './types.ts';

/** Local retry timing; EventBridge's own schedule (up to minutes between retries) is too slow here. */
export interface RetryTiming {
  /** Backoff before the first retry. @default 1000 */
  readonly firstDelayMs: number;
  /** Backoff cap. @default 20000 */
  readonly maxDelayMs: number;
  /** Growth per retry. @default 2 */
  readonly multiplier: number;
  /** Each backoff is shortened by a random fraction up to this (0 = none, 1 = "full jitter"). @default 0.5 */
  readonly jitter: number;
  /** MaximumEventAgeInSeconds is applied × this: 1 takes it literally, 0.01 turns 60 s into 0.6 s. @default 1 */
  readonly ageScale: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = { firstDelayMs: 1000, maxDelayMs: 20_000, multiplier: 2, jitter: 0.5, ageScale: 1 };
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

export type ExhaustedRetryCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

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

/** An event a target did not get, and what became of it. */
export interface FailedDelivery {
  readonly eventId: string;
  readonly eventBusName: string;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Retries made (attempts − 1). */
  readonly retryAttempts: number;
  readonly exhaustedRetryCondition?: ExhaustedRetryCondition;
  readonly disposition: 'dead-lettered' | 'dropped';
  readonly deadLetterQueueArn?: string;
  readonly deadLetterMessageId?: string;
  readonly dropReason?: string;
  readonly at: Date;
}

export interface DeliveryEngineOptions {
  readonly retry: RetryTiming;
  readonly requestTimeoutMs: number;
  /** SQS endpoint for dead-letter queues and SQS targets; without it such sends fail (and are recorded). */
  readonly sqsEndpoint?: string;
  readonly apiDestinationByArn: (arn: string) => ApiDestinationSnapshot | undefined;
  readonly connectionByArn: (arn: string) => ConnectionSnapshot | undefined;
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

interface Failure {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
}

type AttemptResult = { readonly ok: true; readonly statusCode?: number } | ({ readonly ok: false; readonly statusCode?: number } & Failure);

const RETRYABLE_STATUS = new Set([401, 407, 409, 429]);
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
        remember(failureLog, failureRecord(next, { code: 'INTERNAL_ERROR', message: String(error), retryable: false }, undefined, 'dropped', { dropReason: 'stand-in error' }));
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
        return finish(job, { code: 'EVENT_EXPIRED', message: 'The event expired before it could be delivered.', retryable: false }, 'MaximumEventAgeInSeconds');
      }
      const request = buildRequest(job);
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
      result = { ok: false, code: 'UNSUPPORTED_TARGET', message: `The local EventBridge stand-in does not invoke targets like ${job.target.Arn}.`, retryable: false };
    }
    const endedAt = new Date();
    const base = {
      ...ids(job),
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

  /** Dead-letters or drops an event the target will not get. */
  async function finish(job: Job, failure: Failure, exhausted: ExhaustedRetryCondition | undefined): Promise<void> {
    const queueArn = job.target.DeadLetterConfig?.Arn;
    let record: FailedDelivery;
    if (!queueArn) {
      record = failureRecord(job, failure, exhausted, 'dropped', { dropReason: 'The target has no dead-letter queue.' });
    } else {
      const attributes: Record<string, string> = {
        ERROR_CODE: failure.code,
        ERROR_MESSAGE: failure.message,
        ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: exhausted } : {}),
        RETRY_ATTEMPTS: String(Math.max(0, job.attempts - 1)),
        RULE_ARN: job.rule.arn,
        TARGET_ARN: job.target.Arn,
      };
      try {
        const messageId = await sqs.send(queueArn, JSON.stringify(job.busEvent.event), attributes);
        record = failureRecord(job, failure, exhausted, 'dead-lettered', { deadLetterQueueArn: queueArn, ...(messageId ? { deadLetterMessageId: messageId } : {}) });
      } catch (error) {
        record = failureRecord(job, failure, exhausted, 'dropped', {
          deadLetterQueueArn: queueArn,
          dropReason: `Sending to the dead-letter queue failed: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    }
    remember(failureLog, record);
    try {
      options.onFailure(record);
    } catch {
      /* a reporting callback must not break delivery */
    }
  }

  function failureRecord(
    job: Job,
    failure: Failure,
    exhausted: ExhaustedRetryCondition | undefined,
    disposition: FailedDelivery['disposition'],
    extra: Partial<FailedDelivery>,
  ): FailedDelivery {
    return {
      ...ids(job),
      errorCode: failure.code,
      errorMessage: failure.message,
      retryAttempts: Math.max(0, job.attempts - 1),
      ...(exhausted ? { exhaustedRetryCondition: exhausted } : {}),
      disposition,
      ...extra,
      at: new Date(),
    };
  }

  function buildRequest(job: Job): HttpRequest | { failure: Failure } {
    const destination = options.apiDestinationByArn(job.target.Arn);
    if (!destination) return { failure: { code: 'NO_RESOURCE', message: `ApiDestination ${job.target.Arn} does not exist.`, retryable: false } };
    const connection = options.connectionByArn(destination.connectionArn);
    if (!connection) return { failure: { code: 'NO_RESOURCE', message: `Connection ${destination.connectionArn} does not exist.`, retryable: false } };
    if (connection.state !== 'AUTHORIZED') {
      return { failure: { code: 'NO_PERMISSIONS', message: `Connection ${connection.name} is ${connection.state}: ${connection.stateReason ?? ''}`.trim(), retryable: false } };
    }
    const event = job.busEvent.event;
    const http = job.target.HttpParameters ?? {};
    const pathValues = [...(http.PathParameterValues ?? [])].map((value) => resolveHttpParameter(value, event) ?? '');
    let url: URL;
    try {
      url = new URL(destination.invocationEndpoint.replace(/\*/g, () => encodeURIComponent(pathValues.shift() ?? '*')));
    } catch {
      return { failure: { code: 'INVALID_PARAMETER', message: `Invalid InvocationEndpoint ${destination.invocationEndpoint}.`, retryable: false } };
    }
    for (const [key, value] of Object.entries(http.QueryStringParameters ?? {})) {
      const resolved = resolveHttpParameter(value, event);
      if (resolved !== undefined) url.searchParams.append(key, resolved);
    }
    const invocation = connection.invocationHttpParameters;
    for (const parameter of invocation?.QueryStringParameters ?? []) url.searchParams.set(parameter.Key, parameter.Value);

    const headers: Record<string, string> = {};
    const setHeader = (name: string, value: string) => {
      for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
      headers[name] = value;
    };
    setHeader('User-Agent', 'Amazon/EventBridge/ApiDestinations');
    setHeader('Content-Type', 'application/json; charset=utf-8');
    setHeader('Range', 'bytes=0-1048575');
    for (const [name, value] of Object.entries(http.HeaderParameters ?? {})) {
      const resolved = resolveHttpParameter(value, event);
      if (resolved !== undefined) setHeader(name, resolved);
    }
    for (const parameter of invocation?.HeaderParameters ?? []) setHeader(parameter.Key, parameter.Value);
    if (connection.apiKey) setHeader(connection.apiKey.name.trim(), connection.apiKey.value);
    if (connection.basic) setHeader('Authorization', `Basic ${Buffer.from(`${connection.basic.username}:${connection.basic.password}`).toString('base64')}`);

    let body = job.body ?? '';
    if (invocation && invocation.BodyParameters.length > 0) {
      try {
        const parsed: unknown = JSON.parse(body);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
          for (const parameter of invocation.BodyParameters) (parsed as Record<string, unknown>)[parameter.Key] = parameter.Value;
          body = JSON.stringify(parsed);
        }
      } catch {
        /* not a JSON object: body parameters do not apply */
      }
    }
    const method = destination.httpMethod;
    return { method, url: url.toString(), headers, body: method === 'GET' || method === 'HEAD' ? undefined : body };
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

function ids(job: Job) {
  return {
    eventId: job.busEvent.event.id,
    eventBusName: job.busEvent.eventBusName,
    ruleName: job.rule.name,
    ruleArn: job.rule.arn,
    targetId: job.target.Id,
    targetArn: job.target.Arn,
  };
}

// ---- timing -----------------------------------------------------------------------------------------

/** The wait before retry number `retry` (1 = first retry): exponential, capped, jittered. */
export function backoffDelay(retry: number, timing: RetryTiming, random: () => number = Math.random): number {
  const base = Math.min(timing.maxDelayMs, timing.firstDelayMs * timing.multiplier ** Math.max(0, retry - 1));
  return Math.max(0, Math.round(base * (1 - Math.min(1, Math.max(0, timing.jitter)) * random())));
}

/** `Retry-After` as milliseconds from `nowMs`: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | readonly string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names its month; this keeps Date.parse from reading "-1" as a year.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** At most `perSecond` starts in any one-second window; `reserve` returns when the next may start. */
export class RateLimiter {
  private readonly starts: number[] = [];

  reserve(now: number, perSecond: number): number {
    const limit = Math.max(1, Math.floor(perSecond));
    const earliest = this.starts.length >= limit ? this.starts[this.starts.length - limit]! + 1000 : now;
    const at = Math.max(now, earliest, this.starts.at(-1) ?? now);
    this.starts.push(at);
    if (this.starts.length > limit) this.starts.splice(0, this.starts.length - limit);
    return at;
  }
}

// ---- HTTP -------------------------------------------------------------------------------------------

interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function invokeHttp(request: HttpRequest, timeoutMs: number): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    const done = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const url = new URL(request.url);
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let req: ReturnType<typeof httpRequest>;
    try {
      req = send(url, {
        method: request.method,
        headers: { ...request.headers, Connection: 'close', ...(body ? { 'Content-Length': String(body.length) } : {}) },
        agent: false,
      });
    } catch (error) {
      // e.g. a header value Node refuses to send
      resolve({ ok: false, code: 'INVALID_PARAMETER', message: `Unable to invoke ApiDestination endpoint: ${(error as Error).message}`, retryable: false });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (response) => {
      response.resume();
      const finish = () => done(classify(response.statusCode ?? 0, response.headers));
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', finish);
    });
    req.on('error', (error) => {
      done(
        timedOut
          ? { ok: false, code: 'TIMEOUT', message: `Unable to invoke ApiDestination endpoint: the endpoint did not answer within ${timeoutMs} ms.`, retryable: true }
          : { ok: false, code: 'CONNECTION_FAILURE', message: `Unable to invoke ApiDestination endpoint: ${error.message}`, retryable: true },
      );
    });
    req.end(body);
  });
}

function classify(status: number, headers: IncomingHttpHeaders): AttemptResult {
  if (status >= 200 && status < 300) return { ok: true, statusCode: status };
  const retryable = RETRYABLE_STATUS.has(status) || status >= 500;
  const retryAfterMs = retryable ? parseRetryAfter(headers['retry-after'], Date.now()) : undefined;
  return {
    ok: false,
    statusCode: status,
    code: 'SDK_CLIENT_ERROR',
    message: `Unable to invoke ApiDestination endpoint: The endpoint responded with status code ${status}.`,
    retryable,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

// ---- SQS --------------------------------------------------------------------------------------------

interface SqsSender {
  /** SendMessage to the queue with this ARN; resolves to the MessageId. */
  send(queueArn: string, body: string, attributes: Record<string, string>, groupId?: string, deduplicationId?: string): Promise<string | undefined>;
  destroy(): void;
}

function createSqsSender(endpoint: string | undefined): SqsSender {
  const clients = new Map<string, SQSClient>();
  const urls = new Map<string, string>();
  const clientFor = (region: string): SQSClient => {
    let client = clients.get(region);
    if (!client) {
      client = new SQSClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
      clients.set(region, client);
    }
    return client;
  };
  return {
    async send(queueArn, body, attributes, groupId, deduplicationId) {
      if (!endpoint) throw new Error('the EventBridge stand-in has no sqsEndpoint option');
      const [, , , region = '', , name = ''] = queueArn.split(':');
      const client = clientFor(region);
      let url = urls.get(queueArn);
      if (!url) {
        url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
        if (!url) throw new Error(`no queue URL for ${queueArn}`);
        urls.set(queueArn, url);
      }
      const messageAttributes: Record<string, MessageAttributeValue> = {};
      for (const [key, value] of Object.entries(attributes)) messageAttributes[key] = { DataType: 'String', StringValue: value };
      const fifo = name.endsWith('.fifo');
      const result = await client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          ...(Object.keys(messageAttributes).length > 0 ? { MessageAttributes: messageAttributes } : {}),
          ...(fifo && groupId ? { MessageGroupId: groupId } : {}),
          ...(fifo && deduplicationId ? { MessageDeduplicationId: deduplicationId } : {}),
        }),
      );
      return result.MessageId;
    },
    destroy() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}

function sqsFailure(error: unknown): Failure {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') return { code: 'NO_RESOURCE', message, retryable: false };
  return { code: 'SDK_CLIENT_ERROR', message, retryable: true };
}
