import { beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../../lambdas/domain/ids.ts';
import type { ApiKeyAdmin, ApiKeySummary, UsageKey, UsagePlanKeys } from '../../../lambdas/use-cases/ports.ts';
import {
  ApiKeyNotFound,
  attachMissingUsageKeys,
  authenticate,
  createTenant,
  listApiKeys,
  revokeApiKey,
  TenantNotFound,
} from '../../../lambdas/use-cases/tenants.ts';
import { T0 } from '../builders.ts';
import { fakeDeps, type InMemoryTenantStore } from '../fakes.ts';

/**
 * Tenants and their keys (lambdas/use-cases/tenants.ts): a key acts as its tenant and nothing else; a revoked
 * key acts as no one; a tenant created in AWS always has its own usage-plan key (per-tenant throttling), and a
 * failed create leaves no orphan key in API Gateway; revoking is a dry run unless applied.
 */

let deps: ReturnType<typeof fakeDeps>;

beforeEach(() => {
  deps = fakeDeps(T0);
});

/** The usage plan in API Gateway: keys by id; `failNext` makes the next attach fail. */
class FakeUsagePlan implements UsagePlanKeys {
  readonly keys = new Map<string, { tenantId: string; value: string }>();
  private next = 0;

  async attach(tenantId: string, value: string): Promise<UsageKey> {
    const id = `apikey${++this.next}`;
    this.keys.set(id, { tenantId, value });
    return { id, value };
  }

  async remove(usageKey: UsageKey): Promise<void> {
    this.keys.delete(usageKey.id);
  }
}

/** ApiKeyAdmin over the fake store's keys, with the table's revocation semantics (the authorizer's lookup refuses revoked keys). */
class FakeKeyAdmin implements ApiKeyAdmin {
  readonly revoked = new Map<string, string>();
  /** Revoked keys leave the store's lookup (as the authorizer's lookup refuses them) but stay listed. */
  private readonly revokedKeys: { keyId: string; tenantId: string; createdAt: string }[] = [];

  constructor(private readonly tenants: InMemoryTenantStore) {}

  private all(): ApiKeySummary[] {
    return [...this.tenants.apiKeys.values(), ...this.revokedKeys].map((k) => ({
      keyId: k.keyId,
      tenantId: k.tenantId,
      createdAt: k.createdAt,
      revokedAt: this.revoked.get(k.keyId) ?? null,
    }));
  }

  async listApiKeys(tenantId: string) {
    return this.all().filter((k) => k.tenantId === tenantId);
  }

  async findApiKey(keyId: string) {
    return this.all().find((k) => k.keyId === keyId) ?? null;
  }

  async revokeApiKey(keyId: string, at: string) {
    const key = await this.findApiKey(keyId);
    if (!key) return null;
    if (key.revokedAt) return { key, changed: false };
    this.revoked.set(keyId, at);
    for (const [hash, stored] of this.tenants.apiKeys) {
      if (stored.keyId !== keyId) continue;
      this.tenants.apiKeys.delete(hash);
      this.revokedKeys.push(stored);
    }
    return { key: { ...key, revokedAt: at }, changed: true };
  }

  async setUsageKey(tenantId: string, usageKey: UsageKey) {
    const tenant = this.tenants.tenants.get(tenantId);
    if (!tenant || tenant.usageKey) return false;
    this.tenants.tenants.set(tenantId, { ...tenant, usageKey });
    return true;
  }
}

describe('createTenant', () => {
  it('returns a fresh key once and stores only its hash', async () => {
    const created = await createTenant(deps, '  Acme Studio ');

    expect(created).toMatchObject({
      name: 'Acme Studio',
      tenant_id: expect.stringMatching(/^ten_/),
      key_id: expect.stringMatching(/^key_/),
      usage_key_id: null,
    });
    expect(created.api_key).toMatch(/^prk_/);
    expect(deps.tenants.tenants.get(created.tenant_id)).toEqual({ tenantId: created.tenant_id, name: 'Acme Studio', createdAt: T0 });
    expect([...deps.tenants.apiKeys.keys()]).toEqual([hashApiKey(created.api_key)]);
    expect(JSON.stringify([...deps.tenants.apiKeys.values()])).not.toContain(created.api_key);
  });

  it('gives each tenant a different key', async () => {
    const a = await createTenant(deps, 'A');
    const b = await createTenant(deps, 'B');

    expect(a.api_key).not.toBe(b.api_key);
    expect(a.tenant_id).not.toBe(b.tenant_id);
  });

  it('with a usage plan: attaches a usage-plan key of its own (a random secret, not the bearer key) and stores it on the tenant', async () => {
    const plan = new FakeUsagePlan();

    const a = await createTenant({ ...deps, usagePlan: plan }, 'A');
    const b = await createTenant({ ...deps, usagePlan: plan }, 'B');

    const stored = deps.tenants.tenants.get(a.tenant_id)!.usageKey!;
    expect(a.usage_key_id).toBe(stored.id);
    expect(plan.keys.get(stored.id)).toEqual({ tenantId: a.tenant_id, value: stored.value });
    expect(stored.value).toMatch(/^[0-9a-f]{48}$/);
    expect(stored.value).not.toContain(a.api_key.slice(4));
    expect(deps.tenants.tenants.get(b.tenant_id)!.usageKey!.value).not.toBe(stored.value);
    await expect(authenticate(deps, `Bearer ${a.api_key}`)).resolves.toEqual({
      tenantId: a.tenant_id,
      keyId: a.key_id,
      usageKey: stored.value,
    });
  });

  it('a tenant that cannot be stored leaves no usage-plan key behind', async () => {
    const plan = new FakeUsagePlan();
    await createTenant({ ...deps, usagePlan: plan }, 'Taken', { tenantId: 'ten_taken', apiKey: 'prk_one' });
    deps.tenants.tenants.delete('ten_taken'); // the key hash stays: the next create's transaction fails on it

    await expect(createTenant({ ...deps, usagePlan: plan }, 'Again', { tenantId: 'ten_taken', apiKey: 'prk_one' })).rejects.toThrow();

    expect([...plan.keys.values()].map((k) => k.tenantId)).toEqual(['ten_taken']); // the first one only
  });

  it('adds the given key to an existing tenant instead of recreating it', async () => {
    const first = await createTenant(deps, 'Local', { tenantId: 'ten_local', apiKey: 'prk_first' });

    const second = await createTenant(deps, 'Local', { tenantId: 'ten_local', apiKey: 'prk_second' });

    expect(second.tenant_id).toBe(first.tenant_id);
    expect(deps.log).toContain('tenants.addApiKey ten_local');
    await expect(authenticate(deps, 'Bearer prk_first')).resolves.toMatchObject({ tenantId: 'ten_local', usageKey: null });
    await expect(authenticate(deps, 'Bearer prk_second')).resolves.toMatchObject({ tenantId: 'ten_local', keyId: second.key_id });
  });

  it.each([[''], ['   '], ['x'.repeat(101)], ['<script>'], ['a/b']])('rejects the name %j and stores nothing', async (name) => {
    const plan = new FakeUsagePlan();
    await expect(createTenant({ ...deps, usagePlan: plan }, name)).rejects.toThrow(/tenant name/);
    expect(deps.tenants.tenants.size).toBe(0);
    expect(plan.keys.size).toBe(0);
  });
});

describe('authenticate', () => {
  let apiKey: string;
  let tenantId: string;

  beforeEach(async () => {
    ({ api_key: apiKey, tenant_id: tenantId } = await createTenant(deps, 'Acme'));
  });

  it.each([(k: string) => `Bearer ${k}`, (k: string) => `bearer ${k}`, (k: string) => `BEARER   ${k}  `])(
    'resolves the tenant for a valid header (%#)',
    async (header) => {
      await expect(authenticate(deps, header(apiKey))).resolves.toMatchObject({ tenantId });
    },
  );

  it.each([
    [undefined],
    [''],
    ['Bearer'],
    ['Bearer '],
    ['Basic dXNlcjpwYXNz'],
    ['prk_missing_scheme'],
    ['Bearer prk_unknown_key'],
    ['Bearer a b'],
    [`Bearer ${'x'.repeat(513)}`],
  ])('answers null for %j', async (header) => {
    await expect(authenticate(deps, header)).resolves.toBeNull();
  });

  it('does not accept the stored hash as a key', async () => {
    await expect(authenticate(deps, `Bearer ${hashApiKey(apiKey)}`)).resolves.toBeNull();
  });

  it('a key whose tenant is gone acts as no one', async () => {
    deps.tenants.tenants.delete(tenantId);
    await expect(authenticate(deps, `Bearer ${apiKey}`)).resolves.toBeNull();
  });
});

describe('list-keys and revoke-key', () => {
  let keys: FakeKeyAdmin;
  let tenant: Awaited<ReturnType<typeof createTenant>>;

  beforeEach(async () => {
    keys = new FakeKeyAdmin(deps.tenants);
    tenant = await createTenant(deps, 'Acme');
    await createTenant(deps, 'Acme', { tenantId: tenant.tenant_id, apiKey: 'prk_second_key' });
    await createTenant(deps, 'Other');
  });

  it("lists the tenant's keys with ids and dates only", async () => {
    const report = await listApiKeys({ tenants: deps.tenants, keys }, tenant.tenant_id);

    expect(report).toMatchObject({ tenant_id: tenant.tenant_id, name: 'Acme' });
    expect(report.keys.map((k) => [k.key_id, k.status])).toEqual([
      [tenant.key_id, 'active'],
      [expect.stringMatching(/^key_/), 'active'],
    ]);
    const text = JSON.stringify(report);
    expect(text).not.toContain(tenant.api_key);
    expect(text).not.toContain(hashApiKey(tenant.api_key));
  });

  it('an unknown tenant is TenantNotFound', async () => {
    await expect(listApiKeys({ tenants: deps.tenants, keys }, 'ten_nobody')).rejects.toBeInstanceOf(TenantNotFound);
  });

  it('is a dry run unless applied: the key keeps working', async () => {
    const report = await revokeApiKey({ keys, clock: deps.clock }, tenant.key_id, { apply: false });

    expect(report).toMatchObject({ dry_run: true, outcome: 'would_revoke', active_keys_left: 1, key: { status: 'active' } });
    await expect(authenticate(deps, `Bearer ${tenant.api_key}`)).resolves.not.toBeNull();
  });

  it('applied: the key acts as no one from then on; the other key still works; a second revoke changes nothing', async () => {
    const report = await revokeApiKey({ keys, clock: deps.clock }, tenant.key_id, { apply: true });

    expect(report).toMatchObject({ dry_run: false, outcome: 'revoked', active_keys_left: 1, key: { status: 'revoked', revoked_at: T0 } });
    await expect(authenticate(deps, `Bearer ${tenant.api_key}`)).resolves.toBeNull();
    await expect(authenticate(deps, 'Bearer prk_second_key')).resolves.toMatchObject({ tenantId: tenant.tenant_id });
    const again = await revokeApiKey({ keys, clock: deps.clock }, tenant.key_id, { apply: true });
    expect(again).toMatchObject({ outcome: 'already_revoked', key: { revoked_at: T0 } });
  });

  it('revoking an unknown key is ApiKeyNotFound, and nothing changes', async () => {
    await expect(revokeApiKey({ keys, clock: deps.clock }, 'key_0000000000000000', { apply: true })).rejects.toBeInstanceOf(ApiKeyNotFound);
    expect(keys.revoked.size).toBe(0);
  });
});

describe('usage-keys (tenants created before per-tenant throttling)', () => {
  it('lists the tenants without a usage-plan key, and with apply gives each one of its own', async () => {
    const plan = new FakeUsagePlan();
    const keys = new FakeKeyAdmin(deps.tenants);
    const old = await createTenant(deps, 'Old');
    const current = await createTenant({ ...deps, usagePlan: plan }, 'Current');
    const directory = { listTenantIds: async () => [...deps.tenants.tenants.keys()].sort() };

    const dry = await attachMissingUsageKeys({ directory, tenants: deps.tenants, keys, usagePlan: plan }, { apply: false });
    expect(dry).toEqual({ dry_run: true, tenants: 2, missing: [old.tenant_id], attached: [] });
    expect(plan.keys.size).toBe(1);

    const applied = await attachMissingUsageKeys({ directory, tenants: deps.tenants, keys, usagePlan: plan }, { apply: true });
    const given = deps.tenants.tenants.get(old.tenant_id)!.usageKey!;
    expect(applied).toEqual({
      dry_run: false,
      tenants: 2,
      missing: [old.tenant_id],
      attached: [{ tenant_id: old.tenant_id, usage_key_id: given.id }],
    });
    expect(plan.keys.get(given.id)).toEqual({ tenantId: old.tenant_id, value: given.value });
    expect(deps.tenants.tenants.get(current.tenant_id)!.usageKey!.id).toBe(current.usage_key_id);
  });

  it('a tenant that got a key meanwhile keeps it; the spare one is deleted', async () => {
    const plan = new FakeUsagePlan();
    const keys = new FakeKeyAdmin(deps.tenants);
    const old = await createTenant(deps, 'Old');
    const racing = { ...keys, setUsageKey: async () => false } as unknown as ApiKeyAdmin;

    const report = await attachMissingUsageKeys(
      { directory: { listTenantIds: async () => [old.tenant_id] }, tenants: deps.tenants, keys: racing, usagePlan: plan },
      { apply: true },
    );

    expect(report.attached).toEqual([]);
    expect(plan.keys.size).toBe(0);
  });
});
