import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand, DeleteApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runTenantCommand, type TenantCommandValues } from '../../../bin/admin-keys.ts';
import { formatApiKeys, formatRevoke, formatUsageKeys } from '../../../bin/admin-keys-output.ts';
import type { ApiKeysReport, RevokeKeyReport } from '../../../lambdas/use-cases/tenants.ts';

/**
 * The tenant and key commands of the admin CLI (bin/admin-keys.ts) against mocked AWS: create-tenant in AWS
 * always gives the tenant its own usage-plan key (API Gateway key + usage-plan key) and never leaves a half-made
 * one; --local makes none; revoke-key is a dry run unless --apply; an unknown key or tenant is a clear exit 1;
 * what the commands print never holds a key or its hash.
 */

const apigw = mockClient(APIGatewayClient);
const ddb = mockClient(DynamoDBDocumentClient);
const ENV = { AWS_REGION: 'eu-west-1', TENANTS_TABLE_NAME: 'Tenants', USAGE_PLAN_ID: 'plan123' };
const T0 = '2026-03-01T12:00:00.000Z';
const KEY = 'key_0123456789abcdef';
const TENANT = 'ten_0123456789abcdef';

async function cli(command: string, argument: string | undefined, values: TenantCommandValues = {}, env: NodeJS.ProcessEnv = ENV) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTenantCommand(command, argument, values, {
    stdout: (t) => out.push(t),
    stderr: { write: (t: string) => err.push(t) },
    env,
    local: { tenantsTable: 'LocalTenants', dynamodbEndpoint: 'http://127.0.0.1:1' },
  });
  return { code, stdout: out.join('\n'), stderr: err.join('') };
}

beforeEach(() => {
  apigw.reset();
  ddb.reset();
  apigw.on(CreateApiKeyCommand).resolves({ id: 'gwkey1' });
  apigw.on(CreateUsagePlanKeyCommand).resolves({});
  apigw.on(DeleteApiKeyCommand).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
});

