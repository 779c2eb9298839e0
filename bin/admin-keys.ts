import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayUsagePlanKeys } from '../lambdas/adapters/api-gateway-usage-plan.ts';
import { DynamoTenantDirectory } from '../lambdas/adapters/dynamo-tenant-directory.ts';
import { DynamoTenantStore } from '../lambdas/adapters/dynamo-tenant-store.ts';
import { systemClock } from '../lambdas/domain/clock.ts';
import { DomainError } from '../lambdas/domain/errors.ts';
import { hashApiKey, newApiKey, newKeyId } from '../lambdas/domain/ids.ts';
import { attachMissingUsageKeys, createTenant, listApiKeys, revokeApiKey, TenantNotFound } from '../lambdas/use-cases/tenants.ts';
import { formatApiKeys, formatRevoke, formatUsageKeys } from './admin-keys-output.ts';
import { UsageError, type OpsIo } from './ops-target.ts';

/**
 * The tenant and API key commands of `npm run admin --` (bin/admin.ts parses the arguments):
 *
 *   create-tenant NAME          a tenant and its first key (printed once); in AWS also its usage-plan key
 *   create-key TENANT_ID        another key (rotation: create, switch callers over, revoke the old one)
 *   list-keys TENANT_ID         key ids, created, revoked: never a key or its hash
 *   revoke-key KEY_ID [--apply] the authorizer refuses the key from then on (dry run without --apply)
 *   usage-keys [--apply]        gives tenants without a usage-plan key one (after upgrading a deployment)
 *
 * AWS: the tenants table from TENANTS_TABLE_NAME or --table; the usage plan (per-tenant throttling) from
 * USAGE_PLAN_ID (stack output UsagePlanId) or --usage-plan. `--local`: the running `npm start`, whose API
 * throttles per tenant id and needs no usage-plan key. Exit codes: 0 done, 1 failed (an unknown tenant or
 * key included), 2 usage.
 */

export const TENANT_COMMANDS = ['create-tenant', 'create-key', 'list-keys', 'revoke-key', 'usage-keys'] as const;

export const TENANT_USAGE = [
  '       npm run admin -- create-tenant NAME | create-key TENANT_ID | list-keys TENANT_ID [--json] [--local]',
  '       npm run admin -- revoke-key KEY_ID [--apply] [--json] [--local]',
  '       npm run admin -- usage-keys [--apply] [--json]',
  '       AWS: --table / TENANTS_TABLE_NAME; create-tenant and usage-keys also --usage-plan / USAGE_PLAN_ID (stack output UsagePlanId)',
].join('\n');

/** The parsed options these commands read (bin/admin.ts declares them). */
export interface TenantCommandValues {
  readonly local?: boolean | undefined;
  readonly table?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  readonly 'usage-plan'?: string | undefined;
  readonly apply?: boolean | undefined;
  readonly json?: boolean | undefined;
}

const KEY_ID = /^key_[0-9a-z]{16}$/;
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Runs one tenant or key command; answers the exit code. */
export async function runTenantCommand(
  command: string,
  argument: string | undefined,
  values: TenantCommandValues,
  io: OpsIo,
): Promise<number> {
  const clients: { destroy(): void }[] = [];
  const print = (report: object, text: string) => io.stdout(values.json ? JSON.stringify(report, null, 2) : text);
  try {
    const region = values.region ?? io.env.AWS_REGION ?? 'us-east-1';
    const local = values.local ? io.local : undefined;
    const table = values.table ?? (local ? local.tenantsTable : io.env.TENANTS_TABLE_NAME);
    const endpoint = values.endpoint ?? local?.dynamodbEndpoint;
    if (!table)
      throw new UsageError('which tenants table? set TENANTS_TABLE_NAME (the TenantsTableName stack output), pass --table, or use --local');
    const dynamo = new DynamoDBClient({ region, ...(endpoint ? { endpoint } : {}), ...(local ? { credentials: LOCAL_CREDENTIALS } : {}) });
    clients.push(dynamo);
    const store = new DynamoTenantStore(DynamoDBDocumentClient.from(dynamo), table);
    /** The stage's usage plan (local mode has none). */
    const usagePlan = () => {
      const id = values['usage-plan'] ?? io.env.USAGE_PLAN_ID;
      if (!id) throw new UsageError('which usage plan? set USAGE_PLAN_ID (the UsagePlanId stack output) or pass --usage-plan');
      const apiGateway = new APIGatewayClient({ region, ...(values.endpoint ? { endpoint: values.endpoint } : {}) });
      clients.push(apiGateway);
      return new ApiGatewayUsagePlanKeys(apiGateway, id);
    };
    const needArgument = (what: string): string => {
      if (!argument) throw new UsageError(`${command} needs ${what}`);
      return argument;
    };

    switch (command) {
      case 'create-tenant': {
        const name = needArgument('NAME');
        const created = await createTenant(
          { tenants: store, clock: systemClock, ...(values.local ? {} : { usagePlan: usagePlan() }) },
          name,
        );
        io.stdout(JSON.stringify(created, null, 2));
        io.stderr.write('Store the api_key now: it is not shown again.\n');
        return 0;
      }
      case 'create-key': {
        const tenantId = needArgument('TENANT_ID');
        if (!(await store.getTenant(tenantId))) throw new TenantNotFound(tenantId);
        const apiKey = newApiKey();
        const keyId = newKeyId();
        await store.addApiKey({ keyId, tenantId, keyHash: hashApiKey(apiKey), createdAt: systemClock.now().toISOString() });
        io.stdout(JSON.stringify({ tenant_id: tenantId, key_id: keyId, api_key: apiKey }, null, 2));
        io.stderr.write('Store the api_key now: it is not shown again.\n');
        return 0;
      }
      case 'list-keys': {
        const report = await listApiKeys({ tenants: store, keys: store }, needArgument('TENANT_ID'));
        print(report, formatApiKeys(report));
        return 0;
      }
      case 'revoke-key': {
        const keyId = needArgument('KEY_ID');
        if (!KEY_ID.test(keyId)) throw new UsageError(`${keyId}: not a key id (key_ and 16 characters, as list-keys prints them)`);
        const report = await revokeApiKey({ keys: store, clock: systemClock }, keyId, { apply: values.apply === true });
        print(report, formatRevoke(report));
        return 0;
      }
      case 'usage-keys': {
        if (values.local) throw new UsageError('usage-keys: local mode has no usage plan (its API throttles per tenant id)');
        const report = await attachMissingUsageKeys(
          {
            directory: new DynamoTenantDirectory(DynamoDBDocumentClient.from(dynamo), table),
            tenants: store,
            keys: store,
            usagePlan: usagePlan(),
          },
          { apply: values.apply === true },
        );
        print(report, formatUsageKeys(report));
        return 0;
      }
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    const text = error instanceof DomainError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr.write(`admin: ${text}\n`);
    return 1;
  } finally {
    for (const client of clients) client.destroy();
  }
}
