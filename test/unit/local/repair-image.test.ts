import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { toItem } from '../../../lambdas/adapters/dynamo-job-item.ts';
import { repairImage } from '../../../local/stream-poller.ts';
import { jobRecord } from '../builders.ts';

describe('repairImage (DynamoDB Local writes an empty map as `{}` in stream records)', () => {
  it.each([
    ['a top-level attribute', { a: {} }, { a: { M: {} } }],
    ['inside a map', { a: { M: { b: {}, c: { S: 'x' } } } }, { a: { M: { b: { M: {} }, c: { S: 'x' } } } }],
    ['inside a list', { a: { L: [{}, { N: '1' }] } }, { a: { L: [{ M: {} }, { N: '1' }] } }],
    [
      'in a map in a list in a map',
      { a: { M: { l: { L: [{ M: { deep: {} } }] } } } },
      { a: { M: { l: { L: [{ M: { deep: { M: {} } } }] } } } },
    ],
    ['in a list in a list', { a: { L: [{ L: [{}] }] } }, { a: { L: [{ L: [{ M: {} }] }] } }],
  ])('repairs an empty map %s', (_where, image, repaired) => {
    const before = structuredClone(image);

    expect(repairImage(image)).toEqual(repaired);
    expect(image).toEqual(before); // the input is not modified
  });

  it('leaves every valid AttributeValue untouched', () => {
    const image = {
      s: { S: '' },
      n: { N: '0' },
      b: { B: 'AAE=' },
      t: { BOOL: true },
      f: { BOOL: false },
      nul: { NULL: true },
      ss: { SS: ['a'] },
      ns: { NS: ['1'] },
      emptyMap: { M: {} },
      emptyList: { L: [] },
      map: { M: { k: { S: 'v' }, inner: { M: {} } } },
    };

    expect(repairImage(image)).toEqual(image);
  });

  it.each([[undefined], [null]])('passes a missing image (%j) through', (image) => {
    expect(repairImage(image)).toBe(image);
  });

  it('keeps an empty image empty', () => {
    expect(repairImage({})).toEqual({});
  });

  it('restores a real job image that unmarshalls to the stored item', () => {
    // Prepare: a new job has empty metadata ({}) and no attempts ([]); break the map like DynamoDB Local does.
    const item = toItem(jobRecord(), 30);
    const image = marshall(item) as Record<string, { M?: Record<string, unknown> }>;
    image.job!.M!.metadata = {};

    // Act / Assess
    expect(unmarshall(repairImage(image) as never)).toEqual(item);
  });
});
