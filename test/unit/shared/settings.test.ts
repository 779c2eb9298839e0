import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStageConfig, stageSettingsSchema } from '../../../lib/config.ts';
import {
  ENV_FOR_ACCESS,
  ENV_FOR_EVERY_FUNCTION,
  FUNCTIONS,
  functionEnvironment,
  type FunctionDefinition,
} from '../../../definitions/functions.ts';
import {
  API_GATEWAY,
  RESOURCE_VARIABLES,
  SETTING_ENTRIES,
  SETTINGS,
  localSettingsSchema,
  settingValue,
  settingsTable,
  type NumberSetting,
  type ResourceValues,
  type Setting,
  type SettingValues,
} from '../../../definitions/settings.ts';
import { envSchema, parseRuntimeConfig } from '../../../lambdas/common/config.ts';

/**
 * One definition per setting (definitions/settings.ts): whatever a stage may say in cdk.json, every
 * function gets an environment its runtime schema accepts, with exactly the values the stage meant.
 * This failed before the definitions were shared: the stage schema took `retry.maxAttempts` up to 100,
 * `retry.baseSeconds` down to 0.001 and pacing without a limit, and the runtime refused 21, 0.001 and
 * 100 001 (ConfigError on every invocation).
 */

const DEFINITIONS = FUNCTIONS as readonly FunctionDefinition[];

/**
 * Concrete stand-ins for the resource tokens CDK wires (the drift test holds CDK to functionEnvironment),
 * one per resource variable, shaped like the real thing.
 */
function sampleResource(name: string): string {
  if (name.endsWith('_URL')) return `https://sqs.eu-west-1.amazonaws.com/123456789012/Pinrelay-prod-${name.toLowerCase()}`;
  if (name.endsWith('_ARN') || name.endsWith('_KMS_KEY_ID')) return `arn:aws:kms:eu-west-1:123456789012:key/${name.toLowerCase()}`;
  if (name.endsWith('_PREFIX')) return 'pinrelay/prod/accounts';
  return `Pinrelay-prod-Stateful-${name}-1A2B3C4D`;
}
const RESOURCES = Object.fromEntries(
  Object.keys(RESOURCE_VARIABLES).map((name) => [name, sampleResource(name)]),
) as Required<ResourceValues>;

type Range = 'stage' | 'runtime';
const bounds = (s: NumberSetting, range: Range) => ({
  min: range === 'stage' ? (s.deploy?.min ?? s.min) : s.min,
  max: range === 'stage' ? (s.deploy?.max ?? s.max) : s.max,
});

/** Values of one setting inside its range, its two ends weighted in. */
function valueArbitrary(setting: Setting, range: Range): fc.Arbitrary<number | string> {
  switch (setting.kind) {
    case 'integer':
    case 'decimal': {
      const { min, max } = bounds(setting, range);
      const inside = setting.kind === 'integer' ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
      return fc.oneof(fc.constantFrom(min, max), inside);
    }
    case 'origin':
      return fc
        .tuple(
          range === 'stage' ? fc.constant('https') : fc.constantFrom('http', 'https'),
          fc.domain(),
          fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
          fc.boolean(),
        )
        .map(([scheme, domain, port, slash]) => `${scheme}://${domain}${port ? `:${port}` : ''}${slash ? '/' : ''}`);
    case 'choice':
      return fc.constantFrom(...setting.values);
  }
}

/** A stage (or local) settings object as cdk.json would state it: any subset of the settings, nested. */
function settingsInput(range: Range): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(...SETTING_ENTRIES.map(({ setting }) => fc.option(valueArbitrary(setting, range), { nil: undefined }))).map((values) => {
    const input: Record<string, unknown> = {};
    values.forEach((value, i) => {
      if (value === undefined) return;
      const path = SETTING_ENTRIES[i]!.path;
      let node = input;
      for (const key of path.slice(0, -1)) {
        node[key] ??= {};
        node = node[key] as Record<string, unknown>;
      }
      node[path.at(-1)!] = value;
    });
    return input;
  });
}

const inputValue = (input: Record<string, unknown>, path: readonly string[]) =>
  path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], input);

