import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import {
  Account,
  AccountId,
  AccountRate,
  RequeueRequest,
  CreatePinRequest,
  ErrorEnvelope,
  IdempotencyKey,
  Job,
  JobList,
  ListJobsQuery,
  PutAccountRequest,
  Stats,
} from './schemas.ts';
import { registerWebhookPaths } from './webhooks-openapi.ts';
import { EVENT_SCHEMA_PATH, JobEvent, WebhookDelivery } from './events.ts';

/**
 * The OpenAPI document, generated from the same zod schemas that validate requests (never by hand).
 * Served at GET /v1/openapi.json; test/unit/api/openapi.test.ts checks it covers every route.
 */
function build() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key: `Authorization: Bearer prk_…` (create one with `npm run admin -- create-tenant NAME`).',
  });
  const security = [{ [bearer.name]: [] }];
  const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorEnvelope } } });
  const common = {
    400: error('Invalid input: `validation_error` with field paths in `details`.'),
    401: error('Missing or invalid API key.'),
  };
  const jobIdParam = z.object({ job_id: z.string().openapi({ example: 'job_0m4k7x2c9v1q8w3e5r6t7y8u9i' }) });
  const accountParam = z.object({ account_id: AccountId });

  registry.registerPath({
    method: 'put',
    path: '/v1/accounts/{account_id}',
    summary: 'Connect or replace a Pinterest account',
    description: 'Tokens are stored in AWS Secrets Manager and never returned. PUT replaces the whole connection.',
    security,
    request: { params: accountParam, body: { content: { 'application/json': { schema: PutAccountRequest } } } },
    responses: {
      200: { description: 'The account (without tokens).', content: { 'application/json': { schema: Account } } },
      ...common,
      413: error('Body larger than 256 KB.'),
      415: error('Content-Type is not application/json.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{account_id}',
    summary: 'Connection state, token expiry and pacing limit of an account',
    security,
    request: { params: accountParam },
    responses: {
      200: { description: 'The account.', content: { 'application/json': { schema: Account } } },
      401: common[401],
      404: error('No such account for this tenant.'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/pins',
    summary: 'Submit a publish intent',
    description:
      'Creates a job at once and publishes asynchronously. The same Idempotency-Key with the same body returns the same job (200, `Idempotent-Replayed: true`); with another body, 422.',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': IdempotencyKey }),
      body: { content: { 'application/json': { schema: CreatePinRequest } } },
    },
    responses: {
      202: { description: 'New job accepted.', content: { 'application/json': { schema: Job } } },
      200: {
        description: 'Replay of an earlier request with the same key and body.',
        headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } } },
        content: { 'application/json': { schema: Job } },
      },
      ...common,
      404: error('The account is not connected.'),
      413: error('Body larger than 256 KB.'),
      415: error('Content-Type is not application/json.'),
      422: error('`idempotency_key_reused`: the key was used with a different body.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/jobs/{job_id}',
    summary: 'A job, with its attempts, result or failure',
    security,
    request: { params: jobIdParam },
    responses: {
      200: { description: 'The job.', content: { 'application/json': { schema: Job } } },
      401: common[401],
      404: error('No such job for this tenant.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/jobs',
    summary: 'List jobs, newest first',
    security,
    request: { query: ListJobsQuery },
    responses: {
      200: {
        description: 'A page of jobs; pass `next_cursor` back as `cursor` for the next.',
        content: { 'application/json': { schema: JobList } },
      },
      ...common,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/jobs/{job_id}/cancel',
    summary: 'Cancel a queued, scheduled or retry_scheduled job',
    security,
    request: { params: jobIdParam },
    responses: {
      200: { description: 'The cancelled job.', content: { 'application/json': { schema: Job } } },
      401: common[401],
      404: error('No such job for this tenant.'),
      409: error('`conflict`: the job is running or finished.'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/jobs/{job_id}/requeue',
    summary: 'Re-run a failed job, optionally with corrected pin fields',
    description:
      'Same job, same Idempotency-Key; attempt numbers continue and the retry caps start again. The body is optional: `{"pin": {…fields to change}}`; the merged pin is validated as a whole.',
    security,
    request: { params: jobIdParam, body: { required: false, content: { 'application/json': { schema: RequeueRequest } } } },
    responses: {
      202: { description: 'The job, queued again.', content: { 'application/json': { schema: Job } } },
      ...common,
      404: error('No such job for this tenant.'),
      409: error('`conflict`: only failed jobs can be requeued.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{account_id}/rate',
    summary: "The account's token bucket: tokens left, refill rate, next slot",
    security,
    request: { params: accountParam },
    responses: {
      200: { description: 'The pacing state.', content: { 'application/json': { schema: AccountRate } } },
      401: common[401],
      404: error('No such account for this tenant.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/stats',
    summary: "The tenant's jobs by status, the last hour's finished jobs, and per account the backlog and pacing state",
    description:
      'Counts, not listings: `counts` by status, `last_hour` (jobs that became succeeded or failed in the last 60 minutes, among those ' +
      'created in the last 24 hours), and for up to 20 connected accounts the unfinished jobs and the account rate. No parameters.',
    security,
    responses: {
      200: { description: 'The statistics.', content: { 'application/json': { schema: Stats } } },
      ...common,
    },
  });
  registerWebhookPaths(registry, { security, error });
  // Events are not requests: OpenAPI 3.0 has no place for them but components (lambdas/api/events.ts).
  registry.register('JobEvent', JobEvent);
  registry.register('WebhookDelivery', WebhookDelivery);
  registry.registerPath({
    method: 'get',
    path: EVENT_SCHEMA_PATH,
    summary: 'JSON Schema of the job events and webhook deliveries',
    description:
      'A JSON Schema (2020-12) document: `$defs.JobEvent` is the `detail` of a job event on the pinrelay EventBridge bus ' +
      '(components/schemas/JobEvent), `$defs.WebhookDelivery` the body POSTed to webhook subscriptions (components/schemas/WebhookDelivery).',
    responses: {
      200: {
        description: 'The JSON Schema document; it validates `#/components/schemas/JobEvent` and `#/components/schemas/WebhookDelivery`.',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.0 document.' } },
  });

  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'pinrelay',
      version: '1.0.0',
      description: 'Reliable Pinterest publishing: idempotent intake, paced execution, classified retries.',
    },
    servers: [{ url: '/' }],
  });
}

let document: ReturnType<typeof build> | undefined;

export function openApiDocument() {
  document ??= build();
  return document;
}
