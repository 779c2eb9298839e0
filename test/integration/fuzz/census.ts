import { createHash } from 'node:crypto';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Pipeline } from '../../../local/pipeline.ts';

/**
 * What is stored, by owner: every job, account, webhook subscription, account secret and EventBridge
 * resource of a webhook, counted per tenant, plus a fingerprint of each one (status and version, update
 * time, secret) so that a change to another tenant's data shows even when no count moves. Read straight
 * from DynamoDB Local, the Secrets Manager stand-in and the EventBridge stand-in, never through the API.
 */

export interface TenantCensus {
  jobs: number;
  accounts: number;
  webhooks: number;
  /** Account token secrets (one per account). */
  secrets: number;
  /** Connections, API destinations and rules (three per webhook). */
  webhookResources: number;
  /** One line per stored thing of the tenant, sorted. */
  fingerprint: string[];
}

export interface Census {
  readonly byTenant: ReadonlyMap<string, TenantCensus>;
  /** Items that belong to no tenant (API keys, pacing buckets, resources of no stored webhook), one line each. */
  readonly unowned: readonly string[];
}

const empty = (): TenantCensus => ({ jobs: 0, accounts: 0, webhooks: 0, secrets: 0, webhookResources: 0, fingerprint: [] });
const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);
const s = (value: AttributeValue | undefined) => value?.S ?? value?.N ?? '';

