import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { config } from '../config.ts';
import { tracer } from '../powertools.ts';
import { clientOptions } from './endpoint.ts';

/** The container's traced EventBridge client, built on first use (lambdas/common/clients.ts explains the singletons). */
let client: EventBridgeClient | undefined;

export function eventsClient(): EventBridgeClient {
  client ??= tracer.captureAWSv3Client(new EventBridgeClient(clientOptions(config().EVENTBRIDGE_ENDPOINT)));
  return client;
}

/** Drops the singleton: the next call rebuilds it from the current environment. */
export function resetEventsClient(): void {
  client = undefined;
}
