/**
 * EventBridge event patterns (content filtering), for the local EventBridge stand-in: validation
 * with AWS's error type (InvalidEventPatternException) and matching with AWS's semantics.
 *
 * What a pattern is, as EventBridge defines it:
 * - a JSON object whose keys are event fields; an object value descends into that field (e.g.
 *   `{"detail": {"status": ["failed"]}}`), an array value lists what the field may be;
 * - every key must match (AND); the items of an array are alternatives (OR);
 * - a field that is an array in the *event* matches when any of its elements matches, and a nested
 *   pattern matches an array of objects when one element matches all of it (array consistency);
 * - exact values are strings, numbers (compared as numbers: 5 matches 5.0), `true`, `false` and
 *   `null` (which matches a JSON null, never a missing field); types never mix ("5" is not 5);
 * - matchers, each an object with one key:
 *   `{"prefix": "job."}`, `{"suffix": ".png"}` (each also `{"prefix": {"equals-ignore-case": "x"}}`),
 *   `{"equals-ignore-case": "x"}`, `{"wildcard": "job.*.done"}` (`\*` is a literal star),
 *   `{"anything-but": v}` with v a string, a number, a list of them, or `{"prefix"|"suffix"|
 *   "equals-ignore-case"|"wildcard": …}`, `{"numeric": [">", 0, "<=", 5]}` / `{"numeric": ["=", 3]}`,
 *   `{"exists": true|false}`, `{"cidr": "10.0.0.0/24"}` (IPv4 and IPv6);
 * - `{"$or": [pattern, pattern, …]}` (at least two) at any object level, AND-ed with the other keys.
 *
 * Details that follow AWS: `exists` works on leaf values only (a field holding an object does not
 * "exist" for it, and an empty array counts as absent); `anything-but` needs the field to be present
 * (a missing field never matches it) and, like every matcher, is satisfied when *any* element of an
 * array field satisfies it; string matchers (prefix, suffix, equals-ignore-case, wildcard, cidr, and
 * anything-but with one of those) only ever match strings; `numeric` only matches numbers.
 */
import { BlockList, isIP } from 'node:net';

/** The pattern is not a valid EventBridge event pattern; `message` reads like AWS's. */
export class InvalidEventPatternError extends Error {
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

type Scalar = string | number | boolean | null;

type StringTest = (value: string) => boolean;

type Matcher =
  | { readonly kind: 'exact'; readonly value: Scalar }
  | { readonly kind: 'string'; readonly test: StringTest }
  | { readonly kind: 'anything-but-values'; readonly values: readonly Scalar[] }
  | { readonly kind: 'anything-but-string'; readonly test: StringTest }
  | { readonly kind: 'numeric'; readonly test: (value: number) => boolean }
  | { readonly kind: 'exists'; readonly value: boolean };

type FieldPattern =
  | { readonly kind: 'object'; readonly pattern: ObjectPattern }
  | { readonly kind: 'leaf'; readonly matchers: readonly Matcher[] };

interface ObjectPattern {
  readonly fields: ReadonlyMap<string, FieldPattern>;
  /** Each `$or` at this level: a list of alternatives, one of which must match. */
  readonly ors: readonly (readonly ObjectPattern[])[];
}

/** A validated pattern, ready to test events against. */
export class EventPattern {
  private constructor(
    private readonly root: ObjectPattern,
    /** The pattern as given (JSON text). */
    readonly source: string,
  ) {}

  /** Parses and validates; throws InvalidEventPatternError. */
  static parse(pattern: string | object): EventPattern {
    let parsed: unknown = pattern;
    let source: string;
    if (typeof pattern === 'string') {
      source = pattern;
      try {
        parsed = JSON.parse(pattern);
      } catch (error) {
        throw new InvalidEventPatternError(`Unrecognized JSON: ${(error as Error).message}`);
      }
    } else {
      source = JSON.stringify(pattern);
    }
    if (!isPlainObject(parsed)) throw new InvalidEventPatternError('Event pattern must be a JSON object');
    return new EventPattern(compileObject(parsed, ''), source);
  }

  /** Does `event` (the event JSON: version, id, detail-type, source, …, detail) match? */
  matches(event: unknown): boolean {
    return matchObject(this.root, event);
  }
}

/** Convenience: validate `pattern` and test `event` against it. */
export function matchesEventPattern(pattern: EventPattern | string | object, event: unknown): boolean {
  return (pattern instanceof EventPattern ? pattern : EventPattern.parse(pattern)).matches(event);
}

// ---- compiling --------------------------------------------------------------------------------------

function compileObject(pattern: Record<string, unknown>, path: string): ObjectPattern {
  const keys = Object.keys(pattern);
  if (keys.length === 0) throw new InvalidEventPatternError(`Empty objects are not allowed${path ? ` (at "${path}")` : ''}`);
  const fields = new Map<string, FieldPattern>();
  const ors: ObjectPattern[][] = [];
  for (const key of keys) {
    const value = pattern[key];
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isPlainObject)) {
        throw new InvalidEventPatternError(`"$or" must be an array of at least two objects (at "${at}")`);
      }
      ors.push(value.map((alternative) => compileObject(alternative as Record<string, unknown>, path)));
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPatternError(`Empty arrays are not allowed (at "${at}")`);
      fields.set(key, { kind: 'leaf', matchers: value.map((item) => compileMatcher(item, at)) });
    } else if (isPlainObject(value)) {
      fields.set(key, { kind: 'object', pattern: compileObject(value, at) });
    } else {
      throw new InvalidEventPatternError(`"${at}" must be an object or an array`);
    }
  }
  return { fields, ors };
}

