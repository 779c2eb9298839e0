import { beforeAll, describe, expect, it } from 'vitest';
import { alarmThresholds, alarmThresholdsSchema, parseStageConfig, type AlarmThresholds } from '../../lib/config.ts';
import {
  ALARMS,
  RUNBOOK,
  alarmDescription,
  lambdaErrorAlarmName,
  type AlarmKey,
} from '../../lib/constructs/observability/alarm-catalogue.ts';
import { METRICS, SERVICE_DIMENSIONS, metricsNamespace } from '../../definitions/metrics.ts';
import { DEFINITIONS, QA_ALARMS, alarmNamed, alarmsOf, readDoc, synthObservedStages, widgetTitled } from './observability-support.ts';
import { arrayAt, at, resourcesOfType, type Resource, type Synthesized } from './support.ts';

/**
 * The stage's alarms (lib/constructs/observability/, docs/adr/0012-observability.md): every alarm's metric,
 * threshold, comparison, evaluation, action and runbook description, and the thresholds from the stage config.
 */

let dev: Synthesized;
let prod: Synthesized;
let qa: Synthesized;

beforeAll(() => {
  ({ dev, prod, qa } = synthObservedStages());
});

/** The Fn::ImportValue by which the stateless stack reaches the stateful stack's alarm topic. */
function alarmTopicImport(s: Synthesized): { 'Fn::ImportValue': string } {
  const topicId = s.stateful.getLogicalId(s.stateful.alarmTopic.node.defaultChild as never);
  const outputs = s.statefulTemplate.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
  const output = Object.values(outputs).find((o) => JSON.stringify(o.Value) === JSON.stringify({ Ref: topicId }) && o.Export);
  expect(output, 'the alarm topic is exported').toBeDefined();
  return { 'Fn::ImportValue': output!.Export!.Name };
}

/** One query of an alarm's `Metrics` (a metric, a math expression, or a Metrics Insights query) as the template holds it. */
interface MetricQuery {
  readonly Id: string;
  readonly Expression?: unknown;
  readonly Period?: number;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions: ReadonlyArray<{ readonly Name: string; readonly Value: unknown }>;
    };
    readonly Period: number;
    readonly Stat: string;
  };
}

const metricQueries = (alarm: Resource): MetricQuery[] => arrayAt(alarm.props, 'Metrics') as MetricQuery[];

/** The metrics of an alarm as `namespace/name[stat]` (math: the expression). */
function alarmMetrics(alarm: Resource): string[] {
  if (alarm.props.MetricName)
    return [`${alarm.props.Namespace}/${alarm.props.MetricName}[${alarm.props.Statistic ?? alarm.props.ExtendedStatistic}]`];
  return metricQueries(alarm).map((m) =>
    m.MetricStat
      ? `${m.MetricStat.Metric.Namespace}/${m.MetricStat.Metric.MetricName}[${m.MetricStat.Stat}]`
      : typeof m.Expression === 'string'
        ? m.Expression
        : // A Metrics Insights query naming the bus: its parts, the reference as {ref}.
          arrayAt(m.Expression, 'Fn::Join', 1)
            .map((part) => (typeof part === 'string' ? part : '{ref}'))
            .join(''),
  );
}

interface AlarmExpectation {
  readonly threshold: (t: AlarmThresholds) => number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /** Period of the metrics, seconds. */
  readonly period: number;
  /** Every one of these appears among the alarm's metrics or expressions. */
  readonly metrics: (stage: string) => readonly string[];
}

