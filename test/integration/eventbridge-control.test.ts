/**
 * The EventBridge stand-in's control plane around webhook delivery, driven with the real AWS SDK v3
 * clients: a rotated connection key, InvocationRateLimitPerSecond, disabled and deleted rules, and stop().
 * What a delivery carries, its retries and dead letters are in eventbridge-delivery.test.ts.
 */
import {
  DeleteRuleCommand,
  DescribeConnectionCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  PutEventsCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { eventBridgeSuite, jobEvent } from './eventbridge-suite.ts';
import { waitFor } from './wait.ts';

describe('EventBridge stand-in: the control plane around webhook delivery', () => {
  const suite = eventBridgeSuite();
  const { receiver, extraStandIn, bus, subscribe } = suite;

  it('uses a rotated API key (UpdateConnection) on the next attempt, and never shows the key in DescribeConnection', async () => {
    const hooks = await receiver({ secret: 'whsec_new' });
    const busName = await bus();
    const { name } = await subscribe(busName, hooks.url, {
      apiKey: 'whsec_old',
      retryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 },
    });
    const { entry } = jobEvent(busName, 'published');

    await suite.client.send(new PutEventsCommand({ Entries: [entry] }));
    await waitFor(() => hooks.deliveries().length, { until: (n) => n >= 1, what: 'the first delivery, with the old key', everyMs: 20 });
    await suite.client.send(
      new UpdateConnectionCommand({ Name: name, AuthParameters: { ApiKeyAuthParameters: { ApiKeyValue: 'whsec_new' } } }),
    );
    await suite.standIn.idle();

    const received = hooks.deliveries();
    expect(received[0]).toMatchObject({ status: 401, authorized: false });
    expect(received[0]!.headers['x-pinrelay-webhook-secret']).toBe('whsec_old');
    expect(received.at(-1)).toMatchObject({ status: 204, authorized: true });
    expect(received.at(-1)!.headers['x-pinrelay-webhook-secret']).toBe('whsec_new');

    const described = await suite.client.send(new DescribeConnectionCommand({ Name: name }));
    expect(described.AuthParameters).toEqual({ ApiKeyAuthParameters: { ApiKeyName: 'x-pinrelay-webhook-secret' } });
    expect(JSON.stringify(described)).not.toContain('whsec_');
    expect(suite.standIn.connections().find((c) => c.name === name)?.apiKey).toEqual({
      name: 'x-pinrelay-webhook-secret',
      value: 'whsec_new',
    });
  });

  it('honours InvocationRateLimitPerSecond and keeps events in order', async () => {
    const hooks = await receiver();
    const busName = await bus();
    await subscribe(busName, hooks.url, { rate: 2 });
    const events = Array.from({ length: 5 }, () => jobEvent(busName, 'queued'));

    await suite.client.send(new PutEventsCommand({ Entries: events.map((e) => e.entry) }));
    await suite.standIn.idle();

    const received = hooks.deliveries();
    expect(received.map((d) => d.webhookId)).toEqual(events.map((e) => e.detail.id));
    const times = received.map((d) => d.receivedAt.getTime());
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!).toBeGreaterThanOrEqual(950);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1950);
  });

  it('delivers nothing for a disabled rule, and again once it is enabled', async () => {
    const hooks = await receiver();
    const busName = await bus();
    const { name } = await subscribe(busName, hooks.url);

    await suite.client.send(new DisableRuleCommand({ Name: name, EventBusName: busName }));
    await suite.client.send(new PutEventsCommand({ Entries: [jobEvent(busName, 'queued').entry] }));
    await suite.standIn.idle();
    expect(hooks.deliveries()).toEqual([]);

    await suite.client.send(new EnableRuleCommand({ Name: name, EventBusName: busName }));
    await suite.client.send(new PutEventsCommand({ Entries: [jobEvent(busName, 'queued').entry] }));
    await suite.standIn.idle();
    expect(hooks.deliveries()).toHaveLength(1);
  });

  it('refuses DeleteRule while the rule has targets, like AWS', async () => {
    const hooks = await receiver();
    const busName = await bus();
    const { name } = await subscribe(busName, hooks.url);

    const refused = await suite.client.send(new DeleteRuleCommand({ Name: name, EventBusName: busName })).catch((e: unknown) => e);
    expect((refused as Error).name).toBe('ValidationException');
    expect((refused as Error).message).toBe("Rule can't be deleted since it has targets.");

    await suite.client.send(new RemoveTargetsCommand({ Rule: name, EventBusName: busName, Ids: ['webhook'] }));
    await suite.client.send(new DeleteRuleCommand({ Name: name, EventBusName: busName }));
    await expect(suite.client.send(new DescribeRuleCommand({ Name: name, EventBusName: busName }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    expect(suite.standIn.rules(busName)).toEqual([]);
  });

  it('never blocks PutEvents, and stop() cancels retries, waits for the request in flight and leaves no timers', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const local = await extraStandIn({ retry: { firstDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 } });
    try {
      // Event 1: answered slowly (in flight when stop() is called). Event 2: 500, so a retry is pending.
      const hooks = await receiver({ respond: ({ number }) => (number === 1 ? { status: 204, delayMs: 1000 } : { status: 500 }) });
      const busName = await bus(local.client);
      await subscribe(busName, hooks.url, { eb: local.client });
      const slowTarget = await subscribe(busName, hooks.url, { eb: local.client, tenant: 'globex' });

      await local.client.send(new PutEventsCommand({ Entries: [jobEvent(busName, 'queued', 'globex').entry] }));
      // PutEvents answered while the (slow) delivery had not even been answered yet.
      expect(local.standIn.deliveries()).toEqual([]);
      await waitFor(() => hooks.deliveries().length, {
        until: (n) => n === 1,
        what: 'the slow delivery to reach its receiver',
        everyMs: 20,
      });
      await local.client.send(new PutEventsCommand({ Entries: [jobEvent(busName, 'queued').entry] }));
      await waitFor(() => local.standIn.deliveries().map((a) => a.outcome), {
        until: (outcomes) => outcomes.includes('retry'),
        what: 'a delivery answered 500 and set to retry',
        everyMs: 20,
      });

      let idle = false;
      void local.standIn.idle().then(() => (idle = true));
      const stopping = Date.now();
      await local.standIn.stop();
      // Far less than the 60 s retry it cancelled: only the slow request was waited for.
      expect(Date.now() - stopping).toBeLessThan(5000);

      // The slow request was in flight when stop() was called, and was waited for, not abandoned.
      const slow = local.standIn.deliveries().find((a) => a.ruleArn === slowTarget.ruleArn);
      expect(slow).toMatchObject({ statusCode: 204, outcome: 'delivered' });
      expect(slow!.endedAt.getTime()).toBeGreaterThanOrEqual(stopping);
      await new Promise((resolve) => setImmediate(resolve));
      expect(idle).toBe(true);
    } finally {
      local.client.destroy();
    }
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
  });
});
