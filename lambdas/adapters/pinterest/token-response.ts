import type { RefreshedTokens } from '../../use-cases/ports.ts';

/** The token endpoint's answer to a refresh grant, once tokenResponseProblem found nothing wrong with it. */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: unknown;
  refresh_token_expires_in?: unknown;
  refresh_token_expires_at?: unknown;
  scope?: unknown;
}

/** What the body lacks to be a usable token response, or null. Names the field only: the body holds tokens. */
export function tokenResponseProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'a JSON object';
  const fields = body as Record<string, unknown>;
  if (typeof fields.access_token !== 'string' || fields.access_token === '') return 'a string access_token';
  if (!isSeconds(fields.expires_in)) return 'a positive expires_in';
  if (fields.refresh_token !== undefined && fields.refresh_token !== null && typeof fields.refresh_token !== 'string')
    return 'a string refresh_token';
  return null;
}

/**
 * Absolute expiry times, counted from `sentAtMs` (before the request: never later than Pinterest's own
 * clock would put them). `sentRefreshToken` is the one the request presented.
 */
export function refreshedTokensOf(tokens: TokenResponse, sentRefreshToken: string, sentAtMs: number): RefreshedTokens {
  // A refresh-token lifetime that makes no sense is treated as unknown rather than failing the refresh.
  const expiresAtSeconds = tokens.refresh_token_expires_at;
  const refreshExpiresAtMs = isSeconds(tokens.refresh_token_expires_in)
    ? sentAtMs + tokens.refresh_token_expires_in * 1000
    : typeof expiresAtSeconds === 'number' && isSeconds(expiresAtSeconds - sentAtMs / 1000)
      ? expiresAtSeconds * 1000
      : null;
  return {
    accessToken: tokens.access_token,
    // Without continuous refresh Pinterest returns no new refresh token: the one we sent stays valid.
    refreshToken: typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '' ? tokens.refresh_token : sentRefreshToken,
    expiresAt: new Date(sentAtMs + tokens.expires_in * 1000).toISOString(),
    refreshTokenExpiresAt:
      typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '' && refreshExpiresAtMs !== null
        ? new Date(refreshExpiresAtMs).toISOString()
        : null,
    ...(typeof tokens.scope === 'string' ? { scope: tokens.scope } : {}),
  };
}

/** Up to ten years: anything longer is nonsense (and would not fit a Date). */
const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400;

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_LIFETIME_SECONDS;
}
