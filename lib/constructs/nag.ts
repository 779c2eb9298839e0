import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
// cdk-nag's own renderer of CloudFormation references in finding ids (pinned with cdk-nag): using it
// keeps acknowledgement ids exactly equal to the findings, whatever the stack's environment.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';

/**
 * The cdk-nag finding id of an AWS-managed policy attached to an IAM entity in `scope`'s stack
 * (`AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/…]`, or with a literal partition
 * when the stack's region is known).
 */
export function managedPolicyFinding(scope: IConstruct, awsManagedPolicyName: string): string {
  const arn = iam.ManagedPolicy.fromAwsManagedPolicyName(awsManagedPolicyName).managedPolicyArn;
  return `AwsSolutions-IAM4[Policy::${flattenCfnReference(Stack.of(scope).resolve(arn))}]`;
}

/** The cdk-nag finding id of a wildcard resource (`AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]`) as `scope`'s stack renders it. */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}
