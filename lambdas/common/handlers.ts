import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import { logger, metrics, tracer } from './powertools.ts';

/**
 * The one Lambda wrapper of pinrelay: every handler — HTTP routes (through httpHandler), the authorizer,
 * the stream relay, the queue consumers and the schedules — is `observedHandler(fn)`, so each one is:
 * - traced: a `## handler` subsegment with the cold-start and service annotations, errors attached
 *   (responses are not: they carry jobs);
 * - logged with the Lambda context (request id, function name, cold start) on every line, and the keys a
 *   handler appends (job_id, tenant_id, …) cleared when the invocation ends;
 * - measured: the metrics recorded during the invocation are written as EMF when it ends, error or not.
 *
 * test/unit/observability/tracing.test.ts checks every function of definitions/functions.ts is wrapped.
 */

/** What observedHandler applied, readable on the handler (tests). */
export const OBSERVED: unique symbol = Symbol.for('pinrelay.observed');
export const OBSERVED_BY = ['tracer', 'logger', 'metrics'] as const;

export function observedHandler<TEvent, TResult>(fn: (event: TEvent, context: Context) => Promise<TResult>) {
  const handler = middy(fn)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
  return Object.assign(handler, { [OBSERVED]: OBSERVED_BY });
}

/** True for a handler built by observedHandler. */
export function isObserved(handler: unknown): boolean {
  return typeof handler === 'function' && (handler as { [OBSERVED]?: unknown })[OBSERVED] === OBSERVED_BY;
}
