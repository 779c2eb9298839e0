import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Module init time: the wall time of a fresh `node` process that imports a bundle and exits, which is
 * what Lambda pays for loading the bundle on a cold start (the runtime's own bootstrap aside). The process
 * gets the environment a deployed function has (`environment`), so Powertools, the X-Ray SDK and the
 * function's config run the same init code they run in Lambda; no module makes a network call at init.
 */

/** Lambda's own variables, as the Node 22 runtime sets them (values made up; nothing at init reads them remotely). */
export function lambdaPlatformEnvironment(name: string, memorySize: number, taskRoot: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `pinrelay-bench-${name}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/pinrelay-bench-${name}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    _HANDLER: 'index.handler',
    TZ: ':UTC',
  };
}

/**
 * The Node the functions run on: the project's pinned `node` package (22, like the Lambda runtime and the
 * esbuild target) when installed, else the Node running the benchmark.
 */
export function lambdaNode(root: string): string {
  const pinned = path.join(root, 'node_modules', '.bin', 'node');
  return existsSync(pinned) ? pinned : process.execPath;
}

/** One fresh process importing `file`: its wall time in ms. Rejects if the import fails. */
export function timeImport(node: string, file: string, environment: Readonly<Record<string, string>>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(node, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)});`], {
      // Only what Lambda would set: the caller's shell (tsx loaders, debug flags) must not leak in.
      env: { PATH: process.env.PATH ?? '', ...environment },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`importing ${file} failed (exit ${code}): ${stderr.slice(0, 2000)}`));
    });
  });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Medians of `runs` imports of each target. Rounds interleave the targets (empty handler included), so
 * a slow spell of a shared machine lands on all of them alike instead of on whichever ran then.
 */
export async function medianInits(
  node: string,
  targets: readonly { readonly key: string; readonly file: string; readonly environment: Readonly<Record<string, string>> }[],
  runs: number,
  onRun: () => void = () => {},
): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(targets.map((t) => [t.key, []]));
  for (let round = 0; round < runs; round += 1) {
    for (const target of targets) {
      samples.get(target.key)?.push(await timeImport(node, target.file, target.environment));
      onRun();
    }
  }
  return new Map([...samples].map(([key, values]) => [key, median(values)]));
}
