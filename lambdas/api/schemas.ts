import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/**
 * The single source of truth for pinrelay's public API (STYLE §6): request validation, response types
 * and the OpenAPI document (lambdas/api/openapi.ts) all come from these schemas.
 * Pin fields mirror Pinterest API v5 PinCreate and its limits (DESIGN §2).
 */
extendZodWithOpenApi(z);

/** Pinterest counts characters, not UTF-16 units: "≤ 100" means 100 code points. */
const text = (max: number) =>
  z
    .string()
    .refine((s) => [...s].length <= max, { message: `must be at most ${max} characters` })
    .openapi({ maxLength: max });

const digits = (what: string) =>
  z.string().regex(/^\d{1,64}$/, { message: `${what} must be a string of digits` });

/** Absolute http(s) URL, as Pinterest requires for links and media. */
export const httpUrl = z
  .string()
  .max(2048, { message: 'must be at most 2048 characters' })
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
  .openapi({ format: 'uri', example: 'https://example.com/images/chair.jpg' });

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
    index: z.number().int().min(0).max(4).optional(),
  })
  .strict()
  .openapi('MultipleImageUrlsSource');

export const VideoIdSource = z
  .object({
    source_type: z.literal('video_id'),
    media_id: digits('media_id'),
    cover_image_url: httpUrl.optional(),
    cover_image_key_frame_time: z.number().min(0).optional(),
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

export const Metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= MAX_METADATA_BYTES, {
    message: `metadata must serialise to at most ${MAX_METADATA_BYTES} bytes of JSON`,
  })
  .openapi({ description: 'Your own data, echoed in job events (≤ 2 KB as JSON).', example: { post_id: 'cms-4411' } });

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

/** 1–255 visible ASCII characters (0x21–0x7E), as in DESIGN §3. */
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
  })
  .openapi('JobFailure');

export const StatusChange = z.object({ status: JobStatus, at: z.string() }).openapi('StatusChange');

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
    limit: z.number().int().openapi({ description: 'Requests per rolling 60 s window for this account.' }),
    window_seconds: z.number().int(),
    capacity: z.number(),
    refill_per_second: z.number(),
    tokens: z.number(),
    next_slot_at: z.string().openapi({ description: 'When the next request may go (now, or the next reserved slot).' }),
    penalized: z.boolean().openapi({ description: 'Slowed down after a 429 without Retry-After; recovers gradually.' }),
  })
  .openapi('AccountRate');

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

export const PutAccountRequest = z
  .object({
    access_token: z.string().min(1).max(4096),
    refresh_token: z.string().min(1).max(4096).optional(),
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
