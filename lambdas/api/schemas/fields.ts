import * as z from 'zod';
import './zod.ts';

/**
 * The field rules the request schemas share: text as Pinterest counts it, numbers DynamoDB returns
 * unchanged, digit strings and absolute http(s) URLs. Messages never quote the caller's input: it may hold
 * secrets, and errors are logged.
 */

/** An unpaired UTF-16 surrogate: it has no UTF-8 encoding, so DynamoDB, logs and Pinterest would refuse or mangle it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (it contains an unpaired surrogate, \\uD800–\\uDFFF)';
export const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** Pinterest counts characters, not UTF-16 units: "≤ 100" means 100 code points (an emoji is one). */
const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

export const text = (max: number) =>
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
export const NUMBER_MESSAGES = {
  finite: 'must be a finite number',
  range: `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} (2^53 − 1); send larger values, such as ids, as strings`,
  negativeZero: 'must not be negative zero (it would be stored as 0); send 0',
  tiny: 'must be 0 or at least 1e-130 in magnitude',
} as const;
export const isNegativeZero = (n: number) => Object.is(n, -0);
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
export const storableNumber = () =>
  z
    .number()
    .min(-Number.MAX_SAFE_INTEGER, { message: NUMBER_MESSAGES.range })
    .max(Number.MAX_SAFE_INTEGER, { message: NUMBER_MESSAGES.range })
    .refine((n) => !isNegativeZero(n), { message: NUMBER_MESSAGES.negativeZero })
    .refine((n) => !isTiny(n), { message: NUMBER_MESSAGES.tiny });

export const digits = (what: string) => z.string().regex(/^\d{1,64}$/, { message: `${what} must be a string of digits` });

/** Absolute http(s) URL, as Pinterest requires for links and media; ≤ 2048 characters counted like text. */
export const httpUrl = z
  .string()
  .refine(isWellFormed, { message: WELL_FORMED_MESSAGE })
  .refine((s) => codePoints(s) <= 2048, { message: 'must be at most 2048 characters' })
  .refine(
    (value) => {
      // No whitespace or control characters anywhere: WHATWG URL parsing would silently strip or encode them.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
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
