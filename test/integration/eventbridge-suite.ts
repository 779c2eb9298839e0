/**
 * What the EventBridge stand-in's test files share (eventbridge-delivery.test.ts, eventbridge-control.test.ts):
 * a stand-in on the shared fauxqs, driven with the real AWS SDK v3 clients, webhook receivers on loopback,
 * and a subscription set up the way pinrelay sets one up (connection → API destination → rule → target).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  type PutEventsRequestEntry,
  type RetryPolicy,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import {
  startEventBridgeStandIn,
  type DeliveryAttempt,
  type EventBridgeStandIn,
  type EventBridgeStandInOptions,
  type FailedDelivery,
} from '../../local/stand-ins/eventbridge.ts';
import { startWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions } from '../../local/webhook-receiver.ts';
import { waitFor } from './wait.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
export const SECRET = 'whsec_local_test_secret';
const ROLE_ARN = 'arn:aws:iam::000000000000:role/pinrelay-webhooks';
export const quiet = () => undefined;

/** The webhook body pinrelay sends: the event's detail minus tenant_id, keys in this order. */
const TRANSFORMER = {
  InputPathsMap: { id: '$.detail.id', type: '$.detail.type', created_at: '$.detail.created_at', data: '$.detail.data' },
  InputTemplate: '{"id": <id>, "type": <type>, "created_at": <created_at>, "data": <data>}',
};
const HEADERS = { 'webhook-id': '$.detail.id', 'webhook-timestamp': '$.detail.timestamp', 'x-pinrelay-source': 'eventbridge' };

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${counter++}`;

export interface Detail {
  id: string;
  type: string;
  created_at: string;
  timestamp: string;
  tenant_id: string;
  data: { job: Record<string, unknown> };
}

export function jobEvent(bus: string, status: string, tenant = 'acme'): { entry: PutEventsRequestEntry; detail: Detail } {
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
export const expectedBody = (detail: Detail): string =>
  `{"id": ${JSON.stringify(detail.id)}, "type": ${JSON.stringify(detail.type)}, "created_at": ${JSON.stringify(detail.created_at)}, "data": ${JSON.stringify(detail.data)}}`;

export interface Subscription {
  readonly name: string;
  readonly connectionArn: string;
  readonly destinationArn: string;
  readonly ruleArn: string;
}

export interface SubscribeOptions {
  tenant?: string;
  apiKey?: string;
  retryPolicy?: RetryPolicy;
  dlqArn?: string;
  rate?: number;
  eb?: EventBridgeClient;
}

export interface EventBridgeSuite {
  /** The shared stand-in, its client and an SQS client (set in beforeAll). */
  standIn: EventBridgeStandIn;
  client: EventBridgeClient;
  sqs: SQSClient;
  /** Every delivery the shared stand-in gave up on. */
  readonly failures: FailedDelivery[];
  receiver(options?: WebhookReceiverOptions): Promise<WebhookReceiver>;
  /** Another stand-in, for tests that need other retry timing or stop it. */
  extraStandIn(options: EventBridgeStandInOptions): Promise<{ standIn: EventBridgeStandIn; client: EventBridgeClient }>;
  bus(eb?: EventBridgeClient): Promise<string>;
  dlq(): Promise<{ url: string; arn: string }>;
  /** Receives from `queueUrl` until `expected` messages have come (left in flight), or fails after 10 s. */
  receiveAll(queueUrl: string, expected: number): Promise<Message[]>;
  /** Connection + API destination + rule + target, the way pinrelay subscribes a tenant's endpoint. */
  subscribe(busName: string, endpoint: string, options?: SubscribeOptions): Promise<Subscription>;
  attemptsFor(eventId: string, s?: EventBridgeStandIn): DeliveryAttempt[];
  eventIdOf(detail: Detail, s?: EventBridgeStandIn): string;
}

/**
 * Registers the file's beforeAll/afterAll: a stand-in with fast retries (50 ms doubling to 200 ms, no
 * jitter) and 500 ms request timeouts, its client, an SQS client on the shared fauxqs. Whatever the
 * helpers start is stopped after the file.
 */
export function eventBridgeSuite(): EventBridgeSuite {
  const receivers: WebhookReceiver[] = [];
  const standIns: EventBridgeStandIn[] = [];
  const suite: EventBridgeSuite = {
    standIn: undefined as unknown as EventBridgeStandIn,
    client: undefined as unknown as EventBridgeClient,
    sqs: undefined as unknown as SQSClient,
    failures: [],

    async receiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
      const started = await startWebhookReceiver({ secret: SECRET, log: quiet, ...options });
      receivers.push(started);
      return started;
    },

    async extraStandIn(options: EventBridgeStandInOptions): Promise<{ standIn: EventBridgeStandIn; client: EventBridgeClient }> {
      const started = await startEventBridgeStandIn({ onDeliveryFailure: quiet, ...options });
      standIns.push(started);
      return {
        standIn: started,
        client: new EventBridgeClient({ endpoint: started.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
      };
    },

    async bus(eb: EventBridgeClient = suite.client): Promise<string> {
      const name = unique('webhooks');
      await eb.send(new CreateEventBusCommand({ Name: name }));
      return name;
    },

    async dlq(): Promise<{ url: string; arn: string }> {
      const { QueueUrl } = await suite.sqs.send(new CreateQueueCommand({ QueueName: unique('webhooks-dlq') }));
      const { Attributes } = await suite.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      return { url: QueueUrl!, arn: Attributes!.QueueArn! };
    },

    async receiveAll(queueUrl: string, expected: number): Promise<Message[]> {
      const messages: Message[] = [];
      await waitFor(
        async () => {
          const { Messages = [] } = await suite.sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
          );
          messages.push(...Messages);
          return messages.length;
        },
        { until: (received) => received >= expected, what: `${expected} message(s) on ${queueUrl}`, timeoutMs: 10_000, everyMs: 0 },
      );
      return messages;
    },

    async subscribe(busName: string, endpoint: string, options: SubscribeOptions = {}): Promise<Subscription> {
      const eb: EventBridgeClient = options.eb ?? suite.client;
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
          EventPattern: JSON.stringify({
            source: ['pinrelay'],
            'detail-type': [{ prefix: 'job.' }],
            detail: { tenant_id: [options.tenant ?? 'acme'] },
          }),
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
    },

    attemptsFor: (eventId: string, s: EventBridgeStandIn = suite.standIn): DeliveryAttempt[] =>
      s.deliveries().filter((attempt) => attempt.eventId === eventId),
    eventIdOf: (detail: Detail, s: EventBridgeStandIn = suite.standIn): string =>
      s.events().find((e) => e.event.detail.id === detail.id)!.event.id,
  };

  beforeAll(async () => {
    suite.standIn = await startEventBridgeStandIn({
      sqsEndpoint: inject('sqsEndpoint'),
      retry: { firstDelayMs: 50, maxDelayMs: 200, multiplier: 2, jitter: 0 },
      requestTimeoutMs: 500,
      onDeliveryFailure: (failure) => suite.failures.push(failure),
    });
    suite.client = new EventBridgeClient({ endpoint: suite.standIn.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    suite.sqs = new SQSClient({ endpoint: inject('sqsEndpoint'), region: 'us-east-1', credentials });
  });

  afterAll(async () => {
    suite.client?.destroy();
    suite.sqs?.destroy();
    await Promise.allSettled([suite.standIn?.stop(), ...standIns.map((s) => s.stop()), ...receivers.map((r) => r.stop())]);
  });

  return suite;
}
