import type { AttemptInput } from '../../domain/classify.ts';
import { PinterestError, type PinterestOperation } from '../../use-cases/ports.ts';
import type { SendPhase } from './send-phase.ts';

/**
 * The classifier's input for each way a Pinterest call fails (mapped once, here; each error of errors.ts
 * exposes it as `attempt`, as the port promises):
 * - token endpoint: an HTTP answer is `token_refresh_failed`; a transport failure is `before_send`
 *   with respect to the pin (no create was sent).
 * - board listing (verification of an unknown outcome): a transport failure stays `after_send`, so the
 *   outcome stays unknown and the next attempt verifies again before any create.
 * - a 2xx whose body is not what the API promises is a `bad_response` of its operation.
 */

export function httpAttempt(
  operation: PinterestOperation,
  status: number,
  code: number | null,
  retryAfterSeconds: number | null,
): AttemptInput {
  if (operation === 'refresh_token') return { kind: 'token_refresh_failed', status };
  return { kind: 'http', status, code, retryAfterSeconds };
}

export function transportAttempt(operation: PinterestOperation, phase: SendPhase): AttemptInput {
  if (operation === 'refresh_token') return { kind: 'transport', phase: 'before_send' };
  if (operation === 'list_board_pins') return { kind: 'transport', phase: 'after_send' };
  return { kind: 'transport', phase };
}

export function responseAttempt(operation: PinterestOperation): AttemptInput {
  return { kind: 'bad_response', operation };
}

/** Any error thrown while working on a pin: a PinterestError's input; anything else is a crash. */
export function attemptInputOf(error: unknown): AttemptInput {
  return error instanceof PinterestError ? error.attempt : { kind: 'crash' };
}
