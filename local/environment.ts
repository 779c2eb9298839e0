import { FUNCTIONS, functionEnvironment, type FunctionDefinition } from '../definitions/functions.ts';
import { DELAY_QUEUE, POISON_QUEUE, PUBLISH_QUEUE, WEBHOOK_DLQ, type QueueDefinition } from '../definitions/queues.ts';
import { localSettingsSchema, type ResourceValues, type SettingValues } from '../definitions/settings.ts';
import { JOBS_TABLE, TENANTS_TABLE, type TableDefinition } from '../definitions/tables.ts';
import { provisionedQueue, provisionedTable, type Provisioned } from './provision.ts';

/**
 * Local mode's function environment, derived the way the CDK stack derives a deployed function's:
 * a stage-like settings object (here built from a pipeline's options instead of cdk.json) and the resources
 * (here the emulated tables and queues) go through functionEnvironment() from definitions/functions.ts.
 * test/infra/definitions-drift.test.ts holds both sides to the same variables and values.
 *
 * Local settings are checked against the runtime ranges, not a deployed stage's: the tests shorten the
 * worker lease or the backoff below what a deployment would accept.
 */

/** Where local mode's defaults differ from a stage's: quieter handler logs, and a sweeper that acts sooner. */
export const LOCAL_DEFAULTS = { logLevel: 'WARN', sweepGraceSeconds: 30 } as const;

/** Lambda's own variables and Powertools' service settings, as local mode fakes them (no X-Ray, no metrics backend). */
export const LOCAL_PLATFORM_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: 'pinrelay',
  POWERTOOLS_METRICS_NAMESPACE: 'Pinrelay',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
} as const;

/** Account token secrets live under this prefix; the stand-in records the key id but encrypts nothing. */
export const LOCAL_ACCOUNT_SECRET_PREFIX = 'pinrelay/local/accounts';
export const LOCAL_ACCOUNT_SECRET_KEY_ID = 'alias/pinrelay-local-accounts';

/** Webhook resources are `<namePrefix>pinrelay-local-wh-<webhook id>` in the EventBridge stand-in. */
export const LOCAL_WEBHOOK_NAME_PREFIX = 'pinrelay-local-wh-';
/** The stand-in checks that API-destination targets carry a role, as AWS does, but assumes none. */
export const LOCAL_WEBHOOK_TARGET_ROLE_ARN = 'arn:aws:iam::000000000000:role/pinrelay-local-webhook-target';

/**
 * Every resource variable wired to its local stand-in, as the CDK stack wires each to its resource
 * (`Required`: a new resource variable does not compile until local mode has a value for it).
 */
export function localResources(
  provisioned: Pick<Provisioned, 'tables' | 'queues'>,
  names: { readonly eventBusName: string; readonly appSecretArn: string; readonly webhookNamePrefix?: string },
): Required<ResourceValues> {
  const table = (def: TableDefinition) => provisionedTable(provisioned, def).name;
  const queue = (def: QueueDefinition) => provisionedQueue(provisioned, def).url;
  return {
    JOBS_TABLE_NAME: table(JOBS_TABLE),
    TENANTS_TABLE_NAME: table(TENANTS_TABLE),
    PUBLISH_QUEUE_URL: queue(PUBLISH_QUEUE),
    DELAY_QUEUE_URL: queue(DELAY_QUEUE),
    POISON_QUEUE_URL: queue(POISON_QUEUE),
    EVENT_BUS_NAME: names.eventBusName,
    ACCOUNT_SECRET_PREFIX: LOCAL_ACCOUNT_SECRET_PREFIX,
    ACCOUNT_SECRET_KMS_KEY_ID: LOCAL_ACCOUNT_SECRET_KEY_ID,
    PINTEREST_APP_SECRET_ARN: names.appSecretArn,
    WEBHOOK_NAME_PREFIX: names.webhookNamePrefix ?? LOCAL_WEBHOOK_NAME_PREFIX,
    WEBHOOK_TARGET_ROLE_ARN: LOCAL_WEBHOOK_TARGET_ROLE_ARN,
    WEBHOOK_DLQ_ARN: provisionedQueue(provisioned, WEBHOOK_DLQ).arn,
    // Local receivers (npm run webhook-receiver, the tests' startWebhookReceiver) listen on http://127.0.0.1.
    WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true',
  };
}

export class LocalSettingsError extends Error {
  override readonly name = 'LocalSettingsError';
}

