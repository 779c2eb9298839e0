import { WORKER_TIMEOUT_SECONDS } from '../queues.ts';
import {
  API_GATEWAY,
  EVERY_FUNCTION,
  choice,
  decimal,
  integer,
  origin,
  settingEntries,
  type Setting,
  type SettingEntry,
  type SettingTree,
  type SettingValue,
} from './setting-kinds.ts';

/** Powertools' log levels. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/**
 * Every runtime setting, nested like the stage settings in cdk.json (the key is the cdk.json key). Adding
 * one: see definitions/settings.ts.
 */
export const SETTINGS = {
  jobRetentionDays: integer({
    env: 'JOB_RETENTION_DAYS',
    meaning: 'how long a job record is kept after its last update (DynamoDB TTL); also how long its Idempotency-Key is remembered',
    unit: 'days',
    min: 1,
    max: 3650,
    default: 30,
    access: ['jobs:write'],
  }),
  sweepGraceSeconds: integer({
    env: 'SWEEP_GRACE_SECONDS',
    meaning: 'how long a job may stay undispatched before the outbox sweeper sends it itself',
    unit: 'seconds',
    min: 1,
    max: 3600,
    default: 60,
    access: ['sweeper:config'],
  }),
  pinterestApiBaseUrl: origin({
    env: 'PINTEREST_API_BASE_URL',
    meaning: 'Pinterest API origin, without /v5 (sandbox: https://api-sandbox.pinterest.com)',
    default: 'https://api.pinterest.com',
    deploy: { httpsOnly: true, why: 'tokens travel in these requests' },
    access: ['pinterest:call'],
  }),
  pinterestTimeoutMs: integer({
    env: 'PINTEREST_TIMEOUT_MS',
    meaning: 'timeout of one Pinterest API request',
    unit: 'ms',
    min: 1000,
    // One attempt may refresh a token and then create the pin (or list a board to verify a lost create);
    // all of it has to finish inside one worker invocation.
    max: (WORKER_TIMEOUT_SECONDS * 1000) / 2,
    default: 10_000,
    access: ['pinterest:call'],
  }),
  workerLeaseSeconds: integer({
    env: 'WORKER_LEASE_SECONDS',
    meaning: 'how long a claimed job belongs to its worker; after that another delivery may take it over (and verify before creating)',
    unit: 'seconds',
    min: 1,
    max: 900,
    default: 60,
    deploy: {
      min: WORKER_TIMEOUT_SECONDS,
      why: `a lease shorter than the worker's ${WORKER_TIMEOUT_SECONDS} s timeout lets a second worker take a job the first is still publishing`,
    },
    access: ['worker:config'],
  }),
  logLevel: choice({
    env: 'POWERTOOLS_LOG_LEVEL',
    meaning: 'log level of every function (Powertools)',
    values: LOG_LEVELS,
    default: 'INFO',
    access: [EVERY_FUNCTION],
  }),
  pacing: {
    accountPerMinute: integer({
      env: 'PACING_ACCOUNT_PER_MINUTE',
      meaning: 'requests per rolling minute per Pinterest account, for accounts without their own rate_limit_per_minute',
      unit: 'requests/minute',
      min: 1,
      max: 100_000,
      default: 10,
      access: ['pacing:config'],
    }),
    appPerSecond: integer({
      env: 'PACING_APP_PER_SECOND',
      meaning: 'requests per second to Pinterest for the whole app',
      unit: 'requests/second',
      min: 1,
      max: 100_000,
      default: 10,
      access: ['pacing:config'],
    }),
    readPerMinute: integer({
      env: 'PACING_READ_PER_MINUTE',
      meaning:
        "board listings per rolling minute per Pinterest account (verifying unknown outcomes; Pinterest's org_read category), a budget apart from creates",
      unit: 'requests/minute',
      min: 1,
      max: 100_000,
      default: 100,
      access: ['pacing:config'],
    }),
  },
  reconcile: {
    graceSeconds: integer({
      env: 'RECONCILE_GRACE_SECONDS',
      meaning:
        'how long past its due time (when its queue message should have moved it) a non-terminal job waits before the reconciler re-dispatches or recovers it',
      unit: 'seconds',
      min: 1,
      max: 86_400,
      default: 900,
      deploy: {
        min: 300,
        why: "a shorter grace re-sends messages that are only slow (a relay retry, a FIFO group blocked while a poison message ahead is retried) and spends the job's re-dispatch budget",
      },
      access: ['reconcile:config'],
    }),
    pageLimit: integer({
      env: 'RECONCILE_PAGE_LIMIT',
      meaning: 'overdue jobs the reconciler handles per run, earliest first; a larger backlog drains over the next runs',
      unit: 'jobs',
      min: 1,
      max: 1000,
      default: 100,
      access: ['reconcile:config'],
    }),
    maxRedispatches: integer({
      env: 'RECONCILE_MAX_REDISPATCHES',
      meaning: 'times the reconciler re-sends a job in one run (since its last requeue) before it fails it as stranded, route engineering',
      unit: 're-dispatches',
      min: 1,
      max: 20,
      default: 3,
      access: ['reconcile:config'],
    }),
  },
  webhooks: {
    maxPerTenant: integer({
      env: 'WEBHOOKS_MAX_PER_TENANT',
      meaning: 'webhook subscriptions one tenant may have; POST /v1/webhooks beyond it is a 409',
      unit: 'subscriptions',
      min: 1,
      max: 100,
      default: 10,
      access: ['webhooks:manage'],
    }),
    ruleQuota: integer({
      env: 'WEBHOOKS_RULE_QUOTA',
      meaning: "the account's EventBridge rules-per-bus quota (Service Quotas); subscriptions (one rule each) stop 10 rules short of it",
      unit: 'rules',
      min: 20,
      max: 100_000,
      default: 300,
      access: ['webhooks:manage'],
    }),
    invocationRateLimitPerSecond: integer({
      env: 'WEBHOOKS_INVOCATION_RATE_LIMIT_PER_SECOND',
      meaning: "requests per second EventBridge sends to one subscription's URL (its API destination); more wait their turn",
      unit: 'requests/second',
      min: 1,
      max: 300,
      default: 10,
      access: ['webhooks:manage'],
    }),
  },
  retry: {
    baseSeconds: decimal({
      env: 'RETRY_BASE_SECONDS',
      meaning: 'base of the exponential backoff between attempts (per-outcome multipliers on top)',
      unit: 'seconds',
      min: 0.1,
      // The backoff is capped at 900 s (the longest SQS delay): a larger base would be the cap anyway.
      max: 900,
      default: 5,
      access: ['worker:config'],
    }),
    maxAttempts: integer({
      env: 'RETRY_MAX_ATTEMPTS',
      meaning: 'attempts per outcome class before a job fails with its last reason (twice that for rate limits, three times in all)',
      unit: 'attempts',
      min: 1,
      max: 20,
      default: 5,
      access: ['worker:config'],
    }),
  },
  authorizerCacheSeconds: integer({
    env: 'AUTHORIZER_CACHE_SECONDS',
    meaning:
      "how long API Gateway keeps the authorizer's answer for one API key (Authorization header): a revoked key still works until its cached answer expires; 0 turns the cache off",
    unit: 'seconds',
    min: 0,
    // API Gateway's own maximum for an authorizer's result TTL.
    max: 3600,
    default: 60,
    access: [API_GATEWAY],
  }),
  tenantLimits: {
    rateLimit: integer({
      env: 'TENANT_RATE_LIMIT',
      meaning:
        "requests per second one tenant may send on average (its usage-plan key's throttle; keep it below apiThrottle.rateLimit, the whole stage's); more answer 429 rate_limited",
      unit: 'requests/second',
      min: 1,
      max: 10_000,
      default: 20,
      access: [API_GATEWAY],
    }),
    burstLimit: integer({
      env: 'TENANT_BURST_LIMIT',
      meaning: 'requests one tenant may send at once before its rate applies (the token bucket of its usage-plan key)',
      unit: 'requests',
      min: 1,
      // API Gateway's largest burst (and the stage's apiThrottle.burstLimit cap).
      max: 5000,
      default: 40,
      access: [API_GATEWAY],
    }),
    dailyQuota: integer({
      env: 'TENANT_DAILY_QUOTA',
      meaning: 'requests one tenant may send per UTC day (usage-plan quota); beyond it 429 rate_limited until midnight UTC; 0 = no quota',
      unit: 'requests/day',
      min: 0,
      max: 1_000_000_000,
      default: 0,
      access: [API_GATEWAY],
    }),
  },
} as const satisfies SettingTree;

export type Settings = typeof SETTINGS;

/** Values of a setting tree, nested like it: the stage settings' shape, defaults applied. */
export type SettingValues<T extends SettingTree = Settings> = {
  readonly [K in keyof T]: T[K] extends Setting ? SettingValue<T[K]> : T[K] extends SettingTree ? SettingValues<T[K]> : never;
};

export const SETTING_ENTRIES: readonly SettingEntry[] = settingEntries(SETTINGS);

/** The value of one setting in a (stage or local) settings object. */
export function settingValue(values: SettingValues, path: readonly string[]): number | string {
  let node: unknown = values;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  if (typeof node !== 'number' && typeof node !== 'string') {
    throw new Error(`setting ${path.join('.')} has no value (${JSON.stringify(node)})`);
  }
  return node;
}

/** How a value travels in an environment variable (and back through the runtime schema unchanged). */
export function encodeSetting(value: number | string): string {
  return String(value);
}
