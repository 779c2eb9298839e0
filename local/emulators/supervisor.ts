/**
 * Child-process supervision shared by the emulators (DynamoDB Local, fauxqs).
 *
 * Guarantees local mode relies on ("leaves nothing listening behind"):
 * - every child is tracked by PID and killed when this process exits, normally or by signal;
 * - on Linux, children are started through `setpriv --pdeathsig KILL`, so the kernel kills them
 *   even if this process is SIGKILLed (no hook runs then). setpriv execs, so the PID we record
 *   is the emulator's own PID;
 * - stop() is SIGTERM, wait, SIGKILL after a grace period, and resolves only once the PID is reaped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** What a started emulator hands back. */
export interface RunningEmulator {
  /** `http://127.0.0.1:PORT` — always loopback. */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM, SIGKILL after 3 s; resolves when the process is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process has exited and been reaped. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** The last few KB of interleaved stdout/stderr, for error messages. */
  outputTail(): string;
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  /** Human name used in error messages, e.g. "DynamoDB Local". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Keep a pipe to the child's stdin open. A child that watches for EOF on stdin then notices
   * the death of this process on every platform (fauxqs does; java can't).
   */
  readonly stdinPipe?: boolean;
  /** Called with every chunk of child output (already captured for outputTail()). */
  readonly onOutput?: (chunk: string) => void;
}

const STOP_GRACE_MS = 3_000;
const OUTPUT_TAIL_CHARS = 8_192;

const live = new Set<ChildProcess>();
let hooksInstalled = false;

/** Kill every live child right now (synchronously): the process is going away. */
function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone: nothing to clean up.
    }
  }
  live.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' also runs after process.exit() and uncaught exceptions; handlers must be synchronous.
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // If someone else (local/start.ts) handles this signal, they own the graceful shutdown and
      // the 'exit' hook is the backstop. If we are alone, listening has replaced Node's default
      // "terminate" behaviour: clean up, then re-raise so the process still dies of the signal.
      if (process.listenerCount(signal) > 1) return;
      killAllNow();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** First executable called `name` in `dirs` (default: PATH), or undefined. */
export function findOnPath(name: string, dirs: readonly string[] = (process.env.PATH ?? '').split(delimiter)): string | undefined {
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

let setprivPath: string | undefined | null = null;

function withParentDeathSignal(command: string, args: readonly string[]): [string, string[]] {
  if (process.platform !== 'linux') return [command, [...args]];
  if (setprivPath === null) setprivPath = findOnPath('setpriv');
  // pdeathsig fires when the spawning *thread* ends: start emulators from the main thread
  // (vitest globalSetup and forks-pool workers are; a worker_thread would take them down with it).
  return setprivPath ? [setprivPath, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, [...args]];
}

/**
 * Spawn a child that is killed with this process. Resolves once the OS has started it;
 * rejects (with a readable message) if the command cannot be started at all.
 */
export async function superviseChild(options: SuperviseOptions): Promise<SupervisedProcess> {
  installExitHooks();
  const [command, args] = withParentDeathSignal(options.command, options.args);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: false,
    stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });

  let tail = '';
  const capture = (data: Buffer): void => {
    const text = data.toString('utf8');
    tail = (tail + text).slice(-OUTPUT_TAIL_CHARS);
    options.onOutput?.(text);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  // EPIPE when the child dies first must not become an uncaught error in the parent.
  child.stdin?.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    let spawned = false;
    child.once('spawn', () => {
      spawned = true;
      resolve();
    });
    // Stays attached: a later 'error' (e.g. a failed kill) must not crash the parent unhandled.
    child.on('error', (error) => {
      if (!spawned) reject(new Error(`${options.name}: could not start \`${options.command}\`: ${error.message}`, { cause: error }));
      else tail = `${tail}\n[supervisor] ${error.message}`.slice(-OUTPUT_TAIL_CHARS);
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: started without a PID`);
  live.add(child);

  let exitedFlag = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      live.delete(child);
      resolve({ code, signal });
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(escalate);
      child.stdin?.destroy();
    })();
    return stopping;
  };

  return {
    name: options.name,
    pid,
    exited,
    hasExited: () => exitedFlag,
    outputTail: () => tail.trim(),
    stop,
  };
}

/** A port that is free on 127.0.0.1 right now (there is a small race until the caller binds it). */
export async function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a loopback listener'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Formats a process's exit and captured output for an error message. */
export function describeExit(child: SupervisedProcess, exit: ExitInfo): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const output = child.outputTail();
  return `${child.name} (pid ${child.pid}) ${how} before it was ready.${output ? `\n--- output (tail) ---\n${output}` : ' It printed nothing.'}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
