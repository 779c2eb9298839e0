import { pinProblems, RequeueRequest } from '../lambdas/api/schemas.ts';
import { DynamoPacer } from '../lambdas/adapters/dynamo-pacer.ts';
import { DynamoTenantDirectory } from '../lambdas/adapters/dynamo-tenant-directory.ts';
import { DynamoTenantStore } from '../lambdas/adapters/dynamo-tenant-store.ts';
import { maxCrashes, retryPolicy } from '../lambdas/domain/backoff.ts';
import { systemClock } from '../lambdas/domain/clock.ts';
import { DomainError, InvalidInput, type ErrorDetail } from '../lambdas/domain/errors.ts';
import { FAILURE_ROUTES, type FailureRoute } from '../lambdas/domain/job.ts';
import type { PinCorrections } from '../lambdas/domain/pin.ts';
import { accountRate } from '../lambdas/use-cases/account-rate.ts';
import { listFailedJobs, requeueFailedJobs } from '../lambdas/use-cases/ops-jobs.ts';
import { listStuckJobs, nudgeStuckJobs } from '../lambdas/use-cases/ops-stuck-jobs.ts';
import { queueDepths, redriveDeadLetters, REDRIVES, type RedriveQueue } from '../lambdas/use-cases/ops-queues.ts';
import { formatFailedJobs, formatNudge, formatQueues, formatRate, formatRedrive, formatRequeue, formatStuck } from './ops-output.ts';
import { OpsTarget, UsageError, type OpsIo, type OpsValues } from './ops-target.ts';
import { progressBar, progressOn } from './progress.ts';

/**
 * The operations commands of `npm run admin --` (bin/admin.ts parses the arguments): each one builds the
 * adapters for AWS or for a running `npm start` (`--local`), runs a use case (lambdas/use-cases/ops-jobs.ts,
 * ops-queues.ts, account-rate.ts) and prints its report — for a person, or as JSON with `--json`. Progress
 * goes to stderr. Whatever changes something is a dry run unless `--apply`. No side effects on import.
 *
 * Where things are, in AWS and in local mode: bin/ops-target.ts.
 */

export const OPS_COMMANDS = ['jobs', 'dlq', 'queues', 'rate'] as const;

export const OPS_USAGE = [
  '       npm run admin -- jobs failed [--tenant T] [--route ops|client|engineering] [--reason R] [--account A] [--limit N] [--json] [--local]',
  '       npm run admin -- jobs requeue --tenant T [--route R] [--reason R] [--account A] [--job JOB_ID]... [--set FIELD=VALUE]... [--limit N] [--apply] [--json] [--local]',
  '       npm run admin -- jobs stuck [--grace SECONDS] [--limit N] [--json] [--local]',
  '       npm run admin -- jobs nudge [--grace SECONDS] [--limit N] [--apply] [--json] [--local]',
  '       npm run admin -- dlq redrive --queue publish|delay [--apply] [--json] [--local]',
  '       npm run admin -- queues [--json] [--local] [--stage STAGE]',
  '       npm run admin -- rate --tenant T --account A [--json] [--local]',
  '       AWS: --jobs-table / JOBS_TABLE_NAME, --table / TENANTS_TABLE_NAME, queue URLs from PUBLISH_QUEUE_URL, PUBLISH_DLQ_URL, DELAY_QUEUE_URL,',
  '       DELAY_DLQ_URL, OUTBOX_DLQ_URL, POISON_QUEUE_URL, WEBHOOK_DLQ_URL or --stage STAGE; --region, --endpoint as above.',
].join('\n');

/** Corrections that are not valid pin fields by themselves (exit code 2, each problem on its own line). */
export class InvalidCorrections extends InvalidInput {
  constructor(details: readonly ErrorDetail[]) {
    super('invalid corrections', details);
  }
}

/**
 * `FIELD=VALUE` pin corrections; a value starting with `{` or `[` is JSON (media_source). Checked like
 * POST /v1/jobs/{id}/requeue's `pin`, before anything is read: the merged pin is checked again per job.
 */
export function parseCorrections(pairs: readonly string[]): PinCorrections {
  const corrections: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${pair}: expected FIELD=VALUE (e.g. --set board_id=1111111111)`);
    const field = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    if (/^\s*[{[]/.test(raw)) {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new UsageError(`--set ${field}: the value looks like JSON but does not parse`);
      }
    }
    corrections[field] = value;
  }
  const checked = RequeueRequest.safeParse({ pin: corrections });
  if (!checked.success) {
    throw new InvalidCorrections(checked.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })));
  }
  return corrections as PinCorrections; // as given (the report lists them in the order they were set)
}

function positiveInteger(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} ${value}: expected a whole number ≥ ${min}`);
  return n;
}

function route(value: string | undefined): FailureRoute | undefined {
  if (value === undefined) return undefined;
  if (!(FAILURE_ROUTES as readonly string[]).includes(value)) throw new UsageError(`--route ${value}: one of ${FAILURE_ROUTES.join(', ')}`);
  return value as FailureRoute;
}

