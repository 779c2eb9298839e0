/**
 * The single source of truth for pinrelay's public API: request validation, response shapes and the
 * OpenAPI document (lambdas/api/openapi.ts) all come from these schemas, one module per resource under
 * lambdas/api/schemas/. They describe the domain's own types (lambdas/domain/) on the wire, and
 * lambdas/api/domain-match.ts proves at compile time that both say the same.
 */
export * from './schemas/fields.ts';
export * from './schemas/metadata.ts';
export * from './schemas/account.ts';
export * from './schemas/pin.ts';
export * from './schemas/job.ts';
export * from './schemas/webhook.ts';
export * from './schemas/stats.ts';
export * from './schemas/error.ts';
