import type { PinFields } from './pin.ts';

/**
 * Verification of an `unknown` outcome: Pinterest has no idempotency keys, so after a create
 * whose answer was lost we list the board and look for the pin we asked for. Pure.
 *
 * A candidate matches the intent when
 * - its `board_id` equals the intent's (and its `board_section_id`, when both sides name one);
 * - its `created_at` is no earlier than the first attempt's start minus the clock skew allowance
 *   (Pinterest's clock is not ours). A candidate without a parseable `created_at` cannot be placed in
 *   time and never matches. Pinterest writes `created_at` without a zone ("2026-03-01T12:00:05"): it is UTC;
 * - `link`, `title` and `description` are equal wherever the intent sets them, after normalising both
 *   sides: trimmed, Unicode NFC, CRLF → LF; links also through WHATWG URL parsing (case of scheme and
 *   host, default port) and with one trailing slash ignored, because Pinterest may add or strip it.
 *
 * Limitations, on purpose:
 * - Media are not compared: Pinterest re-hosts images (i.pinimg.com URLs, re-encoded bytes), so nothing
 *   in the answer ties back to `media_source`. Neither are alt_text, note or dominant_color, which the
 *   listing may omit or rewrite.
 * - When the intent sets none of link, title and description, only board and time window remain: any pin
 *   created on that board since the first attempt matches, including one somebody else made by hand.
 *
 * Several matches (the same content published twice, or the weak fallback above) are all returned by
 * `findMatchingPins`; the worker rules out pins other jobs recorded and refuses to guess between the rest
 * (lambdas/use-cases/publish.ts). `findMatchingPin` keeps the oldest, flagged `ambiguous`.
 */

/** The fields of a Pinterest Pin the matcher reads (the adapter's PinterestPin is assignable to it). */
export interface PinCandidate {
  readonly id: string;
  readonly created_at?: string;
  readonly board_id?: string;
  readonly board_section_id?: string | null;
  readonly link?: string | null;
  readonly title?: string | null;
  readonly description?: string | null;
}

export interface MatchOptions {
  /** How far Pinterest's created_at may be behind our clock. @default 120 */
  readonly clockSkewSeconds?: number;
}

export interface PinMatch<P extends PinCandidate = PinCandidate> {
  readonly pin: P;
  /** More than one candidate matched; `pin` is the oldest of them. */
  readonly ambiguous: boolean;
}

export const DEFAULT_CLOCK_SKEW_SECONDS = 120;

/** The fields of an intent the matcher compares (a job's pin, or one version of it that was sent). */
export type MatchIntent = Pick<PinFields, 'board_id' | 'board_section_id' | 'link' | 'title' | 'description'>;

export function findMatchingPin<P extends PinCandidate>(
  candidates: readonly P[],
  intent: MatchIntent,
  firstAttemptStartedAt: Date,
  options: MatchOptions = {},
): PinMatch<P> | null {
  const [pin, ...others] = findMatchingPins(candidates, [intent], firstAttemptStartedAt, options);
  if (pin === undefined) return null;
  return { pin, ambiguous: others.length > 0 };
}

/**
 * Every candidate that matches at least one of `intents` (the versions of a pin a job has sent: a
 * requeue with corrected fields adds one), oldest first, each pin once.
 */
export function findMatchingPins<P extends PinCandidate>(
  candidates: readonly P[],
  intents: readonly MatchIntent[],
  firstAttemptStartedAt: Date,
  { clockSkewSeconds = DEFAULT_CLOCK_SKEW_SECONDS }: MatchOptions = {},
): P[] {
  const notBefore = firstAttemptStartedAt.getTime() - clockSkewSeconds * 1000;
  const matches = new Map<string, { pin: P; createdAtMs: number }>();
  for (const pin of candidates) {
    const createdAtMs = parsePinterestTime(pin.created_at);
    if (createdAtMs === null || createdAtMs < notBefore) continue;
    if (intents.some((intent) => matchesIntent(pin, intent))) matches.set(pin.id, { pin, createdAtMs });
  }
  return [...matches.values()].sort((a, b) => a.createdAtMs - b.createdAtMs || compareIds(a.pin.id, b.pin.id)).map((m) => m.pin);
}

function matchesIntent(pin: PinCandidate, intent: MatchIntent): boolean {
  if (pin.board_id !== intent.board_id) return false;
  if (intent.board_section_id && pin.board_section_id && pin.board_section_id !== intent.board_section_id) return false;
  if (intent.link !== undefined && !sameLink(intent.link, pin.link)) return false;
  if (intent.title !== undefined && !sameText(intent.title, pin.title)) return false;
  if (intent.description !== undefined && !sameText(intent.description, pin.description)) return false;
  return true;
}

const ZONELESS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** Epoch ms of a Pinterest timestamp, UTC when it carries no zone; null when absent or unparseable. */
export function parsePinterestTime(value: string | undefined): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  const ms = Date.parse(ZONELESS.test(text) ? `${text}Z` : text);
  return Number.isNaN(ms) ? null : ms;
}

function normalizeText(value: string): string {
  return value.replace(/\r\n?/g, '\n').trim().normalize('NFC');
}

function sameText(wanted: string, actual: string | null | undefined): boolean {
  return typeof actual === 'string' && normalizeText(actual) === normalizeText(wanted);
}

export function normalizeLink(value: string): string {
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not a URL after all: compare the trimmed text, trailing slash ignored.
    return text.endsWith('/') ? text.slice(0, -1) : text;
  }
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${url.protocol}//${auth}${url.host}${path}${url.search}${url.hash}`;
}

function sameLink(wanted: string, actual: string | null | undefined): boolean {
  return typeof actual === 'string' && normalizeLink(actual) === normalizeLink(wanted);
}

/** Pin ids are decimal strings: shorter is smaller; otherwise lexical order is numeric order. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
