import type { PacingSignal } from '../../lambdas/domain/pacing.ts';
import type { PacedAccount, PaceDecision, Pacer } from '../../lambdas/use-cases/ports.ts';

/**
 * A pacer answering from scripts, in order, and recording every call (the DynamoDB one is
 * lambdas/adapters/dynamo-pacer.ts, tested on its own). Once a script runs out every call is a go; a write
 * grant carries the clock's time as its grant time.
 */
export class FakePacer implements Pacer {
  /** Answers to `admit` (before the claim). */
  readonly answers: PaceDecision[] = [];
  /** Answers to `takeWrite` (immediately before a create). */
  readonly writeAnswers: PaceDecision[] = [];
  /** Answers to `takeRead` (before each board listing). */
  readonly readAnswers: PaceDecision[] = [];
  readonly admits: { account: PacedAccount; reservedSlotMs: number | undefined; reads: boolean }[] = [];
  readonly writes: { account: PacedAccount; reservedSlotMs: number | undefined }[] = [];
  readonly reads: { account: PacedAccount }[] = [];
  readonly reports: { account: PacedAccount; signal: PacingSignal }[] = [];
  /** Makes the next `report` throw (a DynamoDB outage). */
  reportFailure: Error | undefined;

  constructor(
    private readonly log: string[] = [],
    private readonly now: () => number = Date.now,
  ) {}

  async admit(
    account: PacedAccount,
    options: { readonly reservedSlotMs?: number | undefined; readonly reads: boolean },
  ): Promise<PaceDecision> {
    this.log.push(
      `pacer.admit ${account.accountId}${options.reservedSlotMs !== undefined ? ` slot ${options.reservedSlotMs}` : ''}${options.reads ? ' reads' : ''}`,
    );
    this.admits.push({ account, reservedSlotMs: options.reservedSlotMs, reads: options.reads });
    return this.answers.shift() ?? { granted: true, waitMs: 0 };
  }

  async takeWrite(account: PacedAccount, reservedSlotMs?: number): Promise<PaceDecision> {
    this.log.push(`pacer.takeWrite ${account.accountId}${reservedSlotMs !== undefined ? ` slot ${reservedSlotMs}` : ''}`);
    this.writes.push({ account, reservedSlotMs });
    return this.writeAnswers.shift() ?? { granted: true, waitMs: 0, grantAtMs: this.now() };
  }

  async takeRead(account: PacedAccount): Promise<PaceDecision> {
    this.log.push(`pacer.takeRead ${account.accountId}`);
    this.reads.push({ account });
    return this.readAnswers.shift() ?? { granted: true, waitMs: 0 };
  }

  async report(account: PacedAccount, signal: PacingSignal): Promise<void> {
    this.log.push(`pacer.report ${account.accountId} ${signal.bucket} ${signal.kind}`);
    if (this.reportFailure) {
      const failure = this.reportFailure;
      this.reportFailure = undefined;
      throw failure;
    }
    this.reports.push({ account, signal });
  }
}
