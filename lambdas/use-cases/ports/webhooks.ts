import type { JobEventType } from '../../../definitions/webhooks.ts';
import type { WebhookRecord, WebhookResources } from '../../domain/webhook.ts';

/** Webhook subscriptions: their items, their EventBridge resources, and the webhook dead-letter queue. */

/** Webhook subscriptions on the tenants table (`TENANT#<t>` / `WEBHOOK#<id>`). */
export interface WebhookStore {
  /** A new subscription (status `provisioning`); fails if the id exists. */
  create(record: WebhookRecord): Promise<void>;
  get(tenantId: string, webhookId: string): Promise<WebhookRecord | null>;
  /** Every subscription of the tenant, whatever its status, newest first. */
  list(tenantId: string): Promise<WebhookRecord[]>;
  /**
   * `provisioning` → `active` with the resources made. False when the subscription is gone or no longer
   * `provisioning` (a DELETE got there first): the caller undoes what it made.
   */
  activate(tenantId: string, webhookId: string, resources: WebhookResources, at: string): Promise<boolean>;
  /** Any status → `deleting` (hidden from now on). False when there is no such subscription. */
  markDeleting(tenantId: string, webhookId: string, at: string): Promise<boolean>;
  /** Removes the item; a missing one is fine. */
  remove(tenantId: string, webhookId: string): Promise<void>;
}

/**
 * A subscription's EventBridge resources, named `<prefix><webhook id>` (definitions/webhooks.ts).
 * One method per control-plane step, so the use case can undo exactly what it made when a later step fails.
 * The delete and remove methods succeed when the resource is already gone.
 */
export interface WebhookProvisioner {
  /** API-key connection: the secret is sent as WEBHOOK_SECRET_HEADER. Returns its ARN. */
  createConnection(webhookId: string, secret: string): Promise<string>;
  /** Returns the destination's ARN. */
  createApiDestination(webhookId: string, connectionArn: string, url: string): Promise<string>;
  /** The rule on the pinrelay bus with webhookEventPattern(...). Returns its ARN. */
  putRule(webhookId: string, tenantId: string, events: readonly JobEventType[]): Promise<string>;
  /** The rule's one target: the destination, the target role, input transformer, headers, retry policy, DLQ. */
  putTarget(webhookId: string, apiDestinationArn: string): Promise<void>;
  removeTarget(webhookId: string): Promise<void>;
  deleteRule(webhookId: string): Promise<void>;
  deleteApiDestination(webhookId: string): Promise<void>;
  deleteConnection(webhookId: string): Promise<void>;
  /** A new API key in the connection; the next request EventBridge makes uses it. */
  rotateSecret(webhookId: string, secret: string): Promise<void>;
  /** Puts one event on the pinrelay bus. */
  putEvent(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void>;
  /** Rules on the bus under the deployment's prefix (i.e. subscriptions, whatever their tenant). */
  countRules(): Promise<number>;
}

/** EventBridge refused a create because an account or bus quota is full (LimitExceededException). */
export class WebhookQuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookQuotaError';
  }
}

/** The resource a rotate or test needed is gone (a DELETE got there first). */
export class WebhookResourceMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookResourceMissingError';
  }
}

/** A host name's addresses right now (node:dns lookup in Lambda); HostNotFoundError when it has none. */
export interface HostResolver {
  resolve(hostname: string): Promise<readonly string[]>;
}

// ---- replaying the webhook dead-letter queue (lambdas/use-cases/webhook-replay.ts) ----

/** One message of the webhook DLQ: an event EventBridge could not deliver. */
export interface WebhookDeadLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** Message attributes (ERROR_CODE, ERROR_MESSAGE, RULE_ARN, TARGET_ARN, RETRY_ATTEMPTS, …) as strings. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** The webhook dead-letter queue. */
export interface WebhookDeadLetterQueue {
  /** Roughly how many messages are visible now (for progress only). */
  countVisible(): Promise<number>;
  /** Up to 10 visible messages, hidden for `hideSeconds`; none when the queue has no visible message. */
  receive(hideSeconds: number): Promise<WebhookDeadLetter[]>;
  /** Deletes them; answers the message ids that could not be deleted. */
  delete(messages: readonly WebhookDeadLetter[]): Promise<string[]>;
  /** Makes them visible again at once. */
  release(messages: readonly WebhookDeadLetter[]): Promise<void>;
}

/** The subscriptions' rules. */
export interface WebhookRules {
  /** Whether the rule still exists: a redelivery for a deleted subscription would match no rule and be lost. */
  exists(ruleArn: string): Promise<boolean>;
}
