import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PINTEREST_APP_PLACEHOLDER_CLIENT_ID } from '../../../definitions/pinterest-app.ts';
import { PinterestClient } from '../../adapters/pinterest/client.ts';
import { SecretsTokenProvider } from '../../adapters/secrets-token-provider.ts';
import { retryPolicy } from '../../domain/backoff.ts';
import { type Clock, systemClock } from '../../domain/clock.ts';
import type { PinterestApi } from '../../use-cases/ports.ts';
import type { PublishDeps } from '../../use-cases/publish.ts';
import { secretsClient } from '../clients/secrets.ts';
import { config, required } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { logger } from '../powertools.ts';
import { clock, delayOnlyQueue, jobStore } from './jobs.ts';
import { pacer, tenantStore } from './tenants.ts';

/** The worker's wiring (lambdas/common/deps/jobs.ts explains the modules): Pinterest, the app credentials, every port of a publish. */

export interface AppCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Pinterest app credentials: a Secrets Manager secret in AWS (`{client_id, client_secret}`), env in local mode. */
async function pinterestCredentials(): Promise<AppCredentials> {
  const c = config();
  if (c.PINTEREST_APP_SECRET_ARN) {
    const out = await secretsClient().send(new GetSecretValueCommand({ SecretId: c.PINTEREST_APP_SECRET_ARN }));
    const value = JSON.parse(out.SecretString ?? '{}') as { client_id?: string; client_secret?: string };
    if (!value.client_id || !value.client_secret) {
      throw new ConfigError('the Pinterest app credentials secret needs client_id and client_secret (see docs/deploy.md)');
    }
    return { clientId: value.client_id, clientSecret: value.client_secret };
  }
  if (c.PINTEREST_CLIENT_ID && c.PINTEREST_CLIENT_SECRET)
    return { clientId: c.PINTEREST_CLIENT_ID, clientSecret: c.PINTEREST_CLIENT_SECRET };
  throw new ConfigError('no Pinterest app credentials: set PINTEREST_APP_SECRET_ARN or PINTEREST_CLIENT_ID/PINTEREST_CLIENT_SECRET');
}

/** What the stack stores until the operator writes the real credentials (docs/deploy.md). */
function isPlaceholder(credentials: AppCredentials): boolean {
  return credentials.clientId === PINTEREST_APP_PLACEHOLDER_CLIENT_ID;
}

/** How long a container trusts a placeholder before reading the credentials again. */
export const PLACEHOLDER_RECHECK_MS = 60_000;

/**
 * Token refreshes with the app credentials as they are now. Containers built before the operator stored
 * the real credentials would otherwise keep the placeholder for their whole life: while they hold it, the
 * credentials are read again at most once a minute, so storing them takes effect without a redeploy.
 */
export class AppCredentialsRefresher implements Pick<PinterestApi, 'refreshAccessToken'> {
  private client: Pick<PinterestApi, 'refreshAccessToken'>;
  private checkedAt: number;

  constructor(
    private credentials: AppCredentials,
    private readonly build: (credentials: AppCredentials) => Pick<PinterestApi, 'refreshAccessToken'>,
    private readonly clock: Clock = systemClock,
    private readonly read: () => Promise<AppCredentials> = pinterestCredentials,
  ) {
    this.client = build(credentials);
    this.checkedAt = clock.now().getTime();
  }

  /** False while the credentials are the placeholder: a refresh could only be refused. */
  async configured(): Promise<boolean> {
    if (!isPlaceholder(this.credentials)) return true;
    const now = this.clock.now().getTime();
    if (now - this.checkedAt >= PLACEHOLDER_RECHECK_MS) {
      this.checkedAt = now;
      try {
        this.credentials = await this.read();
        this.client = this.build(this.credentials);
      } catch (error) {
        // A half-written secret: the job fails as "credentials missing", which tells the operator where to look.
        logger.error('the Pinterest app credentials could not be read again', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return !isPlaceholder(this.credentials);
  }

  refreshAccessToken(refreshToken: string) {
    return this.client.refreshAccessToken(refreshToken);
  }
}

let workerDepsPromise: Promise<PublishDeps> | undefined;
let decorate: ((deps: PublishDeps) => PublishDeps) | undefined;

/** Test seam (local mode's fault injection): transforms the worker's dependencies once they are built. */
export function decoratePublishDeps(decorator: ((deps: PublishDeps) => PublishDeps) | undefined): void {
  decorate = decorator;
  workerDepsPromise = undefined;
}

/**
 * The worker's dependencies, built once per container: the token provider's cache and the Pinterest
 * client's connection pool outlive a single invocation.
 */
export function publishDeps(): Promise<PublishDeps> {
  workerDepsPromise ??= (async () => {
    const c = config();
    const credentials = await pinterestCredentials();
    const client = (current: AppCredentials): PinterestApi =>
      new PinterestClient({ baseUrl: c.PINTEREST_API_BASE_URL, timeoutMs: c.PINTEREST_TIMEOUT_MS, ...current });
    // Pins are created with account tokens only; the app credentials matter to refreshes, which follow the secret.
    const pinterest = client(credentials);
    const refresher = new AppCredentialsRefresher(credentials, client);
    const built: PublishDeps = {
      jobs: jobStore(),
      tenants: tenantStore(),
      tokens: new SecretsTokenProvider(secretsClient(), required('ACCOUNT_SECRET_PREFIX'), refresher, clock, {
        appCredentialsConfigured: () => refresher.configured(),
      }),
      pinterest,
      pacer: pacer(),
      queue: delayOnlyQueue(),
      clock,
      random: Math.random,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      policy: retryPolicy({ baseSeconds: c.RETRY_BASE_SECONDS, maxAttempts: c.RETRY_MAX_ATTEMPTS }),
      defaultAccountPerMinute: c.PACING_ACCOUNT_PER_MINUTE,
      leaseMs: c.WORKER_LEASE_SECONDS * 1000,
      callBudgetMs: c.PINTEREST_TIMEOUT_MS + 2_000,
      warn: (message, details) => logger.warn(message, details),
    };
    return decorate ? decorate(built) : built;
  })();
  workerDepsPromise.catch(() => {
    workerDepsPromise = undefined; // a failed build (e.g. secret not set yet) is retried on the next invocation
  });
  return workerDepsPromise;
}

/** Local mode and tests rebuild the worker's dependencies after changing the environment. */
export function resetDepsForTests(): void {
  workerDepsPromise = undefined;
}
