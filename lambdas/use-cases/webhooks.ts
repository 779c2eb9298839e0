import { WEBHOOK_ID_PATTERN, WEBHOOK_RULE_QUOTA_MARGIN, WEBHOOK_TEST_EVENT_TYPE } from '../../definitions/webhooks.ts';
import type { Clock } from '../domain/clock.ts';
import {
  InvalidWebhookUrl,
  WebhookDeletedDuringCreate,
  WebhookLimitReached,
  WebhookNotFound,
  WebhookQuotaExceeded,
  WebhookRuleQuotaNearlyFull,
} from '../domain/errors.ts';
import { EVENT_SCHEMA_VERSION } from '../domain/events.ts';
import {
  isLeftover,
  newestFirst,
  newTestEventId,
  newWebhookId,
  newWebhookSecret,
  type CreateWebhookCommand,
  type Webhook,
  type WebhookRecord,
  type WebhookResources,
  type WebhookWithSecret,
} from '../domain/webhook.ts';
import { checkWebhookUrl, HostNotFoundError, WebhookUrlError } from '../domain/webhook-url.ts';
import { WebhookQuotaError, WebhookResourceMissingError, type HostResolver, type WebhookProvisioner, type WebhookStore } from './ports.ts';

/**
 * Self-service webhook subscriptions (docs/adr/0011-webhooks.md): each is one EventBridge connection (the
 * secret, as an API key header), one API destination (the URL), one rule on the pinrelay bus (the
 * tenant's chosen job events, plus events addressed to this subscription) and one target, plus an item on
 * the tenants table. The item is written `provisioning` before anything is made and becomes `active` only
 * when everything is: a subscription is either whole and active, or being removed.
 */

export interface WebhookLimits {
  /** WEBHOOKS_MAX_PER_TENANT */
  readonly maxPerTenant: number;
  /** WEBHOOKS_RULE_QUOTA: the bus's rules quota; creates stop WEBHOOK_RULE_QUOTA_MARGIN short of it. */
  readonly ruleQuota: number;
  /** Local mode: loopback URLs (and http:// to 127.0.0.1 / localhost) are accepted. */
  readonly allowLoopback: boolean;
}

