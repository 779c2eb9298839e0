/**
 * In-memory Secrets Manager for local mode: the operations pinrelay calls, with AWS's semantics
 * (version ids = ClientRequestToken, AWSCURRENT/AWSPREVIOUS staging labels, typed errors) so the same
 * adapter code runs against it and against AWS.
 *
 * Operations: CreateSecret (the token vault's first save, local mode's app credentials), PutSecretValue
 * (every later save, token refreshes) and GetSecretValue (token and app-credential reads). Any other
 * operation answers UnknownOperationException, so a new call in pinrelay fails loudly here until the
 * stand-in learns it. Values never leave memory; `secrets()` lets tests inspect them (e.g. to prove
 * tokens are stored here and nowhere else).
 */
import { randomInt, randomUUID } from 'node:crypto';
import {
  AwsServiceError,
  epochSeconds,
  optionalString,
  requireString,
  startAwsJsonServer,
  type AwsJsonInput,
  type RunningStandIn,
} from './aws-json-server.ts';

export interface SecretsManagerStandInOptions {
  /** 0 (the default) picks a free loopback port. */
  port?: number;
  /** Clock for the secrets' and versions' CreatedDate; injectable for tests. @default () => new Date() */
  now?: () => Date;
}

export interface SecretVersionSnapshot {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly secretString?: string;
  /** Base64, as it travels on the wire. */
  readonly secretBinary?: string;
  readonly createdDate: Date;
}

export interface SecretSnapshot {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly kmsKeyId?: string;
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
  readonly createdDate: Date;
  /** Oldest first. */
  readonly versions: readonly SecretVersionSnapshot[];
}

