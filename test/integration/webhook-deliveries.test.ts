/**
 * Webhook deliveries end to end (see webhook-suite.ts for the set-up): test events, PutEvents → delivery
 * latency, a receiver outage, dead letters, and job events reaching only their own tenant's subscriptions.
 * Subscription management is in webhook-subscriptions.test.ts.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import type { BusEvent } from '../../local/stand-ins/eventbridge.ts';
import { sqsOf, waitFor, waitForJob } from './harness.ts';
import { accepted, SECRET_HEADER, webhookSuite, type WebhookTestResult } from './webhook-suite.ts';

const OUTAGE_MS = 20_000;

const suite = webhookSuite();
const { receiver, tenant, subscribe, resourcesOf } = suite;

/** Measured figures, printed at the end (and reported). */
const figures = {
  testEventLatencyMs: [] as number[],
  /** From the POST /test request (handler + PutEvents included) to the delivery. */
  testRequestLatencyMs: [] as number[],
  jobEventLatencyMs: [] as number[],
  outage: { events: 0, requests: 0, failedAnswers: 0, delivered: 0, duplicatesDropped: 0 },
};
/** When the bus accepted each event (by detail.id): PutEvents → delivery latency. */
const acceptedAt = new Map<string, number>();

beforeAll(() => {
  suite.pipeline.events.onEvent((event: BusEvent) => {
    const id = event.event.detail.id;
    if (typeof id === 'string') acceptedAt.set(id, Date.now());
  });
});

afterAll(() => {
  const pct = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : undefined;
  };
  console.log(
    `[webhooks] test events: n=${figures.testEventLatencyMs.length} PutEvents→delivery p50=${pct(figures.testEventLatencyMs, 50)} ms p99=${pct(figures.testEventLatencyMs, 99)} ms, ` +
      `POST /test→delivery p50=${pct(figures.testRequestLatencyMs, 50)} ms p99=${pct(figures.testRequestLatencyMs, 99)} ms; ` +
      `job events: n=${figures.jobEventLatencyMs.length} status change→delivery p50=${pct(figures.jobEventLatencyMs, 50)} ms p99=${pct(figures.jobEventLatencyMs, 99)} ms; ` +
      `outage: ${JSON.stringify(figures.outage)}`,
  );
});

