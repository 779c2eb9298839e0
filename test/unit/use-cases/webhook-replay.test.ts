import { describe, expect, it } from 'vitest';
import type {
  EventPublisher,
  OutgoingEvent,
  PublishResult,
  WebhookDeadLetter,
  WebhookDeadLetterQueue,
  WebhookRules,
} from '../../../lambdas/use-cases/ports.ts';
import { replayWebhookDeadLetters, type ReplayDeps } from '../../../lambdas/use-cases/webhook-replay.ts';

const PREFIX = 'pinrelay-dev-wh-';
const BUS = 'PinrelaydevStatefulJobEvents1A2B3C4D';
const HOOK_A = 'whk_aaaaaaaaaaaaaaaaaaaa';
const HOOK_B = 'whk_bbbbbbbbbbbbbbbbbbbb';
const STATIC = 'whs_crm-sync';
const ruleArn = (webhookId: string, bus = BUS, prefix = PREFIX) =>
  `arn:aws:events:eu-west-1:123456789012:rule/${bus}/${prefix}${webhookId}`;

/** An event as EventBridge dead-letters it: the whole original event, the detail as the relay published it. */
function jobEvent(id: string, type = 'job.failed', extra: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: `eb-${id}`,
    'detail-type': type,
    source: 'pinrelay',
    account: '123456789012',
    time: '2026-11-29T22:40:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      id,
      type,
      schema_version: 1,
      created_at: '2026-11-29T22:40:00.000Z',
      timestamp: 1764456000,
      tenant_id: 'ten_0123456789abcdef',
      data: { job: { id: 'job_1', status: type.slice(4) } },
      ...extra,
    },
  };
}

/**
 * An SQS queue in memory: receive hides what it returns until released or deleted (no clock: the
 * visibility timeout never runs out within a test), like a queue read by one consumer.
 */
class FakeDeadLetterQueue implements WebhookDeadLetterQueue {
  private seq = 0;
  private receipts = 0;
  readonly messages: { messageId: string; body: string; attributes: Record<string, string>; visible: boolean; receipt: string }[] = [];
  receives = 0;
  hideSecondsSeen: number[] = [];
  /** Message ids whose delete fails. */
  failDeletes = new Set<string>();

  add(body: unknown, attributes: Record<string, string>): string {
    const messageId = `m${++this.seq}`;
    this.messages.push({ messageId, body: typeof body === 'string' ? body : JSON.stringify(body), attributes, visible: true, receipt: '' });
    return messageId;
  }

  addDeadLetter(event: unknown, webhookId: string, rule = ruleArn(webhookId)): string {
    return this.add(event, {
      ERROR_CODE: 'SDK_CLIENT_ERROR',
      ERROR_MESSAGE: 'Unable to invoke ApiDestination endpoint: The endpoint responded with status code 404.',
      RULE_ARN: rule,
      TARGET_ARN: `arn:aws:events:eu-west-1:123456789012:api-destination/${PREFIX}${webhookId}/0f5c7b6e`,
      RETRY_ATTEMPTS: '0',
    });
  }

  visible() {
    return this.messages.filter((m) => m.visible);
  }

  async countVisible() {
    return this.visible().length;
  }

  async receive(hideSeconds: number): Promise<WebhookDeadLetter[]> {
    this.receives++;
    this.hideSecondsSeen.push(hideSeconds);
    return this.visible()
      .slice(0, 10)
      .map((m) => {
        m.visible = false;
        m.receipt = `r${++this.receipts}`;
        return { messageId: m.messageId, receiptHandle: m.receipt, body: m.body, attributes: { ...m.attributes } };
      });
  }

  async delete(messages: readonly WebhookDeadLetter[]) {
    const failed: string[] = [];
    for (const message of messages) {
      const index = this.messages.findIndex((m) => m.messageId === message.messageId && m.receipt === message.receiptHandle);
      if (index < 0 || this.failDeletes.has(message.messageId)) failed.push(message.messageId);
      else this.messages.splice(index, 1);
    }
    return failed;
  }

  async release(messages: readonly WebhookDeadLetter[]) {
    for (const message of messages) {
      const found = this.messages.find((m) => m.messageId === message.messageId && m.receipt === message.receiptHandle);
      if (found) found.visible = true;
    }
  }
}

