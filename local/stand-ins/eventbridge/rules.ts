/**
 * EventBridge rules and targets: which events go where.
 *
 * Operations: PutRule, DescribeRule, DeleteRule, EnableRule, DisableRule, ListRules,
 * ListRuleNamesByTarget, PutTargets, RemoveTargets, ListTargetsByRule, TestEventPattern.
 *
 * Like AWS:
 * - PutRule creates or replaces: members left out are not kept (State goes back to ENABLED), the
 *   targets are; rule ARNs are `…:rule/<name>` on the default bus, `…:rule/<bus>/<name>` elsewhere;
 * - invalid patterns fail with InvalidEventPatternException (see ../event-pattern.ts);
 * - DeleteRule refuses with ValidationException while the rule has targets, and succeeds for a rule
 *   that does not exist;
 * - PutTargets: 1–10 targets a call, at most 5 a rule (LimitExceededException), an existing Id is
 *   replaced; RoleArn is required for API-destination targets; one of Input / InputPath /
 *   InputTransformer; ≤ 100 input paths; templates ≤ 8,192 characters; RetryPolicy
 *   MaximumRetryAttempts 0–185 (default 185) and MaximumEventAgeInSeconds 60–86,400 (default 86,400);
 *   DeadLetterConfig.Arn must be an SQS queue ARN;
 * - at most 300 rules per bus (LimitExceededException).
 *
 * Unlike AWS: ScheduleExpression (scheduled rules) is refused; no tags; operations are atomic, so
 * ConcurrentModificationException never happens.
 */
import { AwsServiceError, type AwsJsonInput, type AwsJsonOperation } from '../aws-json-server.ts';
import { EventPattern, InvalidEventPatternError } from '../event-pattern.ts';
import { parseJsonPath, validateTargetInput } from './input-transformer.ts';
import { ACCOUNT, ARN_PREFIX, DEFAULT_BUS, type BusEvent } from './types.ts';
import {
  checkName,
  optionalEnum,
  optionalObject,
  optionalStringMap,
  optionalText,
  paginate,
  requireName,
  requireText,
  validation,
  validationError,
} from './validation.ts';

export const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] as const;
export type RuleState = (typeof RULE_STATES)[number];

export const MAX_TARGETS_PER_RULE = 5;
export const MAX_TARGETS_PER_CALL = 10;
export const MAX_RULES_PER_BUS = 300;
export const MAX_EVENT_PATTERN_LENGTH = 4096;
export const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86_400;

const ANY_ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;
const API_DESTINATION_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:api-destination\/.+$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HTTP_VALUE = /^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$/;

/** A target as PutTargets stored it: the members given (normalised), echoed by ListTargetsByRule. */
export interface StoredTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly RoleArn?: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: { readonly InputPathsMap?: Readonly<Record<string, string>>; readonly InputTemplate: string };
  readonly HttpParameters?: {
    readonly PathParameterValues?: readonly string[];
    readonly HeaderParameters?: Readonly<Record<string, string>>;
    readonly QueryStringParameters?: Readonly<Record<string, string>>;
  };
  readonly RetryPolicy?: { readonly MaximumRetryAttempts?: number; readonly MaximumEventAgeInSeconds?: number };
  readonly DeadLetterConfig?: { readonly Arn?: string };
  readonly SqsParameters?: { readonly MessageGroupId?: string };
  /** Other target kinds' parameters (EcsParameters, …) are kept and echoed, never used. */
  readonly [other: string]: unknown;
}

export interface RuleSnapshot {
  readonly name: string;
  readonly arn: string;
  readonly eventBusName: string;
  readonly eventPattern: string;
  readonly state: RuleState;
  readonly description?: string;
  readonly roleArn?: string;
  readonly targets: readonly StoredTarget[];
}

/** A rule/target pair an event matched. */
export interface RuleMatch {
  readonly rule: { readonly name: string; readonly arn: string; readonly eventBusName: string };
  readonly target: StoredTarget;
}

export interface RulesStoreOptions {
  /** The bus name for a name-or-ARN, throwing ResourceNotFoundException when there is no such bus. */
  readonly requireBus: (nameOrArn: string | undefined) => string;
}

