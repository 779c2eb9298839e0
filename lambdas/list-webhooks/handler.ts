import { webhookDeps } from '../shared/deps.ts';
import { httpHandler, json, tenantOf } from '../shared/http.ts';
import { listWebhooks } from '../use-cases/webhooks.ts';

export const handler = httpHandler(async (req) => json(200, await listWebhooks(webhookDeps(), tenantOf(req))));
