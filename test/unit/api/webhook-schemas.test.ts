import { describe, expect, it } from 'vitest';
import { CreateWebhookRequest } from '../../../lambdas/api/schemas.ts';
import { openApiDocument } from '../../../lambdas/api/openapi.ts';
import { zodDetails } from '../../../lambdas/common/http.ts';

const valid = { url: 'https://hooks.example.com/x', events: ['job.succeeded'] };
const details = (body: unknown) => {
  const parsed = CreateWebhookRequest.safeParse(body);
  return parsed.success ? [] : zodDetails(parsed.error);
};

describe('CreateWebhookRequest', () => {
  it('accepts url + events (+ description)', () => {
    expect(details(valid)).toEqual([]);
    expect(
      details({
        ...valid,
        events: ['job.scheduled', 'job.queued', 'job.running', 'job.retry_scheduled', 'job.succeeded', 'job.failed', 'job.cancelled'],
      }),
    ).toEqual([]);
    expect(details({ ...valid, description: '🙂'.repeat(200) })).toEqual([]);
  });

  it.each([
    [{ ...valid, events: [] }, 'events', 'choose at least one event'],
    [{ ...valid, events: ['job.failed', 'job.failed'] }, 'events', 'each event at most once'],
    [{ ...valid, events: ['job.deleted'] }, 'events.0', undefined],
    [{ ...valid, events: ['webhook.test'] }, 'events.0', undefined],
    [{ ...valid, description: 'x'.repeat(201) }, 'description', 'must be at most 200 characters'],
    [{ ...valid, url: `https://x.example.com/${'a'.repeat(2040)}` }, 'url', 'must be at most 2048 characters'],
    [{ ...valid, secret: 'mine' }, 'secret', 'unknown field'],
    [{ events: ['job.failed'] }, 'url', 'required (string)'],
  ])('refuses %j at %s', (body, path, message) => {
    const found = details(body);
    expect(found.map((d) => d.path)).toContain(path);
    if (message) expect(found).toContainEqual({ path, message });
  });

  it('the OpenAPI document has the webhook schemas, the request closed to unknown fields', () => {
    const schemas = openApiDocument().components?.schemas as Record<string, Record<string, unknown>>;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Webhook', 'WebhookWithSecret', 'WebhookList', 'CreateWebhookRequest', 'WebhookEventType']),
    );
    expect(schemas.CreateWebhookRequest).toMatchObject({ additionalProperties: false, required: ['url', 'events'] });
    expect(schemas.Webhook).toMatchObject({ required: ['id', 'url', 'events', 'description', 'created_at'] });
    expect(JSON.stringify(schemas.Webhook)).not.toContain('secret');
  });
});
