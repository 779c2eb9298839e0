import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PINTEREST_APP_PLACEHOLDER_CLIENT_ID } from '../../definitions/pinterest-app.ts';

// Defined with the plain data the Lambda code may import too; re-exported for the stacks and their tests.
export { PINTEREST_APP_PLACEHOLDER_CLIENT_ID };

export interface PinterestAppCredentialsProps {
  /** The deployment stage; part of the secret's description. */
  readonly stage: string;
  /** Customer-managed key that encrypts the secret (the account-secrets key: one key for every Pinterest credential). */
  readonly encryptionKey: kms.IKey;
  /**
   * What happens to the secret when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Pinterest app's OAuth client credentials, `{"client_id": "…", "client_secret": "…"}`: the worker
 * authenticates token refreshes (`POST /v5/oauth/token`, Basic auth) with them.
 *
 * The stack creates the secret with a generated placeholder (`client_id` = PINTEREST_APP_PLACEHOLDER_CLIENT_ID,
 * random `client_secret`), so no credential is ever in the template or the repository; the operator
 * writes the real values once after the first deploy (`aws secretsmanager put-secret-value`, docs/deploy.md).
 *
 * Read by the worker (`pinterest:call`: GetSecretValue on exactly this secret, the key through Secrets
 * Manager only; definitions/access-grants.ts).
 *
 * Fixed: encryption with the given key, CDK-generated name, no rotation Lambda (the credentials are
 * rotated in Pinterest's developer console, then stored again). Do not change the generation settings
 * after the first deploy: CloudFormation would generate a new value and overwrite the stored credentials.
 */
export class PinterestAppCredentials extends Construct {
  public readonly secret: secretsmanager.Secret;
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: PinterestAppCredentialsProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: `pinrelay ${props.stage}: Pinterest app OAuth credentials {client_id, client_secret}; set after deploy (docs/deploy.md)`,
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ client_id: PINTEREST_APP_PLACEHOLDER_CLIENT_ID }),
        generateStringKey: 'client_secret',
        excludePunctuation: true,
        passwordLength: 32,
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The Pinterest app client secret is issued and rotated in the Pinterest developer console, not by AWS; a rotation Lambda ' +
        'cannot mint a new one. After rotating it there, the operator stores the new value with put-secret-value (docs/deploy.md).',
    });
  }
}
