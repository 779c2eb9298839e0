import { describe, expect, it } from 'vitest';
import { jobIdFor } from '../../../lambdas/domain/ids.ts';
import { parseJobMessage } from '../../../lambdas/common/job-message.ts';
import { PoisonMessageError } from '../../../lambdas/use-cases/ports.ts';
import { TENANT } from '../builders.ts';

const MESSAGE_ID = '059f36b4-87a3-44ab-83d2-661975830a7d';
const JOB_ID = jobIdFor(TENANT, 'cms-4411');
const valid = { job_id: JOB_ID, tenant_id: TENANT, version: 3 };

function poison(body: string): PoisonMessageError {
  try {
    parseJobMessage(MESSAGE_ID, body);
  } catch (error) {
    if (error instanceof PoisonMessageError) return error;
    throw error;
  }
  return expect.unreachable(`accepted ${body}`);
}

describe('parseJobMessage', () => {
  it.each([
    ['a publish message', valid],
    ['a pacing hold', { ...valid, hold: 'pacing' }],
    ['a pacing hold with its slot', { ...valid, hold: 'pacing', slot_ms: 1_772_366_400_000 }],
    ['a released hold (slot, no hold)', { ...valid, slot_ms: 0 }],
  ])('accepts %s', (_what, message) => {
    expect(parseJobMessage(MESSAGE_ID, JSON.stringify(message))).toEqual(message);
  });

  it('is poison when the body is not JSON, naming the message', () => {
    const error = poison('{"job_id": ');
    expect(error.name).toBe('PoisonMessageError');
    expect(error.message).toBe(`message ${MESSAGE_ID} is not a job message: body is not JSON`);
  });

  it.each([
    ['a JSON string', '"job_x"', /expected object/i],
    ['null', 'null', /expected object/i],
    ['an array', '[]', /expected object/i],
    ['no job id', JSON.stringify({ tenant_id: TENANT, version: 1 }), /job_id/],
    ['a job id of another shape', JSON.stringify({ ...valid, job_id: 'job_123' }), /job_id/],
    ['a numeric job id', JSON.stringify({ ...valid, job_id: 42 }), /job_id/],
    ['an empty tenant', JSON.stringify({ ...valid, tenant_id: '' }), /tenant_id/],
    ['a tenant id over 64 characters', JSON.stringify({ ...valid, tenant_id: 't'.repeat(65) }), /tenant_id/],
    ['version as a string', JSON.stringify({ ...valid, version: '3' }), /version/],
    ['version 0', JSON.stringify({ ...valid, version: 0 }), /version/],
    ['a fractional version', JSON.stringify({ ...valid, version: 1.5 }), /version/],
    ['another kind of hold', JSON.stringify({ ...valid, hold: 'retry' }), /hold/],
    ['a negative slot', JSON.stringify({ ...valid, slot_ms: -1 }), /slot_ms/],
    ['a fractional slot', JSON.stringify({ ...valid, slot_ms: 1.5 }), /slot_ms/],
    ['an unknown key', JSON.stringify({ ...valid, job: { status: 'queued' } }), /"job"/],
  ])('is poison for %s, naming the message and the problem', (_what, body, problem) => {
    const error = poison(body);
    expect(error.message).toMatch(new RegExp(`^message ${MESSAGE_ID} is not a job message: `));
    expect(error.message).toMatch(problem);
  });
});
