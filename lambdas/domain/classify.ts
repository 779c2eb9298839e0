/**
 * Attempt classification: every attempt to publish a pin ends in exactly one outcome class,
 * decided here and nowhere else. Pure: the Pinterest adapter reports what happened on the wire as an
 * `AttemptInput` (lambdas/adapters/pinterest/attempt-input.ts); this module decides what that means for
 * the job, and for the account's tokens (`refreshTokenRefused`: the token provider asks, never decides).
 *
 * | input                                         | outcome       | reason                     | route       |
 * |-----------------------------------------------|---------------|----------------------------|-------------|
 * | http 429, or any status with Pinterest code 8 | retry_later   | rate_limited               | –           |
 * | http 5xx                                      | retry_now     | server_error               | –           |
 * | http 408 (request never fully received)       | retry_now     | request_timeout            | –           |
 * | http 401                                      | retry_now + refreshToken | unauthorized    | –           |
 * | http 401 again right after a refresh          | needs_human   | reauthorization_required   | ops         |
 * | http 403 code 233 / 235                       | stop          | image_too_small / broken_image | client  |
 * | http 403 code 29                              | needs_human   | trial_app_forbidden        | ops         |
 * | http 403 any other code                       | needs_human   | forbidden                  | ops         |
 * | http 404 code 40 / 2031 / any other           | needs_human   | board_not_found / section_not_found / not_found | ops |
 * | http 400                                      | stop          | invalid_request            | client      |
 * | http other 4xx (405, 409, 413, 415, 422, …)   | stop          | rejected                   | client      |
 * | http 1xx/2xx/3xx/unparseable status           | bug           | unexpected_response        | engineering |
 * | transport before_send                         | retry_now     | network_error              | –           |
 * | transport after_send                          | unknown       | timeout_or_dropped         | –           |
 * | bad_response from the create (2xx, not a Pin) | unknown       | unreadable_response        | –           |
 * | bad_response from a board listing             | unknown       | unreadable_response        | –           |
 * | bad_response from the token endpoint          | bug           | unexpected_response        | engineering |
 * | token_refresh_failed, status 429              | retry_later   | rate_limited               | –           |
 * | token_refresh_failed, status 5xx              | retry_now     | server_error               | –           |
 * | token_refresh_failed, other status or null    | needs_human   | reauthorization_required   | ops         |
 * | app_credentials_missing (refresh needed)      | needs_human   | app_credentials_missing    | ops         |
 * | token_store_unavailable (Secrets Manager down)| retry_later   | token_store_unavailable    | –           |
 * | deadline (invocation ends before the create)  | retry_now     | worker_deadline            | –           |
 * | crash before any create left the process      | retry_now     | handler_exception          | –           |
 * | crash after a create may have left            | unknown       | handler_exception          | –           |
 * | crash with the run's crash budget spent (1)   | bug           | handler_exception          | engineering |
 * | verification: pin not on the board after the unknown budget | needs_human | outcome_unknown | ops        |
 * | verification: several candidates, none owned by another job | needs_human | verification_ambiguous | ops |
 *
 * (1) When a create may have left the process (this attempt's or an earlier unknown one's), the crash that
 * spends the budget leaves one last attempt that only checks the board: the pin there is a success, no pin
 * fails the job as above without a new create (outcome.ts `crashBudgetSpentOutcome`).
 *
 * Code 8 is checked before the status: Pinterest uses it for "too many writes to one object" too, which
 * is "slow down", whatever status carries it.
 */

export type OutcomeClass = 'retry_now' | 'retry_later' | 'unknown' | 'needs_human' | 'stop' | 'bug';
export type FailureRoute = 'ops' | 'client' | 'engineering';

/** Pinterest error codes that change the decision (Pinterest API v5 error codes). */
export const PINTEREST_CODE = {
  rateLimited: 8,
  notPermitted: 29,
  boardNotFound: 40,
  imageTooSmall: 233,
  brokenImage: 235,
  sectionNotFound: 2031,
} as const;

