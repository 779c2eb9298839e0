import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ApiRoute } from '../../definitions/functions.ts';
import { GATEWAY_RESPONSES, gatewayResponseBody } from '../../definitions/gateway-responses.ts';
import { SETTINGS } from '../../definitions/settings.ts';
import { managedPolicyFinding } from './nag.ts';

/** One API route and the function behind it (Lambda proxy integration). */
export interface PublicRoute {
  readonly route: ApiRoute;
  readonly handler: lambda.IFunction;
}

export interface PublicApiProps {
  /** API Gateway stage name: the first path segment of the URL (`https://…/<stageName>/v1/pins`). */
  readonly stageName: string;
  /** The REQUEST authorizer function (`authorize-request`): Bearer API key → tenant. */
  readonly authorizerFunction: lambda.IFunction;
  /** Every route of every `kind: 'api'` function. */
  readonly routes: readonly PublicRoute[];
  /**
   * How long API Gateway caches an authorizer decision per Authorization header; zero disables it.
   * @default Duration.seconds(60)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Stage throttling applied to every method.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Each tenant's own throttle and daily quota (0 = none): the usage plan every tenant's usage-plan key is
   * attached to (the `tenantLimits.*` settings).
   * @default the settings' defaults (definitions/settings.ts)
   */
  readonly tenantLimits?: { readonly rateLimit: number; readonly burstLimit: number; readonly dailyQuota: number };
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the access log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * pinrelay's public HTTPS API: an API Gateway REST API (regional) with
 * - a Lambda REQUEST authorizer on `Authorization` for every `authorized` route (results cached per header);
 * - per-tenant throttling: a usage plan with the tenant limits, its API keys read from the authorizer
 *   (`apiKeySourceType: AUTHORIZER`, the authorizer returns the tenant's key as `usageIdentifierKey`), and
 *   `apiKeyRequired` on every authorized method, without which a usage plan throttles nothing. The keys
 *   themselves are made per tenant by `npm run admin -- create-tenant` (the plan's id is a stack output);
 * - one Lambda proxy method per route;
 * - gateway responses that render API Gateway's own errors in pinrelay's envelope (definitions/gateway-responses.ts);
 * - a stage with JSON access logs, X-Ray tracing, ERROR-level execution logs with data trace OFF
 *   (request bodies carry Pinterest tokens: they must never reach a log), and throttling.
 *
 * Fixed: everything above. Request bodies are validated by zod in the handlers, not by API Gateway models.
 */
export class PublicApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly authorizer: apigw.RequestAuthorizer;
  public readonly accessLogGroup: logs.LogGroup;
  /** Base URL of the deployed stage, ending in `/` (append `v1/pins`). */
  public readonly url: string;
  /** The methods by `METHOD /path`, for later alarms and tests. */
  public readonly methods: ReadonlyMap<string, apigw.Method>;
  /** The per-tenant usage plan: create-tenant attaches each tenant's usage-plan key to it. */
  public readonly usagePlan: apigw.UsagePlan;

  constructor(scope: Construct, id: string, props: PublicApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.api = new apigw.RestApi(this, 'RestApi', {
      description: 'pinrelay public API (v1)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Usage-plan keys come from the authorizer (the tenant's), never from a caller's X-API-Key header.
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      // API Gateway needs an account-level CloudWatch role before a stage may log (see docs/adr/0003).
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
      },
    });
    this.url = this.api.url;

    this.authorizer = new apigw.RequestAuthorizer(this, 'Authorizer', {
      handler: props.authorizerFunction,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(60),
    });

    const integrations = new Map<lambda.IFunction, apigw.LambdaIntegration>();
    const methods = new Map<string, apigw.Method>();
    for (const { route, handler } of props.routes) {
      const key = `${route.method} ${route.path}`;
      if (methods.has(key)) throw new Error(`duplicate API route ${key}`);
      let integration = integrations.get(handler);
      if (!integration) {
        integration = new apigw.LambdaIntegration(handler, { proxy: true, allowTestInvoke: false });
        integrations.set(handler, integration);
      }
      const method = this.api.root.resourceForPath(route.path).addMethod(
        route.method,
        integration,
        route.authorized
          ? // apiKeyRequired: the usage plan applies to a method only when it requires a key (here: the authorizer's).
            { authorizer: this.authorizer, authorizationType: apigw.AuthorizationType.CUSTOM, apiKeyRequired: true }
          : { authorizationType: apigw.AuthorizationType.NONE },
      );
      if (!route.authorized) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${key} is a public document (authorized: false in definitions/functions.ts); it exposes no tenant data.`,
        });
      }
      methods.set(key, method);
    }
    this.methods = methods;

    const limits = props.tenantLimits ?? {
      rateLimit: SETTINGS.tenantLimits.rateLimit.default,
      burstLimit: SETTINGS.tenantLimits.burstLimit.default,
      dailyQuota: SETTINGS.tenantLimits.dailyQuota.default,
    };
    this.usagePlan = this.api.addUsagePlan('TenantUsagePlan', {
      description: 'pinrelay per-tenant limits: every tenant has one API key in this plan (npm run admin -- create-tenant)',
      throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
      ...(limits.dailyQuota > 0 ? { quota: { limit: limits.dailyQuota, period: apigw.Period.DAY } } : {}),
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });

    for (const def of GATEWAY_RESPONSES) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', ...('headers' in def ? def.headers : {}) };
      this.api.addGatewayResponse(def.type, {
        type: apigw.ResponseType.of(def.type),
        ...('statusCode' in def ? { statusCode: String(def.statusCode) } : {}),
        // Static header values are single-quoted in API Gateway.
        responseHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`])),
        templates: { 'application/json': gatewayResponseBody(def) },
      });
    }

    this.acknowledgeNagFindings();
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Request validation is done by zod schemas in each handler (definitions + lambdas/*/schema.ts), which answer with ' +
          'field-level error details; API Gateway models would duplicate the schemas and answer without them.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are services authenticating with per-tenant API keys, checked by the authorize-request Lambda REQUEST authorizer; ' +
          'there are no Cognito users. The only unauthenticated method is the public OpenAPI document.',
      },
    );
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Every non-public method requires an API key (Lambda authorizer), the stage is throttled, and bodies are size-limited and ' +
        'schema-validated; a WAF web ACL (cost, managed rule choice) is left to the operator and can be associated with this stage.',
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: managedPolicyFinding(cloudWatchRole, 'service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
        reason:
          'Account-level API Gateway logging role created by CDK (cloudWatchRole: true). AmazonAPIGatewayPushToCloudWatchLogs is the ' +
          'AWS-documented policy for it; the role is shared by every REST API in the account and region, so it cannot be scoped to this API.',
      });
    }
  }
}

/** JSON access log: one line per request, enough to debug without enabling data trace. */
function accessLogFormat(): apigw.AccessLogFormat {
  const F = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: F.contextRequestId(),
      extendedRequestId: F.contextExtendedRequestId(),
      requestTime: F.contextRequestTime(),
      ip: F.contextIdentitySourceIp(),
      userAgent: F.contextIdentityUserAgent(),
      httpMethod: F.contextHttpMethod(),
      resourcePath: F.contextResourcePath(),
      path: F.contextPath(),
      protocol: F.contextProtocol(),
      status: F.contextStatus(),
      responseLength: F.contextResponseLength(),
      responseLatency: F.contextResponseLatency(),
      integrationLatency: F.contextIntegrationLatency(),
      integrationStatus: F.contextIntegrationStatus(),
      errorType: F.contextErrorResponseType(),
      errorMessage: F.contextErrorMessage(),
      authorizerError: F.contextAuthorizerError(),
      tenantId: F.contextAuthorizer('tenant_id'),
      // Which of the tenant's API keys made the request: when a key was last used, before revoking it.
      keyId: F.contextAuthorizer('key_id'),
      xrayTraceId: F.contextXrayTraceId(),
    }),
  );
}
