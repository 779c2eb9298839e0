import { FUNCTIONS, type FunctionName } from './functions.ts';

/**
 * The one catalogue of pinrelay's custom CloudWatch metrics: name, unit, breakdown dimension, which
 * functions emit it and what it means. The functions emit them through lambdas/common/observability.ts
 * (Powertools metrics, embedded metric format); the dashboard and the alarms take the names from here,
 * so a renamed metric fails to compile rather than leaving an empty graph.
 *
 * - Namespace: one per stage, `Pinrelay/<stage>` (metricsNamespace), set as POWERTOOLS_METRICS_NAMESPACE.
 * - Every metric carries the dimension `service` = `pinrelay` (Powertools adds it): SERVICE_DIMENSIONS.
 * - A metric with a `breakdown` is published twice: with `service` only (the total, for alarms and
 *   rates) and with `service` plus the breakdown dimension (one series per value, for stacked graphs).
 * - Dimensions are small fixed sets; never a job, tenant or account id (those are log keys and
 *   trace annotations).
 *
 * Counts are per event: read them with the Sum statistic. Durations are in milliseconds, one value
 * per event: read them with p50/p99 or Average.
 *
 * Plain data: imported by the CDK app and the Lambda bundles alike.
 */

/** Namespace root; a stage's namespace is `Pinrelay/<stage>`. */
export const METRICS_NAMESPACE_ROOT = 'Pinrelay';

/** The CloudWatch namespace of a stage's metrics. */
export function metricsNamespace(stage: string): string {
  return `${METRICS_NAMESPACE_ROOT}/${stage}`;
}

/** Powertools' service name (POWERTOOLS_SERVICE_NAME), which is also a dimension of every metric. */
export const SERVICE_NAME = 'pinrelay';

/** The dimensions of a metric's total: what a dashboard or alarm passes as `dimensionsMap`. */
export const SERVICE_DIMENSIONS = { service: SERVICE_NAME } as const;

export type MetricUnitName = 'Count' | 'Milliseconds';

export interface MetricBreakdown {
  /** The dimension's name. */
  readonly name: string;
  /** Every value it can take. */
  readonly values: readonly string[];
}

export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnitName;
  readonly breakdown?: MetricBreakdown;
  readonly emittedBy: readonly FunctionName[];
  /** One sentence: what one unit of it is. */
  readonly meaning: string;
}

/** An attempt's outcome class (lambdas/domain/classify.ts); `succeeded` when Pinterest created or verified the pin. */
export const OUTCOME_VALUES = ['succeeded', 'retry_now', 'retry_later', 'unknown', 'needs_human', 'stop', 'bug'] as const;
/** Who has to act on a failed job (JobFailure.route). */
export const FAILURE_ROUTE_VALUES = ['client', 'ops', 'engineering'] as const;
/** The statuses a job ends in. */
export const TERMINAL_STATUS_VALUES = ['succeeded', 'failed', 'cancelled'] as const;
/** Error codes of a refused request (lambdas/api/schemas/error.ts) other than `internal`. */
export const REJECTION_CODE_VALUES = [
  'validation_error',
  'unauthorized',
  'not_found',
  'conflict',
  'idempotency_key_reused',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
] as const;

/** Every API route's function: httpHandler (lambdas/common/http.ts) emits the API metrics in each. */
const API_FUNCTIONS: readonly FunctionName[] = FUNCTIONS.filter((f) => f.trigger.kind === 'api').map((f) => f.name);

const breakdown = <const V extends readonly string[]>(name: string, values: V) => ({ name, values });

