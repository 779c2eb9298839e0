import * as z from 'zod';
import type { Access } from '../access.ts';
import { SETTING_ENTRIES } from './catalogue.ts';
import type { SettingAccess } from './setting-kinds.ts';

/**
 * Variables that name a deployed resource (or its local stand-in). No range or default: CDK wires each
 * to its resource, local mode to the emulated one; a function without the access simply lacks it.
 */
export const RESOURCE_VARIABLES = {
  JOBS_TABLE_NAME: { meaning: 'jobs table', access: ['jobs:read', 'jobs:write'], schema: z.string().min(1) },
  TENANTS_TABLE_NAME: {
    meaning: 'tenants table (tenants, API key hashes, accounts, pacing buckets)',
    access: ['tenants:read', 'tenants:write', 'tenants:account-status', 'tenants:pacing'],
    schema: z.string().min(1),
  },
  ACCOUNT_SECRET_PREFIX: {
    meaning: 'name prefix of the account token secrets',
    access: ['secrets:read', 'secrets:rotate', 'secrets:write'],
    schema: z.string().regex(/^[A-Za-z0-9/_+=.@-]+$/, 'secret name characters only'),
  },
  ACCOUNT_SECRET_KMS_KEY_ID: {
    meaning: 'KMS key new account secrets are encrypted with',
    access: ['secrets:write'],
    schema: z.string().min(1),
  },
  PUBLISH_QUEUE_URL: { meaning: 'FIFO publish queue', access: ['publish-queue:send'], schema: z.url() },
  DELAY_QUEUE_URL: { meaning: 'delay queue', access: ['delay-queue:send'], schema: z.url() },
  EVENT_BUS_NAME: { meaning: 'job events bus', access: ['events:put', 'webhooks:manage'], schema: z.string().min(1) },
  WEBHOOK_NAME_PREFIX: {
    meaning: 'name prefix of the connections, API destinations and rules webhook subscriptions create (definitions/webhooks.ts)',
    access: ['webhooks:manage'],
    // The names built from it are checked where they are made (webhookResourceName).
    schema: z.string().min(1).max(40),
  },
  WEBHOOK_TARGET_ROLE_ARN: {
    meaning: 'role EventBridge assumes to invoke the webhook API destinations (passed with PutTargets)',
    access: ['webhooks:manage'],
    schema: z.string().min(1),
  },
  WEBHOOK_DLQ_ARN: {
    meaning: 'dead-letter queue of every webhook target (events whose retries ran out)',
    access: ['webhooks:manage'],
    schema: z.string().min(1),
  },
  WEBHOOK_ALLOW_LOOPBACK_HTTP: {
    meaning:
      "'true' only in local mode: webhook URLs may also be http://127.0.0.1:* and http://localhost:*, and loopback addresses are allowed; deployed stacks wire 'false' (anything but 'true' is strict)",
    access: ['webhooks:manage'],
    schema: z.string().min(1),
  },
  POISON_QUEUE_URL: {
    meaning: 'queue that keeps dead-lettered messages that are not job messages',
    access: ['poison-queue:send'],
    schema: z.url(),
  },
  PINTEREST_APP_SECRET_ARN: {
    meaning: 'secret holding the Pinterest app client id and secret',
    access: ['pinterest:call'],
    schema: z.string().min(1),
  },
} as const satisfies Record<string, { meaning: string; access: readonly Access[]; schema: z.ZodType<string> }>;

export type ResourceVariable = keyof typeof RESOURCE_VARIABLES;
/** What a caller wires each resource variable to (CDK: tokens; local mode: emulator names and URLs). */
export type ResourceValues = { readonly [K in ResourceVariable]?: string };

type ResourceFields = { [K in ResourceVariable]: z.ZodOptional<(typeof RESOURCE_VARIABLES)[K]['schema']> };

/** The runtime env schema's fields for the resource variables: each optional (only the functions with the access get it). */
export function runtimeResourceFields(): ResourceFields {
  return Object.fromEntries(
    Object.entries(RESOURCE_VARIABLES).map(([name, v]) => [name, v.schema.optional()]),
  ) as unknown as ResourceFields;
}

/** Every variable an access kind gives a function: resource variables first, then settings. */
export function envNamesForAccess(access: SettingAccess): string[] {
  return [
    ...Object.entries(RESOURCE_VARIABLES)
      .filter(([, v]) => (v.access as readonly SettingAccess[]).includes(access))
      .map(([name]) => name),
    ...SETTING_ENTRIES.filter(({ setting }) => setting.access.includes(access)).map(({ setting }) => setting.env),
  ];
}
