import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { createPinrelayStacks } from '../lib/stacks/pinrelay.ts';

/**
 * A picture of the stage's CloudWatch dashboard, drawn from the synthesized dashboard body (not by hand):
 * the widget grid with each widget's title, kind, metric labels and alarm thresholds.
 *
 *   npm run dashboard:svg            write docs/dashboard.svg
 *   npm run dashboard:svg -- --check exit 1 when docs/dashboard.svg is not what the code draws
 *
 * The app is built like the infra tests build it (cdk.json context, stage `dev`, bundling skipped), so no
 * AWS account is needed. The body is an Fn::Join of strings and CloudFormation references; each reference
 * is replaced by a readable placeholder (an alarm's name, `{PublishQueue.QueueName}`, `{region}`), then
 * the JSON is parsed. test/infra/observability-dashboard.test.ts fails when the file is stale.
 */

export const DASHBOARD_SVG_PATH = fileURLToPath(new URL('../docs/dashboard.svg', import.meta.url));
export const REGENERATE_COMMAND = 'npm run dashboard:svg';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Template {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, Json> }>;
  readonly Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
}

/** Synthesizes `stage` (default dev) and returns the templates of both stacks. */
export function synthTemplates(stage = 'dev'): { stateful: Template; stateless: Template } {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'pinrelay:stage': stage },
    treeMetadata: false,
  });
  const stacks = createPinrelayStacks(app);
  const assembly = app.synth();
  return {
    stateful: assembly.getStackArtifact(stacks.stateful.artifactId).template as Template,
    stateless: assembly.getStackArtifact(stacks.stateless.artifactId).template as Template,
  };
}

/** `PublishQueue5A2D34B5` → `PublishQueue` (CDK appends an 8-character hash to logical ids). */
function stripHash(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': '{region}',
  'AWS::AccountId': '{account}',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': '{stack}',
};

/** A readable stand-in for a CloudFormation reference (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`). */
export function placeholder(reference: Json, own: Template, imported: readonly Template[] = []): string {
  if (reference === null || typeof reference !== 'object' || Array.isArray(reference)) return String(reference);
  const resource = (template: Template, id: string) => template.Resources?.[id];
  const named = (template: Template, id: string, attribute: string | null): string => {
    const r = resource(template, id);
    const alarmName = r?.Properties?.AlarmName;
    if (typeof alarmName === 'string' && (attribute === null || attribute === 'Arn')) return alarmName;
    // An alarm CloudFormation names itself (the stateful stack's webhook DLQ alarm): its construct's name.
    if (r?.Type === 'AWS::CloudWatch::Alarm' && attribute === 'Arn') return stripHash(id);
    return `{${stripHash(id)}${attribute ? `.${attribute}` : ''}}`;
  };
  if ('Ref' in reference && typeof reference.Ref === 'string') {
    return PSEUDO[reference.Ref] ?? named(own, reference.Ref, null);
  }
  if ('Fn::GetAtt' in reference && Array.isArray(reference['Fn::GetAtt'])) {
    const [id, attribute] = reference['Fn::GetAtt'] as [string, string];
    return named(own, id, attribute);
  }
  if ('Fn::ImportValue' in reference && typeof reference['Fn::ImportValue'] === 'string') {
    const exportName = reference['Fn::ImportValue'];
    for (const template of imported) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export?.Name === exportName) return placeholder(output.Value, template);
      }
    }
    return `{${exportName}}`;
  }
  if ('Fn::Join' in reference && Array.isArray(reference['Fn::Join'])) {
    const [separator, parts] = reference['Fn::Join'] as [string, Json[]];
    return parts.map((part) => (typeof part === 'string' ? part : placeholder(part, own, imported))).join(separator);
  }
  return '{?}';
}

export interface DashboardWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, Json>;
}

