import { pin } from '../harness.ts';
import { mulberry32 } from '../../../local/seeded-random.ts';

/**
 * What the hostile-input generators share: a seeded PRNG (a failure reproduces from the seed), the request
 * shape, and the valid pin body they break in one place each.
 */

/** Seeded draws (mulberry32) in the shapes the hostile inputs need. */
export function prng(seed: number) {
  const next = mulberry32(seed);
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    string: (n: number) => Array.from({ length: n }, () => String.fromCharCode(33 + Math.floor(next() * 94))).join(''),
  };
}

export interface HostileRequest {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Secret-looking text inside the request: no 5-character piece of it may appear in the answer. */
  readonly secret?: string;
}

export type Rng = ReturnType<typeof prng>;

/** Produces a request that is invalid by construction, varied by the PRNG (`n`: its position in the run). */
export type HostileGenerator = (r: Rng, n: number) => HostileRequest | HostileRequest[];

export const base = () => pin({ account_id: 'acct' });
export const json = (value: unknown) => JSON.stringify(value);
/** A valid pin body with raw JSON text spliced in as extra fields, for values JSON.stringify cannot write. */
export const withRaw = (fragment: string, p: object = base()) => `${json(p).slice(0, -1)},${fragment}}`;
export const JSON_HEADERS = { 'Content-Type': 'application/json' };
/** `depth` levels of objects or arrays (the outer one included) around a leaf. */
export const nestedText = (r: Rng, depth: number, leaf = '1') => {
  let text = leaf;
  for (let i = 0; i < depth; i++) text = r.int(2) === 0 ? `{"k":${text}}` : `[${text}]`;
  return text;
};
export const LONE_SURROGATES = ['\\ud800', '\\udbff', '\\udc00', '\\udfff', '\\ud83d'];
