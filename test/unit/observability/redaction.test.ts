import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { newApiKey } from '../../../lambdas/domain/ids.ts';
import { newWebhookSecret } from '../../../lambdas/domain/webhook.ts';
import { ACCOUNT, T0, TENANT } from '../builders.ts';
import type { fakePublishDeps } from '../fakes.ts';
import { captureOutput, freshPowertools, logRecords, type Captured } from './powertools-output.ts';

/**
 * No secret in any log line: credentials of every kind pinrelay handles, in their real shapes, fed through
 * the logging paths that could meet them — the token provider's refresh and rotation logs, an HTTP
 * handler's error log (with an Authorization header on the error), the worker's crash log, a webhook
 * handler's error log, an account connection that fails — and read back from stdout/stderr as the real
 * Powertools logger wrote them, at DEBUG.
 */

// Real shapes: Pinterest's base32 tokens, pinrelay's own generators for API keys and webhook secrets.
const ACCESS =
  'pina_AMAXKNIXAAAAAGAAAAAMWDH7W4YCOVIBQBIQC7IUJ2PRXGQZBLS7D3VAZWZ5DSSA3VJC6H7ZEQ7KEBPX3RXHRA2JHPY5VIEPOEWK3CJH6Y6BUAQAAAAAAAA';
const REFRESH = 'pinr_AQBKU2H7BR3UJW5MDWEUQ7VYGJ6MOX3L2Y4QKWT4B5ZK6SXYQDC5FD6PQW2F3B7QPSUYGM4BZLYHZ6HCS6LKC7ZG5ORFOZAEVJ2AAAAAAAAAAA';
const NEW_ACCESS =
  'pina_AMA2UFIXAAAAAGAAAAAFIDYYYFWU7DIAGEAZCOGKRJUC5LT47BVBH4I2FJFI2ZEY4V7XN3LNAZSTKMVR4AZXGIF4A2DKIQCZBVEFNV4QTMYIYQSPHWQH4A';
const NEW_REFRESH = 'pinr_AQBZ5KTY7VN2B3XQ4W6RE4HJMLPU3KAI7S2GDNQX6UFYE2CT5JW3OBMR7HKQVZL4XSG2PFD6YB3NQ7MAJU5WIEKTCQRAZHOXVJ3AAAAAAAAAAA';
const CLIENT_SECRET = '3f6d2c9a8b7e41d0a5c6f7e8d9c0b1a2e3f4a5b6';
const BASIC = Buffer.from(`1484362:${CLIENT_SECRET}`).toString('base64');
const API_KEY = newApiKey();
const WEBHOOK_SECRET = newWebhookSecret();
const SECRETS = [ACCESS, REFRESH, NEW_ACCESS, NEW_REFRESH, CLIENT_SECRET, BASIC, API_KEY, WEBHOOK_SECRET];

const PREFIX = 'pinrelay/test/accounts';
const SECRET_NAME = `${PREFIX}/${TENANT}/${ACCOUNT}`;

let out: Captured;
let mods: {
  logger: typeof import('../../../lambdas/common/powertools.ts')['logger'];
  http: typeof import('../../../lambdas/common/http.ts');
  provider: typeof import('../../../lambdas/adapters/secrets-token-provider.ts');
  b: typeof import('../builders.ts');
  f: typeof import('../fakes.ts');
};
let publishDeps: ReturnType<typeof fakePublishDeps>;
let webhookFailure: Error;
let vaultFailure: Error;

beforeAll(async () => {
  freshPowertools();
  vi.doMock('../../../lambdas/common/deps/publish.ts', () => ({ publishDeps: async () => publishDeps }));
  vi.doMock('../../../lambdas/common/deps/webhooks.ts', () => ({
    webhookDeps: () => {
      throw webhookFailure;
    },
  }));
  vi.doMock('../../../lambdas/common/deps/tenants.ts', () => ({
    tenantStore: () => publishDeps.tenants,
    tokenVault: () => ({
      save: async () => {
        throw vaultFailure;
      },
    }),
  }));
  vi.doMock('../../../lambdas/common/deps/jobs.ts', () => ({ clock: { now: () => publishDeps.clock.now() } }));
  mods = {
    logger: (await import('../../../lambdas/common/powertools.ts')).logger,
    http: await import('../../../lambdas/common/http.ts'),
    provider: await import('../../../lambdas/adapters/secrets-token-provider.ts'),
    b: await import('../builders.ts'),
    f: await import('../fakes.ts'),
  };
});
afterAll(() => {
  for (const module of ['publish', 'webhooks', 'tenants', 'jobs']) vi.doUnmock(`../../../lambdas/common/deps/${module}.ts`);
  vi.unstubAllEnvs();
  vi.resetModules();
});
beforeEach(() => {
  publishDeps = mods.f.fakePublishDeps(T0);
  out = captureOutput();
});
afterEach(() => out.restore());

