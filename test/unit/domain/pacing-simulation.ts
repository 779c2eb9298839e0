import { effectiveLimit } from '../../../lambdas/domain/adaptive-limit.ts';
import { decideWrite, reportWrite, writeLimit, type WriteState } from '../../../lambdas/domain/pacing.ts';

/**
 * A discrete-event model of one account's publishing, driving the pure pacing functions exactly as the
 * worker does (lambdas/use-cases/publish.ts) — admit before the claim, take the write token after the
 * calls that precede the create, report the answer — with every decision made on the state the previous
 * one stored (the adapter's conditional writes serialize them the same way). Test-only.
 */

export type Answer =
  | { readonly kind: 'ok' }
  | { readonly kind: '429'; readonly retryAfterSeconds: number | null }
  | { readonly kind: '5xx' };

export interface SimJob {
  /** When the job's message first arrives (ms from 0). */
  readonly arrivalMs: number;
  /** Token refresh and board listings before the create, per attempt (cycled). */
  readonly beforeCreateMs: readonly number[];
  /** How long each create's answer takes (cycled). */
  readonly answerMs: readonly number[];
  /** Scripted answers to its creates (cycled); a real limiter, when set, may refuse first. */
  readonly answers: readonly Answer[];
}

export interface SimOptions {
  readonly configured: number;
  readonly jobs: readonly SimJob[];
  /** Workers taking messages; 1 = a FIFO message group (one message in flight per account). */
  readonly workers?: number;
  /** Pinterest's own limit per rolling 60 s (by arrival time), refusing with 429 when full. */
  readonly realLimit?: { readonly perMinute: number; readonly retryAfter: boolean };
  /** The previous design, for contrast: the token taken before the claim, the create sent after the calls. */
  readonly tokenBeforeCalls?: boolean;
  /** Stop after this much simulated time. */
  readonly horizonMs?: number;
  /** Backoff after a refused or failed create (ms), as a function of the job's attempt number. */
  readonly backoffMs?: (attempt: number) => number;
}

export interface SimGrant {
  readonly atMs: number;
  /** When the create reached Pinterest (the grant plus nothing: the create leaves right after it). */
  readonly sentMs: number;
  /** The effective limit the grant was checked against. */
  readonly limit: number;
}

export interface SimResult {
  readonly grants: SimGrant[];
  /** Reports of 429 with Retry-After: when the pacer learned it, and for how long. */
  readonly holds: { readonly atMs: number; readonly untilMs: number }[];
  readonly answers: { readonly atMs: number; readonly kind: Answer['kind']; readonly real: boolean }[];
  /** The effective limit after every report, and whether the adaptive state was ever set. */
  readonly limits: { readonly atMs: number; readonly limit: number }[];
  readonly lowered: boolean;
  readonly done: number;
  readonly endMs: number;
}

interface Pending {
  readonly index: number;
  readyMs: number;
  slotMs: number | undefined;
  attempt: number;
}

type Event =
  | { readonly atMs: number; readonly kind: 'free'; readonly worker: number }
  | { readonly atMs: number; readonly kind: 'create'; readonly worker: number; readonly job: Pending; readonly grantAtMs?: number }
  | {
      readonly atMs: number;
      readonly kind: 'answer';
      readonly worker: number;
      readonly job: Pending;
      readonly grantAtMs: number;
      readonly answer: Answer;
      readonly real: boolean;
    };

const MESSAGE_HANDLING_MS = 20;

