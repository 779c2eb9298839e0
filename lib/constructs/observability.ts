import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  AlarmMatrixWidget,
  ApiGatewayMonitoring,
  CustomMonitoring,
  DefaultDashboardFactory,
  GraphWidgetType,
  LatencyType,
  MonitoringFacade,
  SnsAlarmActionStrategy,
  SqsQueueMonitoring,
  noopAction,
  type AlarmWithAnnotation,
  type CustomMetric,
  type CustomMetricGroup,
  type CustomThreshold,
  type IDashboardSegment,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { AlarmThresholds } from '../config.ts';
import type { FunctionDefinition } from '../../definitions/functions.ts';
import { METRICS, SERVICE_DIMENSIONS, metricsNamespace, type MetricDefinition } from '../../definitions/metrics.ts';

/**
 * pinrelay's dashboard and alarms (docs/adr/0012-observability.md): one CloudWatch dashboard per stage,
 * `pinrelay-<stage>`, built with cdk-monitoring-constructs' MonitoringFacade, and the alarms, each notifying
 * the stage's alarm topic with a description that is a runbook line ("what it means — what to do first —
 * docs/runbook.md#anchor").
 *
 * Every threshold comes from the stage config (`alarms`, lib/config.ts; defaults in docs/deploy.md).
 */

/** Where every alarm description points. */
export const RUNBOOK = 'docs/runbook.md';

export interface AlarmEntry {
  /** The alarm's name after `pinrelay-<stage>-`. */
  readonly name: string;
  /** The section of docs/runbook.md that expands it. */
  readonly anchor: string;
  /** What it means, in one clause. */
  readonly means: string;
  /** What to do first, in one clause. */
  readonly first: string;
}

/**
 * Every alarm this construct makes. The runbook has one section per entry (a heading whose anchor is
 * `anchor`; test/infra/observability.test.ts checks both directions). The webhook DLQ alarm is made by the
 * stateful stack (lib/constructs/webhooks.ts) and only shown here.
 */