function compileMatcher(item: unknown, at: string): Matcher {
  if (item === null || typeof item === 'string' || typeof item === 'boolean') return { kind: 'exact', value: item };
  if (typeof item === 'number') {
    if (!Number.isFinite(item)) throw new InvalidEventPatternError(`Invalid number (at "${at}")`);
    return { kind: 'exact', value: item };
  }
  if (Array.isArray(item)) throw new InvalidEventPatternError(`Arrays of arrays are not allowed (at "${at}")`);
  const matcher = item as Record<string, unknown>;
  const entries = Object.entries(matcher);
  const [entry] = entries;
  if (!entry || entries.length !== 1) throw new InvalidEventPatternError(`A match expression must have exactly one key (at "${at}")`);
  const [type, value] = entry;
  switch (type) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
    case 'cidr':
      return { kind: 'string', test: compileStringTest(type, value, at) };
    case 'anything-but':
      return compileAnythingBut(value, at);
    case 'numeric':
      return { kind: 'numeric', test: compileNumeric(value, at) };
    case 'exists':
      if (typeof value !== 'boolean') throw new InvalidEventPatternError(`exists match pattern must be either true or false (at "${at}")`);
      return { kind: 'exists', value };
    default:
      throw new InvalidEventPatternError(`Unrecognized match type ${type} (at "${at}")`);
  }
}

function compileStringTest(type: string, value: unknown, at: string): StringTest {
  switch (type) {
    case 'prefix':
    case 'suffix': {
      const ignoreCase = isPlainObject(value) && Object.keys(value).length === 1 && typeof value['equals-ignore-case'] === 'string';
      const text = ignoreCase ? ((value as Record<string, unknown>)['equals-ignore-case'] as string) : value;
      if (typeof text !== 'string') throw new InvalidEventPatternError(`${type} match pattern must be a string (at "${at}")`);
      const wanted = ignoreCase ? text.toLowerCase() : text;
      const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
      return type === 'prefix' ? (s) => fold(s).startsWith(wanted) : (s) => fold(s).endsWith(wanted);
    }
    case 'equals-ignore-case': {
      if (typeof value !== 'string') throw new InvalidEventPatternError(`equals-ignore-case match pattern must be a string (at "${at}")`);
      const wanted = value.toLowerCase();
      return (s) => s.toLowerCase() === wanted;
    }
    case 'wildcard': {
      if (typeof value !== 'string') throw new InvalidEventPatternError(`wildcard match pattern must be a string (at "${at}")`);
      const regex = wildcardRegex(value, at);
      return (s) => regex.test(s);
    }
    case 'cidr':
      return cidrTest(value, at);
    default:
      throw new InvalidEventPatternError(`Unrecognized match type ${type} (at "${at}")`);
  }
}

function compileAnythingBut(value: unknown, at: string): Matcher {
  const isValue = (v: unknown): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  if (isValue(value)) return { kind: 'anything-but-values', values: [value] };
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every(isValue)) {
      throw new InvalidEventPatternError(`Inside anything-but list, only strings and numbers are allowed (at "${at}")`);
    }
    return { kind: 'anything-but-values', values: value };
  }
  if (isPlainObject(value) && Object.keys(value).length === 1) {
    const [type] = Object.keys(value) as [string];
    const inner = value[type];
    if (type === 'prefix' || type === 'suffix' || type === 'equals-ignore-case' || type === 'wildcard') {
      // equals-ignore-case and wildcard may list several values here.
      const items = Array.isArray(inner) && (type === 'equals-ignore-case' || type === 'wildcard') ? inner : [inner];
      if (items.length === 0) throw new InvalidEventPatternError(`Empty arrays are not allowed (at "${at}")`);
      const tests = items.map((item) => compileStringTest(type, item, at));
      return { kind: 'anything-but-string', test: (s) => tests.some((test) => test(s)) };
    }
  }
  throw new InvalidEventPatternError(
    `Value of anything-but must be a string, a number, a list of them, or a prefix/suffix/equals-ignore-case/wildcard expression (at "${at}")`,
  );
}

