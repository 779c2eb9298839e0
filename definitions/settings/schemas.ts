import * as z from 'zod';
import { SETTINGS, SETTING_ENTRIES, type Settings } from './catalogue.ts';
import {
  isSetting,
  type ChoiceSetting,
  type NumberSetting,
  type OriginSetting,
  type Setting,
  type SettingTree,
  type SettingValue,
} from './setting-kinds.ts';

/**
 * The zod schemas derived from the catalogue: a stage's (cdk.json, the deployed ranges), local mode's and a
 * function's (process.env, the runtime ranges).
 */

type Narrowing = 'runtime' | 'stage';

/** `https://host[:port]` with nothing after it (a trailing `/` is the same origin). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

function numberSchema(setting: NumberSetting, narrowing: Narrowing): z.ZodNumber {
  const deploy = narrowing === 'stage' ? setting.deploy : undefined;
  const min = deploy?.min ?? setting.min;
  const max = deploy?.max ?? setting.max;
  const why = deploy ? ` in a deployed stage: ${deploy.why}` : '';
  const base = setting.kind === 'integer' ? z.number().int() : z.number();
  return base
    .min(min, { message: `at least ${min}${deploy?.min !== undefined ? why : ''}` })
    .max(max, { message: `at most ${max}${deploy?.max !== undefined ? why : ''}` });
}

function originSchema(setting: OriginSetting, narrowing: Narrowing): z.ZodType<string, string> {
  const httpsOnly = narrowing === 'stage' && setting.deploy.httpsOnly;
  return z
    .url(
      httpsOnly
        ? { protocol: /^https$/, error: `an https:// URL (${setting.deploy.why})` }
        : { protocol: /^https?$/, error: 'an http(s):// URL' },
    )
    .refine(isOrigin, { message: 'an origin without a path (no /v5)' });
}

function choiceSchema(setting: ChoiceSetting): z.ZodType<string, string> {
  return z.enum(setting.values);
}

function valueSchema(setting: Setting, narrowing: Narrowing): z.ZodType {
  switch (setting.kind) {
    case 'integer':
    case 'decimal':
      return numberSchema(setting, narrowing);
    case 'origin':
      return originSchema(setting, narrowing);
    case 'choice':
      return choiceSchema(setting);
  }
}

/** One setting as cdk.json states it: the deployed range, the default when absent. */
export function stageSettingSchema(setting: Setting): z.ZodType {
  return valueSchema(setting, 'stage').default(setting.default as never);
}

/** One setting as local mode states it: the runtime range, the default when absent. */
export function localSettingSchema(setting: Setting): z.ZodType {
  return valueSchema(setting, 'runtime').default(setting.default as never);
}

/** One setting as a function reads it from its environment: a string, parsed to the runtime range; default when unset. */
export function runtimeSettingSchema(setting: Setting): z.ZodType {
  switch (setting.kind) {
    case 'integer':
    case 'decimal':
      return z.coerce.number().pipe(numberSchema(setting, 'runtime')).default(setting.default);
    case 'origin':
      return originSchema(setting, 'runtime').default(setting.default);
    case 'choice':
      // Powertools reads the level case-insensitively; so does this check.
      return z
        .string()
        .transform((v) => v.toUpperCase())
        .pipe(choiceSchema(setting))
        .default(setting.default);
  }
}

type StageFields<T extends SettingTree> = {
  [K in keyof T]: T[K] extends Setting
    ? z.ZodDefault<z.ZodType<SettingValue<T[K]>, SettingValue<T[K]>>>
    : T[K] extends SettingTree
      ? z.ZodPrefault<z.ZodObject<StageFields<T[K]>, z.core.$strict>>
      : never;
};

function treeFields(tree: SettingTree, leaf: (s: Setting) => z.ZodType): Record<string, z.ZodType> {
  return Object.fromEntries(
    Object.entries(tree).map(([key, node]) => [key, isSetting(node) ? leaf(node) : z.strictObject(treeFields(node, leaf)).prefault({})]),
  );
}

/** The stage schema's fields for the settings (lib/config.ts spreads them into the stage schema). */
export function stageSettingFields(): StageFields<Settings> {
  return treeFields(SETTINGS, stageSettingSchema) as unknown as StageFields<Settings>;
}

/**
 * The same tree over the runtime ranges: what local mode validates its options against (it builds a
 * stage-like object from PipelineOptions and derives each function's environment from it, as CDK does).
 */
export const localSettingsSchema = z.strictObject(treeFields(SETTINGS, localSettingSchema)) as unknown as z.ZodObject<
  StageFields<Settings>,
  z.core.$strict
>;

type Leaves<T> = T extends Setting ? T : T extends SettingTree ? { [K in keyof T]: Leaves<T[K]> }[keyof T] : never;

type RuntimeFields<T extends SettingTree> = {
  [S in Leaves<T> as S extends { readonly env: infer E extends string } ? E : never]: z.ZodDefault<z.ZodType<SettingValue<S>, unknown>>;
};

/** The runtime env schema's fields for the settings (lambdas/common/config.ts spreads them into its schema). */
export function runtimeSettingFields(): RuntimeFields<Settings> {
  return Object.fromEntries(
    SETTING_ENTRIES.map(({ setting }) => [setting.env, runtimeSettingSchema(setting)]),
  ) as unknown as RuntimeFields<Settings>;
}
