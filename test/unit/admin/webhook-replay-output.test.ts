import { describe, expect, it } from 'vitest';
import { formatReplayReport, progressText } from '../../../bin/webhook-replay.ts';
import type { ReplayedMessage, ReplayReport } from '../../../lambdas/use-cases/webhook-replay.ts';

const A = 'whk_aaaaaaaaaaaaaaaaaaaa';
const B = 'whs_crm-sync';
const message = (
  n: number,
  webhookId: string,
  outcome: ReplayedMessage['outcome'],
  extra: Partial<ReplayedMessage> = {},
): ReplayedMessage => ({
  message_id: `m${n}`,
  event_id: `evt_${n}`,
  type: 'job.failed',
  tenant_id: 'ten_0123456789abcdef',
  webhook_id: webhookId,
  error_code: 'SDK_CLIENT_ERROR',
  error_message: 'status code 404.',
  outcome,
  ...extra,
});
const report = (messages: ReplayedMessage[], extra: Partial<ReplayReport> = {}): ReplayReport => ({
  dry_run: false,
  subscription: null,
  seen: messages.length,
  replayed: messages.filter((m) => m.outcome === 'replayed').length,
  would_replay: messages.filter((m) => m.outcome === 'would_replay').length,
  left: messages.filter((m) => m.outcome === 'left').length,
  failed: messages.filter((m) => m.outcome === 'failed').length,
  not_deleted: 0,
  messages,
  ...extra,
});

describe('webhooks replay output', () => {
  it('progress: replayed R/T, and how many were not', () => {
    expect(progressText({ done: 12, total: 40, replayed: 12 }, false)).toBe('replayed 12/40');
    expect(progressText({ done: 12, total: 40, replayed: 10 }, false)).toBe('replayed 10/40 (2 not replayed)');
    expect(progressText({ done: 12, total: 40, replayed: 0 }, true)).toBe('read 12/40');
  });

  it('summary: per subscription and type, what stayed and why, what failed', () => {
    const text = formatReplayReport(
      report([
        message(1, A, 'replayed'),
        message(2, A, 'replayed', { type: 'job.succeeded' }),
        message(3, B, 'replayed'),
        message(4, B, 'left', { reason: 'subscription whs_crm-sync no longer exists' }),
        message(5, A, 'failed', { reason: 'PutEvents refused it: InternalFailure' }),
      ]),
    );
    expect(text).toBe(
      [
        'Replayed 3 events of 5 read, each to its own subscription:',
        `  ${A}: 2 (job.failed 1, job.succeeded 1)`,
        `  ${B}: 1 (job.failed 1)`,
        'Left in the queue: 1',
        '  1 × subscription whs_crm-sync no longer exists',
        'Failed (still in the queue, run again): 1',
        `  evt_5 → ${A}: PutEvents refused it: InternalFailure`,
      ].join('\n'),
    );
  });

  it('dry run: each event that would be sent', () => {
    const text = formatReplayReport(report([message(1, A, 'would_replay')], { dry_run: true, subscription: A }));
    expect(text).toBe(
      [
        `Dry run: would replay 1 event of 1 read (only ${A}); nothing sent, nothing deleted:`,
        `  evt_1 job.failed → ${A} (tenant ten_0123456789abcdef; failed with SDK_CLIENT_ERROR: status code 404.)`,
      ].join('\n'),
    );
  });

  it('nothing for the chosen subscription; an empty queue', () => {
    expect(formatReplayReport(report([message(1, B, 'left', { reason: 'another subscription' })], { subscription: A }))).toBe(
      [`Replayed 0 events of 1 read (only ${A}).`, 'Left in the queue: 1', '  1 × another subscription'].join('\n'),
    );
    expect(formatReplayReport(report([]))).toBe('The webhook dead-letter queue is empty: nothing to replay.');
  });
});
