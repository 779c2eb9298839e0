/** The pins created, and the Pin JSON Pinterest answers with (ids, media renditions, colours). */
import { createHash, randomInt } from 'node:crypto';
import type { PinInput } from './pin-create.ts';
import type { SandboxPin } from './types.ts';
import { optional } from './values.ts';

export interface PinRecord {
  /** Creation order; the bookmark of a board listing points into it. */
  seq: number;
  pin: SandboxPin;
  json: Record<string, unknown>;
}

export class PinStore {
  private records: PinRecord[] = [];
  private pinSeq = 0;

  add(username: string, input: PinInput, nowMs: number): PinRecord {
    const seq = ++this.pinSeq;
    // 18 digits like real pin ids; the stride keeps them unique without a clock.
    const id = String(100_000_000_000_000_000n + BigInt(seq) * 1009n + BigInt(randomInt(1009)));
    const createdAt = new Date(nowMs).toISOString().slice(0, 19); // Pinterest: no ms, no zone
    const pin: SandboxPin = {
      id,
      board_id: input.board_id,
      ...optional('board_section_id', input.board_section_id),
      ...optional('title', input.title),
      ...optional('description', input.description),
      ...optional('link', input.link),
      ...optional('alt_text', input.alt_text),
      ...optional('note', input.note),
      ...optional('dominant_color', input.dominant_color),
      ...optional('parent_pin_id', input.parent_pin_id),
      media_source: structuredClone(input.media_source),
      created_at: createdAt,
      user: username,
    };
    const media = mediaOf(input.media_source);
    const json: Record<string, unknown> = {
      id,
      created_at: createdAt,
      link: input.link ?? null,
      title: input.title ?? null,
      description: input.description ?? null,
      dominant_color: input.dominant_color ?? colorOf(JSON.stringify(input.media_source)),
      alt_text: input.alt_text ?? null,
      creative_type: media.creativeType,
      board_id: input.board_id,
      board_section_id: input.board_section_id ?? null,
      board_owner: { username },
      is_owner: true,
      media: media.json,
      parent_pin_id: input.parent_pin_id ?? null,
      is_standard: true,
      has_been_promoted: false,
      note: input.note ?? null,
      pin_metrics: null,
    };
    const record = { seq, pin, json };
    this.records.push(record);
    return record;
  }

  /** Copies of the pins, in creation order. */
  list(filter: { boardId?: string; user?: string } = {}): SandboxPin[] {
    return this.records
      .filter(
        ({ pin }) =>
          (filter.boardId === undefined || pin.board_id === filter.boardId) && (filter.user === undefined || pin.user === filter.user),
      )
      .map(({ pin }) => structuredClone(pin));
  }

  byId(pinId: string): PinRecord | undefined {
    return this.records.find((r) => r.pin.id === pinId);
  }

  /** A board's pins created before `beforeSeq`, newest first. */
  onBoard(boardId: string, beforeSeq: number): PinRecord[] {
    return this.records.filter((r) => r.pin.board_id === boardId && r.seq < beforeSeq).reverse();
  }

  countBy(username: string): number {
    return this.records.filter((r) => r.pin.user === username).length;
  }

  /** Forgets the pins; ids keep counting, so none is ever reused. */
  clear(): void {
    this.records = [];
  }
}

function mediaOf(source: Record<string, unknown>): { creativeType: string; json: Record<string, unknown> } {
  switch (source.source_type) {
    case 'multiple_image_urls':
      return {
        creativeType: 'CAROUSEL',
        json: {
          media_type: 'multiple_images',
          items: (source.items as Array<Record<string, unknown>>).map((item) => ({
            item_type: 'image',
            title: item.title ?? null,
            description: item.description ?? null,
            link: item.link ?? null,
            images: imageSet(item.url as string),
          })),
        },
      };
    case 'video_id':
      return {
        creativeType: 'VIDEO',
        json: {
          media_type: 'video',
          cover_image_url: typeof source.cover_image_url === 'string' ? imageSet(source.cover_image_url)['1200x'].url : null,
          video_url: null,
          duration: null,
          height: null,
          width: null,
        },
      };
    case 'image_base64':
      return { creativeType: 'REGULAR', json: { media_type: 'image', images: imageSet(source.data as string) } };
    default:
      return { creativeType: 'REGULAR', json: { media_type: 'image', images: imageSet(source.url as string) } };
  }
}

/** The four renditions Pinterest returns, on its CDN's URL scheme (the sandbox serves none of them). */
function imageSet(source: string) {
  const hash = createHash('md5').update(source).digest('hex');
  const file = `${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash.slice(4, 6)}/${hash}.jpg`;
  const rendition = (size: string, width: number, height: number) => ({ width, height, url: `https://i.pinimg.com/${size}/${file}` });
  return {
    '150x150': rendition('150x150', 150, 150),
    '400x300': rendition('400x300', 400, 300),
    '600x': rendition('600x', 600, 900),
    '1200x': rendition('1200x', 1200, 1800),
  };
}

function colorOf(seed: string): string {
  return `#${createHash('md5').update(seed).digest('hex').slice(0, 6).toUpperCase()}`;
}
