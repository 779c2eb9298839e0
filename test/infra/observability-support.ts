import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { dashboardOf, type DashboardWidget } from '../../bin/dashboard-svg.ts';
import type { AlarmThresholds } from '../../lib/config.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { resourcesOfType, synthPinrelay, type Resource, type Synthesized } from './support.ts';

/**
 * What the observability tests share (observability-alarms, observability-dashboard, runbook): the stages
 * they synthesize and how they find an alarm or a dashboard widget in a template.
 */

export const DEFINITIONS = FUNCTIONS as readonly FunctionDefinition[];
export const readDoc = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Thresholds unlike every default, so a test sees them reach the alarms and the graphs. */
export const QA_ALARMS = {
  publishQueueOldestMessageSeconds: 1200,
  delayQueueOldestMessageSeconds: 2400,
  failedJobsPercent: 25,
  failedJobsMinimum: 9,
  lambdaErrorsPercent: 2,
  apiServerErrorsPercent: 1.5,
  rateLimitedPer15Minutes: 50,
  tokenRefreshFailuresPer15Minutes: 0,
  webhookFailuresPer15Minutes: 3,
} satisfies AlarmThresholds;

export interface ObservedStages {
  /** cdk.json's dev stage: every alarm threshold a default. */
  readonly dev: Synthesized;
  readonly prod: Synthesized;
  /** A stage with an alarm e-mail and QA_ALARMS. */
  readonly qa: Synthesized;
}

export function synthObservedStages(): ObservedStages {
  return {
    dev: synthPinrelay({ stage: 'dev' }),
    prod: synthPinrelay({ stage: 'prod' }),
    qa: synthPinrelay({ stage: 'qa', stages: { qa: { alarmEmail: 'ops@example.com', alarms: QA_ALARMS } } }),
  };
}

export const alarmsOf = (s: Synthesized): Resource[] => resourcesOfType(s.statelessTemplate, 'AWS::CloudWatch::Alarm');
export const alarmNamed = (s: Synthesized, name: string): Resource => {
  const found = alarmsOf(s).filter((a) => a.props.AlarmName === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
export const dashboard = (s: Synthesized) =>
  dashboardOf({ stateful: s.statefulTemplate.toJSON(), stateless: s.statelessTemplate.toJSON() });
export const titles = (widgets: readonly DashboardWidget[]) =>
  widgets.map((w) => String(w.properties.title ?? w.properties.markdown ?? ''));
export const widgetTitled = (s: Synthesized, title: string): DashboardWidget => {
  const found = dashboard(s).widgets.filter((w) => w.properties.title === title);
  expect(found, title).toHaveLength(1);
  return found[0]!;
};
