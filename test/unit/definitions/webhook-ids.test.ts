import { describe, expect, it } from 'vitest';
import {
  isWebhookId,
  STATIC_WEBHOOK_NAME_MAX_LENGTH,
  staticWebhookId,
  WEBHOOK_ID_PATTERN,
  webhookIdOfResourceName,
  webhookNamePrefix,
  webhookResourceName,
} from '../../../definitions/webhooks.ts';
import { newWebhookId } from '../../../lambdas/domain/webhook.ts';

describe('webhook ids: runtime whk_… and static whs_<name>', () => {
  it('a static id is whs_<name>, never a runtime id', () => {
    expect(staticWebhookId('crm-sync')).toBe('whs_crm-sync');
    expect(WEBHOOK_ID_PATTERN.test(staticWebhookId('crm-sync'))).toBe(false);
    for (let i = 0; i < 50; i++) expect(newWebhookId().startsWith('whs_')).toBe(false);
  });

  it.each(['', 'CRM', 'crm_sync', 'crm--sync', '-crm', 'crm-', '1crm', 'a'.repeat(STATIC_WEBHOOK_NAME_MAX_LENGTH + 1)])(
    'refuses the name %j',
    (name) => {
      expect(() => staticWebhookId(name)).toThrow(RangeError);
    },
  );

  it('webhookResourceName accepts a static id: the longest name under the longest stage is exactly 64 characters', () => {
    const prefix = webhookNamePrefix('s'.repeat(20));
    const name = webhookResourceName(prefix, staticWebhookId('n'.repeat(STATIC_WEBHOOK_NAME_MAX_LENGTH)));
    expect(name).toHaveLength(64);
    expect(() => webhookResourceName(prefix, `whs_${'n'.repeat(STATIC_WEBHOOK_NAME_MAX_LENGTH + 1)}`)).toThrow(RangeError);
  });

  it('isWebhookId: either kind', () => {
    expect(isWebhookId(newWebhookId())).toBe(true);
    expect(isWebhookId('whs_crm-sync')).toBe(true);
    expect(isWebhookId('whs_')).toBe(false);
    expect(isWebhookId('whk_short')).toBe(false);
    expect(isWebhookId(`whs_${'a'.repeat(STATIC_WEBHOOK_NAME_MAX_LENGTH + 1)}`)).toBe(false);
  });

  it("webhookIdOfResourceName: the id after this deployment's prefix, or undefined", () => {
    const id = newWebhookId();
    expect(webhookIdOfResourceName('pinrelay-dev-wh-', `pinrelay-dev-wh-${id}`)).toBe(id);
    expect(webhookIdOfResourceName('pinrelay-dev-wh-', 'pinrelay-dev-wh-whs_erp')).toBe('whs_erp');
    expect(webhookIdOfResourceName('pinrelay-dev-wh-', `pinrelay-prod-wh-${id}`)).toBeUndefined();
    expect(webhookIdOfResourceName('pinrelay-dev-wh-', 'pinrelay-dev-wh-my-own-rule')).toBeUndefined();
  });
});
