import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DELAY_DLQ,
  DELAY_QUEUE,
  OUTBOX_DLQ,
  POISON_QUEUE,
  PUBLISH_DLQ,
  PUBLISH_QUEUE,
  WEBHOOK_DLQ,
  localQueueName,
  type QueueDefinition,
} from '../definitions/queues.ts';
import { JOBS_TABLE } from '../definitions/tables.ts';
import type { PinFields } from '../lambdas/api/schemas.ts';
import { DynamoJobStore } from '../lambdas/adapters/dynamo-job-store.ts';
import { DynamoPacer } from '../lambdas/adapters/dynamo-pacer.ts';
import { DynamoTenantDirectory } from '../lambdas/adapters/dynamo-tenant-directory.ts';
import { DynamoTenantStore } from '../lambdas/adapters/dynamo-tenant-store.ts';
import { SqsQueueAdmin, type QueueLocation } from '../lambdas/adapters/sqs-queue-admin.ts';
import { maxCrashes, retryPolicy } from '../lambdas/domain/backoff.ts';
import { systemClock } from '../lambdas/domain/clock.ts';
import { parseRuntimeConfig, type RuntimeConfig } from '../lambdas/common/config.ts';
import { ApiError } from '../lambdas/common/errors.ts';
import { accountRate } from '../lambdas/use-cases/account-rate.ts';
import { FAILURE_ROUTES, listFailedJobs, listStuckJobs, nudgeStuckJobs, requeueFailedJobs, type FailureRoute } from '../lambdas/use-cases/ops-jobs.ts';
import { queueDepths, redriveDeadLetters, REDRIVES, type RedriveQueue } from '../lambdas/use-cases/ops-queues.ts';
import { OPS_QUEUES, type OpsQueue } from '../lambdas/use-cases/ports.ts';
import type { LocalState } from '../local/state-file.ts';
import { formatFailedJobs, formatNudge, formatQueues, formatRate, formatRedrive, formatRequeue, formatStuck } from './ops-output.ts';
import { progressBar, progressOn } from './progress.ts';

/**
 * The operations commands of `npm run admin --` (bin/admin.ts parses the arguments): each one builds the
 * adapters for AWS or for a running `npm start` (`--local`), runs a use case (lambdas/use-cases/ops-jobs.ts,
 * ops-queues.ts, account-rate.ts) and prints its report — for a person, or as JSON with `--json`. Progress
 * goes to stderr. Whatever changes something is a dry run unless `--apply`. No side effects on import.
 *
 * Where things are. Local mode: the state file `npm start` writes. AWS: the tables from JOBS_TABLE_NAME and
 * TENANTS_TABLE_NAME (stack outputs JobsTableName, TenantsTableName) or --jobs-table / --table; the queues from
 * PUBLISH_QUEUE_URL, PUBLISH_DLQ_URL, DELAY_QUEUE_URL, DELAY_DLQ_URL, OUTBOX_DLQ_URL, POISON_QUEUE_URL and
 * WEBHOOK_DLQ_URL, or found by name with --stage STAGE (CloudFormation names them
 * `Pinrelay-<stage>-Stateful-Queues<Queue><hash>-…`). Settings the commands share with the functions
 * (RECONCILE_GRACE_SECONDS, RECONCILE_PAGE_LIMIT, RECONCILE_MAX_REDISPATCHES, RETRY_*, PACING_*) are read from
 * the same variables, defaults otherwise: set them to the stage's values when the stage changed them.
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

/** The parsed options these commands read (bin/admin.ts declares them). */
export interface OpsValues {
  readonly tenant?: string | undefined;
  readonly route?: string | undefined;
  readonly reason?: string | undefined;
  readonly account?: string | undefined;
  readonly limit?: string | undefined;
  readonly set?: string[] | undefined;
  readonly job?: string[] | undefined;
  readonly apply?: boolean | undefined;
  readonly grace?: string | undefined;
  readonly queue?: string | undefined;
  readonly json?: boolean | undefined;
  readonly 'jobs-table'?: string | undefined;
  readonly table?: string | undefined;
  readonly stage?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
}

export interface OpsIo {
  readonly stdout: (text: string) => void;
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** The running `npm start` (`--local`), from its state file. */
  readonly local?: Partial<LocalState> | undefined;
}

/** A mistake in the command line or the configuration: exit code 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Each operator queue's definition and the variable naming its URL in AWS. */
const QUEUE_SOURCES: Readonly<Record<OpsQueue, { readonly def: QueueDefinition; readonly env: string }>> = {
  publish: { def: PUBLISH_QUEUE, env: 'PUBLISH_QUEUE_URL' },
  publish_dlq: { def: PUBLISH_DLQ, env: 'PUBLISH_DLQ_URL' },
  delay: { def: DELAY_QUEUE, env: 'DELAY_QUEUE_URL' },
  delay_dlq: { def: DELAY_DLQ, env: 'DELAY_DLQ_URL' },
  outbox_dlq: { def: OUTBOX_DLQ, env: 'OUTBOX_DLQ_URL' },
  poison: { def: POISON_QUEUE, env: 'POISON_QUEUE_URL' },
  webhook_dlq: { def: WEBHOOK_DLQ, env: 'WEBHOOK_DLQ_URL' },
};

