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
  // Pinterest (the worker). Credentials: a Secrets Manager secret in AWS, plain variables in local mode.
  PINTEREST_API_BASE_URL: z.string().url().default('https://api.pinterest.com'),
  PINTEREST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  PINTEREST_APP_SECRET_ARN: z.string().min(1).optional(),
  PINTEREST_CLIENT_ID: z.string().min(1).optional(),
  PINTEREST_CLIENT_SECRET: z.string().min(1).optional(),
  // Pacing and retries (limits are configuration, never constants: DESIGN §2).
  PACING_ACCOUNT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(10),
  PACING_APP_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(10),
  RETRY_BASE_SECONDS: z.coerce.number().min(0.1).max(900).default(5),
  RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** How long a claimed job is trusted to its worker (the Lambda timeout plus margin). */
  WORKER_LEASE_SECONDS: z.coerce.number().int().min(1).max(900).default(60),
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
