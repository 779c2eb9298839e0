/**
 * The pin a job publishes: Pinterest API v5 PinCreate, as pinrelay forwards it. Plain types; the rules a
 * caller's pin must meet (lengths, URLs, digits) are the HTTP contract's (lambdas/api/schemas/pin.ts), and
 * lambdas/api/domain-match.ts proves at compile time that it describes exactly these types.
 */

export interface ImageUrlSource {
  source_type: 'image_url';
  url: string;
  is_standard?: boolean | undefined;
}

export interface ImageBase64Source {
  source_type: 'image_base64';
  content_type: 'image/jpeg' | 'image/png';
  data: string;
  is_standard?: boolean | undefined;
}

export interface CarouselItem {
  url: string;
  title?: string | undefined;
  description?: string | undefined;
  link?: string | undefined;
}

export interface MultipleImageUrlsSource {
  source_type: 'multiple_image_urls';
  items: CarouselItem[];
  index?: number | undefined;
}

export interface VideoIdSource {
  source_type: 'video_id';
  media_id: string;
  cover_image_url?: string | undefined;
  cover_image_key_frame_time?: number | undefined;
  is_standard?: boolean | undefined;
}

export type MediaSource = ImageUrlSource | ImageBase64Source | MultipleImageUrlsSource | VideoIdSource;

export interface PinFields {
  board_id: string;
  board_section_id?: string | undefined;
  title?: string | undefined;
  description?: string | undefined;
  link?: string | undefined;
  alt_text?: string | undefined;
  note?: string | undefined;
  dominant_color?: string | undefined;
  parent_pin_id?: string | undefined;
  media_source: MediaSource;
}

/** Corrections to a failed job's pin (a requeue): any PinCreate field; the merged pin must be valid as a whole. */
export type PinCorrections = Partial<PinFields>;

/** One field a pin breaks a rule on: its path inside the pin (`media_source.url`, `title`) and why. */
export interface PinProblem {
  readonly path: readonly string[];
  readonly message: string;
}
