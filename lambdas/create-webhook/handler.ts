import { CreateWebhookRequest } from '../api/schemas.ts';
import { webhookWithSecretJson } from '../api/serialize.ts';
import { webhookDeps } from '../common/deps/webhooks.ts';
import { httpHandler, json, parseJsonBody, tenantOf } from '../common/http.ts';
import { logger } from '../common/powertools.ts';
import { createWebhook } from '../use-cases/webhooks.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const request = parseJsonBody(req, CreateWebhookRequest);
  const webhook = await createWebhook(webhookDeps(), tenantId, request);
  // Never the secret or the URL (it may carry a token in its query): the id and the events are enough to trace it.
  logger.info('webhook created', { webhook_id: webhook.id, events: webhook.events });
  return json(201, webhookWithSecretJson(webhook), { Location: `/v1/webhooks/${webhook.id}` });
});
