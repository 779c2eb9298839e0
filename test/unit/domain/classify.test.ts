import { describe, expect, it } from 'vitest';
import { OUTCOMES } from '../../../lambdas/domain/job.ts';
import {
  classifyAttempt,
  refreshTokenRefused,
  requiresReauthorization,
  type AttemptInput,
  type Classification,
} from '../../../lambdas/domain/classify.ts';

const http = (status: number, code: number | null = null, retryAfterSeconds: number | null = null): AttemptInput => ({
  kind: 'http',
  status,
  code,
  retryAfterSeconds,
});

type Row = readonly [string, AttemptInput, Classification['outcome'], string, Classification['route']];

describe('classifyAttempt: the outcome table, row by row', () => {
  const rows: readonly Row[] = [
    // retry_now
    ['500', http(500), 'retry_now', 'server_error', null],
    ['502', http(502), 'retry_now', 'server_error', null],
    ['503 with code 0', http(503, 0), 'retry_now', 'server_error', null],
    ['504', http(504), 'retry_now', 'server_error', null],
    ['599 (last 5xx)', http(599), 'retry_now', 'server_error', null],
    ['408 request timeout', http(408), 'retry_now', 'request_timeout', null],
    ['transport before_send', { kind: 'transport', phase: 'before_send' }, 'retry_now', 'network_error', null],
    ['refresh endpoint 5xx', { kind: 'token_refresh_failed', status: 503 }, 'retry_now', 'server_error', null],
    ['the invocation ends before the create is sent', { kind: 'deadline' }, 'retry_now', 'worker_deadline', null],
    // retry_later
    ['429 without code', http(429), 'retry_later', 'rate_limited', null],
    ['429 code 8', http(429, 8), 'retry_later', 'rate_limited', null],
    ['code 8 on a 403 (too many writes to one object)', http(403, 8), 'retry_later', 'rate_limited', null],
    ['code 8 on a 400', http(400, 8), 'retry_later', 'rate_limited', null],
    ['code 8 on a 5xx', http(500, 8), 'retry_later', 'rate_limited', null],
    ['refresh endpoint 429', { kind: 'token_refresh_failed', status: 429 }, 'retry_later', 'rate_limited', null],
    // unknown
    ['transport after_send', { kind: 'transport', phase: 'after_send' }, 'unknown', 'timeout_or_dropped', null],
    // needs_human
    ['403 code 29 (trial app)', http(403, 29), 'needs_human', 'trial_app_forbidden', 'ops'],
    ['403 without code', http(403), 'needs_human', 'forbidden', 'ops'],
    ['403 other code', http(403, 1), 'needs_human', 'forbidden', 'ops'],
    ['404 code 40', http(404, 40), 'needs_human', 'board_not_found', 'ops'],
    ['404 code 2031', http(404, 2031), 'needs_human', 'section_not_found', 'ops'],
    ['404 without code', http(404), 'needs_human', 'not_found', 'ops'],
    ['404 other code', http(404, 3), 'needs_human', 'not_found', 'ops'],
    ['refresh token rejected (400)', { kind: 'token_refresh_failed', status: 400 }, 'needs_human', 'reauthorization_required', 'ops'],
    ['refresh token rejected (401)', { kind: 'token_refresh_failed', status: 401 }, 'needs_human', 'reauthorization_required', 'ops'],
    ['refresh token rejected (403)', { kind: 'token_refresh_failed', status: 403 }, 'needs_human', 'reauthorization_required', 'ops'],
    ['no usable refresh token', { kind: 'token_refresh_failed', status: null }, 'needs_human', 'reauthorization_required', 'ops'],
    [
      'refresh needed, app credentials still the placeholder',
      { kind: 'app_credentials_missing' },
      'needs_human',
      'app_credentials_missing',
      'ops',
    ],
    // stop
    ['400 code 1 (invalid URL)', http(400, 1), 'stop', 'invalid_request', 'client'],
    ['400 without code', http(400), 'stop', 'invalid_request', 'client'],
    ['403 code 233', http(403, 233), 'stop', 'image_too_small', 'client'],
    ['403 code 235', http(403, 235), 'stop', 'broken_image', 'client'],
    ['405', http(405), 'stop', 'rejected', 'client'],
    ['409', http(409), 'stop', 'rejected', 'client'],
    ['413', http(413), 'stop', 'rejected', 'client'],
    ['415', http(415), 'stop', 'rejected', 'client'],
    ['422', http(422), 'stop', 'rejected', 'client'],
    ['499', http(499), 'stop', 'rejected', 'client'],
    // unknown: Pinterest accepted the create (or the listing) but the body is unreadable; a crash that may have sent
    ['bad 2xx body on the create', { kind: 'bad_response', operation: 'create_pin' }, 'unknown', 'unreadable_response', null],
    ['bad 2xx body on a board listing', { kind: 'bad_response', operation: 'list_board_pins' }, 'unknown', 'unreadable_response', null],
    [
      'crash after the create may have left',
      { kind: 'crash', phase: 'after_send', retriesLeft: true },
      'unknown',
      'handler_exception',
      null,
    ],
    ['crash before any create', { kind: 'crash', phase: 'before_send', retriesLeft: true }, 'retry_now', 'handler_exception', null],
    // needs_human after verification
    [
      'pin not on the board after the unknown budget',
      { kind: 'verification', result: 'not_found', unknowns: 3 },
      'needs_human',
      'outcome_unknown',
      'ops',
    ],
    [
      'several unowned pins match',
      { kind: 'verification', result: 'ambiguous', candidatePinIds: ['1', '2'] },
      'needs_human',
      'verification_ambiguous',
      'ops',
    ],
    // bug
    ['bad 2xx body on a token refresh', { kind: 'bad_response', operation: 'refresh_token' }, 'bug', 'unexpected_response', 'engineering'],
    [
      'handler exception, crash budget spent',
      { kind: 'crash', phase: 'before_send', retriesLeft: false },
      'bug',
      'handler_exception',
      'engineering',
    ],
    ['handler exception without context', { kind: 'crash' }, 'bug', 'handler_exception', 'engineering'],
    ['301', http(301), 'bug', 'unexpected_response', 'engineering'],
    ['307', http(307), 'bug', 'unexpected_response', 'engineering'],
    ['200 passed as a failure', http(200), 'bug', 'unexpected_response', 'engineering'],
    ['1xx', http(100), 'bug', 'unexpected_response', 'engineering'],
    ['600', http(600), 'bug', 'unexpected_response', 'engineering'],
    ['status 0 (opaque)', http(0), 'bug', 'unexpected_response', 'engineering'],
    ['non-integer status', http(404.5), 'bug', 'unexpected_response', 'engineering'],
  ];

  it.each(rows)('%s ⇒ %s / %s', (_what, input, outcome, reason, route) => {
    // Act
    const result = classifyAttempt(input);

    // Assess
    expect(result).toMatchObject({ outcome, reason, route });
    expect(OUTCOMES).toContain(result.outcome);
    expect(result.reason).toMatch(/^[a-z]+(_[a-z]+)*$/);
    if (outcome === 'needs_human' || outcome === 'stop' || outcome === 'bug') {
      expect(result.route).not.toBeNull();
      expect(result.remediation).toMatch(/^[A-Z].*\.$/);
    } else {
      expect(result.route).toBeNull();
      expect(result.remediation).toBeNull();
    }
    expect(result.refreshToken).toBeUndefined();
  });
});