export type AttemptInput =
  /** Pinterest answered with a status that is not success. */
  | { readonly kind: 'http'; readonly status: number; readonly code: number | null; readonly retryAfterSeconds: number | null }
  /**
   * The request failed in transit. `before_send`: provably never left (connection refused, DNS, TLS, …).
   * `after_send`: it may have reached Pinterest (timeout, connection dropped). A transport failure while
   * refreshing the token is `before_send` with respect to the pin: no create request was sent.
   */
  | { readonly kind: 'transport'; readonly phase: 'before_send' | 'after_send' }
  /**
   * Pinterest answered 2xx but the body is not what the API promises. For a create that means Pinterest
   * accepted it: the pin probably exists, so the outcome is unknown (verify on the board, never re-create blind).
   */
  | { readonly kind: 'bad_response'; readonly operation: 'create_pin' | 'list_board_pins' | 'refresh_token' }
  /**
   * The access token could not be refreshed. `status` is the token endpoint's answer, or null when no
   * refresh was possible at all (no refresh token stored, or it is past its expiry).
   */
  | { readonly kind: 'token_refresh_failed'; readonly status: number | null }
  /**
   * A refresh was needed but the Pinterest app credentials are still the deploy-time placeholder: the
   * deployment is incomplete and the account is not to blame (it must not be marked for reconnection).
   */
  | { readonly kind: 'app_credentials_missing' }
  /**
   * The account's tokens could not be read from their store for now (throttled, a 5xx, a timeout). Nothing
   * was sent to Pinterest and nothing is wrong with the job or the account: it waits like a rate limit
   * (patient backoff, the larger cap) instead of spending the run's crash budget.
   */
  | { readonly kind: 'token_store_unavailable' }
  /**
   * The worker stopped before sending the create: too little of its invocation was left to see an answer.
   * Nothing left the process, so it is a clean retry, never an unknown outcome.
   */
  | { readonly kind: 'deadline' }
  /**
   * The handler threw something that is not a Pinterest error (a bug, a secret that cannot be read, …), or
   * the worker died mid-attempt. `phase`: whether a create may have left the process. `retriesLeft`: the
   * run's crash budget is not spent (the caller counts crashes); without it a crash fails the job.
   */
  | { readonly kind: 'crash'; readonly phase?: 'before_send' | 'after_send'; readonly retriesLeft?: boolean }
  /**
   * What the board listing showed for an earlier unknown outcome, when it settles nothing by itself:
   * `not_found` once the unknown budget is spent; `ambiguous` when several pins match and none can be ruled out.
   */
  | { readonly kind: 'verification'; readonly result: 'not_found'; readonly unknowns: number }
  | { readonly kind: 'verification'; readonly result: 'ambiguous'; readonly candidatePinIds: readonly string[] };

export interface ClassifyContext {
  readonly boardId?: string;
  readonly boardSectionId?: string;
  readonly accountId?: string;
  /** The access token was refreshed just before this attempt: another 401 means it is not the token's age. */
  readonly afterRefresh?: boolean;
}

export interface Classification {
  readonly outcome: OutcomeClass;
  /** snake_case, stable: dashboards, alarms and job.failure.reason use it. */
  readonly reason: string;
  /** Who must act when the job fails; null while automation still owns the job. */
  readonly route: FailureRoute | null;
  /** Pinterest's Retry-After, when it sent one for a retryable answer: the floor of the next delay. */
  readonly retryAfterSeconds: number | null;
  /** One sentence an ops person can act on (needs_human, stop, bug); null otherwise. */
  readonly remediation: string | null;
  /** 401: refresh the access token once, then retry at once. */
  readonly refreshToken?: boolean;
}

