/**
 * A connection's AuthParameters: reading them from CreateConnection/UpdateConnection (API_KEY, BASIC,
 * OAUTH_CLIENT_CREDENTIALS, InvocationHttpParameters) and showing them as DescribeConnection does,
 * without the secret values.
 */
import type { AwsJsonInput } from '../aws-json-server.ts';
import { optionalEnum, optionalObject, optionalText, validation, validationError } from './validation.ts';

export const AUTHORIZATION_TYPES = ['API_KEY', 'BASIC', 'OAUTH_CLIENT_CREDENTIALS'] as const;
export type AuthorizationType = (typeof AUTHORIZATION_TYPES)[number];

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

/** A connection's credentials and extra HTTP parameters, secrets included. */
export interface ConnectionAuth {
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
}

type AuthFields = { -readonly [K in keyof ConnectionAuth]: ConnectionAuth[K] };

/** An http(s) URL; AWS requires https, the stand-in also takes http so local receivers need no certificates. */
export const HTTP_URL = /^https?:\/\/[^\s/?#]+[^\s]*$/;
/** AWS: ^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$ */
// biome-ignore lint/suspicious/noControlCharactersInRegex: AWS's own pattern; it names control characters to refuse them.
const API_KEY_NAME = /^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: names the control characters in order to refuse them.
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1F\x7F]+$/;
const OAUTH_HTTP_METHODS = ['GET', 'POST', 'PUT'] as const;

/**
 * The auth blocks of CreateConnection/UpdateConnection for `type`. With `current` (an update that
 * keeps the type) members left out keep their values; otherwise the block must be complete.
 */
export function readAuthParameters(parameters: AwsJsonInput, type: AuthorizationType, current: ConnectionAuth | undefined): AuthFields {
  const blocks = { API_KEY: 'ApiKeyAuthParameters', BASIC: 'BasicAuthParameters', OAUTH_CLIENT_CREDENTIALS: 'OAuthParameters' } as const;
  for (const [otherType, member] of Object.entries(blocks)) {
    if (otherType !== type && parameters[member] !== undefined && parameters[member] !== null) {
      throw validation(`${member} cannot be used with authorization type ${type}.`);
    }
  }
  const fields: AuthFields = {};
  const block = optionalObject(parameters, blocks[type]);
  if (!block && !current) throw validation(`${blocks[type]} must be specified for authorization type ${type}.`);
  const text = (
    object: AwsJsonInput,
    member: string,
    previous: string | undefined,
    max: number,
    pattern = NO_CONTROL_CHARACTERS,
  ): string => {
    const value = optionalText(object, member, max, 1) ?? previous;
    if (value === undefined) throw validationError(member, undefined, 'Member must not be null');
    if (!pattern.test(value)) throw validationError(member, undefined, `Member must satisfy regular expression pattern: ${pattern.source}`);
    return value;
  };
  const given = block ?? {};
  if (type === 'API_KEY') {
    fields.apiKey = {
      name: text(given, 'ApiKeyName', current?.apiKey?.name, 512, API_KEY_NAME),
      value: text(given, 'ApiKeyValue', current?.apiKey?.value, 512),
    };
  } else if (type === 'BASIC') {
    fields.basic = {
      username: text(given, 'Username', current?.basic?.username, 512),
      password: text(given, 'Password', current?.basic?.password, 512),
    };
  } else {
    const client = optionalObject(given, 'ClientParameters') ?? {};
    const endpoint = text(given, 'AuthorizationEndpoint', current?.oauth?.authorizationEndpoint, 2048);
    if (!HTTP_URL.test(endpoint)) throw validationError('AuthorizationEndpoint', endpoint, 'Member must be an HTTP(S) URL');
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
  return {
    HeaderParameters: list('HeaderParameters'),
    QueryStringParameters: list('QueryStringParameters'),
    BodyParameters: list('BodyParameters'),
  };
}

/** AuthParameters as DescribeConnection shows them: no secret values. */
export function describeAuth(connection: ConnectionAuth): Record<string, unknown> {
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
