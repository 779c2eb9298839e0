import type { ErrorCode } from '../api/schemas.ts';
import { Conflict, DomainError, IdempotencyKeyReused, InvalidInput, NotFound, type ErrorDetail } from '../domain/errors.ts';

/**
 * Errors as the HTTP API answers them. The domain's errors (lambdas/domain/errors.ts) know nothing of
 * HTTP; the ones below are the HTTP layer's own (a request that cannot even be read as one). Both are
 * turned into a status, an error code and the envelope here, in one table, and nowhere else.
 */

/** A request the HTTP layer refuses before any use case sees it. */
export abstract class HttpRequestError extends Error {
  readonly details: readonly ErrorDetail[];

  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** A header, the path, the query string or the body breaks the API contract (its schema says where). */
export class InvalidRequestError extends HttpRequestError {}

export class UnauthorizedError extends HttpRequestError {}

export class PayloadTooLargeError extends HttpRequestError {}

export class UnsupportedMediaTypeError extends HttpRequestError {}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The codes of a refusal: every error code but `internal`, which only an unexpected error gets. */
export type RefusalCode = Exclude<ErrorCode, 'internal'>;

interface HttpErrorRule {
  readonly status: number;
  readonly code: RefusalCode;
  /** What the caller is told to do, when the HTTP layer knows more than the domain error says (a header's name). */
  readonly details?: (error: Error) => readonly ErrorDetail[];
}

/** Every refusal the API answers with, first match wins: the domain's families, then the HTTP layer's own. */
const HTTP_ERRORS: ReadonlyArray<readonly [ErrorClass, HttpErrorRule]> = [
  [InvalidInput, { status: 400, code: 'validation_error' }],
  [NotFound, { status: 404, code: 'not_found' }],
  [Conflict, { status: 409, code: 'conflict' }],
  [
    IdempotencyKeyReused,
    {
      status: 422,
      code: 'idempotency_key_reused',
      details: () => [{ path: 'headers.idempotency-key', message: 'use a new key for a different pin, or resend the original body' }],
    },
  ],
  [InvalidRequestError, { status: 400, code: 'validation_error' }],
  [UnauthorizedError, { status: 401, code: 'unauthorized' }],
  [PayloadTooLargeError, { status: 413, code: 'payload_too_large' }],
  [UnsupportedMediaTypeError, { status: 415, code: 'unsupported_media_type' }],
];

/** A refusal as the API answers it: status, and the envelope's `error`. */
export interface HttpRefusal {
  readonly status: number;
  readonly error: { readonly code: RefusalCode; readonly message: string; readonly details?: readonly ErrorDetail[] };
}

/** The answer for a typed error (a refusal the caller can act on), or null for anything else (a 500). */
export function refusalOf(error: unknown): HttpRefusal | null {
  if (!(error instanceof Error)) return null;
  const rule = HTTP_ERRORS.find(([type]) => error instanceof type)?.[1];
  if (!rule) return null;
  const details = rule.details?.(error) ?? (error instanceof DomainError || error instanceof HttpRequestError ? error.details : []);
  return { status: rule.status, error: { code: rule.code, message: error.message, ...(details.length > 0 ? { details } : {}) } };
}