/** The (only) dashboard of the stateless template, its references made readable. */
export function dashboardOf(templates: { stateful: Template; stateless: Template }): { name: string; widgets: DashboardWidget[] } {
  const dashboards = Object.values(templates.stateless.Resources ?? {}).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
  const [dashboard] = dashboards;
  if (!dashboard || dashboards.length !== 1)
    throw new Error(`expected one AWS::CloudWatch::Dashboard in the stateless stack, found ${dashboards.length}`);
  const props = dashboard.Properties ?? {};
  const body = props.DashboardBody as Json;
  // Placeholders land inside JSON strings: keep them free of quotes and backslashes.
  const text = typeof body === 'string' ? body : placeholder(body, templates.stateless, [templates.stateful]);
  const parsed = JSON.parse(text) as { widgets: DashboardWidget[] };
  return { name: String(props.DashboardName ?? 'dashboard'), widgets: parsed.widgets };
}

// ---- drawing ----------------------------------------------------------------------------------------

const COLUMN = 38;
const ROW = 30;
const PAD = 4;
const FONT = "font-family='Helvetica, Arial, sans-serif'";
/** CloudWatch's default graph palette, in order. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** The colour of the i-th series: the palette, round and round (`i % length` is always an index, so never the default). */
function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '#1f77b4';
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Markdown of a text widget as plain lines (headers, bold and links reduced to their text). */
function markdownLines(markdown: string): Array<{ text: string; level: number }> {
  return markdown
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const level = /^(#+)\s/.exec(line)?.[1]?.length ?? 0;
      const text = line
        .replace(/^#+\s*/, '')
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/\*\*|__|`/g, '');
      return { text, level };
    });
}

function fitText(text: string, width: number, charWidth: number): string {
  const max = Math.max(3, Math.floor(width / charWidth));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What a widget shows, for its subtitle. */
export function widgetKind(widget: DashboardWidget): string {
  const p = widget.properties;
  switch (widget.type) {
    case 'text':
      return 'text';
    case 'alarm':
      return 'alarm status';
    case 'log':
      return `Logs Insights ${String(p.view ?? 'table')}`;
    case 'metric': {
      if (p.view === 'singleValue') return 'single value';
      if (p.view === 'bar') return 'bar chart';
      if (p.view === 'pie') return 'pie chart';
      return p.stacked === true ? 'stacked area' : 'line graph';
    }
    default:
      return widget.type;
  }
}

/** The visible series of a metric widget: their labels (or what they are). */
export function metricLabels(widget: DashboardWidget): string[] {
  const metrics = (widget.properties.metrics as Json[] | undefined) ?? [];
  const labels: string[] = [];
  for (const entry of metrics) {
    if (!Array.isArray(entry)) continue;
    const last = entry[entry.length - 1];
    const options = last !== null && typeof last === 'object' && !Array.isArray(last) ? (last as Record<string, Json>) : {};
    if (options.visible === false) continue;
    const label = typeof options.label === 'string' ? options.label : '';
    if (label) labels.push(label);
    else if (typeof options.expression === 'string') {
      const expression = options.expression;
      const grouped = /GROUP BY (\w+)/.exec(expression);
      labels.push(grouped ? `one series per ${grouped[1]} (${/SUM\((\w+)\)/.exec(expression)?.[1] ?? 'query'})` : expression);
    } else {
      const strings = entry.filter((e): e is string => typeof e === 'string' && e !== '...' && e !== '.');
      labels.push(strings[1] ?? strings[0] ?? 'metric');
    }
  }
  return labels;
}

/** The alarm thresholds drawn on a metric widget (visible horizontal annotations). */
export function thresholds(widget: DashboardWidget): Array<{ label: string; value: number; color: string }> {
  const annotations = widget.properties.annotations as { horizontal?: Array<Record<string, Json>> } | undefined;
  return (annotations?.horizontal ?? [])
    .filter((a) => a.visible !== false && typeof a.value === 'number')
    .map((a) => ({
      label: String(a.label ?? ''),
      value: a.value as number,
      color: typeof a.color === 'string' ? a.color : '#d62728',
    }));
}

function drawWidget(widget: DashboardWidget): string {
  const x = widget.x * COLUMN + PAD;
  const y = widget.y * ROW + PAD;
  const w = widget.width * COLUMN - 2 * PAD;
  const h = widget.height * ROW - 2 * PAD;
  const out: string[] = [];
  if (widget.type === 'text') {
    const lines = markdownLines(String(widget.properties.markdown ?? ''));
    const first = lines[0];
    if (first) {
      const size = first.level === 1 ? 17 : first.level === 2 ? 15 : 13;
      out.push(
        `<text x='${x + 2}' y='${y + h / 2 + size / 3}' ${FONT} font-size='${size}' font-weight='bold' fill='#16191f'>${escapeXml(fitText(first.text, w, size * 0.55))}</text>`,
      );
    }
    return out.join('');
  }
  out.push(`<rect x='${x}' y='${y}' width='${w}' height='${h}' rx='3' fill='#ffffff' stroke='#d5dbdb'/>`);
  const title = String(widget.properties.title ?? '');
  out.push(
    `<text x='${x + 8}' y='${y + 16}' ${FONT} font-size='12' font-weight='bold' fill='#16191f'>${escapeXml(fitText(title, w - 16, 6.6))}</text>`,
  );
  out.push(`<text x='${x + 8}' y='${y + 29}' ${FONT} font-size='9' fill='#687078'>${escapeXml(widgetKind(widget))}</text>`);
  const top = y + 36;
  const bottom = y + h - 6;

  if (widget.type === 'alarm') {
    const alarms = ((widget.properties.alarms as Json[] | undefined) ?? []).map((a) => String(a).replace(/^.*:alarm:/, ''));
    const rowsThatFit = Math.max(1, Math.floor((bottom - top + 4) / 16));
    const perRow = Math.max(1, Math.ceil(alarms.length / rowsThatFit));
    const cell = (w - 16) / perRow;
    alarms.forEach((name, i) => {
      const cx = x + 8 + (i % perRow) * cell;
      const cy = top + Math.floor(i / perRow) * 16;
      if (cy + 12 > bottom) return;
      out.push(`<rect x='${cx}' y='${cy}' width='9' height='9' rx='2' fill='#1d8102'/>`);
      out.push(
        `<text x='${cx + 13}' y='${cy + 8.5}' ${FONT} font-size='9' fill='#16191f'>${escapeXml(fitText(name, cell - 16, 4.9))}</text>`,
      );
    });
    return out.join('');
  }

  if (widget.type === 'log') {
    const query = String(widget.properties.query ?? '')
      .split('|')
      .map((part) => part.trim())
      .filter((part) => part.length > 0 && !part.startsWith('SOURCE '));
    const sources = (String(widget.properties.query ?? '').match(/SOURCE /g) ?? []).length;
    out.push(`<text x='${x + 8}' y='${top + 8}' ${FONT} font-size='9.5' fill='#687078'>${escapeXml(`${sources} log groups`)}</text>`);
    query.forEach((line, i) => {
      const ly = top + 24 + i * 14;
      if (ly > bottom) return;
      out.push(
        `<text x='${x + 8}' y='${ly}' font-family='Menlo, Consolas, monospace' font-size='9.5' fill='#16191f'>${escapeXml(fitText(`| ${line}`, w - 16, 5.8))}</text>`,
      );
    });
    return out.join('');
  }

  // A metric graph: plot area on the left (threshold lines), legend on the right: the series, then the
  // thresholds (dashed), in as many columns as fit.
  const labels = metricLabels(widget);
  const lines = thresholds(widget);
  const perColumn = Math.max(1, Math.floor((bottom - top + 2) / 12));
  const crowded = labels.length + lines.length > perColumn;
  // A crowded legend gets more of the width, in columns.
  const plotWidth = Math.max(56, Math.round(w * (crowded ? 0.2 : 0.3)));
  const plot = { x: x + 8, y: top, w: plotWidth, h: bottom - top };
  out.push(`<rect x='${plot.x}' y='${plot.y}' width='${plot.w}' height='${plot.h}' fill='#f8f8f8' stroke='#eaeded'/>`);
  const max = Math.max(0, ...lines.map((l) => l.value)) || 1;
  for (const line of lines) {
    const ly = Math.round(plot.y + plot.h - 6 - (line.value / (max * 1.25)) * (plot.h - 12));
    out.push(
      `<line x1='${plot.x}' y1='${ly}' x2='${plot.x + plot.w}' y2='${ly}' stroke='${line.color}' stroke-dasharray='4 3' stroke-width='1.2'/>`,
    );
  }
  const entries = [
    ...labels.map((label, i) => ({ label, color: seriesColor(i), dashed: false })),
    ...lines.map((line) => ({ label: line.label, color: line.color, dashed: true })),
  ];
  const legendX = plot.x + plot.w + 10;
  const legendWidth = x + w - legendX - 4;
  const columns = crowded ? Math.max(1, Math.min(3, Math.floor(legendWidth / 95))) : 1;
  const columnWidth = legendWidth / columns;
  const capacity = perColumn * columns;
  const shown = entries.length > capacity ? [...entries.slice(0, capacity - 1)] : entries;
  shown.forEach((entry, i) => {
    const lx = legendX + Math.floor(i / perColumn) * columnWidth;
    const ly = top + (i % perColumn) * 12;
    out.push(
      entry.dashed
        ? `<line x1='${lx}' y1='${ly + 6}' x2='${lx + 9}' y2='${ly + 6}' stroke='${entry.color}' stroke-dasharray='3 2' stroke-width='1.5'/>`
        : `<rect x='${lx}' y='${ly + 2}' width='8' height='8' fill='${entry.color}'/>`,
    );
    out.push(
      `<text x='${lx + 12}' y='${ly + 9.5}' ${FONT} font-size='9' fill='${entry.dashed ? entry.color : '#16191f'}'>${escapeXml(fitText(entry.label, columnWidth - 16, 4.9))}</text>`,
    );
  });
  if (shown.length < entries.length) {
    const i = shown.length;
    out.push(
      `<text x='${legendX + Math.floor(i / perColumn) * columnWidth + 12}' y='${top + (i % perColumn) * 12 + 9.5}' ${FONT} font-size='9' fill='#687078'>${escapeXml(`… and ${entries.length - shown.length} more`)}</text>`,
    );
  }
  return out.join('');
}

