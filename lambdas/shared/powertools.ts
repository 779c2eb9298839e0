import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger, metrics and tracer per container. Service name and namespace come from the
 * POWERTOOLS_* environment set by the ServiceFunction construct (local mode sets the same).
 */
export const logger = new Logger({ serviceName: 'pinrelay' });
export const metrics = new Metrics({ namespace: 'Pinrelay', serviceName: 'pinrelay' });
export const tracer = new Tracer({ serviceName: 'pinrelay' });
