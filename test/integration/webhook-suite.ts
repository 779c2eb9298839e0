/**
 * What the self-service webhook test files share (webhook-subscriptions.test.ts, webhook-deliveries.test.ts):
 * a pipeline with the real API, DynamoDB Local, the EventBridge stand-in (connections, API destinations,
 * rules, targets, retries, the DLQ in fauxqs) and webhook receivers on 127.0.0.1 — the same SDK calls the
 * functions make in AWS. Every test uses a tenant of its own, so per-tenant caps and deliveries do not mix.
 */
import { DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect } from 'vitest';
import type { z } from 'zod';
import type { WebhookTestResult as WebhookTestResultSchema } from '../../lambdas/api/schemas.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import {
  startWebhookReceiver,
  type ReceivedDelivery,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from '../../local/webhook-receiver.ts';
import { callerFor, testPipeline, type Caller } from './harness.ts';

export const SECRET_HEADER = 'x-pinrelay-webhook-secret';

/** What POST /v1/webhooks/{id}/test answers: the id of the webhook.test delivery to expect. */
export type WebhookTestResult = z.infer<typeof WebhookTestResultSchema>;

export interface Subscription {
  readonly id: string;
  readonly url: string;
  readonly events: string[];
  readonly description: string;
  readonly created_at: string;
  readonly secret: string;
}

/** The deliveries a receiver accepted (2xx). */
export const accepted = (r: WebhookReceiver): ReceivedDelivery[] => r.deliveries().filter((d) => d.status >= 200 && d.status < 300);

/** Fast local retries (first ~0.2 s, capped at 1.5 s), so an outage of seconds sees many retries of every event. */
const RETRY = { firstDelayMs: 200, maxDelayMs: 1500, multiplier: 2, jitter: 0.5 };

/**
 * Registers the file's beforeAll/afterAll: a pipeline with at most 3 subscriptions per tenant (the cap
 * under test), jobs that publish at once, fast webhook retries; receivers are stopped after the file.
 */
export function webhookSuite() {
  const receivers: WebhookReceiver[] = [];
  /** Every tenant this file created. */
  const tenantsSeen = new Set<string>();

  const suite = {
    /** Set in beforeAll. */
    pipeline: undefined as unknown as Pipeline,

    async receiver(receiverOptions: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
      const started = await startWebhookReceiver({ log: () => undefined, ...receiverOptions });
      receivers.push(started);
      return started;
    },

    /** A new tenant and its API caller. */
    async tenant(name: string): Promise<{ tenantId: string; api: Caller }> {
      const created = await suite.pipeline.createTenant(name);
      tenantsSeen.add(created.tenantId);
      return { tenantId: created.tenantId, api: callerFor(suite.pipeline, created.apiKey) };
    },

    async subscribe(api: Caller, url: string, events: string[] = ['job.succeeded', 'job.failed']): Promise<Subscription> {
      const created = await api('POST', '/v1/webhooks', { body: { url, events, description: 'integration' } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body as Subscription;
    },

    /** Every EventBridge resource in the stand-in named after this webhook. */
    resourcesOf(webhookId: string) {
      const named = (name: string) => name.endsWith(webhookId);
      const events = suite.pipeline.events;
      return {
        rules: events.rules().filter((r) => named(r.name)),
        targets: events
          .rules()
          .filter((r) => named(r.name))
          .flatMap((r) => r.targets),
        apiDestinations: events.apiDestinations().filter((d) => named(d.name)),
        connections: events.connections().filter((c) => named(c.name)),
      };
    },

    /** The tenant's WEBHOOK# items, straight from the table. */
    async storedWebhooks(tenantId: string): Promise<Record<string, AttributeValue>[]> {
      const pipeline = suite.pipeline;
      const dynamo = new DynamoDBClient({
        endpoint: pipeline.endpoints.dynamodb,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
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
    },

    /**
     * Resources under the webhook prefix that belong to no stored subscription (of any tenant this file made):
     * what a half-done create or delete would leave.
     */
    async orphans(): Promise<string[]> {
      const pipeline = suite.pipeline;
      const prefix = pipeline.webhookNamePrefix;
      const stored = new Set<string>();
      for (const tenantId of tenantsSeen) for (const item of await suite.storedWebhooks(tenantId)) stored.add(item.webhook_id!.S!);
      return [
        ...pipeline.events.connections().map((c) => `connection ${c.name}`),
        ...pipeline.events.apiDestinations().map((d) => `api-destination ${d.name}`),
        ...pipeline.events.rules().map((r) => `rule ${r.name}`),
      ].filter((entry) => {
        const name = entry.split(' ')[1]!;
        return name.startsWith(prefix) && !stored.has(name.slice(prefix.length));
      });
    },
  };

  beforeAll(async () => {
    suite.pipeline = await testPipeline({
      webhookRetry: RETRY,
      webhooks: { maxPerTenant: 3 },
      // Jobs publish at once (pacing is not under test here).
      pacing: { accountPerMinute: 600, appPerSecond: 100 },
    });
  });

  afterAll(async () => {
    await Promise.allSettled(receivers.map((r) => r.stop()));
    await suite.pipeline?.stop();
  });

  return suite;
}
