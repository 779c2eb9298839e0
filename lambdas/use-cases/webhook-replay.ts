import { EVENT_SOURCE, WEBHOOK_REDELIVERY_EVENT_TYPE, webhookIdOfResourceName } from '../../definitions/webhooks.ts';
import { parseRuleArn } from '../domain/webhook.ts';
import type { EventPublisher, OutgoingEvent, WebhookDeadLetter, WebhookDeadLetterQueue, WebhookRules } from './ports.ts';

/**
 * Replaying the webhook dead-letter queue (`npm run admin -- webhooks replay`, docs/webhooks.md).
 *
 * EventBridge dead-letters an event it could not deliver as the whole original event (the message body)
 * with attributes naming the failure and the rule (RULE_ARN: `…:rule/<bus>/<prefix><webhook id>`). The
 * replay puts each such event on the bus again as a `webhook.redelivery` event whose detail is the
 * original detail plus `webhook_id`: only that subscription's rule matches it (the pattern's branch on
 * `detail.webhook_id`; job events never carry one), whatever its chosen event types, and the receiver gets
 * the original `webhook-id` header and body (`id`, `type`, `created_at` and `data` are read from the
 * detail, unchanged). A message is deleted only after PutEvents accepted its event.
 *
 * What is read is hidden from other readers for the run (`hideSeconds`) and whatever is not replayed is
 * made visible again at the end, so one run sees each message once and stops at the first empty receive.
 * An event sent once in this run is not sent again if it comes back (its redelivery failed again, or the
 * queue held it twice): the run always ends, and the new dead letter waits for the next one.
 */

export interface ReplayDeps {
  readonly deadLetters: WebhookDeadLetterQueue;
  /** The pinrelay bus (the one `eventBusName` names). */
  readonly publisher: EventPublisher;
  readonly rules: WebhookRules;
}

export interface ReplayOptions {
  /** The deployment's webhook name prefix (WEBHOOK_NAME_PREFIX): rule names are `<prefix><webhook id>`. */
  readonly namePrefix: string;
  /** The bus the publisher puts events on; a message from a rule on another bus is left alone. */
  readonly eventBusName: string;
  /** Replay only this subscription's events; the others are left in the queue. */
  readonly subscription?: string;
  /** List what would be sent; send and delete nothing. */
  readonly dryRun?: boolean;
  /** How long what is read stays hidden from other readers. @default 300 */
  readonly hideSeconds?: number;
  /** After each batch (and once before the first): messages handled so far of about `total`. */
  readonly onProgress?: (progress: { readonly done: number; readonly total: number; readonly replayed: number }) => void;
}

export type ReplayOutcome = 'replayed' | 'would_replay' | 'left' | 'failed';

export interface ReplayedMessage {
  readonly message_id: string;
  readonly event_id?: string;
  /** The original event type (`job.failed`, `webhook.test`, …). */
  readonly type?: string;
  readonly tenant_id?: string;
  readonly webhook_id?: string;
  /** Why the delivery failed (the message's ERROR_CODE / ERROR_MESSAGE). */
  readonly error_code?: string;
  readonly error_message?: string;
  readonly outcome: ReplayOutcome;
  /** Why it was left or failed, or that its delete failed. */
  readonly reason?: string;
}

export interface ReplayReport {
  readonly dry_run: boolean;
  readonly subscription: string | null;
  /** Messages read. */
  readonly seen: number;
  /** Sent again (accepted by PutEvents). */
  readonly replayed: number;
  /** Dry run: would have been sent. */
  readonly would_replay: number;
  /** Not for replay (another subscription, unreadable, subscription gone, already sent in this run): still in the queue. */
  readonly left: number;
  /** PutEvents refused or failed: still in the queue. */
  readonly failed: number;
  /** Sent, but the delete failed: still in the queue, and a next replay sends it again. */
  readonly not_deleted: number;
  readonly messages: readonly ReplayedMessage[];
}

export const DEFAULT_HIDE_SECONDS = 300;

interface Candidate {
  readonly message: WebhookDeadLetter;
  readonly base: Omit<ReplayedMessage, 'outcome' | 'reason'>;
  readonly event: OutgoingEvent;
  readonly key: string;
}

