import { config } from '../config.ts';

/**
 * The options every SDK client is built with: the function's region and, in local mode or on LocalStack,
 * the service's endpoint override (unset in AWS).
 */
export const clientOptions = (endpoint: string | undefined) => ({
  region: config().AWS_REGION,
  ...(endpoint ? { endpoint } : {}),
});
