import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DASHBOARD_SVG_PATH,
  REGENERATE_COMMAND,
  dashboardOf,
  generateDashboardSvg,
  metricLabels,
  placeholder,
  renderDashboardSvg,
  thresholds,
  widgetKind,
  type DashboardWidget,
} from '../../bin/dashboard-svg.ts';
import { alarmThresholds, alarmThresholdsSchema, parseStageConfig, type AlarmThresholds } from '../../lib/config.ts';
import { ALARMS, RECENT_PROBLEMS_QUERY, RUNBOOK, WEBHOOK_DLQ_RUNBOOK_ANCHOR, alarmDescription, lambdaErrorAlarmName, type AlarmKey } from '../../lib/constructs/observability.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { METRICS, OUTCOME_VALUES, SERVICE_DIMENSIONS, metricsNamespace } from '../../definitions/metrics.ts';
import { resourcesOfType, synthPinrelay, type Synthesized } from './support.ts';

/**
 * The stage dashboard and the alarms (lib/constructs/observability.ts, docs/adr/0012-observability.md):
 * every widget group by title, every alarm's metric, threshold, comparison, evaluation, action and
 * runbook description, thresholds from the stage config, the runbook's sections, and the generated
 * picture docs/dashboard.svg.
 */

const DEFINITIONS = FUNCTIONS as readonly FunctionDefinition[];
const readDoc = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