/** `FIELD=VALUE` pin corrections; a value starting with `{` or `[` is JSON (media_source). */
export function parseCorrections(pairs: readonly string[]): Partial<PinFields> {
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
  return corrections as Partial<PinFields>;
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

/** Clients and names for one run: AWS (environment, flags) or the running `npm start`. */
class Target {
  private dynamo: DynamoDBDocumentClient | undefined;
  private sqs: SQSClient | undefined;
  readonly settings: RuntimeConfig;

  constructor(
    private readonly values: OpsValues,
    private readonly io: OpsIo,
  ) {
    try {
      this.settings = parseRuntimeConfig(io.env);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    if (io.local && !io.local.jobsTable) throw new UsageError('the running npm start is older than these commands: restart it');
  }

  private get region(): string {
    return this.values.region ?? this.io.env['AWS_REGION'] ?? 'us-east-1';
  }

  private common(endpoint: string | undefined) {
    return {
      region: this.region,
      ...(endpoint ? { endpoint } : {}),
      ...(this.io.local ? { credentials: LOCAL_CREDENTIALS } : {}),
    };
  }

  dynamoClient(): DynamoDBDocumentClient {
    this.dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient(this.common(this.io.local ? this.io.local.dynamodbEndpoint : this.values.endpoint)), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    return this.dynamo;
  }

  sqsClient(): SQSClient {
    this.sqs ??= new SQSClient(this.common(this.io.local ? this.io.local.sqsEndpoint : this.values.endpoint));
    return this.sqs;
  }

  jobsTable(): string {
    const name = this.io.local ? this.io.local.jobsTable : (this.values['jobs-table'] ?? this.io.env['JOBS_TABLE_NAME']);
    if (!name) throw new UsageError('which jobs table? set JOBS_TABLE_NAME (the JobsTableName stack output), pass --jobs-table, or use --local');
    return name;
  }

  tenantsTable(): string {
    const name = this.io.local ? this.io.local.tenantsTable : (this.values.table ?? this.io.env['TENANTS_TABLE_NAME']);
    if (!name) throw new UsageError('which tenants table? set TENANTS_TABLE_NAME (the TenantsTableName stack output), pass --table, or use --local');
    return name;
  }

  jobStore(): DynamoJobStore {
    return new DynamoJobStore(this.dynamoClient(), this.jobsTable(), this.settings.JOB_RETENTION_DAYS);
  }

  /** The queues this run can see: local mode's by name, AWS's from the environment and `--stage`. */
  async queueLocations(): Promise<Partial<Record<OpsQueue, QueueLocation>>> {
    const found: Partial<Record<OpsQueue, QueueLocation>> = {};
    if (this.io.local) {
      // Local queues are `<prefix><QueueName>[.fifo]`, the prefix being the jobs table's (pipelines can share emulators).
      const prefix = this.io.local.jobsTable!.slice(0, -JOBS_TABLE.logicalName.length);
      for (const queue of OPS_QUEUES) {
        const { def } = QUEUE_SOURCES[queue];
        const out = await this.sqsClient().send(new GetQueueUrlCommand({ QueueName: `${prefix}${localQueueName(def)}` }));
        if (out.QueueUrl) found[queue] = { url: out.QueueUrl, fifo: def.fifo };
      }
      return found;
    }
    for (const queue of OPS_QUEUES) {
      const url = this.io.env[QUEUE_SOURCES[queue].env];
      if (url) found[queue] = { url, fifo: QUEUE_SOURCES[queue].def.fifo };
    }
    if (this.values.stage) Object.assign(found, { ...(await this.discover(this.values.stage)), ...found });
    return found;
  }

  /** The stage's queues by their CloudFormation names (`Pinrelay-<stage>-Stateful-Queues<Queue><hash>-<suffix>`). */
  private async discover(stage: string): Promise<Partial<Record<OpsQueue, QueueLocation>>> {
    const urls: string[] = [];
    let next: string | undefined;
    do {
      const out = await this.sqsClient().send(new ListQueuesCommand({ QueueNamePrefix: `Pinrelay-${stage}-Stateful-`, MaxResults: 1000, ...(next ? { NextToken: next } : {}) }));
      urls.push(...(out.QueueUrls ?? []));
      next = out.NextToken;
    } while (next);
    const found: Partial<Record<OpsQueue, QueueLocation>> = {};
    for (const queue of OPS_QUEUES) {
      const { def } = QUEUE_SOURCES[queue];
      const named = new RegExp(`-Queues${def.logicalName}[0-9A-F]{8}-`);
      const url = urls.find((u) => named.test(u.slice(u.lastIndexOf('/'))));
      if (url) found[queue] = { url, fifo: def.fifo };
    }
    return found;
  }

  async queueAdmin(needed: readonly OpsQueue[] = []): Promise<SqsQueueAdmin> {
    const locations = await this.queueLocations();
    const missing = needed.filter((q) => !locations[q]);
    if (missing.length > 0 || Object.keys(locations).length === 0) {
      const names = (missing.length > 0 ? missing : OPS_QUEUES).map((q) => QUEUE_SOURCES[q].env).join(', ');
      throw new UsageError(`which queues? set ${names} (queue URLs), pass --stage STAGE to find them by name, or use --local`);
    }
    return new SqsQueueAdmin(this.sqsClient(), locations);
  }

  close(): void {
    this.dynamo?.destroy();
    this.sqs?.destroy();
  }
}

/** Runs `jobs …`, `dlq redrive`, `queues` or `rate`; answers the exit code (0 ok, 1 something failed, 2 usage). */
export async function runOpsCommand(command: string, sub: string | undefined, values: OpsValues, io: OpsIo): Promise<number> {
  const progress = progressOn(io.stderr);
  let target: Target | undefined;
  const print = (report: object, text: string) => io.stdout(values.json ? JSON.stringify(report, null, 2) : text);
  try {
    target = new Target(values, io);
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
          { jobs: t.jobStore(), clock: systemClock },
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
            pacer: new DynamoPacer(t.dynamoClient(), t.tenantsTable(), systemClock, settings.PACING_APP_PER_SECOND, settings.PACING_READ_PER_MINUTE),
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
    if (error instanceof ApiError) {
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
