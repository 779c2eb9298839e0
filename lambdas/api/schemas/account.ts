import { ACCOUNT_ID_PATTERN, CONNECTION_STATUSES } from '../../domain/account.ts';
import * as z from 'zod';
import './zod.ts';

/** Connected Pinterest accounts on the wire (lambdas/domain/account.ts): PUT and GET /v1/accounts/{account_id}, and its rate. */

export const AccountId = z
  .string()
  .regex(ACCOUNT_ID_PATTERN, {
    message: 'account_id is 1–64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  .openapi({ example: 'acme-main' });

/**
 * Pinterest tokens (`pina_…`, `pinr_…`) are printable ASCII without spaces. Anything else is a paste
 * accident (a trailing newline, a "Bearer " prefix) that would only fail later, at publish time.
 */
const pinterestToken = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7E]*$/, { message: 'must be printable ASCII without spaces or control characters (0x21–0x7E)' });

export const PutAccountRequest = z
  .object({
    access_token: pinterestToken,
    refresh_token: pinterestToken.optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    refresh_token_expires_at: z.iso.datetime({ offset: true }).optional(),
    rate_limit_per_minute: z.number().int().min(1).max(100_000).optional(),
  })
  .strict()
  .openapi('PutAccountRequest');

export type PutAccountRequest = z.infer<typeof PutAccountRequest>;

export const Account = z
  .object({
    account_id: z.string(),
    connection_status: z.enum(CONNECTION_STATUSES),
    token_expires_at: z.string().nullable(),
    refresh_token_expires_at: z.string().nullable(),
    has_refresh_token: z.boolean(),
    rate_limit_per_minute: z.number().int().nullable().openapi({
      description: 'Per-account pacing limit; null means the deployment default applies.',
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Account');

export type Account = z.infer<typeof Account>;

export const AccountRate = z
  .object({
    limit: z
      .number()
      .int()
      .openapi({ description: "The account's configured creates per rolling 60 s window (rate_limit_per_minute or the default)." }),
    effective_limit: z.number().int().openapi({
      description:
        'Creates per rolling 60 s window pinrelay allows now: the configured limit, or less after Pinterest proved it accepts less; probes back up over minutes.',
    }),
    window_seconds: z.number().int(),
    capacity: z.number().openapi({ description: 'Burst of the write bucket at the effective limit.' }),
    refill_per_second: z.number(),
    tokens: z.number(),
    next_slot_at: z
      .string()
      .openapi({ description: 'When the next create may go (now, after a Retry-After hold, or after the slots already reserved).' }),
    penalized: z.boolean().openapi({ description: 'The effective limit is below the configured one.' }),
    held_until: z
      .string()
      .nullable()
      .openapi({ description: 'No create before this: Pinterest answered a create with 429 and Retry-After.' }),
    sent_last_minute: z.number().int().openapi({ description: 'Creates sent in the last 60 s (counted per whole second).' }),
    unproven_last_minute: z.number().int().openapi({ description: 'Of those, creates answered 429, 5xx or not at all.' }),
    adaptive: z
      .object({
        ceiling: z.number().int().openapi({ description: 'Creates Pinterest accepted in the minute before it started refusing them.' }),
        since: z.string(),
      })
      .nullable()
      .openapi({ description: 'Why the effective limit is lower, while it is.' }),
    read: z
      .object({
        limit: z.number().int().openapi({ description: 'Board listings per rolling 60 s window (verification of unknown outcomes).' }),
        capacity: z.number(),
        refill_per_second: z.number(),
        tokens: z.number(),
        held_until: z.string().nullable().openapi({ description: 'No listing before this: Pinterest answered a listing with 429.' }),
      })
      .openapi({ description: 'The read budget, apart from creates.' }),
  })
  .openapi('AccountRate');
export type AccountRate = z.infer<typeof AccountRate>;
