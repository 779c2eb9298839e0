import { expect, it } from 'vitest';
import { inject } from 'vitest';
import { table } from '../../bench/chaos-report.ts';
import { runChaos } from '../../bench/chaos-run.ts';

/**
 * The chaos run (`npm run chaos`, bench/chaos.ts) at CI size: 30 jobs over 3 accounts with every fault at
 * once — DynamoDB throttling, SQS and Secrets Manager down, EventBridge refusing entries, Pinterest 5xx
 * and 429 storms and lost answers, tokens expiring, the webhook receiver down, the worker pollers killed
 * and restarted — its plan compressed so each of them happens within the run. The promise must hold:
 * nothing lost, no duplicate pin, never over a limit, every failure explained, every terminal event
 * delivered to the subscribed receiver.
 */
it('30 jobs over 3 accounts under every fault at once: nothing lost, nothing duplicated, never over a limit, every failure explained, every event delivered', async () => {
  const result = await runChaos({
    jobs: 30,
    accounts: 3,
    seed: 7,
    planScale: 0.3,
    visibilitySeconds: 10,
    timeoutMs: 150_000,
    stallMs: 60_000,
    emulators: { dynamodb: inject('dynamodbEndpoint'), sqs: inject('sqsEndpoint') },
    namePrefix: 'chaos-ci-',
    progress: (line) => console.info(line),
  });
  console.info(`[chaos] ${JSON.stringify(result.faults)}\n${table(result)}`);

  expect(result.violations).toEqual({
    lost: 0,
    duplicatePins: 0,
    mismatchedPins: 0,
    windowsOverLimit: 0,
    limiterRefusals: 0,
    unexplained: 0,
    webhookEventsMissing: 0,
    webhookIdConflicts: 0,
  });
  expect(result.report.terminal).toBe(30);
  // A retried stream batch does not publish again what the relay had done (it did, 2× and more, before).
  expect(result.busEvents.copies).toBeLessThan(1.5 * result.busEvents.distinct);
  // The faults really happened: the workers were killed, tokens expired, AWS and Pinterest failed.
  expect(result.restarts).toBeGreaterThanOrEqual(1);
  expect(result.faults['tokens expired']).toBeGreaterThanOrEqual(1);
  expect(Object.values(result.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(30);
}, 240_000);
