import { z } from 'zod';
import type { Access } from './functions.ts';
import { WORKER_TIMEOUT_SECONDS } from './queues.ts';

/**
 * The one definition of every runtime setting: its environment variable, meaning, unit, range and
 * default. Everything else is derived from here:
 *
 * - the stage schema over cdk.json (lib/config.ts): `stageSettingFields()`, same keys as below;
 * - the runtime schema over process.env (lambdas/common/config.ts): `runtimeSettingFields()`;
 * - which function gets which variable (ENV_FOR_ACCESS in definitions/functions.ts): each entry's `access`;
 * - the values CDK and local mode put into a function's environment: `encodeSetting()`;
 * - the settings tables of the docs: `settingsTable()` (`npx tsx bin/settings-table.ts` prints them).
 *
 * Adding a setting: one entry in SETTINGS below (its key is the cdk.json key, nested keys nest there too)
 * naming an access kind — a new `<area>:config` kind goes into ACCESS_KINDS (definitions/functions.ts),
 * a no-op case in grantAccess (lib/constructs/service-function.ts) and the access lists of the functions
 * that read it. Then read it with config().<ENV> in the handler. Stage schema, runtime schema, CDK and
 * local environments follow; if local mode should take it as a PipelineOptions option, map it in
 * localSettings() (local/environment.ts).
 *
 * A stage may be narrower than the runtime (`deploy`): the runtime range is what the code works with
 * (local mode and the tests use it, e.g. a 2 s lease to see crash recovery quickly); a deployed stage
 * additionally has to fit the deployed infrastructure (a lease that outlives the worker's timeout).
 * Every value a stage accepts is therefore one the runtime accepts (test/unit/shared/settings.test.ts).
 *
 * Plain zod and data: imported by the CDK app, the Lambda bundles and local mode alike.
 */

/** Functions that get a setting whatever their access list (log level). */
export const EVERY_FUNCTION = 'every-function';
export type SettingAccess = Access | typeof EVERY_FUNCTION;

interface SettingCommon<E extends string> {
  /** The environment variable the functions read. */
  readonly env: E;
  /** One sentence: what it does. */
  readonly meaning: string;
  /** Which access kinds (definitions/functions.ts) give a function this variable. */
  readonly access: readonly SettingAccess[];
}

export interface NumberSetting<E extends string = string> extends SettingCommon<E> {
  readonly kind: 'integer' | 'decimal';
  /** 'days', 'seconds', 'ms', … */
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** Narrower bounds for a deployed stage, and why. */
  readonly deploy?: { readonly min?: number; readonly max?: number; readonly why: string };
}

export interface OriginSetting<E extends string = string> extends SettingCommon<E> {
  readonly kind: 'origin';
  readonly default: string;
  /** A deployed stage accepts https:// only; the runtime also http:// (local sandbox). */
  readonly deploy: { readonly httpsOnly: true; readonly why: string };
}

export interface ChoiceSetting<E extends string = string, V extends string = string> extends SettingCommon<E> {
  readonly kind: 'choice';
  readonly values: readonly [V, ...V[]];
  readonly default: V;
}

export type Setting<E extends string = string> = NumberSetting<E> | OriginSetting<E> | ChoiceSetting<E>;

/** The value type of a setting. */
export type SettingValue<S> = S extends NumberSetting ? number : S extends ChoiceSetting<string, infer V> ? V : string;

/** Nested like the stage settings in cdk.json (`retry.maxAttempts`). */
export interface SettingTree {
  readonly [key: string]: Setting | SettingTree;
}

const integer = <const E extends string>(s: Omit<NumberSetting<E>, 'kind'>): NumberSetting<E> => ({ kind: 'integer', ...s });
const decimal = <const E extends string>(s: Omit<NumberSetting<E>, 'kind'>): NumberSetting<E> => ({ kind: 'decimal', ...s });
const origin = <const E extends string>(s: Omit<OriginSetting<E>, 'kind'>): OriginSetting<E> => ({ kind: 'origin', ...s });
const choice = <const E extends string, const V extends string>(s: Omit<ChoiceSetting<E, V>, 'kind'>): ChoiceSetting<E, V> => ({
  kind: 'choice',
  ...s,
});