function compileNumeric(value: unknown, at: string): (n: number) => boolean {
  const invalid = (why: string) => new InvalidEventPatternError(`Invalid numeric expression: ${why} (at "${at}")`);
  if (!Array.isArray(value) || value.length === 0 || value.length % 2 !== 0 || value.length > 4)
    throw invalid('expected [op, number] or [op, number, op, number]');
  let equals: number | undefined;
  let lower: { value: number; inclusive: boolean } | undefined;
  let upper: { value: number; inclusive: boolean } | undefined;
  for (let i = 0; i < value.length; i += 2) {
    const op = value[i];
    const operand = value[i + 1];
    if (typeof operand !== 'number' || !Number.isFinite(operand)) throw invalid(`"${String(op)}" needs a number`);
    if (op === '=') {
      if (value.length !== 2) throw invalid('"=" cannot be combined with a range');
      equals = operand;
    } else if (op === '>' || op === '>=') {
      if (lower) throw invalid('two lower bounds');
      lower = { value: operand, inclusive: op === '>=' };
    } else if (op === '<' || op === '<=') {
      if (upper) throw invalid('two upper bounds');
      upper = { value: operand, inclusive: op === '<=' };
    } else {
      throw invalid(`unrecognized operator ${JSON.stringify(op)}`);
    }
  }
  if (lower && upper && (lower.value > upper.value || (lower.value === upper.value && !(lower.inclusive && upper.inclusive)))) {
    throw invalid('the range is empty');
  }
  if (equals !== undefined) {
    const wanted = equals;
    return (n) => n === wanted;
  }
  return (n) =>
    (!lower || (lower.inclusive ? n >= lower.value : n > lower.value)) &&
    (!upper || (upper.inclusive ? n <= upper.value : n < upper.value));
}

function wildcardRegex(pattern: string, at: string): RegExp {
  if (pattern.includes('**')) throw new InvalidEventPatternError(`Consecutive wildcard characters are not allowed (at "${at}")`);
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') throw new InvalidEventPatternError(`Invalid escape in wildcard pattern (at "${at}")`);
      source += escapeRegex(next);
      i++;
    } else if (ch === '*') {
      source += '[\\s\\S]*';
    } else {
      source += escapeRegex(ch);
    }
  }
  return new RegExp(`^${source}$`, 'u');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function cidrTest(value: unknown, at: string): StringTest {
  const [, address, bits] = (typeof value === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(value) : null) ?? [];
  const family = address !== undefined ? isIP(address) : 0;
  const prefix = Number(bits);
  if (address === undefined || family === 0 || prefix > (family === 4 ? 32 : 128)) {
    throw new InvalidEventPatternError(`Malformed CIDR, one '/' required, followed by a valid prefix length (at "${at}")`);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return (s) => isIP(s) === family && list.check(s, type);
}

// ---- matching ---------------------------------------------------------------------------------------

function matchObject(pattern: ObjectPattern, value: unknown): boolean {
  const object = isPlainObject(value) ? value : undefined;
  for (const [key, field] of pattern.fields) {
    const fieldValue = object && Object.hasOwn(object, key) ? object[key] : undefined;
    if (!matchField(field, fieldValue)) return false;
  }
  return pattern.ors.every((alternatives) => alternatives.some((alternative) => matchObject(alternative, value)));
}

function matchField(field: FieldPattern, value: unknown): boolean {
  if (field.kind === 'object') {
    if (Array.isArray(value)) {
      const objects = flatten(value).filter(isPlainObject);
      // An array without objects behaves like a missing field for a nested pattern.
      return objects.length > 0 ? objects.some((item) => matchObject(field.pattern, item)) : matchObject(field.pattern, undefined);
    }
    return matchObject(field.pattern, value);
  }
  const leaves = leafValues(value);
  return field.matchers.some((matcher) => matchLeaf(matcher, leaves));
}

function matchLeaf(matcher: Matcher, leaves: readonly Scalar[]): boolean {
  switch (matcher.kind) {
    case 'exists':
      return matcher.value === leaves.length > 0;
    case 'exact':
      return leaves.some((leaf) => leaf === matcher.value);
    case 'string':
      return leaves.some((leaf) => typeof leaf === 'string' && matcher.test(leaf));
    case 'anything-but-values':
      return leaves.some((leaf) => !matcher.values.includes(leaf as string | number));
    case 'anything-but-string':
      return leaves.some((leaf) => typeof leaf === 'string' && !matcher.test(leaf));
    case 'numeric':
      return leaves.some((leaf) => typeof leaf === 'number' && matcher.test(leaf));
  }
}

/** The scalar values at a field: the value itself, or the scalars of an array (nested arrays flattened). */
function leafValues(value: unknown): Scalar[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? flatten(value) : [value];
  return items.filter((item): item is Scalar => item === null || ['string', 'number', 'boolean'].includes(typeof item));
}

function flatten(values: readonly unknown[]): unknown[] {
  return values.flatMap((item) => (Array.isArray(item) ? flatten(item) : [item]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
