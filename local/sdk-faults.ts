/**
 * Fault injection on the AWS side of local mode, the counterpart of the Pinterest sandbox's faults
 * (local/pinterest-sandbox/faults.ts): a middleware added to one of the functions' SDK clients
 * (lambdas/common/clients.ts) makes chosen calls fail, lose their answer, or never come back, without a
 * line of the code under test changing. Used by the fault-injection tests (test/integration/faults/) and
 * the chaos run (bench/chaos.ts).
 *
 * Where the fault sits decides who sees it:
 * - `finalizeRequest` and `deserialize` are inside the SDK's retry loop: a throttle or a 5xx there is
 *   retried by the SDK first (3 tries, its retry quota), as a real one would be;
 * - `initialize` is outside it: the caller sees the very first failure (a killed call, a refused entry).
 *
 * Effects: `fail` (the request never reaches the service), `fail_after` (the service did it, the answer
 * is lost), `hang` / `hang_after` (the call never returns: a worker killed at that point — nothing it
 * would have done next happens; `release()` rejects the hung calls so the process can wind down),
 * `delay`, and `wait` (held until a condition, e.g. until two workers reach the same write).
 * `failPutEventsEntries` refuses some entries of PutEvents requests the way EventBridge does: HTTP 200,
 * `FailedEntryCount` and an `ErrorCode` per refused entry, which the bus never receives.
 */
import { mulberry32 } from './seeded-random.ts';

export type FaultStep = 'initialize' | 'finalizeRequest' | 'deserialize';

/** What a middleware sees: the command's input (marshalled for DynamoDB below `initialize`). */
interface Args {
  readonly input: object;
}
interface Answer {
  readonly output: object;
}
type Next = (args: Args) => Promise<Answer>;
export type SdkMiddleware = (next: Next, context: { readonly commandName?: string }) => Next;
type Middleware = SdkMiddleware;

/** Any SDK v3 client (a DynamoDB document client shares its client's stack). */
export interface FaultableClient {
  readonly middlewareStack: { remove(name: string): boolean };
}

/** The one form of `add` used here; the SDK's overloads (one per step) are not assignable to it as a whole. */
interface Stack {
  add(middleware: Middleware, options: { step: FaultStep; name: string; priority: 'low' }): void;
  remove(name: string): boolean;
}
const stackOf = (client: FaultableClient) => client.middlewareStack as Stack;
let faultsAdded = 0;

/** Adds any middleware (the chaos run's kill switch); returns its removal. */
export function addSdkMiddleware(client: FaultableClient, middleware: SdkMiddleware, step: FaultStep): () => void {
  const name = `injectedFault${++faultsAdded}`;
  stackOf(client).add(middleware, { step, name, priority: 'low' });
  return () => {
    stackOf(client).remove(name);
  };
}

export type FaultEffect =
  | { readonly kind: 'fail'; readonly error: () => Error }
  | { readonly kind: 'fail_after'; readonly error: () => Error }
  | { readonly kind: 'hang' }
  | { readonly kind: 'hang_after' }
  | { readonly kind: 'delay'; readonly ms: number }
  /** Holds the call until `until` settles, then sends it (two workers brought to the same write at once). */
  | { readonly kind: 'wait'; readonly until: () => Promise<unknown> };

export interface SdkFaultSpec {
  /** Command names (`UpdateItemCommand`, `SendMessageCommand`, …); omitted = every command. */
  readonly commands?: readonly string[];
  /** Narrows the calls further, on the command's input. */
  readonly where?: (input: Record<string, unknown>) => boolean;
  readonly effect: FaultEffect;
  /** Matching calls it hits, then it stays inert. @default every matching call */
  readonly times?: number;
  /** Hits each matching call with this probability (seeded, reproducible). @default 1 */
  readonly probability?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Hits only while this says so (a time window, a phase of a run). @default always */
  readonly active?: () => boolean;
  /** @default 'finalizeRequest' (inside the SDK's retries) */
  readonly step?: FaultStep;
}

export interface SdkFault {
  /** Calls hit so far. */
  hits(): number;
  /** Calls hung right now. */
  hung(): number;
  /** Rejects every hung call (the killed worker's process is gone; nothing it would do happens). */
  release(): void;
  /** Takes the middleware off the client; hung calls stay hung until `release()`. */
  remove(): void;
}

