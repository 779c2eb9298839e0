import type { Limiter } from './types.ts';

/** Error bodies as Pinterest's OpenAPI description gives them (pins/create, pins/save, boards/*). */
export const ERRORS = {
  authentication: { status: 401, code: 2, message: 'Authentication failed.' },
  invalidUrl: {
    status: 400,
    code: 1,
    message: 'Whoops! It looks like you entered an invalid URL. Try creating a Pin again with a valid URL.',
  },
  forbidden: { status: 403, code: 29, message: 'You are not permitted to access that resource.' },
  imageTooSmall: { status: 403, code: 233, message: 'Your image is too small. Please choose a larger image and try again.' },
  brokenImage: { status: 403, code: 235, message: 'Sorry, this image is broken. Please pick a different image.' },
  boardNotFound: { status: 404, code: 40, message: 'Board not found.' },
  sectionNotFound: { status: 404, code: 2031, message: "Sorry! We couldn't find this board section." },
  pinNotFound: { status: 404, code: 50, message: 'Pin not found.' },
  rateLimited: {
    status: 429,
    code: 8,
    message:
      'This request exceeded a rate limit. This can happen if the client exceeds one of the published rate limits ' +
      'or if multiple write operations are applied to an object within a short time window.',
  },
  // Reported by Pinterest's own SDK issue tracker for a bad refresh token (the status is our choice, see docs).
  invalidGrant: { status: 400, code: 283, message: 'The authorization grant is invalid' },
  // Not documented; shape kept, code is the HTTP status.
  noSuchMethod: { status: 404, code: 404, message: 'API method not found.' },
} as const;

export const STATUS_MESSAGES: Record<number, string> = {
  500: 'Internal server error.',
  502: 'Bad gateway.',
  503: 'Service unavailable. Please try again later.',
  504: 'Gateway timeout.',
};

/** An answer in Pinterest's `{"code", "message"}` shape; the endpoints throw it and the server sends it. */
export class PinterestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Set on a rate limiter's refusal. */
    readonly limiter?: Limiter,
  ) {
    super(message);
  }

  static of(spec: { status: number; code: number; message: string }, message: string = spec.message): PinterestError {
    return new PinterestError(spec.status, spec.code, message);
  }
}

export const invalidParameter = (message: string) => new PinterestError(400, 1, `Invalid parameters: ${message}`);
