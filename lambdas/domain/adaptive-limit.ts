/**
 * The account's effective limit: what pinrelay believes Pinterest accepts from this account per rolling
 * minute, at most the configured `rate_limit_per_minute`. Pure; stored by lambdas/adapters/dynamo-pacer.ts
 * next to the account's bucket and enforced by lambdas/domain/pacing.ts.
 *
 * A 429 says Pinterest refused one request, not why: code 8 is also "too many writes to one object", and a
 * shared quota or a hiccup produces lone 429s. So one 429 changes nothing here (the job retries later, the
 * account keeps its rate). What a lower real limit looks like is different: pinrelay spaces creates evenly,
 * so once Pinterest's window is full it refuses every create until a slot frees — a run of 429s. The
 * verdict is therefore taken on the last creates, not on a rate:
 *
 * - **lower limit** when at least VERDICT_REFUSED of the last VERDICT_WINDOW creates got a 429 (3 of 5).
 *   Independent noise at 5 % reaches that about once in 70 429s. A real limit R below the rate actually
 *   sent S (L − C per minute, lambdas/domain/token-bucket.ts) refuses S − R creates in a row every minute:
 *   from 3 below, the first full window gives the verdict; closer than that, one or two 429s a minute cost
 *   about what the bucket's own margin does.
 * - Then the effective limit becomes what Pinterest just proved it accepts: the creates of the last 60 s
 *   that were not refused (5xx and lost answers do not count: they prove nothing), minus a 10 % margin.
 *   How far that count sits below the configured limit is never the signal — a real limit of half the
 *   configured one also looks "far below". Fewer than MIN_PROVEN creates that got through prove too little
 *   to adopt outright (a run in the first seconds of a backlog, or among heavy 5xx): such a verdict lowers
 *   the limit in force by at most half, and a real limit that low keeps refusing, so the next verdicts
 *   reach it.
 * - **Probing back up**: within a minute the limit climbs from the margin back to the proven count (the
 *   ceiling), then PROBE_STEP_FRACTION of the configured limit (at least 1) every PROBE_INTERVAL_MS above
 *   it, up to the configured limit (then the state is dropped). A ceiling that was a transient squeeze
 *   (another client of the same user) is left within minutes; one that is real costs a few 429s on each
 *   step above it until the next verdict lowers the limit again.
 *
 * The effective limit is a whole number in [1, configured]. The pacer never lets a rolling minute hold
 * more creates than the effective limit at the last of them, so a lowered limit applies at once.
 */

/** How many of the last creates the verdict looks at. */
export const VERDICT_WINDOW = 5;
/** How many 429s among them mean a lower real limit (fewer: noise). */
export const VERDICT_REFUSED = 3;
/** Share of the proven count given up as a margin when a lower limit is adopted. */
export const ADOPT_MARGIN = 0.1;
/** Creates that got through in the last minute needed to adopt their count outright. */
export const MIN_PROVEN = 5;
/** With fewer, one verdict keeps at least this share of the limit in force (before the margin). */
export const THIN_PROOF_KEEPS = 0.5;
/** Time to climb from the margin back to the proven count. */
export const CATCH_UP_MS = 60_000;
/** Above the proven count, the limit grows by PROBE_STEP_FRACTION of the configured limit (≥ 1) per interval. */
export const PROBE_INTERVAL_MS = 120_000;
export const PROBE_STEP_FRACTION = 0.05;

/** A lowered limit and how it probes back up; absent = the configured limit holds. */
export interface LimitState {
  /** The limit adopted at the verdict (the proven count minus the margin). */
  readonly floor: number;
  /** What Pinterest proved it accepts: creates of the 60 s before the verdict that were not refused. */
  readonly ceiling: number;
  /** When the verdict was taken (epoch ms). */
  readonly sinceMs: number;
}

/** One recent create, for the verdict: when its token was granted and whether Pinterest answered 429. */
export interface RecentCreate {
  readonly grantAtMs: number;
  readonly refused: boolean;
}

/** The effective limit at `nowMs`: a whole number in [1, configured]. */
export function effectiveLimit(configured: number, state: LimitState | undefined, nowMs: number): number {
  const cap = Math.max(1, Math.floor(configured));
  if (!state) return cap;
  const elapsed = Math.max(0, nowMs - state.sinceMs);
  let limit: number;
  if (elapsed < CATCH_UP_MS) limit = state.floor + ((state.ceiling - state.floor) * elapsed) / CATCH_UP_MS;
  else limit = state.ceiling + probeStep(cap) * Math.floor((elapsed - CATCH_UP_MS) / PROBE_INTERVAL_MS);
  return Math.min(cap, Math.max(1, Math.floor(limit)));
}

/** The state to keep at `nowMs`: undefined once the limit is back at the configured one. */
export function settled(configured: number, state: LimitState | undefined, nowMs: number): LimitState | undefined {
  if (!state) return undefined;
  return effectiveLimit(configured, state, nowMs) >= Math.max(1, Math.floor(configured)) ? undefined : state;
}

export function probeStep(configured: number): number {
  return Math.max(1, Math.floor(configured * PROBE_STEP_FRACTION));
}

/** True when the recent creates show a lower real limit (see the header); false for noise. */
export function isLowerLimit(recent: readonly RecentCreate[]): boolean {
  return recent.slice(-VERDICT_WINDOW).filter((c) => c.refused).length >= VERDICT_REFUSED;
}

/**
 * The limit to adopt after a verdict at `nowMs`: `accepted` creates of the last 60 s got through. Never
 * above what was in force (`current`), never below 1; on thin proof (fewer than MIN_PROVEN) never below
 * half of what was in force.
 */
export function adopt(accepted: number, current: number, nowMs: number): LimitState {
  const proven = Math.floor(accepted);
  const target = proven >= MIN_PROVEN ? proven : Math.max(proven, Math.ceil(current * THIN_PROOF_KEEPS));
  const ceiling = Math.max(1, Math.min(current, target));
  const floor = Math.max(1, Math.min(ceiling, Math.floor(ceiling * (1 - ADOPT_MARGIN))));
  return { floor, ceiling, sinceMs: nowMs };
}