/** The SVG picture of a dashboard (deterministic: same body, same bytes). */
export function renderDashboardSvg(dashboard: { name: string; widgets: readonly DashboardWidget[] }): string {
  const width = 24 * COLUMN + 2 * PAD;
  const rows = Math.max(...dashboard.widgets.map((w) => w.y + w.height));
  const height = rows * ROW + 2 * PAD + 22;
  const parts = [
    `<svg xmlns='http://www.w3.org/2000/svg' width='${width}' height='${height}' viewBox='0 0 ${width} ${height}'>`,
    `<title>CloudWatch dashboard ${escapeXml(dashboard.name)} (generated by bin/dashboard-svg.ts)</title>`,
    `<rect width='${width}' height='${height}' fill='#f2f3f3'/>`,
    ...dashboard.widgets.map(drawWidget),
    `<text x='${PAD + 2}' y='${height - 8}' ${FONT} font-size='9' fill='#687078'>${escapeXml(
      `${dashboard.name}: ${dashboard.widgets.length} widgets, drawn from the synthesized template by bin/dashboard-svg.ts (${REGENERATE_COMMAND}); thresholds are the defaults`,
    )}</text>`,
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}

/** Synthesize, read the dashboard, draw it. */
export function generateDashboardSvg(stage = 'dev'): string {
  return renderDashboardSvg(dashboardOf(synthTemplates(stage)));
}

function main(args: readonly string[]): number {
  const svg = generateDashboardSvg();
  if (args[0] === '--check') {
    let current = '';
    try {
      current = readFileSync(DASHBOARD_SVG_PATH, 'utf8');
    } catch {
      // missing: stale
    }
    if (current === svg) return 0;
    console.error(`docs/dashboard.svg is stale: regenerate it with ${REGENERATE_COMMAND}`);
    return 1;
  }
  writeFileSync(DASHBOARD_SVG_PATH, svg);
  console.log(`wrote docs/dashboard.svg (${svg.length} bytes)`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
