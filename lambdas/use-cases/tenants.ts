import { randomBytes } from 'node:crypto';
import { NotFound } from '../domain/errors.ts';
import { hashApiKey, newApiKey, newKeyId, newTenantId } from '../domain/ids.ts';
import type { ApiKeyAdmin, ApiKeySummary, Deps, TenantDirectory, TenantStore, UsageKey, UsagePlanKeys } from './ports.ts';

export interface CreatedTenant {
  readonly tenant_id: string;
  readonly name: string;
  readonly key_id: string;
  /** Shown once; only its hash is stored. */
  readonly api_key: string;
  /** API Gateway's id of the tenant's usage-plan key; null without a usage plan (local mode). */
  readonly usage_key_id: string | null;
}

/** A usage-plan key's value: API Gateway wants 20–128 characters; 48 hex digits are 192 random bits. */
function newUsageKeyValue(): string {
  return randomBytes(24).toString('hex');
}

/**
 * A new tenant with its first API key. With a usage plan (AWS), the tenant's usage-plan key is created and
 * attached first, so a stored tenant is always throttled as itself; if the tenant cannot be stored, that key is
 * deleted again.
 */
export async function createTenant(
  deps: Pick<Deps, 'tenants' | 'clock'> & { readonly usagePlan?: UsagePlanKeys },
  name: string,
  options: { tenantId?: string; apiKey?: string } = {},
): Promise<CreatedTenant> {
  const trimmed = name.trim();
  if (!/^[\p{L}\p{N} ._-]{1,100}$/u.test(trimmed)) {
    throw new Error('tenant name: 1–100 letters, digits, spaces, ".", "_" or "-"');
  }
  const createdAt = deps.clock.now().toISOString();
  const tenantId = options.tenantId ?? newTenantId();
  const keyId = newKeyId();
  const apiKey = options.apiKey ?? newApiKey();
  const key = { keyId, tenantId, keyHash: hashApiKey(apiKey), createdAt };
  const created = (usageKey: UsageKey | undefined): CreatedTenant => ({
    tenant_id: tenantId,
    name: trimmed,
    key_id: keyId,
    api_key: apiKey,
    usage_key_id: usageKey?.id ?? null,
  });
  if (options.tenantId && (await deps.tenants.getTenant(options.tenantId))) {
    await deps.tenants.addApiKey(key); // a persisted tenant (local mode --data) gets this run's key
    return created(undefined);
  }
  const usageKey = deps.usagePlan ? await deps.usagePlan.attach(tenantId, newUsageKeyValue()) : undefined;
  try {
    await deps.tenants.createTenant({ tenantId, name: trimmed, createdAt, ...(usageKey ? { usageKey } : {}) }, key);
  } catch (error) {
    if (usageKey) await deps.usagePlan?.remove(usageKey);
    throw error;
  }
  return created(usageKey);
}

/** Who a valid API key acts as, and what the authorizer tells API Gateway about it. */
export interface AuthenticatedKey {
  readonly tenantId: string;
  readonly keyId: string;
  /** The tenant's usage-plan key value (`usageIdentifierKey`); null when it has none (local mode). */
  readonly usageKey: string | null;
}

/** `Authorization: Bearer <key>` → the key's tenant, or null for anything else (unknown or revoked keys included). */
export async function authenticate(deps: Pick<Deps, 'tenants'>, authorization: string | undefined): Promise<AuthenticatedKey | null> {
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return null;
  const key = await deps.tenants.apiKeyByHash(hashApiKey(match[1]));
  if (!key) return null;
  const tenant = await deps.tenants.getTenant(key.tenantId);
  if (!tenant) return null; // a key whose tenant is gone acts as no one
  return { tenantId: key.tenantId, keyId: key.keyId, usageKey: tenant.usageKey?.value ?? null };
}

export class TenantNotFound extends NotFound {
  constructor(readonly tenantId: string) {
    super(`tenant ${tenantId} does not exist`);
  }
}

export class ApiKeyNotFound extends NotFound {
  constructor(readonly keyId: string) {
    super(`API key ${keyId} does not exist (npm run admin -- list-keys TENANT_ID lists a tenant's keys)`);
  }
}

/** One key as the admin CLI shows it: ids and dates only, never the key or its hash. */
export interface ApiKeyView {
  readonly key_id: string;
  readonly tenant_id: string;
  readonly status: 'active' | 'revoked';
  readonly created_at: string;
  readonly revoked_at: string | null;
}