const custom = (stage: string, name: string) => `${metricsNamespace(stage)}/${name}[Sum]`;
const EXPECTED: Record<Exclude<AlarmKey, 'lambdaErrors'>, AlarmExpectation> = {
  publishDlq: {
    threshold: () => 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 300,
    metrics: () => [
      'FILL(vp, 0) + FILL(rp, 0)',
      'AWS/SQS/ApproximateNumberOfMessagesVisible[Maximum]',
      'AWS/SQS/NumberOfMessagesReceived[Sum]',
    ],
  },
  delayDlq: {
    threshold: () => 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 300,
    metrics: () => [
      'FILL(vd, 0) + FILL(rd, 0)',
      'AWS/SQS/ApproximateNumberOfMessagesVisible[Maximum]',
      'AWS/SQS/NumberOfMessagesReceived[Sum]',
    ],
  },
  outboxDlq: {
    threshold: () => 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 300,
    metrics: () => ['AWS/SQS/ApproximateNumberOfMessagesVisible[Maximum]'],
  },
  poisonQueue: {
    threshold: () => 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 300,
    metrics: () => ['AWS/SQS/ApproximateNumberOfMessagesVisible[Maximum]'],
  },
  publishQueueAge: {
    threshold: (t) => t.publishQueueOldestMessageSeconds,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 300,
    metrics: () => ['AWS/SQS/ApproximateAgeOfOldestMessage[Maximum]'],
  },
  delayQueueAge: {
    threshold: (t) => t.delayQueueOldestMessageSeconds,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 300,
    metrics: () => ['AWS/SQS/ApproximateAgeOfOldestMessage[Maximum]'],
  },
  failedJobs: {
    threshold: (t) => t.failedJobsPercent,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 900,
    metrics: (stage) => [custom(stage, METRICS.JobsSucceeded.name), custom(stage, METRICS.JobsFailed.name)],
  },
  apiServerErrors: {
    threshold: (t) => t.apiServerErrorsPercent,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    period: 300,
    metrics: () => ['100 * FILL(e5, 0)', 'AWS/ApiGateway/5XXError[Average]'],
  },
  rateLimited: {
    threshold: (t) => t.rateLimitedPer15Minutes,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 900,
    metrics: (stage) => [custom(stage, METRICS.PinterestRateLimited.name)],
  },
  tokenRefreshFailures: {
    threshold: (t) => t.tokenRefreshFailuresPer15Minutes,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 900,
    metrics: (stage) => [custom(stage, METRICS.TokenRefreshFailures.name)],
  },
  tokenRotationNotStored: {
    threshold: () => 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 300,
    metrics: (stage) => [custom(stage, METRICS.TokenRotationNotStored.name)],
  },
  webhookFailures: {
    threshold: (t) => t.webhookFailuresPer15Minutes,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 900,
    metrics: () => [`SELECT SUM(FailedInvocations) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '{ref}'`],
  },
  webhookEventsLost: {
    threshold: () => 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 900,
    metrics: () => [
      `SELECT SUM(InvocationsFailedToBeSentToDlq) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '{ref}'`,
    ],
  },
};

/** Periods of an alarm's metrics (the single metric's, each MetricStat's, and Metrics Insights expressions'). */
function periodsOf(alarm: Resource): unknown[] {
  if (alarm.props.Period) return [alarm.props.Period];
  return metricQueries(alarm)
    .map((m) => m.MetricStat?.Period ?? m.Period)
    .filter((p) => p !== undefined);
}

