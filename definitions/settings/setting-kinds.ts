import type { Access } from '../access.ts';

/**
 * What a runtime setting is (a number in a range, an origin, a choice), the builders the catalogue
 * (./catalogue.ts) is written with, and the walk over a nested setting tree.
 */

/** Functions that get a setting whatever their access list (log level). */
export const EVERY_FUNCTION = 'every-function';
/**
 * Settings of the API's edge, not of a function: API Gateway applies them (the stack) and local mode's API
 * adapter (local/http-api.ts) reads them from its environment; no function gets them.
 */
export const API_GATEWAY = 'api-gateway';
export type SettingAccess = Access | typeof EVERY_FUNCTION | typeof API_GATEWAY;

interface SettingCommon<E extends string> {
  /** The environment variable the functions read. */
  readonly env: E;
  /** One sentence: what it does. */
  readonly meaning: string;
  /** Which access kinds (definitions/access.ts) give a function this variable. */
  readonly access: readonly SettingAccess[];
}

export interface NumberSetting<E extends string = string> extends SettingCommon<E> {
  readonly kind: 'integer' | 'decimal';
  /** 'days', 'seconds', 'ms', … */
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** Narrower bounds for a deployed stage, and why. */
  readonly deploy?: { readonly min?: number; readonly max?: number; readonly why: string };
}

export interface OriginSetting<E extends string = string> extends SettingCommon<E> {
  readonly kind: 'origin';
  readonly default: string;
  /** A deployed stage accepts https:// only; the runtime also http:// (local sandbox). */
  readonly deploy: { readonly httpsOnly: true; readonly why: string };
}

export interface ChoiceSetting<E extends string = string, V extends string = string> extends SettingCommon<E> {
  readonly kind: 'choice';
  readonly values: readonly [V, ...V[]];
  readonly default: V;
}

export type Setting<E extends string = string> = NumberSetting<E> | OriginSetting<E> | ChoiceSetting<E>;

/** The value type of a setting. */
export type SettingValue<S> = S extends NumberSetting ? number : S extends ChoiceSetting<string, infer V> ? V : string;

/** Nested like the stage settings in cdk.json (`retry.maxAttempts`). */
export interface SettingTree {
  readonly [key: string]: Setting | SettingTree;
}

export const integer = <const E extends string>(s: Omit<NumberSetting<E>, 'kind'>): NumberSetting<E> => ({ kind: 'integer', ...s });
export const decimal = <const E extends string>(s: Omit<NumberSetting<E>, 'kind'>): NumberSetting<E> => ({ kind: 'decimal', ...s });
export const origin = <const E extends string>(s: Omit<OriginSetting<E>, 'kind'>): OriginSetting<E> => ({ kind: 'origin', ...s });
export const choice = <const E extends string, const V extends string>(s: Omit<ChoiceSetting<E, V>, 'kind'>): ChoiceSetting<E, V> => ({
  kind: 'choice',
  ...s,
});

/** Each setting with its path in the tree (`['retry', 'maxAttempts']`). */
export interface SettingEntry {
  readonly path: readonly string[];
  readonly setting: Setting;
}

export const isSetting = (node: Setting | SettingTree): node is Setting => typeof (node as { env?: unknown }).env === 'string';

export function settingEntries(tree: SettingTree, prefix: readonly string[] = []): SettingEntry[] {
  return Object.entries(tree).flatMap(([key, node]) =>
    isSetting(node) ? [{ path: [...prefix, key], setting: node }] : settingEntries(node, [...prefix, key]),
  );
}
