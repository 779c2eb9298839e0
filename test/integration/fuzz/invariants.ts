import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { type ERROR_CODES, ErrorEnvelope } from '../../../lambdas/api/schemas.ts';
import { TOKEN_TAG } from './arbitraries/bodies.ts';
import type { Materialized } from './materialize.ts';
import type { WireResponse } from './wire.ts';
import { TENANTS, type World } from './world.ts';

/**
 * What every answer must be, whatever was asked (README, "Errors"; docs/architecture.md, "The public API's
 * contract"): never a 5xx; a refusal is the error envelope with a documented code matching its status; a
 * success has the route's documented shape; nothing of another tenant and no token, ever; a webhook secret
 * only where it is shown once; another tenant's object answers like one that does not exist.
 */

/** The README's error table: the one status each documented code is sent with. */
export const STATUS_OF_CODE: Readonly<Record<(typeof ERROR_CODES)[number], number>> = {
  validation_error: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal: 500,
};

/** Statuses a request naming another tenant's object may get: refused before the lookup, or not found. */
const FOREIGN_STATUSES = new Set([400, 401, 404, 413, 415]);

/** A webhook secret as the API makes them (the OpenAPI document's example is shorter). */
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9_-]{43}/;

/** Routes whose answer shows a webhook secret (once). */
const SHOWS_SECRET = new Set(['create-webhook', 'rotate-webhook-secret']);

/**
 * The shapes of what a tenant's markers are (world.ts: marker, tenant id, API key, job and webhook ids,
 * webhook secrets, cursors): an answer's candidates are found by shape and looked up, which stays fast when
 * a long run has made thousands of them. A marker of no known shape is searched for as it is.
 */
const MARKER_SHAPES = [
  /MRK[AB][0-9a-f]{12}/g,
  /ten_[0-9a-z]{16}/g,
  /prk_[A-Za-z0-9_-]{43}/g,
  /job_[0-9a-z]{26}/g,
  /whk_[0-9a-z]{20}/g,
  /whsec_[A-Za-z0-9_-]{43}/g,
  /[A-Za-z0-9_-]{40,}/g,
];
const SHAPED = new RegExp(`^(?:${MARKER_SHAPES.map((r) => r.source).join('|')})$`);

/** The markers of `markers` that `text` contains. */
function markersIn(text: string, markers: readonly string[]): string[] {
  const candidates = new Set(MARKER_SHAPES.flatMap((shape) => Array.from(text.matchAll(shape), (m) => m[0])));
  return markers.filter((marker) => (SHAPED.test(marker) ? candidates.has(marker) : text.includes(marker)));
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every problem with `res` as the answer to `m`, as readable lines (empty: the answer keeps every rule). */
export function problemsWith(
  world: World,
  m: Materialized,
  res: WireResponse,
  matched: { readonly name: string; readonly ok: z.ZodType | null } | undefined,
): string[] {
  const problems: string[] = [];
  const body = parse(res.text);
  if (res.status >= 500) problems.push(`a ${res.status}: ${res.text.slice(0, 300)}`);
  else if (res.status < 200 || (res.status >= 300 && res.status < 400)) problems.push(`status ${res.status} is no API answer`);

  if (res.status >= 400) {
    const envelope = ErrorEnvelope.safeParse(body);
    if (!envelope.success) problems.push(`a ${res.status} without the error envelope: ${res.text.slice(0, 300)}`);
    else if (STATUS_OF_CODE[envelope.data.error.code] !== res.status)
      problems.push(
        `code ${envelope.data.error.code} sent with ${res.status}; documented with ${STATUS_OF_CODE[envelope.data.error.code]}`,
      );
    if (!/^application\/json\b/i.test(res.headers['content-type'] ?? ''))
      problems.push(`a ${res.status} with Content-Type ${res.headers['content-type']}`);
  } else if (res.status >= 200 && res.status < 300 && matched) {
    if (matched.ok === null) {
      if (res.text !== '') problems.push(`a ${res.status} from ${matched.name} with a body`);
    } else {
      const shaped = matched.ok.safeParse(body);
      if (!shaped.success)
        problems.push(`a ${res.status} from ${matched.name} not in its documented shape: ${shaped.error.message.slice(0, 300)}`);
      // The schemas drop what they do not describe: anything dropped is a field the API does not document.
      else if (!isDeepStrictEqual(shaped.data, body)) problems.push(`a ${res.status} from ${matched.name} with undocumented fields`);
    }
  }

  const answer = `${res.text}\n${Object.values(res.headers).join('\n')}`;
  const request = `${m.wire.path}\n${m.wire.headers.map(([, v]) => v).join('\n')}\n${m.wire.body ?? ''}`;
  for (const tenant of TENANTS) {
    if (m.acting.includes(tenant)) continue;
    const leaked = markersIn(answer, world.markersOf(tenant)).filter((marker) => !request.includes(marker));
    if (leaked.length > 0) problems.push(`tenant ${tenant}'s data in an answer to a caller without its key: ${leaked.join(', ')}`);
  }
  for (const token of world.tokens) if (answer.includes(token)) problems.push('a Pinterest token in an answer');
  if (answer.includes(TOKEN_TAG)) problems.push('a Pinterest token sent by the caller came back in the answer');
  if (WEBHOOK_SECRET.test(answer) && !(matched && SHOWS_SECRET.has(matched.name) && res.status < 300))
    problems.push('a webhook secret outside the one answer that shows it');

  if (m.foreign && !FOREIGN_STATUSES.has(res.status)) problems.push(`another tenant's object answered ${res.status}, not 404`);
  return problems;
}
