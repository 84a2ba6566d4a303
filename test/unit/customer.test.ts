import { purchaseSchema } from '../../src/journeys/customer';

test('a customer id whose workflow id is the engine’s own (journey-maps, the map registry) is refused', () => {
  const purchase = { customerId: 'maps', company: 'M', contact: { name: 'M', email: 'm@m.example' }, plan: 'pro', segment: 'scaling', timeZone: 'UTC', purchaseDate: '2026-12-01', renewalDate: '2027-12-01' };
  const result = purchaseSchema.safeParse(purchase);
  expect(result.success).toBe(false);
  expect(result.error?.issues[0]).toMatchObject({ path: ['customerId'], message: 'is reserved by the engine (journey-maps is its map registry)' });
  expect(purchaseSchema.safeParse({ ...purchase, customerId: 'maps-inc' }).success).toBe(true);
});
