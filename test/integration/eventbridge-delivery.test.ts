/**
 * Webhook delivery through the EventBridge stand-in, set up and driven with the real AWS SDK v3
 * clients (connection → API destination → rule → target, then PutEvents), delivered over real HTTP
 * to webhook receivers on loopback, dead-lettered into a real (fauxqs) SQS queue.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  CreateEventBusCommand,
  DeleteRuleCommand,
  DescribeConnectionCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  UpdateConnectionCommand,
  type PutEventsRequestEntry,
  type RetryPolicy,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEventBridgeStandIn, type EventBridgeStandIn, type EventBridgeStandInOptions, type FailedDelivery } from '../../local/stand-ins/eventbridge.ts';
import { startWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions } from '../../local/webhook-receiver.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const SECRET = 'whsec_local_test_secret';
const ROLE_ARN = 'arn:aws:iam::000000000000:role/pinrelay-webhooks';
const quiet = () => undefined;

/** The webhook body pinrelay sends: the event's detail minus tenant_id, keys in this order. */
const TRANSFORMER = {
  InputPathsMap: { id: '$.detail.id', type: '$.detail.type', created_at: '$.detail.created_at', data: '$.detail.data' },
  InputTemplate: '{"id": <id>, "type": <type>, "created_at": <created_at>, "data": <data>}',
};
const HEADERS = { 'webhook-id': '$.detail.id', 'webhook-timestamp': '$.detail.timestamp', 'x-pinrelay-source': 'eventbridge' };

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${counter++}`;

interface Detail {
  id: string;
  type: string;
  created_at: string;
  timestamp: string;
  tenant_id: string;
  data: { job: Record<string, unknown> };
}

function jobEvent(bus: string, status: string, tenant = 'acme'): { entry: PutEventsRequestEntry; detail: Detail } {
  const now = new Date();
  const detail: Detail = {
    id: `evt_${randomUUID().replace(/-/g, '')}`,
    type: `job.${status}`,
    created_at: now.toISOString(),
    timestamp: String(Math.floor(now.getTime() / 1000)),
    tenant_id: tenant,
    data: { job: { id: `job_${counter++}`, status, board_id: '987654321', title: 'Walnut "side" table', attempts: 1, error: null } },
  };
  return { entry: { EventBusName: bus, Source: 'pinrelay', DetailType: detail.type, Detail: JSON.stringify(detail) }, detail };
}

/** The exact bytes the receiver must get for `detail`. */
const expectedBody = (detail: Detail): string =>
  `{"id": ${JSON.stringify(detail.id)}, "type": ${JSON.stringify(detail.type)}, "created_at": ${JSON.stringify(detail.created_at)}, "data": ${JSON.stringify(detail.data)}}`;

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('EventBridge stand-in: webhooks through API destinations', () => {
  let standIn: EventBridgeStandIn;
  let client: EventBridgeClient;
  let sqs: SQSClient;
  const receivers: WebhookReceiver[] = [];
  const standIns: EventBridgeStandIn[] = [];
  const failures: FailedDelivery[] = [];

  const receiver = async (options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> => {
    const started = await startWebhookReceiver({ secret: SECRET, log: quiet, ...options });
    receivers.push(started);
    return started;
  };

  const extraStandIn = async (options: EventBridgeStandInOptions): Promise<{ standIn: EventBridgeStandIn; client: EventBridgeClient }> => {
    const started = await startEventBridgeStandIn({ onDeliveryFailure: quiet, ...options });
    standIns.push(started);
    return { standIn: started, client: new EventBridgeClient({ endpoint: started.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }) };
  };

  async function bus(eb = client): Promise<string> {
    const name = unique('webhooks');
    await eb.send(new CreateEventBusCommand({ Name: name }));
    return name;
  }

  async function dlq(): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique('webhooks-dlq') }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  }

  async function receiveAll(queueUrl: string, expected: number): Promise<Message[]> {
    const messages: Message[] = [];
    const deadline = Date.now() + 10_000;
    while (messages.length < expected && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
      );
      messages.push(...Messages);
    }
    return messages;
  }

  /** Connection + API destination + rule + target, the way pinrelay subscribes a tenant's endpoint. */
  async function subscribe(
    busName: string,
    endpoint: string,
    options: { tenant?: string; apiKey?: string; retryPolicy?: RetryPolicy; dlqArn?: string; rate?: number; eb?: EventBridgeClient } = {},
  ) {
    const eb = options.eb ?? client;
    const name = unique('sub');
    const { ConnectionArn, ConnectionState } = await eb.send(
      new CreateConnectionCommand({
        Name: name,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-pinrelay-webhook-secret', ApiKeyValue: options.apiKey ?? SECRET } },
      }),
    );
    const { ApiDestinationArn, ApiDestinationState } = await eb.send(
      new CreateApiDestinationCommand({
        Name: name,
        ConnectionArn,
        InvocationEndpoint: `${endpoint}/hooks/pinrelay`,
        HttpMethod: 'POST',
        ...(options.rate !== undefined ? { InvocationRateLimitPerSecond: options.rate } : {}),
      }),
    );
    const { RuleArn } = await eb.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: busName,
        EventPattern: JSON.stringify({ source: ['pinrelay'], 'detail-type': [{ prefix: 'job.' }], detail: { tenant_id: [options.tenant ?? 'acme'] } }),
      }),
    );
    const put = await eb.send(
      new PutTargetsCommand({
        Rule: name,
        EventBusName: busName,
        Targets: [
          {
            Id: 'webhook',
            Arn: ApiDestinationArn,
            RoleArn: ROLE_ARN,
            InputTransformer: TRANSFORMER,
            HttpParameters: { HeaderParameters: HEADERS },
            RetryPolicy: options.retryPolicy ?? { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
            ...(options.dlqArn ? { DeadLetterConfig: { Arn: options.dlqArn } } : {}),
          },
        ],
      }),
    );
    expect({ ConnectionState, ApiDestinationState, FailedEntryCount: put.FailedEntryCount }).toEqual({
      ConnectionState: 'AUTHORIZED',
      ApiDestinationState: 'ACTIVE',
      FailedEntryCount: 0,
    });
    return { name, connectionArn: ConnectionArn!, destinationArn: ApiDestinationArn!, ruleArn: RuleArn! };
  }

  const attemptsFor = (eventId: string, s = standIn) => s.deliveries().filter((attempt) => attempt.eventId === eventId);
  const eventIdOf = (detail: Detail, s = standIn) => s.events().find((e) => e.event.detail.id === detail.id)!.event.id;

  beforeAll(async () => {
    standIn = await startEventBridgeStandIn({
      sqsEndpoint: inject('sqsEndpoint'),
      retry: { firstDelayMs: 50, maxDelayMs: 200, multiplier: 2, jitter: 0 },
      requestTimeoutMs: 500,
      onDeliveryFailure: (failure) => failures.push(failure),
    });
    client = new EventBridgeClient({ endpoint: standIn.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    sqs = new SQSClient({ endpoint: inject('sqsEndpoint'), region: 'us-east-1', credentials });
  });

  afterAll(async () => {
    client?.destroy();
    sqs?.destroy();
    await Promise.allSettled([standIn?.stop(), ...standIns.map((s) => s.stop()), ...receivers.map((r) => r.stop())]);
  });

  it('delivers exactly the transformed body and headers of matching events, and nothing else', async () => {
    const hooks = await receiver();
    const busName = await bus();
    const { destinationArn, ruleArn } = await subscribe(busName, hooks.url);
    const match = jobEvent(busName, 'published');
    const otherTenant = jobEvent(busName, 'published', 'globex');
    const otherSource = { ...jobEvent(busName, 'failed').entry, Source: 'someone-else' };

    const result = await client.send(new PutEventsCommand({ Entries: [otherTenant.entry, match.entry, otherSource] }));
    await standIn.idle();

    expect(result.FailedEntryCount).toBe(0);
    const [delivery, ...more] = hooks.deliveries();
    expect(more).toEqual([]);
    expect(delivery).toMatchObject({ method: 'POST', path: '/hooks/pinrelay', body: expectedBody(match.detail), authorized: true, status: 204 });
    expect(delivery!.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Amazon/EventBridge/ApiDestinations',
      'x-pinrelay-webhook-secret': SECRET,
      'webhook-id': match.detail.id,
      'webhook-timestamp': match.detail.timestamp,
      'x-pinrelay-source': 'eventbridge',
    });
    expect(JSON.parse(delivery!.body)).toEqual({ id: match.detail.id, type: 'job.published', created_at: match.detail.created_at, data: match.detail.data });

    const eventId = result.Entries![1]!.EventId!;
    expect(standIn.deliveries().filter((attempt) => attempt.ruleArn === ruleArn)).toEqual([
      expect.objectContaining({ eventId, targetId: 'webhook', targetArn: destinationArn, attempt: 1, statusCode: 204, outcome: 'delivered', method: 'POST' }),
    ]);
  });

  it('retries 5xx answers with backoff until the receiver recovers, with the same body and webhook-id', async () => {
    const hooks = await receiver({ failFirst: 3 });
    const busName = await bus();
    await subscribe(busName, hooks.url);
    const { entry, detail } = jobEvent(busName, 'failed');

    await client.send(new PutEventsCommand({ Entries: [entry] }));
    await standIn.idle();

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

    await client.send(new PutEventsCommand({ Entries: [entry] }));
    await standIn.idle();

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

    await client.send(new PutEventsCommand({ Entries: [entry] }));
    await standIn.idle();

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

    await client.send(new PutEventsCommand({ Entries: [entry] }));
    await standIn.idle();

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
    expect(failures.find((f) => f.eventId === eventId)).toMatchObject({ disposition: 'dead-lettered', deadLetterQueueArn: queue.arn, retryAttempts: 0 });
  });

  it('sends an event that exhausts MaximumRetryAttempts to the dead-letter queue, as the original event, with the attributes', async () => {
    const hooks = await receiver({ respond: () => ({ status: 503 }) });
    const queue = await dlq();
    const busName = await bus();
    const { ruleArn, destinationArn } = await subscribe(busName, hooks.url, { dlqArn: queue.arn, retryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 } });
    const { entry, detail } = jobEvent(busName, 'failed');

    await client.send(new PutEventsCommand({ Entries: [entry] }));
    await standIn.idle();

    expect(hooks.deliveries().map((d) => d.status)).toEqual([503, 503, 503]);
    const messages = await receiveAll(queue.url, 1);
    expect(messages).toHaveLength(1);
    const original = standIn.events(busName).find((e) => e.event.detail.id === detail.id)!.event;
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
    expect(standIn.failedDeliveries().find((f) => f.eventId === original.id)).toMatchObject({
      disposition: 'dead-lettered',
      exhaustedRetryCondition: 'MaximumRetryAttempts',
      deadLetterMessageId: messages[0]!.MessageId,
    });
  });

  it('stops at MaximumEventAgeInSeconds (scaled with retry.ageScale) and records a drop when there is no dead-letter queue', async () => {
    const dropped: FailedDelivery[] = [];
    // 60 s × 0.01 = 600 ms of event age; a retry every 100 ms.
    const local = await extraStandIn({ retry: { firstDelayMs: 100, maxDelayMs: 100, jitter: 0, ageScale: 0.01 }, onDeliveryFailure: (f) => dropped.push(f) });
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

  it('uses a rotated API key (UpdateConnection) on the next attempt, and never shows the key in DescribeConnection', async () => {
    const hooks = await receiver({ secret: 'whsec_new' });
    const busName = await bus();
    const { name } = await subscribe(busName, hooks.url, { apiKey: 'whsec_old', retryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 } });
    const { entry } = jobEvent(busName, 'published');

    await client.send(new PutEventsCommand({ Entries: [entry] }));
    await until(() => hooks.deliveries().length >= 1);
    await client.send(new UpdateConnectionCommand({ Name: name, AuthParameters: { ApiKeyAuthParameters: { ApiKeyValue: 'whsec_new' } } }));
    await standIn.idle();

    const received = hooks.deliveries();
    expect(received[0]).toMatchObject({ status: 401, authorized: false });
    expect(received[0]!.headers['x-pinrelay-webhook-secret']).toBe('whsec_old');
    expect(received.at(-1)).toMatchObject({ status: 204, authorized: true });
    expect(received.at(-1)!.headers['x-pinrelay-webhook-secret']).toBe('whsec_new');

    const described = await client.send(new DescribeConnectionCommand({ Name: name }));
    expect(described.AuthParameters).toEqual({ ApiKeyAuthParameters: { ApiKeyName: 'x-pinrelay-webhook-secret' } });
    expect(JSON.stringify(described)).not.toContain('whsec_');
    expect(standIn.connections().find((c) => c.name === name)?.apiKey).toEqual({ name: 'x-pinrelay-webhook-secret', value: 'whsec_new' });
  });

  it('honours InvocationRateLimitPerSecond and keeps events in order', async () => {
    const hooks = await receiver();
    const busName = await bus();
    await subscribe(busName, hooks.url, { rate: 2 });
    const events = Array.from({ length: 5 }, () => jobEvent(busName, 'queued'));

    await client.send(new PutEventsCommand({ Entries: events.map((e) => e.entry) }));
    await standIn.idle();

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

    await client.send(new DisableRuleCommand({ Name: name, EventBusName: busName }));
    await client.send(new PutEventsCommand({ Entries: [jobEvent(busName, 'queued').entry] }));
    await standIn.idle();
    expect(hooks.deliveries()).toEqual([]);

    await client.send(new EnableRuleCommand({ Name: name, EventBusName: busName }));
    await client.send(new PutEventsCommand({ Entries: [jobEvent(busName, 'queued').entry] }));
    await standIn.idle();
    expect(hooks.deliveries()).toHaveLength(1);
  });

  it('refuses DeleteRule while the rule has targets, like AWS', async () => {
    const hooks = await receiver();
    const busName = await bus();
    const { name } = await subscribe(busName, hooks.url);

    const refused = await client.send(new DeleteRuleCommand({ Name: name, EventBusName: busName })).catch((e: unknown) => e);
    expect((refused as Error).name).toBe('ValidationException');
    expect((refused as Error).message).toBe("Rule can't be deleted since it has targets.");

    await client.send(new RemoveTargetsCommand({ Rule: name, EventBusName: busName, Ids: ['webhook'] }));
    await client.send(new DeleteRuleCommand({ Name: name, EventBusName: busName }));
    await expect(client.send(new DescribeRuleCommand({ Name: name, EventBusName: busName }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(standIn.rules(busName)).toEqual([]);
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
      await until(() => hooks.deliveries().length === 1);
      await local.client.send(new PutEventsCommand({ Entries: [jobEvent(busName, 'queued').entry] }));
      await until(() => local.standIn.deliveries().some((a) => a.outcome === 'retry'));

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
