import type { Clock } from '../domain/clock.ts';
import type { JobQueue, JobStore } from './ports/jobs.ts';
import type { TenantStore } from './ports/tenants.ts';
import type { TokenVault } from './ports/tokens.ts';

/**
 * Ports: what use cases need from the outside world, one module per area under lambdas/use-cases/ports/.
 * Use cases import them from here. Adapters in lambdas/adapters implement them over DynamoDB, SQS,
 * EventBridge and Secrets Manager; tests pass in-memory fakes or the same adapters against emulators.
 */
export * from './ports/jobs.ts';
export * from './ports/tenants.ts';
export * from './ports/tokens.ts';
export * from './ports/pacing.ts';
export * from './ports/events.ts';
export * from './ports/webhooks.ts';
export * from './ports/queues.ts';
export * from './ports/publishing.ts';

/** What most use cases are given. */
export interface Deps {
  readonly jobs: JobStore;
  readonly tenants: TenantStore;
  readonly vault: TokenVault;
  readonly queue: JobQueue;
  readonly clock: Clock;
}
