/**
 * The API's rules for the pin fields the requeue form edits, for the browser: the same checks and the same
 * messages as lambdas/api/schemas/fields.ts and pin.ts. Importing those zod schemas would put zod in the
 * bundle (~95 KB gzipped, two thirds of the console's first-load budget), so the rules are written again
 * here and test/unit/console/pin-rules.test.ts checks them against the zod schema on many generated inputs:
 * both must report the same messages for the same field.
 */

/** An unpaired UTF-16 surrogate (no UTF-8 encoding). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (it contains an unpaired surrogate, \\uD800–\\uDFFF)';

/** Characters as Pinterest counts them: code points, not UTF-16 units. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function textProblems(value: string, max: number): string[] {
  const problems: string[] = [];
  if (LONE_SURROGATE.test(value)) problems.push(WELL_FORMED_MESSAGE);
  if (codePoints(value) > max) problems.push(`must be at most ${max} characters`);
  return problems;
}

export function digitsProblems(value: string, what: string): string[] {
  return /^\d{1,64}$/.test(value) ? [] : [`${what} must be a string of digits`];
}

function isAbsoluteHttpUrl(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return false;
  if (!/^https?:\/\/[^/\\]/i.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

export function httpUrlProblems(value: string): string[] {
  const problems: string[] = [];
  if (LONE_SURROGATE.test(value)) problems.push(WELL_FORMED_MESSAGE);
  if (codePoints(value) > 2048) problems.push('must be at most 2048 characters');
  if (!isAbsoluteHttpUrl(value)) problems.push('must be an absolute http(s) URL');
  return problems;
}

/** The rule of each editable field: its problems, or [] when the API accepts it. */
export const FIELD_RULES = {
  board_id: (v: string) => digitsProblems(v, 'board_id'),
  board_section_id: (v: string) => digitsProblems(v, 'board_section_id'),
  title: (v: string) => textProblems(v, 100),
  description: (v: string) => textProblems(v, 800),
  link: httpUrlProblems,
  alt_text: (v: string) => textProblems(v, 500),
  image_url: httpUrlProblems,
} as const;
