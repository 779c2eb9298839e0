import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { CustomMonitoring, noopAction, type CustomMetric, type CustomMetricGroup } from 'cdk-monitoring-constructs';
import type { FunctionDefinition } from '../../../../definitions/functions.ts';
import { ALARMS, RUNBOOK, alarmDescription, lambdaErrorAlarmName } from '../alarm-catalogue.ts';
import { FIVE_MINUTES, PERCENT_AXIS, type SectionKit } from '../section-kit.ts';

/** A catalogue function and its Lambda function (a ServiceFunction fits). */
export interface ObservedFunction {
  readonly definition: FunctionDefinition;
  readonly function: lambda.IFunction;
  /** Its log group: the dashboard's Logs Insights widget reads every function's. */
  readonly logGroup: logs.ILogGroup;
}

export interface FunctionSections {
  readonly pipelineFunctions: CustomMonitoring;
  readonly apiFunctions: CustomMonitoring;
  /** Per-function error-rate alarms, in catalogue order (no action of their own). */
  readonly functionErrorAlarms: readonly cloudwatch.AlarmBase[];
  /** The `lambdaErrors` composite alarm over them: the one that notifies. */
  readonly lambdaErrors: cloudwatch.AlarmBase;
}

/** Every function's errors, throttles, duration and concurrency: the pipeline's, then the API's. */
export function functionSections(kit: SectionKit, fns: readonly ObservedFunction[]): FunctionSections {
  const { facade, stage, prefix, thresholds: t } = kit;
  // One alarm per function (its error share), notifying nobody; one composite alarm over them notifies
  // once, however many functions a shared cause (DynamoDB, a bad deploy) breaks at the same time.
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
    {
      title: `${title}: throttles`,
      metrics: members.map((f) => f.function.metricThrottles({ statistic: 'Sum', label: f.definition.name })),
    },
    {
      title: `${title}: duration p99 (ms)`,
      metrics: members.map((f) => f.function.metricDuration({ statistic: 'p99', label: f.definition.name })),
    },
    {
      title: `${title}: concurrent executions`,
      metrics: members.map((f) => f.function.metric('ConcurrentExecutions', { statistic: 'Maximum', label: f.definition.name })),
    },
  ];
  const pipelineFunctions = new CustomMonitoring(facade, {
    humanReadableName: 'Pipeline functions (queues, stream, schedules)',
    alarmFriendlyName: 'pipeline-functions',
    metricGroups: functionGroups(
      'Pipeline',
      fns.filter((f) => !isApi(f)),
    ),
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
  const functionErrorAlarms = fns.map((f) => {
    const found = byName.get(lambdaErrorAlarmName(stage, f.definition.name));
    if (!found) throw new Error(`no error alarm for ${f.definition.name}`);
    return found;
  });
  const lambdaErrors = facade.createAlarmFactory(prefix).addCompositeAlarm(functionAlarms, {
    alarmNameOverride: `${prefix}-${ALARMS.lambdaErrors.name}`,
    alarmDescriptionOverride: alarmDescription(ALARMS.lambdaErrors),
    disambiguator: 'Critical',
    actionOverride: kit.notify,
  });
  return { pipelineFunctions, apiFunctions, functionErrorAlarms, lambdaErrors };
}
