import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { CustomThreshold, IAlarmActionStrategy, MonitoringFacade } from 'cdk-monitoring-constructs';
import type { AlarmThresholds } from '../../config.ts';
import { SERVICE_DIMENSIONS, metricsNamespace, type MetricDefinition } from '../../../definitions/metrics.ts';
import { ALARMS, alarmDescription, type AlarmKey } from './alarm-catalogue.ts';

/** What every dashboard section (./sections/) builds with: the stage, its thresholds, its metrics and alarms. */

export const FIVE_MINUTES = Duration.minutes(5);
export const FIFTEEN_MINUTES = Duration.minutes(15);
/** The dashboard's width in grid columns. */
export const FULL = 24;
export const PERCENT_AXIS = { min: 0, max: 100, label: '%', showUnits: false };

export interface CustomMetricOptions {
  /** @default 5 minutes */
  readonly period?: Duration;
  /** @default 'Sum' */
  readonly statistic?: string;
  /** One value of the metric's breakdown dimension (definitions/metrics.ts). @default the total over every value */
  readonly breakdown?: string;
}

export interface SectionKit {
  /** Every section is a segment of this facade's dashboard; its alarms notify the alarm topic. */
  readonly facade: MonitoringFacade;
  readonly stage: string;
  /** `pinrelay-<stage>`: the start of every alarm name. */
  readonly prefix: string;
  readonly thresholds: AlarmThresholds;
  /** Notifies the alarm topic: the facade's default action, and what an alarm made outside a segment passes. */
  readonly notify: IAlarmActionStrategy;
  /** One alarm on a graphed metric: exact name, runbook description, no data is no alarm. */
  alarm(key: AlarmKey, threshold: number, extra?: Partial<CustomThreshold>): Record<string, CustomThreshold>;
  /** A catalogue metric (definitions/metrics.ts) in the stage's namespace. */
  custom(def: MetricDefinition, label: string, options?: CustomMetricOptions): cloudwatch.Metric;
  /** One series per breakdown value (the catalogue's order). */
  perValue(def: MetricDefinition, options?: Omit<CustomMetricOptions, 'breakdown'>): cloudwatch.Metric[];
}

export function sectionKit(facade: MonitoringFacade, stage: string, thresholds: AlarmThresholds, notify: IAlarmActionStrategy): SectionKit {
  const prefix = `pinrelay-${stage}`;
  const namespace = metricsNamespace(stage);
  const custom = (def: MetricDefinition, label: string, options: CustomMetricOptions = {}): cloudwatch.Metric => {
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
  return {
    facade,
    stage,
    prefix,
    thresholds,
    notify,
    alarm: (key, threshold, extra = {}) => ({
      Critical: {
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmNameOverride: `${prefix}-${ALARMS[key].name}`,
        alarmDescriptionOverride: alarmDescription(ALARMS[key]),
        treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...extra,
      },
    }),
    custom,
    perValue: (def, options = {}) => (def.breakdown?.values ?? []).map((value) => custom(def, value, { ...options, breakdown: value })),
  };
}