/** Powertools' log levels. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

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
      meaning: "requests per rolling minute per Pinterest account, for accounts without their own rate_limit_per_minute",
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
      meaning:
        "the account's EventBridge rules-per-bus quota (Service Quotas); subscriptions (one rule each) stop 10 rules short of it",
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
} as const satisfies SettingTree;

export type Settings = typeof SETTINGS;

/** Values of a setting tree, nested like it: the stage settings' shape, defaults applied. */
export type SettingValues<T extends SettingTree = Settings> = {
  readonly [K in keyof T]: T[K] extends Setting ? SettingValue<T[K]> : T[K] extends SettingTree ? SettingValues<T[K]> : never;
};

/** Each setting with its path in the tree (`['retry', 'maxAttempts']`). */
export interface SettingEntry {
  readonly path: readonly string[];
  readonly setting: Setting;
}

const isSetting = (node: Setting | SettingTree): node is Setting => typeof (node as { env?: unknown }).env === 'string';

export function settingEntries(tree: SettingTree = SETTINGS, prefix: readonly string[] = []): SettingEntry[] {
  return Object.entries(tree).flatMap(([key, node]) =>
    isSetting(node) ? [{ path: [...prefix, key], setting: node }] : settingEntries(node, [...prefix, key]),
  );
}

export const SETTING_ENTRIES: readonly SettingEntry[] = settingEntries();

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

// ---- zod schemas, derived ----

type Narrowing = 'runtime' | 'stage';

/** `https://host[:port]` with nothing after it (a trailing `/` is the same origin). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

function numberSchema(setting: NumberSetting, narrowing: Narrowing): z.ZodNumber {
  const deploy = narrowing === 'stage' ? setting.deploy : undefined;
  const min = deploy?.min ?? setting.min;
  const max = deploy?.max ?? setting.max;
  const why = deploy ? ` in a deployed stage: ${deploy.why}` : '';
  const base = setting.kind === 'integer' ? z.number().int() : z.number();
  return base
    .min(min, { message: `at least ${min}${deploy?.min !== undefined ? why : ''}` })
    .max(max, { message: `at most ${max}${deploy?.max !== undefined ? why : ''}` });
}

function originSchema(setting: OriginSetting, narrowing: Narrowing): z.ZodType<string, string> {
  const httpsOnly = narrowing === 'stage' && setting.deploy.httpsOnly;
  return z
    .url(httpsOnly ? { protocol: /^https$/, error: `an https:// URL (${setting.deploy.why})` } : { protocol: /^https?$/, error: 'an http(s):// URL' })
    .refine(isOrigin, { message: 'an origin without a path (no /v5)' });
}

function choiceSchema(setting: ChoiceSetting): z.ZodType<string, string> {
  return z.enum(setting.values);
}

function valueSchema(setting: Setting, narrowing: Narrowing): z.ZodType {
  switch (setting.kind) {
    case 'integer':
    case 'decimal':
      return numberSchema(setting, narrowing);
    case 'origin':
      return originSchema(setting, narrowing);
    case 'choice':
      return choiceSchema(setting);
  }
}

/** One setting as cdk.json states it: the deployed range, the default when absent. */
export function stageSettingSchema(setting: Setting): z.ZodType {
  return valueSchema(setting, 'stage').default(setting.default as never);
}

/** One setting as local mode states it: the runtime range, the default when absent. */
export function localSettingSchema(setting: Setting): z.ZodType {
  return valueSchema(setting, 'runtime').default(setting.default as never);
}

/** One setting as a function reads it from its environment: a string, parsed to the runtime range; default when unset. */
export function runtimeSettingSchema(setting: Setting): z.ZodType {
  switch (setting.kind) {
    case 'integer':
    case 'decimal':
      return z.coerce.number().pipe(numberSchema(setting, 'runtime')).default(setting.default);
    case 'origin':
      return originSchema(setting, 'runtime').default(setting.default);
    case 'choice':
      // Powertools reads the level case-insensitively; so does this check.
      return z
        .string()
        .transform((v) => v.toUpperCase())
        .pipe(choiceSchema(setting))
        .default(setting.default);
  }
}

