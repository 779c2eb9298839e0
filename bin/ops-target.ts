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
import { DynamoJobStore } from '../lambdas/adapters/dynamo-job-store.ts';
import { SqsQueueAdmin, type QueueLocation } from '../lambdas/adapters/sqs-queue-admin.ts';
import { parseRuntimeConfig, type RuntimeConfig } from '../lambdas/common/config.ts';
import { OPS_QUEUES, type OpsQueue } from '../lambdas/use-cases/ports.ts';
import type { LocalState } from '../local/state-file.ts';

/**
 * Where the operations commands (bin/ops.ts) find things, and the clients they use for one run.
 *
 * Local mode: the state file `npm start` writes. AWS: the tables from JOBS_TABLE_NAME and
 * TENANTS_TABLE_NAME (stack outputs JobsTableName, TenantsTableName) or --jobs-table / --table; the queues from
 * PUBLISH_QUEUE_URL, PUBLISH_DLQ_URL, DELAY_QUEUE_URL, DELAY_DLQ_URL, OUTBOX_DLQ_URL, POISON_QUEUE_URL and
 * WEBHOOK_DLQ_URL, or found by name with --stage STAGE (CloudFormation names them
 * `Pinrelay-<stage>-Stateful-Queues<Queue><hash>-…`). Settings the commands share with the functions
 * (RECONCILE_GRACE_SECONDS, RECONCILE_PAGE_LIMIT, RECONCILE_MAX_REDISPATCHES, RETRY_*, PACING_*) are read from
 * the same variables, defaults otherwise: set them to the stage's values when the stage changed them.
 */

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

/** Clients and names for one run: AWS (environment, flags) or the running `npm start`. */
export class OpsTarget {
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
    return this.values.region ?? this.io.env.AWS_REGION ?? 'us-east-1';
  }

  private common(endpoint: string | undefined) {
    return {
      region: this.region,
      ...(endpoint ? { endpoint } : {}),
      ...(this.io.local ? { credentials: LOCAL_CREDENTIALS } : {}),
    };
  }

  dynamoClient(): DynamoDBDocumentClient {
    this.dynamo ??= DynamoDBDocumentClient.from(
      new DynamoDBClient(this.common(this.io.local ? this.io.local.dynamodbEndpoint : this.values.endpoint)),
      {
        marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      },
    );
    return this.dynamo;
  }

  sqsClient(): SQSClient {
    this.sqs ??= new SQSClient(this.common(this.io.local ? this.io.local.sqsEndpoint : this.values.endpoint));
    return this.sqs;
  }

  jobsTable(): string {
    const name = this.io.local ? this.io.local.jobsTable : (this.values['jobs-table'] ?? this.io.env.JOBS_TABLE_NAME);
    if (!name)
      throw new UsageError('which jobs table? set JOBS_TABLE_NAME (the JobsTableName stack output), pass --jobs-table, or use --local');
    return name;
  }

  tenantsTable(): string {
    const name = this.io.local ? this.io.local.tenantsTable : (this.values.table ?? this.io.env.TENANTS_TABLE_NAME);
    if (!name)
      throw new UsageError('which tenants table? set TENANTS_TABLE_NAME (the TenantsTableName stack output), pass --table, or use --local');
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
      const prefix = this.jobsTable().slice(0, -JOBS_TABLE.logicalName.length);
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
      const out = await this.sqsClient().send(
        new ListQueuesCommand({ QueueNamePrefix: `Pinrelay-${stage}-Stateful-`, MaxResults: 1000, ...(next ? { NextToken: next } : {}) }),
      );
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
