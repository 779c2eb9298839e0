import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../bench/cold-start-bundle.ts';
import { lambdaNode } from '../../bench/cold-start-init.ts';
import { DEFAULT_CHAIN_PACKAGES, FUNCTION_BUNDLING } from '../../lib/bundling.ts';

/**
 * Bundled functions read AWS credentials from the environment only (lib/bundling/lambda-credentials.ts
 * stands in for the SDK's default chain, FUNCTION_BUNDLING's `alias`). What this protects: every SDK
 * client a function builds — DynamoDB, SQS, Secrets Manager, EventBridge — signs with exactly the
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN the Lambda runtime sets for the execution
 * role; without them every client fails with the SDK's credentials error instead of guessing; and none of
 * the chain's other links (SSO, ini files, process, web identity, metadata services, and the STS/SSO
 * clients they carry) is bundled. bundle-budget.test.ts checks the same absence in every function.
 *
 * A probe that builds the four clients is bundled with the functions' options and run in a fresh Node 22
 * process (the runtime's version), with a scrubbed environment: no home directory with ~/.aws files and
 * the instance metadata service disabled, so even the full chain would make no network call.
 */

const PROBE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

const clients = {
  dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
  sqs: new SQSClient({ region: 'us-east-1' }),
  secretsmanager: new SecretsManagerClient({ region: 'us-east-1' }),
  eventbridge: new EventBridgeClient({ region: 'us-east-1' }),
};
const results = {};
for (const [name, client] of Object.entries(clients)) {
  try {
    const { $source, ...credentials } = await client.config.credentials();
    results[name] = { credentials };
  } catch (error) {
    results[name] = { error: { name: error.name, message: error.message } };
  }
}
process.stdout.write(JSON.stringify(results));
`;

const CLIENTS = ['dynamodb', 'sqs', 'secretsmanager', 'eventbridge'] as const;

type ProbeResult = Record<
  (typeof CLIENTS)[number],
  { readonly credentials?: Record<string, unknown>; readonly error?: { readonly name: string; readonly message: string } }
>;

const run = promisify(execFile);
let dir: string;
let probe: string;
let metafile: Metafile;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pinrelay-lambda-credentials-'));
  probe = path.join(dir, 'probe.mjs');
  const result = await build({
    ...FUNCTION_BUNDLING,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    external: [...FUNCTION_BUNDLING.external],
    stdin: { contents: PROBE, resolveDir: ROOT, sourcefile: 'probe.mjs', loader: 'js' },
    outfile: probe,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'error',
  });
  metafile = result.metafile;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the bundled probe in a fresh process with only `variables` on top of a scrubbed, offline environment. */
async function probeWith(variables: Readonly<Record<string, string>>): Promise<ProbeResult> {
  const { stdout } = await run(lambdaNode(ROOT), [probe], {
    env: {
      HOME: dir,
      AWS_CONFIG_FILE: path.join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      ...variables,
    },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as ProbeResult;
}

const ROLE = {
  AWS_ACCESS_KEY_ID: 'ASIAPINRELAYTEST0001',
  AWS_SECRET_ACCESS_KEY: 'pinrelay/test/secret+access+key/0000000000',
  AWS_SESSION_TOKEN: 'pinrelay-test-session-token//execution-role==',
};

describe('bundled functions take their credentials from the Lambda runtime environment only', () => {
  it('every SDK client resolves exactly the execution role credentials the runtime sets', async () => {
    const results = await probeWith(ROLE);
    for (const name of CLIENTS) {
      expect(results[name], name).toEqual({
        credentials: {
          accessKeyId: ROLE.AWS_ACCESS_KEY_ID,
          secretAccessKey: ROLE.AWS_SECRET_ACCESS_KEY,
          sessionToken: ROLE.AWS_SESSION_TOKEN,
        },
      });
    }
  });

  it("without the variables every client rejects with the SDK's credentials error, naming the environment", async () => {
    const results = await probeWith({});
    for (const name of CLIENTS) {
      expect(results[name]?.credentials, name).toBeUndefined();
      expect(results[name]?.error?.name, name).toBe('CredentialsProviderError');
      expect(results[name]?.error?.message, name).toMatch(/environment variable credentials/);
    }
  });

  it('an access key without its secret is refused, not half-used', async () => {
    const results = await probeWith({ AWS_ACCESS_KEY_ID: ROLE.AWS_ACCESS_KEY_ID });
    for (const name of CLIENTS) expect(results[name]?.error?.name, name).toBe('CredentialsProviderError');
  });

  it("bundles the environment provider in place of the default chain, and none of the chain's other links", () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('lib/bundling/lambda-credentials.ts');
    expect(inputs.some((input) => input.includes('node_modules/@aws-sdk/credential-provider-env/'))).toBe(true);
    for (const pkg of DEFAULT_CHAIN_PACKAGES) {
      expect(
        inputs.filter((input) => input.includes(`node_modules/${pkg}/`)),
        pkg,
      ).toEqual([]);
    }
  });
});
