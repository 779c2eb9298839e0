/**
 * The one description of a webhook subscription's EventBridge resources. Self-service subscriptions
 * (POST /v1/webhooks, created at runtime with the AWS SDK) and static subscriptions (stage config, built by
 * CDK) both build their connection, API destination, rule and target from these values, so a delivery
 * looks the same whichever way the subscription was made.
 *
 * Plain data only: imported by CDK code, Lambda code and local mode alike.
 */

/** The job events a subscription may choose, one per job status. */
export const JOB_EVENT_TYPES = [
  'job.scheduled',
  'job.queued',
  'job.running',
  'job.retry_scheduled',
  'job.succeeded',
  'job.failed',
  'job.cancelled',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** Sent by POST /v1/webhooks/{id}/test through the real delivery path, to that subscription only. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';
/** A failed delivery sent again from the webhook DLQ (admin `webhooks replay`), to its subscription only. */
export const WEBHOOK_REDELIVERY_EVENT_TYPE = 'webhook.redelivery';

export const EVENT_SOURCE = 'pinrelay';

/** The header carrying the subscription's secret (EventBridge API-key connection auth). */
export const WEBHOOK_SECRET_HEADER = 'x-pinrelay-webhook-secret';

/**
 * Target retry policy: EventBridge's maximum (185 attempts over 24 h); only 401, 407, 409, 429 and 5xx
 * (and timeouts) are retried, honouring Retry-After. Exhausted events go to the webhook DLQ.
 */
export const WEBHOOK_RETRY_POLICY = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 } as const;

/**
 * What a receiver gets: headers from the event (JSON paths into it) and the body built by the target's
 * input transformer: `{id, type, created_at, data}` — `data` is `{job}` for job events.
 */
export const WEBHOOK_HEADER_PATHS = {
  'webhook-id': '$.detail.id',
  /** Unix seconds, as the Standard Webhooks convention has it. */
  'webhook-timestamp': '$.detail.timestamp',
} as const;

export const WEBHOOK_INPUT_PATHS = {
  id: '$.detail.id',
  type: '$.detail.type',
  created_at: '$.detail.created_at',
  data: '$.detail.data',
} as const;

export const WEBHOOK_INPUT_TEMPLATE = '{"id": <id>, "type": <type>, "created_at": <created_at>, "data": <data>}';

/**
 * The rule's event pattern: the tenant's own events of the chosen types, plus any event addressed to this
 * subscription alone (`detail.webhook_id`: test events and redeliveries). Job events never carry
 * `webhook_id`, so they reach a subscription only through the type list.
 */
export function webhookEventPattern(input: {
  tenantId: string;
  webhookId: string;
  events: readonly JobEventType[];
}): Record<string, unknown> {
  return {
    source: [EVENT_SOURCE],
    detail: { tenant_id: [input.tenantId] },
    $or: [{ 'detail-type': [...input.events] }, { detail: { webhook_id: [input.webhookId] } }],
  };
}

/**
 * Physical names of a subscription's resources: `<prefix><webhook id>` for the connection, the API
 * destination and the rule (each ≤ 64 characters). The prefix is per deployment, so IAM policies can be
 * scoped to it.
 */
export function webhookResourceName(prefix: string, webhookId: string): string {
  const name = `${prefix}${webhookId}`;
  if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name))
    throw new RangeError(`webhook resource name ${JSON.stringify(name)} is not a valid EventBridge name`);
  return name;
}

/** Self-service subscriptions (POST /v1/webhooks): `whk_` + 20 base32 characters. */
export const WEBHOOK_ID_PATTERN = /^whk_[0-9a-z]{20}$/;

/**
 * Static subscriptions (stage config `webhooks.subscriptions`, built by CDK) are `whs_<name>`: a name of
 * lower-case words (`crm-sync`) of at most STATIC_WEBHOOK_NAME_MAX_LENGTH characters. The `whs_` form never
 * matches WEBHOOK_ID_PATTERN, so a static id cannot collide with a runtime one, and the API (which accepts
 * `whk_` ids only) never shows, tests, rotates or deletes a static subscription.
 */
