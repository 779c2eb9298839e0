/**
 * Self-service webhooks end to end: the real API (local API Gateway + the webhook handlers), DynamoDB
 * Local, the EventBridge stand-in (connections, API destinations, rules, targets, retries, the DLQ in
 * fauxqs) and webhook receivers on 127.0.0.1 — the same SDK calls the functions make in AWS.
 *
 * Every test uses a tenant of its own, so per-tenant caps and deliveries do not mix.
 */
import { DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../local/pipeline.ts';
import type { BusEvent } from '../../local/stand-ins/eventbridge.ts';
import { startWebhookReceiver, type ReceivedDelivery, type WebhookReceiver, type WebhookReceiverOptions } from '../../local/webhook-receiver.ts';
import { callerFor, sqsOf, testPipeline, waitFor, waitForJob, type Caller } from './harness.ts';

const SECRET_HEADER = 'x-pinrelay-webhook-secret';
/** Fast local retries (first ~0.2 s, capped at 1.5 s), so a 20 s outage sees many retries of every event. */
const RETRY = { firstDelayMs: 200, maxDelayMs: 1500, multiplier: 2, jitter: 0.5 };
const OUTAGE_MS = 20_000;

let pipeline: Pipeline;
const receivers: WebhookReceiver[] = [];
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

beforeAll(async () => {
  pipeline = await testPipeline({
    webhookRetry: RETRY,
    webhooks: { maxPerTenant: 3 },
    // Jobs publish at once (pacing is not under test here).
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
  });
  pipeline.events.onEvent((event: BusEvent) => {
    const id = event.event.detail['id'];
    if (typeof id === 'string') acceptedAt.set(id, Date.now());
  });
});

afterAll(async () => {
  await Promise.allSettled(receivers.map((r) => r.stop()));
  await pipeline?.stop();
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

async function receiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver({ log: () => undefined, ...options });
  receivers.push(started);
  return started;
}

/** Every tenant this file created. */
const tenantsSeen = new Set<string>();

/** A new tenant and its API caller. */
async function tenant(name: string): Promise<{ tenantId: string; api: Caller }> {
  const created = await pipeline.createTenant(name);
  tenantsSeen.add(created.tenantId);
  return { tenantId: created.tenantId, api: callerFor(pipeline, created.apiKey) };
}

async function subscribe(api: Caller, url: string, events: string[] = ['job.succeeded', 'job.failed']) {
  const created = await api('POST', '/v1/webhooks', { body: { url, events, description: 'integration' } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; url: string; events: string[]; description: string; created_at: string; secret: string };
}

/** Every EventBridge resource in the stand-in named after this webhook. */
function resourcesOf(webhookId: string) {
  const named = (name: string) => name.endsWith(webhookId);
  return {
    rules: pipeline.events.rules().filter((r) => named(r.name)),
    targets: pipeline.events.rules().filter((r) => named(r.name)).flatMap((r) => r.targets),
    apiDestinations: pipeline.events.apiDestinations().filter((d) => named(d.name)),
    connections: pipeline.events.connections().filter((c) => named(c.name)),
  };
}

/** The tenant's WEBHOOK# items, straight from the table. */
async function storedWebhooks(tenantId: string): Promise<Record<string, AttributeValue>[]> {
  const dynamo = new DynamoDBClient({ endpoint: pipeline.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const out = await dynamo.send(
    new QueryCommand({
      TableName: pipeline.tableNames.tenants,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
      ExpressionAttributeValues: { ':pk': { S: `TENANT#${tenantId}` }, ':w': { S: 'WEBHOOK#' } },
      ConsistentRead: true,
    }),
  );
  dynamo.destroy();
  return out.Items ?? [];
}

const accepted = (r: WebhookReceiver) => r.deliveries().filter((d) => d.status >= 200 && d.status < 300);

describe('subscription API', () => {
  it('create → 201 with the secret, once; list and get never show it; another tenant gets 404', async () => {
    const { tenantId, api } = await tenant('create');
    const other = await tenant('create-other');
    const hook = await receiver();

    const created = await api('POST', '/v1/webhooks', {
      body: { url: `${hook.url}/pinrelay?team=7`, events: ['job.succeeded', 'job.failed'], description: 'CMS sync' },
    });

    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/webhooks/${created.body.id}`);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^whk_[0-9a-z]{20}$/),
      url: `${hook.url}/pinrelay?team=7`,
      events: ['job.succeeded', 'job.failed'],
      description: 'CMS sync',
      created_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const { secret, ...shown } = created.body;
    const list = await api('GET', '/v1/webhooks');
    expect(list).toMatchObject({ status: 200, body: { items: [shown] } });
    const got = await api('GET', `/v1/webhooks/${shown.id}`);
    expect(got).toMatchObject({ status: 200, body: shown });
    for (const answer of [list, got]) expect(JSON.stringify(answer.body)).not.toContain(secret);
    // The secret is nowhere in the table either: only in the EventBridge connection.
    expect(JSON.stringify(await storedWebhooks(tenantId))).not.toContain(secret);
    const [connection] = resourcesOf(shown.id).connections;
    expect(connection).toMatchObject({ authorizationType: 'API_KEY', apiKey: { name: SECRET_HEADER, value: secret } });

    expect((await other.api('GET', `/v1/webhooks/${shown.id}`)).status).toBe(404);
    expect((await other.api('DELETE', `/v1/webhooks/${shown.id}`)).status).toBe(404);
    expect((await other.api('POST', `/v1/webhooks/${shown.id}/test`)).status).toBe(404);
    expect((await other.api('GET', '/v1/webhooks')).body).toEqual({ items: [] });
  });

  it('one connection, API destination, rule and target per subscription, as definitions/webhooks.ts describes them', async () => {
    const { tenantId, api } = await tenant('shape');
    const hook = await receiver();
    const { id } = await subscribe(api, hook.url, ['job.failed']);

    const made = resourcesOf(id);
    const name = `${pipeline.webhookNamePrefix}${id}`;
    expect(made.connections.map((c) => c.name)).toEqual([name]);
    expect(made.apiDestinations).toMatchObject([{ name, invocationEndpoint: `${hook.url}/`, httpMethod: 'POST', invocationRateLimitPerSecond: 10 }]);
    expect(made.rules).toMatchObject([{ name, state: 'ENABLED' }]);
    expect(JSON.parse(made.rules[0]!.eventPattern)).toEqual({
      source: ['pinrelay'],
      detail: { tenant_id: [tenantId] },
      $or: [{ 'detail-type': ['job.failed'] }, { detail: { webhook_id: [id] } }],
    });
    expect(made.targets).toEqual([
      expect.objectContaining({
        Id: 'webhook',
        Arn: made.apiDestinations[0]!.arn,
        RoleArn: 'arn:aws:iam::000000000000:role/pinrelay-local-webhook-target',
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: expect.stringMatching(/:[a-z0-9]+-WebhookDeadLetterQueue$/) },
        HttpParameters: { HeaderParameters: { 'webhook-id': '$.detail.id', 'webhook-timestamp': '$.detail.timestamp' } },
      }),
    ]);
  });

  it('the per-tenant cap: the 4th subscription (webhooks.maxPerTenant = 3) is a 409 that says so, and makes nothing', async () => {
    const { api } = await tenant('cap');
    const hook = await receiver();
    for (let i = 0; i < 3; i++) await subscribe(api, hook.url);
    const before = pipeline.events.connections().length;

    const refused = await api('POST', '/v1/webhooks', { body: { url: hook.url, events: ['job.failed'] } });

    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({
      code: 'conflict',
      message:
        'this tenant already has 3 webhook subscriptions, the most allowed (webhooks.maxPerTenant = 3); delete one first, or subscribe one URL to several events',
    });
    expect(pipeline.events.connections()).toHaveLength(before);
  });

  it.each([
    ['a private address', 'https://10.0.0.5/hook', 'must not point to a private address (10.0.0.0/8)'],
    ['the metadata endpoint', 'https://169.254.169.254/latest/meta-data/', 'must not point to a cloud metadata endpoint (169.254.169.254/32)'],
    ['the metadata endpoint in decimal', 'https://2852039166/latest/meta-data/', 'must not point to a cloud metadata endpoint (169.254.169.254/32)'],
    ['the metadata endpoint as IPv4-mapped IPv6', 'https://[::ffff:169.254.169.254]/x', 'must not point to a cloud metadata endpoint (169.254.169.254/32 via IPv4-mapped IPv6)'],
    ['GCP metadata by name', 'https://metadata.google.internal/computeMetadata/v1/', 'must not point to a cloud metadata endpoint'],
    ['plain http off loopback', 'http://hooks.example.com/x', 'must use https:// (http:// only for 127.0.0.1 and localhost in local mode)'],
    ['credentials in the URL', 'http://user:pw@127.0.0.1:9/x', 'must not contain a user name or password (the subscription secret authenticates deliveries)'],
  ])('%s → 400 naming the rule, and nothing is made', async (_what, url, message) => {
    const { tenantId, api } = await tenant('ssrf');
    const before = pipeline.events.connections().length;

    const refused = await api('POST', '/v1/webhooks', { body: { url, events: ['job.failed'] } });

    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({ code: 'validation_error', message: 'invalid webhook url', details: [{ path: 'url', message }] });
    expect(pipeline.events.connections()).toHaveLength(before);
    expect(await storedWebhooks(tenantId)).toEqual([]);
  });

  it('a create that fails half-way (PutTargets refused) answers 500 and leaves nothing behind', async () => {
    const { tenantId, api } = await tenant('half');
    const hook = await receiver();
    const { eventsClient } = await import('../../lambdas/common/clients.ts');
    // The same client the webhook functions use (lambdas/common/clients.ts): fail PutTargets before it is sent.
    const stack = eventsClient().middlewareStack;
    let injected = 0;
    stack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutTargetsCommand') {
          injected++;
          throw Object.assign(new Error('injected PutTargets failure'), { name: 'InternalException' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failPutTargets' },
    );
    try {
      const created = await api('POST', '/v1/webhooks', { body: { url: hook.url, events: ['job.failed'] } });

      expect(created.status).toBe(500);
      expect(created.body.error.code).toBe('internal');
    } finally {
      stack.remove('failPutTargets');
    }
    expect(injected).toBe(1);
    // The connection, destination and rule it made were removed, and the item: no orphan anywhere.
    expect(await storedWebhooks(tenantId)).toEqual([]);
    expect((await api('GET', '/v1/webhooks')).body).toEqual({ items: [] });
    expect(await orphans()).toEqual([]);

    // And the same tenant can subscribe normally afterwards.
    await subscribe(api, hook.url, ['job.failed']);
  });
});

/**
 * Resources under the webhook prefix that belong to no stored subscription (of any tenant this file made):
 * what a half-done create or delete would leave.
 */
async function orphans(): Promise<string[]> {
  const prefix = pipeline.webhookNamePrefix;
  const stored = new Set<string>();
  for (const tenantId of tenantsSeen) for (const item of await storedWebhooks(tenantId)) stored.add(item['webhook_id']!.S!);
  return [
    ...pipeline.events.connections().map((c) => `connection ${c.name}`),
    ...pipeline.events.apiDestinations().map((d) => `api-destination ${d.name}`),
    ...pipeline.events.rules().map((r) => `rule ${r.name}`),
  ].filter((entry) => {
    const name = entry.split(' ')[1]!;
    return name.startsWith(prefix) && !stored.has(name.slice(prefix.length));
  });
}

describe('deliveries', () => {
  it('a test event arrives with the secret header, webhook-id, webhook-timestamp and exactly {id, type, created_at, data}; no other subscription gets it', async () => {
    const { api } = await tenant('test-event');
    const other = await tenant('test-event-other');
    const hook = await receiver();
    const otherHook = await receiver();
    const sub = await subscribe(api, hook.url, ['job.succeeded']);
    await subscribe(other.api, otherHook.url, ['job.succeeded']);
    const sibling = await subscribe(api, `${otherHook.url}/sibling`, ['job.succeeded']);

    const sent = await api('POST', `/v1/webhooks/${sub.id}/test`);
    expect(sent.status).toBe(202);
    const eventId = sent.body.event_id as string;
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
    expect(delivery.webhookTimestamp).toBe(String(Math.floor(Date.parse(body['created_at'] as string) / 1000)));

    await pipeline.events.idle();
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
      const sent = await api('POST', `/v1/webhooks/${sub.id}/test`);
      expect(sent.status).toBe(202);
      ids.push(sent.body.event_id);
      requestedAt.set(sent.body.event_id, before);
      await new Promise((r) => setTimeout(r, 150));
    }
    await waitFor(async () => ids.every((id) => accepted(hook).some((d) => d.webhookId === id)), { what: '30 test deliveries' });
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
      ids.push((await api('POST', `/v1/webhooks/${sub.id}/test`)).body.event_id);
      await new Promise((r) => setTimeout(r, 300));
    }

    await waitFor(async () => ids.every((id) => accepted(hook).some((d) => d.webhookId === id && !d.duplicate)), {
      what: 'every event after the outage',
      timeoutMs: 60_000,
    });
    await pipeline.events.idle();

    const all = hook.deliveries();
    const processed = all.filter((d) => d.status < 300 && !d.duplicate);
    const duplicates = all.filter((d) => d.duplicate);
    expect(new Set(processed.map((d) => d.webhookId))).toEqual(new Set(ids));
    expect(processed).toHaveLength(ids.length); // each event processed once
    expect(all.filter((d) => d.status === 500).length).toBeGreaterThan(ids.length); // retried through the outage
    expect(duplicates.length).toBeGreaterThanOrEqual(1);
    for (const d of duplicates) expect(ids).toContain(d.webhookId);
    expect(pipeline.events.failedDeliveries().filter((f) => f.ruleName.endsWith(sub.id))).toEqual([]);
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

    const eventId = (await api('POST', `/v1/webhooks/${sub.id}/test`)).body.event_id as string;
    await waitFor(async () => pipeline.events.failedDeliveries().find((f) => f.ruleName.endsWith(sub.id)), { what: 'the dead-lettered event' });

    const sqs = sqsOf(pipeline);
    const messages = await waitFor(
      async () => {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: pipeline.queueUrls.webhookDlq, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
        return out.Messages?.find((m) => (JSON.parse(m.Body!) as { detail: { id: string } }).detail.id === eventId);
      },
      { what: 'the DLQ message' },
    );
    expect(messages.MessageAttributes?.['ERROR_CODE']?.StringValue).toBe('SDK_CLIENT_ERROR');
    expect(messages.MessageAttributes?.['TARGET_ARN']?.StringValue).toBe(resourcesOf(sub.id).apiDestinations[0]!.arn);
    expect(hook.deliveries()).toHaveLength(1); // not retried
  });

  it('rotate-secret: the old secret stops at once, the new one is sent from the next request on', async () => {
    const { api } = await tenant('rotate');
    const hook = await receiver(); // records every header; checks none
    const sub = await subscribe(api, hook.url, ['job.succeeded']);

    const rotated = await api('POST', `/v1/webhooks/${sub.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ ...sub, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.body.secret).not.toBe(sub.secret);
    expect(JSON.stringify((await api('GET', `/v1/webhooks/${sub.id}`)).body)).not.toContain('whsec_');

    const eventId = (await api('POST', `/v1/webhooks/${sub.id}/test`)).body.event_id as string;
    const delivery = await waitFor(async () => hook.deliveries().find((d) => d.webhookId === eventId), { what: 'the delivery after rotation' });
    expect(delivery.headers[SECRET_HEADER]).toBe(rotated.body.secret);
    expect(hook.deliveries().every((d: ReceivedDelivery) => d.headers[SECRET_HEADER] !== sub.secret)).toBe(true);

    // A receiver that checks the new secret accepts; one still holding the old refuses (401).
    const strict = await receiver({ secret: rotated.body.secret });
    const stale = await receiver({ secret: sub.secret });
    for (const r of [strict, stale]) {
      await fetch(r.url, { method: 'POST', headers: { [SECRET_HEADER]: delivery.headers[SECRET_HEADER] as string }, body: delivery.body });
    }
    expect(strict.deliveries()[0]!.status).toBe(204);
    expect(stale.deliveries()[0]!.status).toBe(401);
  });

  it('delete → 204, and the stand-in has no rule, target, API destination or connection of it left', async () => {
    const { tenantId, api } = await tenant('delete');
    const hook = await receiver();
    const sub = await subscribe(api, hook.url, ['job.succeeded', 'job.failed']);
    expect(resourcesOf(sub.id)).toMatchObject({ rules: [expect.anything()], targets: [expect.anything()], apiDestinations: [expect.anything()], connections: [expect.anything()] });

    const deleted = await api('DELETE', `/v1/webhooks/${sub.id}`);

    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect(resourcesOf(sub.id)).toEqual({ rules: [], targets: [], apiDestinations: [], connections: [] });
    expect(await storedWebhooks(tenantId)).toEqual([]);
    expect(await orphans()).toEqual([]);
    expect((await api('GET', `/v1/webhooks/${sub.id}`)).status).toBe(404);
    expect((await api('POST', `/v1/webhooks/${sub.id}/test`)).status).toBe(404);
    expect((await api('DELETE', `/v1/webhooks/${sub.id}`)).status).toBe(404);
  });
});

describe('job events', () => {
  /**
   * Needs the relay to publish job status changes to the bus (the outbox's event emission). Two tenants,
   * each subscribed to its terminal events, each publishing jobs that succeed and jobs that fail.
   */
  it('a tenant subscribed to job.succeeded and job.failed receives exactly the terminal events of its own jobs', async () => {
    const sandbox = pipeline.sandbox!;
    const setups = await Promise.all(
      ['a', 'b'].map(async (name, n) => {
        const t = await tenant(`jobs-${name}`);
        const hook = await receiver();
        const sub = await subscribe(t.api, hook.url, ['job.succeeded', 'job.failed']);
        const boardId = `77000${n}`;
        const tokens = sandbox.addUser({ username: `webhook-${name}`, boards: [boardId] });
        expect((await t.api('PUT', '/v1/accounts/main', { body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } })).status).toBe(200);
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
        const created = await s.api('POST', '/v1/pins', {
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
      await waitFor(async () => accepted(s.hook).length >= want.size, { what: `${want.size} job events for ${s.tenantId}`, timeoutMs: 20_000 });
    }
    await pipeline.events.idle();
    for (const s of setups) {
      const got = accepted(s.hook).filter((d) => !d.duplicate);
      const seen = got.map((d) => {
        const body = d.json as { id: string; type: string; created_at: string; data: { job: { id: string; status: string; updated_at: string } } };
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
