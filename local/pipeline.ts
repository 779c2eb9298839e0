import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DELAY_DLQ, DELAY_QUEUE, OUTBOX_DLQ, POISON_QUEUE, PUBLISH_DLQ, PUBLISH_QUEUE, WEBHOOK_DLQ } from '../definitions/queues.ts';
import { JOBS_TABLE, TENANTS_TABLE } from '../definitions/tables.ts';
import { startDynamoDbLocal } from './emulators/dynamodb-local.ts';
import {
  LOCAL_DEFAULTS,
  LOCAL_PLATFORM_ENVIRONMENT,
  LOCAL_WEBHOOK_NAME_PREFIX,
  localFunctionsEnvironment,
  localResources,
  localSettings,
  type LocalSettingsOptions,
} from './environment.ts';
import { startFauxqs } from './emulators/fauxqs.ts';
import { startEventBridgeStandIn, type EventBridgeStandIn, type RetryTiming } from './stand-ins/eventbridge.ts';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from './stand-ins/secrets-manager.ts';
import { startLocalApi, type LocalApiLimits } from './http-api.ts';
import { provision, provisionedQueue, provisionedTable } from './provision.ts';
import { startOutboxRelay, startStrandedJobBackstop, startSweeper, startWorker, type ReconcileResult } from './event-sources.ts';
import { persistSecrets, storeAppCredentials } from './secrets.ts';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, startPinterestSandbox, type PinterestSandbox } from './pinterest-sandbox.ts';
import type { PinterestApi } from '../lambdas/use-cases/ports.ts';

/** The sandbox's demo user: `npm start`'s printed curl commands connect it as account `demo`. */
export const SANDBOX_DEMO_USER = {
  username: 'demo',
  boards: ['1234567890', '1111111111'],
  accessToken: 'pina_sandbox_demo',
  refreshToken: 'pinr_sandbox_demo',
} as const;

/** The functions' settings (LocalSettingsOptions: pacing, retry, sweeper, reconciler, …) and how the pipeline runs. */
export interface PipelineOptions extends LocalSettingsOptions {
  /** API listen address. @default 127.0.0.1 */
  readonly host?: string;
  /** API port; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Persist DynamoDB and SQS state (and stream positions) here; omitted = in memory. */
  readonly dataDir?: string;
  /** The local tenant's API key; generated when omitted. */
  readonly apiKey?: string;
  /** Run the outbox relay on the jobs stream (tests turn it off to simulate a dead relay). @default true */
  readonly relay?: boolean;
  /** Stream batch retries before the on-failure destination. @default 10 */
  readonly relayRetryAttempts?: number;
  /**
   * Use already running emulators (endpoints) instead of starting them; the pipeline will not stop
   * them. The integration tests start them once in globalSetup.
   */
  readonly emulators?: { readonly dynamodb: string; readonly sqs: string };
  /** Prefix for table and queue names, so pipelines can share emulators. @default '' */
  readonly namePrefix?: string;
  /**
   * Pinterest origin (no /v5) and app credentials; omitted = the built-in sandbox
   * (local/pinterest-sandbox.ts) with a demo user whose tokens the printed curl commands use.
   */
  readonly pinterest?: { readonly baseUrl: string; readonly clientId: string; readonly clientSecret: string };
  /** Run the publish worker and the delay-queue consumer. @default true */
  readonly worker?: boolean;
  /** Parallel pollers on the publish queue (distinct message groups run in parallel). @default 4 */
  readonly workerConcurrency?: number;
  /**
   * How the EventBridge stand-in spaces webhook retries (EventBridge's own schedule waits minutes; the
   * retry policy — 185 attempts, 24 h — and the DLQ are the deployed ones). @default LOCAL_WEBHOOK_RETRY
   */
  readonly webhookRetry?: Partial<RetryTiming>;
  /** Tests only: shorter visibility timeouts (logical queue name → seconds), to see crashes recover quickly. */
  readonly queueVisibilityOverrides?: Readonly<Record<string, number>>;
  /** Wraps the worker's Pinterest client (fault injection in tests, e.g. a crash after the create). */
  readonly wrapPinterest?: (api: PinterestApi) => PinterestApi;
  /** Where pipeline diagnostics go. @default console.error */
  readonly log?: (message: string) => void;
  /**
   * The API Gateway settings the local API emulates (authorizer cache, per-tenant throttle and quota).
   * @default read from the environment like a function's settings (local/http-api.ts localApiLimits)
   */
  readonly api?: Partial<LocalApiLimits>;
  /** The web console's build directory, served at `<apiUrl>/console/` (local/console-assets.ts); omitted = no console. */
  readonly consoleDir?: string;
}