export const STATIC_WEBHOOK_NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** The longest prefix (33, a 20-character stage) + `whs_` (4) + 27 = 64, EventBridge's name limit. */
export const STATIC_WEBHOOK_NAME_MAX_LENGTH = 27;
export const STATIC_WEBHOOK_ID_PATTERN = /^whs_[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** The webhook id of a static subscription: `whs_<name>`. */
export function staticWebhookId(name: string): string {
  if (name.length > STATIC_WEBHOOK_NAME_MAX_LENGTH || !STATIC_WEBHOOK_NAME_PATTERN.test(name)) {
    throw new RangeError(
      `static webhook name ${JSON.stringify(name)} must be lower-case words (crm-sync) of at most ${STATIC_WEBHOOK_NAME_MAX_LENGTH} characters`,
    );
  }
  return `whs_${name}`;
}

/** A webhook id of either kind (runtime `whk_…` or static `whs_…`). */
export function isWebhookId(id: string): boolean {
  return WEBHOOK_ID_PATTERN.test(id) || (STATIC_WEBHOOK_ID_PATTERN.test(id) && id.length <= 4 + STATIC_WEBHOOK_NAME_MAX_LENGTH);
}

/**
 * The webhook id a resource name of this deployment stands for (`<prefix><webhook id>` → the id), or
 * undefined when the name is not under the prefix or what follows it is no webhook id. The replay reads a
 * dead-lettered event's subscription from its rule's name this way.
 */
export function webhookIdOfResourceName(prefix: string, name: string): string | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const id = name.slice(prefix.length);
  return isWebhookId(id) ? id : undefined;
}

/**
 * The per-deployment name prefix of every webhook resource: `pinrelay-<stage>-wh-` in AWS (stage names are at
 * most 20 characters, so the prefix is at most 33 and a runtime name at most 33 + 24 = 57 characters),
 * `<namePrefix>pinrelay-local-wh-` in local mode. IAM (connections, API destinations, rules, connection
 * secrets), the DLQ's queue policy and the rule count all select by it; static subscriptions' resources are
 * named under it too.
 */
export function webhookNamePrefix(stage: string): string {
  return `pinrelay-${stage}-wh-`;
}

/** The one target of a subscription's rule. */
export const WEBHOOK_TARGET_ID = 'webhook';

/** EventBridge's quotas the subscription API plans around (per Region, adjustable in Service Quotas where noted). */
export const EVENTBRIDGE_QUOTAS = {
  /** Rules per event bus (adjustable). Each subscription is one rule. */
  rulesPerBus: 300,
  /** Targets per rule (fixed). Each subscription's rule has one. */
  targetsPerRule: 5,
  /** Connections and API destinations per account (adjustable). */
  connections: 3000,
  apiDestinations: 3000,
  /** An API destination's request timeout (fixed). */
  invocationTimeoutSeconds: 5,
} as const;

/** Subscriptions stop being accepted this many rules before `webhooks.ruleQuota`, leaving room for rules made by hand. */
export const WEBHOOK_RULE_QUOTA_MARGIN = 10;

/**
 * A subscription still `provisioning` after this long was left by a create that died (its function timed
 * out or crashed): the next GET, DELETE or listing of it removes whatever it made. Well above the create
 * function's timeout (definitions/functions.ts), so a create still running is never taken for one.
 */
export const WEBHOOK_PROVISIONING_STALE_SECONDS = 120;

/** Connection auth: the secret is the value of one header (API-key auth), kept by EventBridge in its own secret. */
export function webhookConnectionAuth(secret: string) {
  return {
    AuthorizationType: 'API_KEY',
    AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: WEBHOOK_SECRET_HEADER, ApiKeyValue: secret } },
  } as const;
}

/**
 * A subscription's rule target, in EventBridge's API shape (PutTargets; CloudFormation's
 * AWS::Events::Rule Target has the same members): the API destination, the role EventBridge assumes to
 * invoke it, the receiver's headers and body, the retry policy and the dead-letter queue.
 */
export function webhookTarget(input: {
  readonly apiDestinationArn: string;
  readonly roleArn: string;
  readonly deadLetterQueueArn: string;
}) {
  return {
    Id: WEBHOOK_TARGET_ID,
    Arn: input.apiDestinationArn,
    RoleArn: input.roleArn,
    InputTransformer: { InputPathsMap: { ...WEBHOOK_INPUT_PATHS }, InputTemplate: WEBHOOK_INPUT_TEMPLATE },
    HttpParameters: { HeaderParameters: { ...WEBHOOK_HEADER_PATHS } },
    RetryPolicy: {
      MaximumRetryAttempts: WEBHOOK_RETRY_POLICY.maximumRetryAttempts,
      MaximumEventAgeInSeconds: WEBHOOK_RETRY_POLICY.maximumEventAgeSeconds,
    },
    DeadLetterConfig: { Arn: input.deadLetterQueueArn },
  };
}
