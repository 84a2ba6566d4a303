import type { Transporter } from 'nodemailer';
import type { Customer, Person } from '../src/journeys/customer';
import type { DeliveryLedger } from '../src/delivery/ledger';
import type { EmailTemplates } from '../src/delivery/templates';

/** What activities need from the world, handed in by the worker (or a test): never read from process.env. */
export interface ActivityDeps {
  mailer: Pick<Transporter, 'sendMail'>;
  ledger: DeliveryLedger;
  templates: EmailTemplates;
  /** The From address of every journey email, e.g. "Acme Success <success@acme.example>". */
  mailFrom: string;
}

/** What every touchpoint activity gets: its idempotency key, the customer, and who owns the moment. */
export interface TouchpointInput {
  /** Workflow id + term + touchpoint occurrence: the same key is delivered once. */
  key: string;
  customer: Customer;
  owner: Person;
  ownerRole: string;
  touchpointName: string;
}