export interface Pipeline {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly tenantId: string;
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly secretsManager: string; readonly eventBridge: string };
  readonly queueUrls: {
    readonly publish: string;
    readonly publishDlq: string;
    readonly delay: string;
    readonly delayDlq: string;
    readonly outboxDlq: string;
    readonly poison: string;
    /** Webhook deliveries whose retries ran out (the stand-in dead-letters into it). */
    readonly webhookDlq: string;
  };
  /** Name prefix of the webhook subscriptions' connections, API destinations and rules in the stand-in. */
  readonly webhookNamePrefix: string;
  readonly tableNames: { readonly jobs: string; readonly tenants: string };
  readonly secrets: SecretsManagerStandIn;
  readonly events: EventBridgeStandIn;
  /** The built-in Pinterest sandbox, unless `pinterest` pointed elsewhere. */
  readonly sandbox: PinterestSandbox | undefined;
  readonly pinterestBaseUrl: string;
  /** Creates another tenant and returns its API key (multi-tenant tests, admin CLI in local mode). */
  createTenant(name: string): Promise<{ tenantId: string; apiKey: string }>;
  /** Waits until the relay has processed every jobs-table change made so far. */
  relayDrained(timeoutMs?: number): Promise<void>;
  /** Runs one outbox sweep now; returns how many jobs it dispatched. */
  sweepNow(): Promise<number>;
  /** Runs one stranded-job reconciliation now (even with `reconciler: false`); returns what it did. */
  reconcileNow(): Promise<ReconcileResult>;
  stop(): Promise<void>;
}

export const LOCAL_TENANT_ID = 'ten_local';

/** Local webhook retries: the first within a second, then doubling (jittered) up to 10 s. */
export const LOCAL_WEBHOOK_RETRY: Partial<RetryTiming> = { firstDelayMs: 1000, maxDelayMs: 10_000, multiplier: 2, jitter: 0.5 };

const REGION = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The whole pipeline on one machine (docs/adr/0004-local-mode.md): DynamoDB Local and fauxqs as child processes, the
 * in-repo Secrets Manager and EventBridge stand-ins, tables and queues from definitions, and the
 * same Lambda handlers behind a local API Gateway and local event source mappings.
 * Used by `npm start` (local/start.ts) and by the integration tests.
 */