describe('classifyAttempt: 401', () => {
  it('asks the caller to refresh the token once and retry at once', () => {
    expect(classifyAttempt(http(401))).toEqual({
      outcome: 'retry_now',
      reason: 'unauthorized',
      route: null,
      retryAfterSeconds: null,
      remediation: null,
      refreshToken: true,
    });
  });

  it('needs a human when the token was refreshed just before and Pinterest still says 401', () => {
    // Act
    const result = classifyAttempt(http(401, 2), { afterRefresh: true, accountId: 'acme-main' });

    // Assess
    expect(result).toMatchObject({ outcome: 'needs_human', reason: 'reauthorization_required', route: 'ops' });
    expect(result.refreshToken).toBeUndefined();
    expect(result.remediation).toContain('acme-main');
  });
});

describe('classifyAttempt: Retry-After', () => {
  it.each([
    ['429 with Retry-After', http(429, 8, 120), 120],
    ['429 without Retry-After', http(429, 8, null), null],
    ['503 with Retry-After', http(503, null, 30), 30],
    ['Retry-After on a 404 is dropped', http(404, 40, 30), null],
    ['Retry-After on a 400 is dropped', http(400, 1, 30), null],
  ] as const)('%s ⇒ %s', (_what, input, expected) => {
    expect(classifyAttempt(input).retryAfterSeconds).toBe(expected);
  });
});

