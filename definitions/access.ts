/**
 * The access kinds: what a function may touch. A function lists its kinds (definitions/functions.ts); the
 * stack derives its environment (definitions/settings.ts) and its IAM grants (definitions/access-grants.ts,
 * rendered by lib/constructs/service-function.ts) from them. Its own module so the function catalogue and the settings can both name them.
 */

/** What a function may touch. Each entry maps to env vars + the narrowest IAM grant. */
export const ACCESS_KINDS = [
  'jobs:read',
  'jobs:write',
  'tenants:read',
  'tenants:write',
  /**
   * The worker's share of the tenants table: read account records and mark one
   * `reauthorization_required`; never API keys, never a new or replaced item (definitions/item-access.ts).
   */
  'tenants:account-status',
  /** Read and write the token-bucket items (`PACING#…`) of the tenants table, nothing else in it. */
  'tenants:pacing',
  'secrets:write',
  'secrets:read',
  /** Store a refreshed token pair in an existing account secret (PutSecretValue only). */
  'secrets:rotate',
  'publish-queue:send',
  'delay-queue:send',
  'events:put',
  /** Calls Pinterest: API origin, timeout, and read access to the Pinterest app credentials secret. */
  'pinterest:call',
  /** Default pacing limits (stage config). */
  'pacing:config',
  /** The publish worker's retry policy and claim lease (stage config). */
  'worker:config',
  /** The outbox sweeper's grace period (stage config). */
  'sweeper:config',
  /** The stranded-job reconciler's grace, page limit and re-dispatch limit (stage config). */
  'reconcile:config',
  /** Park dead-lettered messages that are not job messages in the poison queue (SendMessage only). */
  'poison-queue:send',
  /**
   * Self-service webhook subscriptions: create, rotate and delete their EventBridge connections (and the
   * `events!connection/…` secrets EventBridge keeps for them), API destinations, rules and targets under the
   * deployment's name prefix, pass the target role to EventBridge, put test events on the bus, and read and
   * write `WEBHOOK#…` items of the tenants table (definitions/webhooks.ts).
   */
  'webhooks:manage',
] as const;

export type Access = (typeof ACCESS_KINDS)[number];