export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const log = options.log ?? ((m: string) => console.error(m));
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => log(`stop failed: ${String(e)}`));
    stops.length = 0;
  };
  try {
    const dataDir = options.dataDir;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const shared = options.emulators;
    const [dynamo, sqs, secrets] = await Promise.all([
      shared
        ? { endpoint: shared.dynamodb, stop: async () => undefined }
        : startDynamoDbLocal(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
      shared ? { endpoint: shared.sqs, stop: async () => undefined } : startFauxqs(dataDir ? { dataDir: join(dataDir, 'sqs') } : {}),
      startSecretsManagerStandIn(),
    ]);
    stops.push(dynamo.stop, sqs.stop, secrets.stop);
    // Webhook deliveries that run out of retries are dead-lettered into the provisioned webhook DLQ (fauxqs).
    const events = await startEventBridgeStandIn({
      sqsEndpoint: sqs.endpoint,
      retry: { ...LOCAL_WEBHOOK_RETRY, ...options.webhookRetry },
      onDeliveryFailure: (failure) =>
        log(
          `eventbridge: event ${failure.eventId} not delivered (rule ${failure.ruleName}): ${failure.errorCode} ${failure.errorMessage} — ${failure.disposition}`,
        ),
    });
    stops.push(events.stop);
    const prefix = options.namePrefix ?? '';
    if (dataDir) await persistSecrets(secrets, join(dataDir, 'secrets.json'), stops);

    const dynamoAdmin = new DynamoDBClient({ endpoint: dynamo.endpoint, region: REGION, credentials });
    const sqsAdmin = new SQSClient({ endpoint: sqs.endpoint, region: REGION, credentials });
    const provisioned = await provision(dynamoAdmin, sqsAdmin, prefix, options.queueVisibilityOverrides);
    const busName = `${prefix}pinrelay-local`;
    await new EventBridgeClient({ endpoint: events.endpoint, region: REGION, credentials })
      .send(new CreateEventBusCommand({ Name: busName }))
      .catch((e: Error) => {
        if (e.name !== 'ResourceAlreadyExistsException') throw e;
      });

    const queueUrls = {
      publish: provisionedQueue(provisioned, PUBLISH_QUEUE).url,
      publishDlq: provisionedQueue(provisioned, PUBLISH_DLQ).url,
      delay: provisionedQueue(provisioned, DELAY_QUEUE).url,
      outboxDlq: provisionedQueue(provisioned, OUTBOX_DLQ).url,
      delayDlq: provisionedQueue(provisioned, DELAY_DLQ).url,
      poison: provisionedQueue(provisioned, POISON_QUEUE).url,
      webhookDlq: provisionedQueue(provisioned, WEBHOOK_DLQ).url,
    };
    const webhookNamePrefix = `${prefix}${LOCAL_WEBHOOK_NAME_PREFIX}`;
    const tableNames = {
      jobs: provisionedTable(provisioned, JOBS_TABLE).name,
      tenants: provisionedTable(provisioned, TENANTS_TABLE).name,
    };
    const sweeper = options.sweeper ?? { intervalMs: 10_000, graceSeconds: LOCAL_DEFAULTS.sweepGraceSeconds };

    let sandbox: PinterestSandbox | undefined;
    let pinterest = options.pinterest;
    if (!pinterest) {
      const started = await startPinterestSandbox();
      stops.push(() => started.stop());
      started.addUser({ ...SANDBOX_DEMO_USER, boards: [...SANDBOX_DEMO_USER.boards] });
      sandbox = started;
      pinterest = { baseUrl: started.url, clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET };
    }

    // The handlers read their configuration from the environment, exactly as in Lambda: each function's
    // variables come from the settings and its access list, derived as the CDK stack derives them
    // (local/environment.ts); the functions share this process, so it holds the union.
    const settings = localSettings(options, pinterest.baseUrl);
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      SQS_ENDPOINT: sqs.endpoint,
      SECRETS_MANAGER_ENDPOINT: secrets.endpoint,
      EVENTBRIDGE_ENDPOINT: events.endpoint,
      ...LOCAL_PLATFORM_ENVIRONMENT,
      ...localFunctionsEnvironment(
        settings,
        localResources(provisioned, {
          eventBusName: busName,
          appSecretArn: await storeAppCredentials(secrets.endpoint, pinterest),
          webhookNamePrefix,
        }),
      ),
    });
    const { resetConfigForTests } = await import('../lambdas/common/config.ts');
    const { resetClientsForTests } = await import('../lambdas/common/clients.ts');
    const deps = await import('../lambdas/common/deps/publish.ts');
    resetConfigForTests();
    resetClientsForTests();
    deps.resetDepsForTests();
    const wrap = options.wrapPinterest;
    deps.decoratePublishDeps(wrap ? (d) => ({ ...d, pinterest: wrap(d.pinterest) }) : undefined);

    const { createTenant } = await import('../lambdas/use-cases/tenants.ts');
    const { tenantStore } = await import('../lambdas/common/deps/tenants.ts');
    const { systemClock } = await import('../lambdas/domain/clock.ts');
    const local = await createTenant({ tenants: tenantStore(), clock: systemClock }, 'local', {
      tenantId: LOCAL_TENANT_ID,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    });

    const api = await startLocalApi({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 3000,
      ...(options.api ? { limits: options.api } : {}),
      ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
      onError: (e) =>
        log(`api: ${e instanceof Error ? `${e.stack} ${JSON.stringify((e as { errors?: unknown[] }).errors?.map(String))}` : String(e)}`),
    });
    stops.push(api.stop);

    const streamArn = provisioned.tables[JOBS_TABLE.logicalName]?.streamArn;
    if (!streamArn) throw new Error('the jobs table has no stream');
    const relay =
      options.relay === false
        ? undefined
        : await startOutboxRelay({
            dynamoEndpoint: dynamo.endpoint,
            streamArn,
            sqs: sqsAdmin,
            outboxDlqUrl: queueUrls.outboxDlq,
            retryAttempts: options.relayRetryAttempts ?? 10,
            ...(dataDir ? { checkpointFile: join(dataDir, 'stream-checkpoints.json') } : {}),
            log,
          });
    if (relay) stops.push(relay.stop);

    if (options.worker !== false) {
      stops.push(...(await startWorker({ sqs: sqsAdmin, provisioned, concurrency: options.workerConcurrency ?? 4, log })));
    }

    const { sweepNow, stop: stopSweeper } = await startSweeper(sweeper ? sweeper.intervalMs : false, log);
    stops.push(stopSweeper);

    const reconciler = options.reconciler ?? { intervalMs: 60_000 };
    const backstop = await startStrandedJobBackstop({
      sqs: sqsAdmin,
      provisioned,
      intervalMs: reconciler ? reconciler.intervalMs : false,
      log,
    });
    stops.push(...backstop.stops);
    const { reconcileNow } = backstop;

    return {
      apiUrl: api.url,
      apiKey: local.api_key,
      tenantId: local.tenant_id,
      endpoints: { dynamodb: dynamo.endpoint, sqs: sqs.endpoint, secretsManager: secrets.endpoint, eventBridge: events.endpoint },
      queueUrls,
      webhookNamePrefix,
      tableNames,
      secrets,
      events,
      sandbox,
      pinterestBaseUrl: pinterest.baseUrl,
      createTenant: async (name) => {
        const created = await createTenant({ tenants: tenantStore(), clock: systemClock }, name);
        return { tenantId: created.tenant_id, apiKey: created.api_key };
      },
      relayDrained: async (timeoutMs) => {
        if (!relay) throw new Error('the relay is disabled in this pipeline');
        await relay.drained(timeoutMs);
      },
      sweepNow,
      reconcileNow,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
