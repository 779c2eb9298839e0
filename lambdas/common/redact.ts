/**
 * Secrets out of log lines. The shared logger (lambdas/common/powertools.ts) runs every value of every
 * line through `redactSecrets` as it serializes it, so neither a careless attribute nor an error message
 * that quotes its input can print a credential:
 *
 * - values under secret-named keys — `authorization`, `cookie`, `secret`, `password`, `token`, `api_key`,
 *   `secret_string`, and any key ending in `_token`, `_secret`, `_password` or `_api_key`, in snake, kebab or
 *   camel case (`access_token`, `refreshToken`, `client_secret`, `x-pinrelay-webhook-secret`) — are replaced
 *   whole when they are text or structures (a boolean such as `has_refresh_token` stays);
 * - inside any text: Pinterest tokens (`pina_…`, `pinr_…`, `pinc_…`), pinrelay API keys (`prk_…`), webhook
 *   secrets (`whsec_…`), `Bearer`/`Basic` credentials, and `access_token=…` / `"client_secret":"…"` pairs
 *   of form and JSON bodies.
 *
 * Names that point at a secret without being one (`secret_name`, `secret_arn`) are kept.
 */

export const REDACTED = '[redacted]';

const SECRET_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy_authorization',
  'cookie',
  'set_cookie',
  'secret',
  'secret_string',
  'password',
  'token',
  'api_key',
  'apikey',
]);
const SECRET_KEY_SUFFIXES = ['_token', '_secret', '_password', '_api_key'] as const;

/** `refreshToken`, `Client-Secret`, `ACCESS_TOKEN` → `refresh_token`, `client_secret`, `access_token`. */
function normalizeKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/-/g, '_');
}

export function isSecretKey(key: string): boolean {
  const name = normalizeKey(key);
  return SECRET_KEYS.has(name) || SECRET_KEY_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** Credential shapes, wherever they appear in a text. */
const TOKEN_SHAPES: readonly RegExp[] = [
  // Pinterest OAuth tokens: access (pina_), refresh (pinr_), client credentials (pinc_).
  /\bpin[arc]_[A-Za-z0-9._~+/=-]+/g,
  // pinrelay tenant API keys and webhook secrets.
  /\bprk_[A-Za-z0-9_-]+/g,
  /\bwhsec_[A-Za-z0-9+/=_-]+/g,
];
/** `Authorization: Bearer x`, `Basic x`: the scheme stays, the credential goes. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]+/gi;
/** `access_token=x` in a form body, `"refresh_token":"x"` in JSON text. */
const SECRET_PAIR =
  /(["']?\b(?:access_token|refresh_token|id_token|client_secret|secret|password|api_key)["']?\s*[:=]\s*["']?)(?!\[redacted\])[^"'&\s,;}]+/gi;

export function redactText(text: string): string {
  let out = text;
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, REDACTED);
  return out.replace(AUTH_SCHEME, `$1 ${REDACTED}`).replace(SECRET_PAIR, `$1${REDACTED}`);
}

/**
 * A JSON.stringify replacer (Powertools' `jsonReplacerFn`): called for every key and value of a log line,
 * nested ones included, errors after Powertools has turned them into `{name, message, stack, …}`.
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (key !== '' && isSecretKey(key) && value !== null && (typeof value === 'string' || typeof value === 'object')) return REDACTED;
  return typeof value === 'string' ? redactText(value) : value;
}
