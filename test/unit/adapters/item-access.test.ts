import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoPacer } from '../../../lambdas/adapters/dynamo-pacer.ts';
import { DynamoTenantStore } from '../../../lambdas/adapters/dynamo-tenant-store.ts';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import type { Access } from '../../../definitions/access.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../../definitions/functions.ts';
import { TENANT_ITEM_GRANTS, matchesLeadingKey, type ItemAction, type ItemScopedAccess } from '../../../definitions/item-access.ts';
import { ACCOUNT, T0, TENANT } from '../builders.ts';

/**
 * The worker's IAM on the tenants table is item-scoped (definitions/item-access.ts), and local mode
 * does not enforce IAM: a new key shape or attribute would only fail in AWS. So this runs the adapter
 * calls the worker makes (PublishDeps: tenants.getAccount / markReauthorizationRequired, the pacer) and
 * checks every request against the grants of the worker's access list, as IAM would.
 */

const worker = (FUNCTIONS as readonly FunctionDefinition[]).find((d) => d.name === 'publish-pin')!;
const ITEM_SCOPED = Object.keys(TENANT_ITEM_GRANTS) as ItemScopedAccess[];
const workerGrants = worker.access
  .filter((a): a is ItemScopedAccess => ITEM_SCOPED.includes(a as ItemScopedAccess))
  .flatMap((a) => TENANT_ITEM_GRANTS[a]);

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const ddb = mockClient(client);
afterAll(() => ddb.restore());

interface SentRequest {
  readonly action: ItemAction;
  readonly pk: string;
  /** Top-level attribute names the request names: key, item, expressions. */
  readonly attributes: string[];
}

const KEYWORDS = new Set([
  'SET',
  'REMOVE',
  'ADD',
  'DELETE',
  'AND',
  'OR',
  'NOT',
  'BETWEEN',
  'IN',
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
  'size',
  'if_not_exists',
  'list_append',
]);

function expressionAttributes(input: { [key: string]: unknown }): string[] {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const text = ['UpdateExpression', 'ConditionExpression', 'ProjectionExpression'].map((k) => String(input[k] ?? '')).join(' ');
  return [...text.matchAll(/[#:]?[A-Za-z_][A-Za-z0-9_]*/g)]
    .map(([token]) => token)
    .filter((token) => !token.startsWith(':') && !KEYWORDS.has(token))
    .map((token) => (token.startsWith('#') ? names[token]! : token));
}

function sent(): SentRequest[] {
  const requests: SentRequest[] = [];
  for (const call of ddb.commandCalls(GetCommand)) {
    const input = call.args[0].input;
    requests.push({
      action: 'GetItem',
      pk: String(input.Key!.pk),
      attributes: [...Object.keys(input.Key!), ...expressionAttributes(input)],
    });
  }
  for (const call of ddb.commandCalls(PutCommand)) {
    const input = call.args[0].input;
    requests.push({
      action: 'PutItem',
      pk: String(input.Item!.pk),
      attributes: [...Object.keys(input.Item!), ...expressionAttributes(input)],
    });
  }
  for (const call of ddb.commandCalls(UpdateCommand)) {
    const input = call.args[0].input;
    requests.push({
      action: 'UpdateItem',
      pk: String(input.Key!.pk),
      attributes: [...Object.keys(input.Key!), ...expressionAttributes(input)],
    });
  }
  return requests;
}

const allowedByWorkerGrants = (request: SentRequest) =>
  workerGrants.some(
    (grant) =>
      grant.actions.includes(request.action) &&
      grant.leadingKeys.some((pattern) => matchesLeadingKey(pattern, request.pk)) &&
      (!grant.attributes || request.attributes.every((name) => grant.attributes!.includes(name))),
  );

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
});

describe('the worker’s tenants-table requests fit its item-scoped grants', () => {
  it('publish-pin uses the item-scoped kinds, not tenants:read or tenants:write', () => {
    expect(worker.access).toEqual(expect.arrayContaining<Access>(['tenants:account-status', 'tenants:pacing']));
    expect(worker.access).not.toContain('tenants:read');
    expect(worker.access).not.toContain('tenants:write');
  });

  it('account reads and the reauthorization mark (with and without a connection id)', async () => {
    const store = new DynamoTenantStore(client, 'tenants-table');
    await store.getAccount(TENANT, ACCOUNT);
    await store.markReauthorizationRequired(TENANT, ACCOUNT, T0, 'conn_1');
    await store.markReauthorizationRequired(TENANT, ACCOUNT, T0, null);

    const requests = sent();
    expect(requests.map((r) => r.action)).toEqual(['GetItem', 'UpdateItem', 'UpdateItem']);
    for (const request of requests) expect(allowedByWorkerGrants(request), JSON.stringify(request)).toBe(true);
  });

  it('token buckets: acquire (new and existing buckets), penalize, view', async () => {
    const pacer = new DynamoPacer(client, 'tenants-table', fixedClock(T0), 10);
    await pacer.acquire(TENANT, ACCOUNT, 60);
    ddb.on(GetCommand).resolves({
      Item: { pk: 'PACING#x', sk: 'BUCKET', tokens: 0, updated_at_ms: Date.parse(T0) - 10, next_slot_ms: Date.parse(T0) + 5000 },
    });
    await pacer.acquire(TENANT, ACCOUNT, 60, Date.parse(T0) + 5000);
    await pacer.penalize(TENANT, ACCOUNT, 60);
    await pacer.view(TENANT, ACCOUNT, 60);

    const requests = sent();
    expect(new Set(requests.map((r) => r.action))).toEqual(new Set(['GetItem', 'PutItem']));
    expect(new Set(requests.map((r) => r.pk))).toEqual(new Set([`PACING#${TENANT}#${ACCOUNT}`, 'PACING#app']));
    for (const request of requests) expect(allowedByWorkerGrants(request), JSON.stringify(request)).toBe(true);
  });

  it('and the grants are tight: API key items and tenant puts are outside them', () => {
    expect(allowedByWorkerGrants({ action: 'GetItem', pk: `APIKEY#${'a'.repeat(64)}`, attributes: ['pk', 'sk'] })).toBe(false);
    expect(allowedByWorkerGrants({ action: 'PutItem', pk: `TENANT#${TENANT}`, attributes: ['pk', 'sk'] })).toBe(false);
    expect(allowedByWorkerGrants({ action: 'UpdateItem', pk: `TENANT#${TENANT}`, attributes: ['pk', 'sk', 'secret_ref'] })).toBe(false);
  });
});
