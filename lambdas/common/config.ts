import * as z from 'zod';
import { runtimeResourceFields, runtimeSettingFields } from '../../definitions/settings.ts';
import { ConfigError } from './errors.ts';

/**
 * Runtime configuration: zod over process.env, parsed once on first use. Every resource variable is
 * optional here because each function receives only the variables its access needs
 * (definitions/functions.ts); `required()` fails loudly, naming the variable, when a function reaches
 * for one it was not given. Settings (retention, pacing, retries, …) fall back to their defaults.
 *
 * Resource variables and settings — names, ranges, defaults — are defined once in
 * definitions/settings.ts, where the CDK stage schema and local mode take them from too.
 */
export const envSchema = z.object({
  ...runtimeResourceFields(),
  ...runtimeSettingFields(),
  // Local mode only: app credentials as plain variables instead of PINTEREST_APP_SECRET_ARN.
  PINTEREST_CLIENT_ID: z.string().min(1).optional(),
  PINTEREST_CLIENT_SECRET: z.string().min(1).optional(),
  // Set by Lambda itself.
  AWS_REGION: z.string().min(1).default('us-east-1'),
  // Endpoint overrides: local mode and LocalStack only. Unset in AWS.
  DYNAMODB_ENDPOINT: z.string().url().optional(),
  SQS_ENDPOINT: z.string().url().optional(),
  SECRETS_MANAGER_ENDPOINT: z.string().url().optional(),
  EVENTBRIDGE_ENDPOINT: z.string().url().optional(),
});

export type RuntimeConfig = z.infer<typeof envSchema>;

let cached: RuntimeConfig | undefined;

export function config(): RuntimeConfig {
  cached ??= parseRuntimeConfig(process.env);
  return cached;
}

/** Parse an environment as a function does; throws ConfigError naming every bad variable. */
export function parseRuntimeConfig(env: Readonly<Record<string, string | undefined>>): RuntimeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}`);
  }
  return parsed.data;
}

type RequiredKey = {
  [K in keyof RuntimeConfig]-?: undefined extends RuntimeConfig[K] ? K : never;
}[keyof RuntimeConfig];

/** The value of a variable this function cannot work without. */
export function required<K extends RequiredKey>(name: K): NonNullable<RuntimeConfig[K]> {
  const value = config()[name];
  if (value === undefined || value === null) {
    throw new ConfigError(`${name} is not set for this function (see definitions/functions.ts)`);
  }
  return value as NonNullable<RuntimeConfig[K]>;
}

/** Tests and local mode change the environment between runs; forget the parsed copy. */
export function resetConfigForTests(): void {
  cached = undefined;
}
