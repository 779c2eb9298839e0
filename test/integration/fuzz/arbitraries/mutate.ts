import fc from 'fast-check';
import { anyJson, jsonText, Obj, toJson, wrongValue, type Json } from './json.ts';

/**
 * One valid body broken in one to three places: every field of it can get a value of the wrong type,
 * go missing, be duplicated in the raw text (JSON.parse keeps the last), get an unknown, differently
 * cased, `__proto__` or `constructor` sibling — nested fields included.
 */

type Step = string | number;

/** Every path to a value inside `value` (the root excluded). */
function pathsOf(value: Json, prefix: Step[] = []): Step[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (value instanceof Obj) return value.entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

/** Paths to the objects inside `value`, the root included. */
function objectPaths(value: Json, prefix: Step[] = []): Step[][] {
  const here = value instanceof Obj ? [prefix] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => objectPaths(v, [...prefix, i]))];
  if (value instanceof Obj) return [...here, ...value.entries.flatMap(([k, v]) => objectPaths(v, [...prefix, k]))];
  return here;
}

/** `value` with the node at `path` passed through `change`; a parent gets its entries list rewritten. */
function edit(value: Json, path: readonly Step[], change: (node: Json, entries?: Array<readonly [string, Json]>) => Json): Json {
  if (path.length === 0) return change(value);
  const [step, ...rest] = path;
  if (Array.isArray(value) && typeof step === 'number') return value.map((v, i) => (i === step ? edit(v, rest, change) : v));
  if (value instanceof Obj && typeof step === 'string') {
    const at = value.entries.findIndex(([k]) => k === step);
    if (at < 0) return value;
    return new Obj(value.entries.map(([k, v], i) => (i === at ? [k, edit(v, rest, change)] : [k, v])));
  }
  return value;
}

/** Changes to the entries of the object holding the last step of `path`. */
function editParent(value: Json, path: readonly Step[], change: (entries: Array<readonly [string, Json]>, key: string) => Obj): Json {
  const key = path[path.length - 1];
  if (typeof key !== 'string') return value;
  return edit(value, path.slice(0, -1), (parent) => (parent instanceof Obj ? change([...parent.entries], key) : parent));
}

export type Mutation =
  | { readonly op: 'wrong type'; readonly path: Step[]; readonly value: Json }
  | { readonly op: 'missing'; readonly path: Step[] }
  | { readonly op: 'duplicate key'; readonly path: Step[]; readonly value: Json; readonly last: boolean }
  | { readonly op: 'unknown key'; readonly path: Step[]; readonly key: string; readonly value: Json }
  | { readonly op: 'key case'; readonly path: Step[] };

export function applyMutation(value: Json, m: Mutation): Json {
  switch (m.op) {
    case 'wrong type':
      return edit(value, m.path, () => m.value);
    case 'missing':
      return editParent(value, m.path, (entries, key) => new Obj(entries.filter(([k]) => k !== key)));
    case 'duplicate key':
      return editParent(value, m.path, (entries, key) => {
        const at = entries.findIndex(([k]) => k === key);
        entries.splice(m.last ? at + 1 : at, 0, [key, m.value]);
        return new Obj(entries);
      });
    case 'unknown key':
      return edit(value, m.path, (node) => (node instanceof Obj ? new Obj([...node.entries, [m.key, m.value]]) : node));
    case 'key case':
      return editParent(value, m.path, (entries, key) => new Obj(entries.map(([k, v]) => [k === key ? k.toUpperCase() : k, v])));
  }
}

const unknownKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'id', 'tenant_id', 'status', 'secret', 'Title', ''),
  fc.string({ minLength: 1, maxLength: 6 }),
);

function mutation(body: Json): fc.Arbitrary<Mutation> {
  const paths = pathsOf(body);
  const objects = objectPaths(body);
  const anyPath = fc.constantFrom(...(paths.length > 0 ? paths : [[]]));
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('wrong type' as const), path: anyPath, value: wrongValue }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('missing' as const), path: anyPath }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('duplicate key' as const), path: anyPath, value: wrongValue, last: fc.boolean() }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('unknown key' as const), path: fc.constantFrom(...objects), key: unknownKey, value: anyJson }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('key case' as const), path: anyPath }) },
  );
}

/** The body's JSON text with one to three mutations, or the whole body replaced by the wrong kind of document. */
export function mutatedText(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return valid.chain((body) => {
    const json = toJson(body);
    return fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .array(mutation(json), { minLength: 1, maxLength: 3 })
          .map((ms) => jsonText(ms.reduce<Json>((acc, m) => applyMutation(acc, m), json))),
      },
      { weight: 1, arbitrary: fc.constantFrom(`[${jsonText(json)}]`, JSON.stringify(jsonText(json)), 'null', '[]', '""', '0', 'true') },
      { weight: 1, arbitrary: wrongValue.map(jsonText) },
    );
  });
}