describe('create-tenant', () => {
  it('in AWS: creates an API Gateway key with a random value, attaches it to the usage plan, stores it on the tenant', async () => {
    const { code, stdout } = await cli('create-tenant', 'Acme Agency');

    expect(code).toBe(0);
    const created = JSON.parse(stdout) as { tenant_id: string; api_key: string; usage_key_id: string };
    expect(created.usage_key_id).toBe('gwkey1');
    const key = apigw.commandCalls(CreateApiKeyCommand)[0]!.args[0].input;
    expect(key).toMatchObject({
      enabled: true,
      name: `pinrelay-${created.tenant_id}-plan123`,
      tags: { 'pinrelay:tenant': created.tenant_id },
    });
    expect(key.value).toMatch(/^[0-9a-f]{48}$/);
    expect(key.value).not.toContain(created.api_key.slice(4));
    expect(apigw).toHaveReceivedCommandWith(CreateUsagePlanKeyCommand, { usagePlanId: 'plan123', keyId: 'gwkey1', keyType: 'API_KEY' });
    const tenantItem = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!.Item!;
    expect(tenantItem).toMatchObject({ tenant_id: created.tenant_id, usage_key: key.value, usage_key_id: 'gwkey1' });
    expect(stdout).not.toContain(key.value!); // the usage-plan key is nobody's to hold
  });

  it('a usage plan that refuses the key: the key is deleted, no tenant is stored, exit 1', async () => {
    apigw.on(CreateUsagePlanKeyCommand).rejects(Object.assign(new Error('Invalid usage plan'), { name: 'NotFoundException' }));

    const { code, stderr } = await cli('create-tenant', 'Acme');

    expect(code).toBe(1);
    expect(stderr).toContain('NotFoundException: Invalid usage plan');
    expect(apigw).toHaveReceivedCommandWith(DeleteApiKeyCommand, { apiKey: 'gwkey1' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('a tenant that cannot be stored: its usage-plan key is deleted again', async () => {
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException' }));

    expect((await cli('create-tenant', 'Acme')).code).toBe(1);
    expect(apigw).toHaveReceivedCommandWith(DeleteApiKeyCommand, { apiKey: 'gwkey1' });
  });

  it('without a usage plan id: exit 2 naming USAGE_PLAN_ID, nothing created', async () => {
    const { code, stderr } = await cli('create-tenant', 'Acme', {}, { AWS_REGION: 'eu-west-1', TENANTS_TABLE_NAME: 'Tenants' });

    expect(code).toBe(2);
    expect(stderr).toContain('set USAGE_PLAN_ID (the UsagePlanId stack output) or pass --usage-plan');
    expect(apigw.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('--local: no API Gateway, the running npm start’s table', async () => {
    const { code } = await cli('create-tenant', 'Acme', { local: true });

    expect(code).toBe(0);
    expect(apigw.calls()).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put).toMatchObject({ TableName: 'LocalTenants' });
    expect(ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!.Item).not.toHaveProperty('usage_key');
  });
});

describe('list-keys, revoke-key', () => {
  const item = (extra: Record<string, unknown> = {}) => ({ key_id: KEY, tenant_id: TENANT, created_at: T0, ...extra });

  it('list-keys prints ids and dates, never the hash it could read', async () => {
    ddb.on(GetCommand).resolves({ Item: { tenant_id: TENANT, name: 'Acme', created_at: T0 } });
    ddb.on(ScanCommand).resolves({ Items: [item(), item({ key_id: 'key_zzzzzzzzzzzzzzzz', revoked_at: T0 })] });

    const { code, stdout } = await cli('list-keys', TENANT);

    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        `Tenant ${TENANT} (Acme): 2 API keys, 1 active, oldest first`,
        `  ${KEY}  active   created ${T0}`,
        `  key_zzzzzzzzzzzzzzzz  revoked  created ${T0} · revoked ${T0}`,
        "  (last use is not stored; in AWS each request's keyId is in the API access log)",
      ].join('\n'),
    );
  });

  it('list-keys of an unknown tenant: exit 1 naming it', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await cli('list-keys', 'ten_nobody')).toMatchObject({ code: 1, stderr: 'admin: tenant ten_nobody does not exist\n' });
  });

  it('revoke-key without --apply changes nothing', async () => {
    ddb.on(ScanCommand).resolves({ Items: [item()] });

    const { code, stdout } = await cli('revoke-key', KEY);

    expect(code).toBe(0);
    expect(stdout).toContain(`Would revoke ${KEY} of tenant ${TENANT}`);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('revoke-key --apply: one conditional write; the note says how long a cached answer may still let it in', async () => {
    ddb.on(ScanCommand).resolves({ Items: [item({ pk: 'APIKEY#abc' })] });
    ddb.on(UpdateCommand).resolves({ Attributes: item({ revoked_at: T0 }) });

    const { code, stdout } = await cli('revoke-key', KEY, { apply: true });

    expect(code).toBe(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(stdout).toContain('the authorizer refuses it from now on');
    expect(stdout).toContain('authorizerCacheSeconds (60 s by default');
    expect(stdout).toContain(`The tenant has no other active key: it cannot call the API until npm run admin -- create-key ${TENANT}.`);
  });

  it('revoke-key of an unknown key: exit 1 naming it; a malformed id: exit 2 before any request', async () => {
    ddb.on(ScanCommand).resolves({ Items: [] });

    const unknown = await cli('revoke-key', KEY, { apply: true });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`API key ${KEY} does not exist`);
    ddb.reset();
    expect((await cli('revoke-key', 'prk_secret', { apply: true })).code).toBe(2);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('usage-keys', () => {
  it('--apply gives each tenant without a usage-plan key one; --local is refused', async () => {
    ddb.on(ScanCommand).resolves({ Items: [{ tenant_id: 'ten_old' }, { tenant_id: 'ten_new' }] });
    ddb
      .on(GetCommand, { Key: { pk: 'TENANT#ten_old', sk: 'TENANT' } })
      .resolves({ Item: { tenant_id: 'ten_old', name: 'Old', created_at: T0 } });
    ddb
      .on(GetCommand, { Key: { pk: 'TENANT#ten_new', sk: 'TENANT' } })
      .resolves({ Item: { tenant_id: 'ten_new', name: 'New', created_at: T0, usage_key: 'v'.repeat(48), usage_key_id: 'k0' } });
    ddb.on(UpdateCommand).resolves({});

    const { code, stdout } = await cli('usage-keys', undefined, { apply: true });

    expect(code).toBe(0);
    expect(stdout).toBe('Attached a usage-plan key to 1 of 1 tenant without one:\n  ten_old  → gwkey1');
    expect(apigw.commandCalls(CreateApiKeyCommand)).toHaveLength(1);
    expect((await cli('usage-keys', undefined, { local: true })).code).toBe(2);
  });
});

describe('output', () => {
  const key = { key_id: KEY, tenant_id: TENANT, status: 'active', created_at: T0, revoked_at: null } as const;

  it('warns when a tenant has no active key left', () => {
    const report: ApiKeysReport = { tenant_id: TENANT, name: 'Acme', keys: [{ ...key, status: 'revoked', revoked_at: T0 }] };
    expect(formatApiKeys(report)).toContain(
      `No active key: the tenant cannot call the API. npm run admin -- create-key ${TENANT} makes one.`,
    );
  });

  it.each([
    ['would_revoke', 'Dry run: nothing changed; add --apply.'],
    ['already_revoked', 'was already revoked'],
  ] as const)('revoke %s', (outcome, text) => {
    const report: RevokeKeyReport = { dry_run: outcome === 'would_revoke', outcome, key, active_keys_left: 2 };
    expect(formatRevoke(report)).toContain(text);
  });

  it('usage-keys: a dry run lists who lacks a key; none missing says so', () => {
    expect(formatUsageKeys({ dry_run: true, tenants: 3, missing: ['ten_a'], attached: [] })).toBe(
      '1 tenant of 3 without a usage-plan key (API Gateway refuses their requests). Dry run: add --apply.\n  ten_a',
    );
    expect(formatUsageKeys({ dry_run: false, tenants: 3, missing: [], attached: [] })).toBe('Every tenant (3) has a usage-plan key.');
  });
});
