import { Aws, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Where connected Pinterest accounts' tokens live: one Secrets Manager secret per (tenant, account),
 * created at runtime by `put-account` under `<secretPrefix>/<tenant>/<account>` and encrypted with this
 * construct's customer-managed KMS key. The secrets themselves are not CloudFormation resources (they
 * are data), so the IAM grants are scoped by name prefix.
 *
 * The prefix is `pinrelay/<stage>/accounts`: readable in the console, stable across redeploys (a
 * stack-name-derived prefix would orphan every secret on a rename), unique per stage in an account.
 * Two deployments of the same stage name in one account and region would share it — don't.
 */
export interface AccountSecretsProps {
  /** The deployment stage; part of the secret name prefix. */
  readonly stage: string;
  /**
   * What happens to the KMS key when the stack is deleted (DESTROY schedules deletion after 7 days).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Every account secret's ARN up to its name, as Fn::Sub text over pseudo parameters. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, substituted at deploy time
const SECRET_ARN_HEAD = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';

export class AccountSecrets extends Construct {
  /** Customer-managed key (rotation on) that encrypts every account-token secret. */
  public readonly key: kms.Key;
  /** Secret name prefix, without a trailing slash: `pinrelay/<stage>/accounts`. */
  public readonly secretPrefix: string;
  /**
   * IAM resource pattern covering every account secret (`…:secret:<prefix>/*`), built with Fn::Sub over
   * pseudo parameters so it renders the same in every stack and environment.
   */
  public readonly secretArnPattern: string;
  /** Principals whose prefix grant is already acknowledged (a reader-writer gets both grants, one acknowledgement). */
  private readonly acknowledged = new WeakSet<object>();

  constructor(scope: Construct, id: string, props: AccountSecretsProps) {
    super(scope, id);
    this.secretPrefix = `pinrelay/${props.stage}/accounts`;
    this.secretArnPattern = Fn.sub(`${SECRET_ARN_HEAD}${this.secretPrefix}/*`);
    this.key = new kms.Key(this, 'Key', {
      description: `pinrelay ${props.stage}: encrypts the Pinterest account-token secrets`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** Create and update account secrets (put-account): name-scoped Secrets Manager actions + the key via Secrets Manager only. */
  public grantWrite(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:TagResource',
      ],
      resourceArns: [this.secretArnPattern],
    });
    this.grantKeyViaSecretsManager(grantee, ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt']);
    this.acknowledgePrefixWildcard(grantee);
  }

  /** Store a refreshed token pair in an existing account secret (the worker): no create, no tags. */
  public grantRotate(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [this.secretArnPattern],
    });
    this.grantKeyViaSecretsManager(grantee, ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt']);
    this.acknowledgePrefixWildcard(grantee);
  }

  /** Read account secrets (token use and refresh). */
  public grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [this.secretArnPattern],
    });
    this.grantKeyViaSecretsManager(grantee, ['kms:Decrypt']);
    this.acknowledgePrefixWildcard(grantee);
  }

  /** The cdk-nag finding id of the prefix grant (cdk-nag renders Fn::Sub's `${…}` as `<…>`). */
  public get prefixWildcardFinding(): string {
    return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.secretPrefix}/*]`;
  }

  private acknowledgePrefixWildcard(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    if (!Construct.isConstruct(principal) || this.acknowledged.has(principal)) return;
    this.acknowledged.add(principal);
    Validations.of(principal).acknowledge({
      id: this.prefixWildcardFinding,
      reason:
        'Account secrets are data created at runtime (one per tenant and Pinterest account), not stack resources, so they cannot be listed; ' +
        "the grant is limited to this stage's name prefix and the key is usable only via Secrets Manager.",
    });
  }

  private grantKeyViaSecretsManager(grantee: iam.IGrantable, actions: string[]): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.key.keyArn],
      // The key is only usable through Secrets Manager calls, never directly.
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
    });
  }
}
