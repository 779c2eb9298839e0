/**
 * The one definition of every runtime setting: its environment variable, meaning, unit, range and
 * default. Everything else is derived from here:
 *
 * - the stage schema over cdk.json (lib/config.ts): `stageSettingFields()`, same keys as SETTINGS;
 * - the runtime schema over process.env (lambdas/common/config.ts): `runtimeSettingFields()`;
 * - which function gets which variable (ENV_FOR_ACCESS in definitions/functions.ts): each entry's `access`;
 * - the values CDK and local mode put into a function's environment: `encodeSetting()`;
 * - the settings tables of the docs: `settingsTable()` (`npx tsx bin/settings-table.ts` prints them).
 *
 * Adding a setting: one entry in SETTINGS (./settings/catalogue.ts; its key is the cdk.json key, nested
 * keys nest there too) naming an access kind — a new `<area>:config` kind goes into ACCESS_KINDS
 * (definitions/access.ts), an empty grant list in ACCESS_GRANTS (definitions/access-grants.ts) and the
 * access lists of the functions that read it. Then read it with config().<ENV> in the handler. Stage schema,
 * runtime schema, CDK and local environments follow; if local mode should take it as a PipelineOptions
 * option, map it in localSettings() (local/environment.ts).
 *
 * A stage may be narrower than the runtime (`deploy`): the runtime range is what the code works with
 * (local mode and the tests use it, e.g. a 2 s lease to see crash recovery quickly); a deployed stage
 * additionally has to fit the deployed infrastructure (a lease that outlives the worker's timeout).
 * Every value a stage accepts is therefore one the runtime accepts (test/unit/shared/settings.test.ts).
 *
 * Plain zod and data: imported by the CDK app, the Lambda bundles and local mode alike. This module is the
 * entry point; the parts live in ./settings/:
 *
 * - setting-kinds.ts: what a setting is (number, origin, choice) and the walk over the nested tree;
 * - catalogue.ts: SETTINGS itself, and reading a value out of a settings object;
 * - schemas.ts: the zod schemas derived from it (stage, local mode, runtime);
 * - resource-variables.ts: the variables that name a deployed resource, and what each access kind gets;
 * - docs-table.ts: the settings table of the docs.
 */

export {
  API_GATEWAY,
  EVERY_FUNCTION,
  settingEntries,
  type ChoiceSetting,
  type NumberSetting,
  type OriginSetting,
  type Setting,
  type SettingAccess,
  type SettingEntry,
  type SettingTree,
  type SettingValue,
} from './settings/setting-kinds.ts';
export {
  LOG_LEVELS,
  SETTINGS,
  SETTING_ENTRIES,
  encodeSetting,
  settingValue,
  type SettingValues,
  type Settings,
} from './settings/catalogue.ts';
export {
  localSettingSchema,
  localSettingsSchema,
  runtimeSettingFields,
  runtimeSettingSchema,
  stageSettingFields,
  stageSettingSchema,
} from './settings/schemas.ts';
export {
  RESOURCE_VARIABLES,
  envNamesForAccess,
  runtimeResourceFields,
  type ResourceValues,
  type ResourceVariable,
} from './settings/resource-variables.ts';
export { settingsTable } from './settings/docs-table.ts';
