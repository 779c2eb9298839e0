import { createHash, randomBytes } from 'node:crypto';

// Crockford base32, lower-case: URL-safe, unambiguous, sortable as text.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export const JOB_ID_PATTERN = /^job_[0-9a-z]{26}$/;

/**
 * A job's id is a function of (tenant, idempotency key): the same intent always names the same job, so
 * the conditional put on the job's key *is* the idempotency check (one write, no lock table).
 */
export function jobIdFor(tenantId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${tenantId}\u0000${idempotencyKey}`).digest();
  return `job_${base32(digest.subarray(0, 16))}`;
}

export function newTenantId(): string {
  return `ten_${base32(randomBytes(10))}`;
}

export function newKeyId(): string {
  return `key_${base32(randomBytes(10))}`;
}

export const CONNECTION_ID_PATTERN = /^con_[0-9a-z]{20}$/;

/**
 * One per PUT /v1/accounts/{id}: names the tokens of that connection in both the account record and the
 * secret, so a worker can tell a reconnect from its own stale copy (100 random bits).
 */
export function newConnectionId(): string {
  return `con_${base32(randomBytes(13)).slice(0, 20)}`;
}

/** API keys: 256 random bits behind a readable prefix. Only their SHA-256 is ever stored. */
export function newApiKey(): string {
  return `prk_${randomBytes(32).toString('base64url')}`;
}

/** High-entropy secrets need no slow KDF: SHA-256 is preimage-resistant and lets the authorizer look a key up directly. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** JSON with object keys sorted at every level, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
