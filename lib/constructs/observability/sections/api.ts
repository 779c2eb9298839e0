import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ApiGatewayMonitoring, CustomMonitoring, LatencyType } from 'cdk-monitoring-constructs';
import { METRICS } from '../../../../definitions/metrics.ts';
import { FIVE_MINUTES, FULL, PERCENT_AXIS, type SectionKit } from '../section-kit.ts';

/** The REST API: API Gateway's own graphs, then its 5xx share (alarm `apiServerErrors`) and the API's error counters. */
export function apiSections(kit: SectionKit, api: apigw.RestApi): { apiMonitoring: ApiGatewayMonitoring; apiErrors: CustomMonitoring } {
  const { facade, stage, thresholds: t, alarm, custom } = kit;
  const apiMonitoring = new ApiGatewayMonitoring(facade, {
    api,
    apiStage: stage,
    humanReadableName: `REST API, stage ${stage}`,
    alarmFriendlyName: 'api',
    latencyTypesToRender: [LatencyType.P50, LatencyType.P99],
  });
  // API Gateway's 5XXError averaged over a period is the share of requests answered 5xx.
  const api5xxPercent = new cloudwatch.MathExpression({
    expression: '100 * FILL(e5, 0)',
    usingMetrics: { e5: api.deploymentStage.metricServerError({ statistic: 'Average', period: FIVE_MINUTES }) },
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
  return { apiMonitoring, apiErrors };
}
