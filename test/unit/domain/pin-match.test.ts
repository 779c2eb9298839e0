import { describe, expect, it } from 'vitest';
import type { PinterestPin } from '../../../lambdas/use-cases/ports.ts';
import type { PinFields } from '../../../lambdas/domain/pin.ts';
import { findMatchingPin, normalizeLink, parsePinterestTime, type PinCandidate } from '../../../lambdas/domain/pin-match.ts';

const BOARD = '549755885175';
const STARTED = new Date('2026-03-01T12:00:00.000Z');

const INTENT: PinFields = {
  board_id: BOARD,
  title: 'Oak chair',
  description: 'Solid oak, hand finished.',
  link: 'https://example.com/products/oak-chair',
  media_source: { source_type: 'image_url', url: 'https://example.com/images/chair.jpg' },
};

/** What Pinterest lists for the pin we asked for, created 5 s after the first attempt started. */
function pin(overrides: Partial<PinCandidate> = {}): PinCandidate {
  return {
    id: '1000000000000000001',
    created_at: '2026-03-01T12:00:05',
    board_id: BOARD,
    board_section_id: null,
    title: 'Oak chair',
    description: 'Solid oak, hand finished.',
    link: 'https://example.com/products/oak-chair',
    ...overrides,
  };
}

describe('findMatchingPin: one candidate', () => {
  it.each([
    ['the pin as created', pin(), true],
    ['another board', pin({ board_id: '1' }), false],
    ['no board_id in the answer', pin({ board_id: undefined }), false],
    ['created 119 s before the first attempt (inside the skew)', pin({ created_at: '2026-03-01T11:58:01' }), true],
    ['created exactly at the skew edge', pin({ created_at: '2026-03-01T11:58:00' }), true],
    ['created 121 s before the first attempt', pin({ created_at: '2026-03-01T11:57:59' }), false],
    ['created long after (slow listing, late retry)', pin({ created_at: '2026-03-02T08:00:00' }), true],
    ['created_at with a zone', pin({ created_at: '2026-03-01T13:00:05+01:00' }), true],
    ['created_at with a zone, before the window', pin({ created_at: '2026-03-01T12:00:05+03:00' }), false],
    ['no created_at', pin({ created_at: undefined }), false],
    ['unparseable created_at', pin({ created_at: 'yesterday' }), false],
    ['link with a trailing slash added', pin({ link: 'https://example.com/products/oak-chair/' }), true],
    ['link with host case and default port changed', pin({ link: 'https://EXAMPLE.com:443/products/oak-chair' }), true],
    ['link with surrounding spaces', pin({ link: '  https://example.com/products/oak-chair ' }), true],
    ['another link', pin({ link: 'https://example.com/products/pine-chair' }), false],
    ['link with another query', pin({ link: 'https://example.com/products/oak-chair?utm=pin' }), false],
    ['link missing from the answer', pin({ link: null }), false],
    ['title with whitespace around it', pin({ title: '  Oak chair\n' }), true],
    ['title in another case', pin({ title: 'oak chair' }), false],
    ['title missing', pin({ title: null }), false],
    ['description with a line break where the intent has a space', pin({ description: 'Solid oak,\r\nhand finished.' }), false],
    ['another description', pin({ description: 'Pine.' }), false],
    ['another board section than the intent', pin({ board_section_id: '9' }), true], // the intent names none
  ] as const)('%s ⇒ match %s', (_what, candidate, matches) => {
    // Act
    const result = findMatchingPin([candidate], INTENT, STARTED);

    // Assess
    expect(result).toEqual(matches ? { pin: candidate, ambiguous: false } : null);
  });

  it.each([
    ['the same section', '77', '77', true],
    ['another section', '77', '78', false],
    ['a listing without the section', '77', undefined, true],
  ] as const)('board section: %s', (_what, wanted, listed, matches) => {
    // Prepare
    const intent = { ...INTENT, board_section_id: wanted };
    const candidate = pin(listed === undefined ? {} : { board_section_id: listed });
    if (listed === undefined) delete (candidate as { board_section_id?: unknown }).board_section_id;

    // Act / Assess
    expect(findMatchingPin([candidate], intent, STARTED) !== null).toBe(matches);
  });

  it('normalises CRLF on both sides', () => {
    const intent = { ...INTENT, description: 'Solid oak,\r\nhand finished.' };
    expect(findMatchingPin([pin({ description: 'Solid oak,\nhand finished.' })], intent, STARTED)).not.toBeNull();
  });

  it('normalises Unicode (NFC vs NFD)', () => {
    const intent = { ...INTENT, title: 'Caf\u00e9 chair' };
    expect(findMatchingPin([pin({ title: 'Cafe\u0301 chair' })], intent, STARTED)).not.toBeNull();
  });

  it('follows a custom clock skew', () => {
    const candidate = pin({ created_at: '2026-03-01T11:59:00' });
    expect(findMatchingPin([candidate], INTENT, STARTED, { clockSkewSeconds: 30 })).toBeNull();
    expect(findMatchingPin([candidate], INTENT, STARTED, { clockSkewSeconds: 60 })).not.toBeNull();
  });

  it('ignores fields the intent does not set', () => {
    // Prepare: only a link; Pinterest filled in a title of its own
    const intent: PinFields = { board_id: BOARD, link: INTENT.link!, media_source: INTENT.media_source };

    // Act / Assess
    expect(findMatchingPin([pin({ title: 'Scraped title', description: null })], intent, STARTED)).not.toBeNull();
  });
});

