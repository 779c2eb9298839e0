import { ACCESS_KINDS, type Access } from './access.ts';
import { WORKER_TIMEOUT_SECONDS } from './queues.ts';
import {
  EVERY_FUNCTION,
  RESOURCE_VARIABLES,
  SETTING_ENTRIES,
  encodeSetting,
  envNamesForAccess,
  settingValue,
  type ResourceValues,
  type SettingValues,
} from './settings.ts';

/**
 * Catalogue of pinrelay's Lambda functions: where each handler lives, what triggers it and which
 * resources it may touch. The CDK stack derives each function's environment and IAM grants from
 * `access` (nothing more), and local mode mounts the same handlers on the same routes.
 */

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
    | { readonly kind: 'delay-queue' }
    /** Both dead-letter queues of the publish pipeline (publish DLQ, delay DLQ): batch ≤ 10, ReportBatchItemFailures. */
    | { readonly kind: 'dead-letter-queues' };
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
    name: 'get-stats',
    description: "GET /v1/stats: the tenant's jobs by status, the last hour's finished jobs, and per account the backlog and pacing state",
    // Counts on the jobs table's indexes; account listing and pacing buckets on the tenants table.
    access: ['jobs:read', 'tenants:read', 'pacing:config'],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/stats', authorized: true }] },
    // A few dozen paginated counts: more than the default 10 s for a large tenant, less than API Gateway's 29 s.
    timeoutSeconds: 25,
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
    name: 'get-event-schema',
    description: 'GET /v1/events/schema.json: JSON Schema of the job events and webhook deliveries, generated from the zod schemas',
    access: [],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/events/schema.json', authorized: false }] },
  },
  {
    name: 'create-webhook',
    description: 'POST /v1/webhooks: subscribe a URL to job events (EventBridge connection, API destination, rule, target)',
    access: ['webhooks:manage'],
    trigger: { kind: 'api', routes: [{ method: 'POST', path: '/v1/webhooks', authorized: true }] },
    // Five control-plane calls, plus undoing them when one fails; WEBHOOK_PROVISIONING_STALE_SECONDS is well above this.
    timeoutSeconds: 30,
  },
  {
    name: 'list-webhooks',
    description: "GET /v1/webhooks: the tenant's subscriptions, newest first (never their secrets)",
    access: ['webhooks:manage'],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/webhooks', authorized: true }] },
    timeoutSeconds: 30,
  },
  {
    name: 'get-webhook',
    description: 'GET /v1/webhooks/{webhook_id} (never its secret)',
    access: ['webhooks:manage'],
    trigger: { kind: 'api', routes: [{ method: 'GET', path: '/v1/webhooks/{webhook_id}', authorized: true }] },
    timeoutSeconds: 30,
  },
  {
    name: 'delete-webhook',
    description: 'DELETE /v1/webhooks/{webhook_id}: removes its target, rule, API destination and connection',
    access: ['webhooks:manage'],
    trigger: { kind: 'api', routes: [{ method: 'DELETE', path: '/v1/webhooks/{webhook_id}', authorized: true }] },
    timeoutSeconds: 30,
  },
  {
    name: 'rotate-webhook-secret',
    description: 'POST /v1/webhooks/{webhook_id}/rotate-secret: a new secret in the connection, shown once',
    access: ['webhooks:manage'],
    trigger: { kind: 'api', routes: [{ method: 'POST', path: '/v1/webhooks/{webhook_id}/rotate-secret', authorized: true }] },
  },
  {
    name: 'test-webhook',
    description: 'POST /v1/webhooks/{webhook_id}/test: a webhook.test event through the bus, to this subscription only',
    access: ['webhooks:manage'],
    trigger: { kind: 'api', routes: [{ method: 'POST', path: '/v1/webhooks/{webhook_id}/test', authorized: true }] },
  },
  {
    name: 'relay-outbox',
    description:
      'Jobs table stream consumer (outbox): enqueues queued jobs, holds scheduled ones in the delay queue, publishes one event per status change',
    access: ['jobs:write', 'publish-queue:send', 'delay-queue:send', 'events:put'],
    trigger: { kind: 'jobs-stream' },
    timeoutSeconds: 30,
  },
  {
    name: 'sweep-outbox',
    description: 'Outbox safety net: re-sends queue messages and publishes job events the relay did not confirm',
    access: ['jobs:write', 'publish-queue:send', 'delay-queue:send', 'events:put', 'sweeper:config'],
    trigger: { kind: 'schedule', everyMinutes: 1 },
    timeoutSeconds: 60,
  },
  {
    name: 'publish-pin',
    description: 'Publish queue worker: claims a job, paces it, calls Pinterest, records the attempt and the next status',
    access: [
      'jobs:write',
      'tenants:account-status',
      'tenants:pacing',
      'secrets:read',
      'secrets:rotate',
      'delay-queue:send',
      'pinterest:call',
      'pacing:config',
      'worker:config',
    ],
    trigger: { kind: 'publish-queue' },
    timeoutSeconds: WORKER_TIMEOUT_SECONDS,
    memorySize: 512,
  },
  {
    name: 'release-due-jobs',
    description: 'Delay queue consumer: due scheduled/retry_scheduled jobs become queued; paced jobs go back to their FIFO group',
    access: ['jobs:write', 'publish-queue:send', 'delay-queue:send'],
    trigger: { kind: 'delay-queue' },
    timeoutSeconds: 30,
  },
  {
    name: 'reconcile-stranded-jobs',
    description:
      'Backstop: re-dispatches overdue non-terminal jobs whose queue message is gone (dead-lettered or lost), recovers expired leases, fails jobs re-dispatched too often',
    // The re-dispatch is a job write (a new version): the outbox sends the message, so no queue access.
    access: ['jobs:write', 'worker:config', 'reconcile:config'],
    trigger: { kind: 'schedule', everyMinutes: 5 },
    timeoutSeconds: 60,
  },
  {
    name: 'record-dead-letters',
    description:
      'Dead-letter queue consumer (publish and delay DLQs): records the incident on the job and makes it due for the reconciler; parks non-job messages in the poison queue',
    access: ['jobs:write', 'poison-queue:send'],
    trigger: { kind: 'dead-letter-queues' },
    timeoutSeconds: 20,
  },
] as const satisfies readonly FunctionDefinition[];

