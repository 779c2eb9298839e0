import type { AccountRate } from '../lambdas/domain/account.ts';
import type { BulkRequeueReport, FailedJobsReport } from '../lambdas/use-cases/ops-jobs.ts';
import type { NudgeReport, StuckReport } from '../lambdas/use-cases/ops-stuck-jobs.ts';
import { QUEUE_INFO, type QueuesReport, type RedriveReport } from '../lambdas/use-cases/ops-queues.ts';
import type { QueueDepth } from '../lambdas/use-cases/ports.ts';

/**
 * What the operations commands print for a person (`--json` prints the reports themselves). Pure: the
 * reports in, text out; test/unit/admin/ops-output.test.ts pins the shapes the runbook quotes.
 */

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const ADMIN = 'npm run admin --';

function filterText(filter: FailedJobsReport['filter']): string {
  const parts = [
    filter.route ? `route ${filter.route}` : '',
    filter.reason ? `reason ${filter.reason}` : '',
    filter.account_id ? `account ${filter.account_id}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export function formatFailedJobs(report: FailedJobsReport): string {
  const scope = report.filter.tenant_id ? `tenant ${report.filter.tenant_id}` : `${plural(report.tenants.length, 'tenant')}`;
  if (report.jobs.length === 0) return `No failed jobs in ${scope}${filterText(report.filter)}.`;
  const lines = [
    `Failed jobs in ${scope}${filterText(report.filter)}: ${report.jobs.length}${report.truncated ? ` (the first ${report.filter.limit}; more match: raise --limit)` : ''}, newest first per tenant`,
  ];
  for (const route of report.by_route) {
    lines.push('', `route ${route.route} (${route.count})`);
    for (const { reason, count } of route.reasons) {
      lines.push(`  ${reason} (${count})`);
      for (const job of report.jobs.filter((j) => j.route === route.route && j.reason === reason)) {
        const http =
          job.http_status !== null ? ` · HTTP ${job.http_status}${job.error_code !== null ? ` code ${job.error_code}` : ''}` : '';
        lines.push(
          `    ${job.job_id}  tenant ${job.tenant_id} · account ${job.account_id} · board ${job.board_id}${http} · failed ${job.failed_at} · ${plural(job.attempt_count, 'attempt')}`,
          `      → ${job.remediation}`,
        );
      }
    }
  }
  const tenants = [...new Set(report.jobs.map((j) => j.tenant_id))];
  const reasons = [...new Set(report.jobs.map((j) => j.reason))];
  lines.push(
    '',
    `Requeue after fixing the cause (a dry run first; --set FIELD=VALUE corrects pin fields): ${ADMIN} jobs requeue --tenant ${tenants.length === 1 ? tenants[0] : 'TENANT'} ` +
      `--reason ${reasons.length === 1 ? reasons[0] : 'REASON'}`,
  );
  return lines.join('\n');
}

export function formatRequeue(report: BulkRequeueReport): string {
  const corrections = Object.entries(report.corrections).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const withText = corrections.length > 0 ? `, with ${corrections.join(' ')}` : '';
  const scope = `tenant ${report.tenant_id}${filterText(report.filter)}`;
  if (report.matched === 0) return `No failed jobs match in ${scope}: nothing to requeue.`;
  const lines: string[] = [];
  if (report.dry_run) {
    lines.push(
      `Dry run: would requeue ${report.would_requeue} of ${plural(report.matched, 'failed job')} in ${scope}${withText}; nothing written (add --apply):`,
    );
  } else {
    lines.push(`Requeued ${report.requeued} of ${plural(report.matched, 'failed job')} in ${scope}${withText}:`);
  }
  for (const job of report.jobs) {
    lines.push(
      `  ${job.job_id}  account ${job.account_id} · ${job.route}/${job.reason} · ${job.outcome.replace('_', ' ')}${job.detail ? `: ${job.detail}` : ''}`,
    );
  }
  if (report.not_requeued > 0) lines.push(`Not requeued: ${report.not_requeued} (see above; a conflict is a job that is no longer failed)`);
  if (report.truncated) lines.push(`More failed jobs match than --limit ${report.filter.limit}: run again for the rest.`);
  if (!report.dry_run && report.requeued > 0)
    lines.push('Each requeued job is queued again under its Idempotency-Key: follow it with GET /v1/jobs/{job_id}.');
  return lines.join('\n');
}

function stuckLines(report: StuckReport): string[] {
  const lines = [];
  for (const job of report.jobs) {
    const due = job.dead_lettered ? 'due at once (its message was dead-lettered)' : `due ${job.due_at}, ${job.overdue_seconds} s overdue`;
    const lease = job.lease_until ? ` · lease until ${job.lease_until}` : '';
    lines.push(
      `  ${job.job_id}  tenant ${job.tenant_id} · account ${job.account_id} · ${job.status} · ${due}${lease} · ${plural(job.redispatches, 're-dispatch', 're-dispatches')} → ${job.planned.replaceAll('_', ' ')}`,
    );
    if (job.last_incident) lines.push(`      last incident: ${job.last_incident}`);
  }
  return lines;
}

export function formatStuck(report: StuckReport): string {
  if (report.jobs.length === 0) return `No stuck jobs: none is overdue by more than ${report.grace_seconds} s on the due index.`;
  return [
    `Stuck jobs (overdue by more than ${report.grace_seconds} s; what reconcile-stranded-jobs takes on its next run, earliest due first): ${report.jobs.length}${report.maybe_more ? ` (the first ${report.limit}; there may be more)` : ''}`,
    ...stuckLines(report),
    `Run the reconciliation for them now: ${ADMIN} jobs nudge --grace ${report.grace_seconds} --apply`,
  ].join('\n');
}

export function formatNudge(report: NudgeReport): string {
  if (report.dry_run) {
    if (report.stuck.jobs.length === 0) return formatStuck(report.stuck);
    return [
      `Dry run: the reconciliation would take ${plural(report.stuck.jobs.length, 'job')} (add --apply):`,
      ...stuckLines(report.stuck),
    ].join('\n');
  }
  const r = report.result;
  if (r === null) throw new Error('a nudge that was applied reports what the reconciler did: result is null');
  const lines = [
    `Reconciled now: examined ${r.examined}, re-dispatched ${r.redispatched}, leases recovered ${r.recovered}, failed as stranded ${r.stranded}, skipped ${r.skipped} (moved on meanwhile).`,
  ];
  if (r.redispatched > 0)
    lines.push('A re-dispatched job gets a fresh queue message from the outbox; each step is in its incidents (GET /v1/jobs/{job_id}).');
  for (const e of r.errors) lines.push(`  error on ${e.job_id}: ${e.error}`);
  return lines.join('\n');
}

const depthText = (d: QueueDepth) => `${d.visible} visible · ${d.in_flight} in flight${d.delayed > 0 ? ` · ${d.delayed} delayed` : ''}`;

export function formatRedrive(report: RedriveReport): string {
  const from = QUEUE_INFO[report.from].label;
  const to = QUEUE_INFO[report.to].label;
  if (report.dry_run) {
    const n = report.before.dead_letter.visible;
    const lines = [
      n === 0
        ? `The ${from} is empty (${depthText(report.before.dead_letter)}): nothing to redrive.`
        : `Dry run: would move ${plural(n, 'message')} from the ${from} back to the ${to} queue (now ${depthText(report.before.source)}); nothing moved (add --apply).`,
    ];
    if (report.task)
      lines.push(
        `Latest move task: ${report.task.status}, ${report.task.moved} moved${report.task.failureReason ? ` (${report.task.failureReason})` : ''}.`,
      );
    return lines.join('\n');
  }
  const how =
    report.method === 'message_move_task'
      ? `by an SQS message move task${report.task?.handle ? ` (${report.task.status})` : ''}`
      : 'by receive, send, delete (this SQS has no message move tasks)';
  const lines = [`Moved ${plural(report.moved, 'message')} from the ${from} back to the ${to} queue ${how}.`];
  if (report.after) lines.push(`Now: ${from} ${depthText(report.after.dead_letter)}; ${to} ${depthText(report.after.source)}.`);
  if (report.failed > 0)
    lines.push(`Not moved (still in the ${from}): ${report.failed}${report.task?.failureReason ? ` — ${report.task.failureReason}` : ''}.`);
  if (report.not_deleted > 0)
    lines.push(`Sent but not deleted from the ${from} (a second copy; the worker drops the stale one): ${report.not_deleted}.`);
  if (report.still_running) lines.push(`The move task is still running: run the same command again (a dry run) to see it.`);
  return lines.join('\n');
}

export function formatQueues(report: QueuesReport): string {
  const rows = report.queues.map((q) => [
    `${q.label}${q.fifo ? ' (FIFO)' : ''}`,
    q.depth ? String(q.depth.visible) : '?',
    q.depth ? String(q.depth.in_flight) : '?',
    q.depth ? String(q.depth.delayed) : '?',
    q.error ? `error: ${q.error}` : (q.consumer ?? '(none: for a human)'),
  ]);
  const header = ['queue', 'visible', 'in flight', 'delayed', 'consumer'];
  // Every row has the header's five cells: the `?? 0` defaults never apply.
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 1 && i <= 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  lines.push('Oldest-message age is not in the SQS API: CloudWatch ApproximateAgeOfOldestMessage (the dashboard) has it.');
  for (const q of report.queues) {
    const waiting = q.depth ? q.depth.visible + q.depth.in_flight : 0;
    if (waiting === 0) continue;
    if (q.queue === 'publish_dlq' || q.queue === 'delay_dlq')
      lines.push(
        `${q.label}: ${waiting} waiting; redrive: ${ADMIN} dlq redrive --queue ${q.queue === 'publish_dlq' ? 'publish' : 'delay'}`,
      );
    if (q.queue === 'webhook_dlq') lines.push(`${q.label}: ${waiting} waiting; replay: ${ADMIN} webhooks replay --dry-run`);
  }
  if (report.not_configured.length > 0) lines.push(`Not configured (not shown): ${report.not_configured.join(', ')}`);
  return lines.join('\n');
}

const n3 = (x: number) => Math.round(x * 1000) / 1000;

export function formatRate(tenantId: string, accountId: string, rate: AccountRate): string {
  const lines = [
    `Account ${accountId} of tenant ${tenantId}: ${rate.effective_limit}/min allowed now (configured ${rate.limit}/min${rate.penalized ? ', lowered after 429s' : ''})`,
    `  write bucket: ${n3(rate.tokens)} of ${n3(rate.capacity)} tokens, refill ${n3(rate.refill_per_second)}/s, next slot ${rate.next_slot_at}`,
    `  last minute: ${rate.sent_last_minute} sent, ${rate.unproven_last_minute} unproven (429, 5xx or no answer)${rate.held_until ? `; held until ${rate.held_until} (Retry-After)` : ''}`,
    `  reads: ${rate.read.limit}/min, ${n3(rate.read.tokens)} of ${n3(rate.read.capacity)} tokens${rate.read.held_until ? `, held until ${rate.read.held_until}` : ''}`,
  ];
  if (rate.adaptive)
    lines.push(`  adaptive: Pinterest accepted ${rate.adaptive.ceiling}/min before refusing (since ${rate.adaptive.since})`);
  return lines.join('\n');
}