export function simulate(options: SimOptions): SimResult {
  const { configured } = options;
  const horizon = options.horizonMs ?? 30 * 60_000;
  const backoff = options.backoffMs ?? ((attempt) => 5000 * attempt);
  let state: WriteState | undefined;
  const grants: SimGrant[] = [];
  const holds: SimResult['holds'] = [];
  const answers: SimResult['answers'] = [];
  const limits: SimResult['limits'] = [];
  const admittedAtPinterest: number[] = [];
  let lowered = false;
  let done = 0;
  let endMs = 0;

  const queue: Pending[] = options.jobs.map((job, index) => ({ index, readyMs: job.arrivalMs, slotMs: undefined, attempt: 0 }));
  const events: Event[] = [];
  const push = (event: Event) => {
    let i = events.length;
    while (i > 0 && events[i - 1]!.atMs > event.atMs) i--;
    events.splice(i, 0, event);
  };
  for (let w = 0; w < (options.workers ?? 1); w++) push({ atMs: 0, kind: 'free', worker: w });

  const grant = (nowMs: number, job: Pending): number | null => {
    const limit = writeLimit(state, configured, nowMs).limit;
    const decision = decideWrite(state, configured, nowMs, { reservedSlotMs: job.slotMs, take: true, reserve: false });
    if (decision.kind !== 'granted') return null;
    state = decision.state;
    grants.push({ atMs: decision.grantAtMs, sentMs: decision.grantAtMs, limit });
    return decision.grantAtMs;
  };

  const answerOf = (job: Pending, sentMs: number): { answer: Answer; real: boolean } => {
    const spec = options.jobs[job.index]!;
    const scripted = spec.answers[job.attempt % spec.answers.length] ?? { kind: 'ok' };
    if (scripted.kind !== 'ok') return { answer: scripted, real: false }; // faults come before the limiter
    const real = options.realLimit;
    if (real) {
      const inWindow = admittedAtPinterest.filter((t) => t > sentMs - 60_000 && t <= sentMs);
      if (inWindow.length >= real.perMinute) {
        const retry = Math.max(1, Math.ceil((Math.min(...inWindow) + 60_000 - sentMs) / 1000));
        return { answer: { kind: '429', retryAfterSeconds: real.retryAfter ? retry : null }, real: true };
      }
      admittedAtPinterest.push(sentMs);
    }
    return { answer: scripted, real: false };
  };

  for (let steps = 0; events.length > 0 && steps < 200_000; steps++) {
    const event = events.shift()!;
    const now = event.atMs;
    if (now > horizon) break;
    endMs = Math.max(endMs, now);
    if (event.kind === 'free') {
      // The next message whose time has come, in arrival order (a delay queue returns held ones at their slot).
      const ready = queue.filter((p) => p.readyMs <= now).sort((a, b) => a.readyMs - b.readyMs || a.index - b.index)[0];
      if (!ready) {
        const next = Math.min(...queue.map((p) => p.readyMs));
        if (Number.isFinite(next)) push({ atMs: next, kind: 'free', worker: event.worker });
        continue;
      }
      queue.splice(queue.indexOf(ready), 1);
      const admission = decideWrite(state, configured, now, { reservedSlotMs: ready.slotMs, take: false, reserve: true });
      if (admission.kind === 'wait' && admission.waitMs > 1000) {
        if (admission.state) state = admission.state;
        ready.slotMs = admission.slotMs ?? ready.slotMs;
        ready.readyMs = admission.slotMs !== undefined ? admission.slotMs - 999 : now + admission.waitMs; // SQS: whole seconds, up to 1 s early
        queue.push(ready);
        push({ atMs: now + MESSAGE_HANDLING_MS, kind: 'free', worker: event.worker });
        continue;
      }
      const sleep = admission.kind === 'wait' ? admission.waitMs : 0;
      if (admission.kind === 'wait') ready.slotMs = admission.slotMs ?? ready.slotMs;
      const start = now + sleep;
      const before = options.jobs[ready.index]!.beforeCreateMs;
      const callsMs = before[ready.attempt % before.length] ?? 0;
      if (options.tokenBeforeCalls) {
        const at = grant(start, ready);
        if (at === null) {
          ready.readyMs = start + 1000;
          queue.push(ready);
          push({ atMs: start + MESSAGE_HANDLING_MS, kind: 'free', worker: event.worker });
          continue;
        }
        push({ atMs: start + callsMs, kind: 'create', worker: event.worker, job: ready, grantAtMs: at });
      } else {
        push({ atMs: start + callsMs, kind: 'create', worker: event.worker, job: ready });
      }
      continue;
    }
    if (event.kind === 'create') {
      const job = event.job;
      let grantAtMs = event.grantAtMs;
      if (grantAtMs === undefined) {
        let at = grant(now, job);
        if (at === null) {
          // A short wait is slept out (the worker does so up to a second); otherwise the claim is released.
          const retry = decideWrite(state, configured, now, { reservedSlotMs: job.slotMs, take: false, reserve: false });
          const waitMs = retry.kind === 'wait' ? retry.waitMs : 0;
          if (waitMs <= 1000) at = grant(now + waitMs, job);
          if (at === null) {
            job.readyMs = now + Math.max(waitMs, 1);
            queue.push(job);
            push({ atMs: now + MESSAGE_HANDLING_MS, kind: 'free', worker: event.worker });
            continue;
          }
        }
        grantAtMs = at;
      } else {
        // The previous design sent the create only now, long after its grant.
        const index = grants.findIndex((g) => g.atMs === grantAtMs);
        grants[index] = { ...grants[index]!, sentMs: now };
      }
      const sentMs = grants.find((g) => g.atMs === grantAtMs)!.sentMs;
      const { answer, real } = answerOf(job, sentMs);
      const latency = options.jobs[job.index]!.answerMs;
      push({
        atMs: sentMs + (latency[job.attempt % latency.length] ?? 0),
        kind: 'answer',
        worker: event.worker,
        job,
        grantAtMs,
        answer,
        real,
      });
      continue;
    }
    // The answer: report it, record the outcome, schedule a retry.
    const { job, answer } = event;
    answers.push({ atMs: now, kind: answer.kind, real: event.real });
    if (answer.kind !== 'ok') {
      state = reportWrite(
        state,
        configured,
        now,
        answer.kind === '429'
          ? { kind: 'rate_limited', grantAtMs: event.grantAtMs, retryAfterSeconds: answer.retryAfterSeconds }
          : { kind: 'unproven', grantAtMs: event.grantAtMs },
      );
      if (answer.kind === '429' && answer.retryAfterSeconds) holds.push({ atMs: now, untilMs: now + answer.retryAfterSeconds * 1000 });
      if (state.limit) lowered = true;
      limits.push({ atMs: now, limit: effectiveLimit(configured, state.limit, now) });
      job.attempt += 1;
      job.slotMs = undefined;
      job.readyMs =
        now + Math.max(answer.kind === '429' && answer.retryAfterSeconds ? answer.retryAfterSeconds * 1000 : 0, backoff(job.attempt));
      queue.push(job);
    } else done++;
    push({ atMs: now + MESSAGE_HANDLING_MS, kind: 'free', worker: event.worker });
  }
  return { grants, holds, answers, limits, lowered, done, endMs };
}

/** Every window ending at a create: [its time, creates in (time − 60 s, time], the limit it was granted under]. */
export function windows(grants: readonly SimGrant[], time: (g: SimGrant) => number = (g) => g.atMs) {
  const sorted = [...grants].sort((a, b) => time(a) - time(b));
  let start = 0;
  return sorted.map((g, end) => {
    while (time(sorted[start]!) <= time(g) - 60_000) start++;
    return { atMs: time(g), count: end - start + 1, limit: g.limit };
  });
}
