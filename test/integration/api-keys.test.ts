/**
 * API keys end to end in local mode: `npm run admin -- list-keys` and `revoke-key` through the real CLI (a child
 * process, `--local`, the state file `npm start` would write), and the authorizer cache of the local API Gateway
 * (local/http-api.ts) with a short TTL. The invariants: an operator's listing never shows a key or its hash;
 * revoking is a dry run unless --apply; a revoked key is refused by the authorizer at once, and where API Gateway
 * cached an earlier answer for it, it keeps working only until that answer expires (authorizerCacheSeconds);
 * the tenant's other keys keep working; revoking an unknown key is a clear error that changes nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTenantStore } from '../../lambdas/adapters/dynamo-tenant-store.ts';
import { systemClock } from '../../lambdas/domain/clock.ts';
import { hashApiKey, newApiKey, newKeyId } from '../../lambdas/domain/ids.ts';
import { revokeApiKey, type ApiKeysReport, type RevokeKeyReport } from '../../lambdas/use-cases/tenants.ts';
import { lambdaContext } from '../../local/http-api.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { localStateOf } from '../../local/state-file.ts';
import { callerFor, testPipeline, waitFor, type ErrorBody } from './harness.ts';

/** The authorizer cache's TTL in this file: short, so "refused after it" is seconds away. */
const TTL_SECONDS = 2;

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'pinrelay-keys-'));
const stateFile = join(scratch, 'local.json');

let pipeline: Pipeline;
let tenant: { tenantId: string; apiKey: string };
let store: DynamoTenantStore;
let dynamo: DynamoDBClient;
const transcript: string[] = [];

