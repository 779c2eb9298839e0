import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import { METRICS } from '../../definitions/metrics.ts';
import type { Clock } from '../domain/clock.ts';
import { count } from '../common/observability.ts';
import { logger as sharedLogger } from '../common/powertools.ts';
import { refreshTokenRefused } from '../domain/classify.ts';
import {
  AppCredentialsMissingError,
  PinterestError,
  TokenRefreshError,
  TokenStoreUnavailableError,
  type AccessToken,
  type AccountTokens,
  type PinterestApi,
  type RefreshedTokens,
  type TokenProvider,
} from '../use-cases/ports.ts';

/** Refresh this long before the access token expires, so a job never starts with a token about to die. */
export const REFRESH_AHEAD_MS = 10 * 60_000;

/** Emitted each time a container gives up (for now) on storing a rotated pair: alarm on it. */
export const ROTATION_NOT_STORED_METRIC = METRICS.TokenRotationNotStored.name;

/** Why a refresh did not happen (the breakdown of TokenRefreshFailures, definitions/metrics.ts). */
export type RefreshFailureReason = (typeof METRICS.TokenRefreshFailures.breakdown.values)[number];

/** The provider's metrics: a refresh, a refresh that did not happen (and why), a rotated pair not stored. */
export type TokenMetric = typeof METRICS.TokenRefreshes.name | typeof METRICS.TokenRefreshFailures.name | typeof ROTATION_NOT_STORED_METRIC;

/** Counts a token metric with the shared Powertools metrics (the default of `count`). */
export function countTokenMetric(metric: TokenMetric, reason?: RefreshFailureReason): void {
  if (metric === 'TokenRefreshFailures') count(METRICS.TokenRefreshFailures, reason ?? 'transient');
  else count(METRICS[metric]);
}

export interface SecretsTokenProviderOptions {
  /** How long a container trusts its copy of an account's tokens. Default 60 s. */
  readonly cacheTtlMs?: number;
  /**
   * False while the Pinterest app credentials are the deploy-time placeholder (lambdas/common/deps/publish.ts):
   * any refresh would be refused, and the account is not to blame. Default: always configured.
   */
  readonly appCredentialsConfigured?: () => Promise<boolean>;
  /** Tries per store of a rotated pair (reads included). Default 3. */
  readonly storeAttempts?: number;
  /** Wait before the second try; doubled before each further one. Default 200 ms. */
  readonly storeBackoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger?: Pick<Logger, 'warn' | 'error'>;
  /** Where the provider's metrics go. Default: countTokenMetric. */
  readonly count?: (metric: TokenMetric, reason?: RefreshFailureReason) => void;
}

/** A rotated pair the vault does not have yet, and every refresh token this container retired to get it. */
interface Unsaved {
  tokens: AccountTokens;
  retired: ReadonlySet<string>;
}

const connectionOf = (tokens: AccountTokens): string | null => tokens.connection_id ?? null;
const access = (tokens: AccountTokens): AccessToken => ({ token: tokens.access_token, connectionId: connectionOf(tokens) });
/** Error names and messages only: AWS and Pinterest errors never carry token values, and nothing else is logged. */
const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** AWS error names that mean "not now" rather than "not so" (throttling, timeouts, the service's own failures). */
const TRANSIENT_ERROR_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
/** Socket errors: the request never got an answer. */
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A Secrets Manager failure that the SDK's own retries did not outlast and that a later attempt may not
 * meet: throttling, a 5xx, a timeout, a dropped connection. Not: a missing secret, access denied, a KMS
 * refusal — those stay crashes (a deployment or account problem someone must fix).
 */
export function isTransientServiceError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const aws = error as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
  const status = aws.$metadata?.httpStatusCode ?? 0;
  return status >= 500 || status === 429 || TRANSIENT_ERROR_NAMES.has(aws.name) || NETWORK_ERROR_CODES.has(aws.code ?? '');
}

/**
 * Account tokens from Secrets Manager (the secret `put-account` wrote), cached per container for
 * `cacheTtlMs`. Refreshes ahead of expiry and on demand (after a 401).
 *
 * Pinterest's refresh is continuous — every refresh returns a NEW refresh token and retires the old one —
 * so once Pinterest has answered, the new pair is the only one that works. It is used at once and written
 * back with bounded retries; if that fails it stays in this container (and wins over the vault's retired
 * copy) while every later call tries to store it again (docs/adr/0008-durable-token-rotation.md).
 *
 * A reconnect (PUT /v1/accounts) writes a new connection id into the secret and the account record; the
 * caller passes the record's id, so tokens cached for an older connection are read again instead of
 * being refreshed with a refresh token the reconnect made irrelevant. One account's jobs share a FIFO
 * message group, so two workers never refresh the same account at once.
 */
