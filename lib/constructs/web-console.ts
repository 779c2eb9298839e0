import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AssetHashType, Aws, DefaultStackSynthesizer, DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_CSP, CONSOLE_HASHED_DIR, CONSOLE_IMMUTABLE, CONSOLE_PATH, CONSOLE_REVALIDATE } from '../../definitions/console.ts';
import { managedPolicyFinding, wildcardResourceFinding } from './nag.ts';

/** The console app (console/) and the project root its build script runs in. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSOLE_ROOT = fileURLToPath(new URL('../../console/', import.meta.url));
const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));

export interface WebConsoleProps {
  /** The REST API the console calls: served by the same distribution at `/v1/*` (same origin, no CORS). */
  readonly api: apigw.RestApi;
  /** The API's stage name, the origin path in front of `/v1`. */
  readonly stageName: string;
  /**
   * Days the distribution's access logs and the deployment handler's log are kept (a CloudWatch Logs retention value).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * What happens to the deployment handler's log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The web console in a deployed stage (docs/adr/0015-web-console.md): one CloudFront distribution that serves
 * - `/console/*` from a private S3 bucket (origin access control, the bucket blocks all public access), the
 *   Vite build of console/ uploaded by two BucketDeployments: `assets/` (content-hashed names) cached a year
 *   and immutable, everything else `no-cache`, so a deploy shows on the next load without an invalidation;
 * - `/v1/*` from the REST API's stage (HTTPS only, nothing cached, every viewer header but Host forwarded,
 *   Authorization included), so the page calls its API on its own origin;
 * - `/` and `/console` redirected to `/console/` by a CloudFront function, which also maps `/console/` to its
 *   index.html;
 * - the console's security headers (definitions/console.ts: the CSP local mode sends too), HSTS, and
 *   standard access logs to a log bucket that expires them (the only way in to the console bucket is CloudFront).
 *
 * The build is made at synth by local bundling (`npm run console:build`, then console/dist copied): stacks
 * whose bundling is skipped (the infra tests) hash the console's source instead and never build it.
 * Fixed: everything above.
 */
