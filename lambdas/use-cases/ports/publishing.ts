import type { AttemptInput } from '../../domain/classify.ts';
import type { PinFields } from '../../domain/pin.ts';

/**
 * The publish path's ports: Pinterest as the worker and the token provider use it, and the message the
 * publish and delay queues carry. The Pinterest client (lambdas/adapters/pinterest/) implements the first
 * over HTTP; the queue adapters and handlers speak the second.
 */

export interface PinterestPin {
  id: string;
  created_at?: string;
  link?: string | null;
  title?: string | null;
  description?: string | null;
  board_id?: string;
  board_section_id?: string | null;
  alt_text?: string | null;
  [k: string]: unknown;
}

export interface BoardPinsPage {
  items: PinterestPin[];
  bookmark: string | null;
}

export interface RefreshedTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  refreshTokenExpiresAt: string | null;
  scope?: string;
}

export type PinterestOperation = 'create_pin' | 'list_board_pins' | 'refresh_token';

/**
 * Pinterest API v5, as far as pinrelay uses it. A call that fails on Pinterest's side or on the way to it
 * (an error status, no answer, an unreadable answer) rejects with a PinterestError; the worker records
 * anything else a call throws as a crash of its own.
 */
export interface PinterestApi {
  createPin(accessToken: string, pin: PinFields): Promise<PinterestPin>;
  listBoardPins(accessToken: string, boardId: string, page?: { pageSize?: number; bookmark?: string }): Promise<BoardPinsPage>;
  refreshAccessToken(refreshToken: string): Promise<RefreshedTokens>;
}

/**
 * A failed Pinterest call, whatever the wire said: `attempt` is what it means to the classifier
 * (lambdas/domain/classify.ts). Only the adapter knows HTTP and sockets, so it decides the input; the
 * domain decides the outcome.
 */
export abstract class PinterestError extends Error {
  abstract readonly attempt: AttemptInput;

  constructor(
    readonly operation: PinterestOperation,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What travels on the queues: a pointer to the job, never the job (the table is the truth). */
export interface JobMessage {
  readonly job_id: string;
  readonly tenant_id: string;
  readonly version: number;
  /** Set on pacing holds: the delay-queue consumer returns the job to its FIFO group when it comes back. */
  readonly hold?: 'pacing';
  /** The pacing slot reserved for this job (epoch ms): it keeps its place in line when it comes back. */
  readonly slot_ms?: number;
}

/** A queue body that is not a job message: nothing can be done with it but park it for a human. */
export class PoisonMessageError extends Error {
  constructor(messageId: string, reason: string) {
    super(`message ${messageId} is not a job message: ${reason}`);
    this.name = 'PoisonMessageError';
  }
}

/** Reads a queue body as a job message; throws PoisonMessageError for anything else. */
export type JobMessageParser = (messageId: string, body: string) => JobMessage;