describe('alarms', () => {
  const cases = Object.keys(EXPECTED) as Array<keyof typeof EXPECTED>;

  it.each(cases)('%s: metric, threshold, comparison, evaluation, the alarm topic, a runbook description', (key) => {
    for (const [s, t] of [
      [dev, alarmThresholds({})],
      [qa, QA_ALARMS],
    ] as const) {
      const stage = s.config.stage;
      const expected = EXPECTED[key];
      const alarm = alarmNamed(s, `pinrelay-${stage}-${ALARMS[key].name}`);
      const metrics = alarmMetrics(alarm).join('\n');
      for (const m of expected.metrics(stage)) expect(metrics, `${key} metrics`).toContain(m);
      expect(alarm.props).toMatchObject({
        Threshold: expected.threshold(t),
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: expected.evaluationPeriods,
        DatapointsToAlarm: expected.datapointsToAlarm,
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
        AlarmActions: [alarmTopicImport(s)],
        AlarmDescription: alarmDescription(ALARMS[key]),
      });
      expect(new Set(periodsOf(alarm)), `${key} period`).toEqual(new Set([expected.period]));
      expect(alarm.props.AlarmDescription).toContain(`${RUNBOOK}#${ALARMS[key].anchor}`);
      expect(String(alarm.props.AlarmDescription).length).toBeLessThanOrEqual(1024);
    }
  });

  it('the functions publish their metrics in the namespace the dashboard and alarms read', () => {
    for (const s of [dev, prod]) {
      // Not the web console's BucketDeployment handler (CDK's own function; it publishes no metrics).
      const namespaces = resourcesOfType(s.statelessTemplate, 'AWS::Lambda::Function')
        .filter((f) => !f.id.startsWith('CustomCDKBucketDeployment'))
        .map((f) => at(f.props, 'Environment', 'Variables', 'POWERTOOLS_METRICS_NAMESPACE'));
      expect(new Set(namespaces)).toEqual(new Set([metricsNamespace(s.config.stage)]));
    }
  });

  it("custom metrics are the catalogue's, in the stage's namespace, with the service dimension", () => {
    const failed = alarmNamed(prod, 'pinrelay-prod-failed-jobs');
    const stats = metricQueries(failed).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
    expect(stats.map((m) => m.Namespace)).toEqual(stats.map(() => 'Pinrelay/prod'));
    // Succeeded, and failed for each route: the expression counts ops and engineering against all of them.
    expect(stats.map((m) => [m.MetricName, Object.fromEntries(m.Dimensions.map((d) => [d.Name, d.Value]))])).toEqual([
      ['JobsSucceeded', { ...SERVICE_DIMENSIONS }],
      ['JobsFailed', { ...SERVICE_DIMENSIONS, route: 'client' }],
      ['JobsFailed', { ...SERVICE_DIMENSIONS, route: 'ops' }],
      ['JobsFailed', { ...SERVICE_DIMENSIONS, route: 'engineering' }],
    ]);
    const expression = metricQueries(failed).find((m) => m.Expression)?.Expression;
    expect(expression).toBe(
      'IF(FILL(ok, 0) + FILL(fc, 0) + FILL(fo, 0) + FILL(fe, 0) >= 5, 100 * (FILL(fo, 0) + FILL(fe, 0)) / (FILL(ok, 0) + FILL(fc, 0) + FILL(fo, 0) + FILL(fe, 0)), 0)',
    );
    expect(JSON.stringify(alarmNamed(qa, 'pinrelay-qa-failed-jobs').props.Metrics)).toContain('>= 9,');
  });

  it('the webhook alarms read every rule of the job events bus, by its name', () => {
    const busId = dev.stateful.getLogicalId(dev.stateful.eventBus.node.defaultChild as never);
    const outputs = dev.statefulTemplate.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
    const busExport = Object.values(outputs).find((o) => JSON.stringify(o.Value) === JSON.stringify({ Ref: busId }) && o.Export)!.Export!
      .Name;
    for (const name of ['pinrelay-dev-webhook-delivery-failures', 'pinrelay-dev-webhook-events-lost']) {
      const [query] = metricQueries(alarmNamed(dev, name));
      expect(at(query, 'Expression', 'Fn::Join', 1)).toEqual([
        expect.stringMatching(/WHERE EventBusName = '$/),
        { 'Fn::ImportValue': busExport },
        "'",
      ]);
      expect(query?.Period).toBe(900);
    }
  });

  it('lambda errors: one alarm per catalogue function, notifying nobody, and one composite alarm over them that notifies the topic', () => {
    for (const [s, t] of [
      [dev, alarmThresholds({})],
      [qa, QA_ALARMS],
    ] as const) {
      const stage = s.config.stage;
      const children = DEFINITIONS.map((d) => alarmNamed(s, lambdaErrorAlarmName(stage, d.name)));
      DEFINITIONS.forEach((d, i) => {
        const child = children[i]!;
        expect(child.props).toMatchObject({
          Threshold: t.lambdaErrorsPercent,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 3,
          DatapointsToAlarm: 2,
          TreatMissingData: 'notBreaching',
        });
        expect(child.props.AlarmActions).toBeUndefined();
        expect(child.props.AlarmDescription).toMatch(new RegExp(`^${d.name} ends more than `));
        expect(child.props.AlarmDescription).toContain(`${RUNBOOK}#${ALARMS.lambdaErrors.anchor}`);
        const metrics = alarmMetrics(child).join('\n');
        expect(metrics).toContain('AWS/Lambda/Errors[Sum]');
        expect(metrics).toContain('AWS/Lambda/Invocations[Sum]');
        // The function it watches is this one.
        const fnId = s.stateless.getLogicalId(s.stateless.functions.get(d.name as never)!.function.node.defaultChild as never);
        expect(JSON.stringify(child.props.Metrics)).toContain(JSON.stringify({ Name: 'FunctionName', Value: { Ref: fnId } }));
      });

      const composites = resourcesOfType(s.statelessTemplate, 'AWS::CloudWatch::CompositeAlarm');
      expect(composites).toHaveLength(1);
      const composite = composites[0]!.props;
      expect(composite).toMatchObject({
        AlarmName: `pinrelay-${stage}-${ALARMS.lambdaErrors.name}`,
        AlarmDescription: alarmDescription(ALARMS.lambdaErrors),
        ActionsEnabled: true,
        AlarmActions: [alarmTopicImport(s)],
      });
      const rule = JSON.stringify(composite.AlarmRule);
      for (const child of children) expect(rule).toContain(`ALARM(\\"",{"Fn::GetAtt":["${child.id}","Arn"]}`);
      expect(rule.match(/ALARM\(/g)).toHaveLength(DEFINITIONS.length);
    }
  });

  it('every alarm of the stateless stack is one of these (no alarm without a runbook line)', () => {
    const expected = [
      ...Object.values(ALARMS)
        .filter((a) => a.name !== ALARMS.lambdaErrors.name)
        .map((a) => `pinrelay-dev-${a.name}`),
      ...DEFINITIONS.map((d) => lambdaErrorAlarmName('dev', d.name)),
    ].sort();
    expect(
      alarmsOf(dev)
        .map((a) => a.props.AlarmName)
        .sort(),
    ).toEqual(expected);
    for (const alarm of alarmsOf(dev)) expect(alarm.props.AlarmDescription).toMatch(/ — docs\/runbook\.md#[a-z0-9-]+$/);
  });

  it('the webhook DLQ keeps its one alarm in the stateful stack (not duplicated here), on the dashboard too', () => {
    const queueId = dev.stateful.getLogicalId(dev.stateful.webhooks.deadLetterQueue.node.defaultChild as never);
    const onQueue = (template: typeof dev.statefulTemplate) =>
      resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter((a) => JSON.stringify(a.props).includes(queueId));
    expect(onQueue(dev.statefulTemplate)).toHaveLength(1);
    const webhookQueueName = JSON.stringify({ 'Fn::GetAtt': [queueId, 'QueueName'] });
    expect(alarmsOf(dev).filter((a) => JSON.stringify(a.props).includes(webhookQueueName))).toHaveLength(0);
    const overview = widgetTitled(dev, 'Alarms (each notifies the alarm topic)');
    expect(overview.properties.alarms).toContain('WebhooksDeadLetterAlarm');
  });

  it('alarmEmail subscribes to the topic every alarm notifies', () => {
    qa.statefulTemplate.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    dev.statefulTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
    qa.statefulTemplate.resourceCountIs('AWS::SNS::Topic', 1);
  });
});

describe('alarm thresholds (stage config)', () => {
  it('an unset `alarms` is every default; a partial one keeps the others', () => {
    expect(alarmThresholds({})).toEqual({
      publishQueueOldestMessageSeconds: 900,
      delayQueueOldestMessageSeconds: 1800,
      failedJobsPercent: 10,
      failedJobsMinimum: 5,
      lambdaErrorsPercent: 5,
      apiServerErrorsPercent: 5,
      rateLimitedPer15Minutes: 20,
      tokenRefreshFailuresPer15Minutes: 2,
      webhookFailuresPer15Minutes: 10,
    });
    const { settings } = parseStageConfig('prod', { prod: { alarms: { failedJobsPercent: 3 } } });
    expect(alarmThresholds(settings)).toMatchObject({ failedJobsPercent: 3, lambdaErrorsPercent: 5 });
  });

  it('rejects unknown keys and out-of-range values, naming the path', () => {
    expect(() => parseStageConfig('prod', { prod: { alarms: { failedJobPercent: 3 } } })).toThrow(/pinrelay:stages\.prod\.alarms/);
    expect(() => parseStageConfig('prod', { prod: { alarms: { delayQueueOldestMessageSeconds: 600 } } })).toThrow(
      /pinrelay:stages\.prod\.alarms\.delayQueueOldestMessageSeconds/,
    );
    expect(() => parseStageConfig('prod', { prod: { alarms: { lambdaErrorsPercent: 0 } } })).toThrow(/alarms\.lambdaErrorsPercent/);
  });

  it('docs/deploy.md lists every threshold with its default', () => {
    const deploy = readDoc('docs/deploy.md');
    for (const [key, value] of Object.entries(alarmThresholds({}))) {
      expect(deploy, key).toContain(`| \`alarms.${key}\` | \`${value}\` |`);
    }
    expect(Object.keys(alarmThresholdsSchema.shape)).toHaveLength(Object.keys(alarmThresholds({})).length);
  });
});
