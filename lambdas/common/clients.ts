import { dynamoClient, resetDynamoClient } from './clients/dynamo.ts';
import { eventsClient, resetEventsClient } from './clients/events.ts';
import { resetSecretsClient, secretsClient } from './clients/secrets.ts';
import { resetSqsClient, sqsClient } from './clients/sqs.ts';

/**
 * SDK clients are module singletons (one per Lambda container), built lazily from config so an endpoint
 * override (local mode, LocalStack) is honoured and unused clients cost nothing at cold start. Each is
 * captured by the tracer: every AWS call is a subsegment of the invocation's trace (a no-op where tracing
 * is off: local mode, tests).
 *
 * Each client lives in its own module under lambdas/common/clients/, and the functions' wiring
 * (lambdas/common/deps/) imports only the ones it calls, so a function bundles only those SDK clients.
 * This module gathers all of them for local mode, tests and the fault injection, which attach to the very
 * same singletons; no function imports it (test/infra/bundle-budget.test.ts keeps the bundles small).
 */
export { dynamoClient, eventsClient, secretsClient, sqsClient };

/** Local mode and tests: drop the singletons so the next call rebuilds them from the current env. */
export function resetClientsForTests(): void {
  resetDynamoClient();
  resetSqsClient();
  resetSecretsClient();
  resetEventsClient();
}
