import { isIP } from 'node:net';
import { startPinterestSandbox, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, type PinterestSandbox } from './pinterest-sandbox.ts';

/**
 * `npm run sandbox`: the local Pinterest API v5 on its own, for trying pinrelay's Pinterest calls
 * (or any client) with curl. Environment: PORT (3100; 0 picks a free port), HOST (127.0.0.1;
 * loopback only). Registers the demo user `demo` with boards 1234567890 and 1111111111 and fixed
 * demo tokens, prints how to use them, then `pinterest sandbox ready on http://HOST:PORT`.
 * Ctrl-C (SIGINT) or SIGTERM stops it and leaves nothing listening. See docs/sandbox.md.
 */
const DEMO = {
  username: 'demo',
  boards: ['1234567890', '1111111111'],
  accessToken: 'pina_sandbox_demo',
  refreshToken: 'pinr_sandbox_demo',
} as const;

const host = process.env.HOST ?? '127.0.0.1';
const portText = process.env.PORT ?? '3100';
const port = Number(portText);
const isLoopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
if (!isLoopback) {
  console.error(`HOST=${host} is not a loopback address; the Pinterest sandbox only listens on 127.0.0.0/8, ::1 or localhost.`);
  process.exit(2);
}
if (!/^\d+$/.test(portText) || port > 65535) {
  console.error(`PORT=${portText} is not a port number.`);
  process.exit(2);
}

let sandbox: PinterestSandbox | undefined;
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await sandbox?.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const s = await startPinterestSandbox({ host, port }).catch((error: unknown) => {
  console.error(`pinterest sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
  return shutdown(1);
});
sandbox = s;
s.addUser({ username: DEMO.username, boards: [...DEMO.boards], accessToken: DEMO.accessToken, refreshToken: DEMO.refreshToken });
const url = s.url;
const auth = `-H "Authorization: Bearer ${DEMO.accessToken}"`;

console.log(`
Pinterest API v5 sandbox (local, not Pinterest): ${url}/v5
  demo user:      ${DEMO.username} (boards ${DEMO.boards.join(', ')})
  access token:   ${DEMO.accessToken}
  refresh token:  ${DEMO.refreshToken}
  client id:      ${SANDBOX_CLIENT_ID}
  client secret:  ${SANDBOX_CLIENT_SECRET}
  rate limit:     100 POST /v5/pins per user in any 60 s window

Try it:
  curl -s -X POST ${url}/v5/pins ${auth} -H 'Content-Type: application/json' -d '{"board_id":"${DEMO.boards[0]}","title":"Hello","link":"https://example.com/hello","media_source":{"source_type":"image_url","url":"https://example.com/hello.jpg"}}'
  curl -s "${url}/v5/boards/${DEMO.boards[0]}/pins?page_size=25" ${auth}
  curl -s -X POST ${url}/_sandbox/faults -H 'Content-Type: application/json' -d '{"fault":{"kind":"status","status":503}}'
  curl -s -X POST ${url}/v5/oauth/token -u ${SANDBOX_CLIENT_ID}:${SANDBOX_CLIENT_SECRET} -d grant_type=refresh_token -d refresh_token=${DEMO.refreshToken}
  curl -s ${url}/_sandbox/pins

Faults, inspection and the rate-limit rule: docs/sandbox.md. Ctrl-C stops the sandbox.`);
console.log(`pinterest sandbox ready on ${url}`);
