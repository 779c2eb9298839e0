import { describe, expect, it } from 'vitest';
import { attemptInputOf } from '../../../../lambdas/adapters/pinterest/attempt-input.ts';
import { PinterestHttpError, PinterestResponseError, PinterestTransportError } from '../../../../lambdas/adapters/pinterest/errors.ts';
import { classifyAttempt } from '../../../../lambdas/domain/classify.ts';

describe('attemptInputOf: errors mapped once to the classifier', () => {
  const http = (operation: 'create_pin' | 'list_board_pins' | 'refresh_token', status: number, code: number | null = null) =>
    new PinterestHttpError(operation, status, code, 'm', status === 429 ? 60 : null, null);
  const transport = (operation: 'create_pin' | 'list_board_pins' | 'refresh_token', phase: 'before_send' | 'after_send') =>
    new PinterestTransportError(operation, phase, 'm', new Error('x'));

  it.each([
    ['create 404/40', http('create_pin', 404, 40), { kind: 'http', status: 404, code: 40, retryAfterSeconds: null }, 'needs_human'],
    ['create 429', http('create_pin', 429, 8), { kind: 'http', status: 429, code: 8, retryAfterSeconds: 60 }, 'retry_later'],
    ['list 500', http('list_board_pins', 500), { kind: 'http', status: 500, code: null, retryAfterSeconds: null }, 'retry_now'],
    ['create before_send', transport('create_pin', 'before_send'), { kind: 'transport', phase: 'before_send' }, 'retry_now'],
    ['create after_send', transport('create_pin', 'after_send'), { kind: 'transport', phase: 'after_send' }, 'unknown'],
    [
      'list before_send stays unknown: verify again before any create',
      transport('list_board_pins', 'before_send'),
      { kind: 'transport', phase: 'after_send' },
      'unknown',
    ],
    ['refresh 400', http('refresh_token', 400), { kind: 'token_refresh_failed', status: 400 }, 'needs_human'],
    ['refresh 503', http('refresh_token', 503), { kind: 'token_refresh_failed', status: 503 }, 'retry_now'],
    [
      'refresh after_send: no pin was sent',
      transport('refresh_token', 'after_send'),
      { kind: 'transport', phase: 'before_send' },
      'retry_now',
    ],
    [
      'a bad 2xx on a create: Pinterest accepted it, verify',
      new PinterestResponseError('create_pin', 201, 'm', null),
      { kind: 'bad_response', operation: 'create_pin' },
      'unknown',
    ],
    [
      'a bad 2xx on a listing: verification inconclusive',
      new PinterestResponseError('list_board_pins', 200, 'm', null),
      { kind: 'bad_response', operation: 'list_board_pins' },
      'unknown',
    ],
    [
      'a bad 2xx on a refresh',
      new PinterestResponseError('refresh_token', 200, 'm', null),
      { kind: 'bad_response', operation: 'refresh_token' },
      'bug',
    ],
    ['anything else', new RangeError('oops'), { kind: 'crash' }, 'bug'],
    ['a thrown string', 'oops', { kind: 'crash' }, 'bug'],
  ] as const)('%s', (_what, error, input, outcome) => {
    expect(attemptInputOf(error)).toEqual(input);
    expect(classifyAttempt(attemptInputOf(error)).outcome).toBe(outcome);
  });
});