/** Adds one fault to a client. Remove it (and release hung calls) when the test or the run is over. */
export function injectSdkFault(client: FaultableClient, spec: SdkFaultSpec): SdkFault {
  const name = `injectedFault${++faultsAdded}`;
  const random = mulberry32(spec.seed ?? 1);
  const waiting = new Set<(error: Error) => void>();
  let hits = 0;
  let released = false;

  const hangs = (): Promise<never> => {
    if (released) return Promise.reject(abandoned());
    return new Promise<never>((_, reject) => {
      waiting.add(reject);
    });
  };
  const decide = (commandName: string | undefined, input: Record<string, unknown>): boolean => {
    if (spec.commands && !spec.commands.includes(commandName ?? '')) return false;
    if (spec.times !== undefined && hits >= spec.times) return false;
    if (spec.active && !spec.active()) return false;
    if (spec.where && !spec.where(input)) return false;
    if (spec.probability !== undefined && random() >= spec.probability) return false;
    hits++;
    return true;
  };

  const middleware: Middleware = (next, context) => async (args) => {
    if (!decide(context.commandName, args.input as Record<string, unknown>)) return next(args);
    const effect = spec.effect;
    switch (effect.kind) {
      case 'fail':
        throw effect.error();
      case 'fail_after':
        await next(args);
        throw effect.error();
      case 'hang':
        return hangs();
      case 'hang_after':
        await next(args);
        return hangs();
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, effect.ms));
        return next(args);
      case 'wait':
        await effect.until();
        return next(args);
    }
  };
  stackOf(client).add(middleware, { step: spec.step ?? 'finalizeRequest', name, priority: 'low' });

  return {
    hits: () => hits,
    hung: () => waiting.size,
    release: () => {
      released = true;
      for (const reject of waiting) reject(abandoned());
      waiting.clear();
    },
    remove: () => {
      client.middlewareStack.remove(name);
    },
  };
}

/**
 * EventBridge's partial failure: the entries `refuse` picks are answered with an ErrorCode (and never
 * reach the bus), the others are sent; the answer is 200 with `FailedEntryCount`. Outside the SDK's
 * retries (a partial failure is a success to the SDK).
 */
export function failPutEventsEntries(
  client: FaultableClient,
  options: { readonly refuse: (entry: Record<string, unknown>, index: number) => boolean; readonly active?: () => boolean },
): SdkFault & { refused(): number } {
  const name = `injectedFault${++faultsAdded}`;
  let refused = 0;
  let requests = 0;
  const middleware: Middleware = (next, context) => async (args) => {
    if (context.commandName !== 'PutEventsCommand' || (options.active && !options.active())) return next(args);
    const input = args.input as { Entries?: Record<string, unknown>[] };
    const entries = input.Entries ?? [];
    const refuse = entries.map((entry, i) => options.refuse(entry, i));
    if (!refuse.some(Boolean)) return next(args);
    requests++;
    const kept = entries.filter((_, i) => !refuse[i]);
    const answer: Answer =
      kept.length > 0
        ? await next({ ...args, input: { ...input, Entries: kept } })
        : { output: { $metadata: { httpStatusCode: 200 }, FailedEntryCount: 0, Entries: [] } };
    const sent = [...((answer.output as { Entries?: Record<string, unknown>[] }).Entries ?? [])];
    const results = entries.map((_, i) => {
      if (!refuse[i]) return sent.shift() ?? {};
      refused++;
      return { ErrorCode: 'InternalFailure', ErrorMessage: 'injected: the entry was not accepted' };
    });
    const failed = results.filter((r) => 'ErrorCode' in r && r.ErrorCode).length;
    return { ...answer, output: { ...answer.output, FailedEntryCount: failed, Entries: results } };
  };
  stackOf(client).add(middleware, { step: 'initialize', name, priority: 'low' });
  return {
    hits: () => requests,
    refused: () => refused,
    hung: () => 0,
    release: () => undefined,
    remove: () => {
      client.middlewareStack.remove(name);
    },
  };
}

/** An AWS service error as the SDK raises it, so its retry logic and our adapters classify it as a real one. */
export function awsError(name: string, options: { readonly status?: number; readonly message?: string } = {}): Error {
  const status = options.status ?? 500;
  return Object.assign(new Error(options.message ?? `injected: ${name}`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 1, totalRetryDelay: 0 },
  });
}

/** The errors the suites inject, named as AWS names them. */
export const AWS_ERRORS = {
  /** DynamoDB's throttle on a provisioned table (HTTP 400). */
  throughputExceeded: () => awsError('ProvisionedThroughputExceededException', { status: 400 }),
  /** DynamoDB on-demand and most services' throttle (HTTP 400). */
  throttling: () => awsError('ThrottlingException', { status: 400 }),
  serviceUnavailable: () => awsError('ServiceUnavailable', { status: 503 }),
  internalFailure: () => awsError('InternalFailure', { status: 500 }),
  /** The socket gave up waiting (the SDK treats it as transient). */
  timeout: () => Object.assign(awsError('TimeoutError', { status: 0, message: 'injected: socket timed out' }), { $metadata: {} }),
  /** The invocation was cut off mid-call (not retried by the SDK). */
  aborted: () => Object.assign(new Error('injected: the request was aborted'), { name: 'AbortError', $metadata: {} }),
} as const;

/** A DynamoDB attribute in a command input, whether marshalled (`{S: …}`, below `initialize`) or not. */
export function attributeOf(input: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = input;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const typed = value as Record<string, unknown>;
    if ('S' in typed) return typed.S;
    if ('N' in typed) return Number(typed.N);
    if ('BOOL' in typed) return typed.BOOL;
  }
  return value;
}

const abandoned = () => Object.assign(new Error('injected: the worker was killed; this call never returned'), { name: 'WorkerKilled' });