export interface RulesStore {
  readonly operations: Record<string, AwsJsonOperation>;
  /** The ENABLED rules of the event's bus whose pattern matches, with each of their targets. */
  match(event: BusEvent): RuleMatch[];
  rules(eventBusName?: string): RuleSnapshot[];
  targets(ruleName: string, eventBusName?: string): StoredTarget[];
  /** Forget a deleted bus's rules. */
  deleteBusRules(eventBusName: string): void;
}

interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly eventBusName: string;
  pattern: EventPattern;
  state: RuleState;
  description?: string;
  roleArn?: string;
  readonly targets: Map<string, StoredTarget>;
}

export function ruleArn(eventBusName: string, name: string): string {
  return eventBusName === DEFAULT_BUS ? `${ARN_PREFIX}rule/${name}` : `${ARN_PREFIX}rule/${eventBusName}/${name}`;
}

export function isApiDestinationArn(arn: string): boolean {
  return API_DESTINATION_ARN.test(arn);
}

export function isSqsQueueArn(arn: string): boolean {
  return SQS_ARN.test(arn);
}

export function createRulesStore(options: RulesStoreOptions): RulesStore {
  /** By bus name, then rule name. */
  const buses = new Map<string, Map<string, Rule>>();

  const rulesOf = (bus: string): Map<string, Rule> => {
    let rules = buses.get(bus);
    if (!rules) {
      rules = new Map();
      buses.set(bus, rules);
    }
    return rules;
  };

  function findRule(input: AwsJsonInput, member = 'Name'): Rule {
    const name = requireName(input, member);
    const bus = options.requireBus(optionalText(input, 'EventBusName', 1600, 1));
    const rule = buses.get(bus)?.get(name);
    if (!rule) throw new AwsServiceError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
    return rule;
  }

  const describe = (rule: Rule) => ({
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: rule.pattern.source,
    State: rule.state,
    ...(rule.description !== undefined ? { Description: rule.description } : {}),
    ...(rule.roleArn !== undefined ? { RoleArn: rule.roleArn } : {}),
    EventBusName: rule.eventBusName,
  });

  const operations: Record<string, AwsJsonOperation> = {
    PutRule(input) {
      const name = requireName(input, 'Name');
      const bus = options.requireBus(optionalText(input, 'EventBusName', 1600, 1));
      if (input.ScheduleExpression !== undefined && input.ScheduleExpression !== null) {
        throw validation('The local EventBridge stand-in does not support scheduled rules (ScheduleExpression).');
      }
      const patternText = optionalText(input, 'EventPattern', MAX_EVENT_PATTERN_LENGTH);
      if (patternText === undefined || patternText === '')
        throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
      const pattern = parsePattern(patternText);
      const state = optionalEnum(input, 'State', RULE_STATES) ?? 'ENABLED';
      const description = optionalText(input, 'Description', 512);
      const roleArn = optionalText(input, 'RoleArn', 1600, 1);
      const rules = rulesOf(bus);
      const existing = rules.get(name);
      if (!existing && rules.size >= MAX_RULES_PER_BUS) {
        throw new AwsServiceError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
      }
      const rule: Rule = {
        name,
        arn: ruleArn(bus, name),
        eventBusName: bus,
        pattern,
        state,
        ...(description !== undefined ? { description } : {}),
        ...(roleArn !== undefined ? { roleArn } : {}),
        targets: existing?.targets ?? new Map(),
      };
      rules.set(name, rule);
      return { RuleArn: rule.arn };
    },

    DescribeRule(input) {
      return { ...describe(findRule(input)), CreatedBy: ACCOUNT };
    },

    DeleteRule(input) {
      const name = requireName(input, 'Name');
      const bus = options.requireBus(optionalText(input, 'EventBusName', 1600, 1));
      const rule = buses.get(bus)?.get(name);
      if (!rule) return {};
      if (rule.targets.size > 0) throw validation("Rule can't be deleted since it has targets.");
      buses.get(bus)?.delete(name);
      return {};
    },

    EnableRule(input) {
      findRule(input).state = 'ENABLED';
      return {};
    },

    DisableRule(input) {
      findRule(input).state = 'DISABLED';
      return {};
    },

    ListRules(input) {
      const prefix = optionalText(input, 'NamePrefix', 64) ?? '';
      const bus = options.requireBus(optionalText(input, 'EventBusName', 1600, 1));
      const matching = [...(buses.get(bus)?.values() ?? [])]
        .filter((rule) => rule.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextToken } = paginate(matching, input);
      return { Rules: page.map(describe), ...(nextToken ? { NextToken: nextToken } : {}) };
    },

    ListRuleNamesByTarget(input) {
      const targetArn = requireText(input, 'TargetArn', 1600);
      const bus = options.requireBus(optionalText(input, 'EventBusName', 1600, 1));
      const names = [...(buses.get(bus)?.values() ?? [])]
        .filter((rule) => [...rule.targets.values()].some((target) => target.Arn === targetArn))
        .map((rule) => rule.name)
        .sort();
      const { page, nextToken } = paginate(names, input);
      return { RuleNames: page, ...(nextToken ? { NextToken: nextToken } : {}) };
    },

    PutTargets(input) {
      const rule = findRule(input, 'Rule');
      const raw = input.Targets;
      if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_TARGETS_PER_CALL) {
        throw validationError(
          'Targets',
          undefined,
          `Member must have length ${Array.isArray(raw) && raw.length > 0 ? `less than or equal to ${MAX_TARGETS_PER_CALL}` : 'greater than or equal to 1'}`,
        );
      }
      const targets = raw.map((item: unknown) => readTarget(item));
      const ids = new Set([...rule.targets.keys(), ...targets.map((target) => target.Id)]);
      if (ids.size > MAX_TARGETS_PER_RULE)
        throw new AwsServiceError('LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
      for (const target of targets) rule.targets.set(target.Id, target);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    RemoveTargets(input) {
      const rule = findRule(input, 'Rule');
      const ids = input.Ids;
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100 || !ids.every((id) => typeof id === 'string')) {
        throw validationError('Ids', undefined, 'Member must have length between 1 and 100 and contain strings');
      }
      for (const id of ids as string[]) rule.targets.delete(id);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    ListTargetsByRule(input) {
      const rule = findRule(input, 'Rule');
      const { page, nextToken } = paginate([...rule.targets.values()], input);
      return { Targets: page.map((target) => structuredClone(target)), ...(nextToken ? { NextToken: nextToken } : {}) };
    },

    TestEventPattern(input) {
      const pattern = parsePattern(requireText(input, 'EventPattern', MAX_EVENT_PATTERN_LENGTH));
      const eventText = requireText(input, 'Event', 256 * 1024);
      let event: unknown;
      try {
        event = JSON.parse(eventText);
      } catch {
        throw validation('Parameter Event is not valid JSON.');
      }
      const missing = ['id', 'account', 'source', 'time', 'region', 'detail-type'].filter(
        (field) => event === null || typeof event !== 'object' || !(field in event),
      );
      if (missing.length > 0) throw validation(`Parameter Event is not valid. Missing fields: ${missing.join(', ')}.`);
      return { Result: pattern.matches(event) };
    },
  };

  return {
    operations,
    match(event) {
      const found: RuleMatch[] = [];
      for (const rule of buses.get(event.eventBusName)?.values() ?? []) {
        if (rule.state === 'DISABLED' || rule.targets.size === 0 || !rule.pattern.matches(event.event)) continue;
        for (const target of rule.targets.values()) {
          found.push({ rule: { name: rule.name, arn: rule.arn, eventBusName: rule.eventBusName }, target });
        }
      }
      return found;
    },
    rules: (eventBusName) =>
      [...buses.entries()]
        .filter(([bus]) => eventBusName === undefined || bus === eventBusName)
        .flatMap(([, rules]) => [...rules.values()])
        .map((rule) => ({
          name: rule.name,
          arn: rule.arn,
          eventBusName: rule.eventBusName,
          eventPattern: rule.pattern.source,
          state: rule.state,
          ...(rule.description !== undefined ? { description: rule.description } : {}),
          ...(rule.roleArn !== undefined ? { roleArn: rule.roleArn } : {}),
          targets: [...rule.targets.values()].map((target) => structuredClone(target)),
        })),
    targets: (ruleName, eventBusName = DEFAULT_BUS) =>
      [...(buses.get(eventBusName)?.get(ruleName)?.targets.values() ?? [])].map((target) => structuredClone(target)),
    deleteBusRules: (eventBusName) => {
      buses.delete(eventBusName);
    },
  };
}

function parsePattern(text: string): EventPattern {
  try {
    return EventPattern.parse(text);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) throw new AwsServiceError('InvalidEventPatternException', error.message);
    throw error;
  }
}

