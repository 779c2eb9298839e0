import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { grantsFor, type Grant, type GrantCondition, type GrantResource } from '../../definitions/access-grants.ts';

/** The ARN of each resource a construct's grants name; a resource the construct cannot reach throws. */
export type ResourceArns = (resource: GrantResource) => string;

/**
 * Add the grants of definitions/access-grants.ts that apply to this stage to a role, as they are written:
 * the catalogue is the whole truth about a role (test/infra/least-privilege.test.ts holds every role to it).
 * Returns the resources the added grants reach, for the caller's cdk-nag acknowledgements.
 */
export function addGrants(
  role: iam.IRole,
  grants: readonly Grant[],
  arnOf: ResourceArns,
  options: { readonly customerManagedKey: boolean },
): Set<GrantResource> {
  const reached = new Set<GrantResource>();
  for (const grant of grantsFor(grants, options)) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...grant.actions],
        resources: grant.resources.map(arnOf),
        ...(grant.condition ? { conditions: conditionOf(grant.condition) } : {}),
      }),
    );
    for (const resource of grant.resources) reached.add(resource);
  }
  return reached;
}

/**
 * IAM conditions of a grant. Item limits: `ForAllValues` passes when the key is missing, so `Null: false`
 * insists the request names partition keys; every item-scoped action is a single-item one or a Query on one
 * partition, which always does.
 */
export function conditionOf(condition: GrantCondition): Record<string, Record<string, unknown>> {
  if ('viaService' in condition) return { StringEquals: { 'kms:ViaService': `${condition.viaService}.${Aws.REGION}.amazonaws.com` } };
  if ('passedToService' in condition) return { StringEquals: { 'iam:PassedToService': condition.passedToService } };
  const { leadingKeys, attributes } = condition.items;
  return {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] },
    ...(attributes ? { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] } } : {}),
    Null: { 'dynamodb:LeadingKeys': 'false' },
  };
}

/** For constructs that reach only some resources: the ARN of each, or an error naming the one missing. */
export function arnsFrom(scope: string, arns: Partial<Record<GrantResource, string>>): ResourceArns {
  return (resource) => {
    const arn = arns[resource];
    if (arn === undefined) throw new Error(`${scope}: a grant names ${resource}, which this construct does not reach`);
    return arn;
  };
}
