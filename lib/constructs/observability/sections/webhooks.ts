import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import { CustomMonitoring } from 'cdk-monitoring-constructs';
import { METRICS } from '../../../../definitions/metrics.ts';
import { FIFTEEN_MINUTES, type SectionKit } from '../section-kit.ts';

/**
 * Job events and webhook deliveries (alarms `webhookFailures`, `webhookEventsLost`). `eventBus` is the job
 * events bus: its rules are the webhook subscriptions.
 */
export function webhooksSection(kit: SectionKit, eventBus: events.IEventBus): CustomMonitoring {
  const { facade, thresholds: t, alarm, perValue } = kit;
  // The bus's rules are the webhook subscriptions, made at runtime, one per subscription: a metric per
  // rule would need a redeploy per subscription and grows without bound. Metrics Insights sums every rule
  // of the bus instead (dimension EventBusName: rules of this bus only, not the account's), and names the
  // ten worst rules in the graph.
  const busRules = (metricName: string, tail = '') =>
    `SELECT SUM(${metricName}) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '${eventBus.eventBusName}'${tail}`;
  const busQuery = (metricName: string, label: string) =>
    new cloudwatch.MathExpression({ expression: busRules(metricName), usingMetrics: {}, label, period: FIFTEEN_MINUTES });
  return new CustomMonitoring(facade, {
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
}