export const ALARMS = {
  publishDlq: {
    name: 'publish-dlq-not-empty',
    anchor: 'publish-dlq-not-empty',
    means: 'A publish message was dead-lettered: publish-pin failed on it 5 times (record-dead-letters records it on its job, which the reconciler re-dispatches)',
    first: 'read the publish-pin errors (runbook log query), then `npm run admin -- jobs stuck`',
  },
  delayDlq: {
    name: 'delay-dlq-not-empty',
    anchor: 'delay-dlq-not-empty',
    means: 'A delay-queue message was dead-lettered: release-due-jobs failed on it 10 times (recorded on its job, which the reconciler picks up)',
    first: 'read the release-due-jobs errors (runbook log query), then `npm run admin -- jobs stuck`',
  },
  outboxDlq: {
    name: 'outbox-dlq-not-empty',
    anchor: 'outbox-dlq-not-empty',
    means: 'The outbox relay gave up on a jobs-stream batch: those job changes were neither enqueued nor announced by the relay (the sweeper and the reconciler catch up)',
    first: 'read the relay-outbox errors (runbook log query), then `npm run admin -- jobs stuck`',
  },
  poisonQueue: {
    name: 'poison-queue-not-empty',
    anchor: 'poison-queue-not-empty',
    means: 'A dead-lettered message that is not a pinrelay job message was parked in the poison queue; nothing consumes it',
    first: 'see it with `npm run admin -- queues` and the record-dead-letters log, find its sender, then delete it',
  },
  publishQueueAge: {
    name: 'publish-queue-oldest-message',
    anchor: 'publish-queue-oldest-message',
    means: 'The oldest message in the FIFO publish queue is older than the threshold: publish-pin is not draining it (errors, throttling, or a message group blocked by a failing message)',
    first: 'check the publish-pin error, throttle and concurrency graphs, then `npm run admin -- queues`',
  },
  delayQueueAge: {
    name: 'delay-queue-oldest-message',
    anchor: 'delay-queue-oldest-message',
    means: 'The oldest message in the delay queue is older than the threshold: release-due-jobs is not draining it',
    first: 'check the release-due-jobs error and throttle graphs, then `npm run admin -- queues`',
  },
  failedJobs: {
    name: 'failed-jobs',
    anchor: 'failed-jobs',
    means: 'Too many jobs failed for ops or engineering in 15 minutes (their share of finished jobs is over the threshold)',
    first: 'list them with `npm run admin -- jobs failed --route ops` (and `--route engineering`), fix the cause, then `npm run admin -- jobs requeue --tenant <id> … --apply`',
  },
  lambdaErrors: {
    name: 'lambda-errors',
    anchor: 'lambda-errors',
    means: 'At least one function ends too many invocations in an error (a per-function alarm pinrelay-<stage>-lambda-errors-<function> is in ALARM)',
    first: 'find the function in the error % graphs, then read its errors (runbook log query)',
  },
  apiServerErrors: {
    name: 'api-5xx',
    anchor: 'api-5xx',
    means: 'The API answers too many requests with 5xx',
    first: 'read the API functions\' unhandled errors (runbook log query) and check API Gateway throttling',
  },
  rateLimited: {
    name: 'pinterest-429s',
    anchor: 'pinterest-429s',
    means: 'Pinterest answered too many requests with HTTP 429 in 15 minutes: pacing asks for more than Pinterest allows',
    first: 'find the accounts (runbook log query), check each with `npm run admin -- rate --tenant <id> --account <id>`; lower pacing if it is app-wide',
  },
  tokenRefreshFailures: {
    name: 'token-refresh-failures',
    anchor: 'token-refresh-failures',
    means: 'Account token refreshes are failing: jobs of those accounts fail (reauthorization_required or app_credentials_missing)',
    first: 'see the reasons on the dashboard, check the Pinterest app credentials secret, then `npm run admin -- jobs failed --route ops`',
  },
  tokenRotationNotStored: {
    name: 'token-rotation-not-stored',
    anchor: 'token-rotation-not-stored',
    means: 'A refreshed token pair could not be stored in Secrets Manager: only a running worker holds it, and the account needs reconnecting if that worker goes away',
    first: 'find the account (runbook log query), fix Secrets Manager or KMS access for publish-pin',
  },
  webhookFailures: {
    name: 'webhook-delivery-failures',
    anchor: 'webhook-delivery-failures',
    means: 'Many webhook deliveries failed for good in 15 minutes (EventBridge FailedInvocations on the job events bus)',
    first: 'find the subscriptions in the failed-deliveries graph, check their endpoints, then `npm run admin -- webhooks replay`',
  },
  webhookEventsLost: {
    name: 'webhook-events-lost',
    anchor: 'webhook-events-lost',
    means: 'EventBridge could not put failed webhook deliveries into the webhook DLQ: those events are lost',
    first: 'check the webhook DLQ and its queue policy (EventBridge must be allowed to send to it)',
  },
} as const satisfies Record<string, AlarmEntry>;

export type AlarmKey = keyof typeof ALARMS;

/** "what it means — what to do first — docs/runbook.md#anchor" */
export function alarmDescription(entry: AlarmEntry): string {
  return `${entry.means} — ${entry.first} — ${RUNBOOK}#${entry.anchor}`;
}

/** The dashboard's log widget query (docs/runbook.md starts from it). */
export const RECENT_PROBLEMS_QUERY = [
  'fields @timestamp, function_name, level, message, job_id, tenant_id, account_id, outcome, reason',
  'filter level in ["WARN", "ERROR", "CRITICAL"]',
  'sort @timestamp desc',
  'limit 100',
] as const;

/** The section of docs/runbook.md about the webhook DLQ alarm (made in lib/constructs/webhooks.ts). */
export const WEBHOOK_DLQ_RUNBOOK_ANCHOR = 'webhook-dlq-not-empty';

/** The alarm name of a per-function error-rate alarm (children of the `lambda-errors` composite alarm). */
export function lambdaErrorAlarmName(stage: string, functionName: string): string {
  return `pinrelay-${stage}-lambda-errors-${functionName}`;
}

/** A catalogue function and its Lambda function (a ServiceFunction fits). */
export interface ObservedFunction {
  readonly definition: FunctionDefinition;
  readonly function: lambda.IFunction;
  /** Its log group: the dashboard's Logs Insights widget reads every function's. */
  readonly logGroup: logs.ILogGroup;
}

