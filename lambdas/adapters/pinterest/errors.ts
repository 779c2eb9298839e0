import type { AttemptInput } from '../../domain/classify.ts';
import { PinterestError, type PinterestOperation } from '../../use-cases/ports.ts';
import { httpAttempt, responseAttempt, transportAttempt } from './attempt-input.ts';
import type { SendPhase } from './send-phase.ts';

/**
 * One typed error per way a Pinterest call fails, each a PinterestError of the port:
 * - `PinterestHttpError`: Pinterest (or something in front of it) answered with a non-2xx status;
 * - `PinterestTransportError`: no answer. `phase` says whether the request provably never left
 *   (`before_send`: safe to resend) or may have reached Pinterest (`after_send`: the outcome is unknown);
 * - `PinterestResponseError`: a 2xx whose body is not what the API promises.
 *
 * Secrets (access, refresh and client credentials) never appear in an error's message, stack, body or
 * cause: the client redacts everything that could echo them before it builds the error (redact.ts).
 */

export class PinterestHttpError extends PinterestError {
  constructor(
    operation: PinterestOperation,
    readonly status: number,
    /** Pinterest's numeric error code, when the body carried one. */
    readonly code: number | null,
    message: string,
    readonly retryAfterSeconds: number | null,
    /** The parsed JSON body (or its text, shortened), secrets redacted; null when unreadable. */
    readonly body: unknown,
  ) {
    super(operation, message);
  }

  get attempt(): AttemptInput {
    return httpAttempt(this.operation, this.status, this.code, this.retryAfterSeconds);
  }
}

export class PinterestTransportError extends PinterestError {
  /** The underlying error (redacted copy if it mentioned a secret). */
  declare readonly cause: unknown;

  constructor(
    operation: PinterestOperation,
    readonly phase: SendPhase,
    message: string,
    cause: unknown,
  ) {
    super(operation, message, { cause });
  }

  get attempt(): AttemptInput {
    return transportAttempt(this.operation, this.phase);
  }
}

export class PinterestResponseError extends PinterestError {
  constructor(
    operation: PinterestOperation,
    readonly status: number,
    message: string,
    /** The parsed body, secrets redacted; null for token responses (they carry tokens). */
    readonly body: unknown,
  ) {
    super(operation, message);
  }

  get attempt(): AttemptInput {
    return responseAttempt(this.operation);
  }
}