let dev: Synthesized;
let prod: Synthesized;
let qa: Synthesized;
const QA_ALARMS = {
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

beforeAll(() => {
  dev = synthPinrelay({ stage: 'dev' });
  prod = synthPinrelay({ stage: 'prod' });
  qa = synthPinrelay({ stage: 'qa', stages: { qa: { alarmEmail: 'ops@example.com', alarms: QA_ALARMS } } });
});

type Resource = { id: string; props: Record<string, any> };
const alarmsOf = (s: Synthesized): Resource[] => resourcesOfType(s.statelessTemplate, 'AWS::CloudWatch::Alarm');
const alarmNamed = (s: Synthesized, name: string): Resource => {
  const found = alarmsOf(s).filter((a) => a.props.AlarmName === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
const dashboard = (s: Synthesized) => dashboardOf({ stateful: s.statefulTemplate.toJSON(), stateless: s.statelessTemplate.toJSON() });
const titles = (widgets: readonly DashboardWidget[]) => widgets.map((w) => String(w.properties['title'] ?? w.properties['markdown'] ?? ''));
const widgetTitled = (s: Synthesized, title: string): DashboardWidget => {
  const found = dashboard(s).widgets.filter((w) => w.properties['title'] === title);
  expect(found, title).toHaveLength(1);
  return found[0]!;
};

/** The Fn::ImportValue by which the stateless stack reaches the stateful stack's alarm topic. */
function alarmTopicImport(s: Synthesized): { 'Fn::ImportValue': string } {
  const topicId = s.stateful.getLogicalId(s.stateful.alarmTopic.node.defaultChild as never);
  const outputs = s.statefulTemplate.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
  const output = Object.values(outputs).find((o) => JSON.stringify(o.Value) === JSON.stringify({ Ref: topicId }) && o.Export);
  expect(output, 'the alarm topic is exported').toBeDefined();
  return { 'Fn::ImportValue': output!.Export!.Name };
}

/** The metrics of an alarm as `namespace/name[stat]` (math: the expression). */
function alarmMetrics(alarm: Resource): string[] {
  if (alarm.props.MetricName) return [`${alarm.props.Namespace}/${alarm.props.MetricName}[${alarm.props.Statistic ?? alarm.props.ExtendedStatistic}]`];
  return (alarm.props.Metrics as Array<Record<string, any>>).map((m) =>
    m.MetricStat
      ? `${m.MetricStat.Metric.Namespace}/${m.MetricStat.Metric.MetricName}[${m.MetricStat.Stat}]`
      : typeof m.Expression === 'string'
        ? m.Expression
        : // A Metrics Insights query naming the bus: its parts, the reference as {ref}.
          (m.Expression['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : '{ref}')).join(''),
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
    metrics: () => ['FILL(vp, 0) + FILL(rp, 0)', 'AWS/SQS/ApproximateNumberOfMessagesVisible[Maximum]', 'AWS/SQS/NumberOfMessagesReceived[Sum]'],
  },
  delayDlq: {
    threshold: () => 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    period: 300,
    metrics: () => ['FILL(vd, 0) + FILL(rd, 0)', 'AWS/SQS/ApproximateNumberOfMessagesVisible[Maximum]', 'AWS/SQS/NumberOfMessagesReceived[Sum]'],
  },
  outboxDlq: { threshold: () => 0, evaluationPeriods: 1, datapointsToAlarm: 1, period: 300, metrics: () => ['AWS/SQS/ApproximateNumberOfMessagesVisible[Maximum]'] },
  poisonQueue: { threshold: () => 0, evaluationPeriods: 1, datapointsToAlarm: 1, period: 300, metrics: () => ['AWS/SQS/ApproximateNumberOfMessagesVisible[Maximum]'] },
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
    metrics: () => [`SELECT SUM(InvocationsFailedToBeSentToDlq) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '{ref}'`],
  },
};

/** Periods of an alarm's metrics (the single metric's, each MetricStat's, and Metrics Insights expressions'). */
function periodsOf(alarm: Resource): number[] {
  if (alarm.props.Period) return [alarm.props.Period];
  return (alarm.props.Metrics as Array<Record<string, any>>).map((m) => m.MetricStat?.Period ?? m.Period).filter((p) => p !== undefined);
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
      expect(alarm.props.AlarmDescription.length).toBeLessThanOrEqual(1024);
    }
  });

  it('the functions publish their metrics in the namespace the dashboard and alarms read', () => {
    for (const s of [dev, prod]) {
      const namespaces = resourcesOfType(s.statelessTemplate, 'AWS::Lambda::Function').map((f) => f.props.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE);
      expect(new Set(namespaces)).toEqual(new Set([metricsNamespace(s.config.stage)]));
    }
  });

  it('custom metrics are the catalogue\'s, in the stage\'s namespace, with the service dimension', () => {
    const failed = alarmNamed(prod, 'pinrelay-prod-failed-jobs');
    const stats = (failed.props.Metrics as Array<Record<string, any>>).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric);
    expect(stats.map((m) => m.Namespace)).toEqual(stats.map(() => 'Pinrelay/prod'));
    // Succeeded, and failed for each route: the expression counts ops and engineering against all of them.
    expect(stats.map((m) => [m.MetricName, Object.fromEntries(m.Dimensions.map((d: { Name: string; Value: string }) => [d.Name, d.Value]))])).toEqual([
      ['JobsSucceeded', { ...SERVICE_DIMENSIONS }],
      ['JobsFailed', { ...SERVICE_DIMENSIONS, route: 'client' }],
      ['JobsFailed', { ...SERVICE_DIMENSIONS, route: 'ops' }],
      ['JobsFailed', { ...SERVICE_DIMENSIONS, route: 'engineering' }],
    ]);
    const expression = (failed.props.Metrics as Array<Record<string, any>>).find((m) => m.Expression)!.Expression as string;
    expect(expression).toBe('IF(FILL(ok, 0) + FILL(fc, 0) + FILL(fo, 0) + FILL(fe, 0) >= 5, 100 * (FILL(fo, 0) + FILL(fe, 0)) / (FILL(ok, 0) + FILL(fc, 0) + FILL(fo, 0) + FILL(fe, 0)), 0)');
    expect(JSON.stringify(alarmNamed(qa, 'pinrelay-qa-failed-jobs').props.Metrics)).toContain('>= 9,');
  });

  it('the webhook alarms read every rule of the job events bus, by its name', () => {
    const busId = dev.stateful.getLogicalId(dev.stateful.eventBus.node.defaultChild as never);
    const outputs = dev.statefulTemplate.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
    const busExport = Object.values(outputs).find((o) => JSON.stringify(o.Value) === JSON.stringify({ Ref: busId }) && o.Export)!.Export!.Name;
    for (const name of ['pinrelay-dev-webhook-delivery-failures', 'pinrelay-dev-webhook-events-lost']) {
      const [query] = alarmNamed(dev, name).props.Metrics as Array<Record<string, any>>;
      expect(query!.Expression['Fn::Join'][1]).toEqual([expect.stringMatching(/WHERE EventBusName = '$/), { 'Fn::ImportValue': busExport }, "'"]);
      expect(query!.Period).toBe(900);
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
    expect(alarmsOf(dev).map((a) => a.props.AlarmName).sort()).toEqual(expected);
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
    expect(overview.properties['alarms']).toContain('WebhooksDeadLetterAlarm');
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

describe('dashboard', () => {
  const GROUPS = [
    'Alarms (each notifies the alarm topic)',
    // API (the library's API Gateway monitor, p50 and p99), and the 5xx share we alarm on.
    'TPS',
    'Latency',
    'Errors',
    'Errors (rate)',
    'API 5xx % of requests',
    'Unhandled errors (500) and refused API keys',
    // Jobs.
    'Intake: accepted vs replayed',
    'Attempts by outcome',
    'Success rate (15 min)',
    'Finished jobs, failures by route',
    'Queue wait, Pinterest call, end to end (ms)',
    'Pacing holds and safety nets',
    // Pinterest and tokens.
    'HTTP 429 from Pinterest (per 15 min)',
    'Token refreshes (per 15 min)',
    'Token refresh failures by reason',
    'Rotated tokens not stored',
    // Dead letters, events, webhooks.
    'Dead-letter queues: messages (each alarms above 0)',
    'Dead letters handled by record-dead-letters',
    'Job events published',
    'Webhook deliveries, all subscriptions (per 15 min)',
    'Failed deliveries by subscription rule (top 10)',
    // Functions.
    ...['Pipeline', 'API'].flatMap((g) => [
      `${g}: error % of invocations (each alarms above 5 %)`,
      `${g}: errors`,
      `${g}: throttles`,
      `${g}: duration p99 (ms)`,
      `${g}: concurrent executions`,
    ]),
    'Recent errors and warnings, every function (Logs Insights)',
  ];

  it('one dashboard per stage, named pinrelay-<stage>, in the stateless stack', () => {
    dev.statelessTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    dev.statefulTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(dashboard(dev).name).toBe('pinrelay-dev');
    expect(dashboard(prod).name).toBe('pinrelay-prod');
    const dashboardId = dev.stateless.getLogicalId(dev.stateless.observability.dashboard.node.defaultChild as never);
    dev.statelessTemplate.hasOutput('DashboardName', { Value: { Ref: dashboardId } });
  });

  it.each(GROUPS)('has the widget "%s"', (title) => {
    expect(titles(dashboard(dev).widgets)).toContain(title);
  });

  it('has each section header, the queues\' by name', () => {
    const headers = dashboard(dev)
      .widgets.filter((w) => w.type === 'text')
      .map((w) => String(w.properties['markdown']));
    for (const header of [
      'API Gateway Endpoint',
      'API errors',
      'Jobs',
      'Pinterest and account tokens',
      'Publish queue (FIFO, one message group per account)',
      'Delay queue (retries, schedules, pacing holds)',
      'Dead-letter queues',
      'Job events and webhooks',
      'Pipeline functions (queues, stream, schedules)',
      'API functions (authorizer and routes)',
      'Logs',
    ]) {
      expect(headers.some((h) => h.includes(header)), header).toBe(true);
    }
    // Both queues: depth and oldest-message age, the age with its alarm threshold.
    const ages = dashboard(dev).widgets.filter((w) => w.properties['title'] === 'Oldest Message Age');
    expect(ages.map((w) => thresholds(w).map((t) => t.value))).toEqual([[900], [1800]]);
    expect(dashboard(dev).widgets.filter((w) => w.properties['title'] === 'Message Count')).toHaveLength(2);
    expect(dashboard(qa).widgets.filter((w) => w.properties['title'] === 'Oldest Message Age').map((w) => thresholds(w)[0]!.value)).toEqual([1200, 2400]);
  });

  it('API latency is p50 and p99', () => {
    const latency = widgetTitled(dev, 'Latency');
    expect(JSON.stringify(latency.properties['metrics'])).toMatch(/"stat":"p50"[\s\S]*"stat":"p99"/);
  });

  it('intake, outcomes and the other custom graphs use the catalogue\'s metrics in the stage namespace', () => {
    const intake = JSON.stringify(widgetTitled(prod, 'Intake: accepted vs replayed').properties['metrics']);
    for (const name of [METRICS.JobsAccepted.name, METRICS.JobsReplayed.name]) expect(intake).toContain(`["Pinrelay/prod","${name}","service","pinrelay"`);
    expect(metricLabels(widgetTitled(dev, 'Attempts by outcome'))).toEqual([...OUTCOME_VALUES]);
    expect(JSON.stringify(widgetTitled(dev, 'Attempts by outcome').properties['metrics'])).toContain('"Pinrelay/dev","Attempts","outcome","retry_later","service","pinrelay"');
    expect(metricLabels(widgetTitled(dev, 'HTTP 429 from Pinterest (per 15 min)'))).toEqual(['429s', 'with Retry-After', 'without Retry-After']);
    expect(metricLabels(widgetTitled(dev, 'Job events published'))).toEqual(['by the relay', 'by the sweeper']);
    // Every custom metric on the dashboard is in the catalogue.
    const names = new Set(Object.values(METRICS).map((m) => m.name));
    const used = [...JSON.stringify(dashboard(dev).widgets).matchAll(/\["Pinrelay\/dev","(\w+)"/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(20);
    for (const name of used) expect(names, name).toContain(name);
  });

  it('every dead-letter queue is on the dead-letter graph, with the alarm line', () => {
    const dlq = widgetTitled(dev, 'Dead-letter queues: messages (each alarms above 0)');
    expect(metricLabels(dlq)).toEqual(['publish DLQ (visible + received)', 'delay DLQ (visible + received)', 'outbox DLQ', 'poison queue', 'webhook DLQ']);
    expect(thresholds(dlq)).toEqual([{ label: 'alarm: any message', value: 0, color: '#d62728' }]);
  });

  it('every catalogue function is on each function graph of its group', () => {
    const isApi = (d: FunctionDefinition) => d.trigger.kind === 'api' || d.trigger.kind === 'authorizer';
    for (const [group, members] of [
      ['Pipeline', DEFINITIONS.filter((d) => !isApi(d))],
      ['API', DEFINITIONS.filter(isApi)],
    ] as const) {
      const names = members.map((d) => d.name);
      for (const suffix of ['error % of invocations (each alarms above 5 %)', 'errors', 'throttles', 'duration p99 (ms)', 'concurrent executions']) {
        expect(metricLabels(widgetTitled(dev, `${group}: ${suffix}`)), `${group}: ${suffix}`).toEqual(names);
      }
    }
    expect(JSON.stringify(widgetTitled(dev, 'Pipeline: concurrent executions').properties['metrics'])).toContain('"ConcurrentExecutions"');
  });

  it('webhook failures: the bus\'s rules summed, and the ten worst by rule (not one metric per rule)', () => {
    const deliveries = widgetTitled(dev, 'Webhook deliveries, all subscriptions (per 15 min)');
    expect(metricLabels(deliveries)).toEqual(['delivered or failed', 'failed for good', 'sent to the webhook DLQ', 'lost (the DLQ refused them)']);
    const text = JSON.stringify(deliveries.properties['metrics']);
    for (const metric of ['Invocations', 'FailedInvocations', 'InvocationsSentToDlq', 'InvocationsFailedToBeSentToDlq']) {
      expect(text).toContain(`SELECT SUM(${metric}) FROM SCHEMA(\\"AWS/Events\\", EventBusName, RuleName) WHERE EventBusName = '{JobEvents}'`);
    }
    expect(thresholds(deliveries).map((t) => t.value)).toEqual([10, 0]);
    expect(JSON.stringify(widgetTitled(dev, 'Failed deliveries by subscription rule (top 10)').properties['metrics'])).toContain(
      'GROUP BY RuleName ORDER BY SUM() DESC LIMIT 10',
    );
  });

  it('the log widget queries every function\'s log group', () => {
    const logs = widgetTitled(dev, 'Recent errors and warnings, every function (Logs Insights)');
    const query = String(logs.properties['query']);
    expect(query.match(/SOURCE '/g)).toHaveLength(DEFINITIONS.length);
    for (const line of RECENT_PROBLEMS_QUERY) expect(query).toContain(line);
  });

  it('alarm thresholds are drawn on their graphs', () => {
    expect(thresholds(widgetTitled(qa, 'Success rate (15 min)')).map((t) => t.value)).toEqual([25]);
    expect(thresholds(widgetTitled(qa, 'HTTP 429 from Pinterest (per 15 min)')).map((t) => t.value)).toEqual([50]);
    expect(thresholds(widgetTitled(qa, 'API 5xx % of requests')).map((t) => t.value)).toEqual([1.5]);
    expect(thresholds(widgetTitled(qa, 'Pipeline: error % of invocations (each alarms above 2 %)')).map((t) => t.value)).toEqual([2]);
  });
});

describe('runbook (docs/runbook.md)', () => {
  const runbook = readDoc(RUNBOOK);
  const sections = new Map(
    runbook
      .split(/^## /m)
      .slice(1)
      .map((section) => [section.slice(0, section.indexOf('\n')).trim(), section] as const),
  );
  const anchors = [...Object.values(ALARMS).map((a) => a.anchor), WEBHOOK_DLQ_RUNBOOK_ANCHOR];

  it('has one section per alarm, and no other', () => {
    expect([...sections.keys()].sort()).toEqual([...anchors].sort());
  });

  it.each(anchors)('%s: what it means, how to look, how to fix', (anchor) => {
    const section = sections.get(anchor)!;
    expect(section).toContain('**What it means.**');
    expect(section).toContain('**How to look.**');
    expect(section).toContain('**How to fix.**');
    expect(section).toMatch(/Dashboard: "/);
  });

  it('every dashboard widget it names exists', () => {
    const widgetTitles = new Set(titles(dashboard(dev).widgets));
    // The "Dashboard:" items, continuation lines included.
    const named = [...runbook.matchAll(/- Dashboard: ([\s\S]*?)(?=\n- |\n\n|\n\*\*)/g)].flatMap((m) =>
      [...m[1]!.matchAll(/"([^"]+)"/g)].map((q) => q[1]!),
    );
    expect(named.length).toBeGreaterThan(20);
    const headers = titles(dashboard(dev).widgets).join('\n');
    for (const title of named) {
      // A quoted name is a widget title, or the start of one (titles with a unit suffix), or a section.
      const known = widgetTitles.has(title) || [...widgetTitles].some((t) => t.startsWith(`${title} (`)) || headers.includes(title);
      expect(known, `"${title}" is not a widget on the dashboard`).toBe(true);
    }
  });

  it('its log queries use the structured keys and its query for recent problems is the dashboard\'s', () => {
    expect(runbook).toContain(RECENT_PROBLEMS_QUERY.join('\n| '));
    for (const key of ['job_id', 'tenant_id', 'account_id', 'outcome', 'reason']) expect(runbook).toContain(key);
  });

  it('every admin command it or an alarm description names is in the admin CLI\'s usage, with those flags', () => {
    // The usage lines of bin/admin.ts and bin/ops.ts, read as text (importing the CLI would run it).
    const usage = [readDoc('bin/admin.ts'), readDoc('bin/ops.ts')]
      .flatMap((source) => [...source.matchAll(/'\s*(npm run admin -- [^']+)'/g)].map((m) => m[1]!));
    const descriptions = Object.values(ALARMS).map(alarmDescription).join('\n');
    const used = [...`${runbook}\n${descriptions}`.matchAll(/`npm run admin -- ([^`]+)`/g)].map((m) => m[1]!.replace(/\s+/g, ' ').trim());
    expect(used.length).toBeGreaterThan(20);
    for (const command of used) {
      const words = command.split(' ').filter((w) => !w.startsWith('-') && !w.startsWith('<') && w !== '…');
      if (words.length === 0) continue; // `npm run admin -- …`, `npm run admin -- --help`
      const name = words.slice(0, ['jobs', 'dlq', 'webhooks'].includes(words[0]!) ? 2 : 1).join(' ');
      const line = usage.find((u) => u.startsWith(`npm run admin -- ${name} `) || u === `npm run admin -- ${name}`);
      expect(line, `no usage line for "${command}"`).toBeDefined();
      for (const flag of command.match(/--[a-z-]+/g) ?? []) expect(line, `${command}: ${flag}`).toContain(flag);
    }
  });

  it('the alarm index lists every alarm with its config key', () => {
    for (const a of Object.values(ALARMS)) expect(runbook).toContain(`[\`${a.name}\`](#${a.anchor})`);
    for (const key of Object.keys(alarmThresholds({}))) expect(runbook).toContain(`\`${key}\``);
  });
});

describe('docs/dashboard.svg', () => {
  it(`is what bin/dashboard-svg.ts draws from the synthesized dashboard (stale: ${REGENERATE_COMMAND})`, () => {
    const expected = generateDashboardSvg();
    let current = '';
    try {
      current = readFileSync(DASHBOARD_SVG_PATH, 'utf8');
    } catch {
      // missing
    }
    if (current !== expected) expect.fail(`docs/dashboard.svg is stale or missing: regenerate it with ${REGENERATE_COMMAND}`);
  });

  it('draws from the template, not by hand: titles, kinds, labels and thresholds of the body', () => {
    const svg = renderDashboardSvg(dashboard(qa));
    expect(svg).toContain('Intake: accepted vs replayed');
    expect(svg).toContain('stacked area');
    expect(svg).toContain('Logs Insights table');
    expect(svg).toContain('pinrelay-qa-failed-jobs');
    expect(svg).toContain('WebhooksDeadLetterAlarm');
    expect(svg).toContain('429s &gt; 50');
    expect(svg).toBe(renderDashboardSvg(dashboard(qa)));
  });

  it('turns references into readable placeholders', () => {
    const own = { Resources: { Alarm1A2B3C4D: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: 'pinrelay-x-y' } }, PublishQueue0A1B2C3D: { Type: 'AWS::SQS::Queue' } } };
    const other = { Outputs: { Out: { Value: { 'Fn::GetAtt': ['PublishQueue0A1B2C3D', 'QueueName'] }, Export: { Name: 'S:ExportsQueue' } } } };
    expect(placeholder({ Ref: 'AWS::Region' }, own)).toBe('{region}');
    expect(placeholder({ 'Fn::GetAtt': ['Alarm1A2B3C4D', 'Arn'] }, own)).toBe('pinrelay-x-y');
    expect(placeholder({ Ref: 'PublishQueue0A1B2C3D' }, own)).toBe('{PublishQueue}');
    expect(placeholder({ 'Fn::ImportValue': 'S:ExportsQueue' }, {}, [{ ...other, Resources: own.Resources }])).toBe('{PublishQueue.QueueName}');
    expect(widgetKind({ type: 'metric', x: 0, y: 0, width: 6, height: 6, properties: { stacked: true } })).toBe('stacked area');
    expect(metricLabels({ type: 'metric', x: 0, y: 0, width: 6, height: 6, properties: { metrics: [['N', 'M', { label: 'shown' }], ['N', 'H', { visible: false }], ['N', 'Bare']] } })).toEqual([
      'shown',
      'Bare',
    ]);
  });
});
