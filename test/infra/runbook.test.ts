import { beforeAll, describe, expect, it } from 'vitest';
import { alarmThresholds } from '../../lib/config.ts';
import {
  ALARMS,
  RECENT_PROBLEMS_QUERY,
  RUNBOOK,
  WEBHOOK_DLQ_RUNBOOK_ANCHOR,
  alarmDescription,
} from '../../lib/constructs/observability/alarm-catalogue.ts';
import { dashboard, readDoc, titles } from './observability-support.ts';
import { synthPinrelay, type Synthesized } from './support.ts';

/**
 * docs/runbook.md against the alarms (lib/constructs/observability/alarm-catalogue.ts): one section per
 * alarm, the dashboard widgets and admin commands it names exist, its log queries are the dashboard's.
 */

let dev: Synthesized;

beforeAll(() => {
  dev = synthPinrelay({ stage: 'dev' });
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

  it("its log queries use the structured keys and its query for recent problems is the dashboard's", () => {
    expect(runbook).toContain(RECENT_PROBLEMS_QUERY.join('\n| '));
    for (const key of ['job_id', 'tenant_id', 'account_id', 'outcome', 'reason']) expect(runbook).toContain(key);
  });

  it("every admin command it or an alarm description names is in the admin CLI's usage, with those flags", () => {
    // The usage lines of bin/admin.ts and bin/ops.ts, read as text (importing the CLI would run it).
    const usage = [readDoc('bin/admin.ts'), readDoc('bin/ops.ts')].flatMap((source) =>
      [...source.matchAll(/'\s*(npm run admin -- [^']+)'/g)].map((m) => m[1]!),
    );
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