/** The stage → function environment → runtime config round trip, for every function. */
function expectEveryFunctionAccepts(settings: SettingValues, input: Record<string, unknown>) {
  for (const def of DEFINITIONS) {
    const env = functionEnvironment(def, { settings, resources: RESOURCES });
    expect(Object.keys(env).sort()).toEqual(
      [...new Set([...ENV_FOR_EVERY_FUNCTION, ...def.access.flatMap((a) => ENV_FOR_ACCESS[a])])].sort(),
    );

    const runtime = parseRuntimeConfig(env) as Record<string, unknown>;
    for (const { path, setting } of SETTING_ENTRIES) {
      if (!(setting.env in env)) continue;
      const intended = inputValue(input, path) ?? setting.default;
      expect(runtime[setting.env], `${def.name}: ${setting.env} (${path.join('.')})`).toEqual(intended);
    }
  }
}

describe('settings: every valid stage is a valid runtime configuration for every function', () => {
  it('property: generated stage settings (any subset, within the stage ranges, ends included)', () => {
    fc.assert(
      fc.property(settingsInput('stage'), (input) => {
        const { settings } = parseStageConfig('prod', { prod: input });
        expectEveryFunctionAccepts(settings, input);
      }),
      { numRuns: 300 },
    );
  });

  it('property: local settings (the runtime ranges) also round-trip', () => {
    fc.assert(
      fc.property(settingsInput('runtime'), (input) => {
        const settings = localSettingsSchema.parse(input) as SettingValues;
        expectEveryFunctionAccepts(settings, input);
      }),
      { numRuns: 200 },
    );
  });

  const numeric = SETTING_ENTRIES.filter(
    (e): e is { path: readonly string[]; setting: NumberSetting } => e.setting.kind === 'integer' || e.setting.kind === 'decimal',
  );
  it.each(
    numeric.flatMap(({ path, setting }) => {
      const { min, max } = bounds(setting, 'stage');
      return [
        [path.join('.'), 'min', min],
        [path.join('.'), 'max', max],
      ] as const;
    }),
  )('boundary: %s at its stage %s (%d)', (key, _end, value) => {
    const path = key.split('.');
    const input = atPath(path, value);
    const { settings } = parseStageConfig('prod', { prod: input });
    expectEveryFunctionAccepts(settings, input);
  });

  it.each(
    numeric.flatMap(({ path, setting }) => {
      const { min, max } = bounds(setting, 'stage');
      const step = setting.kind === 'integer' ? 1 : 0.01;
      return [
        [path.join('.'), min - step],
        [path.join('.'), max + step],
      ] as const;
    }),
  )('a stage with %s = %d is refused at synth, naming the path', (key, value) => {
    expect(() => parseStageConfig('prod', { prod: atPath(key.split('.'), value) })).toThrow(`pinrelay:stages.prod.${key}`);
  });

  it('the reported case: retry.maxAttempts 50 fails the synth instead of every publish', () => {
    expect(() => parseStageConfig('prod', { prod: { retry: { maxAttempts: 50 } } })).toThrow(/retry\.maxAttempts: at most 20/);
    expect(() => parseRuntimeConfig({ RETRY_MAX_ATTEMPTS: '50' })).toThrow(/RETRY_MAX_ATTEMPTS/);
  });
});

