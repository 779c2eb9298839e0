import { describe, expect, it } from 'vitest';
import { formatFailedJobs, formatNudge, formatQueues, formatRedrive, formatRequeue, formatStuck } from '../../../bin/ops-output.ts';
import { UsageError } from '../../../bin/ops-target.ts';
import { InvalidCorrections, parseCorrections } from '../../../bin/ops.ts';
import type { FailedJob, FailedJobsReport } from '../../../lambdas/use-cases/ops-jobs.ts';
import type { StuckReport } from '../../../lambdas/use-cases/ops-stuck-jobs.ts';
import type { RedriveReport } from '../../../lambdas/use-cases/ops-queues.ts';

const job: FailedJob = {
  tenant_id: 'ten_a',
  job_id: 'job_1',
  account_id: 'main',
  idempotency_key: 'k1',
  board_id: '55555',
  route: 'ops',
  reason: 'board_not_found',
  http_status: 404,
  error_code: 40,
  message: 'Board not found.',
  remediation: 'Board 55555 was not found for account main: check board_id or reconnect the account that owns it, then requeue the job.',
  failed_at: '2026-11-22T09:00:01.000Z',
  attempt_count: 1,
};
const failedReport = (jobs: FailedJob[], extra: Partial<FailedJobsReport> = {}): FailedJobsReport => ({
  filter: { tenant_id: 'ten_a', route: null, reason: null, account_id: null, limit: 50 },
  tenants: ['ten_a'],
  jobs,
  truncated: false,
  by_route: jobs.length ? [{ route: 'ops', count: jobs.length, reasons: [{ reason: 'board_not_found', count: jobs.length }] }] : [],
  ...extra,
});

describe('formatFailedJobs', () => {
  it('by route, then reason, each job with its remediation, and the requeue command to run next', () => {
    expect(formatFailedJobs(failedReport([job]))).toBe(
      [
        'Failed jobs in tenant ten_a: 1, newest first per tenant',
        '',
        'route ops (1)',
        '  board_not_found (1)',
        '    job_1  tenant ten_a · account main · board 55555 · HTTP 404 code 40 · failed 2026-11-22T09:00:01.000Z · 1 attempt',
        '      → Board 55555 was not found for account main: check board_id or reconnect the account that owns it, then requeue the job.',
        '',
        'Requeue after fixing the cause (a dry run first; --set FIELD=VALUE corrects pin fields): npm run admin -- jobs requeue --tenant ten_a --reason board_not_found',
      ].join('\n'),
    );
  });

  it('none, and a truncated list', () => {
    expect(
      formatFailedJobs(
        failedReport([], { filter: { tenant_id: null, route: 'client', reason: null, account_id: null, limit: 50 }, tenants: ['a', 'b'] }),
      ),
    ).toBe('No failed jobs in 2 tenants (route client).');
    expect(
      formatFailedJobs(
        failedReport([job], { truncated: true, filter: { tenant_id: 'ten_a', route: null, reason: null, account_id: null, limit: 1 } }),
      ),
    ).toMatch(/^Failed jobs in tenant ten_a: 1 \(the first 1; more match: raise --limit\)/);
  });
});

describe('formatRequeue', () => {
  const base = {
    tenant_id: 'ten_a',
    filter: failedReport([]).filter,
    corrections: { board_id: '1111111111' },
    matched: 1,
    truncated: false,
  };
  it('a dry run says what would happen and how to apply it', () => {
    expect(
      formatRequeue({
        ...base,
        dry_run: true,
        requeued: 0,
        would_requeue: 1,
        not_requeued: 0,
        jobs: [{ job_id: 'job_1', account_id: 'main', route: 'ops', reason: 'board_not_found', outcome: 'would_requeue' }],
      }),
    ).toBe(
      'Dry run: would requeue 1 of 1 failed job in tenant ten_a, with board_id=1111111111; nothing written (add --apply):\n  job_1  account main · ops/board_not_found · would requeue',
    );
  });
  it('applied, with what was not requeued', () => {
    const text = formatRequeue({
      ...base,
      matched: 2,
      dry_run: false,
      requeued: 1,
      would_requeue: 0,
      not_requeued: 1,
      jobs: [
        { job_id: 'job_1', account_id: 'main', route: 'ops', reason: 'board_not_found', outcome: 'requeued' },
        {
          job_id: 'job_2',
          account_id: 'main',
          route: 'ops',
          reason: 'board_not_found',
          outcome: 'conflict',
          detail: 'job job_2 is queued; only failed jobs can be requeued',
        },
      ],
    });
    expect(text).toContain('Requeued 1 of 2 failed jobs in tenant ten_a, with board_id=1111111111:');
    expect(text).toContain('  job_2  account main · ops/board_not_found · conflict: job job_2 is queued; only failed jobs can be requeued');
    expect(text).toContain('Not requeued: 1');
  });
});

