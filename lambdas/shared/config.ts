import { z } from 'zod';
import { ConfigError } from './errors.ts';

/**
 * Runtime configuration: zod over process.env, parsed once on first use. Every field is optional here
 * because each function receives only the variables its access needs (lib/definitions/functions.ts);
 * `required()` fails loudly, naming the variable, when a function reaches for one it was not given.
 */
const envSchema = z.object({
  JOBS_TABLE_NAME: z.string().min(1).optional(),
  TENANTS_TABLE_NAME: z.string().min(1).optional(),
  PUBLISH_QUEUE_URL: z.string().url().optional(),
  DELAY_QUEUE_URL: z.string().url().optional(),
  EVENT_BUS_NAME: z.string().min(1).optional(),
  ACCOUNT_SECRET_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]+$/, 'secret name characters only')
    .optional(),
  ACCOUNT_SECRET_KMS_KEY_ID: z.string().min(1).optional(),
  JOB_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Outbox sweeper: how long a job may stay undispatched before the sweeper re-sends it. */
  SWEEP_GRACE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
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
  if (!cached) {
    const parsed = envSchema.safeParse(process.env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new ConfigError(`invalid environment: ${problems}`);
    }
    cached = parsed.data;
  }
  return cached;
}

type RequiredKey = {
  [K in keyof RuntimeConfig]-?: undefined extends RuntimeConfig[K] ? K : never;
}[keyof RuntimeConfig];

/** The value of a variable this function cannot work without. */
export function required<K extends RequiredKey>(name: K): NonNullable<RuntimeConfig[K]> {
  const value = config()[name];
  if (value === undefined || value === null) {
    throw new ConfigError(`${name} is not set for this function (see lib/definitions/functions.ts)`);
  }
  return value as NonNullable<RuntimeConfig[K]>;
}

/** Tests and local mode change the environment between runs; forget the parsed copy. */
export function resetConfigForTests(): void {
  cached = undefined;
}
