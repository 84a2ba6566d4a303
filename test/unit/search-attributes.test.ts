import type { OperatorService } from '@temporalio/client';
import { status } from '@grpc/grpc-js';
import { MissingSearchAttributes, registerJourneySearchAttributes } from '../../src/temporal/search-attributes';

/** A namespace that knows every journey search attribute but JourneyTaskOwners, and refuses to add any. */
function namespaceWithout(listable: boolean) {
  const customAttributes = { CustomerId: 2, JourneyStage: 2, CustomerSegment: 2, JourneyOwners: 7, JourneyMap: 2, JourneyAtRisk: 5, JourneyTerm: 3 };
  const operatorService = {
    listSearchAttributes: () =>
      listable ? Promise.resolve({ customAttributes, systemAttributes: {} }) : Promise.reject(Object.assign(new Error('unimplemented'), { code: status.UNIMPLEMENTED })),
    addSearchAttributes: () => Promise.reject(Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: status.PERMISSION_DENIED })),
  } as unknown as OperatorService;
  return { operatorService };
}

test('a worker that may not add a search attribute its namespace lacks is told which, and the command that adds it', async () => {
  const refused = registerJourneySearchAttributes(namespaceWithout(true), 'customers');
  await expect(refused).rejects.toBeInstanceOf(MissingSearchAttributes);
  await expect(refused).rejects.toThrow(
    'namespace "customers" lacks the search attributes JourneyTaskOwners and this worker may not add them (7 PERMISSION_DENIED: Request unauthorized.): ' +
      'register them once with `temporal operator search-attribute create --namespace customers --name JourneyTaskOwners --type KeywordList`',
  );
});

test('where the names cannot be listed, a refused add is reported as it came', async () => {
  const refused = registerJourneySearchAttributes(namespaceWithout(false), 'customers');
  await expect(refused).rejects.not.toBeInstanceOf(MissingSearchAttributes);
  await expect(refused).rejects.toThrow('PERMISSION_DENIED');
});
