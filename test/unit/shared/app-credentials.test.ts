import { beforeEach, describe, expect, it } from 'vitest';
import type { RefreshedTokens } from '../../../lambdas/use-cases/ports.ts';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import { AppCredentialsRefresher, PLACEHOLDER_RECHECK_MS, type AppCredentials } from '../../../lambdas/common/deps/publish.ts';
import { PINTEREST_APP_PLACEHOLDER_CLIENT_ID } from '../../../definitions/pinterest-app.ts';
import { T0 } from '../builders.ts';

const PLACEHOLDER: AppCredentials = { clientId: PINTEREST_APP_PLACEHOLDER_CLIENT_ID, clientSecret: 'generated' };
const REAL: AppCredentials = { clientId: '1234567', clientSecret: 'app-secret' };

let clock: ReturnType<typeof fixedClock>;
let reads: number;
let answer: () => AppCredentials;
/** Which credentials each refresh went out with. */
let refreshedWith: string[];

function refresher(initial: AppCredentials) {
  return new AppCredentialsRefresher(
    initial,
    (credentials) => ({
      refreshAccessToken: async (): Promise<RefreshedTokens> => {
        refreshedWith.push(credentials.clientId);
        return { accessToken: 'a', refreshToken: 'r', expiresAt: T0, refreshTokenExpiresAt: null };
      },
    }),
    clock,
    async () => {
      reads += 1;
      return answer();
    },
  );
}

beforeEach(() => {
  clock = fixedClock(T0);
  reads = 0;
  answer = () => PLACEHOLDER;
  refreshedWith = [];
});

describe('AppCredentialsRefresher', () => {
  it('real credentials: configured, never read again', async () => {
    const app = refresher(REAL);

    clock.advance(10 * PLACEHOLDER_RECHECK_MS);
    await expect(app.configured()).resolves.toBe(true);
    await app.refreshAccessToken('r');

    expect(reads).toBe(0);
    expect(refreshedWith).toEqual([REAL.clientId]);
  });

  it('placeholder: not configured, read again at most once a minute, and real credentials stored later take effect', async () => {
    const app = refresher(PLACEHOLDER);

    await expect(app.configured()).resolves.toBe(false);
    clock.advance(PLACEHOLDER_RECHECK_MS - 1);
    await expect(app.configured()).resolves.toBe(false);
    expect(reads).toBe(0);

    clock.advance(1);
    await expect(app.configured()).resolves.toBe(false);
    expect(reads).toBe(1);

    answer = () => REAL; // the operator ran put-secret-value
    clock.advance(PLACEHOLDER_RECHECK_MS);
    await expect(app.configured()).resolves.toBe(true);
    await app.refreshAccessToken('r');
    expect(refreshedWith).toEqual([REAL.clientId]);
    clock.advance(PLACEHOLDER_RECHECK_MS);
    await app.configured();
    expect(reads).toBe(2);
  });

  it('a secret that cannot be read counts as not configured (the job says where to look)', async () => {
    const app = refresher(PLACEHOLDER);
    answer = () => {
      throw new Error('the Pinterest app credentials secret needs client_id and client_secret');
    };

    clock.advance(PLACEHOLDER_RECHECK_MS);
    await expect(app.configured()).resolves.toBe(false);
  });
});
