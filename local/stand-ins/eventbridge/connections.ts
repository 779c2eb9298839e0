/**
 * EventBridge connections and API destinations: the control plane of webhook delivery.
 *
 * Operations (AWS JSON 1.1, field names as in the EventBridge API reference): CreateConnection,
 * DescribeConnection, UpdateConnection, DeleteConnection, ListConnections, CreateApiDestination,
 * DescribeApiDestination, UpdateApiDestination, DeleteApiDestination, ListApiDestinations.
 *
 * Like AWS:
 * - ARNs `…:connection/<name>/<uuid>` and `…:api-destination/<name>/<uuid>`: a resource deleted and
 *   created again under the same name gets a new ARN, and targets holding the old one stop working;
 * - secrets (ApiKeyValue, Password, ClientSecret, secret invocation parameters) are write-only:
 *   Describe/List never return them; each connection reports the Secrets Manager ARN AWS would keep
 *   them under (the stand-in keeps them in memory);
 * - API_KEY and BASIC connections are AUTHORIZED at once; UpdateConnection (e.g. a new ApiKeyValue)
 *   applies to the next request EventBridge makes, retries of older events included;
 * - InvocationRateLimitPerSecond is 1–300 and defaults to 300.
 *
 * Unlike AWS: OAUTH_CLIENT_CREDENTIALS connections are validated and stored but not authorized (the
 * stand-in does not run the OAuth flow): they are DEAUTHORIZED and deliveries through them fail;
 * InvocationEndpoint may be `http://` (AWS requires HTTPS) so local receivers need no certificates.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsServiceError, epochSeconds, type AwsJsonInput, type AwsJsonOperation } from '../aws-json-server.ts';
import { ACCOUNT, ARN_PREFIX, REGION } from './types.ts';
import {
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalText,
  paginate,
  requireEnum,
  requireName,
  requireObject,
  requireText,
  validation,
  validationError,
} from './validation.ts';

export const AUTHORIZATION_TYPES = ['API_KEY', 'BASIC', 'OAUTH_CLIENT_CREDENTIALS'] as const;
export type AuthorizationType = (typeof AUTHORIZATION_TYPES)[number];
export const HTTP_METHODS = ['POST', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type ConnectionState = 'AUTHORIZED' | 'DEAUTHORIZED';

export interface ConnectionHttpParameter {
  readonly Key: string;
  readonly Value: string;
  readonly IsValueSecret: boolean;
}

export interface ConnectionHttpParameters {
  readonly HeaderParameters: readonly ConnectionHttpParameter[];
  readonly QueryStringParameters: readonly ConnectionHttpParameter[];
  readonly BodyParameters: readonly ConnectionHttpParameter[];
}

/** A connection as stored, secrets included (for delivery and for tests' inspection). */
export interface ConnectionSnapshot {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly authorizationType: AuthorizationType;
  readonly state: ConnectionState;
  readonly stateReason?: string;
  readonly secretArn: string;
  readonly apiKey?: { readonly name: string; readonly value: string };
  readonly basic?: { readonly username: string; readonly password: string };
  readonly oauth?: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly authorizationEndpoint: string;
    readonly httpMethod: string;
    readonly httpParameters?: ConnectionHttpParameters;
  };
  readonly invocationHttpParameters?: ConnectionHttpParameters;
  readonly creationTime: Date;
  readonly lastModifiedTime: Date;
  readonly lastAuthorizedTime: Date;
}

export interface ApiDestinationSnapshot {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly connectionArn: string;
  readonly invocationEndpoint: string;
  readonly httpMethod: HttpMethod;
  readonly invocationRateLimitPerSecond: number;
  readonly state: 'ACTIVE' | 'INACTIVE';
  readonly creationTime: Date;
  readonly lastModifiedTime: Date;
}

export interface ApiDestinationsStore {
  readonly operations: Record<string, AwsJsonOperation>;
  connectionByArn(arn: string): ConnectionSnapshot | undefined;
  apiDestinationByArn(arn: string): ApiDestinationSnapshot | undefined;
  connections(): ConnectionSnapshot[];
  apiDestinations(): ApiDestinationSnapshot[];
}

