import { isWellFormed, numberProblem, WELL_FORMED_MESSAGE } from './fields.ts';
import * as z from 'zod';
import './zod.ts';

/**
 * A job's `metadata`: the caller's own JSON, echoed in job events. Accepted only when DynamoDB can store
 * it and hand it back unchanged, so a request is either a 4xx naming the field or a job that reads back
 * exactly as sent.
 */

export const MAX_METADATA_BYTES = 2048;

/**
 * How deep metadata may nest, counting the metadata object itself as level 1 and every object or array
 * inside it as one more. DynamoDB allows 32 levels per item attribute, the value inside the deepest map
 * or list included (measured against DynamoDB Local: 31 nested maps or lists under an attribute store,
 * 32 are refused). The job item stores metadata inside its `job` map, which takes one of those levels,
 * so 30 are left for the caller.
 */
export const MAX_METADATA_DEPTH = 30;

/** More than this many problems in one metadata value are not worth listing: fix these first. */
const MAX_METADATA_ISSUES = 10;

/**
 * Keys that cannot round-trip. JSON.parse makes `__proto__` an own key, but zod and the DynamoDB
 * marshaller drop it silently. The marshaller decides how to store an object from `value.constructor`,
 * so an own `constructor` key makes it refuse the object (a 5xx) or misread it as a Set or binary.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

type Path = PropertyKey[];

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Every reason `value` cannot be stored in DynamoDB and read back unchanged, with paths relative to
 * metadata. Walks the raw input (zod's record drops a `__proto__` key silently, which would store less
 * than was accepted) and never descends past MAX_METADATA_DEPTH, so hostile nesting cannot exhaust the stack.
 */
function metadataProblems(metadata: Record<string, unknown>): { problems: Array<{ path: Path; message: string }>; tooDeep: boolean } {
  const problems: Array<{ path: Path; message: string }> = [];
  let tooDeep = false;
  const walk = (value: unknown, path: Path, depth: number): void => {
    if (problems.length >= MAX_METADATA_ISSUES) return;
    if (value === null || typeof value === 'boolean') return;
    if (typeof value === 'string') {
      if (!isWellFormed(value)) problems.push({ path, message: WELL_FORMED_MESSAGE });
      return;
    }
    if (typeof value === 'number') {
      const problem = numberProblem(value);
      if (problem) problems.push({ path, message: problem });
      return;
    }
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) {
      problems.push({ path, message: 'must be a JSON value (string, number, boolean, null, object or array)' });
      return;
    }
    if (depth > MAX_METADATA_DEPTH) {
      tooDeep = true;
      problems.push({ path, message: `metadata may nest at most ${MAX_METADATA_DEPTH} levels of objects and arrays` });
      return;
    }
    if (isArray) {
      for (const [i, item] of value.entries()) walk(item, [...path, i], depth + 1);
      return;
    }
    for (const key of Object.keys(value)) {
      // Key problems are reported at the object holding the key, so the key itself is never echoed.
      if (key === '') problems.push({ path, message: 'keys must not be empty (DynamoDB cannot store an empty attribute name)' });
      else if (RESERVED_KEYS.has(key))
        problems.push({ path, message: `the keys ${[...RESERVED_KEYS].map((k) => `"${k}"`).join(' and ')} are not allowed` });
      else if (!isWellFormed(key)) problems.push({ path, message: `keys ${WELL_FORMED_MESSAGE}` });
      else walk(value[key], [...path, key], depth + 1);
      if (problems.length >= MAX_METADATA_ISSUES) return;
    }
  };
  walk(metadata, [], 1);
  return { problems, tooDeep };
}

export const Metadata = z
  .preprocess(
    (value, ctx) => {
      if (!isPlainObject(value)) return value; // the record schema below explains what is expected
      const { problems, tooDeep } = metadataProblems(value);
      for (const problem of problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
      // Serialising is only safe once the depth is known to be bounded.
      if (!tooDeep && Buffer.byteLength(JSON.stringify(value), 'utf8') > MAX_METADATA_BYTES) {
        ctx.addIssue({ code: 'custom', message: `metadata must serialise to at most ${MAX_METADATA_BYTES} bytes of JSON` });
      }
      return value;
    },
    z.record(z.string(), z.unknown()),
  )
  .openapi({
    description:
      `Your own data, echoed in job events: a JSON object of at most ${MAX_METADATA_BYTES} bytes, nested at most ` +
      `${MAX_METADATA_DEPTH} levels; numbers within ±(2^53 − 1), 0 or at least 1e-130 in magnitude, not -0; ` +
      'strings and keys well-formed Unicode; keys non-empty and neither "__proto__" nor "constructor".',
    example: { post_id: 'cms-4411' },
  });
