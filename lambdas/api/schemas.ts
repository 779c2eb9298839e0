import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { JOB_EVENT_TYPES } from '../../definitions/webhooks.ts';
import { MAX_WEBHOOK_URL_LENGTH } from '../domain/webhook-url.ts';

/**
 * The single source of truth for pinrelay's public API: request validation, response types and the
 * OpenAPI document (lambdas/api/openapi.ts) all come from these schemas.
 * Pin fields mirror Pinterest API v5 PinCreate and its limits.
 *
 * Request schemas accept only what intake can store in DynamoDB and serve back unchanged, so a request
 * is either a 4xx naming the field or a job that reads back exactly as sent — never a 5xx from the write.
 * Messages never quote the caller's input: it may hold secrets, and errors are logged.
 */
extendZodWithOpenApi(z);

/** An unpaired UTF-16 surrogate: it has no UTF-8 encoding, so DynamoDB, logs and Pinterest would refuse or mangle it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (it contains an unpaired surrogate, \\uD800–\\uDFFF)';
export const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** Pinterest counts characters, not UTF-16 units: "≤ 100" means 100 code points (an emoji is one). */
const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

const text = (max: number) =>
  z
    .string()
    .refine(isWellFormed, { message: WELL_FORMED_MESSAGE })
    .refine((s) => codePoints(s) <= max, { message: `must be at most ${max} characters` })
    .openapi({ maxLength: max });

/**
 * What a number must be to survive the trip through DynamoDB and back as the same value:
 * - finite (JSON.parse turns `1e400` into Infinity);
 * - |n| ≤ 2^53 − 1: beyond it the DynamoDB document client refuses to write a JS number, and JSON.parse
 *   has usually already rounded the caller's digits (12345678901234567890 arrives as …7000);
 * - 0 or |n| ≥ 1e-130: DynamoDB refuses smaller magnitudes as an underflow;
 * - not negative zero: DynamoDB stores it as 0, so it would read back different. Rejected rather than
 *   silently changed, so what is accepted is exactly what is stored.
 * DynamoDB keeps 38 significant digits, more than any double needs, so nothing else is lost.
 */
export const DYNAMODB_MIN_MAGNITUDE = 1e-130;
const NUMBER_MESSAGES = {
  finite: 'must be a finite number',
  range: `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} (2^53 − 1); send larger values, such as ids, as strings`,
  negativeZero: 'must not be negative zero (it would be stored as 0); send 0',
  tiny: 'must be 0 or at least 1e-130 in magnitude',
} as const;
const isNegativeZero = (n: number) => Object.is(n, -0);
const isTiny = (n: number) => n !== 0 && Math.abs(n) < DYNAMODB_MIN_MAGNITUDE;

/** Why a number cannot be stored as sent, or undefined when it can. */
export function numberProblem(n: number): string | undefined {
  if (!Number.isFinite(n)) return NUMBER_MESSAGES.finite;
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) return NUMBER_MESSAGES.range;
  if (isNegativeZero(n)) return NUMBER_MESSAGES.negativeZero;
  if (isTiny(n)) return NUMBER_MESSAGES.tiny;
  return undefined;
}

/** z.number() (already finite-only) limited to what DynamoDB returns unchanged; see numberProblem. */
const storableNumber = () =>
  z
    .number()
    .min(-Number.MAX_SAFE_INTEGER, { message: NUMBER_MESSAGES.range })
    .max(Number.MAX_SAFE_INTEGER, { message: NUMBER_MESSAGES.range })
    .refine((n) => !isNegativeZero(n), { message: NUMBER_MESSAGES.negativeZero })
    .refine((n) => !isTiny(n), { message: NUMBER_MESSAGES.tiny });

const digits = (what: string) =>
  z.string().regex(/^\d{1,64}$/, { message: `${what} must be a string of digits` });

