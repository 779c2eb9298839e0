import { existsSync, readdirSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FUNCTIONS, type FunctionDefinition } from '../../../definitions/functions.ts';
import { TENANT } from '../builders.ts';
import { captureOutput, freshPowertools, type Captured } from './powertools-output.ts';

/**
 * Every handler is traced, queue, stream and schedule handlers included: each module under
 * lambdas/<name>/handler.ts is invoked once with X-Ray simulated (the shared tracer's segment calls are
 * spied on) and must open and close its `## handler` subsegment. Events are chosen so nothing reaches AWS:
 * no records, no API key, or no table configured.
 */

const LAMBDAS = new URL('../../../lambdas/', import.meta.url);
const HANDLER_DIRS = readdirSync(LAMBDAS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/handler.ts`, LAMBDAS)))
  .map((d) => d.name)
  .sort();

interface FakeSegment {
  readonly name: string;
  readonly subsegments: FakeSegment[];
  readonly annotations: Record<string, unknown>;
  closed: boolean;
  errors: number;
  addNewSubsegment(name: string): FakeSegment;
  addAnnotation(key: string, value: unknown): void;
  addError(): void;
  addErrorFlag(): void;
  close(): void;
}

function fakeSegment(name: string): FakeSegment {
  const segment: FakeSegment = {
    name,
    subsegments: [],
    annotations: {},
    closed: false,
    errors: 0,
    addNewSubsegment(child) {
      const sub = fakeSegment(child);
      segment.subsegments.push(sub);
      return sub;
    },
    addAnnotation(key, value) {
      segment.annotations[key] = value;
    },
    addError() {
      segment.errors++;
    },
    addErrorFlag() {
      segment.errors++;
    },
    close() {
      segment.closed = true;
    },
  };
  return segment;
}

type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

let tracer: typeof import('../../../lambdas/common/powertools.ts')['tracer'];
let b: typeof import('../builders.ts');
let facade: FakeSegment;
let annotations: [string, unknown][];
let out: Captured;

beforeAll(async () => {
  // Nothing that would let a handler reach AWS or Pinterest: each stops at its first required variable.
  freshPowertools({
    JOBS_TABLE_NAME: '',
    TENANTS_TABLE_NAME: '',
    PINTEREST_APP_SECRET_ARN: '',
    PINTEREST_CLIENT_ID: '',
    PINTEREST_CLIENT_SECRET: '',
  });
  for (const name of [
    'JOBS_TABLE_NAME',
    'TENANTS_TABLE_NAME',
    'PINTEREST_APP_SECRET_ARN',
    'PINTEREST_CLIENT_ID',
    'PINTEREST_CLIENT_SECRET',
  ]) {
    vi.stubEnv(name, undefined);
  }
  ({ tracer } = await import('../../../lambdas/common/powertools.ts'));
  b = await import('../builders.ts');
});
afterAll(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

beforeEach(() => {
  facade = fakeSegment('facade');
  annotations = [];
  let current: FakeSegment = facade;
  vi.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
  vi.spyOn(tracer, 'getSegment').mockImplementation(() => current as never);
  vi.spyOn(tracer, 'setSegment').mockImplementation((segment) => {
    current = segment as unknown as FakeSegment;
  });
  vi.spyOn(tracer, 'annotateColdStart').mockImplementation(() => undefined);
  vi.spyOn(tracer, 'addServiceNameAnnotation').mockImplementation(() => undefined);
  vi.spyOn(tracer, 'addErrorAsMetadata').mockImplementation(() => undefined);
  vi.spyOn(tracer, 'addResponseAsMetadata').mockImplementation(() => undefined);
  vi.spyOn(tracer, 'putAnnotation').mockImplementation((key, value) => {
    annotations.push([key, value]);
  });
  vi.spyOn(tracer, 'captureAWSv3Client').mockImplementation((client) => client);
  out = captureOutput();
});
afterEach(() => {
  out.restore();
  vi.restoreAllMocks();
});

const definitionOf = (name: string) => (FUNCTIONS as readonly FunctionDefinition[]).find((d) => d.name === name);

function apiEvent(patch: Record<string, unknown> = {}) {
  return {
    resource: '/',
    path: '/',
    httpMethod: 'GET',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1' },
    ...patch,
  };
}

/** An event of the function's trigger that makes it stop before any AWS call. */
function eventFor(name: string): unknown {
  const trigger = definitionOf(name)?.trigger.kind ?? 'api';
  switch (trigger) {
    case 'api':
      return apiEvent();
    case 'authorizer':
      return { type: 'REQUEST', methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/v1/jobs', headers: {} };
    case 'schedule':
      return { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
    default:
      return { Records: [] };
  }
}

async function load(name: string): Promise<AnyHandler> {
  return ((await import(`../../../lambdas/${name}/handler.ts`)) as { handler: AnyHandler }).handler;
}

describe('tracing: every function', () => {
  it('the catalogue and the handlers on disk are the same functions (a new handler is checked here too)', () => {
    for (const def of FUNCTIONS) expect(HANDLER_DIRS).toContain(def.name);
  });

  it.each(HANDLER_DIRS)('%s opens and closes its handler subsegment', async (name) => {
    const handler = await load(name);

    await handler(eventFor(name), b.lambdaContext(`pinrelay-${name}`)).catch(() => undefined);

    expect(facade.subsegments.map((s) => s.name)).toEqual([expect.stringMatching(/^## /)]);
    expect(facade.subsegments[0]!.closed).toBe(true);
    expect(tracer.annotateColdStart).toHaveBeenCalled();
  });

  it.each(HANDLER_DIRS)('%s is built by the shared wrapper (tracer, logger, metrics)', async (name) => {
    const { isObserved } = await import('../../../lambdas/common/handlers.ts');
    expect(isObserved(await load(name))).toBe(true);
  });
});

describe('tracing: the job in the trace', () => {
  it('an HTTP handler on one job annotates its segment with the tenant and the job id', async () => {
    const handler = await load('get-job');
    const event = apiEvent({
      pathParameters: { job_id: 'job_ahy6yb74ega2m4tvceajevfft8' },
      requestContext: { requestId: 'req-1', authorizer: { tenant_id: TENANT } },
    });

    await handler(event, b.lambdaContext('pinrelay-get-job'));

    expect(annotations).toEqual(
      expect.arrayContaining([
        ['tenant_id', TENANT],
        ['job_id', 'job_ahy6yb74ega2m4tvceajevfft8'],
      ]),
    );
  });

  it('the worker gives each message a subsegment annotated with its job and tenant, errors attached', async () => {
    const handler = await load('publish-pin');
    const body = JSON.stringify({ job_id: 'job_ahy6yb74ega2m4tvceajevfft8', tenant_id: TENANT, version: 1 });
    const record = {
      messageId: 'm-1',
      receiptHandle: 'r',
      body,
      attributes: { MessageGroupId: 'g' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:1:q.fifo',
      awsRegion: 'eu-west-1',
    };

    await handler({ Records: [record] }, { ...b.lambdaContext('pinrelay-publish-pin'), getRemainingTimeInMillis: () => 800_000 }).catch(
      () => undefined,
    );

    const [invocation] = facade.subsegments;
    expect(invocation!.subsegments).toEqual([
      expect.objectContaining({
        name: '### publish job',
        annotations: { job_id: 'job_ahy6yb74ega2m4tvceajevfft8', tenant_id: TENANT },
        closed: true,
        errors: 1,
      }),
    ]);
  });
});

describe('tracing: AWS SDK clients', () => {
  it('every client is captured, once per container', async () => {
    const clients = await import('../../../lambdas/common/clients.ts');
    clients.resetClientsForTests();

    const built = [clients.dynamoClient(), clients.sqsClient(), clients.secretsClient(), clients.eventsClient(), clients.dynamoClient()];

    const captured = vi.mocked(tracer.captureAWSv3Client).mock.calls.map(([client]) => (client as object).constructor.name);
    expect(captured).toEqual(['DynamoDBClient', 'SQSClient', 'SecretsManagerClient', 'EventBridgeClient']);
    expect(built[0]).toBe(built[4]);
    clients.resetClientsForTests();
  });
});