describe('findMatchingPin: several candidates', () => {
  it('returns null for an empty board', () => {
    expect(findMatchingPin([], INTENT, STARTED)).toBeNull();
  });

  it('picks the one that matches among others', () => {
    // Prepare
    const ours = pin({ id: '3' });
    const candidates = [pin({ id: '1', title: 'Pine chair' }), ours, pin({ id: '2', created_at: '2026-02-01T00:00:00' })];

    // Act / Assess
    expect(findMatchingPin(candidates, INTENT, STARTED)).toEqual({ pin: ours, ambiguous: false });
  });

  it('returns the oldest of several matches, flagged ambiguous', () => {
    // Prepare: listed newest first, as Pinterest does
    const later = pin({ id: '1000000000000000009', created_at: '2026-03-01T12:03:00' });
    const earlier = pin({ id: '1000000000000000005', created_at: '2026-03-01T12:00:04' });

    // Act / Assess
    expect(findMatchingPin([later, earlier], INTENT, STARTED)).toEqual({ pin: earlier, ambiguous: true });
  });

  it('breaks a created_at tie by the numerically smaller id', () => {
    const big = pin({ id: '10000000000000000010' });
    const small = pin({ id: '9000000000000000001' });
    expect(findMatchingPin([big, small], INTENT, STARTED)?.pin).toBe(small);
  });

  describe('intent with none of link, title, description: board + time window only', () => {
    const bare: PinFields = { board_id: BOARD, media_source: INTENT.media_source };

    it.each([
      ['one pin in the window', [pin({ id: '7', title: 'Anything' })], '7', false],
      ['two pins in the window', [pin({ id: '8', created_at: '2026-03-01T12:01:00' }), pin({ id: '7' })], '7', true],
      ['only an old pin', [pin({ id: '6', created_at: '2026-02-27T09:00:00' })], null, false],
      ['a pin on another board', [pin({ id: '5', board_id: '1' })], null, false],
    ] as const)('%s', (_what, candidates, id, ambiguous) => {
      // Act
      const result = findMatchingPin(candidates, bare, STARTED);

      // Assess
      if (id === null) expect(result).toBeNull();
      else expect(result).toMatchObject({ pin: { id }, ambiguous });
    });
  });
});

describe('findMatchingPin: what the Pinterest adapter lists', () => {
  it('takes PinterestPin[] as is and returns the same object', () => {
    // Prepare: extra fields Pinterest sends are carried along untouched
    const listed: PinterestPin[] = [{ ...pin(), media: { media_type: 'image' }, is_owner: true }];

    // Act
    const result = findMatchingPin(listed, INTENT, STARTED);

    // Assess
    expect(result?.pin).toBe(listed[0]);
  });
});

describe('parsePinterestTime', () => {
  it.each([
    ['zone-less means UTC', '2026-03-01T12:00:05', Date.UTC(2026, 2, 1, 12, 0, 5)],
    ['fractions', '2026-03-01T12:00:05.250', Date.UTC(2026, 2, 1, 12, 0, 5, 250)],
    ['Z', '2026-03-01T12:00:05Z', Date.UTC(2026, 2, 1, 12, 0, 5)],
    ['offset', '2026-03-01T14:00:05+02:00', Date.UTC(2026, 2, 1, 12, 0, 5)],
    ['empty', '', null],
    ['garbage', 'soon', null],
    ['absent', undefined, null],
  ] as const)('%s', (_what, value, expected) => {
    expect(parsePinterestTime(value)).toBe(expected);
  });
});

describe('normalizeLink', () => {
  it.each([
    ['https://example.com', 'https://example.com'],
    ['https://example.com/', 'https://example.com'],
    ['https://example.com/a/', 'https://example.com/a'],
    ['https://example.com/a/?q=1', 'https://example.com/a?q=1'],
    ['HTTPS://Example.COM:443/a', 'https://example.com/a'],
    ['http://example.com:8080/a', 'http://example.com:8080/a'],
    ['not a url/', 'not a url'],
  ])('%s ⇒ %s', (input, expected) => {
    expect(normalizeLink(input)).toBe(expected);
  });
});
