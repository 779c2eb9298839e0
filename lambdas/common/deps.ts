import { DynamoJobStore } from '../adapters/dynamo-job-store.ts';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store.ts';
import { SecretsManagerTokenVault } from '../adapters/secrets-token-vault.ts';
import { SqsJobQueue } from '../adapters/sqs-job-queue.ts';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher.ts';
import { DynamoPacer } from '../adapters/dynamo-pacer.ts';
import { PinterestClient } from '../adapters/pinterest/client.ts';
import { SecretsTokenProvider } from '../adapters/secrets-token-provider.ts';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PINTEREST_APP_PLACEHOLDER_CLIENT_ID } from '../../definitions/pinterest-app.ts';
import { retryPolicy } from '../domain/backoff.ts';
import type { PublishDeps } from '../use-cases/publish.ts';
import { DnsHostResolver } from '../adapters/dns-host-resolver.ts';
import { DynamoWebhookStore } from '../adapters/dynamo-webhook-store.ts';
import { EventBridgeWebhookProvisioner } from '../adapters/eventbridge-webhooks.ts';
import type { WebhookDeps } from '../use-cases/webhooks.ts';
import { DynamoTenantDirectory } from '../adapters/dynamo-tenant-directory.ts';
import type { StatsDeps } from '../use-cases/stats.ts';
import type { DeadLetterDeps } from '../use-cases/reconcile.ts';
import { SqsPoisonQueue } from '../adapters/sqs-poison-queue.ts';
import { parseJobMessage } from './job-message.ts';
import { ConfigError } from './errors.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import type { EventPublisher, JobQueue, JobStore, PinterestApi, RateView, TenantStore, TokenVault } from '../use-cases/ports.ts';
import { dynamoClient, eventsClient, secretsClient, sqsClient } from './clients.ts';
import { config, required } from './config.ts';
import { logger } from './powertools.ts';

/**
 * The composition root of the Lambda side: real adapters over the module-singleton clients, built on
 * first use so each function only needs the configuration of the ports it actually uses.
 */
export const clock = systemClock;

/** The jobs table: the JobStore port, and the operators' counts on its indexes (JobStatistics). */
function jobsTable(): DynamoJobStore {
  return new DynamoJobStore(dynamoClient(), required('JOBS_TABLE_NAME'), config().JOB_RETENTION_DAYS);
}

export function jobStore(): JobStore {
  return jobsTable();
}

export function tenantStore(): TenantStore {
  return new DynamoTenantStore(dynamoClient(), required('TENANTS_TABLE_NAME'));
}

export function tokenVault(): TokenVault {
  return new SecretsManagerTokenVault(secretsClient(), required('ACCOUNT_SECRET_PREFIX'), config().ACCOUNT_SECRET_KMS_KEY_ID);
}

export function jobQueue(): JobQueue {
  return new SqsJobQueue(sqsClient(), required('PUBLISH_QUEUE_URL'), required('DELAY_QUEUE_URL'));
}

/** The pinrelay bus (EVENT_BUS_NAME, `events:put`): job events from the outbox relay and sweeper. */
export function eventPublisher(): EventPublisher {
  return new EventBridgePublisher(eventsClient(), required('EVENT_BUS_NAME'));
}

/** Pacing state (lambdas/domain/pacing.ts) with the stage's app and read budgets: the worker and GET /rate. */
export function pacer(): DynamoPacer {
  const c = config();
  return new DynamoPacer(dynamoClient(), required('TENANTS_TABLE_NAME'), clock, c.PACING_APP_PER_SECOND, c.PACING_READ_PER_MINUTE);
}

/** GET /v1/accounts/{account_id}/rate: the tenant's account (its own limit) and its pacing state. */
export function accountRateDeps(): { readonly tenants: TenantStore; readonly pacer: RateView } {
  return { tenants: tenantStore(), pacer: pacer() };
}

/** GET /v1/stats: counts on the jobs table's indexes, the tenant's accounts, and each account's pacing state. */
export function statsDeps(): StatsDeps {
  return {
    jobs: jobsTable(),
    directory: new DynamoTenantDirectory(dynamoClient(), required('TENANTS_TABLE_NAME')),
    ...accountRateDeps(),
    clock,
  };
}

/** The dead-letter consumer: records the incident on its job, parks an unreadable body in the poison queue. */
export function deadLetterDeps(): DeadLetterDeps {
  return { jobs: jobStore(), clock, poison: new SqsPoisonQueue(sqsClient(), required('POISON_QUEUE_URL')), parseMessage: parseJobMessage };
}

/** The delay consumer sends to both queues; the worker only to the delay queue (pacing holds). */
export function delayOnlyQueue(): Pick<JobQueue, 'holdForPacing'> {
  return new SqsJobQueue(sqsClient(), undefined, required('DELAY_QUEUE_URL'));
}

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

/**
 * Webhook subscriptions (lambdas/use-cases/webhooks.ts): the tenants table, EventBridge under the
 * deployment's webhook name prefix, the operating system's resolver, and the `webhooks.*` settings.
 */
export function webhookDeps(): WebhookDeps {
  const c = config();
  return {
    webhooks: new DynamoWebhookStore(dynamoClient(), required('TENANTS_TABLE_NAME')),
    provisioner: new EventBridgeWebhookProvisioner(eventsClient(), {
      eventBusName: required('EVENT_BUS_NAME'),
      namePrefix: required('WEBHOOK_NAME_PREFIX'),
      targetRoleArn: required('WEBHOOK_TARGET_ROLE_ARN'),
      deadLetterQueueArn: required('WEBHOOK_DLQ_ARN'),
      invocationRateLimitPerSecond: c.WEBHOOKS_INVOCATION_RATE_LIMIT_PER_SECOND,
    }),
    resolver: new DnsHostResolver(),
    clock,
    limits: {
      maxPerTenant: c.WEBHOOKS_MAX_PER_TENANT,
      ruleQuota: c.WEBHOOKS_RULE_QUOTA,
      allowLoopback: required('WEBHOOK_ALLOW_LOOPBACK_HTTP') === 'true',
    },
    warn: (message, details) => logger.warn(message, details),
  };
}

/** Local mode and tests rebuild the worker's dependencies after changing the environment. */
export function resetDepsForTests(): void {
  workerDepsPromise = undefined;
}