export function classifyAttempt(input: AttemptInput, context: ClassifyContext = {}): Classification {
  switch (input.kind) {
    case 'http':
      return classifyHttp(input.status, input.code, input.retryAfterSeconds, context);
    case 'transport':
      return input.phase === 'before_send' ? retry('retry_now', 'network_error') : retry('unknown', 'timeout_or_dropped');
    case 'bad_response':
      if (input.operation !== 'refresh_token') return retry('unknown', 'unreadable_response');
      return failure(
        'bug',
        'unexpected_response',
        'engineering',
        'Pinterest answered the token refresh with success but an unexpected body: report the response to engineering; the account may need reconnecting.',
      );
    case 'token_refresh_failed':
      return classifyRefreshFailure(input.status, context);
    case 'deadline':
      return retry('retry_now', 'worker_deadline');
    case 'token_store_unavailable':
      return retry('retry_later', 'token_store_unavailable');
    case 'app_credentials_missing':
      return failure(
        'needs_human',
        'app_credentials_missing',
        'ops',
        `The access token of ${context.accountId ? `account ${context.accountId}` : 'this account'} needs a refresh, but pinrelay's Pinterest app credentials were never stored (the secret still holds its placeholder): ` +
          'store the app client id and secret in the Pinterest app credentials secret (aws secretsmanager put-secret-value, see docs/deploy.md), then requeue the job; the account itself needs no reconnecting.',
      );
    case 'crash':
      if (input.retriesLeft) return retry(input.phase === 'before_send' ? 'retry_now' : 'unknown', 'handler_exception');
      return failure(
        'bug',
        'handler_exception',
        'engineering',
        'The worker failed unexpectedly (see the logs for this job id); engineering must fix the cause, then check the board for the pin before requeueing.',
      );
    case 'verification':
      return classifyVerification(input, context);
  }
}

/** The attempt's outcome makes the account's connection dead: only its owner reconnecting it helps. */
export function requiresReauthorization(classification: Classification | null): boolean {
  return classification?.reason === 'reauthorization_required';
}

/**
 * Whether a failed token refresh means the refresh token is dead (refused: only a reconnect helps) rather
 * than a refresh worth trying again later. The token provider asks this instead of reading statuses
 * itself, so its handling and the job's outcome never disagree.
 */
export function refreshTokenRefused(input: Extract<AttemptInput, { kind: 'token_refresh_failed' }>): boolean {
  return requiresReauthorization(classifyAttempt(input));
}

function classifyVerification(input: Extract<AttemptInput, { kind: 'verification' }>, context: ClassifyContext): Classification {
  const board = context.boardId ? `board ${context.boardId}` : 'the board';
  if (input.result === 'not_found') {
    return failure(
      'needs_human',
      'outcome_unknown',
      'ops',
      `The pin was not found on ${board} after ${input.unknowns} unanswered creates: check Pinterest's status, then requeue the job to publish it.`,
    );
  }
  return failure(
    'needs_human',
    'verification_ambiguous',
    'ops',
    `Several pins on Pinterest match this job and none is recorded by another job (${input.candidatePinIds.join(', ')}): ` +
      'keep the one that belongs to this job, delete any duplicate, and do not requeue unless none of them is it.',
  );
}

