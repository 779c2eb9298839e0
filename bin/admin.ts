import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTenantStore } from '../lambdas/adapters/dynamo-tenant-store.ts';
import { systemClock } from '../lambdas/domain/clock.ts';
import { hashApiKey, newApiKey, newKeyId } from '../lambdas/domain/ids.ts';
import { createTenant } from '../lambdas/use-cases/tenants.ts';

/**
 * pinrelay admin CLI.
 *   npm run admin -- create-tenant NAME            against AWS: TENANTS_TABLE_NAME (stack output) + AWS_REGION
 *   npm run admin -- create-tenant NAME --local    against a running `npm start`
 *   npm run admin -- create-key TENANT_ID [--local]   another key for a tenant (rotation)
 * Options: --table NAME (instead of TENANTS_TABLE_NAME), --endpoint URL (LocalStack), --region.
 * Keys are printed once; only their SHA-256 is stored.
 */
const USAGE = `usage: npm run admin -- <create-tenant NAME | create-key TENANT_ID> [--local] [--table NAME] [--endpoint URL] [--region REGION]`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    local: { type: 'boolean', default: false },
    table: { type: 'string' },
    endpoint: { type: 'string' },
    region: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [command, argument] = positionals;
if (!command || !argument || positionals.length > 2) fail(USAGE);

let table = values.table ?? process.env['TENANTS_TABLE_NAME'];
let endpoint = values.endpoint;
let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
if (values.local) {
  const stateFile = process.env['PINRELAY_STATE_FILE'] ?? '.pinrelay/local.json';
  let state: { dynamodbEndpoint: string; tenantsTable: string };
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    fail(`no running local pipeline found (${stateFile} is missing): start it with npm start`);
  }
  table ??= state.tenantsTable;
  endpoint ??= state.dynamodbEndpoint;
  credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
}
if (!table) fail('which tenants table? set TENANTS_TABLE_NAME (the TenantsTableName stack output), pass --table, or use --local');

const client = new DynamoDBClient({
  region: values.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
  ...(endpoint ? { endpoint } : {}),
  ...(credentials ? { credentials } : {}),
});
const tenants = new DynamoTenantStore(DynamoDBDocumentClient.from(client), table);

try {
  if (command === 'create-tenant') {
    const created = await createTenant({ tenants, clock: systemClock }, argument);
    console.log(JSON.stringify(created, null, 2));
    console.error('Store the api_key now: it is not shown again.');
  } else if (command === 'create-key') {
    if (!(await tenants.getTenant(argument))) fail(`tenant ${argument} does not exist`);
    const apiKey = newApiKey();
    const keyId = newKeyId();
    await tenants.addApiKey({ keyId, tenantId: argument, keyHash: hashApiKey(apiKey), createdAt: systemClock.now().toISOString() });
    console.log(JSON.stringify({ tenant_id: argument, key_id: keyId, api_key: apiKey }, null, 2));
    console.error('Store the api_key now: it is not shown again.');
  } else {
    fail(USAGE);
  }
} catch (error) {
  fail(`admin: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
}
