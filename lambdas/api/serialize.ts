import * as z from 'zod';
import type { Account, AccountRate } from '../domain/account.ts';
import type { Job } from '../domain/job.ts';
import type { Stats } from '../domain/stats.ts';
import type { Webhook, WebhookWithSecret } from '../domain/webhook.ts';
import * as wire from './schemas.ts';

/**
 * What leaves the API. Every response body is a domain value written out through its schema: object keys
 * in the order the schema lists them, at every depth, and only the keys it names. Free-form objects the
 * schema cannot order (a job's metadata) are written with their keys sorted, at every depth. So a job reads
 * as the same JSON whether it comes from GET, a listing, a create, a cancel or a requeue, whatever order the
 * store handed its attributes back in. Values are never changed, checked or defaulted here: the use cases
 * made them, and the schemas' types are the domain's (lambdas/api/domain-match.ts).
 */

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Free-form JSON with its object keys sorted at every level (DynamoDB keeps no order inside a map). */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key])]),
  );
}

/** The option of a discriminated union `value` belongs to (by its discriminator's literal). */
function optionFor(union: z.ZodDiscriminatedUnion, value: Record<string, unknown>): z.ZodType | undefined {
  const key = union.def.discriminator;
  return union.options.find((option): option is z.ZodObject => {
    const tag = option instanceof z.ZodObject ? option.shape[key] : undefined;
    return tag instanceof z.ZodLiteral && tag.values.has(value[key] as never);
  });
}

/** `value` with the keys of every object in `schema`'s order (the order JSON.stringify writes them in). */
export function inSchemaOrder(schema: z.ZodType, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return inSchemaOrder(schema.unwrap() as z.ZodType, value);
  }
  if (schema instanceof z.ZodPipe) return inSchemaOrder(schema.out as z.ZodType, value);
  if (schema instanceof z.ZodArray)
    return Array.isArray(value) ? value.map((item) => inSchemaOrder(schema.element as z.ZodType, item)) : value;
  if (schema instanceof z.ZodDiscriminatedUnion && isRecord(value)) {
    const option = optionFor(schema, value);
    return option ? inSchemaOrder(option, value) : value;
  }
  if (schema instanceof z.ZodObject && isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      if (Object.hasOwn(value, key)) out[key] = inSchemaOrder(field, value[key]);
    }
    return out;
  }
  if (schema instanceof z.ZodRecord) return sortedKeys(value);
  return value;
}

/** The one way a job leaves the API. */
export function jobJson(job: Job): wire.Job {
  return inSchemaOrder(wire.Job, job) as wire.Job;
}

export function jobListJson(page: { readonly items: readonly Job[]; readonly next_cursor: string | null }): wire.JobList {
  return { items: page.items.map(jobJson), next_cursor: page.next_cursor };
}

export function accountJson(account: Account): wire.Account {
  return inSchemaOrder(wire.Account, account) as wire.Account;
}

export function accountRateJson(rate: AccountRate): wire.AccountRate {
  return inSchemaOrder(wire.AccountRate, rate) as wire.AccountRate;
}

export function webhookJson(webhook: Webhook): wire.Webhook {
  return inSchemaOrder(wire.Webhook, webhook) as wire.Webhook;
}

export function webhookWithSecretJson(webhook: WebhookWithSecret): wire.WebhookWithSecret {
  return inSchemaOrder(wire.WebhookWithSecret, webhook) as wire.WebhookWithSecret;
}

export function webhookListJson(list: { readonly items: readonly Webhook[] }): { items: wire.Webhook[] } {
  return { items: list.items.map(webhookJson) };
}

export function statsJson(stats: Stats): wire.Stats {
  return inSchemaOrder(wire.Stats, stats) as wire.Stats;
}