const view = (key: ApiKeySummary): ApiKeyView => ({
  key_id: key.keyId,
  tenant_id: key.tenantId,
  status: key.revokedAt ? 'revoked' : 'active',
  created_at: key.createdAt,
  revoked_at: key.revokedAt,
});

export interface ApiKeysReport {
  readonly tenant_id: string;
  readonly name: string;
  readonly keys: readonly ApiKeyView[];
}

/** `admin list-keys TENANT_ID`: the tenant's keys, oldest first. */
export async function listApiKeys(
  deps: { readonly tenants: Pick<TenantStore, 'getTenant'>; readonly keys: Pick<ApiKeyAdmin, 'listApiKeys'> },
  tenantId: string,
): Promise<ApiKeysReport> {
  const tenant = await deps.tenants.getTenant(tenantId);
  if (!tenant) throw new TenantNotFound(tenantId);
  const keys = await deps.keys.listApiKeys(tenantId);
  return { tenant_id: tenantId, name: tenant.name, keys: keys.map(view) };
}

export interface RevokeKeyReport {
  readonly dry_run: boolean;
  /** `revoked` now, `would_revoke` in a dry run, `already_revoked` either way. */
  readonly outcome: 'revoked' | 'would_revoke' | 'already_revoked';
  readonly key: ApiKeyView;
  /** The tenant's keys still active after this (revoking the last one locks the tenant out). */
  readonly active_keys_left: number;
}

/** `admin revoke-key KEY_ID [--apply]`: a dry run unless `apply`; an unknown key is ApiKeyNotFound. */
export async function revokeApiKey(
  deps: { readonly keys: Pick<ApiKeyAdmin, 'listApiKeys' | 'revokeApiKey' | 'findApiKey'>; readonly clock: Deps['clock'] },
  keyId: string,
  options: { readonly apply: boolean },
): Promise<RevokeKeyReport> {
  const found = await deps.keys.findApiKey(keyId);
  if (!found) throw new ApiKeyNotFound(keyId);
  const othersActive = (await deps.keys.listApiKeys(found.tenantId)).filter((k) => k.keyId !== keyId && !k.revokedAt).length;
  if (found.revokedAt) return { dry_run: !options.apply, outcome: 'already_revoked', key: view(found), active_keys_left: othersActive };
  if (!options.apply) return { dry_run: true, outcome: 'would_revoke', key: view(found), active_keys_left: othersActive };
  const revoked = await deps.keys.revokeApiKey(keyId, deps.clock.now().toISOString());
  if (!revoked) throw new ApiKeyNotFound(keyId);
  return {
    dry_run: false,
    outcome: revoked.changed ? 'revoked' : 'already_revoked',
    key: view(revoked.key),
    active_keys_left: othersActive,
  };
}

export interface UsageKeysReport {
  readonly dry_run: boolean;
  readonly tenants: number;
  /** Tenants that had no usage-plan key (each is refused by API Gateway until it has one). */
  readonly missing: readonly string[];
  /** Of those, the ones that got a key now, with its id. */
  readonly attached: readonly { readonly tenant_id: string; readonly usage_key_id: string }[];
}

/**
 * `admin usage-keys [--apply]`: gives every tenant without a usage-plan key one (tenants created before
 * per-tenant throttling, or whose create-tenant ran with --local against a deployed table).
 */
export async function attachMissingUsageKeys(
  deps: {
    readonly directory: Pick<TenantDirectory, 'listTenantIds'>;
    readonly tenants: Pick<TenantStore, 'getTenant'>;
    readonly keys: Pick<ApiKeyAdmin, 'setUsageKey'>;
    readonly usagePlan: UsagePlanKeys;
  },
  options: { readonly apply: boolean },
): Promise<UsageKeysReport> {
  const ids = await deps.directory.listTenantIds();
  const missing: string[] = [];
  for (const id of ids) if (!(await deps.tenants.getTenant(id))?.usageKey) missing.push(id);
  const attached: { tenant_id: string; usage_key_id: string }[] = [];
  if (options.apply) {
    for (const tenantId of missing) {
      const usageKey = await deps.usagePlan.attach(tenantId, newUsageKeyValue());
      // Another run may have attached one meanwhile: keep that one, delete ours.
      if (await deps.keys.setUsageKey(tenantId, usageKey)) attached.push({ tenant_id: tenantId, usage_key_id: usageKey.id });
      else await deps.usagePlan.remove(usageKey);
    }
  }
  return { dry_run: !options.apply, tenants: ids.length, missing, attached };
}
