import { beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../../lambdas/domain/ids.ts';
import { authenticate, createTenant } from '../../../lambdas/use-cases/tenants.ts';
import { T0 } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

let deps: ReturnType<typeof fakeDeps>;

beforeEach(() => {
  deps = fakeDeps(T0);
});

describe('createTenant', () => {
  it('returns a fresh key once and stores only its hash', async () => {
    // Act
    const created = await createTenant(deps, '  Acme Studio ');

    // Assess
    expect(created).toMatchObject({
      name: 'Acme Studio',
      tenant_id: expect.stringMatching(/^ten_/),
      key_id: expect.stringMatching(/^key_/),
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

  it('adds the given key to an existing tenant instead of recreating it', async () => {
    const first = await createTenant(deps, 'Local', { tenantId: 'ten_local', apiKey: 'prk_first' });

    const second = await createTenant(deps, 'Local', { tenantId: 'ten_local', apiKey: 'prk_second' });

    expect(second.tenant_id).toBe(first.tenant_id);
    expect(deps.log).toContain('tenants.addApiKey ten_local');
    await expect(authenticate(deps, 'Bearer prk_first')).resolves.toBe('ten_local');
    await expect(authenticate(deps, 'Bearer prk_second')).resolves.toBe('ten_local');
  });

  it.each([[''], ['   '], ['x'.repeat(101)], ['<script>'], ['a/b']])('rejects the name %j and stores nothing', async (name) => {
    await expect(createTenant(deps, name)).rejects.toThrow(/tenant name/);
    expect(deps.tenants.tenants.size).toBe(0);
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
      await expect(authenticate(deps, header(apiKey))).resolves.toBe(tenantId);
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
});