export type FunctionName = (typeof FUNCTIONS)[number]['name'];

/**
 * Environment variable names per access kind, derived from the variables' definitions
 * (definitions/settings.ts): only these reach a function, so each function gets the environment
 * it needs and nothing more.
 */
export const ENV_FOR_ACCESS: Readonly<Record<Access, readonly string[]>> = Object.fromEntries(
  ACCESS_KINDS.map((access) => [access, envNamesForAccess(access)]),
) as unknown as Record<Access, readonly string[]>;

/** Variables every function gets whatever its access list (settings such as the log level). */
export const ENV_FOR_EVERY_FUNCTION: readonly string[] = envNamesForAccess(EVERY_FUNCTION);

/**
 * A function's environment from its access list: each resource variable wired to `resources`, each
 * setting encoded from `settings`. CDK (lib/constructs/service-function.ts) and local mode
 * (local/environment.ts) both call this, so a deployed function and its local twin read the same
 * variables with the same values for the same settings.
 */
export function functionEnvironment(
  definition: Pick<FunctionDefinition, 'name' | 'access'>,
  values: { readonly settings: SettingValues; readonly resources: ResourceValues },
): Record<string, string> {
  const names = new Set([...ENV_FOR_EVERY_FUNCTION, ...definition.access.flatMap((access) => ENV_FOR_ACCESS[access])]);
  const environment: Record<string, string> = {};
  for (const name of names) {
    if (Object.hasOwn(RESOURCE_VARIABLES, name)) {
      const value = values.resources[name as keyof ResourceValues];
      if (value === undefined) throw new Error(`${definition.name}: no resource wired for ${name}`);
      environment[name] = value;
      continue;
    }
    const entry = SETTING_ENTRIES.find(({ setting }) => setting.env === name);
    if (!entry) throw new Error(`${definition.name}: ${name} is neither a resource variable nor a setting (definitions/settings.ts)`);
    environment[name] = encodeSetting(settingValue(values.settings, entry.path));
  }
  return environment;
}
