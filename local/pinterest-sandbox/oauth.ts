/** POST /v5/oauth/token with grant_type=refresh_token: Pinterest's continuous refresh. */
import type { IncomingMessage } from 'node:http';
import { REFRESH_TOKEN_TTL_SECONDS, type Accounts } from './accounts.ts';
import { ERRORS, PinterestError, invalidParameter } from './errors.ts';
import { basicCredentials, type Reply } from './http.ts';
import type { SandboxConfig } from './types.ts';

/** Every refresh returns a new refresh token and kills the one presented. */
export function refreshTokens(accounts: Accounts, config: SandboxConfig, request: IncomingMessage, raw: string): Reply {
  const client = basicCredentials(request);
  if (!client || client.id !== config.clientId || client.secret !== config.clientSecret) {
    throw PinterestError.of(ERRORS.authentication);
  }
  const form = new URLSearchParams(raw);
  const grantType = form.get('grant_type');
  if (!grantType) throw invalidParameter('grant_type is required.');
  if (grantType !== 'refresh_token')
    throw invalidParameter(`grant_type ${grantType} is not supported by the sandbox (only refresh_token).`);
  const presented = form.get('refresh_token');
  if (!presented) throw invalidParameter('refresh_token is required.');
  const now = config.now();
  const old = accounts.liveRefreshToken(presented, now);
  if (!old) throw PinterestError.of(ERRORS.invalidGrant);
  const scope = form.get('scope')?.trim() || old.scope;

  old.dead = true;
  const issued = accounts.issueTokens(old.user, scope, now);
  return {
    status: 200,
    body: {
      access_token: issued.accessToken,
      refresh_token: issued.refreshToken,
      response_type: 'refresh_token',
      token_type: 'bearer',
      expires_in: config.accessTokenTtlSeconds,
      refresh_token_expires_in: REFRESH_TOKEN_TTL_SECONDS,
      refresh_token_expires_at: Math.floor(issued.refreshExpiresAt / 1000),
      scope,
    },
  };
}