type StageFields<T extends SettingTree> = {
  [K in keyof T]: T[K] extends Setting
    ? z.ZodDefault<z.ZodType<SettingValue<T[K]>, SettingValue<T[K]>>>
    : T[K] extends SettingTree
      ? z.ZodPrefault<z.ZodObject<StageFields<T[K]>, z.core.$strict>>
      : never;
};

function treeFields(tree: SettingTree, leaf: (s: Setting) => z.ZodType): Record<string, z.ZodType> {
  return Object.fromEntries(
    Object.entries(tree).map(([key, node]) => [key, isSetting(node) ? leaf(node) : z.strictObject(treeFields(node, leaf)).prefault({})]),
  );
}

/** The stage schema's fields for the settings (lib/config.ts spreads them into the stage schema). */
export function stageSettingFields(): StageFields<Settings> {
  return treeFields(SETTINGS, stageSettingSchema) as unknown as StageFields<Settings>;
}

/**
 * The same tree over the runtime ranges: what local mode validates its options against (it builds a
 * stage-like object from PipelineOptions and derives each function's environment from it, as CDK does).
 */
export const localSettingsSchema = z.strictObject(treeFields(SETTINGS, localSettingSchema)) as unknown as z.ZodObject<
  StageFields<Settings>,
  z.core.$strict
>;

type Leaves<T> = T extends Setting ? T : T extends SettingTree ? { [K in keyof T]: Leaves<T[K]> }[keyof T] : never;

type RuntimeFields<T extends SettingTree> = {
  [S in Leaves<T> as S extends { readonly env: infer E extends string } ? E : never]: z.ZodDefault<z.ZodType<SettingValue<S>, unknown>>;
};

/** The runtime env schema's fields for the settings (lambdas/common/config.ts spreads them into its schema). */
export function runtimeSettingFields(): RuntimeFields<Settings> {
  return Object.fromEntries(SETTING_ENTRIES.map(({ setting }) => [setting.env, runtimeSettingSchema(setting)])) as unknown as RuntimeFields<Settings>;
}

// ---- resource variables ----

/**
 * Variables that name a deployed resource (or its local stand-in). No range or default: CDK wires each
 * to its resource, local mode to the emulated one; a function without the access simply lacks it.
 */
export const RESOURCE_VARIABLES = {
  JOBS_TABLE_NAME: { meaning: 'jobs table', access: ['jobs:read', 'jobs:write'], schema: z.string().min(1) },
  TENANTS_TABLE_NAME: {
    meaning: 'tenants table (tenants, API key hashes, accounts, pacing buckets)',
    access: ['tenants:read', 'tenants:write', 'tenants:account-status', 'tenants:pacing'],
    schema: z.string().min(1),
  },
  ACCOUNT_SECRET_PREFIX: {
    meaning: 'name prefix of the account token secrets',
    access: ['secrets:read', 'secrets:rotate', 'secrets:write'],
    schema: z.string().regex(/^[A-Za-z0-9/_+=.@-]+$/, 'secret name characters only'),
  },
  ACCOUNT_SECRET_KMS_KEY_ID: { meaning: 'KMS key new account secrets are encrypted with', access: ['secrets:write'], schema: z.string().min(1) },
  PUBLISH_QUEUE_URL: { meaning: 'FIFO publish queue', access: ['publish-queue:send'], schema: z.url() },
  DELAY_QUEUE_URL: { meaning: 'delay queue', access: ['delay-queue:send'], schema: z.url() },
  EVENT_BUS_NAME: { meaning: 'job events bus', access: ['events:put', 'webhooks:manage'], schema: z.string().min(1) },
  WEBHOOK_NAME_PREFIX: {
    meaning: 'name prefix of the connections, API destinations and rules webhook subscriptions create (definitions/webhooks.ts)',
    access: ['webhooks:manage'],
    // The names built from it are checked where they are made (webhookResourceName).
    schema: z.string().min(1).max(40),
  },
  WEBHOOK_TARGET_ROLE_ARN: {
    meaning: 'role EventBridge assumes to invoke the webhook API destinations (passed with PutTargets)',
    access: ['webhooks:manage'],
    schema: z.string().min(1),
  },
  WEBHOOK_DLQ_ARN: {
    meaning: 'dead-letter queue of every webhook target (events whose retries ran out)',
    access: ['webhooks:manage'],
    schema: z.string().min(1),
  },
  WEBHOOK_ALLOW_LOOPBACK_HTTP: {
    meaning:
      "'true' only in local mode: webhook URLs may also be http://127.0.0.1:* and http://localhost:*, and loopback addresses are allowed; deployed stacks wire 'false' (anything but 'true' is strict)",
    access: ['webhooks:manage'],
    schema: z.string().min(1),
  },
  POISON_QUEUE_URL: {
    meaning: 'queue that keeps dead-lettered messages that are not job messages',
    access: ['poison-queue:send'],
    schema: z.url(),
  },
  PINTEREST_APP_SECRET_ARN: {
    meaning: 'secret holding the Pinterest app client id and secret',
    access: ['pinterest:call'],
    schema: z.string().min(1),
  },
} as const satisfies Record<string, { meaning: string; access: readonly Access[]; schema: z.ZodType<string> }>;