function classifyHttp(status: number, code: number | null, retryAfterSeconds: number | null, context: ClassifyContext): Classification {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    return failure(
      'bug',
      'unexpected_response',
      'engineering',
      `Pinterest answered with an unexpected HTTP status ${status}, so the outcome is unclear: check the board for the pin before requeueing, and report it to engineering.`,
    );
  }
  if (status === 429 || code === PINTEREST_CODE.rateLimited) return retry('retry_later', 'rate_limited', retryAfterSeconds);
  if (status >= 500) return retry('retry_now', 'server_error', retryAfterSeconds);
  // 408: the server gave up waiting for our request before it was complete, so nothing was created.
  if (status === 408) return retry('retry_now', 'request_timeout', retryAfterSeconds);
  const board = context.boardId ? `board ${context.boardId}` : 'the board';
  const account = context.accountId ? `account ${context.accountId}` : 'this account';
  switch (status) {
    case 401:
      if (context.afterRefresh) return reauthorize(account);
      return { ...retry('retry_now', 'unauthorized'), refreshToken: true };
    case 403:
      if (code === PINTEREST_CODE.imageTooSmall) {
        return failure(
          'stop',
          'image_too_small',
          'client',
          'Pinterest rejected the image as too small: submit a larger image, then requeue the job.',
        );
      }
      if (code === PINTEREST_CODE.brokenImage) {
        return failure(
          'stop',
          'broken_image',
          'client',
          'Pinterest could not fetch or decode the image: make sure the media URL is publicly reachable and serves a valid JPEG or PNG, then requeue the job.',
        );
      }
      if (code === PINTEREST_CODE.notPermitted) {
        return failure(
          'needs_human',
          'trial_app_forbidden',
          'ops',
          `Pinterest does not let this app create pins for ${account} (trial apps may only publish to the sandbox): get the app upgraded to standard access or point pinrelay at the sandbox, then requeue the job.`,
        );
      }
      return failure(
        'needs_human',
        'forbidden',
        'ops',
        `Pinterest refused the request for ${account}: check that the account granted the pins:write and boards:write scopes and may write to ${board}, reconnect it if needed, then requeue the job.`,
      );
    case 404:
      if (code === PINTEREST_CODE.sectionNotFound) {
        const section = context.boardSectionId ? `Section ${context.boardSectionId}` : 'The board section';
        return failure(
          'needs_human',
          'section_not_found',
          'ops',
          `${section} was not found on ${board}: check board_section_id (or drop it) and requeue the job.`,
        );
      }
      if (code === PINTEREST_CODE.boardNotFound) {
        return failure(
          'needs_human',
          'board_not_found',
          'ops',
          `${capitalize(board)} was not found for ${account}: check board_id or reconnect the account that owns it, then requeue the job.`,
        );
      }
      return failure(
        'needs_human',
        'not_found',
        'ops',
        `Pinterest could not find something the pin refers to (board, section or parent pin) for ${account}: check board_id, board_section_id and parent_pin_id, then requeue the job.`,
      );
    case 400:
      return failure(
        'stop',
        'invalid_request',
        'client',
        'Pinterest rejected the pin as invalid (see the error message): correct the pin fields, then requeue the job with them.',
      );
    default:
      return failure(
        'stop',
        'rejected',
        'client',
        `Pinterest rejected the request with HTTP ${status} (see the error message): correct the pin, then requeue the job.`,
      );
  }
}

function classifyRefreshFailure(status: number | null, context: ClassifyContext): Classification {
  if (status === 429) return retry('retry_later', 'rate_limited');
  if (status !== null && status >= 500 && status <= 599) return retry('retry_now', 'server_error');
  const dead = reauthorize(context.accountId ? `account ${context.accountId}` : 'this account');
  if (status !== 401) return dead;
  // The token endpoint answers 401 to bad client credentials too: that one is a deployment problem.
  return {
    ...dead,
    remediation: `${dead.remediation} If every account fails like this, check pinrelay's Pinterest client id and secret instead.`,
  };
}

function reauthorize(account: string): Classification {
  return failure(
    'needs_human',
    'reauthorization_required',
    'ops',
    `Pinterest no longer accepts the tokens of ${account}: have the account owner reconnect it (PUT /v1/accounts/{account_id} with fresh tokens), then requeue the job.`,
  );
}

function retry(outcome: 'retry_now' | 'retry_later' | 'unknown', reason: string, retryAfterSeconds: number | null = null): Classification {
  return { outcome, reason, route: null, retryAfterSeconds, remediation: null };
}

function failure(outcome: 'needs_human' | 'stop' | 'bug', reason: string, route: FailureRoute, remediation: string): Classification {
  return { outcome, reason, route, retryAfterSeconds: null, remediation };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