describe('formatStuck and formatNudge', () => {
  const stuck: StuckReport = {
    generated_at: '2026-11-22T09:20:00.000Z',
    grace_seconds: 900,
    due_before: '2026-11-22T09:05:00.000Z',
    limit: 100,
    maybe_more: false,
    jobs: [
      {
        tenant_id: 'ten_a',
        job_id: 'job_1',
        account_id: 'main',
        status: 'queued',
        due_at: '1970-01-01T00:00:00.000Z',
        overdue_seconds: null,
        dead_lettered: true,
        updated_at: '2026-11-22T09:00:00.000Z',
        redispatches: 0,
        lease_until: null,
        planned: 'redispatch',
        last_incident: '2026-11-22T09:01:00.000Z message_dead_lettered: the publish queue dead-lettered it',
      },
    ],
  };
  it('lists each job with its due time and the planned action, then the nudge command', () => {
    expect(formatStuck(stuck)).toBe(
      [
        'Stuck jobs (overdue by more than 900 s; what reconcile-stranded-jobs takes on its next run, earliest due first): 1',
        '  job_1  tenant ten_a · account main · queued · due at once (its message was dead-lettered) · 0 re-dispatches → redispatch',
        '      last incident: 2026-11-22T09:01:00.000Z message_dead_lettered: the publish queue dead-lettered it',
        'Run the reconciliation for them now: npm run admin -- jobs nudge --grace 900 --apply',
      ].join('\n'),
    );
    expect(formatStuck({ ...stuck, jobs: [] })).toBe('No stuck jobs: none is overdue by more than 900 s on the due index.');
  });
  it('nudge: dry run and applied', () => {
    expect(formatNudge({ dry_run: true, stuck, result: null })).toMatch(
      /^Dry run: the reconciliation would take 1 job \(add --apply\):\n {2}job_1/,
    );
    expect(
      formatNudge({ dry_run: false, stuck, result: { examined: 1, redispatched: 1, recovered: 0, stranded: 0, skipped: 0, errors: [] } }),
    ).toMatch(/^Reconciled now: examined 1, re-dispatched 1, leases recovered 0, failed as stranded 0, skipped 0 \(moved on meanwhile\)\./);
  });
});

describe('formatRedrive and formatQueues', () => {
  const depth = (visible: number, in_flight = 0) => ({ visible, in_flight, delayed: 0 });
  const redrive: RedriveReport = {
    queue: 'publish',
    from: 'publish_dlq',
    to: 'publish',
    dry_run: false,
    method: 'receive_send_delete',
    before: { dead_letter: depth(1), source: depth(0) },
    after: { dead_letter: depth(0), source: depth(1) },
    moved: 1,
    failed: 0,
    not_deleted: 0,
    task: null,
    still_running: false,
  };
  it('redrive: dry run, by hand, and by a move task', () => {
    expect(formatRedrive({ ...redrive, dry_run: true, method: null, after: null, moved: 0 })).toBe(
      'Dry run: would move 1 message from the publish DLQ back to the publish queue (now 0 visible · 0 in flight); nothing moved (add --apply).',
    );
    expect(formatRedrive(redrive)).toBe(
      'Moved 1 message from the publish DLQ back to the publish queue by receive, send, delete (this SQS has no message move tasks).\n' +
        'Now: publish DLQ 0 visible · 0 in flight; publish 1 visible · 0 in flight.',
    );
    expect(
      formatRedrive({
        ...redrive,
        method: 'message_move_task',
        task: { handle: 'h', status: 'COMPLETED', moved: 1, toMove: 1, failureReason: null },
      }),
    ).toMatch(/^Moved 1 message from the publish DLQ back to the publish queue by an SQS message move task \(COMPLETED\)\./);
  });
  it('queues: a table, and what to run for a non-empty dead-letter queue', () => {
    const text = formatQueues({
      generated_at: '2026-11-22T09:20:00.000Z',
      not_configured: [],
      queues: [
        { queue: 'publish', label: 'publish', fifo: true, consumer: 'publish-pin', depth: depth(0, 2) },
        { queue: 'publish_dlq', label: 'publish DLQ', fifo: true, consumer: 'record-dead-letters', depth: depth(1) },
        { queue: 'poison', label: 'poison', fifo: false, consumer: null, depth: depth(0) },
      ],
    });
    expect(text.split('\n').slice(0, 4)).toEqual([
      'queue               visible  in flight  delayed  consumer',
      'publish (FIFO)            0          2        0  publish-pin',
      'publish DLQ (FIFO)        1          0        0  record-dead-letters',
      'poison                    0          0        0  (none: for a human)',
    ]);
    expect(text).toContain('publish DLQ: 1 waiting; redrive: npm run admin -- dlq redrive --queue publish');
  });
});

describe('parseCorrections', () => {
  it('FIELD=VALUE as strings; JSON for objects', () => {
    expect(
      parseCorrections(['board_id=1111111111', 'title=a=b', 'media_source={"source_type":"image_url","url":"https://e.com/a.jpg"}']),
    ).toEqual({
      board_id: '1111111111',
      title: 'a=b',
      media_source: { source_type: 'image_url', url: 'https://e.com/a.jpg' },
    });
    expect(() => parseCorrections(['board_id'])).toThrow(UsageError);
    expect(() => parseCorrections(['media_source={oops'])).toThrow(/does not parse/);
  });

  it("checks them like a requeue body's pin: each problem at its path, and fields that are not pin fields", () => {
    expect(() => parseCorrections([`title=${'x'.repeat(101)}`])).toThrow(
      expect.objectContaining({
        name: 'InvalidCorrections',
        message: 'invalid corrections',
        details: [{ path: 'pin.title', message: 'must be at most 100 characters' }],
      }),
    );
    expect(() => parseCorrections(['colour=red'])).toThrow(InvalidCorrections);
    expect(() => parseCorrections(['colour=red'])).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ path: 'pin' })] }),
    );
  });
});