export type ResourceVariable = keyof typeof RESOURCE_VARIABLES;
/** What a caller wires each resource variable to (CDK: tokens; local mode: emulator names and URLs). */
export type ResourceValues = { readonly [K in ResourceVariable]?: string };

type ResourceFields = { [K in ResourceVariable]: z.ZodOptional<(typeof RESOURCE_VARIABLES)[K]['schema']> };

/** The runtime env schema's fields for the resource variables: each optional (only the functions with the access get it). */
export function runtimeResourceFields(): ResourceFields {
  return Object.fromEntries(Object.entries(RESOURCE_VARIABLES).map(([name, v]) => [name, v.schema.optional()])) as unknown as ResourceFields;
}

/** Every variable an access kind gives a function: resource variables first, then settings. */
export function envNamesForAccess(access: SettingAccess): string[] {
  return [
    ...Object.entries(RESOURCE_VARIABLES)
      .filter(([, v]) => (v.access as readonly SettingAccess[]).includes(access))
      .map(([name]) => name),
    ...SETTING_ENTRIES.filter(({ setting }) => setting.access.includes(access)).map(({ setting }) => setting.env),
  ];
}

// ---- documentation ----

function rangeText(setting: Setting): string {
  switch (setting.kind) {
    case 'integer':
    case 'decimal': {
      const span = `${setting.min}–${setting.max}${setting.kind === 'integer' ? '' : ' (decimals allowed)'}`;
      if (!setting.deploy) return span;
      const min = setting.deploy.min ?? setting.min;
      const max = setting.deploy.max ?? setting.max;
      return `${span}; deployed stages ${min}–${max} (${setting.deploy.why})`;
    }
    case 'origin':
      return `http(s) origin without a path; deployed stages https only (${setting.deploy.why})`;
    case 'choice':
      return setting.values.map((v) => `\`${v}\``).join(', ');
  }
}

function defaultText(setting: Setting): string {
  return `\`${setting.default}\``;
}

/**
 * The settings table of the docs, one row per setting: the stage key (cdk.json), the variable (local mode
 * and the functions), meaning, unit, range, default. Generated so the docs cannot drift from the schema.
 */
export function settingsTable(): string {
  const rows = SETTING_ENTRIES.map(({ path, setting }) => {
    const unit = setting.kind === 'integer' || setting.kind === 'decimal' ? setting.unit : '';
    return `| \`${path.join('.')}\` | \`${setting.env}\` | ${setting.meaning} | ${unit} | ${rangeText(setting)} | ${defaultText(setting)} |`;
  });
  return ['| stage setting (cdk.json) | variable | meaning | unit | range | default |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
