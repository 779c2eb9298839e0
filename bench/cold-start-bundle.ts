import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';
import type { FunctionDefinition } from '../definitions/functions.ts';
import { BUNDLE_FILE, FUNCTION_BUNDLING } from '../lib/bundling.ts';

/**
 * Bundling a function the way its deployed twin is bundled (lib/bundling.ts, the options the
 * ServiceFunction construct hands NodejsFunction), and reading the bundle's weight out of esbuild's metafile.
 * Shared by the cold-start benchmark (bench/cold-start.ts) and the bundle budget (test/infra/bundle-budget.test.ts).
 */

export const ROOT = path.resolve(import.meta.dirname, '..');

/** How the targets and budgets (bench/cold-start-budgets.ts) sort the functions. */
export type FunctionKind = 'http' | 'worker' | 'other';

/** HTTP functions answer API Gateway; the worker is the publish-queue consumer; the rest run on streams, queues and schedules. */
export function kindOf(definition: Pick<FunctionDefinition, 'trigger'>): FunctionKind {
  if (definition.trigger.kind === 'api') return 'http';
  if (definition.trigger.kind === 'publish-queue') return 'worker';
  return 'other';
}

export interface Contributor {
  /** A package (`@smithy/core`, `zod`) or a directory of this repository (`lambdas/adapters`, `definitions`). */
  readonly path: string;
  readonly bytes: number;
}

export interface Bundle {
  /** Bytes of the bundle Lambda loads (the .mjs, without its source map). */
  readonly bytes: number;
  /** Everything in the bundle, grouped, largest first. */
  readonly contributors: readonly Contributor[];
  /** Where the bundle was written, when it was (`outDir`). */
  readonly file?: string;
}

/** The group a bundled input belongs to: its package under node_modules, else its top-level directory (two levels under lambdas/). */
export function groupOf(input: string): string {
  const inPackage = input.lastIndexOf('node_modules/');
  if (inPackage >= 0) {
    const parts = input.slice(inPackage + 'node_modules/'.length).split('/');
    return (parts[0]?.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
  }
  const parts = path.relative(ROOT, path.resolve(ROOT, input)).split(path.sep);
  if (parts.length === 1) return parts[0] ?? input;
  return (parts[0] === 'lambdas' ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** An output's inputs, summed per group (bytes each input left in the output), largest first. */
export function contributorsOf(output: Metafile['outputs'][string]): Contributor[] {
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const group = groupOf(input);
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
  }
  return [...groups].map(([group, bytes]) => ({ path: group, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/**
 * Bundles each entry (`name` → a .ts file) with the functions' options, in one esbuild run: the modules
 * they share (the SDK, Powertools, zod) are parsed once, and each entry still gets its own bundle, as
 * separate NodejsFunction runs would make it. With `outDir`, `<outDir>/<name>/index.mjs` and its map are
 * written (what the init measurement imports); without, nothing touches the disk.
 */
export async function bundleEntries(entries: Readonly<Record<string, string>>, outDir?: string): Promise<Map<string, Bundle>> {
  // esbuild names the outputs after `outdir` even when it keeps them in memory.
  const outdir = outDir ?? path.join(tmpdir(), 'pinrelay-bundles');
  const result = await build({
    ...FUNCTION_BUNDLING,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    external: [...FUNCTION_BUNDLING.external],
    entryPoints: Object.entries(entries).map(([name, entry]) => ({ in: entry, out: path.join(name, 'index') })),
    outdir,
    outExtension: { '.js': path.extname(BUNDLE_FILE) },
    absWorkingDir: ROOT,
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  if (outDir) {
    for (const file of result.outputFiles) {
      mkdirSync(path.dirname(file.path), { recursive: true });
      writeFileSync(file.path, file.contents);
    }
  }
  const bundles = new Map<string, Bundle>();
  for (const name of Object.keys(entries)) {
    const file = path.join(outdir, name, BUNDLE_FILE);
    const output = result.metafile.outputs[path.relative(ROOT, file)];
    if (!output) throw new Error(`esbuild wrote no ${BUNDLE_FILE} for ${name}`);
    bundles.set(name, { bytes: output.bytes, contributors: contributorsOf(output), ...(outDir ? { file } : {}) });
  }
  return bundles;
}

/** Functions' handlers (`lambdas/<name>/handler.ts`), bundled as they are deployed. */
export function bundleFunctions(names: readonly string[], outDir?: string): Promise<Map<string, Bundle>> {
  return bundleEntries(Object.fromEntries(names.map((name) => [name, path.join(ROOT, 'lambdas', name, 'handler.ts')])), outDir);
}