/** Absolute http(s) URL, as Pinterest requires for links and media; ≤ 2048 characters counted like text. */
export const httpUrl = z
  .string()
  .refine(isWellFormed, { message: WELL_FORMED_MESSAGE })
  .refine((s) => codePoints(s) <= 2048, { message: 'must be at most 2048 characters' })
  .refine(
    (value) => {
      // No whitespace or control characters anywhere: WHATWG URL parsing would silently strip or encode them.
      if (/[\s\u0000-\u001f\u007f]/.test(value)) return false;
      // The text itself must be absolute: `https:/x` or `http:x` parse (and get repaired) but are not.
      if (!/^https?:\/\/[^/\\]/i.test(value)) return false;
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute http(s) URL' },
  )
  .openapi({ maxLength: 2048, format: 'uri', example: 'https://example.com/images/chair.jpg' });

const isStandard = z.boolean().optional();

export const ImageUrlSource = z
  .object({ source_type: z.literal('image_url'), url: httpUrl, is_standard: isStandard })
  .strict()
  .openapi('ImageUrlSource');

export const ImageBase64Source = z
  .object({
    source_type: z.literal('image_base64'),
    content_type: z.enum(['image/jpeg', 'image/png']),
    data: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, { message: 'must be base64 (no data: prefix, no whitespace)' })
      .refine((s) => s.length % 4 === 0, { message: 'base64 length must be a multiple of 4' }),
    is_standard: isStandard,
  })
  .strict()
  .openapi('ImageBase64Source');

export const CarouselItem = z
  .object({ url: httpUrl, title: text(100).optional(), description: text(800).optional(), link: httpUrl.optional() })
  .strict()
  .openapi('CarouselItem');

export const MultipleImageUrlsSource = z
  .object({
    source_type: z.literal('multiple_image_urls'),
    items: z.array(CarouselItem).min(2, { message: 'a carousel has 2 to 5 items' }).max(5, { message: 'a carousel has 2 to 5 items' }),
    index: z.number().int().min(0).max(4).refine((n) => !isNegativeZero(n), { message: NUMBER_MESSAGES.negativeZero }).optional(),
  })
  .strict()
  .openapi('MultipleImageUrlsSource');

export const VideoIdSource = z
  .object({
    source_type: z.literal('video_id'),
    media_id: digits('media_id'),
    cover_image_url: httpUrl.optional(),
    cover_image_key_frame_time: storableNumber().min(0).optional(),
    is_standard: isStandard,
  })
  .strict()
  .refine((v) => (v.cover_image_url === undefined) !== (v.cover_image_key_frame_time === undefined), {
    message: 'exactly one of cover_image_url or cover_image_key_frame_time is required',
    path: ['cover_image_url'],
  })
  .openapi('VideoIdSource');

export const MediaSource = z
  .discriminatedUnion('source_type', [ImageUrlSource, ImageBase64Source, MultipleImageUrlsSource, VideoIdSource])
  .openapi('MediaSource');

/** Pinterest PinCreate, as pinrelay forwards it. */
export const PinFields = z
  .object({
    board_id: digits('board_id'),
    board_section_id: digits('board_section_id').optional(),
    title: text(100).optional(),
    description: text(800).optional(),
    link: httpUrl.optional(),
    alt_text: text(500).optional(),
    note: text(500).optional(),
    dominant_color: z
      .string()
      .regex(/^#[0-9A-Fa-f]{6}$/, { message: 'must be a #RRGGBB colour' })
      .optional(),
    parent_pin_id: digits('parent_pin_id').optional(),
    media_source: MediaSource,
  })
  .strict()
  .openapi('PinFields');

export type PinFields = z.infer<typeof PinFields>;

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const AccountId = z
  .string()
  .regex(ACCOUNT_ID_PATTERN, { message: 'account_id is 1–64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit' })
  .openapi({ example: 'acme-main' });

export const MAX_METADATA_BYTES = 2048;

/**
 * How deep metadata may nest, counting the metadata object itself as level 1 and every object or array
 * inside it as one more. DynamoDB allows 32 levels per item attribute, the value inside the deepest map
 * or list included (measured against DynamoDB Local: 31 nested maps or lists under an attribute store,
 * 32 are refused). The job item stores metadata inside its `job` map, which takes one of those levels,
 * so 30 are left for the caller.
 */
export const MAX_METADATA_DEPTH = 30;

/** More than this many problems in one metadata value are not worth listing: fix these first. */
const MAX_METADATA_ISSUES = 10;

/**
 * Keys that cannot round-trip. JSON.parse makes `__proto__` an own key, but zod and the DynamoDB
 * marshaller drop it silently. The marshaller decides how to store an object from `value.constructor`,
 * so an own `constructor` key makes it refuse the object (a 5xx) or misread it as a Set or binary.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

type Path = PropertyKey[];

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Every reason `value` cannot be stored in DynamoDB and read back unchanged, with paths relative to
 * metadata. Walks the raw input (zod's record drops a `__proto__` key silently, which would store less
 * than was accepted) and never descends past MAX_METADATA_DEPTH, so hostile nesting cannot exhaust the stack.
 */
function metadataProblems(metadata: Record<string, unknown>): { problems: Array<{ path: Path; message: string }>; tooDeep: boolean } {
  const problems: Array<{ path: Path; message: string }> = [];
  let tooDeep = false;
  const walk = (value: unknown, path: Path, depth: number): void => {
    if (problems.length >= MAX_METADATA_ISSUES) return;
    if (value === null || typeof value === 'boolean') return;
    if (typeof value === 'string') {
      if (!isWellFormed(value)) problems.push({ path, message: WELL_FORMED_MESSAGE });
      return;
    }
    if (typeof value === 'number') {
      const problem = numberProblem(value);
      if (problem) problems.push({ path, message: problem });
      return;
    }
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) {
      problems.push({ path, message: 'must be a JSON value (string, number, boolean, null, object or array)' });
      return;
    }
    if (depth > MAX_METADATA_DEPTH) {
      tooDeep = true;
      problems.push({ path, message: `metadata may nest at most ${MAX_METADATA_DEPTH} levels of objects and arrays` });
      return;
    }
    if (isArray) {
      value.forEach((item, i) => walk(item, [...path, i], depth + 1));
      return;
    }
    for (const key of Object.keys(value)) {
      // Key problems are reported at the object holding the key, so the key itself is never echoed.
      if (key === '') problems.push({ path, message: 'keys must not be empty (DynamoDB cannot store an empty attribute name)' });
      else if (RESERVED_KEYS.has(key)) problems.push({ path, message: `the keys ${[...RESERVED_KEYS].map((k) => `"${k}"`).join(' and ')} are not allowed` });
      else if (!isWellFormed(key)) problems.push({ path, message: `keys ${WELL_FORMED_MESSAGE}` });
      else walk(value[key], [...path, key], depth + 1);
      if (problems.length >= MAX_METADATA_ISSUES) return;
    }
  };
  walk(metadata, [], 1);
  return { problems, tooDeep };
}

