import { beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { AppCredentialsMissingError, TokenRefreshError } from '../../../lambdas/use-cases/ports.ts';
import { publishJob } from '../../../lambdas/use-cases/publish.ts';
import { ACCOUNT, httpError, jobMessage, jobRecord, pinterestPin, TENANT } from '../builders.ts';
import { accountRecord, fakePublishDeps } from '../fakes.ts';

/**
 * The worker and the account's connection: which connection's tokens it asks for, which connection a
 * dead-token verdict marks, and placeholder app credentials (never the account's fault).
 */
const NOW = '2026-03-01T12:10:00.000Z';
const OLD = 'con_0123456789abcdefghjk';
const CURRENT = 'con_zyxwvtsrqpnmkjhgfedc';

let deps: ReturnType<typeof fakePublishDeps>;
let seeded: JobRecord;
const stored = () => deps.jobs.stored(TENANT, seeded.job.id)!;
const account = () => deps.tenants.accounts.get(`${TENANT}/${ACCOUNT}`)!;
const run = () => publishJob(deps, jobMessage(stored()));

beforeEach(() => {
  deps = fakePublishDeps(NOW);
  deps.tenants.accounts.set(`${TENANT}/${ACCOUNT}`, { ...accountRecord(TENANT, ACCOUNT, NOW), connectionId: CURRENT });
  seeded = jobRecord();
  deps.jobs.seed(seeded);
});

describe('publishJob: the account’s connection', () => {
  it('asks for the tokens of the connection the account record names, on every call of the attempt', async () => {
    deps.pinterest.creates.push(httpError(401), pinterestPin());

    await run();

    expect(deps.tokens.calls.map((c) => [c.forceRefresh, c.connectionId])).toEqual([
      [false, CURRENT],
      [true, CURRENT],
    ]);
    expect(stored().job.status).toBe('succeeded');
  });

  it('a dead refresh token of the current connection marks the account', async () => {
    deps.tokens.failures.set(1, new TokenRefreshError(400, 'refused', CURRENT));

    await run();

    expect(stored().job.failure).toMatchObject({ route: 'ops', reason: 'reauthorization_required' });
    expect(account().connection_status).toBe('reauthorization_required');
  });

  it('a dead refresh token of an older connection fails the job but leaves the reconnected account alone', async () => {
    deps.tokens.failures.set(1, new TokenRefreshError(400, 'refused', OLD));

    await run();

    expect(stored().job.failure).toMatchObject({ route: 'ops', reason: 'reauthorization_required' });
    expect(account().connection_status).toBe('connected');
  });

  it('a 401 right after the refresh is judged on the connection of the token that was refused', async () => {
    deps.tokens.connectionId = OLD; // the provider could only answer tokens of the old connection
    deps.pinterest.creates.push(httpError(401), httpError(401));

    await run();

    expect(stored().job.failure).toMatchObject({ reason: 'reauthorization_required' });
    expect(account().connection_status).toBe('connected');
  });
});

describe('publishJob: placeholder app credentials', () => {
  it.each([
    ['the token needs a refresh before the create', () => deps.tokens.failures.set(1, new AppCredentialsMissingError()), 0],
    [
      'a 401 asks for a refresh',
      () => {
        deps.pinterest.creates.push(httpError(401));
        deps.tokens.failures.set(2, new AppCredentialsMissingError());
      },
      1,
    ],
  ])('when %s: fails the job for ops (store the credentials) and leaves the account alone', async (_what, arrange, creates) => {
    arrange();

    await run();

    const { job } = stored();
    expect(job.status).toBe('failed');
    expect(job.failure).toMatchObject({
      route: 'ops',
      reason: 'app_credentials_missing',
      http_status: null,
      remediation: expect.stringMatching(/put-secret-value.*docs\/deploy\.md/),
    });
    expect(deps.pinterest.calls.filter((c) => c.op === 'createPin')).toHaveLength(creates);
    expect(deps.log).not.toContain(`tenants.markReauthorizationRequired ${ACCOUNT}`);
    expect(account().connection_status).toBe('connected');
  });
});
