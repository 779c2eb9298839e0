import { inspect } from 'node:util';

/**
 * The one way integration tests wait: read something until it says what the test is waiting for, or fail
 * naming what was awaited and the last reading. A fixed sleep followed by an assertion passes or fails with
 * the machine's speed; a wait on a condition does neither.
 */
export interface WaitOptions<T> {
  /** What is awaited, as the failure message should name it ("job j_1 to end"). */
  readonly what: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** Pause between reads. @default 100 */
  readonly everyMs?: number;
  /** The last reading as the failure message shows it. @default util.inspect, shortened */
  readonly show?: (value: T) => string;
}

const SHOWN_CHARS = 1_000;

/** Reads until `until(value)` holds and returns that value. */
export function waitFor<T>(read: () => T | Promise<T>, options: WaitOptions<T> & { readonly until: (value: T) => boolean }): Promise<T>;
/** Reads until the reading is neither undefined nor false, and returns it. */
export function waitFor<T>(
  read: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions<T | undefined | false>,
): Promise<T>;
export async function waitFor<T>(
  read: () => T | Promise<T>,
  options: WaitOptions<T> & { readonly until?: (value: T) => boolean },
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const done = options.until ?? ((value: T) => value !== undefined && value !== false);
  const started = Date.now();
  let reads = 0;
  for (;;) {
    const value = await read();
    reads++;
    if (done(value)) return value;
    if (Date.now() - started >= timeoutMs) {
      const shown = options.show ? options.show(value) : inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY });
      const short = shown.length > SHOWN_CHARS ? `${shown.slice(0, SHOWN_CHARS)}… (${shown.length} chars)` : shown;
      throw new Error(`timed out after ${timeoutMs} ms (${reads} reads) waiting for ${options.what}; last value seen: ${short}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 100));
  }
}
