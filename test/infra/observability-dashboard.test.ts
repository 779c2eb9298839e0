import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DASHBOARD_SVG_PATH,
  REGENERATE_COMMAND,
  generateDashboardSvg,
  metricLabels,
  placeholder,
  renderDashboardSvg,
  thresholds,
  widgetKind,
} from '../../bin/dashboard-svg.ts';
import { RECENT_PROBLEMS_QUERY } from '../../lib/constructs/observability/alarm-catalogue.ts';
import type { FunctionDefinition } from '../../definitions/functions.ts';
import { METRICS, OUTCOME_VALUES } from '../../definitions/metrics.ts';
import { DEFINITIONS, dashboard, synthObservedStages, titles, widgetTitled } from './observability-support.ts';
import type { Synthesized } from './support.ts';

/**
 * The stage dashboard (lib/constructs/observability/, docs/adr/0012-observability.md): every widget group by
 * title, the metrics and thresholds on the graphs, and the generated picture docs/dashboard.svg.
 */

let dev: Synthesized;
let prod: Synthesized;
let qa: Synthesized;

beforeAll(() => {
  ({ dev, prod, qa } = synthObservedStages());
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

  it("has each section header, the queues' by name", () => {
    const headers = dashboard(dev)
      .widgets.filter((w) => w.type === 'text')
      .map((w) => String(w.properties.markdown));
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
      expect(
        headers.some((h) => h.includes(header)),
        header,
      ).toBe(true);
    }
    // Both queues: depth and oldest-message age, the age with its alarm threshold.
    const ages = dashboard(dev).widgets.filter((w) => w.properties.title === 'Oldest Message Age');
    expect(ages.map((w) => thresholds(w).map((t) => t.value))).toEqual([[900], [1800]]);
    expect(dashboard(dev).widgets.filter((w) => w.properties.title === 'Message Count')).toHaveLength(2);
    expect(
      dashboard(qa)
        .widgets.filter((w) => w.properties.title === 'Oldest Message Age')
        .map((w) => thresholds(w)[0]!.value),
    ).toEqual([1200, 2400]);
  });

  it('API latency is p50 and p99', () => {
    const latency = widgetTitled(dev, 'Latency');
    expect(JSON.stringify(latency.properties.metrics)).toMatch(/"stat":"p50"[\s\S]*"stat":"p99"/);
  });

  it("intake, outcomes and the other custom graphs use the catalogue's metrics in the stage namespace", () => {
    const intake = JSON.stringify(widgetTitled(prod, 'Intake: accepted vs replayed').properties.metrics);
    for (const name of [METRICS.JobsAccepted.name, METRICS.JobsReplayed.name])
      expect(intake).toContain(`["Pinrelay/prod","${name}","service","pinrelay"`);
    expect(metricLabels(widgetTitled(dev, 'Attempts by outcome'))).toEqual([...OUTCOME_VALUES]);
    expect(JSON.stringify(widgetTitled(dev, 'Attempts by outcome').properties.metrics)).toContain(
      '"Pinrelay/dev","Attempts","outcome","retry_later","service","pinrelay"',
    );
    expect(metricLabels(widgetTitled(dev, 'HTTP 429 from Pinterest (per 15 min)'))).toEqual([
      '429s',
      'with Retry-After',
      'without Retry-After',
    ]);
    expect(metricLabels(widgetTitled(dev, 'Job events published'))).toEqual(['by the relay', 'by the sweeper']);
    // Every custom metric on the dashboard is in the catalogue.
    const names = new Set(Object.values(METRICS).map((m) => m.name));
    const used = [...JSON.stringify(dashboard(dev).widgets).matchAll(/\["Pinrelay\/dev","(\w+)"/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(20);
    for (const name of used) expect(names, name).toContain(name);
  });

  it('every dead-letter queue is on the dead-letter graph, with the alarm line', () => {
    const dlq = widgetTitled(dev, 'Dead-letter queues: messages (each alarms above 0)');
    expect(metricLabels(dlq)).toEqual([
      'publish DLQ (visible + received)',
      'delay DLQ (visible + received)',
      'outbox DLQ',
      'poison queue',
      'webhook DLQ',
    ]);
    expect(thresholds(dlq)).toEqual([{ label: 'alarm: any message', value: 0, color: '#d62728' }]);
  });

  it('every catalogue function is on each function graph of its group', () => {
    const isApi = (d: FunctionDefinition) => d.trigger.kind === 'api' || d.trigger.kind === 'authorizer';
    for (const [group, members] of [
      ['Pipeline', DEFINITIONS.filter((d) => !isApi(d))],
      ['API', DEFINITIONS.filter(isApi)],
    ] as const) {
      const names = members.map((d) => d.name);
      for (const suffix of [
        'error % of invocations (each alarms above 5 %)',
        'errors',
        'throttles',
        'duration p99 (ms)',
        'concurrent executions',
      ]) {
        expect(metricLabels(widgetTitled(dev, `${group}: ${suffix}`)), `${group}: ${suffix}`).toEqual(names);
      }
    }
    expect(JSON.stringify(widgetTitled(dev, 'Pipeline: concurrent executions').properties.metrics)).toContain('"ConcurrentExecutions"');
  });

  it("webhook failures: the bus's rules summed, and the ten worst by rule (not one metric per rule)", () => {
    const deliveries = widgetTitled(dev, 'Webhook deliveries, all subscriptions (per 15 min)');
    expect(metricLabels(deliveries)).toEqual([
      'delivered or failed',
      'failed for good',
      'sent to the webhook DLQ',
      'lost (the DLQ refused them)',
    ]);
    const text = JSON.stringify(deliveries.properties.metrics);
    for (const metric of ['Invocations', 'FailedInvocations', 'InvocationsSentToDlq', 'InvocationsFailedToBeSentToDlq']) {
      expect(text).toContain(
        `SELECT SUM(${metric}) FROM SCHEMA(\\"AWS/Events\\", EventBusName, RuleName) WHERE EventBusName = '{JobEvents}'`,
      );
    }
    expect(thresholds(deliveries).map((t) => t.value)).toEqual([10, 0]);
    expect(JSON.stringify(widgetTitled(dev, 'Failed deliveries by subscription rule (top 10)').properties.metrics)).toContain(
      'GROUP BY RuleName ORDER BY SUM() DESC LIMIT 10',
    );
  });

  it("the log widget queries every function's log group", () => {
    const logs = widgetTitled(dev, 'Recent errors and warnings, every function (Logs Insights)');
    const query = String(logs.properties.query);
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
    const own = {
      Resources: {
        Alarm1A2B3C4D: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: 'pinrelay-x-y' } },
        PublishQueue0A1B2C3D: { Type: 'AWS::SQS::Queue' },
      },
    };
    const other = {
      Outputs: { Out: { Value: { 'Fn::GetAtt': ['PublishQueue0A1B2C3D', 'QueueName'] }, Export: { Name: 'S:ExportsQueue' } } },
    };
    expect(placeholder({ Ref: 'AWS::Region' }, own)).toBe('{region}');
    expect(placeholder({ 'Fn::GetAtt': ['Alarm1A2B3C4D', 'Arn'] }, own)).toBe('pinrelay-x-y');
    expect(placeholder({ Ref: 'PublishQueue0A1B2C3D' }, own)).toBe('{PublishQueue}');
    expect(placeholder({ 'Fn::ImportValue': 'S:ExportsQueue' }, {}, [{ ...other, Resources: own.Resources }])).toBe(
      '{PublishQueue.QueueName}',
    );
    expect(widgetKind({ type: 'metric', x: 0, y: 0, width: 6, height: 6, properties: { stacked: true } })).toBe('stacked area');
    expect(
      metricLabels({
        type: 'metric',
        x: 0,
        y: 0,
        width: 6,
        height: 6,
        properties: {
          metrics: [
            ['N', 'M', { label: 'shown' }],
            ['N', 'H', { visible: false }],
            ['N', 'Bare'],
          ],
        },
      }),
    ).toEqual(['shown', 'Bare']);
  });
});
