import { parseArgs } from 'node:util';
import { isWebhookId } from '../definitions/webhooks.ts';
import { readLocalState, stateFilePath, type LocalState } from '../local/state-file.ts';
import { runTenantCommand, TENANT_COMMANDS, TENANT_USAGE } from './admin-keys.ts';
import { OPS_COMMANDS, OPS_USAGE, runOpsCommand } from './ops.ts';
import { formatReplayReport, progressText, runWebhookReplay } from './webhook-replay.ts';

/**
 * pinrelay admin CLI.
 *   npm run admin -- create-tenant NAME            against AWS: TENANTS_TABLE_NAME and USAGE_PLAN_ID (stack outputs) + AWS_REGION
 *   npm run admin -- create-tenant NAME --local    against a running `npm start`
 *   npm run admin -- create-key TENANT_ID [--local]   another key for a tenant (rotation)
 *   npm run admin -- list-keys TENANT_ID | revoke-key KEY_ID [--apply] | usage-keys [--apply]
 *       a tenant's keys (never the key or its hash), revoking one, usage-plan keys for older tenants
 *       (bin/admin-keys.ts; dry runs unless --apply)
 *   npm run admin -- webhooks replay [--subscription ID] [--dry-run] [--json] [--local]
 *       re-sends what the webhook DLQ holds, each event to its own subscription (docs/webhooks.md); against
 *       AWS: WEBHOOK_DLQ_URL, EVENT_BUS_NAME and WEBHOOK_NAME_PREFIX (stack outputs WebhookDeadLetterQueueUrl,
 *       EventBusName, WebhookNamePrefix) + AWS_REGION, or --queue-url, --event-bus, --name-prefix.
 *   npm run admin -- jobs failed | jobs requeue | jobs stuck | jobs nudge | dlq redrive | queues | rate
 *       operations: failed jobs by route with their remediation, bulk requeue, stuck jobs and the
 *       reconciliation run now, dead-letter redrive, queue depths, an account's rate meter (bin/ops.ts;
 *       dry runs unless --apply, --json for scripts, progress on stderr).
 * Options: --table NAME (instead of TENANTS_TABLE_NAME), --endpoint URL (LocalStack), --region.
 * Keys are printed once; only their SHA-256 is stored.
 */
const USAGE = [
  'usage: npm run admin -- <command> [--local] [--table NAME] [--endpoint URL] [--region REGION]',
  TENANT_USAGE,
  '       npm run admin -- webhooks replay [--subscription WEBHOOK_ID] [--dry-run] [--json] [--local]',
  '                        [--queue-url URL] [--event-bus NAME] [--name-prefix PREFIX] [--endpoint URL] [--region REGION]',
  OPS_USAGE,
].join('\n');

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
    subscription: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'queue-url': { type: 'string' },
    'event-bus': { type: 'string' },
    'name-prefix': { type: 'string' },
    'usage-plan': { type: 'string' },
    // operations commands (bin/ops.ts)
    tenant: { type: 'string' },
    route: { type: 'string' },
    reason: { type: 'string' },
    account: { type: 'string' },
    limit: { type: 'string' },
    set: { type: 'string', multiple: true },
    job: { type: 'string', multiple: true },
    apply: { type: 'boolean', default: false },
    grace: { type: 'string' },
    queue: { type: 'string' },
    'jobs-table': { type: 'string' },
    stage: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [command, argument] = positionals;
const opsCommand = (OPS_COMMANDS as readonly string[]).includes(command ?? '');
const tenantCommand = (TENANT_COMMANDS as readonly string[]).includes(command ?? '');
// `queues`, `rate` and `usage-keys` stand alone; every other command has one argument (a name, an id or a subcommand).
const single = command === 'queues' || command === 'rate' || command === 'usage-keys';
if (!command || (single ? positionals.length !== 1 : !argument || positionals.length > 2)) fail(USAGE);
if ((opsCommand || tenantCommand) && values.apply && values['dry-run'])
  fail('--apply and --dry-run: choose one (without --apply nothing changes)');

const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let local: Partial<LocalState> | undefined;
if (values.local) {
  const stateFile = stateFilePath();
  local = readLocalState(stateFile);
  if (!local) fail(`no running local pipeline found (${stateFile} is missing): start it with npm start`);
}

if (command === 'webhooks') {
  if (argument !== 'replay') fail(USAGE);
  process.exit(await replayCommand());
}

const io = { stdout: (text: string) => console.log(text), stderr: process.stderr, env: process.env, local };
if (opsCommand) process.exit(await runOpsCommand(command, argument, values, io));
if (tenantCommand) process.exit(await runTenantCommand(command, argument, values, io));
fail(USAGE);

/** `webhooks replay`: exit code 0 when everything it tried went through, 1 when something failed (it stays in the queue). */
async function replayCommand(): Promise<number> {
  const subscription = values.subscription;
  if (subscription !== undefined && !isWebhookId(subscription))
    fail(`--subscription ${subscription}: not a webhook id (whk_… or whs_<name>)`);
  if (local && !local.sqsEndpoint) fail('the running npm start is older than webhooks replay: restart it');
  // Local mode means the running `npm start`: its state file wins over the environment (flags win over both).
  const pick = (flag: string | undefined, env: string, fromState: string | undefined) => flag ?? (local ? fromState : process.env[env]);
  const queueUrl = pick(values['queue-url'], 'WEBHOOK_DLQ_URL', local?.webhookDeadLetterQueueUrl);
  const eventBusName = pick(values['event-bus'], 'EVENT_BUS_NAME', local?.eventBusName);
  const namePrefix = pick(values['name-prefix'], 'WEBHOOK_NAME_PREFIX', local?.webhookNamePrefix);
  if (!queueUrl)
    fail('which webhook DLQ? set WEBHOOK_DLQ_URL (the WebhookDeadLetterQueueUrl stack output), pass --queue-url, or use --local');
  if (!eventBusName) fail('which event bus? set EVENT_BUS_NAME (the EventBusName stack output), pass --event-bus, or use --local');
  if (!namePrefix)
    fail(
      'which deployment? set WEBHOOK_NAME_PREFIX (the WebhookNamePrefix stack output, pinrelay-<stage>-wh-), pass --name-prefix, or use --local',
    );

  const dryRun = values['dry-run'];
  const tty = process.stderr.isTTY === true;
  let shown = '';
  try {
    const report = await runWebhookReplay(
      {
        region,
        queueUrl,
        eventBusName,
        namePrefix,
        ...(local
          ? { sqsEndpoint: local.sqsEndpoint, eventBridgeEndpoint: local.eventBridgeEndpoint, credentials: localCredentials }
          : values.endpoint
            ? { sqsEndpoint: values.endpoint, eventBridgeEndpoint: values.endpoint }
            : {}),
      },
      {
        ...(subscription !== undefined ? { subscription } : {}),
        dryRun,
        onProgress: (progress) => {
          const text = progressText(progress, dryRun);
          if (text === shown) return;
          shown = text;
          process.stderr.write(tty ? `\r\x1b[K${text}` : `${text}\n`);
        },
      },
    );
    if (tty && shown) process.stderr.write('\n');
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReplayReport(report));
    return report.failed > 0 || report.not_deleted > 0 ? 1 : 0;
  } catch (error) {
    if (tty && shown) process.stderr.write('\n');
    fail(`admin: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}
