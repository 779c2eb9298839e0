import { randomBytes } from 'node:crypto';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import type { Job, JobList, WebhookWithSecret } from '../../../lambdas/api/schemas.ts';
import { hashApiKey } from '../../../lambdas/domain/ids.ts';
import type { Pipeline } from '../../../local/pipeline.ts';
import { startWebhookReceiver, type ReceivedDelivery, type WebhookReceiver } from '../../../local/webhook-receiver.ts';
import { callerFor, startQueueConsumers, testPipeline, waitForJob, type Caller } from '../harness.ts';

/**
 * The world the fuzzers attack: one pipeline (intake only once it is set up), two tenants A and B, each
 * with real accounts, jobs in every kind of state and webhook subscriptions, plus a revoked API key.
 * Each tenant's data carries a unique marker string (in metadata, titles, descriptions, webhook URLs);
 * the marker and every id, key, secret and cursor of a tenant must never reach anyone else.
 */

export const TENANTS = ['A', 'B'] as const;
export type TenantName = (typeof TENANTS)[number];

/** The states a tenant's jobs are created in (each may move later: the fuzzers cancel and requeue). */
export const JOB_KINDS = ['queued', 'scheduled', 'failed', 'succeeded'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Account ids: both tenants own `shared-main` (ids are per tenant); each also has one of its own. */
export const ACCOUNT_IDS: Record<TenantName, readonly string[]> = { A: ['shared-main', 'a-only'], B: ['shared-main', 'b-only'] };

export interface TenantWorld {
  readonly name: TenantName;
  readonly tenantId: string;
  readonly apiKey: string;
  readonly api: Caller;
  /** Planted in every job's metadata and title and every webhook's URL and description. */
  readonly marker: string;
  /** The account ids it owns now (fuzzed PUTs add to it). */
  readonly accounts: Set<string>;
  /** The jobs made for the world, by the state they were made in. */
  readonly jobs: Record<JobKind, string[]>;
  /** Jobs fuzzed requests made, after the world's own (which stay first, so every kind stays within reach). */
  readonly madeJobs: string[];
  readonly idempotencyKeys: string[];
  /** Live subscriptions; a fuzzed DELETE of one is replaced at once, so there are always WEBHOOKS_PER_TENANT. */
  readonly webhooks: string[];
  /** Every webhook secret it was ever shown. */
  readonly secrets: Set<string>;
  /** Every job and webhook id it ever had, the fuzzers' included (ids stay its own after a delete). */
  readonly ids: Set<string>;
  /** Real `next_cursor`s of its listings (fuzzed listings add theirs). */
  readonly cursors: string[];
  /** Listings to resume: the filters of a listing and the cursor it handed out. */
  readonly listings: Array<{ readonly filters: ReadonlyArray<readonly [string, string]>; readonly cursor: string }>;
  /** The sandbox board its accounts own. */
  readonly board: string;
}

export interface World {
  readonly pipeline: Pipeline;
  readonly tenants: Record<TenantName, TenantWorld>;
  /** A key that once belonged to a tenant and was revoked. */
  readonly revokedKey: string;
  /** A well-formed key nobody has. */
  readonly unknownKey: string;
  /** Pinterest tokens of the world's accounts: no answer may ever contain one, not even to its owner. */
  readonly tokens: readonly string[];
  /** Where every webhook of the world delivers (a receiver on 127.0.0.1). */
  readonly receiverUrl: string;
  /** What that receiver got so far. */
  receiverDeliveries(): ReceivedDelivery[];
  /** Everything of `tenant` that must not reach anyone else. */
  markersOf(tenant: TenantName): string[];
  /** A fresh webhook for `tenant` (after a fuzzed DELETE took one), kept in the world. */
  replenishWebhooks(tenant: TenantName): Promise<void>;
  stop(): Promise<void>;
}

const WEBHOOKS_PER_TENANT = 2;
const FAILED_BOARD = '55555'; // no sandbox user owns it: 404 code 40, failed with route ops

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function pinBody(tenant: TenantWorld, n: number, extra: Record<string, unknown> = {}) {
  return {
    account_id: ACCOUNT_IDS[tenant.name][0],
    board_id: tenant.board,
    title: `${tenant.marker} pin ${n}`,
    description: `made by the fuzz world ${tenant.marker}`,
    link: `https://shop.example.com/${tenant.marker}/${n}`,
    media_source: { source_type: 'image_url', url: `https://cdn.example.com/${tenant.marker}/${n}.jpg` },
    metadata: { marker: tenant.marker, n },
    ...extra,
  };
}

async function createJob(tenant: TenantWorld, kind: JobKind, n: number, extra: Record<string, unknown> = {}): Promise<Job> {
  const key = `fz-${tenant.name}-${tenant.marker.slice(-6)}-${n}`; // not the marker: the other tenant may send it too
  const answer = await tenant.api<Job>('POST', '/v1/pins', { body: pinBody(tenant, n, extra), headers: { 'Idempotency-Key': key } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  tenant.idempotencyKeys.push(key);
  tenant.jobs[kind].push(answer.body.id);
  tenant.ids.add(answer.body.id);
  return answer.body;
}

async function addWebhook(tenant: TenantWorld, receiverUrl: string): Promise<void> {
  const n = tenant.secrets.size;
  const answer = await tenant.api<WebhookWithSecret>('POST', '/v1/webhooks', {
    body: { url: `${receiverUrl}/${tenant.marker}/${n}`, events: ['job.failed', 'job.cancelled'], description: `${tenant.marker} ${n}` },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  tenant.webhooks.push(answer.body.id);
  tenant.ids.add(answer.body.id);
  tenant.secrets.add(answer.body.secret);
}

async function revokedApiKey(pipeline: Pipeline): Promise<string> {
  const { apiKey } = await pipeline.createTenant('fuzz revoked');
  const dynamo = new DynamoDBClient({
    endpoint: pipeline.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await dynamo.send(
    new UpdateItemCommand({
      TableName: pipeline.tableNames.tenants,
      Key: { pk: { S: `APIKEY#${hashApiKey(apiKey)}` }, sk: { S: 'APIKEY' } },
      UpdateExpression: 'SET revoked_at = :now',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':now': { S: new Date().toISOString() } },
    }),
  );
  dynamo.destroy();
  return apiKey;
}

export async function buildWorld(): Promise<World> {
  const pipeline = await testPipeline({ worker: false, pacing: { accountPerMinute: 600, appPerSecond: 100 } });
  let receiver: WebhookReceiver | undefined;
  try {
    receiver = await startWebhookReceiver({ log: () => undefined });
    const sandbox = pipeline.sandbox;
    if (!sandbox) throw new Error('the fuzz world needs the built-in Pinterest sandbox');
    const tokens: string[] = [];
    const tenants = {} as Record<TenantName, TenantWorld>;
    for (const [i, name] of TENANTS.entries()) {
      const created = await pipeline.createTenant(`fuzz ${name}`);
      const tenant: TenantWorld = {
        name,
        tenantId: created.tenantId,
        apiKey: created.apiKey,
        api: callerFor(pipeline, created.apiKey),
        marker: `MRK${name}${hex(6)}`,
        accounts: new Set(ACCOUNT_IDS[name]),
        jobs: { queued: [], scheduled: [], failed: [], succeeded: [] },
        madeJobs: [],
        idempotencyKeys: [],
        webhooks: [],
        secrets: new Set(),
        ids: new Set(),
        cursors: [],
        listings: [],
        board: `${770_000 + i}`,
      };
      const user = sandbox.addUser({ username: `fuzz-${name}`, boards: [tenant.board] });
      tokens.push(user.accessToken, user.refreshToken);
      for (const accountId of ACCOUNT_IDS[name]) {
        const put = await tenant.api('PUT', `/v1/accounts/${accountId}`, {
          body: { access_token: user.accessToken, refresh_token: user.refreshToken },
        });
        expect(put.status, JSON.stringify(put.body)).toBe(200);
      }
      tenants[name] = tenant;
    }

    // Jobs that end: the worker runs only for these, then stops, so later jobs stay as they are made.
    const ending: Array<{ tenant: TenantWorld; id: string }> = [];
    for (const tenant of Object.values(tenants)) {
      for (const n of [1, 2]) ending.push({ tenant, id: (await createJob(tenant, 'failed', n, { board_id: FAILED_BOARD })).id });
      ending.push({ tenant, id: (await createJob(tenant, 'succeeded', 3)).id });
    }
    const stopConsumers = await startQueueConsumers(pipeline);
    try {
      for (const { tenant, id } of ending) {
        const job = await waitForJob(tenant.api, id);
        expect(job.status).toBe(tenant.jobs.failed.includes(id) ? 'failed' : 'succeeded');
      }
    } finally {
      await stopConsumers();
    }
    for (const tenant of Object.values(tenants)) {
      for (const n of [4, 5]) await createJob(tenant, 'queued', n);
      await createJob(tenant, 'scheduled', 6, { publish_at: new Date(Date.now() + 86_400_000).toISOString() });
      for (let w = 0; w < WEBHOOKS_PER_TENANT; w++) await addWebhook(tenant, receiver.url);
      const account = ACCOUNT_IDS[tenant.name][0] as string;
      const listings: Array<Array<[string, string]>> = [
        [],
        [['status', 'queued']],
        [['account_id', account]],
        [
          ['status', 'queued'],
          ['account_id', account],
        ],
      ];
      for (const filters of listings) {
        const query = new URLSearchParams([['limit', '1'], ...filters]).toString();
        const page = await tenant.api<JobList>('GET', `/v1/jobs?${query}`);
        expect(page.body.next_cursor, query).toEqual(expect.any(String));
        tenant.cursors.push(page.body.next_cursor as string);
        tenant.listings.push({ filters, cursor: page.body.next_cursor as string });
      }
    }

    const started = receiver;
    return {
      pipeline,
      tenants,
      revokedKey: await revokedApiKey(pipeline),
      unknownKey: `prk_${randomBytes(32).toString('base64url')}`,
      tokens,
      receiverUrl: started.url,
      receiverDeliveries: () => started.deliveries(),
      markersOf: (name) => {
        const t = tenants[name];
        return [t.marker, t.tenantId, t.apiKey, ...t.ids, ...t.secrets, ...t.cursors];
      },
      replenishWebhooks: async (name) => {
        while (tenants[name].webhooks.length < WEBHOOKS_PER_TENANT) await addWebhook(tenants[name], started.url);
      },
      stop: async () => {
        await started.stop();
        await pipeline.stop();
      },
    };
  } catch (error) {
    await receiver?.stop();
    await pipeline.stop();
    throw error;
  }
}
