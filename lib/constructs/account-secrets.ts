import { Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
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
 *
 * Its key is the stage key: the Pinterest app credentials and static webhook secrets use it too, and with
 * `encryption.customerManagedKey` (lib/config.ts) so do the tables, the queues and the job events bus
 * (lib/stacks/stateful-stack.ts). It stays here, under this construct id, so that turning the setting on
 * never replaces the key that existing secrets are encrypted with.
 */
export interface AccountSecretsProps {
  /** The deployment stage; part of the secret name prefix. */
  readonly stage: string;
  /**
   * What happens to the KMS key when the stack is deleted (DESTROY: KMS schedules its deletion, 30 days by default).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The key also encrypts the tables, queues and event bus (`encryption.customerManagedKey`): only its
   * description says so; the key policy statements for those services are added where they are used.
   * @default false
   */
  readonly encryptsData?: boolean;
}

/** Every account secret's ARN up to its name, as Fn::Sub text over pseudo parameters. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, substituted at deploy time
const SECRET_ARN_HEAD = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';

export class AccountSecrets extends Construct {
  /** The stage key: customer-managed, rotation on; encrypts every account-token secret (and more, see above). */
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
      description: props.encryptsData
        ? `pinrelay ${props.stage}: encrypts the secrets, the tables, the queues and the job events bus`
        : `pinrelay ${props.stage}: encrypts the Pinterest account-token secrets`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** The cdk-nag finding id of the prefix grant (cdk-nag renders Fn::Sub's `${…}` as `<…>`). */
  public get prefixWildcardFinding(): string {
    return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.secretPrefix}/*]`;
  }

  /**
   * Acknowledge the prefix grant on a role that reaches account secrets (ACCESS_GRANTS, definitions/access-grants.ts):
   * once per role, whatever the number of grants.
   */
  public acknowledgePrefixWildcard(grantee: iam.IGrantable): void {
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
}
