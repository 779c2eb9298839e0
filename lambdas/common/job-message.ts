import * as z from 'zod';
import { PoisonMessageError, type JobMessage } from '../use-cases/ports.ts';

/** Queue message bodies are validated like any input: an unparseable one is poison (→ DLQ after retries). */
const JobMessageSchema = z
  .object({
    job_id: z.string().regex(/^job_[0-9a-z]{26}$/),
    tenant_id: z.string().min(1).max(64),
    version: z.number().int().min(1),
    hold: z.literal('pacing').optional(),
    slot_ms: z.number().int().min(0).optional(),
  })
  .strict();

/** A queue body as a JobMessage (the use cases' JobMessageParser port): the wire format stays here. */
export function parseJobMessage(messageId: string, body: string): JobMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError(messageId, 'body is not JSON');
  }
  const parsed = JobMessageSchema.safeParse(value);
  if (!parsed.success)
    throw new PoisonMessageError(messageId, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}
