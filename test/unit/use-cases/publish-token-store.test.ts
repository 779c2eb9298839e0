import { beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { TokenStoreUnavailableError } from '../../../lambdas/use-cases/ports.ts';
import { publishJob } from '../../../lambdas/use-cases/publish.ts';
import { ACCOUNT, jobMessage, jobRecord, TENANT } from '../builders.ts';
import { accountRecord, fakePublishDeps } from '../fakes.ts';

/**
 * The worker when the account's tokens cannot be read for now (the token store unavailable, found by the
 * fault-injection suite): the attempt is recorded as a wait (retry_later), not a crash — no crash counted,
 * nothing sent to Pinterest, the message it gives is the store's.
 */
const NOW = '2026-03-01T12:10:00.000Z';
let deps: ReturnType<typeof fakePublishDeps>;
let seeded: JobRecord;
const stored = () => deps.jobs.stored(TENANT, seeded.job.id)!;

beforeEach(() => {
  deps = fakePublishDeps(NOW);
  deps.tenants.accounts.set(`${TENANT}/${ACCOUNT}`, accountRecord(TENANT, ACCOUNT, NOW));
  seeded = jobRecord();
  deps.jobs.seed(seeded);
});

describe('publishJob: the token store unavailable', () => {
  it('records retry_later token_store_unavailable, spends no crash, sends nothing', async () => {
    deps.tokens.failures.set(1, new TokenStoreUnavailableError('Secrets Manager could not be read: ServiceUnavailable: down'));

    const result = await publishJob(deps, jobMessage(stored()));

    expect(result).toMatchObject({ kind: 'recorded', classification: { outcome: 'retry_later', reason: 'token_store_unavailable' } });
    expect(result).not.toHaveProperty('error'); // not a crash: nothing for the handler to log as one
    expect(stored().crashCount).toBeUndefined();
    expect(stored().job).toMatchObject({ status: 'retry_scheduled', attempt_count: 1 });
    expect(stored().job.attempts[0]).toMatchObject({
      outcome: 'retry_later',
      error_message: 'Secrets Manager could not be read: ServiceUnavailable: down',
    });
    expect(deps.pinterest.calls).toEqual([]);
  });
});
