import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, Job } from '../../lambdas/api/schemas.ts';
import { PINTEREST_APP_PLACEHOLDER_CLIENT_ID } from '../../definitions/pinterest-app.ts';
import { startPinterestSandbox, type PinterestSandbox } from '../../local/pinterest-sandbox.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { callerFor, testPipeline, waitForJob, type Caller } from './harness.ts';

/**
 * A deployment whose Pinterest app credentials are still the placeholder the stack stores at deploy time:
 * jobs that need no token refresh publish; a job that needs one fails for ops ("store the credentials")
 * and the account is NOT marked for reconnection — it is not the account's fault.
 */
let sandbox: PinterestSandbox;
let pipeline: Pipeline;
let api: Caller;

beforeAll(async () => {
  sandbox = await startPinterestSandbox();
  pipeline = await testPipeline({
    pinterest: { baseUrl: sandbox.url, clientId: PINTEREST_APP_PLACEHOLDER_CLIENT_ID, clientSecret: 'generated-placeholder-secret' },
    retry: { baseSeconds: 0.5, maxAttempts: 3 },
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
  });
  api = callerFor(pipeline, pipeline.apiKey);
});

afterAll(async () => {
  await pipeline?.stop();
  await sandbox?.stop();
});

async function connect(user: string, board: string, extra: Record<string, unknown> = {}) {
  const tokens = sandbox.addUser({ username: user, boards: [board] });
  const put = await api('PUT', `/v1/accounts/${user}`, {
    body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, ...extra },
  });
  expect(put.status).toBe(200);
  return tokens;
}

async function publish(account: string, board: string, key: string): Promise<Job> {
  const created = await api('POST', '/v1/pins', {
    body: { account_id: account, board_id: board, title: key, media_source: { source_type: 'image_url', url: `https://e.com/${key}.jpg` } },
    headers: { 'Idempotency-Key': key },
  });
  expect(created.status).toBe(202);
  return waitForJob(api, (created.body as Job).id);
}

const refreshes = () => sandbox.requests().filter((r) => r.path === '/v5/oauth/token');

describe('placeholder Pinterest app credentials', () => {
  it('a job whose token needs no refresh publishes', async () => {
    await connect('fresh', '401');
    expect((await publish('fresh', '401', 'no-refresh-needed')).status).toBe('succeeded');
  });

  it('a token due for a refresh ahead of expiry but still valid is used as it is', async () => {
    await connect('expiring', '402', { expires_at: new Date(Date.now() + 60_000).toISOString() });
    expect((await publish('expiring', '402', 'refresh-ahead-skipped')).status).toBe('succeeded');
    expect(refreshes()).toEqual([]);
  });

  it('a job that needs a refresh fails for ops with app_credentials_missing, and the account stays connected', async () => {
    const tokens = await connect('refused', '403');
    sandbox.expireAccessToken(tokens.accessToken);

    const job = await publish('refused', '403', 'refresh-needed');

    expect(job.status).toBe('failed');
    expect(job.failure).toMatchObject({ route: 'ops', reason: 'app_credentials_missing' });
    expect(job.failure!.remediation).toMatch(/put-secret-value/);
    expect(refreshes()).toEqual([]); // the placeholder was never sent to Pinterest
    expect((await api<Account>('GET', '/v1/accounts/refused')).body.connection_status).toBe('connected');
  });
});
