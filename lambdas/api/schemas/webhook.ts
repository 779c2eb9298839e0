import { JOB_EVENT_TYPES } from '../../../definitions/webhooks.ts';
import { MAX_WEBHOOK_URL_LENGTH } from '../../domain/webhook-url.ts';
import { isWellFormed, text, WELL_FORMED_MESSAGE } from './fields.ts';
import * as z from 'zod';
import './zod.ts';

/** Webhook subscriptions on the wire (lambdas/domain/webhook.ts; docs/adr/0011-webhooks.md). */

export const WebhookEventType = z.enum(JOB_EVENT_TYPES).openapi('WebhookEventType', {
  description: 'A job event: one per job status.',
});

export const CreateWebhookRequest = z
  .object({
    url: z
      .string()
      .refine(isWellFormed, { message: WELL_FORMED_MESSAGE })
      .max(MAX_WEBHOOK_URL_LENGTH, { message: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` })
      .openapi({
        format: 'uri',
        maxLength: MAX_WEBHOOK_URL_LENGTH,
        example: 'https://hooks.example.com/pinrelay',
        description:
          'Absolute https:// URL. Refused: credentials in the URL, private, loopback, link-local, multicast and reserved addresses, ' +
          'cloud metadata endpoints, and host names that resolve to any of them when the subscription is created.',
      }),
    events: z
      .array(WebhookEventType)
      .min(1, { message: 'choose at least one event' })
      .max(JOB_EVENT_TYPES.length)
      .refine((events) => new Set(events).size === events.length, { message: 'each event at most once' }),
    description: text(200).optional(),
  })
  .strict()
  .openapi('CreateWebhookRequest');

export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequest>;

export const Webhook = z
  .object({
    id: z.string().openapi({ example: 'whk_8k3m9q2x7v1c4b6n0p5r' }),
    url: z.string().openapi({ description: 'The URL as EventBridge calls it (normalised).' }),
    events: z.array(WebhookEventType),
    description: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Webhook');

export type Webhook = z.infer<typeof Webhook>;

export const WebhookWithSecret = Webhook.extend({
  secret: z.string().openapi({
    description:
      'Sent with every delivery in the `x-pinrelay-webhook-secret` header. Shown only in this answer: store it now (rotate-secret makes a new one).',
    example: 'whsec_3q2+7w…',
  }),
}).openapi('WebhookWithSecret');

export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookList = z.object({ items: z.array(Webhook) }).openapi('WebhookList');

export const WebhookTestResult = z
  .object({
    event_id: z.string().openapi({ description: 'The `id` (and `webhook-id` header) of the webhook.test delivery to expect.' }),
  })
  .openapi('WebhookTestResult');
