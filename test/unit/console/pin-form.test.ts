import { describe, expect, it } from 'vitest';
import type { PinFields } from '../../../console/src/api/client.ts';
import { correctionsFrom, fieldErrorsFromApi, fieldsFor, formFromPin, validateRequeue } from '../../../console/src/pin-form.ts';

/**
 * Invariant: the requeue form sends exactly the fields an operator changed (so the API's merge keeps the
 * rest), offers only fields the pin has, and shows every API 400 detail next to the field it names.
 */

const imagePin: PinFields = {
  board_id: '999',
  title: 'Chair',
  link: 'https://example.com/chair',
  media_source: { source_type: 'image_url', url: 'https://example.com/chair.jpg', is_standard: true },
};
const carouselPin: PinFields = {
  board_id: '999',
  media_source: {
    source_type: 'multiple_image_urls',
    items: [{ url: 'https://example.com/1.jpg' }, { url: 'https://example.com/2.jpg' }],
  },
};

describe('the requeue form', () => {
  it('is prefilled from the pin, absent fields empty', () => {
    expect(formFromPin(imagePin)).toEqual({
      board_id: '999',
      board_section_id: '',
      title: 'Chair',
      description: '',
      link: 'https://example.com/chair',
      alt_text: '',
      image_url: 'https://example.com/chair.jpg',
    });
  });

  it('offers Image URL only for an image_url pin', () => {
    expect(fieldsFor(imagePin).map((f) => f.label)).toContain('Image URL');
    expect(fieldsFor(carouselPin).map((f) => f.label)).toEqual([
      'Board ID',
      'Board section ID',
      'Title',
      'Description',
      'Link',
      'Alt text',
    ]);
  });

  it('sends nothing when nothing changed', () => {
    expect(correctionsFrom(imagePin, formFromPin(imagePin))).toEqual({});
  });

  it('sends only the changed fields; an image URL change keeps the rest of the media source', () => {
    const form = { ...formFromPin(imagePin), board_id: '1234567890', image_url: 'https://example.com/new.jpg' };

    expect(correctionsFrom(imagePin, form)).toEqual({
      board_id: '1234567890',
      media_source: { source_type: 'image_url', url: 'https://example.com/new.jpg', is_standard: true },
    });
  });

  it('sends an emptied field as "" (leaving it out would keep the old value), and the rules judge it', () => {
    const form = { ...formFromPin(imagePin), title: '', link: '' };
    const result = validateRequeue(imagePin, form);

    expect(result.corrections).toEqual({ title: '', link: '' });
    expect(result.errors).toEqual({ link: ['must be an absolute http(s) URL'] });
  });

  it('refuses a non-digit board id on the Board ID field', () => {
    const result = validateRequeue(imagePin, { ...formFromPin(imagePin), board_id: 'abc' });

    expect(result.valid).toBe(false);
    expect(result.errors).toEqual({ board_id: ['board_id must be a string of digits'] });
  });
});

describe("the API's 400 details on the form", () => {
  it('lands each detail on the field its path names', () => {
    expect(
      fieldErrorsFromApi([
        { path: 'pin.board_id', message: 'board_id must be a string of digits' },
        { path: 'pin.media_source.url', message: 'must be an absolute http(s) URL' },
        { path: 'pin.title', message: 'must be at most 100 characters' },
        { path: 'pin.title', message: 'must be well-formed Unicode' },
      ]),
    ).toEqual({
      board_id: ['board_id must be a string of digits'],
      image_url: ['must be an absolute http(s) URL'],
      title: ['must be at most 100 characters', 'must be well-formed Unicode'],
    });
  });

  it('keeps details for fields the form lacks as form-level messages, with their path', () => {
    expect(
      fieldErrorsFromApi([
        { path: 'pin.note', message: 'must be at most 500 characters' },
        { path: '(root)', message: 'empty body' },
        { path: 'pin', message: 'unknown field' },
      ]),
    ).toEqual({ form: ['pin.note: must be at most 500 characters', '(root): empty body', 'pin: unknown field'] });
  });
});
