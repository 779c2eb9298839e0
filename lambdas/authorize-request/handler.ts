import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { METRICS } from '../../definitions/metrics.ts';
import { tenantStore } from '../common/deps/tenants.ts';
import { observedHandler } from '../common/handlers.ts';
import { count, setJobContext } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { authenticate } from '../use-cases/tenants.ts';

/** Allow the whole API, not just this method: API Gateway caches the policy per key for every route. */
function wholeApi(methodArn: string): string {
  const [arnPrefix, stage] = methodArn.split('/');
  return `${arnPrefix}/${stage}/*`;
}

const authorize = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  // Unknown and revoked keys alike are refused here; a key revoked after API Gateway cached its Allow keeps
  // working until that answer expires (authorizerCacheSeconds).
  const key = await authenticate({ tenants: tenantStore() }, header);
  if (!key) {
    logger.info('rejected API key');
    count(METRICS.ApiKeysRejected);
    // This exact message makes API Gateway answer 401 (UNAUTHORIZED gateway response).
    throw new Error('Unauthorized');
  }
  setJobContext({ tenant_id: key.tenantId });
  return {
    principalId: key.tenantId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApi(event.methodArn) }],
    },
    context: { tenant_id: key.tenantId, key_id: key.keyId },
    // The tenant's usage-plan key (the API's key source is AUTHORIZER): API Gateway throttles per tenant by it.
    ...(key.usageKey ? { usageIdentifierKey: key.usageKey } : {}),
  };
};

export const handler = observedHandler(authorize);
