import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE_ROOT, SERVICE_NAME } from '../../definitions/metrics.ts';
import { redactSecrets } from './redact.ts';

/**
 * One logger, metrics and tracer per container, configured by the POWERTOOLS_* environment the
 * ServiceFunction construct sets (local mode sets the same):
 * - logger: JSON lines at POWERTOOLS_LOG_LEVEL (the `logLevel` setting), every value passed through
 *   redactSecrets (lambdas/common/redact.ts) as the line is written;
 * - metrics: embedded metric format in POWERTOOLS_METRICS_NAMESPACE (`Pinrelay/<stage>`), off where
 *   POWERTOOLS_METRICS_DISABLED is true (local mode); the catalogue is definitions/metrics.ts;
 * - tracer: X-Ray, on in Lambda unless POWERTOOLS_TRACE_ENABLED is false (local mode, tests).
 * Handlers get all three through observedHandler (lambdas/common/handlers.ts).
 */
export const logger = new Logger({ serviceName: SERVICE_NAME, jsonReplacerFn: redactSecrets });

/** An invocation that emitted no metric is normal here (a read route, an idle schedule): not a warning. */
const NO_METRICS_WARNING = 'No application metrics to publish';

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE_ROOT,
  serviceName: SERVICE_NAME,
  logger: {
    debug: (message: string, ...rest: unknown[]) => logger.debug(message, ...(rest as never[])),
    info: (message: string, ...rest: unknown[]) => logger.info(message, ...(rest as never[])),
    warn: (message: string, ...rest: unknown[]) =>
      String(message).startsWith(NO_METRICS_WARNING) ? logger.debug(message) : logger.warn(message, ...(rest as never[])),
    error: (message: string, ...rest: unknown[]) => logger.error(message, ...(rest as never[])),
  },
});

export const tracer = new Tracer({ serviceName: SERVICE_NAME });
