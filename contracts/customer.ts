/** The customer a journey serves and the people around them (src/journeys/customer.ts validates these). */

export interface Person {
  name: string;
  email: string;
}

/** A person holding an owner role; their manager is who escalations "notify the owner's manager" reach. */
export interface Owner extends Person {
  manager?: Person;
}

/** The customer as the purchase describes them; the journey carries it in its input. */
export interface Customer {
  customerId: string;
  company: string;
  contact: Person;
  plan: string;
  segment: string;
  timeZone: string;
  /** ISO instants. */
  purchaseDate: string;
  renewalDate: string;
  /** The people holding each owner role for this customer; the team's defaults fill the rest. */
  owners: Record<string, Owner>;
  attributes: Record<string, string | number | boolean>;
}

/**
 * What a touchpoint's activity knows of the customer: everything but the owners (the owner of the moment comes
 * apart, as reassigned). Not the owners: they are most of a customer's bytes, and every activity's input is
 * kept in the journey's history.
 */
export type CustomerDetails = Omit<Customer, 'owners'>;
