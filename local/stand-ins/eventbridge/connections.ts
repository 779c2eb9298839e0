/**
 * EventBridge connections and API destinations: the control plane of webhook delivery.
 *
 * Operations (AWS JSON 1.1, field names as in the EventBridge API reference): CreateConnection,
 * DescribeConnection, UpdateConnection, DeleteConnection, ListConnections, CreateApiDestination,
 * DescribeApiDestination, UpdateApiDestination, DeleteApiDestination, ListApiDestinations.
 * AuthParameters, read and described: connection-auth.ts.
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
import {
  AUTHORIZATION_TYPES,
  describeAuth,
  HTTP_URL,
  readAuthParameters,
  type AuthorizationType,
  type ConnectionAuth,
} from './connection-auth.ts';
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

export const HTTP_METHODS = ['POST', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type ConnectionState = 'AUTHORIZED' | 'DEAUTHORIZED';

/** A connection as stored, secrets included (for delivery and for tests' inspection). */
export interface ConnectionSnapshot extends ConnectionAuth {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly authorizationType: AuthorizationType;
  readonly state: ConnectionState;
  readonly stateReason?: string;
  readonly secretArn: string;
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
const OAUTH_NOT_IMPLEMENTED =
  'The local EventBridge stand-in does not run the OAuth client-credentials flow; use API_KEY or BASIC locally.';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function createApiDestinationsStore(now: () => Date): ApiDestinationsStore {
  const connections = new Map<string, Mutable<ConnectionSnapshot>>();
  const destinations = new Map<string, Mutable<ApiDestinationSnapshot>>();

  function findConnection(name: string): Mutable<ConnectionSnapshot> {
    const connection = connections.get(name);
    if (!connection)
      throw new AwsServiceError('ResourceNotFoundException', `Failed to describe the connection(s). Connection '${name}' does not exist.`);
    return connection;
  }

  function findDestination(name: string): Mutable<ApiDestinationSnapshot> {
    const destination = destinations.get(name);
    if (!destination) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Failed to describe the api-destination(s). An api-destination '${name}' does not exist.`,
      );
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
      if (connections.size >= MAX_CONNECTIONS)
        throw new AwsServiceError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
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
      const auth = parameters
        ? readAuthParameters(parameters, type, type === connection.authorizationType ? connection : undefined)
        : undefined;
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
      const invocationEndpoint = checkedEndpoint(requireText(input, 'InvocationEndpoint', 2048));
      const httpMethod = requireEnum(input, 'HttpMethod', HTTP_METHODS);
      const rate = optionalInteger(input, 'InvocationRateLimitPerSecond', 1, MAX_RATE_LIMIT) ?? DEFAULT_RATE_LIMIT;
      if (destinations.has(name))
        throw new AwsServiceError('ResourceAlreadyExistsException', `An api-destination '${name}' already exists.`);
      if (destinations.size >= MAX_API_DESTINATIONS)
        throw new AwsServiceError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
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
      return {
        ...destinationSummary(destination),
        ...(destination.description !== undefined ? { Description: destination.description } : {}),
      };
    },

    UpdateApiDestination(input) {
      const destination = findDestination(requireName(input, 'Name'));
      const description = optionalText(input, 'Description', 512);
      const connectionArn = input.ConnectionArn === undefined || input.ConnectionArn === null ? undefined : requireConnectionArn(input);
      const endpoint = optionalText(input, 'InvocationEndpoint', 2048, 1);
      const invocationEndpoint = endpoint === undefined ? undefined : checkedEndpoint(endpoint);
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
        .filter(
          (destination) =>
            destination.name.startsWith(prefix) && (connectionArn === undefined || destination.connectionArn === connectionArn),
        )
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

function checkedEndpoint(endpoint: string): string {
  if (!HTTP_URL.test(endpoint)) {
    throw validationError('InvocationEndpoint', endpoint, 'Member must be an HTTPS URL (the local stand-in also accepts http://)');
  }
  return endpoint;
}