export const Metadata = z
  .preprocess(
    (value, ctx) => {
      if (!isPlainObject(value)) return value; // the record schema below explains what is expected
      const { problems, tooDeep } = metadataProblems(value);
      for (const problem of problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
      // Serialising is only safe once the depth is known to be bounded.
      if (!tooDeep && Buffer.byteLength(JSON.stringify(value), 'utf8') > MAX_METADATA_BYTES) {
        ctx.addIssue({ code: 'custom', message: `metadata must serialise to at most ${MAX_METADATA_BYTES} bytes of JSON` });
      }
      return value;
    },
    z.record(z.string(), z.unknown()),
  )
  .openapi({
    description:
      `Your own data, echoed in job events: a JSON object of at most ${MAX_METADATA_BYTES} bytes, nested at most ` +
      `${MAX_METADATA_DEPTH} levels; numbers within ±(2^53 − 1), 0 or at least 1e-130 in magnitude, not -0; ` +
      'strings and keys well-formed Unicode; keys non-empty and neither "__proto__" nor "constructor".',
    example: { post_id: 'cms-4411' },
  });

export const CreatePinRequest = PinFields.extend({
  account_id: AccountId,
  publish_at: z.iso
    .datetime({ offset: true, message: 'must be an ISO-8601 date-time with a time zone, e.g. 2026-12-01T09:00:00Z' })
    .nullable()
    .optional(),
  metadata: Metadata.optional(),
})
  .strict()
  .openapi('CreatePinRequest');

export type CreatePinRequest = z.infer<typeof CreatePinRequest>;

/** 1–255 visible ASCII characters (0x21–0x7E): safe in a header, a log line and a DynamoDB key. */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/, { message: 'Idempotency-Key must be 1–255 visible ASCII characters (0x21–0x7E)' })
  .openapi({ example: 'cms-4411-pinterest' });

export const JOB_STATUSES = ['scheduled', 'queued', 'running', 'retry_scheduled', 'succeeded', 'failed', 'cancelled'] as const;
export const JobStatus = z.enum(JOB_STATUSES).openapi('JobStatus');
export type JobStatus = z.infer<typeof JobStatus>;

export const OUTCOMES = ['succeeded', 'retry_now', 'retry_later', 'unknown', 'needs_human', 'stop', 'bug'] as const;

