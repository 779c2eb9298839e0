/**
 * Self-service webhook subscriptions end to end (see webhook-suite.ts for the set-up): create, list, get,
 * the per-tenant cap and URL rules, a create that fails half-way, secret rotation and delete — and what
 * each leaves in the EventBridge stand-in and the tenants table. Deliveries are in webhook-deliveries.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ReceivedDelivery } from '../../local/webhook-receiver.ts';
import type { WebhookWithSecret } from '../../lambdas/api/schemas.ts';
import { waitFor, type ErrorBody } from './harness.ts';
import { SECRET_HEADER, webhookSuite, type WebhookTestResult } from './webhook-suite.ts';

const suite = webhookSuite();
const { receiver, tenant, subscribe, resourcesOf, storedWebhooks, orphans } = suite;

describe('subscription API', () => {
  it('create → 201 with the secret, once; list and get never show it; another tenant gets 404', async () => {
    const { tenantId, api } = await tenant('create');
    const other = await tenant('create-other');
    const hook = await receiver();

    const created = await api<WebhookWithSecret>('POST', '/v1/webhooks', {
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
    const name = `${suite.pipeline.webhookNamePrefix}${id}`;
    expect(made.connections.map((c) => c.name)).toEqual([name]);
    expect(made.apiDestinations).toMatchObject([
      { name, invocationEndpoint: `${hook.url}/`, httpMethod: 'POST', invocationRateLimitPerSecond: 10 },
    ]);
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
    const before = suite.pipeline.events.connections().length;

    const refused = await api<ErrorBody>('POST', '/v1/webhooks', { body: { url: hook.url, events: ['job.failed'] } });

    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({
      code: 'conflict',
      message:
        'this tenant already has 3 webhook subscriptions, the most allowed (webhooks.maxPerTenant = 3); delete one first, or subscribe one URL to several events',
    });
    expect(suite.pipeline.events.connections()).toHaveLength(before);
  });

  it.each([
    ['a private address', 'https://10.0.0.5/hook', 'must not point to a private address (10.0.0.0/8)'],
    [
      'the metadata endpoint',
      'https://169.254.169.254/latest/meta-data/',
      'must not point to a cloud metadata endpoint (169.254.169.254/32)',
    ],
    [
      'the metadata endpoint in decimal',
      'https://2852039166/latest/meta-data/',
      'must not point to a cloud metadata endpoint (169.254.169.254/32)',
    ],
    [
      'the metadata endpoint as IPv4-mapped IPv6',
      'https://[::ffff:169.254.169.254]/x',
      'must not point to a cloud metadata endpoint (169.254.169.254/32 via IPv4-mapped IPv6)',
    ],
    ['GCP metadata by name', 'https://metadata.google.internal/computeMetadata/v1/', 'must not point to a cloud metadata endpoint'],
    ['plain http off loopback', 'http://hooks.example.com/x', 'must use https:// (http:// only for 127.0.0.1 and localhost in local mode)'],
    [
      'credentials in the URL',
      'http://user:pw@127.0.0.1:9/x',
      'must not contain a user name or password (the subscription secret authenticates deliveries)',
    ],
  ])('%s → 400 naming the rule, and nothing is made', async (_what, url, message) => {
    const { tenantId, api } = await tenant('ssrf');
    const before = suite.pipeline.events.connections().length;

    const refused = await api<ErrorBody>('POST', '/v1/webhooks', { body: { url, events: ['job.failed'] } });

    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({ code: 'validation_error', message: 'invalid webhook url', details: [{ path: 'url', message }] });
    expect(suite.pipeline.events.connections()).toHaveLength(before);
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
      const created = await api<ErrorBody>('POST', '/v1/webhooks', { body: { url: hook.url, events: ['job.failed'] } });

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

  it('rotate-secret: the old secret stops at once, the new one is sent from the next request on', async () => {
    const { api } = await tenant('rotate');
    const hook = await receiver(); // records every header; checks none
    const sub = await subscribe(api, hook.url, ['job.succeeded']);

    const rotated = await api<WebhookWithSecret>('POST', `/v1/webhooks/${sub.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ ...sub, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.body.secret).not.toBe(sub.secret);
    expect(JSON.stringify((await api('GET', `/v1/webhooks/${sub.id}`)).body)).not.toContain('whsec_');

    const eventId = (await api<WebhookTestResult>('POST', `/v1/webhooks/${sub.id}/test`)).body.event_id;
    const delivery = await waitFor(async () => hook.deliveries().find((d) => d.webhookId === eventId), {
      what: 'the delivery after rotation',
    });
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
    expect(resourcesOf(sub.id)).toMatchObject({
      rules: [expect.anything()],
      targets: [expect.anything()],
      apiDestinations: [expect.anything()],
      connections: [expect.anything()],
    });

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
