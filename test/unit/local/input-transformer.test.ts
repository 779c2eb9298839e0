import { describe, expect, it } from 'vitest';
import {
  applyInputTransformer,
  parseJsonPath,
  readJsonPath,
  renderTargetInput,
  resolveHttpParameter,
  validateInputTransformer,
  validateTargetInput,
} from '../../../local/stand-ins/eventbridge/input-transformer.ts';
import type { EventEnvelope } from '../../../local/stand-ins/eventbridge/types.ts';

const event: EventEnvelope = {
  version: '0',
  id: '6f2d1b4e-0000-4000-8000-000000000001',
  'detail-type': 'job.published',
  source: 'pinrelay',
  account: '000000000000',
  time: '2025-01-01T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    id: 'evt_1',
    type: 'job.published',
    created_at: '2025-01-01T12:00:00.000Z',
    tenant_id: 'acme',
    note: 'He said "hi"\nthen left \\ quickly',
    data: { job: { id: 'job_1', status: 'published', attempts: 2, tags: ['home', 'wood'], error: null } },
  },
};

const context = {
  ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/bus/r1',
  ruleName: 'r1',
  ingestionTime: new Date('2025-01-01T12:00:01.500Z'),
};

const transform = (InputTemplate: string, InputPathsMap: Record<string, string> = {}) =>
  applyInputTransformer({ InputTemplate, InputPathsMap }, event, context);

describe('JSON paths', () => {
  it('parses dotted names (dashes included), indexes and quoted names', () => {
    expect(parseJsonPath('$')).toEqual([]);
    expect(parseJsonPath('$.detail-type')).toEqual(['detail-type']);
    expect(parseJsonPath('$.detail.data.job.tags[1]')).toEqual(['detail', 'data', 'job', 'tags', 1]);
    expect(parseJsonPath(`$['detail']["data"]`)).toEqual(['detail', 'data']);
  });

  it.each(['detail.id', '$.', '$..detail', '$.detail[x]', '$.detail[-1]', '$ .detail'])('rejects %s', (path) => {
    expect(() => parseJsonPath(path)).toThrow();
  });

  it('reads values, undefined where the event has none', () => {
    expect(readJsonPath(event, '$.detail.id')).toBe('evt_1');
    expect(readJsonPath(event, '$.detail.data.job.tags[1]')).toBe('wood');
    expect(readJsonPath(event, '$.detail.data.job.error')).toBeNull();
    expect(readJsonPath(event, '$.detail.nope.deeper')).toBeUndefined();
    expect(readJsonPath(event, '$.detail.data.job.tags[9]')).toBeUndefined();
    expect(readJsonPath(event, '$.detail.id[0]')).toBeUndefined();
    expect(readJsonPath(event, '$')).toBe(event);
  });
});

describe('input transformer: JSON templates', () => {
  it('quotes strings placed outside quotes and inserts other values as JSON', () => {
    const output = transform('{"id": <id>, "attempts": <attempts>, "job": <job>, "tags": <tags>, "error": <error>}', {
      id: '$.detail.id',
      attempts: '$.detail.data.job.attempts',
      job: '$.detail.data.job',
      tags: '$.detail.data.job.tags',
      error: '$.detail.data.job.error',
    });
    expect(output).toBe(
      '{"id": "evt_1", "attempts": 2, "job": {"id":"job_1","status":"published","attempts":2,"tags":["home","wood"],"error":null}, "tags": ["home","wood"], "error": null}',
    );
    expect(JSON.parse(output)).toMatchObject({ id: 'evt_1', attempts: 2, error: null });
  });

  it('inserts the characters of a string placed inside quotes, escaped for JSON', () => {
    const output = transform('{"message": "Job <id> is <status>: <note>"}', {
      id: '$.detail.data.job.id',
      status: '$.detail.data.job.status',
      note: '$.detail.note',
    });
    expect(output).toBe('{"message": "Job job_1 is published: He said \\"hi\\"\\nthen left \\\\ quickly"}');
    expect(JSON.parse(output)).toEqual({ message: `Job job_1 is published: ${event.detail.note as string}` });
  });

  it('inserts non-string values inside quotes as escaped JSON text', () => {
    expect(
      JSON.parse(transform('{"n": "<n>", "tags": "<tags>"}', { n: '$.detail.data.job.attempts', tags: '$.detail.data.job.tags' })),
    ).toEqual({
      n: '2',
      tags: '["home","wood"]',
    });
  });

  it('writes null for a missing path outside quotes and nothing inside', () => {
    expect(transform('{"a": <a>, "b": "x<a>y"}', { a: '$.detail.nope' })).toBe('{"a": null, "b": "xy"}');
  });

  it('keeps the template layout byte for byte and leaves unknown placeholders alone', () => {
    const template = '{\n  "type" : <type>,\n  "html": "<b>bold</b>"\n}';
    expect(transform(template, { type: '$.detail.type' })).toBe('{\n  "type" : "job.published",\n  "html": "<b>bold</b>"\n}');
  });

  it('does not treat escaped quotes in the template as the end of a string', () => {
    expect(transform('{"a": "say \\"<id>\\"", "b": <id>}', { id: '$.detail.id' })).toBe('{"a": "say \\"evt_1\\"", "b": "evt_1"}');
  });

  it('handles JSON array templates', () => {
    expect(transform('[<id>, "<id>"]', { id: '$.detail.id' })).toBe('["evt_1", "evt_1"]');
  });

  it('offers the predefined variables', () => {
    const output = JSON.parse(
      transform(
        '{"rule": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", "at": <aws.events.event.ingestion-time>, "event": <aws.events.event.json>}',
      ),
    ) as Record<string, unknown>;
    expect(output).toEqual({ rule: context.ruleArn, name: 'r1', at: '2025-01-01T12:00:01.500Z', event });
    expect(JSON.parse(transform('{"e": <aws.events.event>}'))).toEqual({ e: event });
  });

  it('lets InputPathsMap names shadow nothing predefined and map the same path twice', () => {
    expect(transform('{"a": <x>, "b": <y>}', { x: '$.detail.id', y: '$.detail.id' })).toBe('{"a": "evt_1", "b": "evt_1"}');
  });
});

