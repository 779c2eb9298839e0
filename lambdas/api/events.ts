import * as z from 'zod';
import { JOB_EVENT_TYPES, WEBHOOK_ID_PATTERN, WEBHOOK_TEST_EVENT_TYPE } from '../../definitions/webhooks.ts';
import { EVENT_ID_PATTERN, EVENT_SCHEMA_VERSION } from '../domain/events.ts';
import { ImageUrlSource, Job, MultipleImageUrlsSource, PinFields, VideoIdSource } from './schemas.ts';

/**
 * The published shape of pinrelay's events: the `detail` of a job event on the pinrelay EventBridge bus
 * (lambdas/domain/events.ts builds it) and the body a webhook receives (the subscription target's input
 * transformer, definitions/webhooks.ts). Served as JSON Schema at GET /v1/events/schema.json and
 * included as components in the OpenAPI document (lambdas/api/openapi.ts).
 *
 * The zod schemas are as strict as the events are today (the unit tests parse real events with them); the
 * published JSON Schema allows additional properties everywhere, because a field added to an event keeps
 * its schema_version and receivers must accept it.
 */

const isoTime = (description: string) => z.iso.datetime().openapi({ example: '2026-03-01T12:00:00.000Z' }).meta({ description });
const eventId = z
  .string()
  .regex(EVENT_ID_PATTERN)
  .openapi({ example: 'evt_3f9a1c0d7e2b4a6f8c1d0e2f4a6b8c0d' })
  .meta({ description: 'Unique per event, and the same for every copy of one event: dedupe on it.' });

export const EventImageBase64Source = z
  .object({
    source_type: z.literal('image_base64'),
    content_type: z.enum(['image/jpeg', 'image/png']),
    data: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .meta({ description: 'Not the image: `sha256:` and the hex SHA-256 of the decoded image bytes.' }),
    data_bytes: z.number().int().min(0).meta({ description: 'Size of the decoded image in bytes.' }),
    is_standard: z.boolean().optional(),
  })
  .strict()
  .openapi('EventImageBase64Source')
  .meta({ description: 'An inline image as events carry it: its digest and size instead of the bytes.' });

export const EventMediaSource = z
  .discriminatedUnion('source_type', [ImageUrlSource, EventImageBase64Source, MultipleImageUrlsSource, VideoIdSource])
  .openapi('EventMediaSource');

export const EventPin = PinFields.extend({ media_source: EventMediaSource }).openapi('EventPin');

export const EventJob = Job.extend({ pin: EventPin })
  .openapi('EventJob')
  .meta({
    description:
      'The job, as GET /v1/jobs/{job_id} answers it, except that inline image bytes are replaced by their digest. Normally the job right ' +
      'after the change the event is about; an event published late (by the outbox safety net) carries the job as it was then, so its ' +
      'status may already be a later one. Keep the job with the greatest `updated_at`.',
  });

export const JobEventType = z
  .enum(JOB_EVENT_TYPES)
  .openapi('JobEventType')
  .meta({ description: '`job.` and the status the job moved to.' });

export const JobEvent = z
  .object({
    id: eventId,
    type: JobEventType,
    schema_version: z
      .literal(EVENT_SCHEMA_VERSION)
      .meta({ description: 'Raised only for changes a receiver must adapt to; added fields keep it.' }),
    created_at: isoTime('When the status changed.'),
    timestamp: z.number().int().meta({ description: '`created_at` in Unix seconds.' }),
    tenant_id: z.string(),
    data: z.object({ job: EventJob }).strict(),
  })
  .strict()
  .openapi('JobEvent')
  .meta({
    description:
      'The `detail` of a job event on the pinrelay EventBridge bus (`source` "pinrelay", `detail-type` = `type`). One per job status ' +
      'change, at least once: the same `id` may arrive more than once. Events of one job are published in order, but may arrive out of ' +
      'order: order them by `data.job.updated_at`.',
  });

export const JobEventDelivery = z
  .object({
    id: eventId,
    type: JobEventType,
    created_at: isoTime('When the status changed.'),
    data: z.object({ job: EventJob }).strict(),
  })
  .strict()
  .openapi('JobEventDelivery')
  .meta({ description: 'The body of a webhook delivery of a job event (headers: `webhook-id` = `id`, `webhook-timestamp`).' });

export const WebhookTestDelivery = z
  .object({
    id: eventId,
    type: z.literal(WEBHOOK_TEST_EVENT_TYPE),
    created_at: isoTime('When the test was requested.'),
    data: z
      .object({
        webhook: z
          .object({ id: z.string().regex(WEBHOOK_ID_PATTERN), url: z.string().meta({ format: 'uri' }), events: z.array(JobEventType) })
          .strict(),
      })
      .strict(),
  })
  .strict()
  .openapi('WebhookTestDelivery')
  .meta({ description: 'The body of the delivery POST /v1/webhooks/{webhook_id}/test sends to that subscription only.' });

export const WebhookDelivery = z
  .discriminatedUnion('type', [JobEventDelivery, WebhookTestDelivery])
  .openapi('WebhookDelivery')
  .meta({
    description:
      'The JSON body pinrelay POSTs to a webhook subscription: `{id, type, created_at, data}`. At least once: dedupe on `id` ' +
      '(also in the `webhook-id` header).',
  });

export type JobEvent = z.infer<typeof JobEvent>;
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

/** Where the document is served (definitions/functions.ts, get-event-schema). */
export const EVENT_SCHEMA_PATH = '/v1/events/schema.json';

/** Every schema published, by name: the two roots and the shared parts they refer to. */
const PUBLISHED = { JobEvent, WebhookDelivery, JobEventDelivery, WebhookTestDelivery, EventJob, JobEventType } as const;

function build() {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(PUBLISHED)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/$defs/${id}`,
  });
  const defs = Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
      return [id, openToAdditions(rest)];
    }),
  );
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'pinrelay events',
    description:
      'JobEvent: the `detail` of a job event on the pinrelay EventBridge bus (source "pinrelay", detail-type = its `type`), one per job ' +
      'status change. WebhookDelivery: the JSON body POSTed to a webhook subscription. Both arrive at least once: dedupe on `id`; ' +
      "order a job's events by `data.job.updated_at`. Fields may be added without a new `schema_version`: accept unknown properties.",
    $defs: defs,
    anyOf: [{ $ref: '#/$defs/JobEvent' }, { $ref: '#/$defs/WebhookDelivery' }],
  };
}

/** The schema with every `additionalProperties: false` dropped (see the module comment). */
function openToAdditions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(openToAdditions);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key, v]) => !(key === 'additionalProperties' && v === false))
      .map(([key, v]) => [key, openToAdditions(v)]),
  );
}

let document: ReturnType<typeof build> | undefined;

/** The JSON Schema document served at GET /v1/events/schema.json. */
export function eventSchemaDocument() {
  document ??= build();
  return document;
}