export interface ObservabilityProps {
  readonly stage: string;
  readonly thresholds: AlarmThresholds;
  /** Every alarm notifies it (the stateful stack's AlarmTopic; e-mail from `alarmEmail`). */
  readonly alarmTopic: sns.ITopic;
  readonly api: apigw.RestApi;
  /** Every function of the catalogue, in catalogue order. */
  readonly functions: readonly ObservedFunction[];
  readonly queues: {
    readonly publish: sqs.IQueue;
    readonly publishDeadLetter: sqs.IQueue;
    readonly delay: sqs.IQueue;
    readonly delayDeadLetter: sqs.IQueue;
    readonly outboxDeadLetter: sqs.IQueue;
    readonly poison: sqs.IQueue;
    readonly webhookDeadLetter: sqs.IQueue;
  };
  /** The job events bus: its rules are the webhook subscriptions. */
  readonly eventBus: events.IEventBus;
  /** The webhook DLQ alarm the stateful stack already has (lib/constructs/webhooks.ts): shown, not duplicated. */
  readonly webhookDeadLetterAlarm: cloudwatch.IAlarm;
}

const FIVE_MINUTES = Duration.minutes(5);
const FIFTEEN_MINUTES = Duration.minutes(15);
const FULL = 24;
const PERCENT_AXIS = { min: 0, max: 100, label: '%', showUnits: false };

