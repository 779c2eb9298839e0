import { CreateApiKeyCommand, CreateUsagePlanKeyCommand, DeleteApiKeyCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { UsageKey, UsagePlanKeys } from '../use-cases/ports.ts';

/**
 * Per-tenant throttling in API Gateway: each tenant has one API key (its value a random secret, never a
 * caller's bearer key) attached to the stage's usage plan (lib/constructs/public-api.ts, stack output
 * UsagePlanId). The REST API reads API keys from the authorizer (`apiKeySourceType: AUTHORIZER`): the
 * authorizer returns the tenant's key value as `usageIdentifierKey`, and API Gateway applies the plan's
 * throttle and quota to that key. Callers never send it.
 *
 * Used by the admin CLI only (create-tenant, usage-keys); no function has API Gateway permissions.
 */
export class ApiGatewayUsagePlanKeys implements UsagePlanKeys {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly usagePlanId: string,
  ) {}

  async attach(tenantId: string, value: string): Promise<UsageKey> {
    const created = await this.client.send(
      new CreateApiKeyCommand({
        // Names need not be unique; the plan id tells deployments apart in the console.
        name: `pinrelay-${tenantId}-${this.usagePlanId}`,
        description: `pinrelay tenant ${tenantId}: per-tenant throttling (usage plan ${this.usagePlanId}); not a caller's API key`,
        enabled: true,
        value,
        tags: { 'pinrelay:tenant': tenantId },
      }),
    );
    if (!created.id) throw new Error(`API Gateway created an API key for tenant ${tenantId} without an id`);
    const usageKey = { value, id: created.id };
    try {
      await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId: this.usagePlanId, keyId: created.id, keyType: 'API_KEY' }));
    } catch (error) {
      // A key outside the plan would throttle no one: do not leave it behind.
      await this.remove(usageKey).catch(() => undefined);
      throw error;
    }
    return usageKey;
  }

  async remove(usageKey: UsageKey): Promise<void> {
    // Deleting the key also removes it from every usage plan.
    await this.client.send(new DeleteApiKeyCommand({ apiKey: usageKey.id }));
  }
}
