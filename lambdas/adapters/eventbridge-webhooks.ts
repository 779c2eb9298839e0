import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DeleteRuleCommand,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  UpdateConnectionCommand,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import {
  EVENT_SOURCE,
  WEBHOOK_TARGET_ID,
  webhookConnectionAuth,
  webhookEventPattern,
  webhookResourceName,
  webhookTarget,
  type JobEventType,
} from '../../definitions/webhooks.ts';
import { WebhookQuotaError, WebhookResourceMissingError, type WebhookProvisioner } from '../use-cases/ports.ts';

export interface EventBridgeWebhooksConfig {
  /** The pinrelay bus (EVENT_BUS_NAME): rules live there and test events go there. */
  readonly eventBusName: string;
  /** WEBHOOK_NAME_PREFIX: every connection, API destination and rule is `<prefix><webhook id>`. */
  readonly namePrefix: string;
  /** WEBHOOK_TARGET_ROLE_ARN: EventBridge assumes it to invoke the API destinations. */
  readonly targetRoleArn: string;
  /** WEBHOOK_DLQ_ARN: events whose deliveries ran out of retries. */
  readonly deadLetterQueueArn: string;
  /** WEBHOOKS_INVOCATION_RATE_LIMIT_PER_SECOND */
  readonly invocationRateLimitPerSecond: number;
}

const isNamed = (error: unknown, name: string) => error instanceof Error && error.name === name;

/** Deleting something already gone is success: every delete here is part of a clean-up that may run twice. */
async function ignoringMissing(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isNamed(error, 'ResourceNotFoundException')) throw error;
  }
}

/** A create refused for a full quota becomes WebhookQuotaError (the API answers 409 naming the quota). */
async function creating<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isNamed(error, 'LimitExceededException')) throw new WebhookQuotaError(`${what}: ${(error as Error).message}`);
    throw error;
  }
}

/**
 * WebhookProvisioner over the EventBridge API (@aws-sdk/client-eventbridge): one connection, API
 * destination and rule per subscription, all named `<prefix><webhook id>`, the rule's one target built by
 * webhookTarget() (definitions/webhooks.ts). Works unchanged against AWS and local mode's stand-in.
 */
export class EventBridgeWebhookProvisioner implements WebhookProvisioner {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly config: EventBridgeWebhooksConfig,
  ) {}

  name(webhookId: string): string {
    return webhookResourceName(this.config.namePrefix, webhookId);
  }

  async createConnection(webhookId: string, secret: string): Promise<string> {
    const out = await creating('connection', () =>
      this.client.send(
        new CreateConnectionCommand({
          Name: this.name(webhookId),
          Description: `pinrelay webhook ${webhookId}`,
          ...webhookConnectionAuth(secret),
        }),
      ),
    );
    if (!out.ConnectionArn) throw new Error(`CreateConnection returned no ARN for ${webhookId}`);
    return out.ConnectionArn;
  }

  async createApiDestination(webhookId: string, connectionArn: string, url: string): Promise<string> {
    const out = await creating('API destination', () =>
      this.client.send(
        new CreateApiDestinationCommand({
          Name: this.name(webhookId),
          Description: `pinrelay webhook ${webhookId}`,
          ConnectionArn: connectionArn,
          InvocationEndpoint: url,
          HttpMethod: 'POST',
          InvocationRateLimitPerSecond: this.config.invocationRateLimitPerSecond,
        }),
      ),
    );
    if (!out.ApiDestinationArn) throw new Error(`CreateApiDestination returned no ARN for ${webhookId}`);
    return out.ApiDestinationArn;
  }

  async putRule(webhookId: string, tenantId: string, events: readonly JobEventType[]): Promise<string> {
    const out = await creating('rule', () =>
      this.client.send(
        new PutRuleCommand({
          Name: this.name(webhookId),
          EventBusName: this.config.eventBusName,
          Description: `pinrelay webhook ${webhookId} of tenant ${tenantId}`,
          EventPattern: JSON.stringify(webhookEventPattern({ tenantId, webhookId, events })),
          State: 'ENABLED',
        }),
      ),
    );
    if (!out.RuleArn) throw new Error(`PutRule returned no ARN for ${webhookId}`);
    return out.RuleArn;
  }

  async putTarget(webhookId: string, apiDestinationArn: string): Promise<void> {
    const out = await creating('target', () =>
      this.client.send(
        new PutTargetsCommand({
          Rule: this.name(webhookId),
          EventBusName: this.config.eventBusName,
          Targets: [
            webhookTarget({ apiDestinationArn, roleArn: this.config.targetRoleArn, deadLetterQueueArn: this.config.deadLetterQueueArn }),
          ],
        }),
      ),
    );
    // PutTargets reports a refused target in its answer, not as an error.
    const failed = out.FailedEntries?.[0];
    if ((out.FailedEntryCount ?? 0) > 0 || failed) {
      throw new Error(
        `PutTargets refused the target of ${webhookId}: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim(),
      );
    }
  }

  async removeTarget(webhookId: string): Promise<void> {
    await ignoringMissing(async () => {
      const out = await this.client.send(
        new RemoveTargetsCommand({ Rule: this.name(webhookId), EventBusName: this.config.eventBusName, Ids: [WEBHOOK_TARGET_ID] }),
      );
      const failed = out.FailedEntries?.[0];
      if ((out.FailedEntryCount ?? 0) > 0 || failed) {
        throw new Error(`RemoveTargets failed for ${webhookId}: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim());
      }
    });
  }

  async deleteRule(webhookId: string): Promise<void> {
    await ignoringMissing(() =>
      this.client.send(new DeleteRuleCommand({ Name: this.name(webhookId), EventBusName: this.config.eventBusName })),
    );
  }

  async deleteApiDestination(webhookId: string): Promise<void> {
    await ignoringMissing(() => this.client.send(new DeleteApiDestinationCommand({ Name: this.name(webhookId) })));
  }

  async deleteConnection(webhookId: string): Promise<void> {
    await ignoringMissing(() => this.client.send(new DeleteConnectionCommand({ Name: this.name(webhookId) })));
  }

  async rotateSecret(webhookId: string, secret: string): Promise<void> {
    try {
      await this.client.send(new UpdateConnectionCommand({ Name: this.name(webhookId), ...webhookConnectionAuth(secret) }));
    } catch (error) {
      if (isNamed(error, 'ResourceNotFoundException')) throw new WebhookResourceMissingError(`the connection of ${webhookId} is gone`);
      throw error;
    }
  }

  async putEvent(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: [{ Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: this.config.eventBusName }],
      }),
    );
    const failed = out.Entries?.find((entry) => entry.ErrorCode);
    if ((out.FailedEntryCount ?? 0) > 0 || failed) {
      throw new Error(`PutEvents refused the ${detailType} event: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim());
    }
  }

  async countRules(): Promise<number> {
    let count = 0;
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new ListRulesCommand({
          EventBusName: this.config.eventBusName,
          NamePrefix: this.config.namePrefix,
          Limit: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      count += out.Rules?.length ?? 0;
      nextToken = out.NextToken;
    } while (nextToken);
    return count;
  }
}
