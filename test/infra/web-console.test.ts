import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, CONSOLE_IMMUTABLE, CONSOLE_REVALIDATE } from '../../definitions/console.ts';
import { consolePathsFunction } from '../../lib/constructs/web-console.ts';
import { at, resourcesOfType, statementsOf, synthPinrelay, type Props, type Synthesized } from './support.ts';

/**
 * The web console in a deployed stage (lib/constructs/web-console.ts, docs/adr/0015-web-console.md): one CloudFront
 * distribution puts the console (a private S3 bucket, reached only through origin access control) and the API
 * (`/v1/*`, uncached, Authorization forwarded) on one origin; the files carry the cache rules and the CSP local
 * mode serves them with; `console.enabled: false` removes all of it and leaves the API as it was.
 */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let on: Synthesized;
let off: Synthesized;
let template: Template;
let config: Props;

beforeAll(() => {
  on = synthPinrelay({ stage: 'dev' });
  off = synthPinrelay({ stage: 'qa', stages: { qa: { removalPolicy: 'destroy', console: { enabled: false } } } });
  template = on.statelessTemplate;
  const [distribution] = resourcesOfType(template, 'AWS::CloudFront::Distribution');
  config = at(distribution?.props, 'DistributionConfig') as Props;
});

const logicalId = (construct: { node: { defaultChild?: unknown } }) => on.stateless.getLogicalId(construct.node.defaultChild as never);

describe('web console distribution (console.enabled, the default)', () => {
  it('is on by default, and one distribution serves both the console and the API', () => {
    expect(on.config.settings.console).toEqual({ enabled: true });
    expect(resourcesOfType(template, 'AWS::CloudFront::Distribution')).toHaveLength(1);
    expect(resourcesOfType(on.statefulTemplate, 'AWS::CloudFront::Distribution')).toHaveLength(0);
  });

  it('sends /v1/* to the API stage over TLS 1.2, uncached, with every viewer header but Host (Authorization included)', () => {
    const behaviors = at(config, 'CacheBehaviors') as Props[];
    expect(behaviors.map((b) => b.PathPattern)).toEqual(['/v1/*']);
    const [api] = behaviors;
    expect(api).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
    });
    expect(api?.FunctionAssociations).toBeUndefined();
    const origin = (at(config, 'Origins') as Props[]).find((o) => o.Id === api?.TargetOriginId)!;
    expect(origin.OriginPath).toBe('/dev');
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    const domain = JSON.stringify(origin.DomainName);
    expect(domain).toContain(logicalId(on.stateless.publicApi.api));
    expect(domain).toContain('.execute-api.');
  });

  it('serves the console from the private bucket through origin access control, HTTPS, GET/HEAD only, compressed', () => {
    const behavior = at(config, 'DefaultCacheBehavior') as Props;
    expect(behavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'], Compress: true });
    const origin = (at(config, 'Origins') as Props[]).find((o) => o.Id === behavior.TargetOriginId)!;
    expect(JSON.stringify(origin.DomainName)).toContain(logicalId(on.stateless.webConsole!.bucket));
    expect(origin.OriginAccessControlId).toBeDefined();
    expect(at(origin, 'S3OriginConfig', 'OriginAccessIdentity')).toBe('');

    const [bucket] = resourcesOfType(template, 'AWS::S3::Bucket').filter((b) => b.id === logicalId(on.stateless.webConsole!.bucket));
    expect(at(bucket?.props, 'PublicAccessBlockConfiguration')).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = resourcesOfType(template, 'AWS::S3::BucketPolicy').find((p) => JSON.stringify(p.props.Bucket).includes(bucket!.id))!;
    const statements = statementsOf(policy.props, 'PolicyDocument');
    // Only CloudFront (this distribution) reads; any request without TLS is refused.
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(JSON.stringify(at(allows[0], 'Condition'))).toContain('AWS:SourceArn');
    expect(statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('"aws:SecureTransport":"false"'))).toBe(true);
  });

  it('adds the CSP local mode sends (definitions/console.ts), no framing, no sniffing and HSTS to every console file', () => {
    const [policy] = resourcesOfType(template, 'AWS::CloudFront::ResponseHeadersPolicy');
    const security = at(policy?.props, 'ResponseHeadersPolicyConfig', 'SecurityHeadersConfig') as Props;
    expect(at(security, 'ContentSecurityPolicy')).toEqual({ ContentSecurityPolicy: CONSOLE_CSP, Override: true });
    expect(at(security, 'FrameOptions')).toEqual({ FrameOption: 'DENY', Override: true });
    expect(at(security, 'ContentTypeOptions')).toEqual({ Override: true });
    expect(at(security, 'StrictTransportSecurity', 'AccessControlMaxAgeSec')).toBe(31_536_000);
    expect(JSON.stringify(at(config, 'DefaultCacheBehavior', 'ResponseHeadersPolicyId'))).toContain(policy!.id);
  });

  it('lets the files say how long they keep: min TTL 0, so index.html (no-cache) is revalidated and a deploy needs no invalidation', () => {
    const [cache] = resourcesOfType(template, 'AWS::CloudFront::CachePolicy');
    expect(at(cache?.props, 'CachePolicyConfig', 'MinTTL')).toBe(0);
    expect(at(cache?.props, 'CachePolicyConfig', 'ParametersInCacheKeyAndForwardedToOrigin')).toMatchObject({
      EnableAcceptEncodingGzip: true,
      EnableAcceptEncodingBrotli: true,
    });
  });

  it('uploads the build in two steps: hashed assets immutable and never pruned, then the rest no-cache', () => {
    const deployments = resourcesOfType(template, 'Custom::CDKBucketDeployment');
    expect(deployments).toHaveLength(2);
    const byPrefix = (hashed: boolean) => deployments.find((d) => JSON.stringify(d.props.Include ?? []).includes('assets/*') === hashed)!;
    const hashed = byPrefix(true);
    const pages = byPrefix(false);
    expect(hashed.props).toMatchObject({
      DestinationBucketKeyPrefix: 'console/',
      Exclude: ['*'],
      Include: ['assets/*'],
      Prune: false,
      RetainOnDelete: false,
      SystemMetadata: { 'cache-control': CONSOLE_IMMUTABLE },
    });
    expect(pages.props).toMatchObject({
      DestinationBucketKeyPrefix: 'console/',
      Exclude: ['assets/*'],
      Prune: true,
      RetainOnDelete: false,
      SystemMetadata: { 'cache-control': CONSOLE_REVALIDATE },
    });
    const dependsOn = (template.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> }).Resources[pages.id]?.DependsOn;
    expect(dependsOn).toEqual(expect.arrayContaining([expect.stringContaining('DeployHashedAssets')]));
  });

  it('logs every request to a private bucket that expires the logs after logRetentionDays', () => {
    const logBucket = logicalId(on.stateless.webConsole!.logBucket);
    expect(JSON.stringify(at(config, 'Logging', 'Bucket'))).toContain(logBucket);
    const [bucket] = resourcesOfType(template, 'AWS::S3::Bucket').filter((b) => b.id === logBucket);
    expect(at(bucket?.props, 'LifecycleConfiguration', 'Rules', 0, 'ExpirationInDays')).toBe(on.config.settings.logRetentionDays);
    expect(at(bucket?.props, 'PublicAccessBlockConfiguration', 'BlockPublicPolicy')).toBe(true);
  });

  it('outputs the console URL: https on the distribution, /console/', () => {
    const value = JSON.stringify(template.findOutputs('ConsoleUrl').ConsoleUrl?.Value);
    expect(value).toContain('https://');
    expect(value).toContain('/console/');
  });
});

