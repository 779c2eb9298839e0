/**
 * A local Pinterest API v5 for pinrelay: the endpoints the worker and the token vault call, with
 * Pinterest's status codes and `{"code", "message"}` error bodies, exact per-user rolling-window rate
 * limiters for writes (org_write) and, when set, reads (org_read), continuous refresh tokens, and fault
 * injection, so that every outcome class of lambdas/domain/classify.ts can be produced on demand, pacing
 * can be measured against a real limit lower than the configured one, and duplicate pins counted exactly.
 *
 *   POST /v5/pins                  create (org_write, rate limited)
 *   GET  /v5/boards/{id}/pins      newest first, bookmark paging (how pinrelay verifies an unknown outcome; org_read)
 *   GET  /v5/pins/{id}, GET /v5/user_account
 *   POST /v5/oauth/token           grant_type=refresh_token, rotates the refresh token
 *   /_sandbox/…                    inspection and fault control for tests and curl (not Pinterest)
 *
 * The parts: pinterest-sandbox/server.ts (the request pipeline), endpoints.ts and oauth.ts (/v5),
 * pin-create.ts (PinCreate validation), accounts.ts (users, boards, tokens), pins.ts (pins and their
 * JSON), rate-limits.ts, faults.ts, control-plane.ts (/_sandbox). None of them imports pinrelay's own
 * code: the sandbox plays Pinterest, so it is written from Pinterest's description, not from pinrelay's.
 *
 * Used by local mode (`npm start`), by the integration tests and by `npm run sandbox`
 * (local/sandbox.ts). Binds loopback only. What differs from the real API: docs/sandbox.md.
 */
import { isIP } from 'node:net';
import { ACCESS_TOKEN_TTL_SECONDS } from './pinterest-sandbox/accounts.ts';
import { Sandbox } from './pinterest-sandbox/server.ts';
import type { PinterestSandbox } from './pinterest-sandbox/types.ts';
import { assertPositiveInteger } from './pinterest-sandbox/values.ts';

export type {
  Fault,
  FaultMatch,
  NewUser,
  PinterestSandbox,
  SandboxPin,
  SandboxRequestLog,
  UserLimits,
} from './pinterest-sandbox/types.ts';

export interface SandboxOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** Loopback only (127.0.0.0/8, ::1 or localhost). @default 127.0.0.1 */
  host?: string;
  /** @default 'pinrelay-sandbox-client' */
  clientId?: string;
  /** @default 'pinrelay-sandbox-secret' */
  clientSecret?: string;
  /** Accepted POST /v5/pins per user (access token owner) in any rolling 60 s window (org_write). @default 100 */
  ratePerMinute?: number;
  /** Accepted GETs per user in any rolling 60 s window (org_read). @default unlimited */
  readRatePerMinute?: number;
  /** Whether the limiters' 429s carry `Retry-After` (real Pinterest may send none). @default true */
  rateLimitRetryAfter?: boolean;
  /** Lifetime of access tokens issued by the sandbox. @default 2592000 (30 days) */
  accessTokenTtlSeconds?: number;
  /** Millisecond clock for token expiry, rate limiting and `created_at`. @default Date.now */
  now?: () => number;
}

export const SANDBOX_CLIENT_ID = 'pinrelay-sandbox-client';
export const SANDBOX_CLIENT_SECRET = 'pinrelay-sandbox-secret';
export const SANDBOX_DEFAULT_RATE_PER_MINUTE = 100;

export async function startPinterestSandbox(options: SandboxOptions = {}): Promise<PinterestSandbox> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`host ${host} is not a loopback address; the Pinterest sandbox listens on loopback only.`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port ${String(port)} is not a port number.`);
  const ratePerMinute = options.ratePerMinute ?? SANDBOX_DEFAULT_RATE_PER_MINUTE;
  assertPositiveInteger(ratePerMinute, 'ratePerMinute');
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
  assertPositiveInteger(accessTokenTtlSeconds, 'accessTokenTtlSeconds');
  if (options.readRatePerMinute !== undefined) assertPositiveInteger(options.readRatePerMinute, 'readRatePerMinute');
  if (options.rateLimitRetryAfter !== undefined && typeof options.rateLimitRetryAfter !== 'boolean')
    throw new TypeError('rateLimitRetryAfter must be a boolean.');

  const sandbox = new Sandbox({
    clientId: options.clientId ?? SANDBOX_CLIENT_ID,
    clientSecret: options.clientSecret ?? SANDBOX_CLIENT_SECRET,
    ratePerMinute,
    ...(options.readRatePerMinute !== undefined ? { readRatePerMinute: options.readRatePerMinute } : {}),
    rateLimitRetryAfter: options.rateLimitRetryAfter ?? true,
    accessTokenTtlSeconds,
    now: options.now ?? Date.now,
  });
  await sandbox.listen(host, port);
  return sandbox;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}