async function scanAll(dynamo: DynamoDBClient, table: string, projection: string, names: Record<string, string> = {}) {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await dynamo.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: projection,
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

export function censusTaker(pipeline: Pipeline) {
  const dynamo = new DynamoDBClient({
    endpoint: pipeline.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const secretPrefix = 'pinrelay/local/accounts/';
  const webhookPrefix = pipeline.webhookNamePrefix;

  async function take(): Promise<Census> {
    const byTenant = new Map<string, TenantCensus>();
    const of = (tenantId: string) => byTenant.get(tenantId) ?? (byTenant.set(tenantId, empty()).get(tenantId) as TenantCensus);
    const unowned: string[] = [];
    const [jobs, control] = await Promise.all([
      scanAll(dynamo, pipeline.tableNames.jobs, 'tenant_id, job_id, #s, version', { '#s': 'status' }),
      scanAll(dynamo, pipeline.tableNames.tenants, 'pk, sk, updated_at, connection_id, #s', { '#s': 'status' }),
    ]);
    for (const item of jobs) {
      const t = of(s(item.tenant_id));
      t.jobs++;
      t.fingerprint.push(`job ${s(item.job_id)} ${s(item.status)} v${s(item.version)}`);
    }
    const webhookOwner = new Map<string, string>();
    for (const item of control) {
      const pk = s(item.pk);
      const sk = s(item.sk);
      if (!pk.startsWith('TENANT#')) {
        unowned.push(`${pk.split('#')[0]} ${sha(pk)}`);
        continue;
      }
      const tenantId = pk.slice('TENANT#'.length);
      const t = of(tenantId);
      if (sk.startsWith('ACCOUNT#')) {
        t.accounts++;
        t.fingerprint.push(`account ${sk.slice(8)} ${s(item.updated_at)} ${s(item.connection_id)}`);
      } else if (sk.startsWith('WEBHOOK#')) {
        t.webhooks++;
        webhookOwner.set(sk.slice(8), tenantId);
        t.fingerprint.push(`webhook ${sk.slice(8)} ${s(item.status)} ${s(item.updated_at)}`);
      } else if (sk !== 'TENANT') unowned.push(`tenant item ${sk}`);
    }
    for (const secret of pipeline.secrets.secrets()) {
      if (!secret.name.startsWith(secretPrefix)) {
        unowned.push(`secret ${secret.name}`);
        continue;
      }
      const [tenantId = '', ...account] = secret.name.slice(secretPrefix.length).split('/');
      const t = of(tenantId);
      t.secrets++;
      t.fingerprint.push(`secret ${account.join('/')} ${secret.versions.length}`);
    }
    const events = pipeline.events;
    const resources = [
      ...events.connections().map((c) => ({ kind: 'connection', name: c.name, state: `${sha(c.apiKey?.value ?? '')} ${c.state}` })),
      ...events.apiDestinations().map((d) => ({ kind: 'api-destination', name: d.name, state: sha(d.invocationEndpoint) })),
      ...events.rules().map((r) => ({ kind: 'rule', name: r.name, state: `${sha(r.eventPattern ?? '')} ${r.targets.length}` })),
    ];
    for (const r of resources) {
      const owner = r.name.startsWith(webhookPrefix) ? webhookOwner.get(r.name.slice(webhookPrefix.length)) : undefined;
      if (owner === undefined) {
        unowned.push(`${r.kind} ${r.name}`);
        continue;
      }
      const t = of(owner);
      t.webhookResources++;
      t.fingerprint.push(`${r.kind} ${r.name.slice(webhookPrefix.length)} ${r.state}`);
    }
    for (const t of byTenant.values()) t.fingerprint.sort();
    return { byTenant, unowned: unowned.sort() };
  }

  return { take, close: () => dynamo.destroy() };
}

/** How the stored things of the caller may have changed by one request: each count by one of these. */
export interface ExpectedChange {
  readonly jobs: readonly number[];
  readonly accounts: readonly number[];
  readonly webhooks: readonly number[];
}

export const NO_CHANGE: ExpectedChange = { jobs: [0], accounts: [0], webhooks: [0] };

/** The tenant that stores `id` (a job, webhook or account id), by the census. */
export function ownerOf(census: Census, id: string): string | undefined {
  for (const [tenantId, t] of census.byTenant) if (t.fingerprint.some((line) => line.split(' ')[1] === id)) return tenantId;
  return undefined;
}

/** The ids of one kind of thing a tenant stores (`account`, `webhook`, `job`), by the census. */
export function idsIn(census: Census, tenantId: string, kind: string): string[] {
  return (census.byTenant.get(tenantId)?.fingerprint ?? [])
    .filter((line) => line.startsWith(`${kind} `))
    .map((line) => line.split(' ')[1] as string);
}

/**
 * Differences between two censuses that `change` does not explain, as readable lines (empty: none).
 * Tenants in `acting` may change by `change` (summed over them when several keys were sent: the caller
 * holds all of them); every other tenant, and everything unowned, must be exactly as it was.
 */
export function unexplained(before: Census, after: Census, acting: readonly string[], change: ExpectedChange): string[] {
  const problems: string[] = [];
  const tenants = new Set([...before.byTenant.keys(), ...after.byTenant.keys()]);
  const total = { jobs: 0, accounts: 0, webhooks: 0, secrets: 0, webhookResources: 0 };
  for (const tenantId of tenants) {
    const b = before.byTenant.get(tenantId) ?? empty();
    const a = after.byTenant.get(tenantId) ?? empty();
    if (acting.includes(tenantId)) {
      for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += a[key] - b[key];
      continue;
    }
    const gone = b.fingerprint.filter((line) => !a.fingerprint.includes(line));
    const added = a.fingerprint.filter((line) => !b.fingerprint.includes(line));
    if (gone.length + added.length > 0)
      problems.push(`another tenant's data changed (${tenantId}): gone ${JSON.stringify(gone)}, new ${JSON.stringify(added)}`);
  }
  const explained =
    change.jobs.includes(total.jobs) &&
    change.accounts.includes(total.accounts) &&
    change.webhooks.includes(total.webhooks) &&
    total.secrets === total.accounts &&
    total.webhookResources === 3 * total.webhooks;
  if (!explained)
    problems.push(`the caller's stored items changed by ${JSON.stringify(total)}; the answer explains ${JSON.stringify(change)}`);
  if (JSON.stringify(before.unowned) !== JSON.stringify(after.unowned))
    problems.push(`items of no tenant changed: ${JSON.stringify(before.unowned)} → ${JSON.stringify(after.unowned)}`);
  return problems;
}
