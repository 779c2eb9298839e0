import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../domain/clock.ts';
import { PinterestHttpError, type PinterestApi } from './pinterest-client.ts';
import { TokenRefreshError, type AccountTokens, type TokenProvider } from '../use-cases/ports.ts';

/** Refresh this long before the access token expires, so a job never starts with a token about to die. */
export const REFRESH_AHEAD_MS = 10 * 60_000;

/**
 * Account tokens from Secrets Manager (the secret `put-account` wrote), cached per container for
 * `cacheTtlMs`. Refreshes ahead of expiry and on demand (after a 401). Pinterest's refresh is
 * continuous — every refresh returns a NEW refresh token and retires the old one — so both are written
 * back before the new access token is used. One account's jobs share a FIFO message group, so two
 * workers never refresh the same account at once.
 */
export class SecretsTokenProvider implements TokenProvider {
  private readonly cache = new Map<string, { tokens: AccountTokens; fetchedAt: number }>();

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly prefix: string,
    private readonly pinterest: Pick<PinterestApi, 'refreshAccessToken'>,
    private readonly clock: Clock,
    private readonly cacheTtlMs = 60_000,
  ) {}

  private name(tenantId: string, accountId: string) {
    return `${this.prefix}/${tenantId}/${accountId}`;
  }

  private async load(tenantId: string, accountId: string): Promise<AccountTokens> {
    const key = this.name(tenantId, accountId);
    const cached = this.cache.get(key);
    const now = this.clock.now().getTime();
    if (cached && now - cached.fetchedAt < this.cacheTtlMs) return cached.tokens;
    const out = await this.secrets.send(new GetSecretValueCommand({ SecretId: key }));
    const tokens = JSON.parse(out.SecretString ?? '{}') as AccountTokens;
    this.cache.set(key, { tokens, fetchedAt: now });
    return tokens;
  }

  async accessToken(tenantId: string, accountId: string, options: { forceRefresh?: boolean } = {}): Promise<string> {
    const tokens = await this.load(tenantId, accountId);
    const now = this.clock.now().getTime();
    const expiresAt = tokens.expires_at ? new Date(tokens.expires_at).getTime() : null;
    const expiring = expiresAt !== null && expiresAt - now < REFRESH_AHEAD_MS;
    if (!options.forceRefresh && !expiring) return tokens.access_token;
    const stillValid = !options.forceRefresh && expiresAt !== null && expiresAt > now;
    try {
      return await this.refresh(tenantId, accountId, tokens, now);
    } catch (error) {
      // Refreshing *ahead* of expiry is an optimisation: while the token still works, use it and let a
      // later job (or the 401 path) deal with the refresh.
      if (stillValid) return tokens.access_token;
      throw error;
    }
  }

  private async refresh(tenantId: string, accountId: string, tokens: AccountTokens, now: number): Promise<string> {
    if (!tokens.refresh_token) {
      throw new TokenRefreshError(null, 'the access token expired or was refused and no refresh token is stored');
    }
    if (tokens.refresh_token_expires_at && new Date(tokens.refresh_token_expires_at).getTime() <= now) {
      throw new TokenRefreshError(null, 'the refresh token has expired');
    }
    let refreshed;
    try {
      refreshed = await this.pinterest.refreshAccessToken(tokens.refresh_token);
    } catch (error) {
      // 4xx from the token endpoint: the refresh token is dead. Anything else (5xx, network) is transient.
      if (error instanceof PinterestHttpError && error.status >= 400 && error.status < 500 && error.status !== 429) {
        throw new TokenRefreshError(error.status, `Pinterest refused the refresh token (HTTP ${error.status})`);
      }
      throw error;
    }
    const next: AccountTokens = {
      access_token: refreshed.accessToken,
      refresh_token: refreshed.refreshToken,
      expires_at: refreshed.expiresAt,
      refresh_token_expires_at: refreshed.refreshTokenExpiresAt ?? tokens.refresh_token_expires_at,
    };
    const key = this.name(tenantId, accountId);
    await this.secrets.send(new PutSecretValueCommand({ SecretId: key, SecretString: JSON.stringify(next) }));
    this.cache.set(key, { tokens: next, fetchedAt: now });
    return next.access_token;
  }
}
