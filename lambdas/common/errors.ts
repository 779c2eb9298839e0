/**
 * Configuration that is missing or malformed: a deployment bug, never the caller's fault. (Errors a
 * caller can act on are the domain's, lambdas/domain/errors.ts, and the HTTP layer's,
 * lambdas/common/http-errors.ts.)
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
