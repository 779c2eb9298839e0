import { z } from 'zod';
import { parseWebhookUrl, WebhookUrlError } from '../lambdas/domain/webhook-url.ts';
import { stageSettingFields } from '../definitions/settings.ts';
import { JOB_EVENT_TYPES, STATIC_WEBHOOK_NAME_MAX_LENGTH, STATIC_WEBHOOK_NAME_PATTERN } from '../definitions/webhooks.ts';

/**
 * Deployment configuration: a zod schema over cdk.json context, one entry per stage.
 *
 *   "pinrelay:stage":  "dev"                      (select with `-c pinrelay:stage=prod`)
 *   "pinrelay:stages": { "dev": { … }, "prod": { … } }
 *
 * Every field has a default, so `"dev": {}` is a valid stage. Unknown fields are rejected so a typo
 * (`jobRetentionDay`) fails the synth instead of silently falling back to the default. The fields that
 * become function environment come from definitions/settings.ts, the same definitions the functions'
 * runtime schema is built from: a stage that synthesizes is a configuration every function accepts.
 */

export const STAGE_CONTEXT_KEY = 'pinrelay:stage';
export const STAGES_CONTEXT_KEY = 'pinrelay:stages';
export const DEFAULT_STAGE = 'dev';

/** The retention values CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Stage names end up in stack names and the account-secret prefix: keep them short and plain. */
export const stageNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,19}$/, 'lower-case letters, digits and "-", starting with a letter, at most 20 characters');

/** A tenant id as `npm run admin -- create-tenant` prints it: `ten_` + 16 Crockford base32 characters. */
export const TENANT_ID_PATTERN = /^ten_[0-9a-hjkmnp-tv-z]{16}$/;

/**
 * A static subscription's URL: the rules of lambdas/domain/webhook-url.ts that need no DNS (https only, no
 * credentials, fragment or `*`, a fully qualified host, and no literal private, loopback, link-local,
 * reserved or metadata address, in any spelling). Host names are not resolved at synth. The output is the
 * normalised URL, what EventBridge will call (as for runtime subscriptions).
 */
