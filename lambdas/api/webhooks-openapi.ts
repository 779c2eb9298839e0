import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { CreateWebhookRequest, Webhook, WebhookList, WebhookTestResult, WebhookWithSecret } from './schemas.ts';

/**
 * The webhook subscription routes of the OpenAPI document (lambdas/api/openapi.ts calls this with its
 * registry, security requirement and error responses).
 */
export function registerWebhookPaths(
  registry: OpenAPIRegistry,
  shared: {
    readonly security: Record<string, string[]>[];
    readonly error: (description: string) => ResponseConfig;
  },
): void {
  const { security, error } = shared;
  const webhookParam = z.object({ webhook_id: z.string().openapi({ example: 'whk_8k3m9q2x7v1c4b6n0p5r' }) });
  const unauthorized = error('Missing or invalid API key.');
  const notFound = error('No such webhook for this tenant.');

  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks',
    summary: 'Subscribe a URL to job events',
    description:
      'Creates the subscription and its EventBridge delivery (connection, API destination, rule, target). The answer carries the ' +
      '`secret` once: every delivery sends it in the `x-pinrelay-webhook-secret` header. Deliveries are at least once, retried ' +
      'for 24 h on 401, 407, 409, 429, 5xx and timeouts (5 s); each carries `webhook-id` (dedupe on it) and `webhook-timestamp`, ' +
      'and the body `{id, type, created_at, data}`.',
    security,
    request: { body: { content: { 'application/json': { schema: CreateWebhookRequest } } } },
    responses: {
      201: {
        description: 'The subscription, with its secret (shown only here).',
        content: { 'application/json': { schema: WebhookWithSecret } },
      },
      400: error(
        'Invalid input, or a URL that is not https://, carries credentials, or points (or resolves) to a private, loopback, link-local or metadata address.',
      ),
      401: unauthorized,
      409: error(
        '`conflict`: the tenant has `webhooks.maxPerTenant` subscriptions already, or the deployment is near the EventBridge rules quota.',
      ),
      413: error('Body larger than 256 KB.'),
      415: error('Content-Type is not application/json.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhooks',
    summary: "The tenant's webhook subscriptions, newest first",
    security,
    responses: {
      200: { description: 'Every subscription (never their secrets).', content: { 'application/json': { schema: WebhookList } } },
      401: unauthorized,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhooks/{webhook_id}',
    summary: 'A webhook subscription (never its secret)',
    security,
    request: { params: webhookParam },
    responses: {
      200: { description: 'The subscription.', content: { 'application/json': { schema: Webhook } } },
      401: unauthorized,
      404: notFound,
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/webhooks/{webhook_id}',
    summary: 'Delete a webhook subscription and everything it made in EventBridge',
    security,
    request: { params: webhookParam },
    responses: { 204: { description: 'Deleted: no more deliveries.' }, 401: unauthorized, 404: notFound },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/{webhook_id}/rotate-secret',
    summary: 'Replace the secret',
    description:
      'The next request EventBridge makes (retries of earlier events included) carries the new secret; the old one stops at once.',
    security,
    request: { params: webhookParam },
    responses: {
      200: {
        description: 'The subscription with its new secret (shown only here).',
        content: { 'application/json': { schema: WebhookWithSecret } },
      },
      401: unauthorized,
      404: notFound,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/{webhook_id}/test',
    summary: 'Send a webhook.test event to this subscription',
    description:
      'Goes through the real delivery path (bus, rule, retries); only this subscription receives it. Body: ' +
      '`{id, type: "webhook.test", created_at, data: {webhook: {id, url, events}}}`.',
    security,
    request: { params: webhookParam },
    responses: {
      202: { description: 'Sent to the bus; delivery follows.', content: { 'application/json': { schema: WebhookTestResult } } },
      401: unauthorized,
      404: notFound,
    },
  });
}
