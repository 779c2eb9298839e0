/**
 * In-memory Secrets Manager for local mode: the subset pinrelay's token vault uses, with AWS's
 * semantics (version ids = ClientRequestToken, AWSCURRENT/AWSPREVIOUS staging labels, recovery
 * windows, typed errors) so the same adapter code runs against it and against AWS.
 *
 * Operations: CreateSecret, PutSecretValue, GetSecretValue, DescribeSecret, DeleteSecret,
 * RestoreSecret, ListSecrets. Values never leave memory; `secrets()` lets tests inspect them
 * (e.g. to prove tokens are stored here and nowhere else).
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
  /** Clock for CreatedDate, DeletionDate, …; injectable for tests. @default () => new Date() */
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
  /** Set while the secret is scheduled for deletion. */
  readonly deletedDate?: Date;
  /** Oldest first. */
  readonly versions: readonly SecretVersionSnapshot[];
}

export interface SecretsManagerStandIn extends RunningStandIn {
  /** A deep copy of everything stored, including secrets scheduled for deletion. */
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
const DEFAULT_RECOVERY_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;
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
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  deletedDate?: Date;
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

  function findLive(secretId: string): Secret {
    const secret = find(secretId);
    if (secret.deletedDate) {
      throw new AwsServiceError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return secret;
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
    secret.lastChangedDate = now();
    return version;
  }

  function versionsToStages(secret: Secret): Record<string, string[]> {
    const map: Record<string, string[]> = {};
    for (const version of secret.versions.values()) {
      if (version.stages.size > 0) map[version.versionId] = [...version.stages];
    }
    return map;
  }

  function describe(secret: Secret, versionsKey: 'VersionIdsToStages' | 'SecretVersionsToStages'): Record<string, unknown> {
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
      LastChangedDate: epochSeconds(secret.lastChangedDate),
      ...(secret.lastAccessedDate ? { LastAccessedDate: epochSeconds(secret.lastAccessedDate) } : {}),
      ...(secret.deletedDate ? { DeletedDate: epochSeconds(secret.deletedDate) } : {}),
      ...(secret.tags.length > 0 ? { Tags: secret.tags.map((tag) => ({ ...tag })) } : {}),
      [versionsKey]: versionsToStages(secret),
      CreatedDate: epochSeconds(secret.createdDate),
    };
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
        if (existing.deletedDate) {
          throw new AwsServiceError(
            'InvalidRequestException',
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
          );
        }
        // A retry of the same request (same token, same value) is answered, not rejected.
        const retried = existing.versions.get(token);
        if (retried && value && sameValue(retried, value)) {
          return { ARN: existing.arn, Name: existing.name, VersionId: retried.versionId };
        }
        throw new AwsServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      }
      const suffix = Array.from({ length: 6 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
      const created = now();
      const secret: Secret = {
        name,
        arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`,
        description: optionalString(input, 'Description', 'InvalidParameterException'),
        kmsKeyId: optionalString(input, 'KmsKeyId', 'InvalidParameterException'),
        tags: readTags(input.Tags),
        createdDate: created,
        lastChangedDate: created,
        versions: new Map(),
      };
      store.set(name, secret);
      // Without a value there is no version (and no AWSCURRENT) until PutSecretValue.
      if (!value) return { ARN: secret.arn, Name: secret.name };
      addVersion(secret, token, value, [CURRENT]);
      return { ARN: secret.arn, Name: secret.name, VersionId: token };
    },

    PutSecretValue(input: AwsJsonInput) {
      const secret = findLive(requireString(input, 'SecretId', 'InvalidParameterException'));
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
      const secret = findLive(requireString(input, 'SecretId', 'InvalidParameterException'));
      const versionId = optionalString(input, 'VersionId', 'InvalidParameterException');
      const requestedStage = optionalString(input, 'VersionStage', 'InvalidParameterException');
      let version: SecretVersion | undefined;
      if (versionId !== undefined) {
        version = secret.versions.get(versionId);
        if (!version) {
          throw new AwsServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
        }
        if (requestedStage !== undefined && !version.stages.has(requestedStage)) {
          throw new AwsServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${requestedStage}`);
        }
      } else {
        const stage = requestedStage ?? CURRENT;
        version = [...secret.versions.values()].find((candidate) => candidate.stages.has(stage));
        if (!version) {
          throw new AwsServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
        }
      }
      // AWS records the access date, truncated to the day.
      const today = now();
      secret.lastAccessedDate = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
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

    DescribeSecret(input: AwsJsonInput) {
      return describe(find(requireString(input, 'SecretId', 'InvalidParameterException')), 'VersionIdsToStages');
    },

