/**
 * A connected Pinterest account of a tenant: its connection state and limits (never its tokens), and its
 * pacing state as GET /v1/accounts/{account_id}/rate shows it. Plain types; lambdas/api/schemas/account.ts
 * describes them on the wire, and lambdas/api/domain-match.ts proves at compile time that both say the same.
 */

/** 1–64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit. */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const CONNECTION_STATUSES = ['connected', 'reauthorization_required'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export interface Account {
  account_id: string;
  connection_status: ConnectionStatus;
  token_expires_at: string | null;
  refresh_token_expires_at: string | null;
  has_refresh_token: boolean;
  /** Per-account pacing limit; null means the deployment default applies. */
  rate_limit_per_minute: number | null;
  created_at: string;
  updated_at: string;
}

/** What connecting an account takes (PUT /v1/accounts/{account_id}): its tokens and, optionally, its own limit. */
export interface ConnectAccountCommand {
  access_token: string;
  refresh_token?: string | undefined;
  expires_at?: string | undefined;
  refresh_token_expires_at?: string | undefined;
  rate_limit_per_minute?: number | undefined;
}

/** The pacing state of one account (lambdas/domain/pacing.ts), read only. */
export interface AccountRate {
  /** The account's configured creates per rolling 60 s window (rate_limit_per_minute or the default). */
  limit: number;
  /** Creates per rolling 60 s window allowed now: the configured limit, or less after Pinterest proved it accepts less. */
  effective_limit: number;
  window_seconds: number;
  /** Burst of the write bucket at the effective limit. */
  capacity: number;
  refill_per_second: number;
  tokens: number;
  /** When the next create may go (now, after a Retry-After hold, or after the slots already reserved). */
  next_slot_at: string;
  /** The effective limit is below the configured one. */
  penalized: boolean;
  /** No create before this: Pinterest answered a create with 429 and Retry-After. */
  held_until: string | null;
  /** Creates sent in the last 60 s (counted per whole second). */
  sent_last_minute: number;
  /** Of those, creates answered 429, 5xx or not at all. */
  unproven_last_minute: number;
  /** Why the effective limit is lower, while it is: what Pinterest accepted in the minute before it refused. */
  adaptive: { ceiling: number; since: string } | null;
  /** The read budget (board listings that verify unknown outcomes), apart from creates. */
  read: {
    limit: number;
    capacity: number;
    refill_per_second: number;
    tokens: number;
    held_until: string | null;
  };
}
