/**
 * PinCreate as Pinterest validates it: field types and lengths, URLs, the four media source types, and
 * image content faults triggered by the URL. Written from Pinterest's API description, not from pinrelay's
 * own schemas: the sandbox is the oracle pinrelay is tested against, so it must not share its assumptions.
 */
import { ERRORS, PinterestError, invalidParameter } from './errors.ts';
import { optional } from './values.ts';

const LIMITS = { title: 100, description: 800, link: 2048, alt_text: 500, note: 500 } as const;

export interface PinInput {
  board_id: string;
  board_section_id?: string;
  title?: string;
  description?: string;
  link?: string;
  alt_text?: string;
  note?: string;
  dominant_color?: string;
  parent_pin_id?: string;
  media_source: Record<string, unknown>;
}

export function parsePinCreate(raw: string): PinInput {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw invalidParameter('the request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('the request body must be a JSON object.');
  const input = body as Record<string, unknown>;

  const boardId = input.board_id;
  if (boardId === undefined || boardId === null) throw invalidParameter("'board_id' is a required property.");
  const link = optionalText(input, 'link', LIMITS.link);
  if (link !== undefined && !isHttpUrl(link)) throw PinterestError.of(ERRORS.invalidUrl);
  const dominantColor = optionalText(input, 'dominant_color', 7);
  if (dominantColor !== undefined && !/^#[0-9A-Fa-f]{6}$/.test(dominantColor))
    throw invalidParameter("'dominant_color' must be a hex color like #6E7874.");
  if (input.media_source === undefined || input.media_source === null) throw invalidParameter("'media_source' is a required property.");

  return {
    board_id: requiredDigitString(input, 'board_id'),
    ...optional('board_section_id', digitString(input, 'board_section_id')),
    ...optional('title', optionalText(input, 'title', LIMITS.title)),
    ...optional('description', optionalText(input, 'description', LIMITS.description)),
    ...optional('link', link),
    ...optional('alt_text', optionalText(input, 'alt_text', LIMITS.alt_text)),
    ...optional('note', optionalText(input, 'note', LIMITS.note)),
    ...optional('dominant_color', dominantColor),
    ...optional('parent_pin_id', digitString(input, 'parent_pin_id')),
    media_source: parseMediaSource(input.media_source),
  };
}

function parseMediaSource(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidParameter("'media_source' must be an object.");
  const source = value as Record<string, unknown>;
  const type = source.source_type;
  switch (type) {
    case 'image_url': {
      requireUrl(source, 'url', 'media_source.url');
      optionalBoolean(source, 'is_standard', 'media_source.is_standard');
      break;
    }
    case 'image_base64': {
      const contentType = source.content_type;
      if (contentType !== 'image/jpeg' && contentType !== 'image/png')
        throw invalidParameter("'media_source.content_type' must be image/jpeg or image/png.");
      const data = source.data;
      if (typeof data !== 'string' || data === '' || !/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(data))
        throw invalidParameter("'media_source.data' must be base64 image data.");
      optionalBoolean(source, 'is_standard', 'media_source.is_standard');
      break;
    }
    case 'multiple_image_urls': {
      const items = source.items;
      if (!Array.isArray(items) || items.length < 2 || items.length > 5)
        throw invalidParameter("'media_source.items' must be an array of 2 to 5 images.");
      items.forEach((item, index) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item))
          throw invalidParameter(`'media_source.items[${index}]' must be an object.`);
        const image = item as Record<string, unknown>;
        requireUrl(image, 'url', `media_source.items[${index}].url`);
        optionalText(image, 'title', LIMITS.title, `media_source.items[${index}].title`);
        optionalText(image, 'description', LIMITS.description, `media_source.items[${index}].description`);
        const itemLink = optionalText(image, 'link', LIMITS.link, `media_source.items[${index}].link`);
        if (itemLink !== undefined && !isHttpUrl(itemLink)) throw PinterestError.of(ERRORS.invalidUrl);
      });
      const index = source.index;
      if (index !== undefined && index !== null && !(Number.isInteger(index) && (index as number) >= 0)) {
        throw invalidParameter("'media_source.index' must be a non-negative integer.");
      }
      break;
    }
    case 'video_id': {
      const mediaId = source.media_id;
      if (typeof mediaId !== 'string' || !/^\d+$/.test(mediaId))
        throw invalidParameter("'media_source.media_id' must be a string of digits.");
      const cover = source.cover_image_url;
      const keyFrame = source.cover_image_key_frame_time;
      const hasCover = cover !== undefined && cover !== null;
      const hasKeyFrame = keyFrame !== undefined && keyFrame !== null;
      if (hasCover === hasKeyFrame)
        throw invalidParameter("'media_source' needs exactly one of cover_image_url and cover_image_key_frame_time.");
      if (hasCover) requireUrl(source, 'cover_image_url', 'media_source.cover_image_url');
      if (hasKeyFrame && !(typeof keyFrame === 'number' && Number.isFinite(keyFrame) && keyFrame >= 0)) {
        throw invalidParameter("'media_source.cover_image_key_frame_time' must be a non-negative number.");
      }
      break;
    }
    default:
      throw invalidParameter(
        `'media_source.source_type' ${JSON.stringify(type ?? null)} is not one of image_url, image_base64, multiple_image_urls, video_id.`,
      );
  }
  return structuredClone(source);
}

/** Deterministic content faults users can trigger from outside: the image URL's path decides. */
export function checkImageContent(source: Record<string, unknown>): void {
  const urls: string[] = [];
  if (typeof source.url === 'string') urls.push(source.url);
  if (typeof source.cover_image_url === 'string') urls.push(source.cover_image_url);
  if (Array.isArray(source.items)) for (const item of source.items as Array<Record<string, unknown>>) urls.push(item.url as string);
  for (const url of urls) {
    const path = new URL(url).pathname.toLowerCase();
    if (path.includes('too-small')) throw PinterestError.of(ERRORS.imageTooSmall);
    if (path.includes('broken')) throw PinterestError.of(ERRORS.brokenImage);
  }
}

function optionalText(input: Record<string, unknown>, key: string, max: number, name = key): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`'${name}' must be a string.`);
  // Characters, not UTF-16 units: an emoji counts once.
  const length = [...value].length;
  if (length > max) throw invalidParameter(`'${name}' must be at most ${max} characters (was ${length}).`);
  return value;
}

function digitString(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^\d{1,32}$/.test(value)) throw invalidParameter(`'${key}' must be a string of digits.`);
  return value;
}

function requiredDigitString(input: Record<string, unknown>, key: string): string {
  const value = digitString(input, key);
  if (value === undefined) throw invalidParameter(`'${key}' is a required property.`);
  return value;
}

function requireUrl(input: Record<string, unknown>, key: string, name: string): void {
  const value = input[key];
  if (value === undefined || value === null) throw invalidParameter(`'${name}' is a required property.`);
  if (typeof value !== 'string' || [...value].length > LIMITS.link || !isHttpUrl(value)) throw PinterestError.of(ERRORS.invalidUrl);
}

function optionalBoolean(input: Record<string, unknown>, key: string, name: string): void {
  const value = input[key];
  if (value !== undefined && value !== null && typeof value !== 'boolean') throw invalidParameter(`'${name}' must be a boolean.`);
}

function isHttpUrl(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters and refuse the URL.
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
