import type { PinterestApi } from '../use-cases/ports.ts';
import { PinterestHttpError } from './pinterest/errors.ts';

/** One Pinterest request as the worker saw it: how long it took and, if refused, with what. */
export interface PinterestCall {
  readonly call: 'create_pin' | 'list_board_pins';
  readonly durationMs: number;
  /** The HTTP status of a refusal; null when it answered 2xx or did not answer at all. */
  readonly status: number | null;
  /** A refusal carried Retry-After (429s). */
  readonly retryAfter: boolean;
}

/**
 * The worker's Pinterest client, reporting each create and board listing to `onCall` once it settles
 * (answered, refused or failed) — the handler turns reports into metrics. Behaviour is unchanged: the
 * same results and the same errors reach the caller. A failing `onCall` is ignored. Token refreshes go
 * through the token provider, which reports them itself.
 */
export function observedPinterest(
  api: PinterestApi,
  onCall: (call: PinterestCall) => void,
  now: () => number = () => performance.now(),
): PinterestApi {
  async function timed<T>(call: PinterestCall['call'], request: () => Promise<T>): Promise<T> {
    const started = now();
    const report = (error: unknown) => {
      const refused = error instanceof PinterestHttpError ? error : null;
      try {
        onCall({
          call,
          durationMs: Math.max(0, now() - started),
          status: refused?.status ?? null,
          retryAfter: refused?.retryAfterSeconds != null,
        });
      } catch {
        // Observing must never change an attempt's outcome.
      }
    };
    try {
      const result = await request();
      report(null);
      return result;
    } catch (error) {
      report(error);
      throw error;
    }
  }
  return {
    createPin: (accessToken, pin) => timed('create_pin', () => api.createPin(accessToken, pin)),
    listBoardPins: (accessToken, boardId, page) => timed('list_board_pins', () => api.listBoardPins(accessToken, boardId, page)),
    refreshAccessToken: (refreshToken) => api.refreshAccessToken(refreshToken),
  };
}
