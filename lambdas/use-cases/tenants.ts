import { hashApiKey, newApiKey, newKeyId, newTenantId } from '../domain/ids.ts';
import type { Deps } from './ports.ts';

export interface CreatedTenant {
  readonly tenant_id: string;
  readonly name: string;
  readonly key_id: string;
  /** Shown once; only its hash is stored. */
  readonly api_key: string;
}

export async function createTenant(
  deps: Pick<Deps, 'tenants' | 'clock'>,
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
  if (options.tenantId && (await deps.tenants.getTenant(options.tenantId))) {
    await deps.tenants.addApiKey(key); // a persisted tenant (local mode --data) gets this run's key
  } else {
    await deps.tenants.createTenant({ tenantId, name: trimmed, createdAt }, key);
  }
  return { tenant_id: tenantId, name: trimmed, key_id: keyId, api_key: apiKey };
}

/** `Authorization: Bearer <key>` → the key's tenant, or null for anything else. */
export async function authenticate(deps: Pick<Deps, 'tenants'>, authorization: string | undefined): Promise<string | null> {
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return null;
  const key = await deps.tenants.apiKeyByHash(hashApiKey(match[1]));
  return key?.tenantId ?? null;
}
