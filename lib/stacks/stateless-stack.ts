import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { alarmThresholds, type StageConfig } from '../config.ts';
import { PublicApi, type PublicRoute } from '../constructs/public-api.ts';
import { JobOutbox } from '../constructs/job-outbox.ts';
import { Observability } from '../constructs/observability/observability.ts';
import { PublishWorker } from '../constructs/publish-worker.ts';
import { ServiceFunction, type ServiceResources } from '../constructs/service-function.ts';
import { StrandedJobs } from '../constructs/stranded-jobs.ts';
import { WebConsole } from '../constructs/web-console.ts';
import { FUNCTIONS, type FunctionDefinition, type FunctionName } from '../../definitions/functions.ts';
import { metricsNamespace } from '../../definitions/metrics.ts';
import type { StatefulStack } from './stateful-stack.ts';

export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  /** The stateful resources the functions reach (tables, queues, bus, secrets key, Pinterest app credentials). */
  readonly stateful: StatefulStack;
}

/** `create-pin` → `CreatePin`: the construct id of a function (definitions/functions.ts). */
export function constructIdFor(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * Code and wiring: one ServiceFunction per FUNCTIONS entry, then each function's trigger — the REST API
 * (api routes + the authorizer), the jobs-stream outbox relay, the sweeper schedule, the publish and
 * delay queue consumers, and the stranded-job backstop (reconciler schedule, dead-letter queue consumer).
 * Also the stage's dashboard and alarms (lib/constructs/observability/): they follow the functions, and the web
 * console's distribution (lib/constructs/web-console.ts) in front of the API.
 */
export class StatelessStack extends Stack {
  public readonly functions: ReadonlyMap<FunctionName, ServiceFunction>;
  /** What every function's access list reaches: the stateful resources and the stage settings. */
  public readonly serviceResources: ServiceResources;
  public readonly publicApi: PublicApi;
  public readonly jobOutbox: JobOutbox;
  public readonly publishWorker: PublishWorker;
  public readonly strandedJobs: StrandedJobs;
  /** The `pinrelay-<stage>` dashboard and the alarms (docs/runbook.md), notifying the stateful stack's alarm topic. */
  public readonly observability: Observability;
  /** The web console and its same-origin API (CloudFront), unless the stage sets `console.enabled: false`. */
  public readonly webConsole: WebConsole | undefined;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    const { stage, settings } = props.config;
    super(scope, id, { description: `pinrelay ${stage}: functions, REST API, outbox relay, schedule and queue consumers`, ...props });
    const { stateful } = props;
    const logRemovalPolicy = settings.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = settings.logRetentionDays as logs.RetentionDays;
    // The stage key, for the triggers' grants, when it encrypts the table and queues they read.
    const triggerKey = stateful.customerManagedKey ? { encryptionKey: stateful.encryptionKey } : {};

    this.serviceResources = {
      jobsTable: stateful.tables.jobsTable,
      tenantsTable: stateful.tables.tenantsTable,
      publishQueue: stateful.queues.publishQueue,
      delayQueue: stateful.queues.delayQueue,
      poisonQueue: stateful.queues.poisonQueue,
      eventBus: stateful.eventBus,
      accountSecrets: stateful.accountSecrets,
      customerManagedKey: stateful.customerManagedKey,
      pinterestAppCredentials: stateful.pinterestAppCredentials,
      webhooks: stateful.webhooks,
      settings,
      // The namespace the dashboard and alarms read (lib/constructs/observability/).
      metricsNamespace: metricsNamespace(stage),
    };
    const functions = new Map<FunctionName, ServiceFunction>();
    for (const definition of FUNCTIONS as readonly FunctionDefinition[]) {
      functions.set(
        definition.name as FunctionName,
        new ServiceFunction(this, constructIdFor(definition.name), {
          definition,
          resources: this.serviceResources,
          logRetention,
          logRemovalPolicy,
        }),
      );
    }
    this.functions = functions;

    const byTrigger = <K extends FunctionDefinition['trigger']['kind']>(kind: K) =>
      [...functions.values()].filter((f) => f.definition.trigger.kind === kind);
    const exactlyOne = (kind: FunctionDefinition['trigger']['kind']) => {
      const found = byTrigger(kind);
      const [only] = found;
      if (!only || found.length !== 1) {
        throw new Error(
          `expected exactly one function with trigger "${kind}", found ${found.length}: wire the new one in lib/stacks/stateless-stack.ts`,
        );
      }
      return only;
    };

    const routes: PublicRoute[] = byTrigger('api').flatMap((fn) => {
      const trigger = fn.definition.trigger;
      return trigger.kind === 'api' ? trigger.routes.map((route) => ({ route, handler: fn.function })) : [];
    });
    this.publicApi = new PublicApi(this, 'PublicApi', {
      stageName: stage,
      authorizerFunction: exactlyOne('authorizer').function,
      routes,
      authorizerCacheTtl: Duration.seconds(settings.authorizerCacheSeconds),
      throttle: settings.apiThrottle,
      tenantLimits: settings.tenantLimits,
      logRetention,
      logRemovalPolicy,
    });

    this.webConsole = settings.console.enabled
      ? new WebConsole(this, 'WebConsole', {
          api: this.publicApi.api,
          stageName: stage,
          logRetentionDays: settings.logRetentionDays,
          logRemovalPolicy,
        })
      : undefined;

    // Scheduled functions are told apart by name: each schedule feeds its own construct.
    const scheduled = (name: FunctionName) => {
      const fn = functions.get(name);
      if (fn?.definition.trigger.kind !== 'schedule') throw new Error(`${name} is not a scheduled function in definitions/functions.ts`);
      return { fn, everyMinutes: fn.definition.trigger.everyMinutes };
    };
    if (byTrigger('schedule').length !== 2) {
      throw new Error('a new scheduled function in definitions/functions.ts: wire it in lib/stacks/stateless-stack.ts');
    }
    const sweep = scheduled('sweep-outbox');
    const reconcile = scheduled('reconcile-stranded-jobs');
    this.jobOutbox = new JobOutbox(this, 'JobOutbox', {
      jobsTable: stateful.tables.jobsTable,
      relayFunction: exactlyOne('jobs-stream').function,
      deadLetterQueue: stateful.queues.outboxDeadLetterQueue,
      sweepFunction: sweep.fn.function,
      sweepEvery: Duration.minutes(sweep.everyMinutes),
      ...triggerKey,
    });

    this.publishWorker = new PublishWorker(this, 'PublishWorker', {
      publishQueue: stateful.queues.publishQueue,
      workerFunction: exactlyOne('publish-queue').function,
      delayQueue: stateful.queues.delayQueue,
      requeueFunction: exactlyOne('delay-queue').function,
      workerMaxConcurrency: settings.workerMaxConcurrency,
      ...triggerKey,
    });

    this.strandedJobs = new StrandedJobs(this, 'StrandedJobs', {
      reconcileFunction: reconcile.fn.function,
      reconcileEvery: Duration.minutes(settings.reconcileEveryMinutes ?? reconcile.everyMinutes),
      deadLetterFunction: exactlyOne('dead-letter-queues').function,
      publishDeadLetterQueue: stateful.queues.publishDeadLetterQueue,
      delayDeadLetterQueue: stateful.queues.delayDeadLetterQueue,
      ...triggerKey,
    });

    this.observability = new Observability(this, 'Observability', {
      stage,
      thresholds: alarmThresholds(settings),
      alarmTopic: stateful.alarmTopic,
      api: this.publicApi.api,
      functions: [...functions.values()],
      queues: {
        publish: stateful.queues.publishQueue,
        publishDeadLetter: stateful.queues.publishDeadLetterQueue,
        delay: stateful.queues.delayQueue,
        delayDeadLetter: stateful.queues.delayDeadLetterQueue,
        outboxDeadLetter: stateful.queues.outboxDeadLetterQueue,
        poison: stateful.queues.poisonQueue,
        webhookDeadLetter: stateful.webhooks.deadLetterQueue,
      },
      eventBus: stateful.eventBus,
      webhookDeadLetterAlarm: stateful.webhooks.deadLetterAlarm,
    });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the pinrelay API (append v1/pins, v1/jobs, …)',
      value: this.publicApi.url,
    });
    if (this.webConsole) {
      new CfnOutput(this, 'ConsoleUrl', {
        description: 'The web console (sign in with a tenant API key); the API is also served here at /v1/',
        value: this.webConsole.url,
      });
    }
    new CfnOutput(this, 'UsagePlanId', {
      description: "Per-tenant usage plan (USAGE_PLAN_ID): npm run admin -- create-tenant attaches each tenant's usage-plan key to it",
      value: this.publicApi.usagePlan.usagePlanId,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard of this stage (alarms: docs/runbook.md)',
      value: this.observability.dashboard.dashboardName,
    });
  }
}
