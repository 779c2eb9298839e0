import type { PinProblem } from '../../domain/pin.ts';
import { AccountId } from './account.ts';
import { digits, httpUrl, isNegativeZero, NUMBER_MESSAGES, storableNumber, text } from './fields.ts';
import { Metadata } from './metadata.ts';
import * as z from 'zod';
import './zod.ts';

/**
 * The pin on the wire: Pinterest API v5 PinCreate and its limits (lambdas/domain/pin.ts is the same
 * pin as the domain sees it), and POST /v1/pins. Request schemas accept only what intake can store in
 * DynamoDB and serve back unchanged, so a request is either a 4xx naming the field or a job that reads
 * back exactly as sent — never a 5xx from the write.
 */

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
    index: z
      .number()
      .int()
      .min(0)
      .max(4)
      .refine((n) => !isNegativeZero(n), { message: NUMBER_MESSAGES.negativeZero })
      .optional(),
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

/**
 * The pin rules for a pin built from parts (a requeue merges corrections into the stored pin): each
 * problem with its path inside the pin, as zod reports it. Injected into the use cases that need it.
 */
export function pinProblems(pin: unknown): PinProblem[] {
  const parsed = PinFields.safeParse(pin);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message }));
}

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