export interface SecretsManagerStandIn extends RunningStandIn {
  /** A deep copy of everything stored. */
  secrets(): SecretSnapshot[];
  /** Every SecretString of every version of every secret. */
  storedSecretStrings(): string[];
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const MAX_SECRET_BYTES = 65_536;
/** AWS eventually drops versions without labels once there are more than ~100. */
const MAX_VERSIONS = 100;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface SecretVersion {
  readonly versionId: string;
  readonly secretString?: string;
  readonly secretBinary?: string;
  readonly stages: Set<string>;
  readonly createdDate: Date;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly kmsKeyId?: string;
  readonly tags: { Key: string; Value: string }[];
  readonly createdDate: Date;
  readonly versions: Map<string, SecretVersion>;
}

interface SecretValue {
  readonly secretString?: string;
  readonly secretBinary?: string;
}

export async function startSecretsManagerStandIn(options: SecretsManagerStandInOptions = {}): Promise<SecretsManagerStandIn> {
  const now = options.now ?? (() => new Date());
  /** By name; AWS names are unique per account and region. */
  const store = new Map<string, Secret>();

  function find(secretId: string): Secret {
    const byName = store.get(secretId);
    if (byName) return byName;
    for (const secret of store.values()) {
      // A full ARN, or a partial ARN without the random 6-character suffix.
      if (secret.arn === secretId || secret.arn.slice(0, -7) === secretId) return secret;
    }
    throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  }

  function readValue(input: AwsJsonInput): SecretValue | undefined {
    const secretString = optionalString(input, 'SecretString', 'InvalidParameterException');
    const secretBinary = optionalString(input, 'SecretBinary', 'InvalidParameterException');
    if (secretString !== undefined && secretBinary !== undefined) {
      throw new AwsServiceError(
        'InvalidParameterException',
        "You can't specify both a binary secret value and a string secret value in the same secret.",
      );
    }
    if (secretString === undefined && secretBinary === undefined) return undefined;
    const bytes = secretString !== undefined ? Buffer.byteLength(secretString) : Buffer.from(secretBinary ?? '', 'base64').length;
    if (bytes > MAX_SECRET_BYTES) {
      throw new AwsServiceError('InvalidParameterException', `The secret value must be no larger than ${MAX_SECRET_BYTES} bytes.`);
    }
    return secretString !== undefined ? { secretString } : { secretBinary };
  }

  function readToken(input: AwsJsonInput): string {
    // The SDK fills ClientRequestToken (an idempotency token) with a UUID when the caller doesn't.
    const token = optionalString(input, 'ClientRequestToken', 'InvalidParameterException') ?? randomUUID();
    if (token.length < 32 || token.length > 64) {
      throw new AwsServiceError('InvalidParameterException', 'ClientRequestToken must be 32 to 64 characters long.');
    }
    return token;
  }

  function sameValue(version: SecretVersion, value: SecretValue): boolean {
    return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
  }

  /** Adds a version and moves `stages` onto it; AWSCURRENT's previous holder becomes AWSPREVIOUS. */
  function addVersion(secret: Secret, versionId: string, value: SecretValue, stages: readonly string[]): SecretVersion {
    const version: SecretVersion = { versionId, ...value, stages: new Set(), createdDate: now() };
    for (const stage of stages) {
      for (const other of secret.versions.values()) {
        if (!other.stages.delete(stage) || stage !== CURRENT) continue;
        for (const any of secret.versions.values()) any.stages.delete(PREVIOUS);
        other.stages.add(PREVIOUS);
      }
      version.stages.add(stage);
    }
    secret.versions.set(versionId, version);
    for (const [id, old] of secret.versions) {
      if (secret.versions.size <= MAX_VERSIONS) break;
      if (old.stages.size === 0) secret.versions.delete(id);
    }
    return version;
  }

  const operations = {
    CreateSecret(input: AwsJsonInput) {
      const name = requireString(input, 'Name', 'InvalidParameterException');
      if (!NAME_PATTERN.test(name)) {
        throw new AwsServiceError(
          'InvalidParameterException',
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
      }
      const value = readValue(input);
      const token = readToken(input);
      const existing = store.get(name);
      if (existing) {
        // A retry of the same request (same token, same value) is answered, not rejected.
        const retried = existing.versions.get(token);
        if (retried && value && sameValue(retried, value)) {
          return { ARN: existing.arn, Name: existing.name, VersionId: retried.versionId };
        }
        throw new AwsServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      }
      const suffix = Array.from({ length: 6 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
      const secret: Secret = {
        name,
        arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`,
        description: optionalString(input, 'Description', 'InvalidParameterException'),
        kmsKeyId: optionalString(input, 'KmsKeyId', 'InvalidParameterException'),
        tags: readTags(input.Tags),
        createdDate: now(),
        versions: new Map(),
      };
      store.set(name, secret);
      // Without a value there is no version (and no AWSCURRENT) until PutSecretValue.
      if (!value) return { ARN: secret.arn, Name: secret.name };
      addVersion(secret, token, value, [CURRENT]);
      return { ARN: secret.arn, Name: secret.name, VersionId: token };
    },

    PutSecretValue(input: AwsJsonInput) {
      const secret = find(requireString(input, 'SecretId', 'InvalidParameterException'));
      const value = readValue(input);
      if (!value) throw new AwsServiceError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
      const token = readToken(input);
      const stages = readStages(input.VersionStages) ?? [CURRENT];
      const existing = secret.versions.get(token);
      if (existing) {
        // Versions are immutable: the same token is only accepted as a retry of the same value.
        if (!sameValue(existing, value)) {
          throw new AwsServiceError('ResourceExistsException', "You can't modify an existing version, you can only create new versions.");
        }
        return { ARN: secret.arn, Name: secret.name, VersionId: existing.versionId, VersionStages: [...existing.stages] };
      }
      const version = addVersion(secret, token, value, stages);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: [...version.stages] };
    },

    GetSecretValue(input: AwsJsonInput) {
      const secret = find(requireString(input, 'SecretId', 'InvalidParameterException'));
      const versionId = optionalString(input, 'VersionId', 'InvalidParameterException');
      const requestedStage = optionalString(input, 'VersionStage', 'InvalidParameterException');
      let version: SecretVersion | undefined;
      if (versionId !== undefined) {
        version = secret.versions.get(versionId);
        if (!version) {
          throw new AwsServiceError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
          );
        }
        if (requestedStage !== undefined && !version.stages.has(requestedStage)) {
          throw new AwsServiceError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for staging label: ${requestedStage}`,
          );
        }
      } else {
        const stage = requestedStage ?? CURRENT;
        version = [...secret.versions.values()].find((candidate) => candidate.stages.has(stage));
        if (!version) {
          throw new AwsServiceError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          );
        }
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
        ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
        VersionStages: [...version.stages],
        CreatedDate: epochSeconds(version.createdDate),
      };
    },
  };

  const server = await startAwsJsonServer({ targetPrefix: 'secretsmanager', operations, port: options.port });

  return {
    ...server,
    secrets: () =>
      [...store.values()].map((secret) => ({
        name: secret.name,
        arn: secret.arn,
        ...(secret.description !== undefined ? { description: secret.description } : {}),
        ...(secret.kmsKeyId !== undefined ? { kmsKeyId: secret.kmsKeyId } : {}),
        tags: secret.tags.map((tag) => ({ ...tag })),
        createdDate: new Date(secret.createdDate),
        versions: [...secret.versions.values()].map((version) => ({
          versionId: version.versionId,
          stages: [...version.stages],
          ...(version.secretString !== undefined ? { secretString: version.secretString } : {}),
          ...(version.secretBinary !== undefined ? { secretBinary: version.secretBinary } : {}),
          createdDate: new Date(version.createdDate),
        })),
      })),
    storedSecretStrings: () =>
      [...store.values()].flatMap((secret) =>
        [...secret.versions.values()].flatMap((version) => (version.secretString !== undefined ? [version.secretString] : [])),
      ),
  };
}

function readTags(raw: unknown): { Key: string; Value: string }[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new AwsServiceError('InvalidParameterException', 'Tags must be a list.');
  return raw.map((tag: unknown) => {
    const { Key, Value } = (tag ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof Key !== 'string' || (Value !== undefined && typeof Value !== 'string')) {
      throw new AwsServiceError('InvalidParameterException', 'Each tag needs a string Key and Value.');
    }
    return { Key, Value: Value ?? '' };
  });
}

function readStages(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 20 || !raw.every((stage) => typeof stage === 'string' && stage !== '')) {
    throw new AwsServiceError('InvalidParameterException', 'VersionStages must be a list of 1 to 20 staging labels.');
  }
  return raw as string[];
}