describe('classifyAttempt: remediation names what ops must check', () => {
  it.each([
    [
      'board not found',
      http(404, 40),
      { boardId: '549755885175', accountId: 'acme-main' },
      ['Board 549755885175', 'account acme-main', 'requeue'],
    ],
    ['section not found', http(404, 2031), { boardId: '549755885175', boardSectionId: '77' }, ['Section 77', 'board 549755885175']],
    ['trial app', http(403, 29), { accountId: 'acme-main' }, ['account acme-main', 'sandbox']],
    ['forbidden', http(403), { accountId: 'acme-main', boardId: '1' }, ['account acme-main', 'board 1', 'reconnect']],
    [
      'dead refresh token',
      { kind: 'token_refresh_failed', status: 400 } as const,
      { accountId: 'acme-main' },
      ['account acme-main', 'reconnect'],
    ],
    ['bad 2xx body on a token refresh', { kind: 'bad_response', operation: 'refresh_token' } as const, {}, ['engineering', 'reconnecting']],
    [
      'ambiguous verification',
      { kind: 'verification', result: 'ambiguous', candidatePinIds: ['11', '12'] } as const,
      { boardId: '1' },
      ['11, 12', 'duplicate'],
    ],
    ['crash budget spent', { kind: 'crash', retriesLeft: false } as const, {}, ['check the board']],
    ['board not found, no context', http(404, 40), {}, ['The board was not found for this account']],
    [
      'token endpoint 401: maybe the client credentials',
      { kind: 'token_refresh_failed', status: 401 } as const,
      {},
      ['reconnect', 'client id and secret'],
    ],
    [
      'placeholder app credentials: store them, the account is fine',
      { kind: 'app_credentials_missing' } as const,
      { accountId: 'acme-main' },
      ['account acme-main', 'put-secret-value', 'docs/deploy.md', 'needs no reconnecting'],
    ],
  ] as const)('%s', (_what, input, context, fragments) => {
    // Act
    const { remediation } = classifyAttempt(input, context);

    // Assess
    for (const fragment of fragments) expect(remediation).toContain(fragment);
  });
});

describe('refreshTokenRefused: what a failed token refresh means for the account (the token provider asks)', () => {
  it.each([
    [400, true],
    [401, true],
    [403, true],
    [404, true],
    [302, true], // an answer that is no refusal to retry: the tokens cannot be refreshed as they are
    [null, true], // no refresh possible at all
    [429, false],
    [500, false],
    [503, false],
    [599, false],
  ] as const)('status %s ⇒ refused: %s', (status, refused) => {
    // Act
    const result = refreshTokenRefused({ kind: 'token_refresh_failed', status });

    // Assess: the provider's verdict and the job's outcome never disagree
    expect(result).toBe(refused);
    expect(classifyAttempt({ kind: 'token_refresh_failed', status }).outcome).toBe(
      refused ? 'needs_human' : status === 429 ? 'retry_later' : 'retry_now',
    );
  });
});

describe('requiresReauthorization: the outcomes that mark the account for reconnecting', () => {
  it.each([
    ['a dead refresh token', classifyAttempt({ kind: 'token_refresh_failed', status: 400 }), true],
    ['a second 401 right after a refresh', classifyAttempt(http(401), { afterRefresh: true }), true],
    ['a first 401 (refresh and retry)', classifyAttempt(http(401)), false],
    ['placeholder app credentials (the account is fine)', classifyAttempt({ kind: 'app_credentials_missing' }), false],
    ['a forbidden board', classifyAttempt(http(403)), false],
    ['a success', null, false],
  ] as const)('%s ⇒ %s', (_what, classification, expected) => {
    expect(requiresReauthorization(classification)).toBe(expected);
  });
});
