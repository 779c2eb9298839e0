/**
 * The AWS requests a pinrelay run made per published pin (bench/compare.ts), from the counted rows
 * (bench/request-count.ts), in the lines the issue's target (≤ 12 per published pin) is stated in:
 * DynamoDB reads and writes, SQS, EventBridge PutEvents, Secrets Manager. The pollers' empty receives
 * and the stream reads are counted but kept apart: they cost by the hour (or nothing), not by the pin.
 * Pure.
 */
import type { Usage } from './cost.ts';
import { dynamoKind, type RequestRow } from './request-count.ts';

/** The AWS requests per published pin, by the lines the target is stated in. */
export interface RequestsPerPin {
  readonly dynamodbReads: number;
  readonly dynamodbWrites: number;
  readonly sqs: number;
  readonly eventBridgePutEvents: number;
  readonly secretsManager: number;
  /** Everything above: the figure held against the target of 12. */
  readonly total: number;
  readonly apiGateway: number;
  readonly lambdaInvocations: Readonly<Record<string, number>>;
  /** Left out of the total, with why: empty receives and stream reads (time-based, or free). */
  readonly notPerPin: { readonly emptyReceives: number; readonly streamReads: number };
  /** The operations behind the total, most first (requests per pin). */
  readonly top: readonly { readonly service: string; readonly operation: string; readonly resource: string; readonly perPin: number }[];
}

/** Requests per published pin, by the target's lines; empty receives and stream reads apart. */
export function perPin(rows: readonly RequestRow[], usage: Usage): RequestsPerPin {
  const pins = Math.max(1, usage.pins);
  const count = (pick: (r: RequestRow) => boolean, value: (r: RequestRow) => number = (r) => r.requests) =>
    rows.filter(pick).reduce((sum, r) => sum + value(r), 0) / pins;
  const dynamodbReads = count((r) => r.service === 'dynamodb' && dynamoKind(r.operation) === 'read');
  const dynamodbWrites = count((r) => r.service === 'dynamodb' && dynamoKind(r.operation) === 'write');
  const sqs = count(
    (r) => r.service === 'sqs',
    (r) => r.requests - r.empty,
  );
  const eventBridgePutEvents = count((r) => r.service === 'eventbridge' && r.operation === 'PutEvents');
  const secretsManager = count((r) => r.service === 'secretsmanager');
  const billedPerPin = (r: RequestRow) => (r.service === 'sqs' ? r.requests - r.empty : r.requests) / pins;
  const counted = (r: RequestRow) =>
    (r.service === 'dynamodb' && dynamoKind(r.operation) !== 'control') ||
    r.service === 'sqs' ||
    (r.service === 'eventbridge' && r.operation === 'PutEvents') ||
    r.service === 'secretsmanager';
  return {
    dynamodbReads,
    dynamodbWrites,
    sqs,
    eventBridgePutEvents,
    secretsManager,
    total: dynamodbReads + dynamodbWrites + sqs + eventBridgePutEvents + secretsManager,
    apiGateway: count((r) => r.service === 'api'),
    lambdaInvocations: Object.fromEntries(Object.entries(usage.lambdaInvocations).map(([fn, n]) => [fn, n / pins])),
    notPerPin: {
      emptyReceives: count(
        (r) => r.service === 'sqs',
        (r) => r.empty,
      ),
      streamReads: count((r) => r.service === 'dynamodb-streams'),
    },
    top: rows
      .filter(counted)
      .map((r) => ({ service: r.service, operation: r.operation, resource: r.resource, perPin: billedPerPin(r) }))
      .sort((a, b) => b.perPin - a.perPin)
      .slice(0, 12),
  };
}

export function requestsTable(p: RequestsPerPin): string {
  const f = (n: number) => n.toFixed(2);
  return [
    '| AWS requests per published pin (counted) | per pin |',
    '|---|---:|',
    `| DynamoDB reads | ${f(p.dynamodbReads)} |`,
    `| DynamoDB writes | ${f(p.dynamodbWrites)} |`,
    `| SQS (empty receives apart) | ${f(p.sqs)} |`,
    `| EventBridge PutEvents | ${f(p.eventBridgePutEvents)} |`,
    `| Secrets Manager | ${f(p.secretsManager)} |`,
    `| **total** (target ≤ 12) | **${f(p.total)}** |`,
    `| API Gateway requests | ${f(p.apiGateway)} |`,
    `| Lambda invocations | ${Object.entries(p.lambdaInvocations)
      .map(([fn, n]) => `${fn} ${f(n)}`)
      .join(', ')} |`,
    `| not per pin: empty receives, stream reads | ${f(p.notPerPin.emptyReceives)}, ${f(p.notPerPin.streamReads)} |`,
    '',
    '| top operations | per pin |',
    '|---|---:|',
    ...p.top.map((t) => `| ${t.service} ${t.operation} ${t.resource} | ${f(t.perPin)} |`),
  ].join('\n');
}
