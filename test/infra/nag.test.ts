import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { cdkJsonContext, synthPinrelay, type Synthesized } from './support.ts';

/**
 * cdk-nag 3 is a CDK policy-validation plugin: bin/app.ts registers AwsSolutionsChecks with
 * `Validations.of(app).addPlugins(...)` and any unacknowledged finding fails the synth. These tests
 * synthesize with the plugin registered (as bin/app.ts does) and also run the pack directly on each
 * stack to list findings by severity.
 */
describe('cdk-nag AwsSolutions checks', () => {
  const stages: Record<string, Synthesized> = {};

  beforeAll(() => {
    // dev also runs CDK's built-in CloudFormation rules (slow), as `cdk synth` does.
    stages.dev = synthPinrelay({ stage: 'dev', nag: true, cloudFormationValidation: true });
    // prod settings from cdk.json, pinned to an account and region: acknowledgement ids must not depend on the environment.
    const prod = (cdkJsonContext()['pinrelay:stages'] as Record<string, object>).prod;
    stages.prod = synthPinrelay({
      stage: 'prod',
      stages: { prod: { ...prod, account: '123456789012', region: 'eu-west-1' } },
      nag: true,
    });
  });

  const cases = ['dev', 'prod'].flatMap((stage) =>
    (['stateful', 'stateless'] as const).map((which) => [`${stage} ${which}`, stage, which] as const),
  );

  it.each(cases)('%s: no unacknowledged AwsSolutions errors', (_label, stage, which) => {
    const findings = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stages[stage]![which]).violations;
    expect(findings.filter((f) => f.severity === 'error').map(describeFinding)).toEqual([]);
  });

  it.each(cases)('%s: no unacknowledged AwsSolutions warnings', (_label, stage, which) => {
    const findings = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stages[stage]![which]).violations;
    expect(findings.filter((f) => f.severity !== 'error').map(describeFinding)).toEqual([]);
  });

  it.each(cases)('%s: no CDK annotation warnings or errors in the cloud assembly', (_label, stage, which) => {
    const { app } = stages[stage]!;
    const messages = app.synth().getStackArtifact(stages[stage]![which].artifactId).messages;
    expect(messages.filter((m) => m.level !== 'info').map((m) => `${m.level} ${m.id}: ${String(m.entry.data)}`)).toEqual([]);
  });

  it.each(['dev', 'prod'])('%s: the synth validation report (cdk-nag, annotations; dev also CloudFormation rules) is clean', (stage) => {
    const reportFile = path.join(stages[stage]!.app.outdir, 'validation-report.json');
    expect(existsSync(reportFile)).toBe(true);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: unknown[] }>;
    };
    // Plugins without violations are left out of the report: an empty list means every plugin passed.
    expect(report.pluginReports).toEqual([]);
  });

  it('control: registered like bin/app.ts does, the pack fails a synth that has a finding', () => {
    const app = new App();
    new sqs.Queue(new Stack(app, 'Control'), 'PlainQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('every acknowledgement is one of the reviewed ones and carries a specific reason', () => {
    const acknowledged = acknowledgements(stages.dev!.app);

    // Each entry: rule id → how many constructs acknowledge it. A new suppression must be added here on purpose.
    const counts: Record<string, number> = {};
    for (const { id } of acknowledged) counts[id] = (counts[id] ?? 0) + 1;
    // Per-function acknowledgements follow the catalogue; any other new one must be listed here.
    const functions = FUNCTIONS as readonly FunctionDefinition[];
    const webhookFunctions = functions.filter((f) => f.access.includes('webhooks:manage')).length;
    const publicRoutes = functions.flatMap((f) => (f.trigger.kind === 'api' ? f.trigger.routes : [])).filter((r) => !r.authorized).length;
    expect(webhookFunctions).toBe(6);
    const webhookArn = (resource: string) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:${resource}]`;
    expect(counts).toEqual({
      // The outbox DLQ (an on-failure destination), the poison queue (the end of the line) and the webhook DLQ
      // (the DeadLetterConfig of targets made at runtime).
      'AwsSolutions-SQS3': 3,
      // One per function role (X-Ray), plus one more role that has always carried it.
      'AwsSolutions-IAM5[Resource::*]': functions.length + 1,
      // Webhook resources are made at runtime under the deployment prefix (lib/constructs/webhooks.ts): each
      // webhook function's role, and the target role (API destinations only).
      [webhookArn('events:<AWS::Region>:<AWS::AccountId>:connection/pinrelay-dev-wh-*')]: webhookFunctions,
      [webhookArn('events:<AWS::Region>:<AWS::AccountId>:api-destination/pinrelay-dev-wh-*')]: webhookFunctions + 1,
      [webhookArn('events:<AWS::Region>:<AWS::AccountId>:rule/*/pinrelay-dev-wh-*')]: webhookFunctions,
      [webhookArn('events:<AWS::Region>:<AWS::AccountId>:rule/*')]: webhookFunctions,
      [webhookArn('secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:events!connection/pinrelay-dev-wh-*')]: webhookFunctions,
      // The alarm topic: alarm notifications only, which CloudWatch cannot publish to a topic under the AWS-managed key.
      'AwsSolutions-SNS2': 1,
      // put-account and publish-pin (one acknowledgement per role, even with both read and write grants)
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:pinrelay/dev/accounts/*]': 2,
      'AwsSolutions-SMG4': 1,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]': 1,
      'AwsSolutions-APIG2': 1,
      'AwsSolutions-APIG3': 1,
      'AwsSolutions-APIG4': publicRoutes,
      'AwsSolutions-COG4': 1,
      // The web console (lib/constructs/web-console.ts): its distribution (geo, WAF, the default certificate's TLS
      // policy), its two buckets' own access logs, and CDK's BucketDeployment handler (one per stack).
      'AwsSolutions-CFR1': 1,
      'AwsSolutions-CFR2': 1,
      'AwsSolutions-CFR4': 1,
      'AwsSolutions-S1': 2,
      'AwsSolutions-L1': functions.length + 1,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': 1,
      ...Object.fromEntries(
        ['Abort*', 'DeleteObject*', 'GetBucket*', 'GetObject*', 'List*'].map((a) => [`AwsSolutions-IAM5[Action::s3:${a}]`, 1]),
      ),
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]': 1,
      'AwsSolutions-IAM5[Resource::<WebConsoleAssets33108A47.Arn>/*]': 1,
    });
    for (const { reason } of acknowledged) {
      expect(reason.length).toBeGreaterThan(80);
    }
  });

  it('never acknowledges a rule on a whole stack or the app', () => {
    for (const { path: at } of acknowledgements(stages.dev!.app)) {
      expect(at.split('/').length, at).toBeGreaterThan(1);
    }
  });
});

function describeFinding(f: { ruleName: string; description: string; violatingResources: Array<{ constructPath?: string }> }) {
  return `${f.ruleName} at ${f.violatingResources.map((r) => r.constructPath).join(', ')}: ${f.description}`;
}

/** Every `Validations.of(x).acknowledge(...)` in the tree, with where it was made. */
function acknowledgements(root: IConstruct): Array<{ id: string; reason: string; path: string }> {
  const found: Array<{ id: string; reason: string; path: string }> = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ id: id.replace(/^annotation::/i, ''), reason, path: construct.node.path });
      }
    }
  }
  return found;
}
