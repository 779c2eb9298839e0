/**
 * Typed errors, mapped once to HTTP in lambdas/common/http.ts. Domain and use-case code throws these;
 * nothing else decides a status code.
 */

export type ErrorCode =
  | 'validation_error'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'idempotency_key_reused'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal';

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export abstract class ApiError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly statusCode: number;
  readonly details: readonly ErrorDetail[];

  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class ValidationError extends ApiError {
  readonly code = 'validation_error';
  readonly statusCode = 400;
}

export class UnauthorizedError extends ApiError {
  readonly code = 'unauthorized';
  readonly statusCode = 401;
}

export class NotFoundError extends ApiError {
  readonly code = 'not_found';
  readonly statusCode = 404;
}

export class ConflictError extends ApiError {
  readonly code = 'conflict';
  readonly statusCode = 409;
}

export class IdempotencyKeyReusedError extends ApiError {
  readonly code = 'idempotency_key_reused';
  readonly statusCode = 422;
}

export class PayloadTooLargeError extends ApiError {
  readonly code = 'payload_too_large';
  readonly statusCode = 413;
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly code = 'unsupported_media_type';
  readonly statusCode = 415;
}

/** Configuration that is missing or malformed: a deployment bug, never the caller's fault. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
