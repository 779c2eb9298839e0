import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventSchemaDocument, JobEvent, WebhookDelivery } from '../../../lambdas/api/events.ts';
import { jobEventFor, jobEventOf, statusChangeOf, type JobEventDetail } from '../../../lambdas/domain/events.ts';
import { JOB_STATUSES, transition } from '../../../lambdas/domain/job.ts';
import { WEBHOOK_INPUT_PATHS } from '../../../definitions/webhooks.ts';
import { jobRecord, pinRequest } from '../builders.ts';

const doc = eventSchemaDocument();
/** The served JSON Schema document, read back as a validator (one of its $defs, or the whole). */
const servedSchema = (def?: string) => z.fromJSONSchema((def ? { ...doc, anyOf: undefined, $ref: `#/$defs/${def}` } : doc) as never);

const base64Job = () =>
  jobRecord({
    request: pinRequest({
      media_source: { source_type: 'image_base64', content_type: 'image/jpeg', data: Buffer.from('jpeg bytes').toString('base64') },
    }),
  });

/** A real event of every kind jobEventFor makes: each status, an inline image, a late event from the sweeper. */
function realEvents(): JobEventDetail[] {
  const events = JOB_STATUSES.map((status) => {
    const after = jobRecord({ status });
    const before =
      after.version > 1
        ? { ...after, version: after.version - 1, job: { ...after.job, status: after.job.status_history.at(-2)!.status } }
        : null;
    return jobEventFor(before, after)!;
  });
  const v1 = base64Job();
  const v2 = transition(v1, 'running', new Date('2026-03-01T12:00:05.000Z'));
  return [...events, jobEventFor(null, v1)!, jobEventOf(v2, statusChangeOf(v1)!)];
}

/** What a subscription's input transformer makes of an event (definitions/webhooks.ts). */
function deliveryOf(event: JobEventDetail): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(WEBHOOK_INPUT_PATHS).map(([key, path]) => [key, (event as never)[path.replace('$.detail.', '')]]),
  );
}

const testDelivery = {
  id: 'evt_0123456789abcdef0123456789abcdef',
  type: 'webhook.test',
  created_at: '2026-03-01T12:00:00.000Z',
  data: { webhook: { id: 'whk_0123456789abcdefghij', url: 'https://hooks.example.com/pinrelay', events: ['job.succeeded', 'job.failed'] } },
};

describe('JobEvent (zod)', () => {
  it.each(realEvents().map((e) => [e.type, e] as const))('parses a real %s event as it is', (_type, event) => {
    expect(JobEvent.parse(event)).toEqual(event);
  });

  it('refuses an event carrying inline image bytes, or an id not of an event', () => {
    const raw = base64Job();
    const event = jobEventFor(null, raw)!;

    expect(JobEvent.safeParse({ ...event, data: { job: raw.job } }).success).toBe(false);
    expect(JobEvent.safeParse({ ...event, id: 'job_123' }).success).toBe(false);
  });
});

describe('WebhookDelivery (zod)', () => {
  it('parses the body a subscription delivers for every real event, and the test delivery', () => {
    for (const event of realEvents()) expect(WebhookDelivery.parse(deliveryOf(event))).toEqual(deliveryOf(event));
    expect(WebhookDelivery.parse(testDelivery)).toEqual(testDelivery);
  });
});

describe('GET /v1/events/schema.json document', () => {
  it('is a JSON Schema 2020-12 document with the event detail and the delivery body, described', () => {
    expect(doc.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(doc.$defs)).toEqual(expect.arrayContaining(['JobEvent', 'WebhookDelivery', 'EventJob']));
    expect(doc.anyOf).toEqual([{ $ref: '#/$defs/JobEvent' }, { $ref: '#/$defs/WebhookDelivery' }]);
    expect(doc.$defs.JobEvent).toMatchObject({
      description: expect.stringContaining('EventBridge'),
      required: ['id', 'type', 'schema_version', 'created_at', 'timestamp', 'tenant_id', 'data'],
    });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it.each(realEvents().map((e) => [e.type, e] as const))(
    'validates a real %s event built by jobEventFor, and its delivery body',
    (_type, event) => {
      expect(servedSchema('JobEvent').safeParse(event).success).toBe(true);
      expect(servedSchema('WebhookDelivery').safeParse(deliveryOf(event)).success).toBe(true);
      expect(servedSchema().safeParse(event).success).toBe(true);
    },
  );

  it('validates the webhook.test delivery', () => {
    expect(servedSchema('WebhookDelivery').safeParse(testDelivery).success).toBe(true);
  });

  it('refuses what is not an event: unknown type, missing job, id not an event id, inline image bytes', () => {
    const [event] = realEvents();
    const raw = base64Job();
    for (const bad of [
      { ...event, type: 'job.deleted' },
      { ...event, data: {} },
      { ...event, id: 'nope' },
      { ...jobEventFor(null, raw), data: { job: raw.job } },
    ]) {
      expect(servedSchema('JobEvent').safeParse(bad).success).toBe(false);
    }
  });

  it('accepts fields added later (receivers must): no additionalProperties: false anywhere', () => {
    const [event] = realEvents();
    expect(JSON.stringify(doc)).not.toContain('"additionalProperties":false');
    expect(servedSchema('JobEvent').safeParse({ ...event, added_later: true, data: { ...event!.data, more: 1 } }).success).toBe(true);
  });
});
