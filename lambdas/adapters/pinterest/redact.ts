/**
 * Keeping the request's secrets (access, refresh and client credentials) out of what the client puts on
 * an error: bodies, messages and causes. Each request passes the exact secrets it sent.
 */

export const REDACTED = '[redacted]';

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(REDACTED);
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Values under keys that name a token or secret are replaced, at any depth. */
export function scrubTokens(value: unknown, depth = 0): unknown {
  if (depth > 10) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => scrubTokens(item, depth + 1));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      /token|secret|password|authorization/i.test(key) ? REDACTED : scrubTokens(inner, depth + 1),
    ]),
  );
}

/** A short, secret-free description of a fetch failure for the message: name and code only. */
export function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const e = current as { name?: unknown; code?: unknown; cause?: unknown };
    const name = typeof e.name === 'string' ? e.name : 'Error';
    parts.push(typeof e.code === 'string' ? `${name} ${e.code}` : name);
    current = e.cause;
  }
  return parts.length > 0 ? parts.join(' ← ') : String(typeof error);
}

function mentions(error: unknown, secrets: readonly string[], depth = 0): boolean {
  if (depth > 8 || typeof error !== 'object' || error === null) {
    return typeof error === 'string' && secrets.some((s) => s.length > 0 && error.includes(s));
  }
  const e = error as { message?: unknown; stack?: unknown; cause?: unknown; errors?: unknown };
  const texts = [e.message, e.stack].filter((t): t is string => typeof t === 'string');
  if (texts.some((t) => secrets.some((s) => s.length > 0 && t.includes(s)))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => mentions(inner, secrets, depth + 1))) return true;
  return mentions(e.cause, secrets, depth + 1);
}

/**
 * The original error when it does not mention a secret (keeps undici's details for debugging),
 * otherwise a redacted copy: same name, code and structure, secrets replaced.
 * (Headers validation, for one, quotes the offending header value: the token.)
 */
export function redactError(error: unknown, secrets: readonly string[], depth = 0): unknown {
  if (!mentions(error, secrets)) return error;
  if (typeof error === 'string') return redact(error, secrets);
  if (depth > 8 || typeof error !== 'object' || error === null) return REDACTED;
  const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  const message = typeof e.message === 'string' ? redact(e.message, secrets) : '';
  const copy: Error & { code?: unknown; errors?: unknown } =
    e.cause !== undefined ? new Error(message, { cause: redactError(e.cause, secrets, depth + 1) }) : new Error(message);
  copy.name = typeof e.name === 'string' ? e.name : 'Error';
  copy.stack = typeof e.stack === 'string' ? redact(e.stack, secrets) : `${copy.name}: ${message}`;
  if (typeof e.code === 'string' || typeof e.code === 'number') copy.code = e.code;
  if (Array.isArray(e.errors)) copy.errors = e.errors.map((inner) => redactError(inner, secrets, depth + 1));
  return copy;
}
