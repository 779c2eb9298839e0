import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Keeps the web console's build (`console/dist`) in step with its source, so `npm install && npm start` shows
 * the console on a fresh clone: local mode (local/start.ts) and the browser tests call ensureConsoleBuilt()
 * before serving it, which runs `npm run console:build` (Vite) when the build is missing or older than any
 * source file. A fresh build is left alone (a start costs nothing then).
 */

/** The console app: source in console/src, the Vite build in console/dist. */
export const CONSOLE_ROOT = fileURLToPath(new URL('../console/', import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** What the console's source and build look like on disk. */
export type ConsoleBuildState = 'no-source' | 'missing' | 'stale' | 'fresh';

/** Newest modification time (ms) of a file or any file below a directory; 0 when it does not exist. */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * `no-source` without console/src; `missing` without console/dist/index.html; `stale` when a file of the
 * source (console/src, console/public, console/index.html, the Vite config) is newer than that index.html.
 */
export function consoleBuildState(root: string = CONSOLE_ROOT): ConsoleBuildState {
  if (!existsSync(join(root, 'src'))) return 'no-source';
  const built = join(root, 'dist', 'index.html');
  if (!existsSync(built)) return 'missing';
  const inputs = ['src', 'public', 'index.html', 'vite.config.ts', 'vite.config.js', 'vite.config.mjs'].map((p) => join(root, p));
  const newestSource = Math.max(...inputs.map(newestMtime));
  return newestSource > statSync(built).mtimeMs ? 'stale' : 'fresh';
}

/** Runs `npm run console:build` in the project root; rejects with its output when it fails. */
export function buildConsole(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'console:build'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run console:build exited with ${code}:\n${output}`))));
  });
}

/**
 * The console's build directory, built first when it is missing or stale; undefined when the project has no
 * console source (nothing to serve). `log` hears about a build before it starts (a build takes seconds).
 */
export async function ensureConsoleBuilt(log: (message: string) => void = () => undefined): Promise<string | undefined> {
  const state = consoleBuildState();
  if (state === 'no-source') return undefined;
  if (state !== 'fresh') {
    log(`Building the web console (console/dist is ${state === 'missing' ? 'missing' : 'older than console/src'})…`);
    await buildConsole();
  }
  return CONSOLE_DIST;
}
