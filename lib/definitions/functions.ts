import { WORKER_TIMEOUT_SECONDS } from './queues.ts';

/**
 * Catalogue of pinrelay's Lambda functions: where each handler lives, what triggers it and which
 * resources it may touch. The CDK stack derives each function's environment and IAM grants from
 * `access` (nothing more), and local mode mounts the same handlers on the same routes.
 */

/** What a function may touch. Each entry maps to env vars + the narrowest IAM grant. */
export type Access =
  | 'jobs:read'
  | 'jobs:write'
  | 'tenants:read'
  | 'tenants:write'
  | 'secrets:write'
  | 'secrets:read'
  /** Store a refreshed token pair in an existing account secret (PutSecretValue only). */
  | 'secrets:rotate'
  | 'publish-queue:send'
  | 'delay-queue:send'
  | 'events:put'
  /** Calls Pinterest: API origin, timeout, and read access to the Pinterest app credentials secret. */
  | 'pinterest:call'
  /** Pacing and retry policy defaults (stage config). */
  | 'pacing:config';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface ApiRoute {
  readonly method: HttpMethod;
  /** API Gateway resource path, `{name}` for path parameters. */
  readonly path: string;
  /** false only for public documents (the OpenAPI document). */
  readonly authorized: boolean;
}

export interface FunctionDefinition {
  /** `<verb>-<noun>`: the folder under lambdas/ holding handler.ts, and the CDK construct id (PascalCased). */
  readonly name: string;
  readonly description: string;
  readonly access: readonly Access[];
  readonly trigger:
    | { readonly kind: 'api'; readonly routes: readonly ApiRoute[] }
    | { readonly kind: 'authorizer' }
    | { readonly kind: 'jobs-stream' }
    | { readonly kind: 'schedule'; readonly everyMinutes: number }
    /** The FIFO publish queue: batch ≤ 10, ReportBatchItemFailures. */
    | { readonly kind: 'publish-queue' }
    /** The standard delay queue: batch ≤ 10, ReportBatchItemFailures. */
    | { readonly kind: 'delay-queue' };
  /** Seconds; default 10. */
  readonly timeoutSeconds?: number;
  /** MB; default 256. */
  readonly memorySize?: number;
}

export const FUNCTIONS = [
  {
    name: 'authorize-request',
    description: 'API Gateway REQUEST authorizer: Bearer API key -> tenant',
    access: ['tenants:read'],
    trigger: { kind: 'authorizer' },
  },
  {
    name: 'create-pin',
    description: 'POST /v1/pins: idempotent intake of a publish intent',
    access: ['jobs:write', 'tenants:read'],
    trigger: { kind: 'api', routes: [{ method: 'POST', path: '/v1/pins', authorized: true }] },
  },
  {
    name: 'get-job',
    description: 'GET /v1/jobs/{job_id}',
    access: ['jobs:read'],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/jobs/{job_id}', authorized: true }] },
  },
  {
    name: 'list-jobs',
    description: 'GET /v1/jobs: newest first, filtered, paginated',
    access: ['jobs:read'],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/jobs', authorized: true }] },
  },
  {
    name: 'cancel-job',
    description: 'POST /v1/jobs/{job_id}/cancel',
    access: ['jobs:write'],
    trigger: { kind: 'api', routes: [{ method: 'POST', path: '/v1/jobs/{job_id}/cancel', authorized: true }] },
  },
  {
    name: 'requeue-job',
    description: 'POST /v1/jobs/{job_id}/requeue: re-run a failed job, optionally with corrected pin fields',
    access: ['jobs:write'],
    trigger: { kind: 'api', routes: [{ method: 'POST', path: '/v1/jobs/{job_id}/requeue', authorized: true }] },
  },
  {
    name: 'get-account-rate',
    description: 'GET /v1/accounts/{account_id}/rate: the account token bucket',
    access: ['tenants:read', 'pacing:config'],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/accounts/{account_id}/rate', authorized: true }] },
  },
  {
    name: 'put-account',
    description: 'PUT /v1/accounts/{account_id}: connect or replace a Pinterest account (tokens to Secrets Manager)',
    access: ['tenants:write', 'secrets:write'],
    trigger: { kind: 'api', routes: [{ method: 'PUT', path: '/v1/accounts/{account_id}', authorized: true }] },
  },
  {
    name: 'get-account',
    description: 'GET /v1/accounts/{account_id}',
    access: ['tenants:read'],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/accounts/{account_id}', authorized: true }] },
  },
  {
    name: 'get-openapi',
    description: 'GET /v1/openapi.json: the OpenAPI document generated from the zod schemas',
    access: [],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/openapi.json', authorized: false }] },
  },
  {
    name: 'relay-job-changes',
    description: 'Jobs table stream consumer (outbox): enqueues queued jobs, holds scheduled ones in the delay queue',
    access: ['jobs:write', 'publish-queue:send', 'delay-queue:send'],
    trigger: { kind: 'jobs-stream' },
    timeoutSeconds: 30,
  },
  {
    name: 'sweep-pending-enqueues',
    description: 'Outbox safety net: re-sends jobs whose enqueue was never confirmed',
    access: ['jobs:write', 'publish-queue:send', 'delay-queue:send'],
    trigger: { kind: 'schedule', everyMinutes: 1 },
    timeoutSeconds: 60,
  },
  {
    name: 'publish-pin',
    description: 'Publish queue worker: claims a job, paces it, calls Pinterest, records the attempt and the next status',
    access: ['jobs:write', 'tenants:write', 'secrets:read', 'secrets:rotate', 'delay-queue:send', 'pinterest:call', 'pacing:config'],
    trigger: { kind: 'publish-queue' },
    timeoutSeconds: WORKER_TIMEOUT_SECONDS,
    memorySize: 512,
  },
  {
    name: 'requeue-due-jobs',
    description: 'Delay queue consumer: due scheduled/retry_scheduled jobs become queued; paced jobs go back to their FIFO group',
    access: ['jobs:write', 'publish-queue:send', 'delay-queue:send'],
    trigger: { kind: 'delay-queue' },
    timeoutSeconds: 30,
  },
] as const satisfies readonly FunctionDefinition[];

export type FunctionName = (typeof FUNCTIONS)[number]['name'];

/**
 * Environment variable names per access kind. Only these reach a function (STYLE: each function gets
 * only the env it needs).
 */
export const ENV_FOR_ACCESS: Record<Access, readonly string[]> = {
  'jobs:read': ['JOBS_TABLE_NAME'],
  'jobs:write': ['JOBS_TABLE_NAME', 'JOB_RETENTION_DAYS'],
  'tenants:read': ['TENANTS_TABLE_NAME'],
  'tenants:write': ['TENANTS_TABLE_NAME'],
  'secrets:read': ['ACCOUNT_SECRET_PREFIX'],
  'secrets:rotate': ['ACCOUNT_SECRET_PREFIX'],
  'secrets:write': ['ACCOUNT_SECRET_PREFIX', 'ACCOUNT_SECRET_KMS_KEY_ID'],
  'publish-queue:send': ['PUBLISH_QUEUE_URL'],
  'delay-queue:send': ['DELAY_QUEUE_URL'],
  'events:put': ['EVENT_BUS_NAME'],
  'pinterest:call': ['PINTEREST_API_BASE_URL', 'PINTEREST_TIMEOUT_MS', 'PINTEREST_APP_SECRET_ARN'],
  'pacing:config': ['PACING_ACCOUNT_PER_MINUTE', 'PACING_APP_PER_SECOND', 'RETRY_BASE_SECONDS', 'RETRY_MAX_ATTEMPTS'],
};