/** Account quotas (AWS: 3,000 each per Region). */
export const MAX_CONNECTIONS = 3000;
export const MAX_API_DESTINATIONS = 3000;
const DEFAULT_RATE_LIMIT = 300;
const MAX_RATE_LIMIT = 300;
/** AWS: ^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$ */
const API_KEY_NAME = /^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$/;
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1F\x7F]+$/;
const ENDPOINT = /^https?:\/\/[^\s/?#]+[^\s]*$/;
const OAUTH_HTTP_METHODS = ['GET', 'POST', 'PUT'] as const;
const OAUTH_NOT_IMPLEMENTED = 'The local EventBridge stand-in does not run the OAuth client-credentials flow; use API_KEY or BASIC locally.';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function createApiDestinationsStore(now: () => Date): ApiDestinationsStore {
  const connections = new Map<string, Mutable<ConnectionSnapshot>>();
  const destinations = new Map<string, Mutable<ApiDestinationSnapshot>>();

  function findConnection(name: string): Mutable<ConnectionSnapshot> {
    const connection = connections.get(name);
    if (!connection) throw new AwsServiceError('ResourceNotFoundException', `Failed to describe the connection(s). Connection '${name}' does not exist.`);
    return connection;
  }

  function findDestination(name: string): Mutable<ApiDestinationSnapshot> {
    const destination = destinations.get(name);
    if (!destination) {
      throw new AwsServiceError('ResourceNotFoundException', `Failed to describe the api-destination(s). An api-destination '${name}' does not exist.`);
    }
    return destination;
  }

  function connectionByArn(arn: string): Mutable<ConnectionSnapshot> | undefined {
    for (const connection of connections.values()) if (connection.arn === arn) return connection;
    return undefined;
  }

  function requireConnectionArn(input: AwsJsonInput): string {
    const arn = requireText(input, 'ConnectionArn', 1600);
    if (!connectionByArn(arn)) throw new AwsServiceError('ResourceNotFoundException', `Connection '${arn}' does not exist.`);
    return arn;
  }

  const stateOf = (type: AuthorizationType): Pick<ConnectionSnapshot, 'state' | 'stateReason'> =>
    type === 'OAUTH_CLIENT_CREDENTIALS' ? { state: 'DEAUTHORIZED', stateReason: OAUTH_NOT_IMPLEMENTED } : { state: 'AUTHORIZED' };

  const connectionTimes = (connection: ConnectionSnapshot) => ({
    CreationTime: epochSeconds(connection.creationTime),
    LastModifiedTime: epochSeconds(connection.lastModifiedTime),
    LastAuthorizedTime: epochSeconds(connection.lastAuthorizedTime),
  });

  const destinationSummary = (destination: ApiDestinationSnapshot) => ({
    ApiDestinationArn: destination.arn,
    Name: destination.name,
    ApiDestinationState: destination.state,
    ConnectionArn: destination.connectionArn,
    InvocationEndpoint: destination.invocationEndpoint,
    HttpMethod: destination.httpMethod,
    InvocationRateLimitPerSecond: destination.invocationRateLimitPerSecond,
    CreationTime: epochSeconds(destination.creationTime),
    LastModifiedTime: epochSeconds(destination.lastModifiedTime),
  });

  const operations: Record<string, AwsJsonOperation> = {
    CreateConnection(input) {
      const name = requireName(input, 'Name');
      const description = optionalText(input, 'Description', 512);
      const type = requireEnum(input, 'AuthorizationType', AUTHORIZATION_TYPES);
      const auth = readAuthParameters(requireObject(input, 'AuthParameters'), type, undefined);
      if (connections.has(name)) throw new AwsServiceError('ResourceAlreadyExistsException', `Connection ${name} already exists.`);
      if (connections.size >= MAX_CONNECTIONS) throw new AwsServiceError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
      const id = randomUUID();
      const created = now();
      const connection: Mutable<ConnectionSnapshot> = {
        name,
        arn: `${ARN_PREFIX}connection/${name}/${id}`,
        ...(description !== undefined ? { description } : {}),
        authorizationType: type,
        ...stateOf(type),
        secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:events!connection/${name}/${id}-${randomBytes(3).toString('hex')}`,
        ...auth,
        creationTime: created,
        lastModifiedTime: created,
        lastAuthorizedTime: created,
      };
      connections.set(name, connection);
      return { ConnectionArn: connection.arn, ConnectionState: connection.state, ...connectionTimes(connection) };
    },

    DescribeConnection(input) {
      const connection = findConnection(requireName(input, 'Name'));
      return {
        ConnectionArn: connection.arn,
        Name: connection.name,
        ...(connection.description !== undefined ? { Description: connection.description } : {}),
        ConnectionState: connection.state,
        ...(connection.stateReason !== undefined ? { StateReason: connection.stateReason } : {}),
        AuthorizationType: connection.authorizationType,
        SecretArn: connection.secretArn,
        AuthParameters: describeAuth(connection),
        ...connectionTimes(connection),
      };
    },

    UpdateConnection(input) {
      const connection = findConnection(requireName(input, 'Name'));
      const description = optionalText(input, 'Description', 512);
      const type = optionalEnum(input, 'AuthorizationType', AUTHORIZATION_TYPES) ?? connection.authorizationType;
      const parameters = optionalObject(input, 'AuthParameters');
      if (type !== connection.authorizationType && !parameters) {
        throw validation(`AuthParameters for ${type} must be specified when changing the authorization type.`);
      }
      // Validate everything before changing anything.
      const auth = parameters ? readAuthParameters(parameters, type, type === connection.authorizationType ? connection : undefined) : undefined;
      if (description !== undefined) connection.description = description;
      if (auth) {
        delete connection.apiKey;
        delete connection.basic;
        delete connection.oauth;
        if (parameters && parameters.InvocationHttpParameters === undefined && connection.invocationHttpParameters) {
          auth.invocationHttpParameters = connection.invocationHttpParameters;
        }
        delete connection.invocationHttpParameters;
        Object.assign(connection, auth);
      }
      connection.authorizationType = type;
      delete connection.stateReason;
      Object.assign(connection, stateOf(type));
      connection.lastModifiedTime = now();
      connection.lastAuthorizedTime = connection.lastModifiedTime;
      return { ConnectionArn: connection.arn, ConnectionState: connection.state, ...connectionTimes(connection) };
    },

    DeleteConnection(input) {
      const connection = findConnection(requireName(input, 'Name'));
      connections.delete(connection.name);
      return { ConnectionArn: connection.arn, ConnectionState: 'DELETING', ...connectionTimes(connection) };
    },

    ListConnections(input) {
      const prefix = optionalText(input, 'NamePrefix', 64) ?? '';
      const state = optionalText(input, 'ConnectionState', 32);
      const matching = [...connections.values()]
        .filter((connection) => connection.name.startsWith(prefix) && (state === undefined || connection.state === state))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextToken } = paginate(matching, input);
      return {
        Connections: page.map((connection) => ({
          ConnectionArn: connection.arn,
          Name: connection.name,
          ConnectionState: connection.state,
          ...(connection.stateReason !== undefined ? { StateReason: connection.stateReason } : {}),
          AuthorizationType: connection.authorizationType,
          ...connectionTimes(connection),
        })),
        ...(nextToken ? { NextToken: nextToken } : {}),
      };
    },

    CreateApiDestination(input) {
      const name = requireName(input, 'Name');
      const description = optionalText(input, 'Description', 512);
      const connectionArn = requireConnectionArn(input);
      const invocationEndpoint = readEndpoint(input, true)!;
      const httpMethod = requireEnum(input, 'HttpMethod', HTTP_METHODS);
      const rate = optionalInteger(input, 'InvocationRateLimitPerSecond', 1, MAX_RATE_LIMIT) ?? DEFAULT_RATE_LIMIT;
      if (destinations.has(name)) throw new AwsServiceError('ResourceAlreadyExistsException', `An api-destination '${name}' already exists.`);
      if (destinations.size >= MAX_API_DESTINATIONS) throw new AwsServiceError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
      const created = now();
      const destination: Mutable<ApiDestinationSnapshot> = {
        name,
        arn: `${ARN_PREFIX}api-destination/${name}/${randomUUID()}`,
        ...(description !== undefined ? { description } : {}),
        connectionArn,
        invocationEndpoint,
        httpMethod,
        invocationRateLimitPerSecond: rate,
        state: 'ACTIVE',
        creationTime: created,
        lastModifiedTime: created,
      };
      destinations.set(name, destination);
      return {
        ApiDestinationArn: destination.arn,
        ApiDestinationState: destination.state,
        CreationTime: epochSeconds(created),
        LastModifiedTime: epochSeconds(created),
      };
    },

    DescribeApiDestination(input) {
      const destination = findDestination(requireName(input, 'Name'));
      return { ...destinationSummary(destination), ...(destination.description !== undefined ? { Description: destination.description } : {}) };
    },

    UpdateApiDestination(input) {
      const destination = findDestination(requireName(input, 'Name'));
      const description = optionalText(input, 'Description', 512);
      const connectionArn = input.ConnectionArn === undefined || input.ConnectionArn === null ? undefined : requireConnectionArn(input);
      const invocationEndpoint = readEndpoint(input, false);
      const httpMethod = optionalEnum(input, 'HttpMethod', HTTP_METHODS);
      const rate = optionalInteger(input, 'InvocationRateLimitPerSecond', 1, MAX_RATE_LIMIT);
      if (description !== undefined) destination.description = description;
      if (connectionArn !== undefined) destination.connectionArn = connectionArn;
      if (invocationEndpoint !== undefined) destination.invocationEndpoint = invocationEndpoint;
      if (httpMethod !== undefined) destination.httpMethod = httpMethod;
      if (rate !== undefined) destination.invocationRateLimitPerSecond = rate;
      destination.lastModifiedTime = now();
      return {
        ApiDestinationArn: destination.arn,
        ApiDestinationState: destination.state,
        CreationTime: epochSeconds(destination.creationTime),
        LastModifiedTime: epochSeconds(destination.lastModifiedTime),
      };
    },

    DeleteApiDestination(input) {
      const destination = findDestination(requireName(input, 'Name'));
      destinations.delete(destination.name);
      return {};
    },

    ListApiDestinations(input) {
      const prefix = optionalText(input, 'NamePrefix', 64) ?? '';
      const connectionArn = optionalText(input, 'ConnectionArn', 1600);
      const matching = [...destinations.values()]
        .filter((destination) => destination.name.startsWith(prefix) && (connectionArn === undefined || destination.connectionArn === connectionArn))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextToken } = paginate(matching, input);
      return { ApiDestinations: page.map(destinationSummary), ...(nextToken ? { NextToken: nextToken } : {}) };
    },
  };

  return {
    operations,
    connectionByArn: (arn) => {
      const connection = connectionByArn(arn);
      return connection ? structuredClone(connection) : undefined;
    },
    apiDestinationByArn: (arn) => {
      for (const destination of destinations.values()) if (destination.arn === arn) return { ...destination };
      return undefined;
    },
    connections: () => [...connections.values()].map((connection) => structuredClone(connection)),
    apiDestinations: () => [...destinations.values()].map((destination) => ({ ...destination })),
  };
}

type AuthFields = Mutable<Pick<ConnectionSnapshot, 'apiKey' | 'basic' | 'oauth' | 'invocationHttpParameters'>>;

/**
 * The auth blocks of CreateConnection/UpdateConnection for `type`. With `current` (an update that
 * keeps the type) members left out keep their values; otherwise the block must be complete.
 */
function readAuthParameters(parameters: AwsJsonInput, type: AuthorizationType, current: ConnectionSnapshot | undefined): AuthFields {
  const blocks = { API_KEY: 'ApiKeyAuthParameters', BASIC: 'BasicAuthParameters', OAUTH_CLIENT_CREDENTIALS: 'OAuthParameters' } as const;
  for (const [otherType, member] of Object.entries(blocks)) {
    if (otherType !== type && parameters[member] !== undefined && parameters[member] !== null) {
      throw validation(`${member} cannot be used with authorization type ${type}.`);
    }
  }
  const fields: AuthFields = {};
  const block = optionalObject(parameters, blocks[type]);
  if (!block && !current) throw validation(`${blocks[type]} must be specified for authorization type ${type}.`);
  const text = (object: AwsJsonInput, member: string, previous: string | undefined, max: number, pattern = NO_CONTROL_CHARACTERS): string => {
    const value = optionalText(object, member, max, 1) ?? previous;
    if (value === undefined) throw validationError(member, undefined, 'Member must not be null');
    if (!pattern.test(value)) throw validationError(member, undefined, `Member must satisfy regular expression pattern: ${pattern.source}`);
    return value;
  };
  const given = block ?? {};
  if (type === 'API_KEY') {
    fields.apiKey = { name: text(given, 'ApiKeyName', current?.apiKey?.name, 512, API_KEY_NAME), value: text(given, 'ApiKeyValue', current?.apiKey?.value, 512) };
  } else if (type === 'BASIC') {
    fields.basic = { username: text(given, 'Username', current?.basic?.username, 512), password: text(given, 'Password', current?.basic?.password, 512) };
  } else {
    const client = optionalObject(given, 'ClientParameters') ?? {};
    const endpoint = text(given, 'AuthorizationEndpoint', current?.oauth?.authorizationEndpoint, 2048);
    if (!ENDPOINT.test(endpoint)) throw validationError('AuthorizationEndpoint', endpoint, 'Member must be an HTTP(S) URL');
    const method = optionalEnum(given, 'HttpMethod', OAUTH_HTTP_METHODS) ?? current?.oauth?.httpMethod;
    if (method === undefined) throw validationError('HttpMethod', undefined, 'Member must not be null');
    const httpParameters = readHttpParameters(given, 'OAuthHttpParameters') ?? current?.oauth?.httpParameters;
    fields.oauth = {
      clientId: text(client, 'ClientID', current?.oauth?.clientId, 512),
      clientSecret: text(client, 'ClientSecret', current?.oauth?.clientSecret, 512),
      authorizationEndpoint: endpoint,
      httpMethod: method,
      ...(httpParameters ? { httpParameters } : {}),
    };
  }
  const invocation = readHttpParameters(parameters, 'InvocationHttpParameters');
  if (invocation) fields.invocationHttpParameters = invocation;
  if (parameters.ConnectivityParameters !== undefined && parameters.ConnectivityParameters !== null) {
    throw validation('The local EventBridge stand-in does not support private APIs (ConnectivityParameters).');
  }
  return fields;
}

function readHttpParameters(parent: AwsJsonInput, member: string): ConnectionHttpParameters | undefined {
  const value = optionalObject(parent, member);
  if (!value) return undefined;
  const list = (name: string): ConnectionHttpParameter[] => {
    const items = value[name];
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items)) throw validationError(`${member}.${name}`, undefined, 'Member must be a list');
    return items.map((raw: unknown) => {
      const item = (raw ?? {}) as AwsJsonInput;
      const key = optionalText(item, 'Key', 512, 1);
      const itemValue = optionalText(item, 'Value', 512) ?? '';
      if (key === undefined) throw validationError(`${member}.${name}.Key`, undefined, 'Member must not be null');
      return { Key: key, Value: itemValue, IsValueSecret: item.IsValueSecret === true };
    });
  };
  return { HeaderParameters: list('HeaderParameters'), QueryStringParameters: list('QueryStringParameters'), BodyParameters: list('BodyParameters') };
}

function readEndpoint(input: AwsJsonInput, required: boolean): string | undefined {
  const endpoint = required ? requireText(input, 'InvocationEndpoint', 2048) : optionalText(input, 'InvocationEndpoint', 2048, 1);
  if (endpoint === undefined) return undefined;
  if (!ENDPOINT.test(endpoint)) {
    throw validationError('InvocationEndpoint', endpoint, 'Member must be an HTTPS URL (the local stand-in also accepts http://)');
  }
  return endpoint;
}

/** AuthParameters as DescribeConnection shows them: no secret values. */
function describeAuth(connection: ConnectionSnapshot): Record<string, unknown> {
  const hideSecrets = (parameters: ConnectionHttpParameters) => {
    const list = (items: readonly ConnectionHttpParameter[]) =>
      items.map((item) => (item.IsValueSecret ? { Key: item.Key, IsValueSecret: true } : { ...item }));
    return {
      HeaderParameters: list(parameters.HeaderParameters),
      QueryStringParameters: list(parameters.QueryStringParameters),
      BodyParameters: list(parameters.BodyParameters),
    };
  };
  return {
    ...(connection.apiKey ? { ApiKeyAuthParameters: { ApiKeyName: connection.apiKey.name } } : {}),
    ...(connection.basic ? { BasicAuthParameters: { Username: connection.basic.username } } : {}),
    ...(connection.oauth
      ? {
          OAuthParameters: {
            ClientParameters: { ClientID: connection.oauth.clientId },
            AuthorizationEndpoint: connection.oauth.authorizationEndpoint,
            HttpMethod: connection.oauth.httpMethod,
            ...(connection.oauth.httpParameters ? { OAuthHttpParameters: hideSecrets(connection.oauth.httpParameters) } : {}),
          },
        }
      : {}),
    ...(connection.invocationHttpParameters ? { InvocationHttpParameters: hideSecrets(connection.invocationHttpParameters) } : {}),
  };
}