describe('settings: the definitions themselves', () => {
  it('each default lies inside its stage range and its runtime range', () => {
    for (const { path, setting } of SETTING_ENTRIES) {
      expect(() => stageSettingsSchema.parse(atPath(path, setting.default)), path.join('.')).not.toThrow();
      expect(() => localSettingsSchema.parse(atPath(path, setting.default)), path.join('.')).not.toThrow();
    }
    // And an empty stage gets exactly the defaults.
    const { settings } = parseStageConfig('dev', { dev: {} });
    for (const { path, setting } of SETTING_ENTRIES) expect(settingValue(settings, path)).toBe(setting.default);
  });

  it('a deployed stage is never wider than the runtime', () => {
    for (const { setting } of SETTING_ENTRIES) {
      if (setting.kind !== 'integer' && setting.kind !== 'decimal') continue;
      const stage = bounds(setting, 'stage');
      expect(stage.min).toBeGreaterThanOrEqual(setting.min);
      expect(stage.max).toBeLessThanOrEqual(setting.max);
    }
  });

  it('deployed stages: https only and a lease that outlives the worker; local mode may go lower', () => {
    expect(() => parseStageConfig('prod', { prod: { pinterestApiBaseUrl: 'http://127.0.0.1:4010' } })).toThrow(/https/);
    expect(localSettingsSchema.parse({ pinterestApiBaseUrl: 'http://127.0.0.1:4010' }).pinterestApiBaseUrl).toBe('http://127.0.0.1:4010');
    expect(() => parseStageConfig('prod', { prod: { workerLeaseSeconds: 2 } })).toThrow(
      /workerLeaseSeconds: at least 30 in a deployed stage/,
    );
    expect(localSettingsSchema.parse({ workerLeaseSeconds: 2 }).workerLeaseSeconds).toBe(2);
  });

  it('every variable is unique, and every runtime variable is either a resource or a setting or a platform one', () => {
    const settingEnvs = SETTING_ENTRIES.map((e) => e.setting.env);
    expect(new Set(settingEnvs).size).toBe(settingEnvs.length);
    expect(settingEnvs.filter((name) => name in RESOURCE_VARIABLES)).toEqual([]);
    const platform = [
      'AWS_REGION',
      'PINTEREST_CLIENT_ID',
      'PINTEREST_CLIENT_SECRET',
      'DYNAMODB_ENDPOINT',
      'SQS_ENDPOINT',
      'SECRETS_MANAGER_ENDPOINT',
      'EVENTBRIDGE_ENDPOINT',
    ];
    expect(Object.keys(envSchema.shape).sort()).toEqual([...Object.keys(RESOURCE_VARIABLES), ...settingEnvs, ...platform].sort());
  });

  it('every setting reaches some function (or it configures nothing), except the ones API Gateway applies', () => {
    const given = new Set(
      DEFINITIONS.flatMap((d) =>
        Object.keys(functionEnvironment(d, { settings: parseStageConfig('dev', { dev: {} }).settings, resources: RESOURCES })),
      ),
    );
    for (const { setting } of SETTING_ENTRIES) {
      // The API edge's settings (test/infra/public-api.test.ts holds the stack to them) reach no function.
      if (setting.access.includes(API_GATEWAY)) expect(given, setting.env).not.toContain(setting.env);
      else expect(given, setting.env).toContain(setting.env);
    }
  });

  it('the stage schema keeps its nested cdk.json shape (retry.maxAttempts, pacing.appPerSecond)', () => {
    expect(Object.keys(SETTINGS.retry)).toEqual(['baseSeconds', 'maxAttempts']);
    expect(parseStageConfig('dev', { dev: { retry: { maxAttempts: 8 } } }).settings.retry).toEqual({ baseSeconds: 5, maxAttempts: 8 });
    expect(() => parseStageConfig('dev', { dev: { retry: { maxAttempt: 8 } } })).toThrow('pinrelay:stages.dev.retry');
  });

  it('the docs table has one row per setting with its variable, range and default', () => {
    const rows = settingsTable().split('\n').slice(2);
    expect(rows).toHaveLength(SETTING_ENTRIES.length);
    SETTING_ENTRIES.forEach(({ path, setting }, i) => {
      expect(rows[i]).toContain(`| \`${path.join('.')}\` | \`${setting.env}\` |`);
      expect(rows[i]).toMatch(new RegExp(`\\| \`${String(setting.default).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\` \\|$`));
      if (setting.kind === 'integer' || setting.kind === 'decimal') expect(rows[i]).toContain(`${setting.min}–${setting.max}`);
    });
  });

  it('README.md carries the current table (regenerate: npx tsx bin/settings-table.ts)', () => {
    expect(readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')).toContain(settingsTable());
  });
});

function atPath(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.length === 1 ? { [path[0]!]: value } : { [path[0]!]: atPath(path.slice(1), value) };
}