/** Runs `jobs …`, `dlq redrive`, `queues` or `rate`; answers the exit code (0 ok, 1 something failed, 2 usage). */
export async function runOpsCommand(command: string, sub: string | undefined, values: OpsValues, io: OpsIo): Promise<number> {
  const progress = progressOn(io.stderr);
  let target: OpsTarget | undefined;
  const print = (report: object, text: string) => io.stdout(values.json ? JSON.stringify(report, null, 2) : text);
  try {
    target = new OpsTarget(values, io);
    const t = target;
    const settings = t.settings;
    const key = sub ? `${command} ${sub}` : command;
    switch (key) {
      case 'jobs failed': {
        const filter = {
          ...(values.tenant ? { tenantId: values.tenant } : {}),
          ...optional('route', route(values.route)),
          ...optional('reason', values.reason),
          ...optional('accountId', values.account),
          limit: positiveInteger('limit', values.limit, 50),
        };
        const report = await listFailedJobs(
          { jobs: t.jobStore(), ...(values.tenant ? {} : { directory: new DynamoTenantDirectory(t.dynamoClient(), t.tenantsTable()) }) },
          filter,
          (p) => {
            if (p.tenants > 1) progress.show(progressBar(p.tenantsDone, p.tenants, `tenants read · ${p.found} failed jobs`));
          },
        );
        progress.end();
        print(report, formatFailedJobs(report));
        return 0;
      }
      case 'jobs requeue': {
        if (!values.tenant) throw new UsageError('jobs requeue needs --tenant T (a requeue is per tenant, like the API)');
        const apply = values.apply === true;
        const selection = {
          tenantId: values.tenant,
          ...optional('route', route(values.route)),
          ...optional('reason', values.reason),
          ...optional('accountId', values.account),
          ...(values.job && values.job.length > 0 ? { jobIds: values.job } : {}),
          corrections: parseCorrections(values.set ?? []),
          limit: positiveInteger('limit', values.limit, 100),
        };
        const report = await requeueFailedJobs(
          { jobs: t.jobStore(), clock: systemClock, checkPin: pinProblems },
          {
            ...selection,
            apply,
            onProgress: (p) => {
              if (p.total > 0) progress.show(progressBar(p.done, p.total, apply ? `done · ${p.requeued} requeued` : 'checked'));
            },
          },
        );
        progress.end();
        print(report, formatRequeue(report));
        return report.dry_run || report.not_requeued === 0 ? 0 : 1;
      }
      case 'jobs stuck': {
        const report = await listStuckJobs(
          { jobs: t.jobStore(), clock: systemClock },
          {
            graceSeconds: positiveInteger('grace', values.grace, settings.RECONCILE_GRACE_SECONDS, 0),
            limit: positiveInteger('limit', values.limit, settings.RECONCILE_PAGE_LIMIT),
            maxRedispatches: settings.RECONCILE_MAX_REDISPATCHES,
          },
        );
        print(report, formatStuck(report));
        return 0;
      }
      case 'jobs nudge': {
        const report = await nudgeStuckJobs(
          { jobs: t.jobStore(), clock: systemClock },
          {
            graceSeconds: positiveInteger('grace', values.grace, settings.RECONCILE_GRACE_SECONDS, 0),
            limit: positiveInteger('limit', values.limit, settings.RECONCILE_PAGE_LIMIT),
            maxRedispatches: settings.RECONCILE_MAX_REDISPATCHES,
            maxCrashes: maxCrashes(retryPolicy({ baseSeconds: settings.RETRY_BASE_SECONDS, maxAttempts: settings.RETRY_MAX_ATTEMPTS })),
            apply: values.apply === true,
          },
        );
        print(report, formatNudge(report));
        return report.result && report.result.errors.length > 0 ? 1 : 0;
      }
      case 'dlq redrive': {
        const queue = values.queue;
        if (queue !== 'publish' && queue !== 'delay') throw new UsageError('dlq redrive needs --queue publish or --queue delay');
        const { from, to } = REDRIVES[queue as RedriveQueue];
        const report = await redriveDeadLetters(
          { queues: await t.queueAdmin([from, to]), clock: systemClock, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
          {
            queue,
            apply: values.apply === true,
            onProgress: (p) => {
              if (p.total > 0) progress.show(progressBar(p.moved, p.total, 'moved'));
            },
          },
        );
        progress.end();
        print(report, formatRedrive(report));
        return report.failed > 0 || report.still_running ? 1 : 0;
      }
      case 'queues': {
        const report = await queueDepths({ queues: await t.queueAdmin(), clock: systemClock });
        print(report, formatQueues(report));
        return report.queues.some((q) => q.error) ? 1 : 0;
      }
      case 'rate': {
        if (!values.tenant || !values.account) throw new UsageError('rate needs --tenant T and --account A');
        const rate = await accountRate(
          {
            tenants: new DynamoTenantStore(t.dynamoClient(), t.tenantsTable()),
            pacer: new DynamoPacer(
              t.dynamoClient(),
              t.tenantsTable(),
              systemClock,
              settings.PACING_APP_PER_SECOND,
              settings.PACING_READ_PER_MINUTE,
            ),
          },
          values.tenant,
          values.account,
          settings.PACING_ACCOUNT_PER_MINUTE,
        );
        print(rate, formatRate(values.tenant, values.account, rate));
        return 0;
      }
      default:
        throw new UsageError(`unknown command: ${key}`);
    }
  } catch (error) {
    progress.end();
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof DomainError) {
      const details = error.details.map((d) => `\n  ${d.path}: ${d.message}`).join('');
      io.stderr.write(`admin: ${error.message}${details}\n`);
      return 2;
    }
    io.stderr.write(`admin: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    return 1;
  } finally {
    target?.close();
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