export interface WebhookDeps {
  readonly webhooks: WebhookStore;
  readonly provisioner: WebhookProvisioner;
  readonly resolver: HostResolver;
  readonly clock: Clock;
  readonly limits: WebhookLimits;
  /** Told about clean-up steps that failed (the leftover stays marked and is retried later). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

/** The public view: never the secret, the status or where the resources live. */
export function publicWebhook(record: WebhookRecord): Webhook {
  return { id: record.id, url: record.url, events: [...record.events], description: record.description, created_at: record.created_at };
}

/** The URL rules, the host's addresses included; a broken rule is InvalidWebhookUrl. */
async function checkedUrl(deps: Pick<WebhookDeps, 'resolver' | 'limits'>, text: string): Promise<string> {
  try {
    return await checkWebhookUrl(text, (host) => deps.resolver.resolve(host), { allowLoopback: deps.limits.allowLoopback });
  } catch (error) {
    if (error instanceof WebhookUrlError || error instanceof HostNotFoundError) throw new InvalidWebhookUrl(error.message);
    throw error;
  }
}

/**
 * Removes everything a subscription may have made, by name, whatever its record says (a create that died
 * after a step may not have recorded it): target, rule, API destination, connection, then the item. Each
 * step tolerates a resource that is already gone. When a step fails the item stays (`deleting`), hidden,
 * and the next GET, DELETE or listing tries again.
 */
async function removeEverything(deps: Pick<WebhookDeps, 'webhooks' | 'provisioner'>, tenantId: string, webhookId: string): Promise<void> {
  await deps.provisioner.removeTarget(webhookId);
  await deps.provisioner.deleteRule(webhookId);
  await deps.provisioner.deleteApiDestination(webhookId);
  await deps.provisioner.deleteConnection(webhookId);
  await deps.webhooks.remove(tenantId, webhookId);
}

/** Marks a leftover `deleting` (so a create still running cannot activate it) and removes it. */
async function removeLeftover(deps: WebhookDeps, record: WebhookRecord): Promise<void> {
  if (record.status !== 'deleting') await deps.webhooks.markDeleting(record.tenantId, record.id, deps.clock.now().toISOString());
  await removeEverything(deps, record.tenantId, record.id);
}

export async function createWebhook(deps: WebhookDeps, tenantId: string, request: CreateWebhookCommand): Promise<WebhookWithSecret> {
  const url = await checkedUrl(deps, request.url);

  const live: WebhookRecord[] = [];
  for (const record of await deps.webhooks.list(tenantId)) {
    if (!isLeftover(record, deps.clock.now())) live.push(record);
    else
      await removeLeftover(deps, record).catch((error: unknown) =>
        deps.warn?.('a leftover webhook could not be removed yet', { webhook_id: record.id, error: String(error) }),
      );
  }
  if (live.length >= deps.limits.maxPerTenant) throw new WebhookLimitReached(live.length, deps.limits.maxPerTenant);
  const rules = await deps.provisioner.countRules();
  const ceiling = deps.limits.ruleQuota - WEBHOOK_RULE_QUOTA_MARGIN;
  if (rules >= ceiling) throw new WebhookRuleQuotaNearlyFull(rules, deps.limits.ruleQuota, WEBHOOK_RULE_QUOTA_MARGIN);

  const now = deps.clock.now().toISOString();
  const record: WebhookRecord = {
    tenantId,
    id: newWebhookId(),
    url,
    events: [...request.events],
    description: request.description ?? null,
    created_at: now,
    updated_at: now,
    status: 'provisioning',
    resources: {},
  };
  const secret = newWebhookSecret();
  await deps.webhooks.create(record);

  // Each step's undo is registered before the step runs: a call that fails after EventBridge acted on it
  // (a timeout on the answer) may still have made the resource. Undoing something never made is a no-op.
  const undo: { readonly step: string; readonly run: () => Promise<void> }[] = [];
  const id = record.id;
  try {
    undo.push({ step: 'connection', run: () => deps.provisioner.deleteConnection(id) });
    const connectionArn = await deps.provisioner.createConnection(id, secret);
    undo.push({ step: 'api destination', run: () => deps.provisioner.deleteApiDestination(id) });
    const apiDestinationArn = await deps.provisioner.createApiDestination(id, connectionArn, url);
    undo.push({ step: 'rule', run: () => deps.provisioner.deleteRule(id) });
    const ruleArn = await deps.provisioner.putRule(id, tenantId, record.events);
    undo.push({ step: 'target', run: () => deps.provisioner.removeTarget(id) });
    await deps.provisioner.putTarget(id, apiDestinationArn);
    const resources: WebhookResources = { connectionArn, apiDestinationArn, ruleArn };
    if (!(await deps.webhooks.activate(tenantId, id, resources, deps.clock.now().toISOString()))) {
      throw new WebhookDeletedDuringCreate(id);
    }
    return { ...publicWebhook(record), secret };
  } catch (error) {
    await undoCreate(deps, record, undo);
    throw translate(error);
  }
}

/**
 * Undoes a failed create in reverse order, then removes the item. When an undo step fails too, the item
 * is marked `deleting` instead, so it is never shown and the next GET, DELETE or listing removes the rest.
 */
async function undoCreate(
  deps: WebhookDeps,
  record: WebhookRecord,
  undo: readonly { step: string; run: () => Promise<void> }[],
): Promise<void> {
  try {
    for (const { run } of [...undo].reverse()) await run();
    await deps.webhooks.remove(record.tenantId, record.id);
  } catch (error) {
    deps.warn?.('a failed webhook create could not be undone yet; it is marked deleting and removed on its next use', {
      webhook_id: record.id,
      error: String(error),
    });
    await deps.webhooks.markDeleting(record.tenantId, record.id, deps.clock.now().toISOString()).catch(() => undefined);
  }
}

function translate(error: unknown): unknown {
  return error instanceof WebhookQuotaError ? new WebhookQuotaExceeded(error.message) : error;
}

/** The tenant's active subscriptions, newest first; leftovers met on the way are removed. */
export async function listWebhooks(deps: WebhookDeps, tenantId: string): Promise<{ items: Webhook[] }> {
  const items: Webhook[] = [];
  for (const record of (await deps.webhooks.list(tenantId)).sort(newestFirst)) {
    if (record.status === 'active') items.push(publicWebhook(record));
    else if (isLeftover(record, deps.clock.now())) {
      await removeLeftover(deps, record).catch((error: unknown) =>
        deps.warn?.('a leftover webhook could not be removed yet', { webhook_id: record.id, error: String(error) }),
      );
    }
  }
  return { items };
}

/** The active subscription, or WebhookNotFound (another tenant's, unknown, still being created, or a leftover — which is removed). */
async function activeRecord(deps: WebhookDeps, tenantId: string, webhookId: string): Promise<WebhookRecord> {
  if (!WEBHOOK_ID_PATTERN.test(webhookId)) throw new WebhookNotFound(webhookId);
  const record = await deps.webhooks.get(tenantId, webhookId);
  if (!record) throw new WebhookNotFound(webhookId);
  if (record.status === 'active') return record;
  if (isLeftover(record, deps.clock.now())) {
    // Best effort: the answer is WebhookNotFound either way, and the next request tries again.
    await removeLeftover(deps, record).catch((error: unknown) =>
      deps.warn?.('a leftover webhook could not be removed yet', { webhook_id: record.id, error: String(error) }),
    );
  }
  throw new WebhookNotFound(webhookId);
}

export async function getWebhook(deps: WebhookDeps, tenantId: string, webhookId: string): Promise<Webhook> {
  return publicWebhook(await activeRecord(deps, tenantId, webhookId));
}

/**
 * Marks the subscription `deleting` (hidden at once; a create still running cannot activate it), removes
 * target, rule, API destination and connection, then the item. A retry after a failure finishes the job.
 */
export async function deleteWebhook(deps: WebhookDeps, tenantId: string, webhookId: string): Promise<void> {
  if (!WEBHOOK_ID_PATTERN.test(webhookId)) throw new WebhookNotFound(webhookId);
  const record = await deps.webhooks.get(tenantId, webhookId);
  if (!record) throw new WebhookNotFound(webhookId);
  if (record.status !== 'deleting' && !(await deps.webhooks.markDeleting(tenantId, webhookId, deps.clock.now().toISOString()))) {
    throw new WebhookNotFound(webhookId);
  }
  await removeEverything(deps, tenantId, webhookId);
}

/** A new secret in the connection (the next request EventBridge makes, retries included, carries it); shown once. */
export async function rotateWebhookSecret(deps: WebhookDeps, tenantId: string, webhookId: string): Promise<WebhookWithSecret> {
  const record = await activeRecord(deps, tenantId, webhookId);
  const secret = newWebhookSecret();
  try {
    await deps.provisioner.rotateSecret(webhookId, secret);
  } catch (error) {
    if (error instanceof WebhookResourceMissingError) throw new WebhookNotFound(webhookId);
    throw error;
  }
  return { ...publicWebhook(record), secret };
}

/**
 * Puts a `webhook.test` event on the bus, through the same rule, target and retries as job events. Its
 * `webhook_id` matches this subscription's rule and no other (job events never carry one).
 */
export async function testWebhook(deps: WebhookDeps, tenantId: string, webhookId: string): Promise<{ event_id: string }> {
  const record = await activeRecord(deps, tenantId, webhookId);
  const now = deps.clock.now();
  const id = newTestEventId();
  await deps.provisioner.putEvent(WEBHOOK_TEST_EVENT_TYPE, {
    id,
    type: WEBHOOK_TEST_EVENT_TYPE,
    schema_version: EVENT_SCHEMA_VERSION,
    created_at: now.toISOString(),
    timestamp: Math.floor(now.getTime() / 1000),
    tenant_id: tenantId,
    webhook_id: webhookId,
    data: { webhook: { id: record.id, url: record.url, events: [...record.events] } },
  });
  return { event_id: id };
}