describe('deliveries', () => {
  it('a test event arrives with the secret header, webhook-id, webhook-timestamp and exactly {id, type, created_at, data}; no other subscription gets it', async () => {
    const { api } = await tenant('test-event');
    const other = await tenant('test-event-other');
    const hook = await receiver();
    const otherHook = await receiver();
    const sub = await subscribe(api, hook.url, ['job.succeeded']);
    await subscribe(other.api, otherHook.url, ['job.succeeded']);
    const sibling = await subscribe(api, `${otherHook.url}/sibling`, ['job.succeeded']);

    const sent = await api<WebhookTestResult>('POST', `/v1/webhooks/${sub.id}/test`);
    expect(sent.status).toBe(202);
    const eventId = sent.body.event_id;
    expect(eventId).toMatch(/^evt_[0-9a-f]{32}$/);

    const delivery = await waitFor(async () => hook.deliveries().find((d) => d.webhookId === eventId), { what: 'the test delivery' });
    expect(delivery.method).toBe('POST');
    expect(delivery.headers[SECRET_HEADER]).toBe(sub.secret);
    expect(delivery.authorized).toBe(true);
    expect(delivery.status).toBe(204);
    const body = delivery.json as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['id', 'type', 'created_at', 'data']);
    expect(body).toEqual({
      id: eventId,
      type: 'webhook.test',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { webhook: { id: sub.id, url: sub.url, events: ['job.succeeded'] } },
    });
    expect(delivery.webhookTimestamp).toBe(String(Math.floor(Date.parse(body.created_at as string) / 1000)));

    await suite.pipeline.events.idle();
    // Not the other tenant's subscription on the same kind of receiver, not this tenant's other subscription.
    expect(otherHook.deliveries()).toEqual([]);
    expect(resourcesOf(sibling.id).rules).toHaveLength(1);
  });

  // Spaced below the destination's rate limit (10/s), so the figure is the delivery path, not the queue behind the limit.
  it('PutEvents → delivery latency over 30 test events (local mode)', async () => {
    const { api } = await tenant('latency');
    const hook = await receiver();
    const sub = await subscribe(api, hook.url, ['job.succeeded']);
    const ids: string[] = [];
    const requestedAt = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const before = Date.now();
      const sent = await api<WebhookTestResult>('POST', `/v1/webhooks/${sub.id}/test`);
      expect(sent.status).toBe(202);
      ids.push(sent.body.event_id);
      requestedAt.set(sent.body.event_id, before);
      await new Promise((r) => setTimeout(r, 150)); // spacing below the rate limit, not a wait for anything
    }
    await waitFor(() => ids.filter((id) => !accepted(hook).some((d) => d.webhookId === id)), {
      until: (missing) => missing.length === 0,
      what: '30 test deliveries',
    });
    for (const id of ids) {
      const delivered = accepted(hook).find((d) => d.webhookId === id)!;
      figures.testEventLatencyMs.push(delivered.receivedAt.getTime() - acceptedAt.get(id)!);
      figures.testRequestLatencyMs.push(delivered.receivedAt.getTime() - requestedAt.get(id)!);
    }
    expect(accepted(hook)).toHaveLength(30);
  });

  it(`a receiver answering 500 for ${OUTAGE_MS / 1000} s still gets every event; webhook-id lets it drop the redeliveries`, async () => {
    const { api } = await tenant('outage');
    const until = Date.now() + OUTAGE_MS;
    let slowAnswers = 1;
    const hook = await receiver({
      // During the outage: 500. The first delivery after it is processed but answered too late (6 s > the
      // 5 s timeout), so EventBridge sends it again: a true duplicate the receiver drops by webhook-id.
      respond: () => {
        if (Date.now() < until) return { status: 500 };
        if (slowAnswers > 0) {
          slowAnswers--;
          return { status: 204, delayMs: 6000 };
        }
        return undefined;
      },
    });
    const sub = await subscribe(api, hook.url, ['job.succeeded']);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push((await api<WebhookTestResult>('POST', `/v1/webhooks/${sub.id}/test`)).body.event_id);
      await new Promise((r) => setTimeout(r, 300)); // spread over the outage, not a wait for anything
    }

    await waitFor(() => ids.filter((id) => !accepted(hook).some((d) => d.webhookId === id && !d.duplicate)), {
      until: (missing) => missing.length === 0,
      what: 'every event after the outage',
      timeoutMs: 60_000,
    });
    await suite.pipeline.events.idle();

    const all = hook.deliveries();
    const processed = all.filter((d) => d.status < 300 && !d.duplicate);
    const duplicates = all.filter((d) => d.duplicate);
    expect(new Set(processed.map((d) => d.webhookId))).toEqual(new Set(ids));
    expect(processed).toHaveLength(ids.length); // each event processed once
    expect(all.filter((d) => d.status === 500).length).toBeGreaterThan(ids.length); // retried through the outage
    expect(duplicates.length).toBeGreaterThanOrEqual(1);
    for (const d of duplicates) expect(ids).toContain(d.webhookId);
    expect(suite.pipeline.events.failedDeliveries().filter((f) => f.ruleName.endsWith(sub.id))).toEqual([]);
    figures.outage = {
      events: ids.length,
      requests: all.length,
      failedAnswers: all.filter((d) => d.status >= 300).length,
      delivered: processed.length,
      duplicatesDropped: duplicates.length,
    };
  }, 90_000);

  it('an answer EventBridge does not retry (404) dead-letters the event into the webhook DLQ', async () => {
    const { api } = await tenant('dlq');
    const hook = await receiver({ respond: () => ({ status: 404 }) });
    const sub = await subscribe(api, hook.url, ['job.failed']);

    const eventId = (await api<WebhookTestResult>('POST', `/v1/webhooks/${sub.id}/test`)).body.event_id;
    await waitFor(async () => suite.pipeline.events.failedDeliveries().find((f) => f.ruleName.endsWith(sub.id)), {
      what: 'the dead-lettered event',
    });

    const sqs = sqsOf(suite.pipeline);
    const messages = await waitFor(
      async () => {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: suite.pipeline.queueUrls.webhookDlq,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            WaitTimeSeconds: 1,
          }),
        );
        return out.Messages?.find((m) => (JSON.parse(m.Body!) as { detail: { id: string } }).detail.id === eventId);
      },
      { what: 'the DLQ message' },
    );
    expect(messages.MessageAttributes?.ERROR_CODE?.StringValue).toBe('SDK_CLIENT_ERROR');
    expect(messages.MessageAttributes?.TARGET_ARN?.StringValue).toBe(resourcesOf(sub.id).apiDestinations[0]!.arn);
    expect(hook.deliveries()).toHaveLength(1); // not retried
  });
});

