import { sentPinOf, type JobRecord, type SentPin } from '../domain/job.ts';
import { findMatchingPins, parsePinterestTime } from '../domain/pin-match.ts';
import type { JobStore, PinterestApi, PinterestPin } from './ports.ts';

/**
 * The worker's check for a pin an earlier attempt may have created (lambdas/use-cases/publish.ts, step 5):
 * never duplicate a pin, never claim one that is not the job's.
 */

/** How many board pages (250 pins each) a verification reads per board at most. */
const VERIFY_MAX_PAGES = 4;
/** How many of the account's succeeded jobs (newest first) a verification reads to rule out their pins. */
const OWNED_PINS_MAX_JOBS = 1000;

export function withSentPin(sent: readonly SentPin[] | undefined, pin: SentPin): readonly SentPin[] {
  const list = sent ?? [];
  const key = JSON.stringify(pin);
  return list.some((p) => JSON.stringify(p) === key) ? list : [...list, pin];
}

/** Every version of the pin this job may have sent (older stored jobs: the current pin only). */
export function intentsOf(record: JobRecord): readonly SentPin[] {
  return withSentPin(record.sentPins, sentPinOf(record.job.pin));
}

/** The boards the job sent its pin to, each once. */
export function boardsOf(record: JobRecord): string[] {
  return [...new Set(intentsOf(record).map((p) => p.board_id))];
}

export type Verification = { kind: 'found'; pin: PinterestPin } | { kind: 'none' } | { kind: 'ambiguous'; pinIds: string[] };

/**
 * Looks for the pin on every board the job sent it to, matching any version it was sent with, then rules
 * out pins that other jobs of the account recorded as theirs. One candidate left: found. Several: ambiguous
 * — never guessed. Reads the board listing (org_read) only, `beforeRead` each page (the read budget);
 * creates nothing.
 */
export async function verifyOnBoards(
  deps: { readonly jobs: JobStore; readonly pinterest: PinterestApi },
  token: string,
  record: JobRecord,
  beforeRead: () => Promise<void>,
): Promise<Verification> {
  const { job } = record;
  const first = job.attempts[0];
  if (!first) throw new Error(`job ${job.id} has no attempt: only a job that sent a create is verified`);
  const firstStarted = new Date(first.started_at);
  const intents = intentsOf(record);
  const candidates = new Map<string, PinterestPin>();
  for (const boardId of boardsOf(record)) {
    const onBoard = intents.filter((p) => p.board_id === boardId);
    let bookmark: string | undefined;
    for (let page = 0; page < VERIFY_MAX_PAGES; page++) {
      await beforeRead();
      const result = await deps.pinterest.listBoardPins(token, boardId, { pageSize: 250, ...(bookmark ? { bookmark } : {}) });
      for (const pin of findMatchingPins(result.items, onBoard, firstStarted)) candidates.set(pin.id, pin);
      // Newest first: once a page reaches back before the first attempt, older pages cannot match.
      const oldest = parsePinterestTime(result.items.at(-1)?.created_at);
      if (!result.bookmark || (oldest !== null && oldest < firstStarted.getTime() - 120_000)) break;
      bookmark = result.bookmark;
    }
  }
  if (candidates.size === 0) return { kind: 'none' };
  const owned = await pinIdsOfOtherJobs(deps.jobs, record);
  const ours = [...candidates.values()].filter((pin) => !owned.has(pin.id));
  const [pin, ...others] = ours;
  if (pin === undefined) return { kind: 'none' };
  if (others.length === 0) return { kind: 'found', pin };
  return { kind: 'ambiguous', pinIds: ours.map((p) => p.id) };
}

/** Pin ids recorded by the account's other succeeded jobs (the newest OWNED_PINS_MAX_JOBS of them). */
async function pinIdsOfOtherJobs(jobs: JobStore, record: JobRecord): Promise<Set<string>> {
  const owned = new Set<string>();
  let cursor: string | undefined;
  let read = 0;
  do {
    const page = await jobs.list(
      record.tenantId,
      { status: 'succeeded', accountId: record.job.account_id },
      { limit: 100, ...(cursor ? { cursor } : {}) },
    );
    for (const other of page.items) {
      if (other.job.id !== record.job.id && other.job.result) owned.add(other.job.result.pin_id);
    }
    read += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && read < OWNED_PINS_MAX_JOBS);
  return owned;
}