type Classified =
  | { readonly kind: 'candidate'; readonly candidate: Candidate }
  | { readonly kind: 'left'; readonly entry: ReplayedMessage };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export async function replayWebhookDeadLetters(deps: ReplayDeps, options: ReplayOptions): Promise<ReplayReport> {
  const hideSeconds = options.hideSeconds ?? DEFAULT_HIDE_SECONDS;
  const dryRun = options.dryRun ?? false;
  const entries: ReplayedMessage[] = [];
  /** Read in this run (by message id), with the latest receipt handle; those still in the queue are released at the end. */
  const held = new Map<string, WebhookDeadLetter>();
  const seen = new Set<string>();
  /** `<webhook id> <event id>` sent (or listed, in a dry run) in this run. */
  const sent = new Set<string>();
  const ruleExists = new Map<string, Promise<boolean>>();
  let replayed = 0;
  let notDeleted = 0;

  const total = await deps.deadLetters.countVisible();
  const progress = () =>
    options.onProgress?.({
      done: entries.length,
      total: Math.max(total, entries.length),
      replayed: entries.filter((e) => e.outcome === 'replayed').length,
    });
  progress();

  const exists = (ruleArn: string) => {
    let known = ruleExists.get(ruleArn);
    if (!known) {
      known = deps.rules.exists(ruleArn);
      ruleExists.set(ruleArn, known);
    }
    return known;
  };

  async function classify(message: WebhookDeadLetter): Promise<Classified> {
    const attributes = message.attributes;
    const failure = {
      ...(attributes.ERROR_CODE !== undefined ? { error_code: attributes.ERROR_CODE } : {}),
      ...(attributes.ERROR_MESSAGE !== undefined ? { error_message: attributes.ERROR_MESSAGE } : {}),
    };
    const left = (reason: string, known: Partial<ReplayedMessage> = {}): Classified => ({
      kind: 'left',
      entry: { message_id: message.messageId, ...known, ...failure, outcome: 'left', reason },
    });

    let event: unknown;
    try {
      event = JSON.parse(message.body);
    } catch {
      event = undefined;
    }
    const detail = isObject(event) ? event.detail : undefined;
    if (
      !isObject(event) ||
      event.source !== EVENT_SOURCE ||
      !isObject(detail) ||
      typeof detail.id !== 'string' ||
      typeof detail.tenant_id !== 'string'
    ) {
      return left('the body is not a pinrelay event');
    }
    const known = {
      event_id: detail.id,
      ...(typeof detail.type === 'string' ? { type: detail.type } : {}),
      tenant_id: detail.tenant_id,
    };

    const ruleArn = attributes.RULE_ARN;
    if (!ruleArn) return left('no RULE_ARN attribute: not dead-lettered by a webhook rule', known);
    const rule = parseRuleArn(ruleArn);
    const webhookId = rule ? webhookIdOfResourceName(options.namePrefix, rule.name) : undefined;
    if (!rule || !webhookId) {
      return left(`rule ${rule?.name ?? ruleArn} is not a webhook rule of this deployment (${options.namePrefix}…)`, known);
    }
    const base = { message_id: message.messageId, ...known, webhook_id: webhookId, ...failure };
    if (rule.bus !== options.eventBusName) return left(`the rule is on bus ${rule.bus}, not ${options.eventBusName}`, base);
    if (options.subscription !== undefined && webhookId !== options.subscription) return left('another subscription', base);
    const key = `${webhookId} ${detail.id}`;
    if (sent.has(key)) return left('already sent in this run (a duplicate, or its redelivery failed again)', base);
    if (!(await exists(ruleArn))) {
      return left(`subscription ${webhookId} no longer exists (its rule is gone): a redelivery would reach no one`, base);
    }
    sent.add(key);
    return {
      kind: 'candidate',
      candidate: { message, base, key, event: { detailType: WEBHOOK_REDELIVERY_EVENT_TYPE, detail: { ...detail, webhook_id: webhookId } } },
    };
  }

  for (;;) {
    const batch = await deps.deadLetters.receive(hideSeconds);
    if (batch.length === 0) break;
    const fresh: WebhookDeadLetter[] = [];
    for (const message of batch) {
      // Seen before (its hiding ran out during a long run): keep the new receipt handle, handle it once.
      held.set(message.messageId, message);
      if (!seen.has(message.messageId)) {
        seen.add(message.messageId);
        fresh.push(message);
      }
    }
    // This batch's entries, reported in the order the queue gave the messages.
    const outcomes = new Map<string, ReplayedMessage>();
    const candidates: Candidate[] = [];
    for (const message of fresh) {
      const classified = await classify(message);
      if (classified.kind === 'left') outcomes.set(message.messageId, classified.entry);
      else candidates.push(classified.candidate);
    }

    if (dryRun) {
      for (const { base } of candidates) outcomes.set(base.message_id, { ...base, outcome: 'would_replay' });
    } else if (candidates.length > 0) {
      let results: readonly ({ ok: true } | { ok: false; errorCode: string; errorMessage: string })[];
      try {
        results = await deps.publisher.publish(candidates.map((c) => c.event));
      } catch (error) {
        const why = `PutEvents failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
        results = candidates.map(() => ({ ok: false, errorCode: '', errorMessage: why }));
      }
      const accepted: Candidate[] = [];
      candidates.forEach((candidate, i) => {
        const result = results[i];
        if (result?.ok) {
          accepted.push(candidate);
          return;
        }
        // Not sent: it may be sent by a later run, so it does not count as sent in this one.
        sent.delete(candidate.key);
        const reason = !result
          ? 'PutEvents answered no result for it'
          : result.errorCode === ''
            ? result.errorMessage
            : `PutEvents refused it: ${result.errorCode} ${result.errorMessage}`.trim();
        outcomes.set(candidate.base.message_id, { ...candidate.base, outcome: 'failed', reason });
      });
      const undeleted = new Set(accepted.length > 0 ? await deps.deadLetters.delete(accepted.map((c) => c.message)) : []);
      for (const candidate of accepted) {
        replayed++;
        if (undeleted.has(candidate.message.messageId)) {
          notDeleted++;
          outcomes.set(candidate.base.message_id, {
            ...candidate.base,
            outcome: 'replayed',
            reason: 'sent, but the message could not be deleted: a next replay sends it again',
          });
        } else {
          held.delete(candidate.message.messageId);
          outcomes.set(candidate.base.message_id, { ...candidate.base, outcome: 'replayed' });
        }
      }
    }
    for (const message of fresh) {
      const entry = outcomes.get(message.messageId);
      if (!entry) throw new Error(`dead letter ${message.messageId} was handled without an outcome: every path above records one`);
      entries.push(entry);
    }
    progress();
  }

  if (held.size > 0) await deps.deadLetters.release([...held.values()]);

  const count = (outcome: ReplayOutcome) => entries.filter((e) => e.outcome === outcome).length;
  return {
    dry_run: dryRun,
    subscription: options.subscription ?? null,
    seen: seen.size,
    replayed,
    would_replay: count('would_replay'),
    left: count('left'),
    failed: count('failed'),
    not_deleted: notDeleted,
    messages: entries,
  };
}
