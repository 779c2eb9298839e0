import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_RESPONSES, gatewayResponseBody } from '../../definitions/gateway-responses.ts';
import { SETTINGS } from '../../definitions/settings.ts';
import { ERROR_CODES } from '../../lambdas/api/schemas/error.ts';
import { API_ROUTES, functionLogicalId, logicalId, methodFor, synthStatelessStages } from './stateless-support.ts';
import { at, resourcesOfType, type Synthesized } from './support.ts';

/**
 * The stateless stack's REST API (lib/constructs/public-api.ts): one method per api route of FUNCTIONS, the
 * authorizer, the gateway responses, the stage's logging and throttling, the URL output.
 */

describe('StatelessStack', () => {
  let dev: Synthesized;
  let custom: Synthesized;

  beforeAll(() => {
    ({ dev, custom } = synthStatelessStages());
  });

  describe('REST API', () => {
    it('is a single regional REST API with CloudFormation-generated names', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::RestApi', 1);
      dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
    });

    it('has a REQUEST authorizer backed by authorize-request, on the Authorization header, cached 60 s', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
      const [authorizer] = resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Authorizer');
      expect(authorizer?.props).toMatchObject({
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 60,
      });
      expect(JSON.stringify(authorizer?.props.AuthorizerUri)).toContain(functionLogicalId(dev, 'authorize-request'));
    });

    it('authorizerCacheSeconds: 0 disables the authorizer cache', () => {
      custom.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    });

    it('per-tenant throttling: API keys come from the authorizer (never a header), and every authorized method requires one', () => {
      // A usage plan throttles a method only when it requires an API key; with the AUTHORIZER source the key is
      // the authorizer's usageIdentifierKey (the tenant's usage-plan key), so callers never send one.
      dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
      for (const { route } of API_ROUTES) {
        const method = methodFor(dev, route.method, route.path)!;
        if (route.authorized) expect(method.props.ApiKeyRequired, `${route.method} ${route.path}`).toBe(true);
        // The public documents have no authorizer, hence no key: requiring one would refuse every request.
        else expect(method.props.ApiKeyRequired ?? false, `${route.method} ${route.path}`).toBe(false);
      }
    });

    it('per-tenant throttling: one usage plan on this stage, its throttle and quota from tenantLimits, its id an output', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
      const [plan] = resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::UsagePlan');
      expect(plan!.props.Throttle).toEqual({
        RateLimit: SETTINGS.tenantLimits.rateLimit.default,
        BurstLimit: SETTINGS.tenantLimits.burstLimit.default,
      });
      expect(plan!.props).not.toHaveProperty('Quota'); // dailyQuota 0: no quota
      const stages = plan!.props.ApiStages as { ApiId: unknown; Stage: unknown }[];
      expect(stages).toHaveLength(1);
      expect(stages[0]!.ApiId).toEqual({ Ref: resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::RestApi')[0]!.id });
      expect(stages[0]!.Stage).toEqual({ Ref: resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Stage')[0]!.id });
      dev.statelessTemplate.hasOutput('UsagePlanId', { Value: { Ref: plan!.id } });
      // Keys are per tenant and made at run time (npm run admin -- create-tenant), never in the template.
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 0);

      custom.statelessTemplate.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        Throttle: { RateLimit: 4, BurstLimit: 2 },
        Quota: { Limit: 5000, Period: 'DAY' },
      });
    });

    it('has exactly one method per FUNCTIONS api route', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::Method', API_ROUTES.length);
    });

    it.each(API_ROUTES.map(({ def, route }) => [`${route.method} ${route.path}`, def, route] as const))(
      '%s: Lambda proxy to its function, authorizer as the definition says',
      (_key, def, route) => {
        const method = methodFor(dev, route.method, route.path);
        expect(method, `no method for ${route.method} ${route.path}`).toBeDefined();
        expect(method!.props.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
        expect(JSON.stringify(at(method?.props, 'Integration', 'Uri'))).toContain(functionLogicalId(dev, def.name));
        if (route.authorized) {
          expect(method!.props.AuthorizationType).toBe('CUSTOM');
          expect(method!.props.AuthorizerId).toEqual({ Ref: resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Authorizer')[0]!.id });
        } else {
          expect(method!.props.AuthorizationType).toBe('NONE');
          expect(method!.props).not.toHaveProperty('AuthorizerId');
        }
      },
    );

    it('lets API Gateway (not the test console) invoke each API function, scoped to its method', () => {
      const permissions = resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::Permission').filter(
        (p) => p.props.Principal === 'apigateway.amazonaws.com',
      );
      // one per route + one for the authorizer; no test-invoke permissions
      expect(permissions).toHaveLength(API_ROUTES.length + 1);
      expect(JSON.stringify(permissions)).not.toContain('test-invoke-stage');
    });

    it.each(GATEWAY_RESPONSES.map((r) => [r.type, r] as const))('gateway response %s renders the error envelope as JSON', (type, def) => {
      const headers = Object.fromEntries(
        Object.entries('headers' in def ? def.headers : {}).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]),
      );
      dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: 'statusCode' in def ? String(def.statusCode) : Match.absent(),
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/json'", ...headers }),
        ResponseTemplates: { 'application/json': gatewayResponseBody(def) },
      });
      expect(JSON.parse(gatewayResponseBody(def))).toEqual({ error: { code: def.code, message: def.message } });
    });

    it('maps the API Gateway errors to the public error codes', () => {
      const byType = Object.fromEntries(GATEWAY_RESPONSES.map((r) => [r.type, r]));
      expect(byType.UNAUTHORIZED).toMatchObject({ statusCode: 401, code: 'unauthorized' });
      expect(byType.ACCESS_DENIED).toMatchObject({ statusCode: 401, code: 'unauthorized' });
      expect(byType.MISSING_AUTHENTICATION_TOKEN).toMatchObject({ statusCode: 404, code: 'not_found' });
      expect(byType.REQUEST_TOO_LARGE).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
      expect(byType.THROTTLED).toMatchObject({ statusCode: 429, code: 'rate_limited', headers: { 'Retry-After': '1' } });
      expect(byType.QUOTA_EXCEEDED).toMatchObject({ statusCode: 429, code: 'rate_limited' });
      // A tenant without a usage-plan key is the deployment's fault: a 5xx the API alarm sees, never a 4xx blaming the caller.
      expect(byType.INVALID_API_KEY).toMatchObject({ statusCode: 500, code: 'internal' });
      for (const def of GATEWAY_RESPONSES) expect(ERROR_CODES).toContain(def.code);
      expect(byType.DEFAULT_4XX).toMatchObject({ code: 'validation_error' });
      expect(byType.DEFAULT_5XX).toMatchObject({ statusCode: 500, code: 'internal' });
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::GatewayResponse', GATEWAY_RESPONSES.length);
    });

    it('stage: named after the pinrelay stage, X-Ray, ERROR execution logs without data trace, throttled', () => {
      dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'dev',
        TracingEnabled: true,
        MethodSettings: [
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            ThrottlingRateLimit: 50,
            ThrottlingBurstLimit: 100,
          }),
        ],
      });
      custom.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'qa',
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 3 })],
      });
    });

    it('stage: JSON access log to its own log group', () => {
      const [stage] = resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Stage');
      const setting = stage!.props.AccessLogSetting as { DestinationArn: unknown; Format: string };
      expect(JSON.stringify(setting.DestinationArn)).toContain(logicalId(dev, dev.stateless.publicApi.accessLogGroup));
      const format = JSON.parse(setting.Format) as Record<string, string>;
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        status: '$context.status',
        resourcePath: '$context.resourcePath',
        errorType: '$context.error.responseType',
        authorizerError: '$context.authorizer.error',
        tenantId: '$context.authorizer.tenant_id',
        keyId: '$context.authorizer.key_id',
      });
    });

    it('sets up the account-level CloudWatch role API Gateway needs for stage logging, retained', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::Account', 1);
      const roles = resourcesOfType(dev.statelessTemplate, 'AWS::IAM::Role').filter((r) =>
        JSON.stringify(r.props.AssumeRolePolicyDocument).includes('apigateway.amazonaws.com'),
      );
      expect(roles).toHaveLength(1);
      dev.statelessTemplate.hasResource('AWS::IAM::Role', {
        Properties: Match.objectLike({ ManagedPolicyArns: [Match.anyValue()] }),
        DeletionPolicy: 'Retain',
      });
    });

    it('outputs the API URL', () => {
      dev.statelessTemplate.hasOutput('ApiUrl', { Value: Match.anyValue() });
      expect(JSON.stringify(dev.statelessTemplate.toJSON().Outputs.ApiUrl.Value)).toContain('execute-api');
    });
  });
});
