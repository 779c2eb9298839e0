/**
 * Input checks shared by the EventBridge stand-in's operations, answering like AWS's request
 * validation (ValidationException, "1 validation error detected: …"), plus list pagination.
 */
import { AwsServiceError, type AwsJsonInput } from '../aws-json-server.ts';

/** Connection, API destination, rule and target names/ids. */
export const RESOURCE_NAME = /^[.\-_A-Za-z0-9]+$/;

export function validationError(member: string, value: unknown, constraint: string): AwsServiceError {
  const shown = typeof value === 'string' ? `'${value.length > 100 ? `${value.slice(0, 100)}…` : value}' ` : '';
  return new AwsServiceError(
    'ValidationException',
    `1 validation error detected: Value ${shown}at '${member.split('.').map(lowerFirst).join('.')}' failed to satisfy constraint: ${constraint}`,
  );
}

export function validation(message: string): AwsServiceError {
  return new AwsServiceError('ValidationException', message);
}

/** A required name matching `[.\-_A-Za-z0-9]+` of 1–`max` characters. */
export function requireName(input: AwsJsonInput, member: string, max = 64): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') throw validationError(member, value, 'Member must not be null');
  checkName(member, value, max);
  return value;
}

export function checkName(member: string, value: string, max = 64): void {
  if (value.length > max) throw validationError(member, value, `Member must have length less than or equal to ${max}`);
  if (!RESOURCE_NAME.test(value))
    throw validationError(member, value, 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+');
}

export function requireText(input: AwsJsonInput, member: string, max: number, min = 1): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') throw validationError(member, value, 'Member must not be null');
  checkLength(member, value, min, max);
  return value;
}

export function optionalText(input: AwsJsonInput, member: string, max: number, min = 0): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationError(member, value, 'Member must be a string');
  checkLength(member, value, min, max);
  return value;
}

function checkLength(member: string, value: string, min: number, max: number): void {
  if (value.length < min) throw validationError(member, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw validationError(member, value, `Member must have length less than or equal to ${max}`);
}

export function optionalEnum<T extends string>(input: AwsJsonInput, member: string, values: readonly T[]): T | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !values.includes(value as T)) {
    throw validationError(member, value, `Member must satisfy enum value set: [${values.join(', ')}]`);
  }
  return value as T;
}

export function requireEnum<T extends string>(input: AwsJsonInput, member: string, values: readonly T[]): T {
  const value = optionalEnum(input, member, values);
  if (value === undefined) throw validationError(member, value, 'Member must not be null');
  return value;
}

export function optionalInteger(input: AwsJsonInput, member: string, min: number, max: number): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw validationError(member, value, 'Member must be an integer');
  if (value < min) throw validationError(member, undefined, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw validationError(member, undefined, `Member must have value less than or equal to ${max}`);
  return value;
}

export function optionalObject(input: AwsJsonInput, member: string): AwsJsonInput | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw validationError(member, undefined, 'Member must be a structure');
  return value as AwsJsonInput;
}

export function requireObject(input: AwsJsonInput, member: string): AwsJsonInput {
  const value = optionalObject(input, member);
  if (!value) throw validationError(member, undefined, 'Member must not be null');
  return value;
}

/** A string → string map member (HeaderParameters, InputPathsMap, …). */
export function optionalStringMap(input: AwsJsonInput, member: string): Record<string, string> | undefined {
  const value = optionalObject(input, member);
  if (!value) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw validationError(`${member}.${key}`, undefined, 'Member must be a string');
  }
  return value as Record<string, string>;
}

/** `Limit`/`NextToken` pagination over an already ordered list; NextToken is opaque to callers. */
export function paginate<T>(items: readonly T[], input: AwsJsonInput, maxLimit = 100): { page: T[]; nextToken?: string } {
  const limit = optionalInteger(input, 'Limit', 1, maxLimit) ?? maxLimit;
  const token = input.NextToken;
  let offset = 0;
  if (token !== undefined && token !== null) {
    const decoded = typeof token === 'string' ? /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8')) : null;
    if (!decoded) throw validation('The NextToken provided is invalid.');
    offset = Number(decoded[1]);
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit;
  return next < items.length ? { page, nextToken: Buffer.from(`o${next}`).toString('base64url') } : { page };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