describe('input transformer: string templates', () => {
  it('inserts strings as they are and other values as JSON text', () => {
    expect(
      transform('Job <id> is <status> after <n> attempts, tags <tags>', {
        id: '$.detail.data.job.id',
        status: '$.detail.data.job.status',
        n: '$.detail.data.job.attempts',
        tags: '$.detail.data.job.tags',
      }),
    ).toBe('Job job_1 is published after 2 attempts, tags ["home","wood"]');
  });

  it('does not escape inside quotes (a quoted string template stays raw)', () => {
    expect(transform('"<note>"', { note: '$.detail.note' })).toBe(`"${event.detail.note as string}"`);
  });

  it('writes nothing for a missing path', () => {
    expect(transform('[<a>]', { a: '$.detail.nope' })).toBe('[null]'); // '[' makes it a JSON template
    expect(transform('a=<a>;', { a: '$.detail.nope' })).toBe('a=;');
  });
});

describe('target input', () => {
  it('is the whole event by default, byte for byte as JSON.stringify writes the envelope', () => {
    expect(renderTargetInput({}, event, context)).toBe(JSON.stringify(event));
  });

  it('is the constant Input, or the JSON of the value at InputPath', () => {
    expect(renderTargetInput({ Input: '{"ping": true}' }, event, context)).toBe('{"ping": true}');
    expect(renderTargetInput({ InputPath: '$.detail.data' }, event, context)).toBe(JSON.stringify(event.detail.data));
    expect(renderTargetInput({ InputPath: '$.detail.id' }, event, context)).toBe('"evt_1"');
    expect(renderTargetInput({ InputPath: '$.detail.nope' }, event, context)).toBe('null');
  });

  it('is the transformer output when there is one', () => {
    expect(
      renderTargetInput({ InputTransformer: { InputPathsMap: { id: '$.detail.id' }, InputTemplate: '{"id": <id>}' } }, event, context),
    ).toBe('{"id": "evt_1"}');
  });
});

describe('HTTP parameters', () => {
  it('resolves $. paths (strings as they are, other values as JSON) and keeps literals', () => {
    expect(resolveHttpParameter('$.detail.id', event)).toBe('evt_1');
    expect(resolveHttpParameter('$.detail.data.job.attempts', event)).toBe('2');
    expect(resolveHttpParameter('$.detail.nope', event)).toBeUndefined();
    expect(resolveHttpParameter('application/json', event)).toBe('application/json');
    expect(resolveHttpParameter('$5 off', event)).toBe('$5 off');
  });
});

describe('validation (PutTargets)', () => {
  it('accepts what pinrelay sends', () => {
    expect(
      validateInputTransformer({
        InputPathsMap: { id: '$.detail.id', type: '$.detail.type', created_at: '$.detail.created_at', data: '$.detail.data' },
        InputTemplate: '{"id": <id>, "type": <type>, "created_at": <created_at>, "data": <data>}',
      }),
    ).toBeUndefined();
  });

  it('limits InputPathsMap to 100 entries with valid names and paths', () => {
    const paths = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, '$.detail.id']));
    expect(validateInputTransformer({ InputPathsMap: paths(100), InputTemplate: 'x' })).toBeUndefined();
    expect(validateInputTransformer({ InputPathsMap: paths(101), InputTemplate: 'x' })).toMatch(/at most 100/);
    expect(validateInputTransformer({ InputPathsMap: { 'a.b': '$.detail' }, InputTemplate: 'x' })).toMatch(/key a\.b/);
    expect(validateInputTransformer({ InputPathsMap: { a: 'detail.id' }, InputTemplate: 'x' })).toMatch(/invalid/);
  });

  it('limits the template to 8,192 characters', () => {
    expect(validateInputTransformer({ InputTemplate: 'x'.repeat(8192) })).toBeUndefined();
    expect(validateInputTransformer({ InputTemplate: 'x'.repeat(8193) })).toMatch(/8192/);
    expect(validateInputTransformer({ InputTemplate: '' })).toMatch(/8192/);
  });

  it('requires a JSON template to be valid JSON once its placeholders are filled in', () => {
    expect(validateInputTransformer({ InputPathsMap: { a: '$.detail' }, InputTemplate: '{"a": <a>}' })).toBeUndefined();
    expect(validateInputTransformer({ InputPathsMap: { a: '$.detail' }, InputTemplate: '{"a": <a>' })).toMatch(/not valid JSON/);
    expect(validateInputTransformer({ InputTemplate: '{"a": <unknown>}' })).toMatch(/not valid JSON/);
  });

  it('allows only one of Input, InputPath and InputTransformer, each valid', () => {
    expect(validateTargetInput({})).toBeUndefined();
    expect(validateTargetInput({ Input: '{}', InputPath: '$.detail' })).toMatch(/Only one of/);
    expect(validateTargetInput({ Input: 'not json' })).toMatch(/not valid JSON/);
    expect(validateTargetInput({ InputPath: 'detail' })).toMatch(/InputPath is invalid/);
  });
});
