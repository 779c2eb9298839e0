/**
 * Webhook delivery through the EventBridge stand-in, set up and driven with the real AWS SDK v3 clients
 * (connection → API destination → rule → target, then PutEvents), delivered over real HTTP to webhook
 * receivers on loopback, dead-lettered into a real (fauxqs) SQS queue: what arrives, retries, dead letters.
 * The control plane around it (rotation, rate limits, rule state, stop) is in eventbridge-control.test.ts.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { FailedDelivery } from '../../local/stand-ins/eventbridge.ts';
import { eventBridgeSuite, expectedBody, jobEvent, SECRET } from './eventbridge-suite.ts';

describe('EventBridge stand-in: webhooks through API destinations', () => {
  const suite = eventBridgeSuite();
  const { receiver, extraStandIn, bus, dlq, receiveAll, subscribe, attemptsFor, eventIdOf } = suite;

  it('delivers exactly the transformed body and headers of matching events, and nothing else', async () => {
    const hooks = await receiver();
    const busName = await bus();
    const { destinationArn, ruleArn } = await subscribe(busName, hooks.url);
    const match = jobEvent(busName, 'published');
    const otherTenant = jobEvent(busName, 'published', 'globex');
    const otherSource = { ...jobEvent(busName, 'failed').entry, Source: 'someone-else' };

    const result = await suite.client.send(new PutEventsCommand({ Entries: [otherTenant.entry, match.entry, otherSource] }));
    await suite.standIn.idle();

    expect(result.FailedEntryCount).toBe(0);
    const [delivery, ...more] = hooks.deliveries();
    expect(more).toEqual([]);
    expect(delivery).toMatchObject({
      method: 'POST',
      path: '/hooks/pinrelay',
      body: expectedBody(match.detail),
      authorized: true,
      status: 204,
    });
    expect(delivery!.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Amazon/EventBridge/ApiDestinations',
      'x-pinrelay-webhook-secret': SECRET,
      'webhook-id': match.detail.id,
      'webhook-timestamp': match.detail.timestamp,
      'x-pinrelay-source': 'eventbridge',
    });
    expect(JSON.parse(delivery!.body)).toEqual({
      id: match.detail.id,
      type: 'job.published',
      created_at: match.detail.created_at,
      data: match.detail.data,
    });

    const eventId = result.Entries![1]!.EventId!;
    expect(suite.standIn.deliveries().filter((attempt) => attempt.ruleArn === ruleArn)).toEqual([
      expect.objectContaining({
        eventId,
        targetId: 'webhook',
        targetArn: destinationArn,
        attempt: 1,
        statusCode: 204,
        outcome: 'delivered',
        method: 'POST',
      }),
    ]);
  });

  it('retries 5xx answers with backoff until the receiver recovers, with the same body and webhook-id', async () => {
    const hooks = await receiver({ failFirst: 3 });
    const busName = await bus();
    await subscribe(busName, hooks.url);
    const { entry, detail } = jobEvent(busName, 'failed');

    await suite.client.send(new PutEventsCommand({ Entries: [entry] }));
    await suite.standIn.idle();

    const received = hooks.deliveries();
    expect(received.map((d) => d.status)).toEqual([500, 500, 500, 204]);
    expect(new Set(received.map((d) => d.body))).toEqual(new Set([expectedBody(detail)]));
    expect(new Set(received.map((d) => d.webhookId))).toEqual(new Set([detail.id]));
    const attempts = attemptsFor(eventIdOf(detail));
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.outcome, a.retryInMs])).toEqual([
      [1, 500, 'retry', 50],
      [2, 500, 'retry', 100],
      [3, 500, 'retry', 200],
      [4, 204, 'delivered', undefined],
    ]);
    // The waits really happened (timer granularity aside).
    for (let i = 1; i < attempts.length; i++) {
      expect(attempts[i]!.startedAt.getTime() - attempts[i - 1]!.endedAt.getTime()).toBeGreaterThanOrEqual(attempts[i - 1]!.retryInMs! - 5);
    }
  });

  it('honours Retry-After', async () => {
    const hooks = await receiver({ failFirst: 1, failStatus: 429, retryAfter: '2' });
    const busName = await bus();
    await subscribe(busName, hooks.url);
    const { entry, detail } = jobEvent(busName, 'queued');

    await suite.client.send(new PutEventsCommand({ Entries: [entry] }));
    await suite.standIn.idle();

    const [first, second] = hooks.deliveries();
    expect([first?.status, second?.status]).toEqual([429, 204]);
    expect(second!.receivedAt.getTime() - first!.receivedAt.getTime()).toBeGreaterThanOrEqual(1950);
    expect(attemptsFor(eventIdOf(detail))[0]).toMatchObject({ statusCode: 429, outcome: 'retry', retryInMs: 2000 });
  });

  it('retries a request that times out', async () => {
    const hooks = await receiver({ respond: ({ number }) => (number === 1 ? { status: 204, delayMs: 1500 } : undefined) });
    const busName = await bus();
    await subscribe(busName, hooks.url);
    const { entry, detail } = jobEvent(busName, 'running');

    await suite.client.send(new PutEventsCommand({ Entries: [entry] }));
    await suite.standIn.idle();

    const attempts = attemptsFor(eventIdOf(detail));
    expect(attempts[0]).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/did not answer within 500 ms/) });
    expect(attempts[0]!.statusCode).toBeUndefined();
    expect(attempts.at(-1)).toMatchObject({ outcome: 'delivered', statusCode: 204 });
  });

  it('does not retry a 400, and dead-letters the event at once', async () => {
    const hooks = await receiver({ respond: () => ({ status: 400 }) });
    const queue = await dlq();
    const busName = await bus();
    const { ruleArn, destinationArn } = await subscribe(busName, hooks.url, { dlqArn: queue.arn });
    const { entry, detail } = jobEvent(busName, 'published');

    await suite.client.send(new PutEventsCommand({ Entries: [entry] }));
    await suite.standIn.idle();

    expect(hooks.deliveries().map((d) => d.status)).toEqual([400]);
    const eventId = eventIdOf(detail);
    expect(attemptsFor(eventId).map((a) => [a.statusCode, a.outcome])).toEqual([[400, 'failed']]);
    const [message] = await receiveAll(queue.url, 1);
    const attributes = Object.fromEntries(Object.entries(message?.MessageAttributes ?? {}).map(([key, value]) => [key, value.StringValue]));
    expect(attributes).toEqual({
      ERROR_CODE: 'SDK_CLIENT_ERROR',
      ERROR_MESSAGE: expect.stringContaining('400'),
      RETRY_ATTEMPTS: '0',
      RULE_ARN: ruleArn,
      TARGET_ARN: destinationArn,
    });
    expect(suite.failures.find((f) => f.eventId === eventId)).toMatchObject({
      disposition: 'dead-lettered',
      deadLetterQueueArn: queue.arn,
      retryAttempts: 0,
    });
  });

  it('sends an event that exhausts MaximumRetryAttempts to the dead-letter queue, as the original event, with the attributes', async () => {
    const hooks = await receiver({ respond: () => ({ status: 503 }) });
    const queue = await dlq();
    const busName = await bus();
    const { ruleArn, destinationArn } = await subscribe(busName, hooks.url, {
      dlqArn: queue.arn,
      retryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
    });
    const { entry, detail } = jobEvent(busName, 'failed');

    await suite.client.send(new PutEventsCommand({ Entries: [entry] }));
    await suite.standIn.idle();

    expect(hooks.deliveries().map((d) => d.status)).toEqual([503, 503, 503]);
    const messages = await receiveAll(queue.url, 1);
    expect(messages).toHaveLength(1);
    const original = suite.standIn.events(busName).find((e) => e.event.detail.id === detail.id)!.event;
    expect(messages[0]!.Body).toBe(JSON.stringify(original));
    const attributes = messages[0]!.MessageAttributes!;
    expect(Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, [value.DataType, value.StringValue]]))).toEqual({
      ERROR_CODE: ['String', 'SDK_CLIENT_ERROR'],
      ERROR_MESSAGE: ['String', 'Unable to invoke ApiDestination endpoint: The endpoint responded with status code 503.'],
      EXHAUSTED_RETRY_CONDITION: ['String', 'MaximumRetryAttempts'],
      RETRY_ATTEMPTS: ['String', '2'],
      RULE_ARN: ['String', ruleArn],
      TARGET_ARN: ['String', destinationArn],
    });
    expect(suite.standIn.failedDeliveries().find((f) => f.eventId === original.id)).toMatchObject({
      disposition: 'dead-lettered',
      exhaustedRetryCondition: 'MaximumRetryAttempts',
      deadLetterMessageId: messages[0]!.MessageId,
    });
  });

  it('stops at MaximumEventAgeInSeconds (scaled with retry.ageScale) and records a drop when there is no dead-letter queue', async () => {
    const dropped: FailedDelivery[] = [];
    // 60 s × 0.01 = 600 ms of event age; a retry every 100 ms.
    const local = await extraStandIn({
      retry: { firstDelayMs: 100, maxDelayMs: 100, jitter: 0, ageScale: 0.01 },
      onDeliveryFailure: (f) => dropped.push(f),
    });
    try {
      const hooks = await receiver({ respond: () => ({ status: 500 }) });
      const busName = await bus(local.client);
      await subscribe(busName, hooks.url, { eb: local.client, retryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 60 } });
      const { entry } = jobEvent(busName, 'failed');

      await local.client.send(new PutEventsCommand({ Entries: [entry] }));
      await local.standIn.idle();

      const count = hooks.deliveries().length;
      expect(count).toBeGreaterThanOrEqual(2);
      expect(count).toBeLessThanOrEqual(7); // never more than the age allows, far fewer than the 186 the policy would

      expect(dropped).toEqual([
        expect.objectContaining({
          disposition: 'dropped',
          exhaustedRetryCondition: 'MaximumEventAgeInSeconds',
          retryAttempts: count - 1,
          dropReason: 'The target has no dead-letter queue.',
        }),
      ]);
      expect(local.standIn.failedDeliveries()).toEqual(dropped);
    } finally {
      local.client.destroy();
    }
  });
});