/** No line carries any secret, nor anything shaped like one; returns the lines for further checks. */
function expectNoSecret(): Record<string, unknown>[] {
  expect(out.lines.length).toBeGreaterThan(0);
  for (const line of out.lines) {
    for (const secret of SECRETS) expect(line).not.toContain(secret);
    expect(line).not.toMatch(/\b(pina|pinr|pinc|prk|whsec)_[A-Za-z0-9]/);
  }
  return logRecords(out.lines);
}

const apiEvent = (patch: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent =>
  ({
    resource: '/',
    path: '/',
    httpMethod: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', authorizer: { tenant_id: TENANT } },
    ...patch,
  }) as APIGatewayProxyEvent;

type Http = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
const load = async (name: string) => ((await import(`../../../lambdas/${name}/handler.ts`)) as { handler: Http }).handler;

describe('no secret in any log line', () => {
  it('token provider: a failed refresh ahead of expiry and a rotation Secrets Manager refused', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const sm = mockClient(client);
    try {
      const expiring = {
        access_token: ACCESS,
        refresh_token: REFRESH,
        expires_at: new Date(Date.parse(T0) + 60_000).toISOString(),
        refresh_token_expires_at: null,
        connection_id: null,
      };
      sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(expiring) });
      sm.on(PutSecretValueCommand).rejects(
        Object.assign(
          new Error(`1 validation error: SecretString '{"access_token":"${NEW_ACCESS}","refresh_token":"${NEW_REFRESH}"}' is too long`),
          { name: 'ValidationException' },
        ),
      );
      const pinterest = new mods.f.ScriptedPinterest();
      pinterest.refreshes.push(
        new Error(
          `POST /v5/oauth/token failed (grant_type=refresh_token&refresh_token=${REFRESH}), Authorization: Basic ${BASIC}: socket hang up`,
        ),
        {
          accessToken: NEW_ACCESS,
          refreshToken: NEW_REFRESH,
          expiresAt: new Date(Date.parse(T0) + 30 * 86_400_000).toISOString(),
          refreshTokenExpiresAt: null,
        },
      );
      const provider = new mods.provider.SecretsTokenProvider(client, PREFIX, pinterest, mods.f.fakeDeps(T0).clock, {
        sleep: async () => undefined,
      });

      await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toMatchObject({ token: ACCESS });
      await expect(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true })).resolves.toMatchObject({ token: NEW_ACCESS });

      const lines = expectNoSecret();
      expect(lines.map((l) => l.message)).toEqual([
        'token refresh ahead of expiry failed; using the current access token',
        'rotated account tokens could not be stored; this container keeps them and retries on its next call for the account',
      ]);
      // What ops need stays readable: which secret, and what went wrong.
      expect(lines[0]).toMatchObject({ secret_name: SECRET_NAME, error: expect.stringContaining('refresh_token=[redacted]') });
      expect(lines[1]).toMatchObject({ secret_name: SECRET_NAME, error: expect.stringContaining('ValidationException') });
    } finally {
      sm.restore();
    }
  });

  it('HTTP handler: an unhandled error quoting an Authorization header and carrying the request headers', async () => {
    const handler = mods.http.httpHandler(async (req) => {
      mods.logger.debug('request received', { headers: req.headers });
      throw Object.assign(new Error(`upstream refused Authorization: Bearer ${API_KEY}`), {
        request: { headers: { authorization: `Bearer ${API_KEY}` } },
      });
    });

    await expect(handler(apiEvent({}), mods.b.lambdaContext())).resolves.toMatchObject({ statusCode: 500 });

    const lines = expectNoSecret();
    expect(lines.find((l) => l.message === 'request received')).toMatchObject({
      headers: { authorization: '[redacted]', 'content-type': 'application/json' },
    });
    expect(lines.find((l) => l.message === 'unhandled error')).toMatchObject({
      error: { message: 'upstream refused Authorization: Bearer [redacted]', request: { headers: { authorization: '[redacted]' } } },
    });
  });

  it('worker: a crash whose error quotes the tokens', async () => {
    const handler = (await import('../../../lambdas/publish-pin/handler.ts')).handler as (
      event: SQSEvent,
      context: Context,
    ) => Promise<unknown>;
    const record = mods.b.jobRecord({ now: T0 });
    publishDeps.jobs.seed(record);
    publishDeps.pinterest.creates.push(() => {
      throw new SyntaxError(`Unexpected token in JSON at position 3: {"access_token":"${ACCESS}","refresh_token":"${REFRESH}"}`);
    });
    const message = {
      messageId: 'm-1',
      receiptHandle: 'r',
      body: JSON.stringify(mods.b.jobMessage(record)),
      attributes: { MessageGroupId: 'g' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:1:q.fifo',
      awsRegion: 'eu-west-1',
    };

    await handler({ Records: [message] } as never, { ...mods.b.lambdaContext(), getRemainingTimeInMillis: () => 800_000 });

    const lines = expectNoSecret();
    expect(lines.find((l) => l.message === 'attempt crashed')).toMatchObject({ level: 'ERROR', error: { name: 'SyntaxError' } });
  });

  it('webhook handler: an error quoting the webhook secret', async () => {
    webhookFailure = new Error(
      `CreateConnection failed: InvalidParameter ApiKeyValue=${WEBHOOK_SECRET}; header x-pinrelay-webhook-secret: ${WEBHOOK_SECRET}`,
    );
    const handler = await load('create-webhook');
    const body = JSON.stringify({ url: 'https://hooks.example.com/pinrelay', events: ['job.succeeded'] });

    await expect(handler(apiEvent({ body }), mods.b.lambdaContext())).resolves.toMatchObject({ statusCode: 500 });

    expect(expectNoSecret().find((l) => l.message === 'unhandled error')).toBeDefined();
  });

  it('account connection: a rejected body and a vault failure quoting the tokens', async () => {
    const handler = await load('put-account');
    const tokens = { access_token: ACCESS, refresh_token: REFRESH, expires_at: '2026-12-22T00:00:00Z' };
    vaultFailure = new Error(`PutSecretValue failed for ${JSON.stringify(tokens)}`);

    await expect(
      handler(
        apiEvent({ httpMethod: 'PUT', pathParameters: { account_id: ACCOUNT }, body: JSON.stringify({ ...tokens, colour: 'red' }) }),
        mods.b.lambdaContext(),
      ),
    ).resolves.toMatchObject({ statusCode: 400 });
    await expect(
      handler(
        apiEvent({ httpMethod: 'PUT', pathParameters: { account_id: ACCOUNT }, body: `${JSON.stringify(tokens).slice(0, -1)},` }),
        mods.b.lambdaContext(),
      ),
    ).resolves.toMatchObject({ statusCode: 400 });
    await expect(
      handler(
        apiEvent({ httpMethod: 'PUT', pathParameters: { account_id: ACCOUNT }, body: JSON.stringify(tokens) }),
        mods.b.lambdaContext(),
      ),
    ).resolves.toMatchObject({ statusCode: 500 });

    const lines = expectNoSecret();
    expect(lines.filter((l) => l.message === 'request rejected')).toHaveLength(2);
    expect(lines.find((l) => l.message === 'unhandled error')).toMatchObject({ account_id: ACCOUNT, tenant_id: TENANT });
  });

  it('any attribute: secret-named keys and credential shapes anywhere, ids and names kept', () => {
    mods.logger.info('careless', {
      secret: WEBHOOK_SECRET,
      client_secret: CLIENT_SECRET,
      accessToken: ACCESS,
      connection: { auth_parameters: { api_key_value: WEBHOOK_SECRET, basic: `Basic ${BASIC}` } },
      note: `keys ${API_KEY} and ${NEW_REFRESH}`,
      has_refresh_token: true,
      secret_name: SECRET_NAME,
      job_id: 'job_ahy6yb74ega2m4tvceajevfft8',
    });

    expect(expectNoSecret()[0]).toMatchObject({
      secret: '[redacted]',
      client_secret: '[redacted]',
      accessToken: '[redacted]',
      connection: { auth_parameters: { api_key_value: '[redacted]', basic: 'Basic [redacted]' } },
      note: 'keys [redacted] and [redacted]',
      has_refresh_token: true,
      secret_name: SECRET_NAME,
      job_id: 'job_ahy6yb74ega2m4tvceajevfft8',
    });
  });
});