export class Observability extends Construct {
  public readonly facade: MonitoringFacade;
  public readonly dashboard: cloudwatch.Dashboard;
  /** The alarms that notify the topic, by key (the per-function children of `lambdaErrors` notify nobody). */
  public readonly alarms: Readonly<Record<AlarmKey, cloudwatch.AlarmBase>>;
  /** Per-function error-rate alarms, in catalogue order (no action of their own: the `lambdaErrors` composite notifies). */
  public readonly functionErrorAlarms: readonly cloudwatch.AlarmBase[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { stage, thresholds: t } = props;
    const prefix = `pinrelay-${stage}`;
    const notify = new SnsAlarmActionStrategy({ onAlarmTopic: props.alarmTopic });

    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: prefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      detailDashboardRange: Duration.hours(6),
    });
    this.facade = new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: { alarmNamePrefix: prefix, actionsEnabled: true, action: notify, datapointsToAlarm: 1, evaluationPeriods: 1 },
      metricFactoryDefaults: { period: FIVE_MINUTES },
      dashboardFactory: dashboards,
    });
    const facade = this.facade;

    /** One alarm on a graphed metric: exact name, runbook description, no data is no alarm. */
    const alarm = (key: AlarmKey, threshold: number, extra: Partial<CustomThreshold> = {}): Record<string, CustomThreshold> => ({
      Critical: {
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmNameOverride: `${prefix}-${ALARMS[key].name}`,
        alarmDescriptionOverride: alarmDescription(ALARMS[key]),
        treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...extra,
      },
    });

    // Custom metrics: names from the catalogue (definitions/metrics.ts), the stage's namespace.
    const namespace = metricsNamespace(stage);
    const custom = (
      def: MetricDefinition,
      label: string,
      options: { period?: Duration; statistic?: string; breakdown?: string } = {},
    ): cloudwatch.Metric => {
      if (options.breakdown !== undefined && !def.breakdown?.values.includes(options.breakdown)) {
        throw new Error(`${def.name} has no breakdown value ${options.breakdown} (definitions/metrics.ts)`);
      }
      return new cloudwatch.Metric({
        namespace,
        metricName: def.name,
        dimensionsMap:
          options.breakdown !== undefined && def.breakdown
            ? { ...SERVICE_DIMENSIONS, [def.breakdown.name]: options.breakdown }
            : { ...SERVICE_DIMENSIONS },
        statistic: options.statistic ?? 'Sum',
        period: options.period ?? FIVE_MINUTES,
        label,
      });
    };
    /** One series per breakdown value (the catalogue's order). */
    const perValue = (def: MetricDefinition, options: { period?: Duration; statistic?: string } = {}) =>
      (def.breakdown?.values ?? []).map((value) => custom(def, value, { ...options, breakdown: value }));

    // ---- API ---------------------------------------------------------------------------------------
    const apiMonitoring = new ApiGatewayMonitoring(facade, {
      api: props.api,
      apiStage: stage,
      humanReadableName: `REST API, stage ${stage}`,
      alarmFriendlyName: 'api',
      latencyTypesToRender: [LatencyType.P50, LatencyType.P99],
    });
    // API Gateway's 5XXError averaged over a period is the share of requests answered 5xx.
    const api5xxPercent = new cloudwatch.MathExpression({
      expression: '100 * FILL(e5, 0)',
      usingMetrics: { e5: props.api.deploymentStage.metricServerError({ statistic: 'Average', period: FIVE_MINUTES }) },
      label: '5xx % of requests',
      period: FIVE_MINUTES,
    });
    const apiErrors = new CustomMonitoring(facade, {
      humanReadableName: 'API errors',
      alarmFriendlyName: 'api-errors',
      metricGroups: [
        {
          title: 'API 5xx % of requests',
          graphWidgetWidth: FULL / 2,
          graphWidgetAxis: PERCENT_AXIS,
          metrics: [
            {
              metric: api5xxPercent,
              alarmFriendlyName: 'api-5xx',
              addAlarm: alarm('apiServerErrors', t.apiServerErrorsPercent, { datapointsToAlarm: 2, evaluationPeriods: 3 }),
            },
          ],
        },
        {
          title: 'Unhandled errors (500) and refused API keys',
          graphWidgetWidth: FULL / 2,
          metrics: [custom(METRICS.UnhandledApiErrors, 'unhandled errors (500)'), custom(METRICS.ApiKeysRejected, 'refused API keys')],
        },
      ],
    });

    // ---- Jobs --------------------------------------------------------------------------------------
    // The failed-jobs alarm counts what the operators have to act on: routes ops and engineering. A
    // client-route failure (bad board, bad media) is the tenant's to fix and shows in the graphs only.
    const q = { period: FIFTEEN_MINUTES };
    const finishedShare = new cloudwatch.MathExpression({
      expression:
        `IF(FILL(ok, 0) + FILL(fc, 0) + FILL(fo, 0) + FILL(fe, 0) >= ${t.failedJobsMinimum}, ` +
        '100 * (FILL(fo, 0) + FILL(fe, 0)) / (FILL(ok, 0) + FILL(fc, 0) + FILL(fo, 0) + FILL(fe, 0)), 0)',
      usingMetrics: {
        ok: custom(METRICS.JobsSucceeded, 'succeeded', q),
        fc: custom(METRICS.JobsFailed, 'failed: client', { ...q, breakdown: 'client' }),
        fo: custom(METRICS.JobsFailed, 'failed: ops', { ...q, breakdown: 'ops' }),
        fe: custom(METRICS.JobsFailed, 'failed: engineering', { ...q, breakdown: 'engineering' }),
      },
      label: 'failed (ops + engineering), % of finished',
      period: FIFTEEN_MINUTES,
    });
    const successRate = new cloudwatch.MathExpression({
      expression: 'IF(FILL(sok, 0) + FILL(sfail, 0) > 0, 100 * FILL(sok, 0) / (FILL(sok, 0) + FILL(sfail, 0)))',
      usingMetrics: { sok: custom(METRICS.JobsSucceeded, 'succeeded', q), sfail: custom(METRICS.JobsFailed, 'failed', q) },
      label: 'succeeded, % of finished',
      period: FIFTEEN_MINUTES,
    });
    const jobs = new CustomMonitoring(facade, {
      humanReadableName: 'Jobs',
      alarmFriendlyName: 'jobs',
      metricGroups: [
        {
          title: 'Intake: accepted vs replayed',
          graphWidgetWidth: FULL / 3,
          metrics: [
            custom(METRICS.JobsAccepted, 'accepted'),
            custom(METRICS.JobsReplayed, 'replayed (same Idempotency-Key)'),
            custom(METRICS.JobsRejected, 'rejected (4xx)'),
          ],
        },
        {
          title: 'Attempts by outcome',
          graphWidgetWidth: FULL / 3,
          graphWidgetType: GraphWidgetType.STACKED_AREA,
          metrics: perValue(METRICS.Attempts),
        },
        {
          title: 'Success rate (15 min)',
          graphWidgetWidth: FULL / 3,
          graphWidgetAxis: PERCENT_AXIS,
          metrics: [successRate, { metric: finishedShare, alarmFriendlyName: 'failed-jobs', addAlarm: alarm('failedJobs', t.failedJobsPercent) }],
        },
        {
          title: 'Finished jobs, failures by route',
          graphWidgetWidth: FULL / 3,
          metrics: [
            custom(METRICS.JobsSucceeded, 'succeeded'),
            ...perValue(METRICS.JobsFailed).map((m) => m.with({ label: `failed: ${m.label}` })),
            custom(METRICS.JobsCancelled, 'cancelled'),
            custom(METRICS.RetriesScheduled, 'retries scheduled'),
          ],
        },
        {
          title: 'Queue wait, Pinterest call, end to end (ms)',
          graphWidgetWidth: FULL / 3,
          metrics: [
            custom(METRICS.QueueWait, 'queue wait p50', { statistic: 'p50' }),
            custom(METRICS.QueueWait, 'queue wait p99', { statistic: 'p99' }),
            custom(METRICS.PinterestCallDuration, 'Pinterest call p99', { statistic: 'p99' }),
            custom(METRICS.EndToEndDuration, 'end to end p50 (succeeded)', { statistic: 'p50', breakdown: 'succeeded' }),
            custom(METRICS.EndToEndDuration, 'end to end p99 (succeeded)', { statistic: 'p99', breakdown: 'succeeded' }),
          ],
        },
        {
          title: 'Pacing holds and safety nets',
          graphWidgetWidth: FULL / 3,
          metrics: [
            custom(METRICS.PacingHolds, 'pacing holds'),
            custom(METRICS.WorkerCrashes, 'worker crashes'),
            custom(METRICS.SweeperRedispatches, 'sweeper re-dispatches'),
            custom(METRICS.ReconcilerRedispatches, 'reconciler re-dispatches'),
            custom(METRICS.ReconcilerRecoveries, 'reconciler recoveries'),
            custom(METRICS.ReconcilerStranded, 'failed as stranded'),
          ],
        },
      ],
    });

    const pinterest = new CustomMonitoring(facade, {
      humanReadableName: 'Pinterest and account tokens',
      alarmFriendlyName: 'pinterest',
      metricGroups: [
        {
          title: 'HTTP 429 from Pinterest (per 15 min)',
          metrics: [
            {
              metric: custom(METRICS.PinterestRateLimited, '429s', q),
              alarmFriendlyName: 'pinterest-429s',
              addAlarm: alarm('rateLimited', t.rateLimitedPer15Minutes),
            },
            custom(METRICS.PinterestRateLimited, 'with Retry-After', { ...q, breakdown: 'present' }),
            custom(METRICS.PinterestRateLimited, 'without Retry-After', { ...q, breakdown: 'absent' }),
          ],
        },
        {
          title: 'Token refreshes (per 15 min)',
          metrics: [
            custom(METRICS.TokenRefreshes, 'refreshed', q),
            {
              metric: custom(METRICS.TokenRefreshFailures, 'failed', q),
              alarmFriendlyName: 'token-refresh-failures',
              addAlarm: alarm('tokenRefreshFailures', t.tokenRefreshFailuresPer15Minutes),
            },
          ],
        },
        {
          title: 'Token refresh failures by reason',
          graphWidgetType: GraphWidgetType.STACKED_AREA,
          metrics: perValue(METRICS.TokenRefreshFailures, q),
        },
        {
          title: 'Rotated tokens not stored',
          metrics: [
            {
              metric: custom(METRICS.TokenRotationNotStored, 'not stored'),
              alarmFriendlyName: 'token-rotation-not-stored',
              addAlarm: alarm('tokenRotationNotStored', 0),
            },
          ],
        },
      ],
    });

    // ---- Queues ------------------------------------------------------------------------------------
    const ageAlarm = (key: 'publishQueueAge' | 'delayQueueAge', seconds: number) => ({
      Critical: {
        maxAgeInSeconds: seconds,
        alarmNameOverride: `${prefix}-${ALARMS[key].name}`,
        alarmDescriptionOverride: alarmDescription(ALARMS[key]),
        treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    });
    const publishQueue = new SqsQueueMonitoring(facade, {
      queue: props.queues.publish,
      humanReadableName: 'Publish queue (FIFO, one message group per account)',
      alarmFriendlyName: 'publish-queue',
      addQueueMaxMessageAgeAlarm: ageAlarm('publishQueueAge', t.publishQueueOldestMessageSeconds),
    });
    const delayQueue = new SqsQueueMonitoring(facade, {
      queue: props.queues.delay,
      humanReadableName: 'Delay queue (retries, schedules, pacing holds)',
      alarmFriendlyName: 'delay-queue',
      addQueueMaxMessageAgeAlarm: ageAlarm('delayQueueAge', t.delayQueueOldestMessageSeconds),
    });

    // record-dead-letters drains the publish and delay DLQs within seconds, so their depth alone would
    // miss most arrivals: "not empty" there is the visible messages plus the messages received in the period.
    const drainedDlq = (queue: sqs.IQueue, id: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `FILL(v${id}, 0) + FILL(r${id}, 0)`,
        usingMetrics: {
          [`v${id}`]: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
          [`r${id}`]: queue.metricNumberOfMessagesReceived({ statistic: 'Sum', period: FIVE_MINUTES }),
        },
        label,
        period: FIVE_MINUTES,
      });
    const depth = (queue: sqs.IQueue, label: string) =>
      queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES, label });
    // One annotation for the four alarms of the graph (each alarms above 0), and the webhook DLQ's own.
    const hidden = { overrideAnnotationVisibility: false };
    const deadLetters = new CustomMonitoring(facade, {
      humanReadableName: 'Dead-letter queues',
      alarmFriendlyName: 'dead-letters',
      metricGroups: [
        {
          title: 'Dead-letter queues: messages (each alarms above 0)',
          graphWidgetWidth: (2 * FULL) / 3,
          horizontalAnnotations: [{ value: 0, label: 'alarm: any message', color: '#d62728' }],
          metrics: [
            {
              metric: drainedDlq(props.queues.publishDeadLetter, 'p', 'publish DLQ (visible + received)'),
              alarmFriendlyName: 'publish-dlq',
              addAlarm: alarm('publishDlq', 0, hidden),
            },
            {
              metric: drainedDlq(props.queues.delayDeadLetter, 'd', 'delay DLQ (visible + received)'),
              alarmFriendlyName: 'delay-dlq',
              addAlarm: alarm('delayDlq', 0, hidden),
            },
            { metric: depth(props.queues.outboxDeadLetter, 'outbox DLQ'), alarmFriendlyName: 'outbox-dlq', addAlarm: alarm('outboxDlq', 0, hidden) },
            { metric: depth(props.queues.poison, 'poison queue'), alarmFriendlyName: 'poison-queue', addAlarm: alarm('poisonQueue', 0, hidden) },
            depth(props.queues.webhookDeadLetter, 'webhook DLQ'),
          ],
        },
        {
          title: 'Dead letters handled by record-dead-letters',
          graphWidgetWidth: FULL / 3,
          graphWidgetType: GraphWidgetType.STACKED_AREA,
          metrics: perValue(METRICS.DeadLettersRecorded),
        },
      ],
    });

    // ---- Events and webhooks -----------------------------------------------------------------------
    // The bus's rules are the webhook subscriptions, made at runtime, one per subscription: a metric per
    // rule would need a redeploy per subscription and grows without bound. Metrics Insights sums every rule
    // of the bus instead (dimension EventBusName: rules of this bus only, not the account's), and names the
    // ten worst rules in the graph.
    const busRules = (metricName: string, tail = '') =>
      `SELECT SUM(${metricName}) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '${props.eventBus.eventBusName}'${tail}`;
    const busQuery = (metricName: string, label: string) =>
      new cloudwatch.MathExpression({ expression: busRules(metricName), usingMetrics: {}, label, period: FIFTEEN_MINUTES });
    const webhooks = new CustomMonitoring(facade, {
      humanReadableName: 'Job events and webhooks',
      alarmFriendlyName: 'webhooks',
      metricGroups: [
        {
          title: 'Job events published',
          metrics: perValue(METRICS.JobEventsPublished).map((m) => m.with({ label: `by the ${m.label}` })),
        },
        {
          title: 'Webhook deliveries, all subscriptions (per 15 min)',
          metrics: [
            busQuery('Invocations', 'delivered or failed'),
            {
              metric: busQuery('FailedInvocations', 'failed for good'),
              alarmFriendlyName: 'webhook-delivery-failures',
              addAlarm: alarm('webhookFailures', t.webhookFailuresPer15Minutes),
            },
            busQuery('InvocationsSentToDlq', 'sent to the webhook DLQ'),
            {
              metric: busQuery('InvocationsFailedToBeSentToDlq', 'lost (the DLQ refused them)'),
              alarmFriendlyName: 'webhook-events-lost',
              addAlarm: alarm('webhookEventsLost', 0),
            },
          ],
        },
        {
          title: 'Failed deliveries by subscription rule (top 10)',
          metrics: [
            new cloudwatch.MathExpression({
              expression: busRules('FailedInvocations', ' GROUP BY RuleName ORDER BY SUM() DESC LIMIT 10'),
              usingMetrics: {},
              label: '',
              period: FIFTEEN_MINUTES,
            }),
          ],
        },
      ],
    });

    // ---- Lambda functions --------------------------------------------------------------------------
    // One alarm per function (its error share), notifying nobody; one composite alarm over them notifies
    // once, however many functions a shared cause (DynamoDB, a bad deploy) breaks at the same time.
    const fns = props.functions;
    const isApi = (f: ObservedFunction) => f.definition.trigger.kind === 'api' || f.definition.trigger.kind === 'authorizer';
    const errorShare = (f: ObservedFunction): CustomMetric => {
      const i = fns.indexOf(f);
      return {
        metric: new cloudwatch.MathExpression({
          expression: `IF(FILL(inv${i}, 0) > 0, 100 * FILL(err${i}, 0) / inv${i}, 0)`,
          usingMetrics: {
            [`err${i}`]: f.function.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
            [`inv${i}`]: f.function.metricInvocations({ statistic: 'Sum', period: FIVE_MINUTES }),
          },
          label: f.definition.name,
          period: FIVE_MINUTES,
        }),
        alarmFriendlyName: `lambda-errors-${f.definition.name}`,
        addAlarm: {
          Critical: {
            threshold: t.lambdaErrorsPercent,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            alarmNameOverride: lambdaErrorAlarmName(stage, f.definition.name),
            alarmDescriptionOverride:
              `${f.definition.name} ends more than ${t.lambdaErrorsPercent} % of its invocations in an error (two 5-minute periods out of three); ` +
              `it does not notify by itself, the composite alarm ${prefix}-${ALARMS.lambdaErrors.name} does — ${RUNBOOK}#${ALARMS.lambdaErrors.anchor}`,
            treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
            datapointsToAlarm: 2,
            evaluationPeriods: 3,
            actionOverride: noopAction(),
            overrideAnnotationVisibility: false,
          },
        },
      };
    };
    const functionGroups = (title: string, members: readonly ObservedFunction[]): CustomMetricGroup[] => [
      {
        title: `${title}: error % of invocations (each alarms above ${t.lambdaErrorsPercent} %)`,
        graphWidgetAxis: PERCENT_AXIS,
        horizontalAnnotations: [{ value: t.lambdaErrorsPercent, label: `alarm: > ${t.lambdaErrorsPercent} %`, color: '#d62728' }],
        metrics: members.map(errorShare),
      },
      { title: `${title}: errors`, metrics: members.map((f) => f.function.metricErrors({ statistic: 'Sum', label: f.definition.name })) },
      { title: `${title}: throttles`, metrics: members.map((f) => f.function.metricThrottles({ statistic: 'Sum', label: f.definition.name })) },
      { title: `${title}: duration p99 (ms)`, metrics: members.map((f) => f.function.metricDuration({ statistic: 'p99', label: f.definition.name })) },
      {
        title: `${title}: concurrent executions`,
        metrics: members.map((f) => f.function.metric('ConcurrentExecutions', { statistic: 'Maximum', label: f.definition.name })),
      },
    ];
    const pipelineFunctions = new CustomMonitoring(facade, {
      humanReadableName: 'Pipeline functions (queues, stream, schedules)',
      alarmFriendlyName: 'pipeline-functions',
      metricGroups: functionGroups('Pipeline', fns.filter((f) => !isApi(f))),
    });
    const apiFunctions = new CustomMonitoring(facade, {
      humanReadableName: 'API functions (authorizer and routes)',
      alarmFriendlyName: 'api-functions',
      // One line per API function (18): taller graphs keep the legend readable.
      height: 7,
      metricGroups: functionGroups('API', fns.filter(isApi)),
    });
    const functionAlarms = [...pipelineFunctions.createdAlarms(), ...apiFunctions.createdAlarms()];
    const byName = new Map(functionAlarms.map((a) => [a.alarmName, a.alarm]));
    this.functionErrorAlarms = fns.map((f) => {
      const found = byName.get(lambdaErrorAlarmName(stage, f.definition.name));
      if (!found) throw new Error(`no error alarm for ${f.definition.name}`);
      return found;
    });
    const lambdaErrors = facade.createAlarmFactory(prefix).addCompositeAlarm(functionAlarms, {
      alarmNameOverride: `${prefix}-${ALARMS.lambdaErrors.name}`,
      alarmDescriptionOverride: alarmDescription(ALARMS.lambdaErrors),
      disambiguator: 'Critical',
      actionOverride: notify,
    });

    // ---- Layout ------------------------------------------------------------------------------------
    const pick = (segment: { createdAlarms(): AlarmWithAnnotation[] }, key: AlarmKey) => {
      const name = `${prefix}-${ALARMS[key].name}`;
      const found = segment.createdAlarms().find((a) => a.alarmName === name);
      if (!found) throw new Error(`alarm ${name} was not created`);
      return found.alarm;
    };
    this.alarms = {
      publishDlq: pick(deadLetters, 'publishDlq'),
      delayDlq: pick(deadLetters, 'delayDlq'),
      outboxDlq: pick(deadLetters, 'outboxDlq'),
      poisonQueue: pick(deadLetters, 'poisonQueue'),
      publishQueueAge: pick(publishQueue, 'publishQueueAge'),
      delayQueueAge: pick(delayQueue, 'delayQueueAge'),
      failedJobs: pick(jobs, 'failedJobs'),
      lambdaErrors,
      apiServerErrors: pick(apiErrors, 'apiServerErrors'),
      rateLimited: pick(pinterest, 'rateLimited'),
      tokenRefreshFailures: pick(pinterest, 'tokenRefreshFailures'),
      tokenRotationNotStored: pick(pinterest, 'tokenRotationNotStored'),
      webhookFailures: pick(webhooks, 'webhookFailures'),
      webhookEventsLost: pick(webhooks, 'webhookEventsLost'),
    };

    // Hand-written: a title and the alarm overview, first thing on the page (the library has the widget,
    // AlarmMatrixWidget, but no segment that lists alarms made elsewhere, such as the webhook DLQ's).
    facade.addLargeHeader(`pinrelay ${stage}: what each alarm means and what to do: ${RUNBOOK}`);
    facade.addWidget(
      new AlarmMatrixWidget({
        title: 'Alarms (each notifies the alarm topic)',
        height: 4,
        alarms: [...Object.values(this.alarms), props.webhookDeadLetterAlarm],
      }),
    );
    const segments: IDashboardSegment[] = [
      apiMonitoring,
      apiErrors,
      jobs,
      pinterest,
      publishQueue,
      delayQueue,
      deadLetters,
      webhooks,
      pipelineFunctions,
      apiFunctions,
    ];
    for (const segment of segments) facade.addSegment(segment);
    // Hand-written: the library has no log widget. Powertools' structured keys (level, function_name,
    // job_id, tenant_id, account_id, outcome, reason) as columns; the runbook has more queries.
    facade.addLargeHeader('Logs');
    facade.addWidget(
      new cloudwatch.LogQueryWidget({
        title: 'Recent errors and warnings, every function (Logs Insights)',
        width: FULL,
        height: 6,
        logGroupNames: fns.map((f) => f.logGroup.logGroupName),
        queryLines: [...RECENT_PROBLEMS_QUERY],
      }),
    );
    if (!dashboards.dashboard) throw new Error('the dashboard was not created');
    this.dashboard = dashboards.dashboard;
  }
}