class FakePublisher implements EventPublisher {
  readonly published: OutgoingEvent[] = [];
  /** Refuse events whose detail.id is listed. */
  refuse = new Set<string>();
  /** Called for each accepted event (e.g. to dead-letter it again). */
  onAccepted?: (event: OutgoingEvent) => void;

  async publish(events: readonly OutgoingEvent[]): Promise<readonly PublishResult[]> {
    return events.map((event) => {
      const id = (event.detail as { id: string }).id;
      if (this.refuse.has(id)) return { ok: false, errorCode: 'InternalFailure', errorMessage: 'try again' };
      this.published.push(event);
      this.onAccepted?.(event);
      return { ok: true, eventId: `put-${this.published.length}` };
    });
  }
}

function setup(rules: string[] = [ruleArn(HOOK_A), ruleArn(HOOK_B), ruleArn(STATIC)]) {
  const queue = new FakeDeadLetterQueue();
  const publisher = new FakePublisher();
  const lookups: string[] = [];
  const webhookRules: WebhookRules = {
    exists: async (arn) => {
      lookups.push(arn);
      return rules.includes(arn);
    },
  };
  const deps: ReplayDeps = { deadLetters: queue, publisher, rules: webhookRules };
  return { queue, publisher, deps, lookups, options: { namePrefix: PREFIX, eventBusName: BUS } };
}