export class WebConsole extends Construct {
  public readonly distribution: cloudfront.Distribution;
  public readonly bucket: s3.Bucket;
  public readonly logBucket: s3.Bucket;
  /** `https://<distribution domain>/console/` */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);
    const logDays = props.logRetentionDays ?? 30;

    // Standard CloudFront logging writes with ACLs: the log bucket must accept object-writer ownership. It is
    // kept when the stack is deleted (its lifecycle empties it): a non-empty bucket would fail the delete.
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(logDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Nothing here but the build: the BucketDeployments remove their files when the stack is deleted, so the
    // bucket can go with it.
    this.bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const paths = new cloudfront.Function(this, 'ConsolePaths', {
      comment: 'pinrelay console: / and /console redirect to /console/, a directory path serves its index.html',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(consolePathsFunction()),
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'ConsoleHeaders', {
      comment: 'pinrelay console: same-origin CSP, no framing, no sniffing, HSTS',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    // The files say how long they keep (Cache-Control set by the deployments); minTtl 0 lets `no-cache` mean it.
    const staticCache = new cloudfront.CachePolicy(this, 'ConsoleCache', {
      comment: 'pinrelay console: as the files say (hashed assets a year, index.html revalidated)',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.days(1),
      maxTtl: Duration.days(365),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    const apiOrigin = new origins.HttpOrigin(`${props.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
      originPath: `/${props.stageName}`,
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'pinrelay web console (/console/) and its API (/v1/*)',
      defaultBehavior: {
        // READ only: without LIST a missing file answers S3's 403 (not 404), and no path can ever list the bucket.
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, { originAccessLevels: [cloudfront.AccessLevel.READ] }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: staticCache,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations: [{ function: paths, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // Nothing cached, so AllViewerExceptHostHeader may forward Authorization; API Gateway wants its own Host.
        '/v1/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    this.url = `https://${this.distribution.distributionDomainName}${CONSOLE_PATH}/`;

    // The deployments' handler (one CDK singleton function) logs like every function of the stage.
    const deploymentLogs = new logs.LogGroup(this, 'DeploymentLogs', {
      retention: logDays as logs.RetentionDays,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const source = consoleSource();
    const prefix = `${CONSOLE_PATH.slice(1)}/`;
    // Hashed files first and never pruned: a tab still running the previous index.html keeps finding its files.
    const hashed = new s3deploy.BucketDeployment(this, 'DeployHashedAssets', {
      sources: [source],
      destinationBucket: this.bucket,
      destinationKeyPrefix: prefix,
      exclude: ['*'],
      include: [`${CONSOLE_HASHED_DIR}/*`],
      cacheControl: [s3deploy.CacheControl.fromString(CONSOLE_IMMUTABLE)],
      prune: false,
      retainOnDelete: false,
      logGroup: deploymentLogs,
    });
    const pages = new s3deploy.BucketDeployment(this, 'DeployPages', {
      sources: [source],
      destinationBucket: this.bucket,
      destinationKeyPrefix: prefix,
      exclude: [`${CONSOLE_HASHED_DIR}/*`],
      cacheControl: [s3deploy.CacheControl.fromString(CONSOLE_REVALIDATE)],
      retainOnDelete: false,
      logGroup: deploymentLogs,
    });
    pages.node.addDependency(hashed);

    this.acknowledgeNagFindings(hashed);
  }

  private acknowledgeNagFindings(deployment: s3deploy.BucketDeployment): void {
    // Both deployments run on one CDK-provided singleton function (its role is the deployment's handlerRole).
    const handler = deployment.handlerRole.node.scope;
    if (!handler) throw new Error('the BucketDeployment handler role has no function around it');
    const stack = Stack.of(this);
    const qualifier = String(this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER);
    const assetObjects = `arn:${stack.partition}:s3:::cdk-${qualifier}-assets-${stack.account}-${stack.region}/*`;
    const consoleObjects = `${this.bucket.bucketArn}/*`;
    const deploymentOnly =
      'CDK BucketDeployment handler (aws-s3-deployment), which runs only while CloudFormation deploys the console: it copies ' +
      'the console build from the CDK asset bucket into the console bucket (aws s3 sync).';
    Validations.of(handler).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason: `${deploymentOnly} Its runtime is fixed by aws-cdk-lib and moves with aws-cdk-lib upgrades; it handles no tenant data.`,
      },
      {
        id: managedPolicyFinding(handler, 'service-role/AWSLambdaBasicExecutionRole'),
        reason: `${deploymentOnly} AWSLambdaBasicExecutionRole lets it write its own CloudWatch logs and nothing else.`,
      },
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${deploymentOnly} ${action} is CDK's read grant, on the CDK asset bucket (the build's zip) and the console bucket only.`,
      })),
      ...['s3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${deploymentOnly} ${action} is CDK's write grant on the console bucket only: sync removes files of an older build.`,
      })),
      {
        id: wildcardResourceFinding(handler, assetObjects),
        reason: `${deploymentOnly} The objects of the CDK asset bucket: the asset's key is only known when it is published.`,
      },
      {
        id: wildcardResourceFinding(handler, consoleObjects),
        reason: `${deploymentOnly} The objects of the console bucket, which holds nothing but the console build.`,
      },
    );
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket receives the CloudFront distribution's access logs; logging its own access to itself would log the " +
        'log writes without end.',
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Every read of the console bucket comes through the CloudFront distribution (origin access control, public access ' +
        'blocked), whose access logs record each request with the viewer; the only writer is the deployment. S3 server ' +
        'access logs would repeat those requests, and need an ACL-enabled target.',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The console is for the operators of the deployment, wherever they are; it shows nothing without a tenant API key, ' +
          'which the API checks on every call. A stage that must restrict countries can add a geo restriction.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Static files plus the API, whose every tenant call is authorized and throttled per tenant (usage plan) and per stage; ' +
          'a WAF web ACL (cost, managed rule choice) is left to the operator, as for the API stage (AwsSolutions-APIG3).',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The stage config has no custom domain, so the distribution uses the *.cloudfront.net certificate, whose security ' +
          'policy CloudFront fixes; with a custom domain and ACM certificate, set TLSv1.2_2021.',
      },
    );
  }
}

/**
 * The console build as a deployment source: built at synth (`npm run console:build`, Vite) and console/dist
 * copied as the asset; hashed on the output, so a deploy uploads only when the built files changed.
 */
function consoleSource(): s3deploy.ISource {
  return s3deploy.Source.asset(CONSOLE_ROOT, {
    exclude: ['dist', 'node_modules'],
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: the local build below either succeeds or throws (a container has no project to build in).
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-bookworm-slim'),
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync('npm', ['run', '-s', 'console:build'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
          cpSync(CONSOLE_DIST, outputDir, { recursive: true });
          return true;
        },
      },
    },
  });
}

/** The viewer-request function (cloudfront-js-2.0): redirects to /console/ and maps a directory to index.html. */
export function consolePathsFunction(): string {
  return `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '${CONSOLE_PATH}') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '${CONSOLE_PATH}/' } } };
  }
  if (uri.endsWith('/')) request.uri = uri + 'index.html';
  return request;
}`;
}
