import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Account, Job, JobList } from '../../lambdas/api/schemas.ts';
import { waitFor } from './wait.ts';

/**
 * `npm start` as a user runs it: the real entry point in a child process, the curl commands it prints
 * executed by bash, the admin CLI against it, then Ctrl-C (SIGINT) — after which no process it started
 * is alive and nothing listens on its ports.
 */
const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const started: ChildProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'pinrelay-local-'));

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly apiUrl: string;
  readonly stateFile: string;
}

async function startLocal(args: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  const stateFile = join(scratch, `state-${Date.now()}.json`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'WARN', PINRELAY_STATE_FILE: stateFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const ready = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      return /^pinrelay ready on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output) ?? undefined;
    },
    { what: 'the "pinrelay ready on" line', timeoutMs: 60_000, show: () => output.slice(-1_000) },
  );
  const apiUrl = ready[1]!;
  return { child, output: () => output, apiUrl, stateFile };
}

/** Every live process whose ancestry leads to `pid` (read from /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const commandOf = (pid: number) => {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 120)}`;
  } catch {
    return `${pid} (gone)`;
  }
};

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function ctrlC(running: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGINT');
  return exited;
}

/** The "Try it:" block npm start prints, as the shell commands a user would paste. */
function printedCurls(output: string): string[] {
  const block = output.split('Try it:\n')[1]!.split('\n\n')[0]!;
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('curl'));
}

describe('npm start', () => {
  it('serves the printed curl commands, works with the admin CLI, and leaves nothing running after Ctrl-C', async () => {
    const local = await startLocal();
    const state = JSON.parse(readFileSync(local.stateFile, 'utf8')) as { dynamodbEndpoint: string };
    const children = descendants(local.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(2); // DynamoDB Local (java) and fauxqs at least

    const curls = printedCurls(local.output());
    expect(curls).toHaveLength(3);
    const answers: unknown[] = [];
    for (const curl of curls) answers.push(JSON.parse((await run('bash', ['-c', curl])).stdout)); // in order, as pasted
    // The printed curls, in order: connect the demo account, post a pin, list the jobs.
    const [put, post, list] = answers as [Account, Job, JobList];
    expect(put).toMatchObject({ account_id: 'demo', connection_status: 'connected' });
    expect(post).toMatchObject({ status: 'queued', idempotency_key: 'demo-1' });
    expect(list.items.map((j: { id: string }) => j.id)).toContain(post.id);

    const admin = await run(process.execPath, ['--import', 'tsx', 'bin/admin.ts', 'create-tenant', 'Acme Agency', '--local'], {
      cwd: ROOT,
      env: { ...process.env, PINRELAY_STATE_FILE: local.stateFile },
    });
    const tenant = JSON.parse(admin.stdout) as { api_key: string; tenant_id: string };
    const asTenant = await fetch(`${local.apiUrl}/v1/jobs`, { headers: { Authorization: `Bearer ${tenant.api_key}` } });
    expect(asTenant.status).toBe(200);
    expect(((await asTenant.json()) as { items: unknown[] }).items).toEqual([]); // the new tenant sees none of local's jobs

    const ports = [Number(new URL(local.apiUrl).port), Number(new URL(state.dynamodbEndpoint).port)];
    expect(await ctrlC(local)).toBe(0);
    // Children exit on their own signal/stdin close; give them a moment (esbuild's service, the JVM).
    await waitFor(() => children.filter(alive).map(commandOf), {
      until: (left) => left.length === 0,
      what: 'every process npm start started to exit',
      timeoutMs: 5_000,
    });
    expect(children.filter(alive).map(commandOf)).toEqual([]);
    for (const port of ports) expect(await listening(port)).toBe(false);
    expect(existsSync(local.stateFile)).toBe(false);
  }, 90_000);

  it('keeps jobs, accounts and tokens across a restart with --data', async () => {
    const dataDir = join(scratch, 'data');
    const first = await startLocal(['--data', dataDir], { LOCAL_API_KEY: 'prk_local_fixed_key_for_restart_test' });
    const headers = { Authorization: 'Bearer prk_local_fixed_key_for_restart_test', 'Content-Type': 'application/json' };
    expect(
      (await fetch(`${first.apiUrl}/v1/accounts/keep`, { method: 'PUT', headers, body: JSON.stringify({ access_token: 'kept-token' }) }))
        .status,
    ).toBe(200);
    const body = JSON.stringify({
      account_id: 'keep',
      board_id: '1',
      media_source: { source_type: 'image_url', url: 'https://e.com/a.jpg' },
    });
    const created = (await (
      await fetch(`${first.apiUrl}/v1/pins`, { method: 'POST', headers: { ...headers, 'Idempotency-Key': 'survives' }, body })
    ).json()) as { id: string };
    expect(await ctrlC(first)).toBe(0);

    const second = await startLocal(['--data', dataDir], { LOCAL_API_KEY: 'prk_local_fixed_key_for_restart_test' });
    const job = await fetch(`${second.apiUrl}/v1/jobs/${created.id}`, { headers });
    expect(job.status).toBe(200);
    expect((await fetch(`${second.apiUrl}/v1/accounts/keep`, { headers })).status).toBe(200);
    const replay = await fetch(`${second.apiUrl}/v1/pins`, {
      method: 'POST',
      headers: { ...headers, 'Idempotency-Key': 'survives' },
      body,
    });
    expect(replay.status).toBe(200);
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { value: string }[];
    expect(secrets.some((s) => s.value.includes('kept-token'))).toBe(true);
    expect(await ctrlC(second)).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);
});