describe('replayWebhookDeadLetters', () => {
  it('sends each dead-lettered event again as webhook.redelivery addressed to its subscription, then deletes it', async () => {
    const { queue, publisher, deps, options } = setup();
    const first = jobEvent('evt_1');
    const second = jobEvent('evt_2', 'job.succeeded');
    queue.addDeadLetter(first, HOOK_A);
    queue.addDeadLetter(second, STATIC);

    const report = await replayWebhookDeadLetters(deps, options);

    expect(publisher.published).toEqual([
      { detailType: 'webhook.redelivery', detail: { ...first.detail, webhook_id: HOOK_A } },
      { detailType: 'webhook.redelivery', detail: { ...second.detail, webhook_id: STATIC } },
    ]);
    // The receiver's body is built from detail.id, type, created_at and data: all as they were.
    expect((publisher.published[1]!.detail as { type: string }).type).toBe('job.succeeded');
    expect(queue.messages).toEqual([]);
    expect(report).toMatchObject({ dry_run: false, subscription: null, seen: 2, replayed: 2, left: 0, failed: 0, not_deleted: 0 });
    expect(report.messages).toEqual([
      {
        message_id: 'm1',
        event_id: 'evt_1',
        type: 'job.failed',
        tenant_id: 'ten_0123456789abcdef',
        webhook_id: HOOK_A,
        error_code: 'SDK_CLIENT_ERROR',
        error_message: 'Unable to invoke ApiDestination endpoint: The endpoint responded with status code 404.',
        outcome: 'replayed',
      },
      expect.objectContaining({ message_id: 'm2', event_id: 'evt_2', webhook_id: STATIC, outcome: 'replayed' }),
    ]);
  });

  it('more than one batch: every message, in batches of at most 10, progress after each', async () => {
    const { queue, publisher, deps, options } = setup();
    for (let i = 0; i < 23; i++) queue.addDeadLetter(jobEvent(`evt_${i}`), i % 2 ? HOOK_A : HOOK_B);
    const progress: string[] = [];

    const report = await replayWebhookDeadLetters(deps, {
      ...options,
      onProgress: (p) => progress.push(`${p.done}/${p.total} (${p.replayed})`),
    });

    expect(report.replayed).toBe(23);
    expect(new Set(publisher.published.map((e) => (e.detail as { id: string }).id)).size).toBe(23);
    expect(queue.messages).toEqual([]);
    expect(progress).toEqual(['0/23 (0)', '10/23 (10)', '20/23 (20)', '23/23 (23)']);
  });

  it('a test event (it already names its subscription) keeps its detail; only the detail-type changes', async () => {
    const { queue, publisher, deps, options } = setup();
    const test = jobEvent('evt_t', 'webhook.test', { webhook_id: HOOK_A, data: { webhook: { id: HOOK_A } } });
    queue.addDeadLetter(test, HOOK_A);

    await replayWebhookDeadLetters(deps, options);

    expect(publisher.published).toEqual([{ detailType: 'webhook.redelivery', detail: test.detail }]);
  });

  it('deletes a message only after PutEvents accepted its event; a refused one stays in the queue, visible again', async () => {
    const { queue, publisher, deps, options } = setup();
    queue.addDeadLetter(jobEvent('evt_ok'), HOOK_A);
    queue.addDeadLetter(jobEvent('evt_refused'), HOOK_A);
    publisher.refuse.add('evt_refused');

    const report = await replayWebhookDeadLetters(deps, options);

    expect(queue.messages.map((m) => [m.messageId, m.visible])).toEqual([['m2', true]]);
    expect(report).toMatchObject({ replayed: 1, failed: 1, left: 0 });
    expect(report.messages[1]).toMatchObject({
      event_id: 'evt_refused',
      outcome: 'failed',
      reason: 'PutEvents refused it: InternalFailure try again',
    });
  });

  it('a publisher that throws leaves the whole batch in the queue, and the error is reported', async () => {
    const { queue, deps, options } = setup();
    queue.addDeadLetter(jobEvent('evt_1'), HOOK_A);
    const failing: EventPublisher = { publish: async () => Promise.reject(new Error('network down')) };

    const report = await replayWebhookDeadLetters({ ...deps, publisher: failing }, options);

    expect(queue.visible().map((m) => m.messageId)).toEqual(['m1']);
    expect(report.messages[0]).toMatchObject({ outcome: 'failed', reason: 'PutEvents failed: Error: network down' });
  });

  it("--subscription: only that subscription's events are sent; the others stay, visible again", async () => {
    const { queue, publisher, deps, options } = setup();
    queue.addDeadLetter(jobEvent('evt_a1'), HOOK_A);
    queue.addDeadLetter(jobEvent('evt_b1'), HOOK_B);
    queue.addDeadLetter(jobEvent('evt_a2'), HOOK_A);

    const report = await replayWebhookDeadLetters(deps, { ...options, subscription: HOOK_A });

    expect(publisher.published.map((e) => (e.detail as { id: string }).id)).toEqual(['evt_a1', 'evt_a2']);
    expect(queue.messages.map((m) => [m.messageId, m.visible])).toEqual([['m2', true]]);
    expect(report).toMatchObject({ subscription: HOOK_A, seen: 3, replayed: 2, left: 1 });
    expect(report.messages[1]).toMatchObject({ webhook_id: HOOK_B, outcome: 'left', reason: 'another subscription' });
  });

  it('--dry-run: sends and deletes nothing, lists what would be sent, and every message is visible again', async () => {
    const { queue, publisher, deps, options } = setup();
    queue.addDeadLetter(jobEvent('evt_1'), HOOK_A);
    queue.addDeadLetter(jobEvent('evt_2'), HOOK_B);
    queue.add('not json', { RULE_ARN: ruleArn(HOOK_A) });

    const report = await replayWebhookDeadLetters(deps, { ...options, dryRun: true });

    expect(publisher.published).toEqual([]);
    expect(queue.messages.map((m) => [m.messageId, m.visible])).toEqual([
      ['m1', true],
      ['m2', true],
      ['m3', true],
    ]);
    expect(report).toMatchObject({ dry_run: true, seen: 3, replayed: 0, would_replay: 2, left: 1 });
    expect(report.messages.map((m) => m.outcome)).toEqual(['would_replay', 'would_replay', 'left']);
  });

  it.each([
    ['a body that is not JSON', 'not json', ruleArn(HOOK_A), 'the body is not a pinrelay event'],
    ['an event from another source', { ...jobEvent('evt_1'), source: 'other' }, ruleArn(HOOK_A), 'the body is not a pinrelay event'],
    [
      'an event without detail.id',
      { ...jobEvent('evt_1'), detail: { tenant_id: 'ten_0123456789abcdef' } },
      ruleArn(HOOK_A),
      'the body is not a pinrelay event',
    ],
    ['no RULE_ARN', jobEvent('evt_1'), undefined, 'no RULE_ARN attribute: not dead-lettered by a webhook rule'],
    [
      'a rule of another deployment',
      jobEvent('evt_1'),
      ruleArn(HOOK_A, BUS, 'pinrelay-prod-wh-'),
      'rule pinrelay-prod-wh-whk_aaaaaaaaaaaaaaaaaaaa is not a webhook rule of this deployment (pinrelay-dev-wh-…)',
    ],
    ['a rule on another bus', jobEvent('evt_1'), ruleArn(HOOK_A, 'default'), `the rule is on bus default, not ${BUS}`],
    [
      'a subscription deleted since',
      jobEvent('evt_1'),
      ruleArn('whk_cccccccccccccccccccc'),
      'subscription whk_cccccccccccccccccccc no longer exists (its rule is gone): a redelivery would reach no one',
    ],
  ])('%s: left in the queue, visible again, with the reason', async (_what, body, rule, reason) => {
    const { queue, publisher, deps, options } = setup();
    queue.add(body, rule ? { RULE_ARN: rule, ERROR_CODE: 'SDK_CLIENT_ERROR' } : { ERROR_CODE: 'SDK_CLIENT_ERROR' });

    const report = await replayWebhookDeadLetters(deps, options);

    expect(publisher.published).toEqual([]);
    expect(queue.visible().map((m) => m.messageId)).toEqual(['m1']);
    expect(report).toMatchObject({ seen: 1, replayed: 0, left: 1, failed: 0 });
    expect(report.messages[0]).toMatchObject({ outcome: 'left', reason });
  });

  it('asks whether a rule exists once per rule', async () => {
    const { queue, deps, options, lookups } = setup();
    for (let i = 0; i < 5; i++) queue.addDeadLetter(jobEvent(`evt_${i}`), HOOK_A);
    await replayWebhookDeadLetters(deps, options);
    expect(lookups).toEqual([ruleArn(HOOK_A)]);
  });

  it('an event that fails again while the replay runs is not sent a second time: the run ends, the new dead letter stays', async () => {
    const { queue, publisher, deps, options } = setup();
    queue.addDeadLetter(jobEvent('evt_1'), HOOK_A);
    // The receiver still answers 404: each redelivery lands in the DLQ again at once.
    publisher.onAccepted = (event) => {
      queue.addDeadLetter({ ...jobEvent('x'), 'detail-type': event.detailType, detail: event.detail }, HOOK_A);
    };

    const report = await replayWebhookDeadLetters(deps, options);

    expect(publisher.published).toHaveLength(1);
    expect(queue.messages.map((m) => [m.messageId, m.visible])).toEqual([['m2', true]]);
    expect(report).toMatchObject({ seen: 2, replayed: 1, left: 1 });
    expect(report.messages[1]).toMatchObject({
      event_id: 'evt_1',
      outcome: 'left',
      reason: 'already sent in this run (a duplicate, or its redelivery failed again)',
    });
  });

  it('a message whose delete fails was still sent: counted as not deleted (the next replay sends it again)', async () => {
    const { queue, deps, options } = setup();
    queue.addDeadLetter(jobEvent('evt_1'), HOOK_A);
    queue.failDeletes.add('m1');

    const report = await replayWebhookDeadLetters(deps, options);

    expect(report).toMatchObject({ replayed: 1, not_deleted: 1 });
    expect(report.messages[0]).toMatchObject({
      outcome: 'replayed',
      reason: 'sent, but the message could not be deleted: a next replay sends it again',
    });
  });

  it('hides what it reads for the whole run (default 300 s) and stops at the first empty receive', async () => {
    const { queue, deps, options } = setup();
    queue.addDeadLetter(jobEvent('evt_1'), HOOK_A);
    await replayWebhookDeadLetters(deps, options);
    expect(queue.hideSecondsSeen).toEqual([300, 300]);
    expect(queue.receives).toBe(2);
  });

  it('an empty queue: nothing to do', async () => {
    const { deps, options } = setup();
    const report = await replayWebhookDeadLetters(deps, options);
    expect(report).toEqual({
      dry_run: false,
      subscription: null,
      seen: 0,
      replayed: 0,
      would_replay: 0,
      left: 0,
      failed: 0,
      not_deleted: 0,
      messages: [],
    });
  });
});
