/** An account's Pinterest tokens: stored in the vault, handed out (and refreshed) by the provider. */

export interface AccountTokens {
  readonly access_token: string;
  readonly refresh_token: string | null;
  readonly expires_at: string | null;
  readonly refresh_token_expires_at: string | null;
  /** The connection (AccountRecord.connectionId) these tokens belong to; absent in secrets written before connections had ids. */
  readonly connection_id?: string | null;
}

export interface TokenVault {
  /** Creates or replaces the account's tokens; returns the reference stored on the account. */
  save(tenantId: string, accountId: string, tokens: AccountTokens): Promise<string>;
}

/** An access token and the connection it belongs to (what a dead-account verdict is judged on). */
export interface AccessToken {
  readonly token: string;
  readonly connectionId: string | null;
}

/** Access tokens for an account, refreshed ahead of expiry and on demand (after a 401). */
export interface TokenProvider {
  /**
   * `forceRefresh`: the last token was refused (401); read the stored tokens again, use a different access
   * token found there, otherwise refresh. `connectionId`: the account's current connection; tokens cached
   * for another one are read again.
   */
  accessToken(
    tenantId: string,
    accountId: string,
    options?: { forceRefresh?: boolean; connectionId?: string | null },
  ): Promise<AccessToken>;
}

/** The refresh token is missing, expired or refused: only a human reconnecting the account helps. */
export class TokenRefreshError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
    /** The connection whose refresh token failed: only that connection may be marked dead. */
    readonly connectionId: string | null = null,
  ) {
    super(message);
    this.name = 'TokenRefreshError';
  }
}

/**
 * A refresh was needed but the Pinterest app credentials are still the placeholder the stack stores at
 * deploy time: every refresh would be refused, whatever the account. The operator must store them; the
 * account is fine.
 */
export class AppCredentialsMissingError extends Error {
  constructor(message = 'the Pinterest app credentials are not configured (the secret still holds the placeholder)') {
    super(message);
    this.name = 'AppCredentialsMissingError';
  }
}

/**
 * The token store could not be read for now (Secrets Manager throttling, a 5xx, a timeout): the account
 * and its tokens are fine, and the attempt is retried later, not recorded as a crash of the worker.
 */
export class TokenStoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenStoreUnavailableError';
  }
}