export class SecretsTokenProvider implements TokenProvider {
  private readonly cache = new Map<string, { tokens: AccountTokens; fetchedAt: number }>();
  private readonly unsaved = new Map<string, Unsaved>();
  private readonly cacheTtlMs: number;
  private readonly appCredentialsConfigured: () => Promise<boolean>;
  private readonly storeAttempts: number;
  private readonly storeBackoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger: Pick<Logger, 'warn' | 'error'>;
  private readonly count: (metric: TokenMetric, reason?: RefreshFailureReason) => void;

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly prefix: string,
    private readonly pinterest: Pick<PinterestApi, 'refreshAccessToken'>,
    private readonly clock: Clock,
    options: SecretsTokenProviderOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.appCredentialsConfigured = options.appCredentialsConfigured ?? (async () => true);
    this.storeAttempts = Math.max(1, options.storeAttempts ?? 3);
    this.storeBackoffMs = options.storeBackoffMs ?? 200;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.logger = options.logger ?? sharedLogger;
    this.count = options.count ?? countTokenMetric;
  }

  private name(tenantId: string, accountId: string) {
    return `${this.prefix}/${tenantId}/${accountId}`;
  }

  async accessToken(
    tenantId: string,
    accountId: string,
    options: { forceRefresh?: boolean; connectionId?: string | null } = {},
  ): Promise<AccessToken> {
    const key = this.name(tenantId, accountId);
    // A pair this container could not store earlier: try again before anything else reads the vault.
    await this.storeUnsaved(key);
    const cached = this.cache.get(key);
    const refused = options.forceRefresh ? (cached?.tokens.access_token ?? null) : null;
    const otherConnection =
      options.connectionId !== undefined && cached !== undefined && connectionOf(cached.tokens) !== options.connectionId;
    // After a 401 the cache is not trusted: the vault may hold a reconnect's tokens, or another container's refresh.
    const tokens = await this.load(key, Boolean(options.forceRefresh) || otherConnection);
    const now = this.clock.now().getTime();
    const force = Boolean(options.forceRefresh) && (refused === null || tokens.access_token === refused);
    const expiresAt = tokens.expires_at ? new Date(tokens.expires_at).getTime() : null;
    const expiring = expiresAt !== null && expiresAt - now < REFRESH_AHEAD_MS;
    if (!force && !expiring) return access(tokens);
    const stillValid = !force && expiresAt !== null && expiresAt > now;
    try {
      return access(await this.refresh(key, tokens, now));
    } catch (error) {
      // Refreshing *ahead* of expiry is an optimisation: while the token still works, use it and let a
      // later job (or the 401 path) deal with the refresh.
      if (!stillValid) throw error;
      this.logger.warn('token refresh ahead of expiry failed; using the current access token', {
        secret_name: key,
        expires_at: tokens.expires_at,
        error: describe(error),
      });
      return access(tokens);
    }
  }

  private async read(key: string): Promise<AccountTokens> {
    const out = await this.secrets.send(new GetSecretValueCommand({ SecretId: key }));
    return JSON.parse(out.SecretString ?? '{}') as AccountTokens;
  }

  private async load(key: string, fresh: boolean): Promise<AccountTokens> {
    const cached = this.cache.get(key);
    const now = this.clock.now().getTime();
    if (!fresh && cached && now - cached.fetchedAt < this.cacheTtlMs) return cached.tokens;
    let stored: AccountTokens;
    try {
      stored = await this.read(key);
    } catch (error) {
      // Our unsaved pair is newer than anything the vault could answer; without one there is nothing to go on.
      const unsaved = this.unsaved.get(key);
      if (unsaved) return unsaved.tokens;
      // Secrets Manager having a bad moment says nothing about the job or the account: the attempt waits.
      if (isTransientServiceError(error)) throw new TokenStoreUnavailableError(`Secrets Manager could not be read: ${describe(error)}`);
      throw error;
    }
    const tokens = this.reconcile(key, stored);
    this.cache.set(key, { tokens, fetchedAt: now });
    return tokens;
  }

  /**
   * The vault may be behind this container: while it still holds a refresh token this container retired,
   * the unsaved pair is the truth. Anything else in the vault is newer than the pair (a reconnect, or our
   * own write that landed after all) and wins.
   */
  private reconcile(key: string, stored: AccountTokens): AccountTokens {
    const unsaved = this.unsaved.get(key);
    if (!unsaved) return stored;
    if (
      connectionOf(stored) === connectionOf(unsaved.tokens) &&
      stored.refresh_token !== null &&
      unsaved.retired.has(stored.refresh_token)
    ) {
      return unsaved.tokens;
    }
    this.unsaved.delete(key);
    return stored;
  }

  private async refresh(key: string, tokens: AccountTokens, now: number): Promise<AccountTokens> {
    const connection = connectionOf(tokens);
    const failed = (reason: RefreshFailureReason, error: Error): never => {
      this.count(METRICS.TokenRefreshFailures.name, reason);
      throw error;
    };
    if (!tokens.refresh_token) {
      return failed(
        'no_refresh_token',
        new TokenRefreshError(null, 'the access token expired or was refused and no refresh token is stored', connection),
      );
    }
    if (tokens.refresh_token_expires_at && new Date(tokens.refresh_token_expires_at).getTime() <= now) {
      return failed('refresh_token_expired', new TokenRefreshError(null, 'the refresh token has expired', connection));
    }
    // With the placeholder app credentials Pinterest refuses every refresh (401): that says nothing about the account.
    if (!(await this.appCredentialsConfigured())) return failed('app_credentials_missing', new AppCredentialsMissingError());
    let refreshed: RefreshedTokens;
    try {
      refreshed = await this.pinterest.refreshAccessToken(tokens.refresh_token);
    } catch (error) {
      // Whether Pinterest's answer makes the refresh token dead is the classifier's call; anything else
      // (a 429, a 5xx, no answer) is transient and reaches the worker as it is.
      const attempt = error instanceof PinterestError ? error.attempt : null;
      if (attempt?.kind === 'token_refresh_failed' && refreshTokenRefused(attempt)) {
        return failed(
          'refused',
          new TokenRefreshError(attempt.status, `Pinterest refused the refresh token (HTTP ${attempt.status})`, connection),
        );
      }
      this.count(METRICS.TokenRefreshFailures.name, 'transient');
      throw error;
    }
    this.count(METRICS.TokenRefreshes.name);
    const next: AccountTokens = {
      access_token: refreshed.accessToken,
      refresh_token: refreshed.refreshToken,
      expires_at: refreshed.expiresAt,
      refresh_token_expires_at: refreshed.refreshTokenExpiresAt ?? tokens.refresh_token_expires_at,
      connection_id: connection,
    };
    // From here the presented refresh token is dead at Pinterest: the new pair exists only in this
    // process until the vault has it, so it is kept, used, and never traded for the old one again.
    const earlier = this.unsaved.get(key);
    const retired = new Set(earlier && connectionOf(earlier.tokens) === connection ? earlier.retired : []);
    retired.add(tokens.refresh_token);
    this.unsaved.set(key, { tokens: next, retired });
    this.cache.set(key, { tokens: next, fetchedAt: now });
    await this.storeUnsaved(key);
    return next;
  }

  /**
   * Writes the unsaved pair of `key` to the vault, with bounded retries. Never throws: the pair is valid
   * whether or not it is stored, and a failure is reported (log + metric) and retried on later calls.
   */
  private async storeUnsaved(key: string): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.storeAttempts; attempt++) {
      const unsaved = this.unsaved.get(key);
      if (!unsaved) return;
      try {
        // Secrets Manager has no conditional write: look first, so a reconnect made in the meantime is not
        // overwritten by the old connection's pair, and a write that landed unanswered is not repeated.
        const stored = await this.read(key);
        if (this.reconcile(key, stored) === unsaved.tokens) {
          await this.secrets.send(new PutSecretValueCommand({ SecretId: key, SecretString: JSON.stringify(unsaved.tokens) }));
        }
        this.unsaved.delete(key);
        return;
      } catch (error) {
        lastError = error;
        if (attempt < this.storeAttempts) await this.sleep(this.storeBackoffMs * 2 ** (attempt - 1));
      }
    }
    this.logger.error(
      'rotated account tokens could not be stored; this container keeps them and retries on its next call for the account',
      {
        secret_name: key,
        attempts: this.storeAttempts,
        error: describe(lastError),
      },
    );
    this.count(ROTATION_NOT_STORED_METRIC);
  }
}
