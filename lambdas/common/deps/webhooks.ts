import { DnsHostResolver } from '../../adapters/dns-host-resolver.ts';
import { DynamoWebhookStore } from '../../adapters/dynamo-webhook-store.ts';
import { EventBridgeWebhookProvisioner } from '../../adapters/eventbridge-webhooks.ts';
import type { WebhookDeps } from '../../use-cases/webhooks.ts';
import { dynamoClient } from '../clients/dynamo.ts';
import { eventsClient } from '../clients/events.ts';
import { config, required } from '../config.ts';
import { logger } from '../powertools.ts';
import { clock } from './jobs.ts';

/**
 * Webhook subscriptions (lambdas/use-cases/webhooks.ts): the tenants table, EventBridge under the
 * deployment's webhook name prefix, the operating system's resolver, and the `webhooks.*` settings.
 */
export function webhookDeps(): WebhookDeps {
  const c = config();
  return {
    webhooks: new DynamoWebhookStore(dynamoClient(), required('TENANTS_TABLE_NAME')),
    provisioner: new EventBridgeWebhookProvisioner(eventsClient(), {
      eventBusName: required('EVENT_BUS_NAME'),
      namePrefix: required('WEBHOOK_NAME_PREFIX'),
      targetRoleArn: required('WEBHOOK_TARGET_ROLE_ARN'),
      deadLetterQueueArn: required('WEBHOOK_DLQ_ARN'),
      invocationRateLimitPerSecond: c.WEBHOOKS_INVOCATION_RATE_LIMIT_PER_SECOND,
    }),
    resolver: new DnsHostResolver(),
    clock,
    limits: {
      maxPerTenant: c.WEBHOOKS_MAX_PER_TENANT,
      ruleQuota: c.WEBHOOKS_RULE_QUOTA,
      allowLoopback: required('WEBHOOK_ALLOW_LOOPBACK_HTTP') === 'true',
    },
    warn: (message, details) => logger.warn(message, details),
  };
}