describe('job events', () => {
  /**
   * Needs the relay to publish job status changes to the bus (the outbox's event emission). Two tenants,
   * each subscribed to its terminal events, each publishing jobs that succeed and jobs that fail.
   */
  it('a tenant subscribed to job.succeeded and job.failed receives exactly the terminal events of its own jobs', async () => {
    const sandbox = suite.pipeline.sandbox!;
    const setups = await Promise.all(
      ['a', 'b'].map(async (name, n) => {
        const t = await tenant(`jobs-${name}`);
        const hook = await receiver();
        const sub = await subscribe(t.api, hook.url, ['job.succeeded', 'job.failed']);
        const boardId = `77000${n}`;
        const tokens = sandbox.addUser({ username: `webhook-${name}`, boards: [boardId] });
        expect(
          (await t.api('PUT', '/v1/accounts/main', { body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } }))
            .status,
        ).toBe(200);
        return { ...t, hook, sub, boardId };
      }),
    );

    const JOBS = 10;
    const FAILING = new Set([2, 5, 8]);
    const expected = new Map<string, Set<string>>();
    for (const s of setups) {
      const submitted: string[] = [];
      for (let i = 0; i < JOBS; i++) {
        const succeed = !FAILING.has(i);
        const created = await s.api<Job>('POST', '/v1/pins', {
          body: {
            account_id: 'main',
            board_id: succeed ? s.boardId : '55555', // a board the user does not have: 404 ⇒ failed
            title: `pin ${i}`,
            link: `https://shop.example.com/${s.tenantId}/${i}`,
            media_source: { source_type: 'image_url', url: `https://cdn.example.com/${i}.jpg` },
          },
          headers: { 'Idempotency-Key': `webhook-${i}` },
        });
        expect(created.status).toBe(202);
        submitted.push(created.body.id);
      }
      const jobs: { id: string; status: string }[] = [];
      for (const id of submitted) {
        const job = await waitForJob(s.api, id);
        jobs.push({ id: job.id, status: job.status });
      }
      expect(jobs.map((j) => j.status)).toEqual(Array.from({ length: JOBS }, (_, i) => (FAILING.has(i) ? 'failed' : 'succeeded')));
      expected.set(s.tenantId, new Set(jobs.map((j) => `${j.id} job.${j.status}`)));
    }

    for (const s of setups) {
      const want = expected.get(s.tenantId)!;
      await waitFor(() => accepted(s.hook).length, {
        until: (n) => n >= want.size,
        what: `${want.size} job events for ${s.tenantId}`,
        timeoutMs: 20_000,
      });
    }
    await suite.pipeline.events.idle();
    for (const s of setups) {
      const got = accepted(s.hook).filter((d) => !d.duplicate);
      const seen = got.map((d) => {
        const body = d.json as {
          id: string;
          type: string;
          created_at: string;
          data: { job: { id: string; status: string; updated_at: string } };
        };
        expect(d.headers[SECRET_HEADER]).toBe(s.sub.secret);
        expect(Object.keys(body)).toEqual(['id', 'type', 'created_at', 'data']);
        expect(d.webhookId).toBe(body.id);
        figures.jobEventLatencyMs.push(d.receivedAt.getTime() - Date.parse(body.data.job.updated_at));
        return `${body.data.job.id} ${body.type}`;
      });
      expect(new Set(seen)).toEqual(expected.get(s.tenantId));
      expect(seen).toHaveLength(expected.get(s.tenantId)!.size);
    }
  }, 60_000);
});
