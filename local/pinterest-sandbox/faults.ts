/**
 * Injected faults: which requests they hit (one-shot, from the n-th on, or at a seeded rate) and the
 * canned answers of those that answer at all. The server decides on arrival, before normal handling.
 */
import { ERRORS, STATUS_MESSAGES } from './errors.ts';
import type { Reply } from './http.ts';
import type { Fault, FaultMatch } from './types.ts';
import { assertPositiveInteger, optional } from './values.ts';
import { mulberry32 } from '../seeded-random.ts';

interface CompiledMatch {
  method: string;
  path: RegExp;
  /** The path rule as given, for GET /_sandbox/faults. */
  pathText: string;
  user?: string;
}

interface FaultEntry {
  fault: Fault;
  match: CompiledMatch;
  /** One-shot faults: how many matching requests are still to be hit. */
  remaining?: number;
  /** One-shot faults armed with `nth`: matching requests still to let through before the first hit. */
  skip?: number;
  probability?: number;
  seed?: number;
  random?: () => number;
}

const FAULT_KINDS = new Set([
  'status',
  'rate_limit',
  'slow',
  'drop_after_create',
  'drop_before',
  'board_not_found',
  'section_not_found',
  'forbidden_trial',
  'image_too_small',
  'broken_image',
  'invalid',
  'unauthorized',
  'malformed_success',
]);

export class FaultBook {
  private entries: FaultEntry[] = [];

  get size(): number {
    return this.entries.length;
  }

  inject(fault: Fault, options: { times?: number; match?: FaultMatch; nth?: number } = {}): void {
    const times = options.times ?? 1;
    assertPositiveInteger(times, 'times');
    const nth = options.nth ?? 1;
    assertPositiveInteger(nth, 'nth');
    this.entries.push({
      fault: checkFault(fault),
      match: compileMatch(options.match),
      remaining: times,
      ...(nth > 1 ? { skip: nth - 1 } : {}),
    });
  }

  injectRate(fault: Fault, probability: number, options: { seed?: number; match?: FaultMatch } = {}): void {
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1))
      throw new TypeError('probability must be a number from 0 to 1.');
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new TypeError('seed must be an integer.');
    this.entries.push({ fault: checkFault(fault), match: compileMatch(options.match), probability, seed, random: mulberry32(seed) });
  }

  clear(): void {
    this.entries = [];
  }

  /** The fault that hits this request, if any; only matching requests consume one-shot faults. */
  take(method: string, path: string, user: string | undefined): Fault | undefined {
    for (const [index, entry] of this.entries.entries()) {
      const { match } = entry;
      if (match.method !== '*' && match.method !== method) continue;
      match.path.lastIndex = 0;
      if (!match.path.test(path)) continue;
      if (match.user !== undefined && match.user !== user) continue;
      if (entry.skip !== undefined && entry.skip > 0) {
        entry.skip -= 1; // armed for a later matching request: this one goes through
        continue;
      }
      if (entry.random) {
        if (entry.random() < (entry.probability ?? 0)) return entry.fault;
        continue;
      }
      entry.remaining = (entry.remaining ?? 1) - 1;
      if (entry.remaining <= 0) this.entries.splice(index, 1);
      return entry.fault;
    }
    return undefined;
  }

  /** The armed faults as GET /_sandbox/faults shows them. */
  describe(): unknown[] {
    return this.entries.map((f) => ({
      fault: f.fault,
      match: { method: f.match.method, path: f.match.pathText, ...optional('user', f.match.user) },
      ...(f.random ? { probability: f.probability, seed: f.seed } : { remaining: f.remaining, ...(f.skip ? { nth: f.skip + 1 } : {}) }),
    }));
  }
}

/** The answer of a fault that answers (every kind but slow, drop_before and drop_after_create). */
export function faultReply(fault: Fault): Reply {
  const error = (spec: { status: number; code: number; message: string }, message: string = spec.message): Reply => ({
    status: spec.status,
    body: { code: spec.code, message },
  });
  switch (fault.kind) {
    case 'status':
      return { status: fault.status, body: { code: fault.code ?? fault.status, message: fault.message ?? STATUS_MESSAGES[fault.status] } };
    case 'rate_limit':
      return {
        ...error(ERRORS.rateLimited),
        headers: fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      };
    case 'board_not_found':
      return error(ERRORS.boardNotFound);
    case 'section_not_found':
      return error(ERRORS.sectionNotFound);
    case 'forbidden_trial':
      return error(ERRORS.forbidden);
    case 'image_too_small':
      return error(ERRORS.imageTooSmall);
    case 'broken_image':
      return error(ERRORS.brokenImage);
    case 'invalid':
      return { status: 400, body: { code: 1, message: fault.message ?? 'Invalid parameters.' } };
    case 'unauthorized':
      return error(ERRORS.authentication);
    case 'malformed_success':
      return { status: 201, body: { ok: true } };
    default:
      // slow, drop_before and drop_after_create never get here.
      throw new Error(`fault ${fault.kind} has no canned reply.`);
  }
}

function checkFault(value: unknown): Fault {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('fault must be an object with a kind.');
  const fault = value as Record<string, unknown>;
  const kind = fault.kind;
  if (typeof kind !== 'string' || !FAULT_KINDS.has(kind)) throw new TypeError(`fault.kind must be one of ${[...FAULT_KINDS].join(', ')}.`);
  if (kind === 'status') {
    if (![500, 502, 503, 504].includes(fault.status as number)) throw new TypeError('fault.status must be 500, 502, 503 or 504.');
    if (fault.code !== undefined && !Number.isInteger(fault.code)) throw new TypeError('fault.code must be an integer.');
  }
  if ((kind === 'status' || kind === 'invalid') && fault.message !== undefined && typeof fault.message !== 'string') {
    throw new TypeError('fault.message must be a string.');
  }
  if (kind === 'rate_limit' && fault.retryAfterSeconds !== undefined) {
    const seconds = fault.retryAfterSeconds;
    if (!Number.isInteger(seconds) || (seconds as number) < 0)
      throw new TypeError('fault.retryAfterSeconds must be a non-negative integer.');
  }
  if (kind === 'slow') {
    const delayMs = fault.delayMs;
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > 600_000) {
      throw new TypeError('fault.delayMs must be a number of milliseconds from 0 to 600000.');
    }
  }
  return structuredClone(fault) as Fault;
}

function compileMatch(match: FaultMatch = {}): CompiledMatch {
  if (match === null || typeof match !== 'object') throw new TypeError('match must be an object.');
  const pathGiven = match.path !== undefined;
  if (match.method !== undefined && (typeof match.method !== 'string' || match.method === ''))
    throw new TypeError('match.method must be a string.');
  if (match.user !== undefined && typeof match.user !== 'string') throw new TypeError('match.user must be a string.');
  const method = (match.method ?? (pathGiven ? '*' : 'POST')).toUpperCase();
  let path: RegExp;
  if (match.path instanceof RegExp) path = match.path;
  else if (typeof match.path === 'string') path = new RegExp(`^(?:${match.path})$`);
  else if (match.path === undefined) path = /^\/v5\/pins$/;
  else throw new TypeError('match.path must be a RegExp or a string.');
  const pathText = match.path === undefined ? '/v5/pins' : String(match.path);
  return { method, path, pathText, ...optional('user', match.user) };
}