export const METRICS = {
  // ---- API ----
  ApiResponses: {
    name: 'ApiResponses',
    unit: 'Count',
    breakdown: breakdown('status_class', ['2xx', '4xx', '5xx']),
    emittedBy: API_FUNCTIONS,
    meaning: 'an API answer of the function, by status class (API Gateway has the same per stage; this one is per function)',
  },
  UnhandledApiErrors: {
    name: 'UnhandledApiErrors',
    unit: 'Count',
    emittedBy: API_FUNCTIONS,
    meaning: 'a request answered 500 because of an unexpected exception (a bug or an unavailable dependency); its log line has the stack',
  },
  ApiKeysRejected: {
    name: 'ApiKeysRejected',
    unit: 'Count',
    emittedBy: ['authorize-request'],
    meaning: 'a request refused by the authorizer: missing or unknown API key (cached denials are not counted)',
  },

  // ---- intake ----
  JobsAccepted: {
    name: 'JobsAccepted',
    unit: 'Count',
    emittedBy: ['create-pin'],
    meaning: 'a new job stored by POST /v1/pins (202)',
  },
  JobsReplayed: {
    name: 'JobsReplayed',
    unit: 'Count',
    emittedBy: ['create-pin'],
    meaning: 'POST /v1/pins answered with the existing job of its Idempotency-Key (200, Idempotent-Replayed)',
  },
  JobsRejected: {
    name: 'JobsRejected',
    unit: 'Count',
    breakdown: breakdown('code', REJECTION_CODE_VALUES),
    emittedBy: ['create-pin'],
    meaning: 'POST /v1/pins refused with a 4xx, by error code; nothing was stored',
  },

  // ---- worker ----
  Attempts: {
    name: 'Attempts',
    unit: 'Count',
    breakdown: breakdown('outcome', OUTCOME_VALUES),
    emittedBy: ['publish-pin'],
    meaning: 'a recorded publish attempt, by outcome class (a crashed or abandoned attempt included)',
  },
  WorkerCrashes: {
    name: 'WorkerCrashes',
    unit: 'Count',
    emittedBy: ['publish-pin'],
    meaning: 'an exception after the claim, recorded on the job as a crash; its log line has the stack',
  },
  QueueWait: {
    name: 'QueueWait',
    unit: 'Milliseconds',
    emittedBy: ['publish-pin'],
    meaning: 'from the job becoming queued to the worker claiming it (pacing waits included), per attempt started',
  },
  PinterestCallDuration: {
    name: 'PinterestCallDuration',
    unit: 'Milliseconds',
    breakdown: breakdown('call', ['create_pin', 'list_board_pins']),
    emittedBy: ['publish-pin'],
    meaning: 'one Pinterest API request of the worker, answered or not, by call',
  },
  PinterestRateLimited: {
    name: 'PinterestRateLimited',
    unit: 'Count',
    breakdown: breakdown('retry_after', ['present', 'absent']),
    emittedBy: ['publish-pin'],
    meaning: 'a 429 from Pinterest to a create or a board listing, by whether it carried Retry-After',
  },
  PacingHolds: {
    name: 'PacingHolds',
    unit: 'Count',
    emittedBy: ['publish-pin'],
    meaning: 'a job parked in the delay queue (or given back) because its account or the app had no pacing token; no attempt counted',
  },
  DeliveriesSkipped: {
    name: 'DeliveriesSkipped',
    unit: 'Count',
    emittedBy: ['publish-pin'],
    meaning: 'a publish-queue message acknowledged without effect: stale version, job not queued, claimed elsewhere',
  },
  TokenRefreshes: {
    name: 'TokenRefreshes',
    unit: 'Count',
    emittedBy: ['publish-pin'],
    meaning: 'an account access token refreshed by Pinterest (ahead of expiry or after a 401)',
  },
  TokenRefreshFailures: {
    name: 'TokenRefreshFailures',
    unit: 'Count',
    breakdown: breakdown('reason', ['refused', 'no_refresh_token', 'refresh_token_expired', 'app_credentials_missing', 'transient']),
    emittedBy: ['publish-pin'],
    meaning:
      'a token refresh that did not happen, by reason: refused (Pinterest 4xx: reconnect the account), no or expired refresh token, app credentials not stored, transient (5xx, 429, network)',
  },
  TokenRotationNotStored: {
    name: 'TokenRotationNotStored',
    unit: 'Count',
    emittedBy: ['publish-pin'],
    meaning: 'a refreshed token pair Secrets Manager did not take after retries; the container keeps it and retries (alarm on it)',
  },

  // ---- job status changes (seen by the outbox relay, whoever made them) ----
  JobsSucceeded: {
    name: 'JobsSucceeded',
    unit: 'Count',
    emittedBy: ['relay-outbox'],
    meaning: 'a job that became succeeded',
  },
  JobsFailed: {
    name: 'JobsFailed',
    unit: 'Count',
    breakdown: breakdown('route', FAILURE_ROUTE_VALUES),
    emittedBy: ['relay-outbox'],
    meaning: 'a job that became failed (by the worker or the reconciler), by failure route',
  },
  JobsCancelled: {
    name: 'JobsCancelled',
    unit: 'Count',
    emittedBy: ['relay-outbox'],
    meaning: 'a job that became cancelled',
  },
  RetriesScheduled: {
    name: 'RetriesScheduled',
    unit: 'Count',
    breakdown: breakdown('outcome', OUTCOME_VALUES),
    emittedBy: ['relay-outbox'],
    meaning: 'a job that became retry_scheduled, by the outcome class of the attempt that caused it',
  },
  EndToEndDuration: {
    name: 'EndToEndDuration',
    unit: 'Milliseconds',
    breakdown: breakdown('status', TERMINAL_STATUS_VALUES),
    emittedBy: ['relay-outbox'],
    meaning: "from a job's creation to its terminal status, by that status",
  },
  JobsDispatched: {
    name: 'JobsDispatched',
    unit: 'Count',
    emittedBy: ['relay-outbox'],
    meaning: 'a queue message sent by the outbox relay for a job change (publish or delay queue)',
  },
  JobEventsPublished: {
    name: 'JobEventsPublished',
    unit: 'Count',
    breakdown: breakdown('source', ['relay', 'sweeper']),
    emittedBy: ['relay-outbox', 'sweep-outbox'],
    meaning: 'a job status event accepted by the event bus, by who published it (the sweeper publishes what the relay could not)',
  },
  JobChangesFailed: {
    name: 'JobChangesFailed',
    unit: 'Count',
    emittedBy: ['relay-outbox'],
    meaning: 'a jobs-table stream record the relay could not handle; the stream retries it',
  },

  // ---- safety nets ----
  SweeperRedispatches: {
    name: 'SweeperRedispatches',
    unit: 'Count',
    emittedBy: ['sweep-outbox'],
    meaning: 'a queue message the sweeper sent because the relay had not confirmed it',
  },
  ReconcilerRedispatches: {
    name: 'ReconcilerRedispatches',
    unit: 'Count',
    emittedBy: ['reconcile-stranded-jobs'],
    meaning: 'an overdue job whose queue message was lost, given a new version (and message) by the reconciler',
  },
  ReconcilerRecoveries: {
    name: 'ReconcilerRecoveries',
    unit: 'Count',
    emittedBy: ['reconcile-stranded-jobs'],
    meaning: 'a running job whose lease expired with no message left, recovered by the reconciler (attempt recorded unknown)',
  },
  ReconcilerStranded: {
    name: 'ReconcilerStranded',
    unit: 'Count',
    emittedBy: ['reconcile-stranded-jobs'],
    meaning: 'a job failed by the reconciler (route engineering, reason stranded) after too many re-dispatches',
  },
  DeadLettersRecorded: {
    name: 'DeadLettersRecorded',
    unit: 'Count',
    breakdown: breakdown('result', ['recorded', 'stale', 'job_gone', 'parked']),
    emittedBy: ['record-dead-letters'],
    meaning: 'a dead-lettered message handled, by result: recorded on its job, stale, job gone, parked in the poison queue',
  },
  DelayQueueMessages: {
    name: 'DelayQueueMessages',
    unit: 'Count',
    breakdown: breakdown('result', ['released', 'queued', 'redelayed', 'dropped']),
    emittedBy: ['release-due-jobs'],
    meaning: 'a delay-queue message handled, by result: pacing hold released, due job queued, delayed again, dropped as stale',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

/** Every metric, for tables and tests. */
export const METRIC_LIST: readonly MetricDefinition[] = Object.values(METRICS);

/**
 * The catalogue as a Markdown table (name, unit, breakdown, emitted by, meaning) for the docs:
 * generated, like the settings table, so the docs cannot drift from the code.
 */
export function metricsTable(): string {
  const rows = METRIC_LIST.map((m) => {
    const dims = m.breakdown ? `\`${m.breakdown.name}\`: ${m.breakdown.values.map((v) => `\`${v}\``).join(', ')}` : '';
    return `| \`${m.name}\` | ${m.unit} | ${dims} | ${m.emittedBy.map((f) => `\`${f}\``).join(', ')} | ${m.meaning} |`;
  });
  return ['| metric | unit | breakdown dimension | emitted by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
