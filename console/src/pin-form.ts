import type { ErrorDetail, PinFields, RequeueRequest } from './api/client.ts';
import { FIELD_RULES } from './pin-rules.ts';

/**
 * The requeue form: a failed job's pin fields, corrected by an operator. The page checks the pin as the API
 * will merge it — `{...pin, ...corrections}` — with the API's own rules (./pin-rules.ts, checked against the
 * zod schema), so it refuses what the API refuses, with the same messages. The API's own 400 details land
 * on the same fields.
 */

export type FieldName = 'board_id' | 'board_section_id' | 'title' | 'description' | 'link' | 'alt_text' | 'image_url';

export interface FieldSpec {
  readonly name: FieldName;
  readonly label: string;
  /** Where the value lives in the pin (and in zod's issue paths). */
  readonly path: readonly string[];
  readonly multiline?: boolean;
}

export const FIELD_SPECS: readonly FieldSpec[] = [
  { name: 'board_id', label: 'Board ID', path: ['board_id'] },
  { name: 'board_section_id', label: 'Board section ID', path: ['board_section_id'] },
  { name: 'title', label: 'Title', path: ['title'] },
  { name: 'description', label: 'Description', path: ['description'], multiline: true },
  { name: 'link', label: 'Link', path: ['link'] },
  { name: 'alt_text', label: 'Alt text', path: ['alt_text'], multiline: true },
  { name: 'image_url', label: 'Image URL', path: ['media_source', 'url'] },
];

export type FormValues = Partial<Record<FieldName, string>>;
/** Messages per field; `form` holds problems that belong to no field of the form. */
export type FieldErrors = Partial<Record<FieldName | 'form', string[]>>;

/** The fields this pin can be corrected in: the image URL only for an image_url pin. */
export function fieldsFor(pin: PinFields): FieldSpec[] {
  return FIELD_SPECS.filter((f) => f.name !== 'image_url' || pin.media_source.source_type === 'image_url');
}

/** The form, prefilled from the job's pin (absent fields are empty). */
export function formFromPin(pin: PinFields): FormValues {
  const values: FormValues = {};
  for (const field of fieldsFor(pin)) {
    if (field.name === 'image_url') values.image_url = pin.media_source.source_type === 'image_url' ? pin.media_source.url : '';
    else values[field.name] = pin[field.name] ?? '';
  }
  return values;
}

/**
 * The corrections to send: every field of the form whose value differs from the job's pin. An emptied field is sent
 * as "" (the API merges corrections over the pin, so leaving it out would keep the old value); the schema
 * decides whether "" is acceptable there.
 */
export function correctionsFrom(pin: PinFields, form: FormValues): NonNullable<RequeueRequest['pin']> {
  const original = formFromPin(pin);
  const corrections: NonNullable<RequeueRequest['pin']> = {};
  for (const field of fieldsFor(pin)) {
    const value = form[field.name];
    if (value === undefined || value === (original[field.name] ?? '')) continue; // left out or unchanged: keep the pin's
    if (field.name === 'image_url') {
      if (pin.media_source.source_type === 'image_url') corrections.media_source = { ...pin.media_source, url: value };
    } else corrections[field.name] = value;
  }
  return corrections;
}

function fieldAt(path: readonly (string | number)[]): FieldName | 'form' {
  const key = path.map(String).join('.');
  return FIELD_SPECS.find((f) => f.path.join('.') === key)?.name ?? 'form';
}

function addError(errors: FieldErrors, field: FieldName | 'form', message: string): void {
  const list = errors[field] ?? [];
  if (!list.includes(message)) list.push(message);
  errors[field] = list;
}

export interface Validation {
  readonly corrections: NonNullable<RequeueRequest['pin']>;
  readonly errors: FieldErrors;
  readonly valid: boolean;
}

/** The value a field has in a pin: undefined when the pin has no such field. */
function valueIn(pin: PinFields, field: FieldSpec): string | undefined {
  if (field.name === 'image_url') return pin.media_source.source_type === 'image_url' ? pin.media_source.url : undefined;
  return pin[field.name];
}

/**
 * The corrections, and the problems the API would report for the merged pin, per field. The rest of the pin
 * is the job's own, which the API accepted when the job was created.
 */
export function validateRequeue(pin: PinFields, form: FormValues): Validation {
  const corrections = correctionsFrom(pin, form);
  const merged: PinFields = { ...pin, ...corrections };
  const errors: FieldErrors = {};
  for (const field of fieldsFor(pin)) {
    const value = valueIn(merged, field);
    if (value === undefined) continue;
    for (const problem of FIELD_RULES[field.name](value)) addError(errors, field.name, problem);
  }
  return { corrections, errors, valid: Object.keys(errors).length === 0 };
}

/** The API's 400 details (`pin.board_id`, `pin.media_source.url`, …) placed on the form's fields. */
export function fieldErrorsFromApi(details: readonly ErrorDetail[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const detail of details) {
    const path = detail.path.replace(/^pin\.?/, '');
    const where = path === '' ? 'form' : fieldAt(path.split('.'));
    addError(errors, where, where === 'form' ? `${detail.path || 'body'}: ${detail.message}` : detail.message);
  }
  return errors;
}
