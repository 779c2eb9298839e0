import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { PublishWorker, type PublishWorkerProps } from '../../lib/constructs/publish-worker.ts';

/** A stack with two queues and two inline functions (no bundling), visibility and timeouts as given. */
function harness(options: { publishVisibility: number; workerTimeout: number; delayVisibility: number; requeueTimeout: number }) {
  const stack = new Stack(new App(), 'Harness');
  const fn = (id: string, seconds: number) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });'),
      timeout: Duration.seconds(seconds),
    });
  const props: PublishWorkerProps = {
    publishQueue: new sqs.Queue(stack, 'Publish', { fifo: true, visibilityTimeout: Duration.seconds(options.publishVisibility) }),
    workerFunction: fn('WorkerFn', options.workerTimeout),
    delayQueue: new sqs.Queue(stack, 'Delay', { visibilityTimeout: Duration.seconds(options.delayVisibility) }),
    requeueFunction: fn('RequeueFn', options.requeueTimeout),
  };
  return { stack, props };
}

describe('PublishWorker', () => {
  it('maps both queues with batches of 10 and partial batch responses, no batching window, no concurrency cap by default', () => {
    const { stack, props } = harness({ publishVisibility: 180, workerTimeout: 30, delayVisibility: 60, requeueTimeout: 30 });
    new PublishWorker(stack, 'Consumers', props);
    const mappings = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::EventSourceMapping')).map(
      (m) => m.Properties as Record<string, unknown>,
    );

    expect(mappings).toHaveLength(2);
    for (const mapping of mappings) {
      expect(mapping).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      expect(mapping).not.toHaveProperty('MaximumBatchingWindowInSeconds');
      expect(mapping).not.toHaveProperty('ScalingConfig');
    }
  });

  it('workerMaxConcurrency caps the publish queue mapping only', () => {
    const { stack, props } = harness({ publishVisibility: 180, workerTimeout: 30, delayVisibility: 60, requeueTimeout: 30 });
    new PublishWorker(stack, 'Consumers', { ...props, workerMaxConcurrency: 5 });
    const template = Template.fromStack(stack);
    const workerId = stack.getLogicalId(props.workerFunction.node.defaultChild as never);

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: workerId },
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    const capped = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => (m.Properties as Record<string, unknown>).ScalingConfig,
    );
    expect(capped).toHaveLength(1);
  });

  it('fails the synth when the publish queue visibility is below 6 × the worker timeout', () => {
    const { stack, props } = harness({ publishVisibility: 179, workerTimeout: 30, delayVisibility: 60, requeueTimeout: 30 });
    expect(() => new PublishWorker(stack, 'Consumers', props)).toThrow(
      /Publish.*visibility timeout 179 s is below 6 × the timeout of .*WorkerFn \(30 s\)/,
    );
  });

  it('fails the synth when the delay queue visibility is below the requeue function timeout (Lambda rejects that mapping)', () => {
    const { stack, props } = harness({ publishVisibility: 180, workerTimeout: 30, delayVisibility: 29, requeueTimeout: 30 });
    expect(() => new PublishWorker(stack, 'Consumers', props)).toThrow(
      /Delay.*visibility timeout 29 s is below the timeout of .*RequeueFn \(30 s\)/,
    );
  });
});