export const Attempt = z
  .object({
    number: z.number().int().min(1),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    outcome: z.enum(OUTCOMES).nullable(),
    http_status: z.number().int().nullable(),
    error_code: z.number().int().nullable(),
    error_message: z.string().nullable(),
    retry_at: z.string().nullable(),
  })
  .openapi('Attempt');

export const JobResult = z
  .object({ pin_id: z.string(), pin_url: z.string(), verified: z.boolean() })
  .openapi('JobResult');

export const JobFailure = z
  .object({
    route: z.enum(['ops', 'client', 'engineering']),
    reason: z.string(),
    http_status: z.number().int().nullable(),
    error_code: z.number().int().nullable(),
    message: z.string(),
    remediation: z.string(),
    candidate_pin_ids: z
      .array(z.string())
      .optional()
      .openapi({ description: 'reason verification_ambiguous: the pins that match the job, none of them recorded by another job.' }),
  })
  .openapi('JobFailure');

export const StatusChange = z.object({ status: JobStatus, at: z.string() }).openapi('StatusChange');

export const INCIDENT_KINDS = ['message_dead_lettered', 'redispatched', 'lease_expired', 'stranded'] as const;

/**
 * Something that happened to the job's queue messages rather than to the job itself: a message
 * dead-lettered, a message re-sent because none was left alive, an abandoned claim recovered, or the
 * job stopped after too many re-sends.
 */
export const Incident = z
  .object({
    at: z.string(),
    kind: z.enum(INCIDENT_KINDS),
    queue: z.enum(['publish', 'delay']).optional().openapi({ description: 'The queue the message was on (message_dead_lettered).' }),
    receive_count: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'message_dead_lettered: approximate number of receives of the message, as reported by the dead-letter queue.' }),
    detail: z.string(),
  })
  .openapi('Incident');

export type Incident = z.infer<typeof Incident>;

