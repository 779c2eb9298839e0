import fc from 'fast-check';
import { z } from 'zod';
import { FUNCTIONS, type FunctionName } from '../../../definitions/functions.ts';
import {
  Account,
  AccountRate,
  Job,
  JobList,
  Stats,
  Webhook,
  WebhookList,
  WebhookTestResult,
  WebhookWithSecret,
} from '../../../lambdas/api/schemas.ts';
import { bodyFor, strayBody, validAccount, validPin, validRequeue, validWebhook } from './arbitraries/bodies.ts';
import { caller, contentType, extraHeaders, idempotencyKey } from './arbitraries/headers.ts';
import { id, listQuery, queryEncoding, strayQuery } from './arbitraries/targets.ts';
import type { ObjectKind, RequestSpec } from './materialize.ts';

/**
 * One entry per API route of definitions/functions.ts: what its path names, which body and query it
 * reads (so the fuzzer starts from valid requests and breaks them), and the shape of its success.
 */

export interface RouteFuzz {
  readonly name: FunctionName;
  readonly method: string;
  readonly path: string;
  readonly param?: ObjectKind;
  /** false for the public documents, which need no key. */
  readonly authorized: boolean;
  /** The documented shape of a 2xx; null for an empty 204. */
  readonly ok: z.ZodType | null;
  readonly requests: fc.Arbitrary<RequestSpec>;
}

interface Reads {
  readonly ok: z.ZodType | null;
  readonly body?: fc.Arbitrary<RequestSpec['body']>;
  readonly query?: fc.Arbitrary<RequestSpec['query']>;
  readonly idempotent?: boolean;
}

const PublicDocument = z.object({}).passthrough();

/** What each API function reads and answers; every `api` function must be here (the test file checks it). */
export const READS: Readonly<Record<string, Reads>> = {
  'create-pin': { ok: Job, body: bodyFor(validPin), idempotent: true },
  'get-job': { ok: Job },
  'list-jobs': { ok: JobList, query: listQuery },
  'cancel-job': { ok: Job },
  'requeue-job': { ok: Job, body: bodyFor(validRequeue) },
  'get-account-rate': { ok: AccountRate },
  'get-stats': { ok: Stats },
  'put-account': { ok: Account, body: bodyFor(validAccount) },
  'get-account': { ok: Account },
  'get-openapi': { ok: PublicDocument.extend({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }) },
  'get-event-schema': { ok: PublicDocument.extend({ $schema: z.string() }) },
  'create-webhook': { ok: WebhookWithSecret, body: bodyFor(validWebhook) },
  'list-webhooks': { ok: WebhookList },
  'get-webhook': { ok: Webhook },
  'delete-webhook': { ok: null },
  'rotate-webhook-secret': { ok: WebhookWithSecret },
  'test-webhook': { ok: WebhookTestResult },
};

const PARAM_KINDS: Readonly<Record<string, ObjectKind>> = { job_id: 'job', account_id: 'account', webhook_id: 'webhook' };

function requestsFor(reads: Reads, param: ObjectKind | undefined): fc.Arbitrary<RequestSpec> {
  return fc.record({
    caller,
    query: reads.query ?? strayQuery,
    queryEncoding,
    contentType,
    extra: extraHeaders,
    body: reads.body ?? strayBody,
    ...(param ? { id } : {}),
    ...(reads.idempotent ? { idempotency: idempotencyKey } : {}),
  });
}

/** Every API route, in the catalogue's order. */
export const ROUTES: readonly RouteFuzz[] = FUNCTIONS.flatMap((fn) => {
  if (fn.trigger.kind !== 'api') return [];
  const reads = READS[fn.name];
  if (!reads) return [];
  return fn.trigger.routes.map((route) => {
    const paramName = /\{([a-z_]+)\}/.exec(route.path)?.[1];
    const param = paramName === undefined ? undefined : PARAM_KINDS[paramName];
    if (paramName !== undefined && param === undefined) throw new Error(`${fn.name}: no fuzzer for the path parameter {${paramName}}`);
    return {
      name: fn.name,
      method: route.method,
      path: route.path,
      authorized: route.authorized,
      ok: reads.ok,
      requests: requestsFor(reads, param),
      ...(param ? { param } : {}),
    };
  });
});

/** The success shape of the route the API actually ran (a normalised path may reach another one). */
export function okShapeOf(name: string): z.ZodType | null | undefined {
  return READS[name]?.ok;
}
