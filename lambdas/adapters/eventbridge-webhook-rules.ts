import { DescribeRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { parseRuleArn } from '../domain/webhook.ts';
import type { WebhookRules } from '../use-cases/ports.ts';

/** Whether a subscription's rule still exists: DescribeRule by the name and bus its ARN carries. */
export class EventBridgeWebhookRules implements WebhookRules {
  constructor(private readonly client: EventBridgeClient) {}

  async exists(ruleArn: string): Promise<boolean> {
    const rule = parseRuleArn(ruleArn);
    if (!rule) return false;
    try {
      await this.client.send(new DescribeRuleCommand({ Name: rule.name, EventBusName: rule.bus }));
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
      throw error;
    }
  }
}