export const Job = z
  .object({
    id: z.string().openapi({ example: 'job_0m4k7x2c9v1q8w3e5r6t7y8u9i' }),
    status: JobStatus,
    idempotency_key: z.string(),
    account_id: z.string(),
    pin: PinFields,
    publish_at: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    attempt_count: z.number().int().min(0),
    next_attempt_at: z.string().nullable(),
    attempts: z.array(Attempt),
    result: JobResult.nullable(),
    failure: JobFailure.nullable(),
    status_history: z.array(StatusChange),
    incidents: z.array(Incident).openapi({
      description: 'What happened to the job\'s queue messages (dead-lettered, re-sent, recovered), oldest first; empty for most jobs.',
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Job');

export type Job = z.infer<typeof Job>;

/** Corrections for a failed job's pin: any PinCreate field; the merged pin is validated as a whole. */
export const RequeueRequest = z
  .object({ pin: PinFields.partial().strict().optional() })
  .strict()
  .openapi('RequeueRequest');

export const AccountRate = z
  .object({
    limit: z.number().int().openapi({ description: "The account's configured creates per rolling 60 s window (rate_limit_per_minute or the default)." }),
    effective_limit: z
      .number()
      .int()
      .openapi({ description: 'Creates per rolling 60 s window pinrelay allows now: the configured limit, or less after Pinterest proved it accepts less; probes back up over minutes.' }),
    window_seconds: z.number().int(),
    capacity: z.number().openapi({ description: 'Burst of the write bucket at the effective limit.' }),
    refill_per_second: z.number(),
    tokens: z.number(),
    next_slot_at: z.string().openapi({ description: 'When the next create may go (now, after a Retry-After hold, or after the slots already reserved).' }),
    penalized: z.boolean().openapi({ description: 'The effective limit is below the configured one.' }),
    held_until: z.string().nullable().openapi({ description: 'No create before this: Pinterest answered a create with 429 and Retry-After.' }),
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

export const ListJobsQuery = z
  .object({
    status: JobStatus.optional(),
    account_id: AccountId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().min(1).max(2048).optional(),
  })
  .strict()
  .openapi('ListJobsQuery');

export const JobList = z
  .object({ items: z.array(Job), next_cursor: z.string().nullable() })
  .openapi('JobList');

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

export const CONNECTION_STATUSES = ['connected', 'reauthorization_required'] as const;

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

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.enum([
        'validation_error',
        'unauthorized',
        'not_found',
        'conflict',
        'idempotency_key_reused',
        'payload_too_large',
        'unsupported_media_type',
        'rate_limited',
        'internal',
      ]),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

// ---- webhooks: Webhook, CreateWebhookRequest, … (docs/adr/0011-webhooks.md) ----

export const WebhookEventType = z.enum(JOB_EVENT_TYPES).openapi('WebhookEventType', {
  description: 'A job event: one per job status.',
});

export const CreateWebhookRequest = z
  .object({
    url: z
      .string()
      .refine(isWellFormed, { message: WELL_FORMED_MESSAGE })
      .max(MAX_WEBHOOK_URL_LENGTH, { message: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` })
      .openapi({
        format: 'uri',
        maxLength: MAX_WEBHOOK_URL_LENGTH,
        example: 'https://hooks.example.com/pinrelay',
        description:
          'Absolute https:// URL. Refused: credentials in the URL, private, loopback, link-local, multicast and reserved addresses, ' +
          'cloud metadata endpoints, and host names that resolve to any of them when the subscription is created.',
      }),
    events: z
      .array(WebhookEventType)
      .min(1, { message: 'choose at least one event' })
      .max(JOB_EVENT_TYPES.length)
      .refine((events) => new Set(events).size === events.length, { message: 'each event at most once' }),
    description: text(200).optional(),
  })
  .strict()
  .openapi('CreateWebhookRequest');

export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequest>;

export const Webhook = z
  .object({
    id: z.string().openapi({ example: 'whk_8k3m9q2x7v1c4b6n0p5r' }),
    url: z.string().openapi({ description: 'The URL as EventBridge calls it (normalised).' }),
    events: z.array(WebhookEventType),
    description: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Webhook');

export type Webhook = z.infer<typeof Webhook>;

export const WebhookWithSecret = Webhook.extend({
  secret: z.string().openapi({
    description:
      'Sent with every delivery in the `x-pinrelay-webhook-secret` header. Shown only in this answer: store it now (rotate-secret makes a new one).',
    example: 'whsec_3q2+7w…',
  }),
}).openapi('WebhookWithSecret');

export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookList = z.object({ items: z.array(Webhook) }).openapi('WebhookList');

export const WebhookTestResult = z
  .object({
    event_id: z.string().openapi({ description: 'The `id` (and `webhook-id` header) of the webhook.test delivery to expect.' }),
  })
  .openapi('WebhookTestResult');

// ---- GET /v1/stats ----

const jobCount = z.number().int().min(0);

export const JobStatusCounts = z
  .object({
    scheduled: jobCount,
    queued: jobCount,
    running: jobCount,
    retry_scheduled: jobCount,
    succeeded: jobCount,
    failed: jobCount,
    cancelled: jobCount,
  })
  .openapi('JobStatusCounts');
export type JobStatusCounts = z.infer<typeof JobStatusCounts>;

export const AccountBacklog = z
  .object({ scheduled: jobCount, queued: jobCount, running: jobCount, retry_scheduled: jobCount, total: jobCount })
  .openapi('AccountBacklog', { description: "The account's jobs that are not finished, by status." });

export const AccountStats = z
  .object({
    account_id: z.string(),
    connection_status: z.enum(CONNECTION_STATUSES),
    backlog: AccountBacklog,
    rate: AccountRate,
  })
  .openapi('AccountStats', { description: 'One account: its unfinished jobs and its pacing state (`rate` is GET /v1/accounts/{account_id}/rate).' });

export const Stats = z
  .object({
    generated_at: z.string(),
    counts: JobStatusCounts.openapi({ description: "The tenant's jobs by status (terminal jobs are kept for jobRetentionDays)." }),
    total: jobCount,
    partial_counts: z.array(JobStatus).openapi({
      description: 'Statuses whose count stopped at its read budget (very large tenants): those counts are lower bounds. Usually empty.',
    }),
    last_hour: z
      .object({
        since: z.string(),
        succeeded: jobCount,
        failed: jobCount,
        per_minute: z.number().openapi({ description: '(succeeded + failed) / 60, two decimals.' }),
      })
      .openapi({
        description:
          'Jobs that became succeeded or failed in the last 60 minutes, among the jobs created in the last 24 hours ' +
          '(a job scheduled further ahead is in `counts` but not here).',
      }),
    accounts: z.array(AccountStats).openapi({ description: 'Per connected account, in account id order: backlog and pacing state.' }),
    accounts_truncated: z.boolean().openapi({ description: 'The tenant has more accounts than the 20 listed.' }),
  })
  .openapi('Stats');
export type Stats = z.infer<typeof Stats>;
