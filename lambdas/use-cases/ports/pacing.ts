import type { AccountRate } from '../../domain/account.ts';
import type { PacingSignal } from '../../domain/pacing.ts';

/**
 * Pacing (lambdas/domain/pacing.ts): per account a write budget at its effective limit and a read budget,
 * plus one write bucket for the whole app.
 */

/** The account a pacing call is about, with its configured limit (rate_limit_per_minute or the default). */
export interface PacedAccount {
  readonly tenantId: string;
  readonly accountId: string;
  readonly limitPerMinute: number;
}

/** A pacer's answer: go (with the grant's time when a token was taken), or wait (with a reserved slot). */
export interface PaceDecision {
  readonly granted: boolean;
  /** 0 when granted. */
  readonly waitMs: number;
  /** The slot reserved for this job: pass it back when the job returns, so it keeps its place in line. */
  readonly slotMs?: number;
  /** When a write token was taken: report the create's answer with it. */
  readonly grantAtMs?: number;
}

/** The write token is taken at send time. */
export interface Pacer {
  /**
   * Before the claim: may this job start now? Takes nothing. Checks the account's write budget (a
   * Retry-After hold, the reserved slots, the bucket, the last minute) and, with `reads`, its read budget.
   * Without a go: how long to wait, and the slot reserved for this job.
   */
  admit(account: PacedAccount, options: { readonly reservedSlotMs?: number | undefined; readonly reads: boolean }): Promise<PaceDecision>;
  /**
   * Immediately before a create: the app's token, then the account's. A refusal by either spends nothing
   * (an app token taken for an account that then refuses is given back).
   */
  takeWrite(account: PacedAccount, reservedSlotMs?: number): Promise<PaceDecision>;
  /** Immediately before a board listing: a token of the account's read budget. */
  takeRead(account: PacedAccount): Promise<PaceDecision>;
  /** What Pinterest answered, for pacing (lambdas/domain/pacing.ts `pacingSignalOf`). */
  report(account: PacedAccount, signal: PacingSignal): Promise<void>;
}

/** The pacing state of one account, as GET /v1/accounts/{account_id}/rate shows it (reads only). */
export interface RateView {
  view(tenantId: string, accountId: string, limitPerMinute: number): Promise<AccountRate>;
}
