import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import {
  AlarmMatrixWidget,
  DefaultDashboardFactory,
  MonitoringFacade,
  SnsAlarmActionStrategy,
  type AlarmWithAnnotation,
  type IDashboardSegment,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { AlarmThresholds } from '../../config.ts';
import { ALARMS, RECENT_PROBLEMS_QUERY, RUNBOOK, type AlarmKey } from './alarm-catalogue.ts';
import { FIVE_MINUTES, FULL, sectionKit } from './section-kit.ts';
import { apiSections } from './sections/api.ts';
import { functionSections, type ObservedFunction } from './sections/functions.ts';
import { jobsSection } from './sections/jobs.ts';
import { pinterestSection } from './sections/pinterest.ts';
import { queueSections, type ObservedQueues } from './sections/queues.ts';
import { webhooksSection } from './sections/webhooks.ts';

export type { ObservedFunction } from './sections/functions.ts';
export type { ObservedQueues } from './sections/queues.ts';

/**
 * pinrelay's dashboard and alarms (docs/adr/0012-observability.md): one CloudWatch dashboard per stage,
 * `pinrelay-<stage>`, built with cdk-monitoring-constructs' MonitoringFacade, and the alarms, each notifying
 * the stage's alarm topic with a description that is a runbook line ("what it means — what to do first —
 * docs/runbook.md#anchor"; the lines are in ./alarm-catalogue.ts).
 *
 * Every threshold comes from the stage config (`alarms`, lib/config.ts; defaults in docs/deploy.md). The
 * dashboard's sections are in ./sections/, one per concern, in the order the page shows them.
 */

export interface ObservabilityProps {
  readonly stage: string;
  readonly thresholds: AlarmThresholds;
  /** Every alarm notifies it (the stateful stack's AlarmTopic; e-mail from `alarmEmail`). */
  readonly alarmTopic: sns.ITopic;
  readonly api: apigw.RestApi;
  /** Every function of the catalogue, in catalogue order. */
  readonly functions: readonly ObservedFunction[];
  readonly queues: ObservedQueues;
  /** The job events bus: its rules are the webhook subscriptions. */
  readonly eventBus: events.IEventBus;
  /** The webhook DLQ alarm the stateful stack already has (lib/constructs/webhooks.ts): shown, not duplicated. */
  readonly webhookDeadLetterAlarm: cloudwatch.IAlarm;
}

export class Observability extends Construct {
  public readonly facade: MonitoringFacade;
  public readonly dashboard: cloudwatch.Dashboard;
  /** The alarms that notify the topic, by key (the per-function children of `lambdaErrors` notify nobody). */
  public readonly alarms: Readonly<Record<AlarmKey, cloudwatch.AlarmBase>>;
  /** Per-function error-rate alarms, in catalogue order (no action of their own: the `lambdaErrors` composite notifies). */
  public readonly functionErrorAlarms: readonly cloudwatch.AlarmBase[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { stage } = props;
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
    const kit = sectionKit(facade, stage, props.thresholds, notify);

    // Made in the order the page shows them.
    const { apiMonitoring, apiErrors } = apiSections(kit, props.api);
    const jobs = jobsSection(kit);
    const pinterest = pinterestSection(kit);
    const { publishQueue, delayQueue, deadLetters } = queueSections(kit, props.queues);
    const webhooks = webhooksSection(kit, props.eventBus);
    const fns = props.functions;
    const { pipelineFunctions, apiFunctions, functionErrorAlarms, lambdaErrors } = functionSections(kit, fns);
    this.functionErrorAlarms = functionErrorAlarms;

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
