/**
 * What a target receives: the whole event, a constant `Input`, the part of the event at `InputPath`,
 * or the text an `InputTransformer` makes — with EventBridge's semantics, as far as they are
 * observable by a webhook receiver (the request body, byte for byte).
 *
 * JSON paths (`InputPath`, `InputPathsMap` values, `$.`-valued HTTP parameters): `$`, then any of
 * `.name` (a name may contain `-`, e.g. `$.detail-type`), `[0]`, `['name']` / `["name"]`.
 *
 * Input transformers:
 * - `<name>` in InputTemplate is replaced by the value at InputPathsMap[name], or by a predefined
 *   variable: `aws.events.rule-arn`, `aws.events.rule-name`, `aws.events.event.ingestion-time`
 *   (ISO-8601), `aws.events.event` / `aws.events.event.json` (the whole original event);
 *   `<…>` naming neither is left as it is (so templates may contain other angle brackets);
 * - a template whose first non-blank character is `{` or `[` is a JSON template:
 *   - a placeholder outside a string literal becomes the value's JSON (a string value is quoted,
 *     objects, arrays, numbers, booleans and null are inserted as JSON); a path the event does not
 *     have becomes `null`;
 *   - a placeholder inside a string literal (`"<status>"`) becomes the string's characters, escaped
 *     for JSON (quotes, backslashes, control characters), or for a non-string value its JSON text,
 *     escaped likewise; a missing path becomes nothing;
 *   - the template is checked at PutTargets time: with every placeholder standing for `null` it
 *     must be valid JSON (see `validateInputTransformer`);
 * - any other template is a string template: placeholders become the string's characters as they
 *   are (no quotes, no escaping), other values their JSON text, missing paths nothing.
 * - Whitespace and key order of the template are kept: the output is the template with its
 *   placeholders replaced, nothing is re-serialised.
 */
import type { EventEnvelope } from './types.ts';

export type PathSegment = string | number;

export class InvalidJsonPathError extends Error {}

export interface InputTransformerShape {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

export interface TargetInputShape {
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: InputTransformerShape;
}

/** Values for the predefined `aws.events.*` variables. */
export interface TransformContext {
  readonly ruleArn: string;
  readonly ruleName: string;
  /** When EventBridge accepted the event. */
  readonly ingestionTime: Date;
}

export const MAX_INPUT_PATHS = 100;
export const MAX_INPUT_TEMPLATE_LENGTH = 8192;
export const MAX_INPUT_LENGTH = 8192;
export const MAX_PATH_LENGTH = 256;
const PATHS_MAP_KEY = /^[A-Za-z0-9_-]+$/;
const PREDEFINED = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
];
/** Sticky: tried at each `<` of a template. */
const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/y;

// ---- JSON paths -------------------------------------------------------------------------------------

export function parseJsonPath(path: string): PathSegment[] {
  if (!path.startsWith('$')) throw new InvalidJsonPathError(`JSON path ${path} must start with '$'.`);
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const step = jsonPathStep(path.slice(i));
    if (!step) throw new InvalidJsonPathError(`JSON path ${path} is not valid at position ${i}.`);
    segments.push(step.segment);
    i += step.length;
  }
  return segments;
}

/** The segment `rest` starts with (`.name`, `[0]`, `['name']` or `["name"]`) and how many characters it takes. */
function jsonPathStep(rest: string): { segment: PathSegment; length: number } | undefined {
  const dotted = /^\.([^.[\]\s]+)/.exec(rest);
  if (dotted?.[1] !== undefined) return { segment: dotted[1], length: dotted[0].length };
  const index = /^\[(\d+)\]/.exec(rest);
  if (index) return { segment: Number(index[1]), length: index[0].length };
  const quoted = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest);
  // Exactly one of the two alternatives took part in the match; its group may be empty, never both undefined.
  if (quoted) return { segment: (quoted[1] ?? quoted[2] ?? '').replace(/\\(.)/g, '$1'), length: quoted[0].length };
  return undefined;
}

/** The value at `path` in `root`, or undefined when the event has no such value. */
export function readJsonPath(root: unknown, path: string | readonly PathSegment[]): unknown {
  const segments = typeof path === 'string' ? parseJsonPath(path) : path;
  let value = root;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(value)) return undefined;
      value = value[segment];
    } else {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value;
}

// ---- validation (PutTargets) ------------------------------------------------------------------------

