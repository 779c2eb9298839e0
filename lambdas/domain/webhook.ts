import { randomBytes } from 'node:crypto';
import { WEBHOOK_PROVISIONING_STALE_SECONDS, type JobEventType } from '../../definitions/webhooks.ts';

/**
 * A webhook subscription as pinrelay stores it (tenants table, `TENANT#<t>` / `WEBHOOK#<id>`), and the
 * rules about its life. The secret is not here: it lives only in the subscription's EventBridge
 * connection (docs/adr/0011-webhooks.md).
 *
 *   provisioning → active → deleting → (item removed)
 *   provisioning → deleting            a create that failed and could not undo everything at once
 *
 * `provisioning` and `deleting` subscriptions are never shown or delivered to by pinrelay's API: a
 * `deleting` one, or a `provisioning` one older than WEBHOOK_PROVISIONING_STALE_SECONDS (its create died),
 * is a leftover that the next GET, DELETE or listing removes.
 */

export const WEBHOOK_STATUSES = ['provisioning', 'active', 'deleting'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** What a subscription made, as EventBridge named it (absent until made). */
export interface WebhookResources {
  readonly connectionArn?: string;
  readonly apiDestinationArn?: string;
  readonly ruleArn?: string;
}

export interface WebhookRecord {
  readonly tenantId: string;
  readonly id: string;
  /** The normalised URL EventBridge calls. */
  readonly url: string;
  readonly events: readonly JobEventType[];
  readonly description: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly status: WebhookStatus;
  readonly resources: WebhookResources;
}

/** What a caller sees of a subscription: never the secret, the status or where the resources live. */
export interface Webhook {
  id: string;
  /** The URL as EventBridge calls it (normalised). */
  url: string;
  events: JobEventType[];
  description: string | null;
  created_at: string;
}

/** A subscription as its create or a secret rotation answers: the secret is shown this once. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

/** What subscribing takes (POST /v1/webhooks): the URL, the job events it wants, and a note. */
export interface CreateWebhookCommand {
  url: string;
  events: JobEventType[];
  description?: string | undefined;
}

/** `arn:…:rule/<bus>/<name>` (a custom bus) or `arn:…:rule/<name>` (the default bus): where a subscription's rule lives. */
export function parseRuleArn(arn: string): { readonly bus: string; readonly name: string } | undefined {
  const match = /^arn:[^:]+:events:[^:]*:[^:]*:rule\/(?:([^/]+)\/)?([^/]+)$/.exec(arn);
  const name = match?.[2];
  if (!match || name === undefined) return undefined;
  return { bus: match[1] ?? 'default', name };
}

// Crockford base32, lower-case, like the other ids (lambdas/domain/ids.ts).
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** `whk_` + 20 base32 characters (100 random bits): WEBHOOK_ID_PATTERN. */
export function newWebhookId(): string {
  const bytes = randomBytes(20);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return `whk_${out}`;
}

/** `whsec_` + 32 random bytes, base64url: shown once, then kept only by EventBridge. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `evt_` + 32 hex characters, like job events' ids (lambdas/domain/events.ts). */
export function newTestEventId(): string {
  return `evt_${randomBytes(16).toString('hex')}`;
}

/** A subscription pinrelay should remove rather than show: being deleted, or left half-made by a create that died. */
export function isLeftover(record: WebhookRecord, now: Date): boolean {
  if (record.status === 'deleting') return true;
  if (record.status !== 'provisioning') return false;
  return now.getTime() - Date.parse(record.updated_at) >= WEBHOOK_PROVISIONING_STALE_SECONDS * 1000;
}

/** Newest first; ties (same millisecond) by id, so the order is stable. */
export function newestFirst(a: WebhookRecord, b: WebhookRecord): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
