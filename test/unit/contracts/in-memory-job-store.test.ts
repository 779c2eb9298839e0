import { describeJobStoreContract } from '../../contracts/job-store.ts';
import { OpsJobStore } from '../ops-fakes.ts';

// The fake the use-case tests run on (with the operators' queries), held to what DynamoJobStore does on
// DynamoDB Local: test/integration/dynamo-job-store-contract.test.ts runs the same contract there.
describeJobStoreContract('InMemoryJobStore (test/unit/fake-job-store.ts)', async () => new OpsJobStore());