async function admin(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const out = await run(process.execPath, ['--import', 'tsx', 'bin/admin.ts', ...args, '--local'], {
      cwd: ROOT,
      env: { ...process.env, PINRELAY_STATE_FILE: stateFile },
    });
    transcript.push(`$ npm run admin -- ${args.join(' ')} --local\n${out.stderr}${out.stdout}`);
    return { ...out, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    transcript.push(`$ npm run admin -- ${args.join(' ')} --local   (exit ${e.code})\n${e.stderr}${e.stdout}`);
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

async function adminJson<T>(...args: string[]): Promise<T> {
  const out = await admin(...args, '--json');
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as T;
}

/** A new key for the tenant, through the CLI (`create-key`) or, quicker, the same store call in-process. */
async function newKey(via: 'cli' | 'store' = 'store'): Promise<{ keyId: string; apiKey: string }> {
  if (via === 'cli') {
    const created = await adminJson<{ key_id: string; api_key: string }>('create-key', tenant.tenantId);
    return { keyId: created.key_id, apiKey: created.api_key };
  }
  const key = { keyId: newKeyId(), apiKey: newApiKey() };
  await store.addApiKey({
    keyId: key.keyId,
    tenantId: tenant.tenantId,
    keyHash: hashApiKey(key.apiKey),
    createdAt: new Date().toISOString(),
  });
  return key;
}

const status = async (apiKey: string) => (await callerFor(pipeline, apiKey)('GET', '/v1/jobs')).status;

beforeAll(async () => {
  pipeline = await testPipeline({ worker: false, api: { authorizerCacheSeconds: TTL_SECONDS, tenantLimits: false } });
  writeFileSync(stateFile, JSON.stringify(localStateOf(pipeline, process.env.EVENT_BUS_NAME ?? '')));
  tenant = await pipeline.createTenant('keys');
  dynamo = new DynamoDBClient({
    endpoint: pipeline.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  store = new DynamoTenantStore(DynamoDBDocumentClient.from(dynamo), pipeline.tableNames.tenants);
});

afterAll(async () => {
  if (transcript.length > 0) console.log(`[api-keys] CLI transcript:\n${transcript.join('\n')}`);
  dynamo?.destroy();
  await pipeline?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('list-keys', () => {
  it('shows key ids, status and dates, oldest first, never a key or its hash', async () => {
    const second = await newKey('cli');

    const report = await adminJson<ApiKeysReport>('list-keys', tenant.tenantId);
    const text = await admin('list-keys', tenant.tenantId);

    expect(report.tenant_id).toBe(tenant.tenantId);
    expect(report.keys.map((k) => k.status)).toEqual(['active', 'active']);
    expect(report.keys[1]!.key_id).toBe(second.keyId);
    expect(report.keys.every((k) => /^\d{4}-\d\d-\d\dT/.test(k.created_at) && k.revoked_at === null)).toBe(true);
    expect(text.stdout).toContain(`Tenant ${tenant.tenantId} (keys): 2 API keys, 2 active`);
    for (const key of report.keys) expect(text.stdout).toContain(key.key_id);
    for (const secret of [tenant.apiKey, second.apiKey, hashApiKey(tenant.apiKey), hashApiKey(second.apiKey)]) {
      expect(text.stdout + JSON.stringify(report)).not.toContain(secret);
    }
  });

  it('an unknown tenant is exit 1 naming it', async () => {
    const out = await admin('list-keys', 'ten_nobodyhere0000');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('tenant ten_nobodyhere0000 does not exist');
  });
});

describe('revoke-key', () => {
  it('is a dry run without --apply: the key keeps working', async () => {
    const key = await newKey();

    const report = await adminJson<RevokeKeyReport>('revoke-key', key.keyId);

    expect(report).toMatchObject({ dry_run: true, outcome: 'would_revoke', key: { key_id: key.keyId, status: 'active' } });
    expect(await status(key.apiKey)).toBe(200);
  });

  it('--apply: a key with no cached answer is refused at once (401 envelope); the other keys keep working', async () => {
    const key = await newKey();

    const out = await admin('revoke-key', key.keyId, '--apply');

    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`Revoked ${key.keyId} of tenant ${tenant.tenantId}`);
    const refused = await callerFor(pipeline, key.apiKey)<ErrorBody>('GET', '/v1/jobs');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect(await status(tenant.apiKey)).toBe(200);
    expect((await store.findApiKey(key.keyId))?.revokedAt).toEqual(expect.any(String));
    const again = await admin('revoke-key', key.keyId, '--apply');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was already revoked');
  });

  it('an unknown key is exit 1 naming it, and changes nothing; a malformed id is a usage error', async () => {
    const before = await store.listApiKeys(tenant.tenantId);

    const unknown = await admin('revoke-key', 'key_0000000000000000', '--apply');
    const malformed = await admin('revoke-key', 'prk_not_a_key_id', '--apply');

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('API key key_0000000000000000 does not exist');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('not a key id');
    expect(await store.listApiKeys(tenant.tenantId)).toEqual(before);
  });
});

describe('the authorizer', () => {
  it("answers with the tenant's usage-plan key (API Gateway throttles the tenant by it) and the key's id", async () => {
    const other = await pipeline.createTenant('usage-key');
    const usageKey = { value: 'c'.repeat(48), id: 'gwkey42' };
    expect(await store.setUsageKey(other.tenantId, usageKey)).toBe(true);
    const { handler } = (await import('../../lambdas/authorize-request/handler.ts')) as {
      handler: (event: unknown, context: unknown) => Promise<{ usageIdentifierKey?: string; context: Record<string, string> }>;
    };
    const event = (authorization: string) => ({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:000000000000:api/stage/GET/v1/jobs',
      headers: { Authorization: authorization },
    });

    const withKey = await handler(event(`Bearer ${other.apiKey}`), lambdaContext('authorize-request'));
    const without = await handler(event(`Bearer ${tenant.apiKey}`), lambdaContext('authorize-request'));

    expect(withKey.usageIdentifierKey).toBe(usageKey.value);
    expect(withKey.context).toEqual({ tenant_id: other.tenantId, key_id: expect.stringMatching(/^key_/) });
    expect(without).not.toHaveProperty('usageIdentifierKey'); // local tenants have none: the local API throttles by tenant id
  });
});

describe(`the authorizer cache (TTL ${TTL_SECONDS} s)`, () => {
  // The revocation here runs the CLI's use case in-process (revokeApiKey over the same table): a child process
  // takes seconds to start, more than this TTL.
  it('a key revoked while its answer is cached keeps working inside the TTL only, then is refused', async () => {
    const key = await newKey();
    const cachedFrom = Date.now();
    expect(await status(key.apiKey)).toBe(200); // the authorizer's Allow is cached from here on
    const cachedBy = Date.now();

    await revokeApiKey({ keys: store, clock: systemClock }, key.keyId, { apply: true });
    const sentAt = Date.now();
    const insideTtl = await status(key.apiKey);
    expect(sentAt - cachedFrom, 'the request after the revocation must be sent inside the TTL').toBeLessThan(TTL_SECONDS * 1000);
    expect(insideTtl).toBe(200);

    let refusedAt = 0;
    await waitFor(
      async () => {
        const at = Date.now();
        const answer = await status(key.apiKey);
        if (answer === 401 && refusedAt === 0) refusedAt = at;
        return answer;
      },
      {
        until: (answer) => answer === 401,
        what: 'the revoked key to be refused once its cached answer expired',
        timeoutMs: 10_000,
        everyMs: 100,
      },
    );
    // Never refused before the cached answer expired, and refused as soon as it had (a poll's slack).
    expect(refusedAt - cachedFrom).toBeGreaterThanOrEqual(TTL_SECONDS * 1000);
    expect(refusedAt - cachedBy).toBeLessThan(TTL_SECONDS * 1000 + 1000);
    console.log(
      `[api-keys] revoked key: allowed ${sentAt - cachedFrom} ms after caching (inside the TTL), refused from ${refusedAt - cachedFrom} ms`,
    );
    expect(await status(tenant.apiKey)).toBe(200);
  });
});