const staticWebhookUrlSchema = z.string().transform((text, ctx) => {
  try {
    return parseWebhookUrl(text, { allowLoopback: false }).url.href;
  } catch (error) {
    if (!(error instanceof WebhookUrlError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
});

export const staticWebhookSubscriptionSchema = z.strictObject({
  /** Part of the webhook id (`whs_<name>`), the resource names, construct ids and the secret's stack output. */
  name: z
    .string()
    .max(STATIC_WEBHOOK_NAME_MAX_LENGTH, `at most ${STATIC_WEBHOOK_NAME_MAX_LENGTH} characters`)
    .regex(
      STATIC_WEBHOOK_NAME_PATTERN,
      'lower-case letters and digits in words separated by single "-", starting with a letter (crm-sync)',
    ),
  /** The tenant whose job events are delivered (the rule matches `detail.tenant_id`). */
  tenantId: z.string().regex(TENANT_ID_PATTERN, 'a tenant id as create-tenant prints it (ten_ + 16 characters)'),
  url: staticWebhookUrlSchema,
  events: z
    .array(z.enum(JOB_EVENT_TYPES))
    .min(1, 'at least one job event')
    .refine((events) => new Set(events).size === events.length, 'each event at most once'),
  /** Shown in the secret's description and its stack output. */
  description: z.string().min(1).max(200).optional(),
});
export type StaticWebhookSubscriptionConfig = z.output<typeof staticWebhookSubscriptionSchema>;

/** `crm-sync` → `CrmSync`: how a name appears in its stack output (`StaticWebhookCrmSyncSecretArn`). */
export function staticWebhookOutputName(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

const staticWebhookSubscriptionsSchema = z.array(staticWebhookSubscriptionSchema).superRefine((subscriptions, ctx) => {
  const names = new Map<string, number>();
  const outputs = new Map<string, string>();
  subscriptions.forEach((subscription, i) => {
    const earlier = names.get(subscription.name);
    if (earlier !== undefined) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name "${subscription.name}" (also subscription ${earlier})` });
      return;
    }
    names.set(subscription.name, i);
    // `a-1b` and `a1b` would share a stack output name.
    const output = staticWebhookOutputName(subscription.name);
    const clash = outputs.get(output);
    if (clash !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `"${subscription.name}" and "${clash}" would share the stack output name ${output}: rename one`,
      });
      return;
    }
    outputs.set(output, subscription.name);
  });
});

/**
 * Alarm thresholds, each with its default (docs/deploy.md's stage table lists them). Counts are per
 * 15 minutes; percentages are 0–100. A partial object keeps the other defaults.
 */
export const alarmThresholdsSchema = z.strictObject({
  /** Oldest message in the FIFO publish queue (seconds): workers are not draining it. */
  publishQueueOldestMessageSeconds: z.number().int().min(60).max(1_209_600).default(900),
  /** Oldest message in the delay queue (seconds); a hold is at most 900 s per hop, so keep this above that. */
  delayQueueOldestMessageSeconds: z.number().int().min(960).max(1_209_600).default(1800),
  /** Failed jobs as a share of finished jobs (succeeded + failed) in 15 minutes. */
  failedJobsPercent: z.number().gt(0).max(100).default(10),
  /** Finished jobs needed in those 15 minutes before the failed share counts (fewer: no alarm). */
  failedJobsMinimum: z.number().int().min(1).max(100_000).default(5),
  /** Invocations ending in an error, per function, over 5 minutes (two 5-minute periods out of three). */
  lambdaErrorsPercent: z.number().gt(0).max(100).default(5),
  /** API responses that are 5xx, over 5 minutes (two periods out of three). */
  apiServerErrorsPercent: z.number().gt(0).max(100).default(5),
  /** Pinterest answers with HTTP 429 in 15 minutes, whole app. */
  rateLimitedPer15Minutes: z.number().int().min(0).max(1_000_000).default(20),
  /** Failed token refreshes in 15 minutes, whole app. */
  tokenRefreshFailuresPer15Minutes: z.number().int().min(0).max(100_000).default(2),
  /** Webhook deliveries that failed for good (EventBridge FailedInvocations on the job events bus) in 15 minutes. */
  webhookFailuresPer15Minutes: z.number().int().min(0).max(1_000_000).default(10),
});
export type AlarmThresholdsInput = z.input<typeof alarmThresholdsSchema>;
export type AlarmThresholds = z.output<typeof alarmThresholdsSchema>;

/** A stage's alarm thresholds with every default applied (an unset `alarms` is all defaults). */
export function alarmThresholds(settings: { readonly alarms?: AlarmThresholdsInput | undefined }): AlarmThresholds {
  return alarmThresholdsSchema.parse(settings.alarms ?? {});
}

/**
 * The runtime webhook settings (definitions/settings.ts: maxPerTenant, ruleQuota,
 * invocationRateLimitPerSecond) plus the CDK-only `subscriptions`: webhooks managed as code, one
 * connection, API destination, rule and target each, built by the stateful stack
 * (lib/constructs/static-webhooks.ts). Not a runtime setting: no function reads it.
 */
const settingFields = stageSettingFields();
const webhooksField = settingFields.webhooks.unwrap().extend({ subscriptions: staticWebhookSubscriptionsSchema.optional() }).prefault({});

export const stageSettingsSchema = z.strictObject({
  /** AWS account to pin the stacks to; unset = environment-agnostic (account taken from the deploy credentials). */
  account: z
    .string()
    .regex(/^\d{12}$/, 'a 12-digit AWS account id')
    .optional(),
  /** AWS region to pin the stacks to; unset = environment-agnostic. */
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1')
    .optional(),
  /** CloudWatch Logs retention of every function and the API access log. */
  logRetentionDays: z
    .number()
    .int()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `one of the CloudWatch Logs retention values: ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(30),
  /** API Gateway stage throttling (all methods). */
  apiThrottle: z
    .strictObject({
      /** Steady-state requests per second. */
      rateLimit: z.number().positive().default(50),
      /** Bucket size: requests accepted in a burst. */
      burstLimit: z.number().int().min(0).max(5000).default(100),
    })
    .prefault({}),
  /** What happens to stateful resources (tables, queues, key, logs) when a stack is deleted. */
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  /**
   * Cap on concurrent publish-worker invocations started by the publish queue (the event source mapping's
   * `maxConcurrency`, 2–1000); unset = no cap (Lambda scales with the number of active message groups,
   * i.e. Pinterest accounts with work, within the account's concurrency limit).
   */
  workerMaxConcurrency: z.number().int().min(2).max(1000).optional(),
  /**
   * How often the stranded-job reconciler runs, in minutes (1–60); unset = the rate in its catalogue entry
   * (`reconcile-stranded-jobs` in definitions/functions.ts: every 5 minutes). Its grace, page limit
   * and re-dispatch limit are the `reconcile.*` settings (definitions/settings.ts).
   */
  reconcileEveryMinutes: z.number().int().min(1).max(60).optional(),
  /** Where alarms notify (the alarm topic's e-mail subscription); unset = alarms without a subscriber. */
  alarmEmail: z.email().optional(),
  /**
   * Alarm thresholds (lib/constructs/observability/). CDK-only, like `alarmEmail`: no function reads them.
   * Every alarm, what it means and what to do: docs/runbook.md. Unset = every default (`alarmThresholds()`).
   */
  alarms: alarmThresholdsSchema.optional(),
  /** Encryption at rest (docs/security.md). CDK-only: no function reads it. */
  encryption: z
    .strictObject({
      /**
       * true: the stage key (the customer-managed KMS key, rotation on, that always encrypts the secrets)
       * also encrypts both tables, every queue and the job events bus, and every function gets the key
       * through DynamoDB and SQS only. false: AWS-managed encryption for those (`aws/dynamodb`, SSE-SQS,
       * EventBridge's own key). Each switch is an in-place update of the tables, queues and bus.
       */
      customerManagedKey: z.boolean().default(false),
    })
    .prefault({}),
  /** The web console (docs/adr/0015-web-console.md). CDK-only: no function reads it. */
  console: z
    .strictObject({
      /**
       * true: a CloudFront distribution serves the console at `https://<distribution>/console/` and the API at
       * `/v1/*` on the same origin (stack output ConsoleUrl); the build of console/ is made at synth. false: no
       * distribution, bucket or build; the API is unchanged.
       */
      enabled: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * Everything that reaches the functions' environment (retention, Pinterest origin and timeout, pacing,
   * retries, worker lease, sweeper grace, log level) and the API edge's per-tenant settings that API Gateway
   * applies (authorizer cache, per-tenant throttle and quota): ranges, defaults and docs in definitions/settings.ts.
   */
  ...settingFields,
  /** `webhooks.*` settings and static subscriptions (above). */
  webhooks: webhooksField,
});

/** One stage's settings as written in cdk.json (defaults not yet applied). */
export type StageSettingsInput = z.input<typeof stageSettingsSchema>;
/** One stage's settings with every default applied. */
export type StageSettings = z.output<typeof stageSettingsSchema>;

export interface StageConfig {
  /** The selected stage name (`pinrelay:stage`). */
  readonly stage: string;
  readonly settings: StageSettings;
}

/** What `loadStageConfig` needs from an App (or any construct): the context getter. */
export interface ContextSource {
  readonly node: { tryGetContext(key: string): unknown };
}

export class StageConfigError extends Error {
  override readonly name = 'StageConfigError';
}

function formatIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].join('.');
      return `  - ${path}: ${issue.message}`;
    })
    .join('\n');
}

/**
 * Parse the raw context values. Pure, for tests: `parseStageConfig('prod', { prod: { … } })`.
 * Throws StageConfigError naming the stage and the offending path.
 */
export function parseStageConfig(stageValue: unknown, stagesValue: unknown): StageConfig {
  const stageResult = stageNameSchema.safeParse(stageValue ?? DEFAULT_STAGE);
  if (!stageResult.success) {
    throw new StageConfigError(
      `Invalid pinrelay stage name ${JSON.stringify(stageValue)} (context "${STAGE_CONTEXT_KEY}"):\n` +
        formatIssues(stageResult.error, STAGE_CONTEXT_KEY),
    );
  }
  const stage = stageResult.data;

  if (stagesValue === undefined || stagesValue === null || typeof stagesValue !== 'object' || Array.isArray(stagesValue)) {
    throw new StageConfigError(
      `Missing pinrelay stages: cdk.json context "${STAGES_CONTEXT_KEY}" must be an object mapping stage names to settings`,
    );
  }
  const stages = stagesValue as Record<string, unknown>;
  if (!Object.hasOwn(stages, stage)) {
    const known = Object.keys(stages).sort().join(', ') || '(none)';
    throw new StageConfigError(
      `Unknown pinrelay stage "${stage}": add it under cdk.json context "${STAGES_CONTEXT_KEY}" (defined: ${known})`,
    );
  }

  const path = `${STAGES_CONTEXT_KEY}.${stage}`;
  const result = stageSettingsSchema.safeParse(stages[stage] ?? {});
  if (!result.success) {
    throw new StageConfigError(
      `Invalid pinrelay config for stage "${stage}" (cdk.json context "${path}"):\n${formatIssues(result.error, path)}`,
    );
  }
  return { stage, settings: result.data };
}

/** The selected stage's validated settings, read from the app's context (cdk.json + `-c` flags). */
export function loadStageConfig(app: ContextSource): StageConfig {
  return parseStageConfig(app.node.tryGetContext(STAGE_CONTEXT_KEY), app.node.tryGetContext(STAGES_CONTEXT_KEY));
}
