import { request } from 'node:http';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Pipeline } from '../../local/pipeline.ts';
import { countBy, testPipeline } from './harness.ts';
import { CONTRACT_VIOLATIONS } from './hostile-input/contract-violations.ts';
import { prng, type HostileRequest } from './hostile-input/shapes.ts';
import { UNSTORABLE_VALUES } from './hostile-input/unstorable-values.ts';

/**
 * Bad input is always a 4xx in the error envelope (with details when a handler answers), never a 5xx,
 * never a partial write, and never quoted back. 1,500 generated malformed or hostile requests (seeded,
 * so a failure reproduces), then the jobs table must hold nothing.
 */
const REQUESTS = 1500;
const SEED = 20261122;

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await testPipeline({ worker: false }); // intake only: jobs stay queued
  const put = await fetch(`${pipeline.apiUrl}/v1/accounts/acct`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${pipeline.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ access_token: 'token' }),
  });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  await pipeline?.stop();
});

/** node:http rather than fetch: fetch refuses some of the header values a hostile client can send. */
function send(url: string, q: HostileRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: q.method, headers: q.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(q.body === undefined ? undefined : Buffer.from(q.body, 'utf8'));
  });
}

const pieces = (secret: string) => Array.from({ length: secret.length - 4 }, (_, i) => secret.slice(i, i + 5));

/** Every generator, in a fixed order: with the seed, it fixes the run. */
const generators = [...CONTRACT_VIOLATIONS, ...UNSTORABLE_VALUES];

it(`answers ${REQUESTS} malformed or hostile requests with 4xx envelopes, never a 5xx, and stores no job`, async () => {
  const r = prng(SEED);
  const requests: HostileRequest[] = [];
  for (let i = 0; requests.length < REQUESTS; i++) {
    const made = generators[i % generators.length]!(r, i);
    requests.push(
      ...(Array.isArray(made) ? made : [made]).map((q) => ({
        ...q,
        headers: {
          ...(q.headers.Authorization === undefined ? { Authorization: `Bearer ${pipeline.apiKey}` } : {}),
          ...(q.kind !== 'missing idempotency key' && q.headers['Idempotency-Key'] === undefined
            ? { 'Idempotency-Key': `hostile-${i}` }
            : {}),
          ...q.headers,
        },
      })),
    );
  }

  const results: Array<{ kind: string; status: number; body: unknown; leaked: string[] }> = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const q = requests[next++]!;
      const response = await send(`${pipeline.apiUrl}${q.path}`, q);
      const text = response.text;
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* asserted below */
      }
      results.push({
        kind: q.kind,
        status: response.status,
        body,
        leaked: q.secret ? pieces(q.secret).filter((piece) => text.includes(piece)) : [],
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));

  expect(results).toHaveLength(REQUESTS);
  const serverErrors = results.filter((x) => x.status >= 500);
  expect(serverErrors, JSON.stringify(serverErrors.slice(0, 3))).toEqual([]);
  const notRejected = results.filter((x) => x.status < 400);
  expect(notRejected, JSON.stringify(notRejected.slice(0, 3))).toEqual([]);
  for (const x of results) {
    expect(x.body, x.kind).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  }
  // Validation failures name the offending field. A path that cannot be percent-decoded is refused by the
  // gateway itself, before any handler, with its static 400 (no details), as API Gateway does.
  const malformedPaths = results.filter((x) => x.kind === 'malformed path');
  expect(malformedPaths.length).toBeGreaterThan(0);
  for (const x of malformedPaths) {
    expect(x).toMatchObject({ status: 400, body: { error: { code: 'validation_error', message: 'The request could not be processed.' } } });
  }
  const validation = results.filter((x) => x.status === 400 && x.kind !== 'malformed path') as Array<{
    kind: string;
    body: { error: { details?: unknown[] } };
  }>;
  expect(validation.length).toBeGreaterThan(REQUESTS / 2);
  for (const x of validation) expect(x.body.error.details?.length ?? 0, x.kind).toBeGreaterThan(0);
  // Valid JSON that cannot be stored as sent is a 400 naming the field, not a 404/413 by luck.
  for (const kind of [
    'huge integer',
    'deep metadata',
    'very deep metadata',
    'extreme number',
    'lone surrogate',
    'reserved metadata key',
    'astral title',
    'bad token',
  ]) {
    const ofKind = results.filter((x) => x.kind === kind);
    expect(ofKind.length, kind).toBeGreaterThan(0);
    expect(
      ofKind.filter((x) => x.status !== 400),
      kind,
    ).toEqual([]);
  }
  // Nothing the caller sent comes back: not even a piece of a secret around a JSON syntax error.
  const leaks = results.filter((x) => x.leaked.length > 0);
  expect(leaks, JSON.stringify(leaks.slice(0, 3))).toEqual([]);

  const dynamo = new DynamoDBClient({
    endpoint: pipeline.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const jobs = await dynamo.send(new ScanCommand({ TableName: pipeline.tableNames.jobs, Select: 'COUNT' }));
  expect(jobs.Count).toBe(0);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();

  console.info(`hostile input: ${REQUESTS} requests, statuses ${JSON.stringify(countBy(results, (x) => x.status))}`);
  const kinds = [...new Set(results.map((x) => x.kind))];
  const byKind = Object.fromEntries(
    kinds.map((kind) => [
      kind,
      countBy(
        results.filter((x) => x.kind === kind),
        (x) => x.status,
      ),
    ]),
  );
  console.info(`hostile input by kind: ${JSON.stringify(byKind)}`);
}, 120_000);