/** Why `transformer` would be refused by PutTargets, or undefined when it is fine. */
export function validateInputTransformer(transformer: InputTransformerShape): string | undefined {
  const template = transformer.InputTemplate;
  if (typeof template !== 'string' || template.length === 0 || template.length > MAX_INPUT_TEMPLATE_LENGTH) {
    return `InputTemplate must be 1 to ${MAX_INPUT_TEMPLATE_LENGTH} characters long.`;
  }
  const map = transformer.InputPathsMap ?? {};
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return 'InputPathsMap must be a map of names to JSON paths.';
  const entries = Object.entries(map);
  if (entries.length > MAX_INPUT_PATHS) return `InputPathsMap can have at most ${MAX_INPUT_PATHS} entries.`;
  for (const [name, path] of entries) {
    if (!PATHS_MAP_KEY.test(name)) return `InputPathsMap key ${name} is not valid: use letters, digits, '-' and '_'.`;
    if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_LENGTH) {
      return `InputPathsMap value for ${name} must be a JSON path of 1 to ${MAX_PATH_LENGTH} characters.`;
    }
    try {
      parseJsonPath(path);
    } catch (error) {
      return `InputPathsMap value for ${name} is invalid: ${(error as Error).message}`;
    }
  }
  if (isJsonTemplate(template)) {
    const names = new Set([...Object.keys(map), ...PREDEFINED]);
    const probe = fill(template, true, (name) => (names.has(name) ? { value: null } : undefined));
    try {
      JSON.parse(probe);
    } catch (error) {
      return `InputTemplate is not valid JSON once its placeholders are filled in: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/** Why a target's Input/InputPath/InputTransformer would be refused, or undefined. */
export function validateTargetInput(target: TargetInputShape): string | undefined {
  const given = [target.Input, target.InputPath, target.InputTransformer].filter((value) => value !== undefined && value !== null);
  if (given.length > 1) return 'Only one of Input, InputPath, or InputTransformer must be provided.';
  if (target.Input !== undefined && target.Input !== null) {
    if (typeof target.Input !== 'string' || target.Input.length > MAX_INPUT_LENGTH)
      return `Input must be at most ${MAX_INPUT_LENGTH} characters.`;
    try {
      JSON.parse(target.Input);
    } catch {
      return 'Input is not valid JSON text.';
    }
  }
  if (target.InputPath !== undefined && target.InputPath !== null) {
    if (typeof target.InputPath !== 'string' || target.InputPath.length > MAX_PATH_LENGTH)
      return `InputPath must be at most ${MAX_PATH_LENGTH} characters.`;
    try {
      parseJsonPath(target.InputPath);
    } catch (error) {
      return `InputPath is invalid: ${(error as Error).message}`;
    }
  }
  if (target.InputTransformer !== undefined && target.InputTransformer !== null) return validateInputTransformer(target.InputTransformer);
  return undefined;
}

// ---- rendering (delivery) ---------------------------------------------------------------------------

/** The text an input transformer produces for `event`. */
export function applyInputTransformer(transformer: InputTransformerShape, event: EventEnvelope, context: TransformContext): string {
  const map = transformer.InputPathsMap ?? {};
  const lookup = (name: string): { value: unknown } | undefined => {
    const path = Object.hasOwn(map, name) ? map[name] : undefined;
    if (path !== undefined) return { value: readJsonPath(event, path) };
    switch (name) {
      case 'aws.events.rule-arn':
        return { value: context.ruleArn };
      case 'aws.events.rule-name':
        return { value: context.ruleName };
      case 'aws.events.event.ingestion-time':
        return { value: context.ingestionTime.toISOString() };
      case 'aws.events.event':
      case 'aws.events.event.json':
        return { value: event };
      default:
        return undefined;
    }
  };
  return fill(transformer.InputTemplate, isJsonTemplate(transformer.InputTemplate), lookup);
}

/** The request body (or message) a target gets for `event`. */
export function renderTargetInput(target: TargetInputShape, event: EventEnvelope, context: TransformContext): string {
  if (typeof target.Input === 'string') return target.Input;
  if (typeof target.InputPath === 'string') return JSON.stringify(readJsonPath(event, target.InputPath) ?? null);
  if (target.InputTransformer) return applyInputTransformer(target.InputTransformer, event, context);
  return JSON.stringify(event);
}

/**
 * An HTTP header or query-string parameter value: a value starting with `$.` is a JSON path into the
 * event (a string is used as it is, other values as JSON text; undefined when the event has nothing
 * there — the parameter is then left out), anything else is a literal.
 */
export function resolveHttpParameter(value: string, event: EventEnvelope): string | undefined {
  if (!value.startsWith('$.')) return value;
  const found = readJsonPath(event, value);
  if (found === undefined) return undefined;
  return typeof found === 'string' ? found : JSON.stringify(found);
}

export function isJsonTemplate(template: string): boolean {
  return /^\s*[{[]/.test(template);
}

/**
 * Replaces the placeholders `lookup` knows (it returns `{value}`; `value` undefined = missing path).
 * In JSON mode it tracks string literals to decide between JSON text and escaped characters.
 */
function fill(template: string, json: boolean, lookup: (name: string) => { value: unknown } | undefined): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; ) {
    const ch = template.charAt(i);
    if (json && inString && ch === '\\') {
      out += template.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (json && ch === '"') {
      inString = !inString;
      out += ch;
      i++;
      continue;
    }
    if (ch === '<') {
      PLACEHOLDER.lastIndex = i;
      const match = PLACEHOLDER.exec(template);
      const name = match?.[1];
      const found = name !== undefined ? lookup(name) : undefined;
      if (match && found) {
        out += !json ? asText(found.value) : inString ? escapeForString(found.value) : asJson(found.value);
        i += match[0].length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

function asText(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function asJson(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

function escapeForString(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(asText(value)).slice(1, -1);
}