/** Validates one PutTargets entry and returns it normalised (copied; absent members left out). */
function readTarget(raw: unknown): StoredTarget {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw validationError('Targets', undefined, 'Member must be a structure');
  const input = raw as AwsJsonInput;
  const id = requireText(input, 'Id', 64);
  checkName('Id', id);
  const arn = requireText(input, 'Arn', 1600);
  if (!ANY_ARN.test(arn)) throw validation(`Parameter ${arn} is not valid. Reason: Provided Arn is not in correct format.`);
  const roleArn = optionalText(input, 'RoleArn', 1600, 1);
  if (isApiDestinationArn(arn) && roleArn === undefined) throw validation(`RoleArn is required for target ${arn}.`);

  const target: Record<string, unknown> = structuredClone(input);
  for (const [key, value] of Object.entries(target)) if (value === null || value === undefined) delete target[key];

  const inputProblem = validateTargetInput(target as StoredTarget);
  if (inputProblem) throw validation(`${inputProblem} (target ${id})`);

  const http = optionalObject(input, 'HttpParameters');
  if (http) {
    for (const member of ['HeaderParameters', 'QueryStringParameters'] as const) {
      for (const [key, value] of Object.entries(optionalStringMap(http, member) ?? {})) {
        if (key.length > 512 || (member === 'HeaderParameters' && !HTTP_TOKEN.test(key))) {
          throw validationError(`HttpParameters.${member}`, key, 'Keys must be HTTP header names of at most 512 characters');
        }
        checkParameterValue(`HttpParameters.${member}.${key}`, value, member === 'HeaderParameters');
      }
    }
    const pathValues = http.PathParameterValues;
    if (pathValues !== undefined && pathValues !== null) {
      if (!Array.isArray(pathValues) || !pathValues.every((value) => typeof value === 'string')) {
        throw validationError('HttpParameters.PathParameterValues', undefined, 'Member must be a list of strings');
      }
      for (const value of pathValues) checkParameterValue('HttpParameters.PathParameterValues', value, false);
    }
  }

  const retry = optionalObject(input, 'RetryPolicy');
  if (retry) {
    const attempts = retry.MaximumRetryAttempts;
    if (
      attempts !== undefined &&
      attempts !== null &&
      (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0 || attempts > 185)
    ) {
      throw validationError('RetryPolicy.MaximumRetryAttempts', undefined, 'Member must have value between 0 and 185');
    }
    const age = retry.MaximumEventAgeInSeconds;
    if (age !== undefined && age !== null && (typeof age !== 'number' || !Number.isInteger(age) || age < 60 || age > 86_400)) {
      throw validationError('RetryPolicy.MaximumEventAgeInSeconds', undefined, 'Member must have value between 60 and 86400');
    }
  }

  const deadLetter = optionalObject(input, 'DeadLetterConfig');
  const deadLetterArn = deadLetter ? optionalText(deadLetter, 'Arn', 1600, 1) : undefined;
  if (deadLetterArn !== undefined && !isSqsQueueArn(deadLetterArn)) {
    throw validation(`Parameter DeadLetterConfig.Arn is not valid. Reason: ${deadLetterArn} is not an SQS queue ARN.`);
  }
  return target as StoredTarget;
}

function checkParameterValue(member: string, value: string, header: boolean): void {
  if (value.length > 512) throw validationError(member, value, 'Member must have length less than or equal to 512');
  if (value.startsWith('$.')) {
    try {
      parseJsonPath(value);
    } catch (error) {
      throw validation(`${member} is not a valid JSON path: ${(error as Error).message}`);
    }
  } else if (header && !HTTP_VALUE.test(value)) {
    throw validationError(member, value, 'Member must be printable ASCII');
  }
}
