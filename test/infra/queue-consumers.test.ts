import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE_VISIBILITY_FACTOR } from '../../lib/constructs/publish-worker.ts';
import { matchesLeadingKey } from '../../definitions/item-access.ts';
import { WORKER_TIMEOUT_SECONDS } from '../../definitions/queues.ts';
import {
  DEFINITIONS,
  READ_ACTIONS,
  WRITE_ACTIONS,
  allActions,
  byName,
  dynamoActions,
  functionLogicalId,
  functionProps,
  functionVariables,
  importedFrom,
  mappingOf,
  policyStatements,
  resourcesAllowing,
  synthStatelessStages,
} from './stateless-support.ts';
import { actionsOf, arrayAt, at, type Synthesized } from './support.ts';

/**
 * The stateless stack's stream and queue consumers: the outbox relay and sweeper (lib/constructs/job-outbox.ts),
 * publish-pin on the FIFO publish queue and release-due-jobs on the delay queue (lib/constructs/publish-worker.ts):
 * their event source mappings, timeouts, environment and grants.
 */

describe('StatelessStack', () => {
  let dev: Synthesized;
  let custom: Synthesized;

  beforeAll(() => {
    ({ dev, custom } = synthStatelessStages());
  });

  describe('job outbox', () => {
    it('relay-outbox consumes the jobs table stream in order, with partial failures, bisect, retries and a DLQ', () => {
      const mapping = mappingOf(dev, 'relay-outbox');
      expect(mapping?.props).toMatchObject({
        FunctionName: { Ref: functionLogicalId(dev, 'relay-outbox') },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 24 * 3600,
        ParallelizationFactor: 1,
      });
      expect(JSON.stringify(mapping?.props.EventSourceArn)).toMatch(/TablesJobsTable.*StreamArn/);
      expect(JSON.stringify(at(mapping?.props, 'DestinationConfig', 'OnFailure', 'Destination'))).toMatch(
        /QueuesOutboxDeadLetterQueue.*Arn/,
      );
    });

    it('the relay may read the stream and send to the outbox DLQ', () => {
      const actions = allActions(dev, 'relay-outbox');
      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']),
      );
      const sends = JSON.stringify(policyStatements(dev, byName('relay-outbox')));
      expect(sends).toMatch(/QueuesOutboxDeadLetterQueue/);
    });

    it("sweep-outbox runs on a schedule at the definition's rate", () => {
      const sweep = byName('sweep-outbox');
      const every = sweep.trigger.kind === 'schedule' ? sweep.trigger.everyMinutes : NaN;
      dev.statelessTemplate.resourceCountIs('AWS::Events::Rule', 2); // the sweeper's and the reconciler's
      dev.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: every === 1 ? 'rate(1 minute)' : `rate(${every} minutes)`,
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionLogicalId(dev, 'sweep-outbox'), 'Arn'] } })],
      });
      dev.statelessTemplate.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [functionLogicalId(dev, 'sweep-outbox'), 'Arn'] },
      });
    });
  });

  describe('publish worker and delayed requeue', () => {
    it('one event source mapping per stream or queue consumer, nothing else', () => {
      dev.statelessTemplate.resourceCountIs('AWS::Lambda::EventSourceMapping', 5); // record-dead-letters has two (test/infra/stranded-jobs.test.ts)
      for (const name of ['relay-outbox', 'publish-pin', 'release-due-jobs']) mappingOf(dev, name);
    });

    it('publish-pin consumes the FIFO publish queue: batches of 10, partial batch responses, no batching window, no concurrency cap by default', () => {
      const mapping = mappingOf(dev, 'publish-pin');
      expect(mapping.props).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      expect(mapping.props).not.toHaveProperty('MaximumBatchingWindowInSeconds');
      expect(mapping.props).not.toHaveProperty('ScalingConfig');
      expect(importedFrom(mapping.props.EventSourceArn)).toMatch(
        /^Pinrelay-dev-Stateful:ExportsOutputFnGetAttQueuesPublishQueue[0-9A-F]{8}Arn/,
      );
    });

    it('workerMaxConcurrency caps the publish queue mapping', () => {
      expect(mappingOf(custom, 'publish-pin').props).toMatchObject({ ScalingConfig: { MaximumConcurrency: 20 } });
      expect(mappingOf(custom, 'release-due-jobs').props).not.toHaveProperty('ScalingConfig');
    });

    it('release-due-jobs consumes the standard delay queue: batches of 10, partial batch responses, no batching window', () => {
      const mapping = mappingOf(dev, 'release-due-jobs');
      expect(mapping.props).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      expect(mapping.props).not.toHaveProperty('MaximumBatchingWindowInSeconds');
      expect(importedFrom(mapping.props.EventSourceArn)).toMatch(
        /^Pinrelay-dev-Stateful:ExportsOutputFnGetAttQueuesDelayQueue[0-9A-F]{8}Arn/,
      );
    });

    it('visibility: the worker times out at WORKER_TIMEOUT_SECONDS and the publish queue hides a message 6× that; the delay queue covers release-due-jobs', () => {
      const workerTimeout = functionProps(dev, byName('publish-pin')).Timeout as number;
      const requeueTimeout = functionProps(dev, byName('release-due-jobs')).Timeout as number;
      const visibility = (queue: { node: { defaultChild?: unknown } }) =>
        (
          dev.statefulTemplate.toJSON().Resources[dev.stateful.getLogicalId(queue.node.defaultChild as never)] as {
            Properties: { VisibilityTimeout: number };
          }
        ).Properties.VisibilityTimeout;

      expect(workerTimeout).toBe(WORKER_TIMEOUT_SECONDS);
      expect(visibility(dev.stateful.queues.publishQueue)).toBe(PUBLISH_QUEUE_VISIBILITY_FACTOR * workerTimeout);
      // Lambda refuses an SQS mapping whose queue visibility is shorter than the function timeout.
      expect(visibility(dev.stateful.queues.delayQueue)).toBeGreaterThanOrEqual(requeueTimeout);
    });

    it('publish-pin and release-due-jobs env: Pinterest, pacing and retry settings from the stage config', () => {
      expect(functionVariables(dev, 'publish-pin')).toMatchObject({
        PINTEREST_API_BASE_URL: 'https://api-sandbox.pinterest.com', // cdk.json dev
        PINTEREST_TIMEOUT_MS: '10000',
        PACING_ACCOUNT_PER_MINUTE: '10',
        PACING_APP_PER_SECOND: '10',
        RETRY_BASE_SECONDS: '5',
        RETRY_MAX_ATTEMPTS: '5',
        ACCOUNT_SECRET_PREFIX: 'pinrelay/dev/accounts',
      });
      expect(importedFrom(functionVariables(dev, 'publish-pin').PINTEREST_APP_SECRET_ARN)).toMatch(
        /^Pinrelay-dev-Stateful:ExportsOutputRefPinterestAppCredentialsSecret[0-9A-F]{8}/,
      );
      expect(functionVariables(custom, 'publish-pin')).toMatchObject({
        PINTEREST_API_BASE_URL: 'https://api.pinterest.com', // the default
        PINTEREST_TIMEOUT_MS: '4000',
        PACING_ACCOUNT_PER_MINUTE: '6',
        PACING_APP_PER_SECOND: '2',
        RETRY_BASE_SECONDS: '3',
        RETRY_MAX_ATTEMPTS: '7',
      });
      const requeue = functionVariables(dev, 'release-due-jobs');
      expect(JSON.stringify(requeue.PUBLISH_QUEUE_URL)).toMatch(/ExportsOutputRefQueuesPublishQueue/);
      expect(JSON.stringify(requeue.DELAY_QUEUE_URL)).toMatch(/ExportsOutputRefQueuesDelayQueue/);
    });

    it('publish-pin reads the Pinterest app secret and the account secrets, and writes account secrets (refreshed tokens)', () => {
      const appSecret = /PinterestAppCredentialsSecret/;
      const prefix = JSON.stringify({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string; ${...} is its substitution syntax, not a template literal.
        'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:pinrelay/dev/accounts/*',
      });
      const getSecret = resourcesAllowing(dev, 'publish-pin', 'secretsmanager:GetSecretValue');
      expect(getSecret.filter((r) => appSecret.test(r))).toHaveLength(1);
      expect(getSecret).toContain(prefix);
      expect(getSecret).toHaveLength(2);
      expect(resourcesAllowing(dev, 'publish-pin', 'secretsmanager:PutSecretValue')).toEqual([prefix]);
      // It stores refreshed tokens in existing secrets only: no creating or tagging secrets (secrets:rotate).
      for (const action of ['secretsmanager:CreateSecret', 'secretsmanager:TagResource']) {
        expect(resourcesAllowing(dev, 'publish-pin', action)).toEqual([]);
      }
      // The app secret is read-only for the worker.
      for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret', 'secretsmanager:DescribeSecret']) {
        expect(resourcesAllowing(dev, 'publish-pin', action).filter((r) => appSecret.test(r))).toEqual([]);
      }
      const kms = policyStatements(dev, byName('publish-pin')).filter((st) => JSON.stringify(st.Action).includes('kms:Decrypt'));
      expect(kms.length).toBeGreaterThan(0);
      for (const st of kms) {
        expect(JSON.stringify(st.Resource)).toMatch(/AccountSecretsKey.*Arn/);
        expect(st.Condition).toEqual({
          StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        });
      }
    });

    it('only publish-pin may read the Pinterest app secret', () => {
      for (const def of DEFINITIONS.filter((d) => d.name !== 'publish-pin')) {
        expect(JSON.stringify(policyStatements(dev, def))).not.toMatch(/PinterestAppCredentialsSecret/);
      }
    });

    it('publish-pin sends only to the delay queue and consumes only the publish queue', () => {
      const sends = resourcesAllowing(dev, 'publish-pin', 'sqs:SendMessage');
      expect(sends).toHaveLength(1);
      expect(sends[0]).toMatch(/QueuesDelayQueue[0-9A-F]{8}Arn/);
      const receives = resourcesAllowing(dev, 'publish-pin', 'sqs:ReceiveMessage');
      expect(receives).toHaveLength(1);
      expect(receives[0]).toMatch(/QueuesPublishQueue[0-9A-F]{8}Arn/);
      expect(resourcesAllowing(dev, 'publish-pin', 'sqs:DeleteMessage')).toEqual(receives);
    });

    it('publish-pin reads and writes the jobs table (and its indexes)', () => {
      expect(dynamoActions(dev, 'publish-pin')).toEqual([...READ_ACTIONS, ...WRITE_ACTIONS].sort());
      for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']) {
        const tables = resourcesAllowing(dev, 'publish-pin', action);
        expect(tables.some((r) => /TablesJobsTable/.test(r) && !r.includes('/index/'))).toBe(true);
      }
    });

    it('publish-pin on the tenants table: account records (read, status update) and pacing buckets only, by partition key', () => {
      const tenantsArn = {
        'Fn::ImportValue': expect.stringMatching(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttTablesTenantsTable[0-9A-F]{8}Arn/),
      };
      const onTenants = policyStatements(dev, byName('publish-pin')).filter((st) => /TablesTenantsTable/.test(JSON.stringify(st.Resource)));
      const byKeys = (patterns: string[]) => ({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      });
      expect(onTenants).toEqual([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tenantsArn, Condition: byKeys(['TENANT#*']) },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: tenantsArn,
          Condition: {
            ...byKeys(['TENANT#*']),
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'connection_status', 'updated_at', 'connection_id'] },
          },
        },
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: tenantsArn, Condition: byKeys(['PACING#*']) },
      ]);

      // What that rules out: no API key item at all, no PutItem/DeleteItem of a tenant or an account item.
      const allowed = (action: string, pk: string) =>
        onTenants.some(
          (st) =>
            actionsOf(st).includes(action) &&
            arrayAt(st.Condition, 'ForAllValues:StringLike', 'dynamodb:LeadingKeys').some((p) => matchesLeadingKey(String(p), pk)),
        );
      for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']) {
        expect(allowed(action, 'APIKEY#9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'), action).toBe(false);
      }
      for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
        expect(allowed(action, 'TENANT#ten_123'), action).toBe(false);
      }
      expect(allowed('dynamodb:GetItem', 'TENANT#ten_123')).toBe(true);
      expect(allowed('dynamodb:PutItem', 'PACING#ten_123#acme-main')).toBe(true);
      expect(allowed('dynamodb:PutItem', 'PACING#app')).toBe(true);
    });

    it('release-due-jobs sends to both queues, consumes the delay queue, writes jobs, and touches no secret', () => {
      const sends = resourcesAllowing(dev, 'release-due-jobs', 'sqs:SendMessage').join(' ');
      expect(sends).toMatch(/QueuesPublishQueue[0-9A-F]{8}Arn/);
      expect(sends).toMatch(/QueuesDelayQueue[0-9A-F]{8}Arn/);
      const receives = resourcesAllowing(dev, 'release-due-jobs', 'sqs:ReceiveMessage');
      expect(receives).toHaveLength(1);
      expect(receives[0]).toMatch(/QueuesDelayQueue[0-9A-F]{8}Arn/);
      expect(dynamoActions(dev, 'release-due-jobs')).toEqual([...READ_ACTIONS, ...WRITE_ACTIONS].sort());
      expect(allActions(dev, 'release-due-jobs').filter((a) => a.startsWith('secretsmanager:') || a.startsWith('kms:'))).toEqual([]);
    });
  });
});