describe('the viewer-request function (redirects to /console/, a directory is its index.html)', () => {
  const handler = new Function(`${consolePathsFunction()}; return handler;`)() as (event: unknown) => Props;
  const run = (uri: string) => handler({ request: { uri, headers: {} } });

  it.each(['/', '/console'])('%s answers 301 to /console/', (uri) => {
    expect(run(uri)).toMatchObject({ statusCode: 301, headers: { location: { value: '/console/' } } });
  });

  it.each([
    ['/console/', '/console/index.html'],
    ['/console/assets/index-Bx9f2a.js', '/console/assets/index-Bx9f2a.js'],
    ['/console/favicon.svg', '/console/favicon.svg'],
  ])('%s is fetched from the bucket as %s', (uri, key) => {
    expect(run(uri)).toMatchObject({ uri: key });
  });

  it('is the code the distribution runs', () => {
    const [fn] = resourcesOfType(template, 'AWS::CloudFront::Function');
    expect(fn?.props.FunctionCode).toBe(consolePathsFunction());
    expect(at(fn?.props, 'FunctionConfig', 'Runtime')).toBe('cloudfront-js-2.0');
  });
});

describe('console.enabled: false', () => {
  it('builds no distribution, bucket, deployment or output, and leaves the API exactly as it was', () => {
    const t = off.statelessTemplate;
    expect(off.stateless.webConsole).toBeUndefined();
    for (const type of ['AWS::CloudFront::Distribution', 'AWS::S3::Bucket', 'Custom::CDKBucketDeployment', 'AWS::CloudFront::Function']) {
      expect(resourcesOfType(t, type), type).toEqual([]);
    }
    expect(t.findOutputs('ConsoleUrl')).toEqual({});
    const apiShape = (s: Template) =>
      resourcesOfType(s, 'AWS::ApiGateway::Method')
        .map((m) => `${String(m.props.HttpMethod)} ${String(m.props.AuthorizationType)}`)
        .sort();
    expect(apiShape(t)).toEqual(apiShape(template));
  });
});