/** The pipeline options (PipelineOptions extends these) that become the functions' settings. */
export interface LocalSettingsOptions {
  readonly pacing?: { readonly accountPerMinute?: number; readonly appPerSecond?: number; readonly readPerMinute?: number };
  readonly retry?: { readonly baseSeconds?: number; readonly maxAttempts?: number };
  readonly pinterestTimeoutMs?: number;
  /** Tests only: a shorter worker lease, to see crashes recover quickly. */
  readonly workerLeaseSeconds?: number;
  /** Outbox sweeper cadence and grace; false disables it. @default { intervalMs: 10000, graceSeconds: 30 } */
  readonly sweeper?: { readonly intervalMs: number; readonly graceSeconds: number } | false;
  /**
   * The stranded-job backstop: the reconciler's cadence, grace (RECONCILE_GRACE_SECONDS), page and
   * re-dispatch limits, and the consumer of both dead-letter queues. false disables both (the
   * integration tests do, unless they test them).
   * @default { intervalMs: 60000 } (the settings' defaults for the rest)
   */
  readonly reconciler?:
    | { readonly intervalMs: number; readonly graceSeconds?: number; readonly pageLimit?: number; readonly maxRedispatches?: number }
    | false;
  /** Powertools log level of the handlers. @default WARN */
  readonly logLevel?: string;
  /** Webhook settings (`webhooks.*`): per-tenant cap, rules quota, per-subscription request rate. @default the settings' defaults */
  readonly webhooks?: { readonly maxPerTenant?: number; readonly ruleQuota?: number; readonly invocationRateLimitPerSecond?: number };
}

/**
 * The stage-like settings object of a local pipeline: the options it was given, local defaults where
 * local mode has its own, the settings' defaults for the rest. Throws LocalSettingsError naming the
 * option when a value is outside the range the functions accept.
 */
export function localSettings(options: LocalSettingsOptions, pinterestApiBaseUrl: string): SettingValues {
  const sweeper = options.sweeper ?? { graceSeconds: LOCAL_DEFAULTS.sweepGraceSeconds };
  const input = {
    pinterestApiBaseUrl,
    logLevel: (options.logLevel ?? LOCAL_DEFAULTS.logLevel).toUpperCase(),
    // Without a sweeper nobody reads the grace period: the setting's default stands.
    ...(sweeper ? { sweepGraceSeconds: sweeper.graceSeconds } : {}),
    ...(options.pinterestTimeoutMs !== undefined ? { pinterestTimeoutMs: options.pinterestTimeoutMs } : {}),
    ...(options.workerLeaseSeconds !== undefined ? { workerLeaseSeconds: options.workerLeaseSeconds } : {}),
    ...(options.pacing ? { pacing: definedOnly(options.pacing) } : {}),
    ...(options.retry ? { retry: definedOnly(options.retry) } : {}),
    ...(options.webhooks ? { webhooks: definedOnly(options.webhooks) } : {}),
    ...(options.reconciler
      ? {
          reconcile: definedOnly({
            graceSeconds: options.reconciler.graceSeconds,
            pageLimit: options.reconciler.pageLimit,
            maxRedispatches: options.reconciler.maxRedispatches,
          }),
        }
      : {}),
  };
  const parsed = localSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new LocalSettingsError(`invalid local pipeline settings: ${problems}`);
  }
  return parsed.data as SettingValues;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** One function's environment in local mode (what its deployed twin gets, with local resources). */
export function localFunctionEnvironment(
  definition: Pick<FunctionDefinition, 'name' | 'access'>,
  settings: SettingValues,
  resources: ResourceValues,
): Record<string, string> {
  return functionEnvironment(definition, { settings, resources });
}

/**
 * Every local function runs in this one process, so process.env holds the union of their environments.
 * A name means the same value to every function (the same settings and resources feed them all).
 */
export function localFunctionsEnvironment(
  settings: SettingValues,
  resources: ResourceValues,
  functions: readonly Pick<FunctionDefinition, 'name' | 'access'>[] = FUNCTIONS,
): Record<string, string> {
  const union: Record<string, string> = {};
  for (const definition of functions) {
    for (const [name, value] of Object.entries(localFunctionEnvironment(definition, settings, resources))) {
      if (union[name] !== undefined && union[name] !== value) {
        throw new Error(`${name} would differ between local functions (${union[name]} vs ${value} for ${definition.name})`);
      }
      union[name] = value;
    }
  }
  return union;
}
