import { readFileSync } from 'node:fs';
import type { Pipeline } from './pipeline.ts';

/**
 * The state file of a running `npm start` (local/start.ts writes it, removes it on exit): where the admin
 * CLI's `--local` finds local mode's endpoints and names.
 */
export interface LocalState {
  readonly apiUrl: string;
  readonly dynamodbEndpoint: string;
  readonly tenantsTable: string;
  readonly jobsTable: string;
  readonly sqsEndpoint: string;
  readonly eventBridgeEndpoint: string;
  readonly eventBusName: string;
  readonly webhookDeadLetterQueueUrl: string;
  readonly webhookNamePrefix: string;
}

/** `PINRELAY_STATE_FILE`, or `.pinrelay/local.json`. */
export function stateFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PINRELAY_STATE_FILE ?? '.pinrelay/local.json';
}

/** What a pipeline's state file says; `eventBusName` is the bus the pipeline created (its EVENT_BUS_NAME). */
export function localStateOf(pipeline: Pipeline, eventBusName: string): LocalState {
  return {
    apiUrl: pipeline.apiUrl,
    dynamodbEndpoint: pipeline.endpoints.dynamodb,
    tenantsTable: pipeline.tableNames.tenants,
    jobsTable: pipeline.tableNames.jobs,
    sqsEndpoint: pipeline.endpoints.sqs,
    eventBridgeEndpoint: pipeline.endpoints.eventBridge,
    eventBusName,
    webhookDeadLetterQueueUrl: pipeline.queueUrls.webhookDlq,
    webhookNamePrefix: pipeline.webhookNamePrefix,
  };
}

/** The running pipeline's state, or undefined when none is running (no file, or one from an older `npm start`). */
export function readLocalState(file: string): Partial<LocalState> | undefined {
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof state === 'object' && state !== null ? (state as Partial<LocalState>) : undefined;
  } catch {
    return undefined;
  }
}