    DeleteSecret(input: AwsJsonInput) {
      const secret = find(requireString(input, 'SecretId', 'InvalidParameterException'));
      const force = input.ForceDeleteWithoutRecovery === true;
      const window = input.RecoveryWindowInDays;
      if (force && window !== undefined && window !== null) {
        throw new AwsServiceError(
          'InvalidParameterException',
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (force) {
        store.delete(secret.name);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(now()) };
      }
      const days = window === undefined || window === null ? DEFAULT_RECOVERY_DAYS : window;
      if (typeof days !== 'number' || !Number.isInteger(days) || days < 7 || days > 30) {
        throw new AwsServiceError('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
      }
      if (secret.deletedDate) {
        throw new AwsServiceError(
          'InvalidRequestException',
          "You can't perform this operation on the secret because it was already scheduled for deletion.",
        );
      }
      secret.deletedDate = now();
      return {
        ARN: secret.arn,
        Name: secret.name,
        DeletionDate: epochSeconds(new Date(secret.deletedDate.getTime() + days * DAY_MS)),
      };
    },

    RestoreSecret(input: AwsJsonInput) {
      const secret = find(requireString(input, 'SecretId', 'InvalidParameterException'));
      delete secret.deletedDate;
      return { ARN: secret.arn, Name: secret.name };
    },

    ListSecrets(input: AwsJsonInput) {
      const filters = readFilters(input.Filters);
      const includeDeleted = input.IncludePlannedDeletion === true;
      const descending = input.SortOrder !== 'asc';
      const maxResults = typeof input.MaxResults === 'number' ? input.MaxResults : 100;
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
        throw new AwsServiceError('InvalidParameterException', 'MaxResults must be between 1 and 100.');
      }
      const start = parseNextToken(input.NextToken);
      const matching = [...store.values()]
        .filter((secret) => includeDeleted || !secret.deletedDate)
        .filter((secret) => filters.every((filter) => matchesFilter(secret, filter)))
        .sort((a, b) => (a.createdDate.getTime() - b.createdDate.getTime()) * (descending ? -1 : 1));
      const page = matching.slice(start, start + maxResults);
      const next = start + maxResults < matching.length ? String(start + maxResults) : undefined;
      return {
        SecretList: page.map((secret) => describe(secret, 'SecretVersionsToStages')),
        ...(next ? { NextToken: Buffer.from(next).toString('base64') } : {}),
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
        ...(secret.deletedDate ? { deletedDate: new Date(secret.deletedDate) } : {}),
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

interface ListFilter {
  readonly key: 'name' | 'description' | 'tag-key' | 'tag-value';
  readonly values: readonly string[];
}

function readFilters(raw: unknown): ListFilter[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new AwsServiceError('InvalidParameterException', 'Filters must be a list.');
  return raw.map((filter: unknown) => {
    const { Key, Values } = (filter ?? {}) as { Key?: unknown; Values?: unknown };
    if (Key !== 'name' && Key !== 'description' && Key !== 'tag-key' && Key !== 'tag-value') {
      // 'all', 'primary-region' and 'owning-service' exist in AWS but pinrelay never needs them.
      throw new AwsServiceError('InvalidParameterException', `The stand-in does not support the ListSecrets filter key ${String(Key)}.`);
    }
    if (!Array.isArray(Values) || Values.length < 1 || !Values.every((value) => typeof value === 'string')) {
      throw new AwsServiceError('InvalidParameterException', 'A filter needs 1 to 10 string Values.');
    }
    return { key: Key, values: Values as string[] };
  });
}

/** AWS filters are prefix matches; `!value` negates; a filter matches if any of its values does. */
function matchesFilter(secret: Secret, filter: ListFilter): boolean {
  const candidates: { texts: string[]; caseSensitive: boolean } =
    filter.key === 'name'
      ? { texts: [secret.name], caseSensitive: true }
      : filter.key === 'description'
        ? { texts: secret.description !== undefined ? [secret.description] : [], caseSensitive: false }
        : filter.key === 'tag-key'
          ? { texts: secret.tags.map((tag) => tag.Key), caseSensitive: true }
          : { texts: secret.tags.map((tag) => tag.Value), caseSensitive: true };
  const norm = (text: string): string => (candidates.caseSensitive ? text : text.toLowerCase());
  return filter.values.some((value) => {
    const negate = value.startsWith('!');
    const prefix = norm(negate ? value.slice(1) : value);
    const hit = candidates.texts.some((text) => norm(text).startsWith(prefix));
    return negate ? !hit : hit;
  });
}

function parseNextToken(raw: unknown): number {
  if (raw === undefined || raw === null) return 0;
  const start = typeof raw === 'string' ? Number(Buffer.from(raw, 'base64').toString('utf8')) : Number.NaN;
  if (!Number.isInteger(start) || start < 0) throw new AwsServiceError('InvalidNextTokenException', 'The NextToken value is invalid.');
  return start;
}
